/* The live message log of a debug session: every entry in order, a virtualized list (only the
   rows in view exist in the DOM, so tens of thousands of messages scroll smoothly), filters by
   direction, text and contract check, and auto-scroll that pauses while the member reads older
   entries. A frame checked against the endpoint's documented messages shows the message it was
   recognised as, and is marked when invalid or undocumented (docs/debug-sessions.md). A
   Socket.IO session's rows say what each record means (sio-log.js), and a row's link (an ack's
   emit, an attachment's event) goes to that row. */
import { h, icon, clockTime, formatBytes, fromBase64, hexPreview, debounce } from "./dom.js";
import { segmented } from "./ui.js";
import { SioFilters, sioCells } from "./sio-log.js";

export const ROW_HEIGHT = 30;
const OVERSCAN = 8;
const PREVIEW_CHARS = 240;

function preview(entry) {
  if (entry._preview !== undefined) return entry._preview;
  let text;
  if (entry.base64 !== null && entry.base64 !== undefined) {
    const bytes = fromBase64(entry.base64.slice(0, 64));
    text = entry.size ? hexPreview(bytes, 24) : "(empty)";
  } else {
    text = (entry.text || "").slice(0, PREVIEW_CHARS).replace(/\s+/g, " ");
    if (!text && (entry.kind === "sent" || entry.kind === "received")) text = "(empty message)";
  }
  if (entry.kind === "pong" && entry.info && entry.info.rtt_ms !== undefined) {
    text = `${text} · round trip ${entry.info.rtt_ms} ms`;
  }
  entry._preview = text;
  return text;
}

function searchable(entry) {
  if (entry._search === undefined) {
    entry._search = (entry.text || (entry.base64 ? preview(entry) : "")).toLowerCase();
  }
  return entry._search;
}

/** "path: reason" of an entry's first contract problem ("" for the whole message). */
export function firstProblem(entry) {
  const problem = (entry.problems || [])[0];
  if (!problem) return "";
  return problem.path ? `${problem.path}: ${problem.reason}` : problem.reason;
}

const CONTRACTS = ["invalid", "undocumented", "valid"];

const STATUS_LABEL = {
  connecting: "Connecting",
  open: "Connected",
  closed: "Closed",
  error: "Error",
  timer: "Timer",
  reconnect: "Reconnecting",
};
// Control frames (docs/debug-sessions.md "Pings and pongs"): shown unless the member hides them.
const CONTROL_KINDS = new Set(["ping", "pong"]);

export class MessageLog {
  constructor({ onSelect }) {
    this.onSelect = onSelect;
    this.entries = [];
    this.bySeq = new Map();
    this.view = [];
    this.direction = "all";
    this.text = "";
    this.contract = "all";
    this.counts = { invalid: 0, undocumented: 0, valid: 0 };
    this.selected = null;
    this.stick = true;
    this.unseen = 0;
    this.frame = 0;
    this.build();
  }

  build() {
    this.count = h("span.log-count", { "aria-live": "off" }, "0 entries");
    const filter = this.directionFilter = segmented("Show", [["all", "All"], ["out", "Sent"], ["in", "Received"]], "all", (value) => {
      this.direction = value;
      this.refilter();
    });
    this.showControl = true;
    const controlToggle = h("label.log-control-toggle", { title: "Show ping and pong frames" },
      h("input", {
        type: "checkbox",
        checked: true,
        on: { change: (event) => { this.showControl = event.target.checked; this.refilter(); } },
      }),
      " Ping/pong");
    this.search = h("input.log-search", {
      type: "search",
      placeholder: "Filter messages",
      "aria-label": "Filter messages by text",
      autocomplete: "off",
    });
    const apply = debounce(() => {
      this.text = this.search.value.trim().toLowerCase();
      this.refilter();
    }, 120);
    this.search.addEventListener("input", apply);
    // Shown once the log holds a checked frame: a session that checks nothing needs no such filter.
    this.countMarks = {};
    const option = (value, text) => {
      if (value === "all") return [value, text];
      this.countMarks[value] = h("span.seg-count", {}, "0");
      return [value, [text, " ", this.countMarks[value]]];
    };
    this.contractFilter = segmented("Contract check", [
      option("all", "All"), option("invalid", "Invalid"), option("undocumented", "Not documented"), option("valid", "Valid"),
    ], "all", (value) => {
      this.contract = value;
      this.refilter();
    });
    this.contractFilter.element.classList.add("log-contract-filter");
    this.contractFilter.element.hidden = true;
    this.spacer = h("div.log-spacer");
    this.layer = h("div.log-rows");
    this.viewport = h("div.log-viewport", {
      tabindex: "0",
      role: "listbox",
      "aria-label": "Message log",
    }, this.spacer, this.layer);
    this.empty = h("div.log-empty", {},
      h("p.log-empty-title", {}, "No messages yet"),
      h("p", {}, "Connect, then send a message: everything sent and received shows up here, in order."));
    this.jump = h("button.log-jump", { type: "button", hidden: true, on: { click: () => this.scrollToEnd() } },
      icon("arrowDown"), h("span", {}, "New messages"));
    this.sio = new SioFilters({ onChange: () => this.refilter() });
    this.toolbar = h("div.log-toolbar", {}, filter.element, this.contractFilter.element, controlToggle, this.sio.element, this.search, this.count);
    this.element = h("section.log", { "aria-label": "Messages" },
      this.toolbar,
      h("div.log-body", {}, this.viewport, this.empty, this.jump));
    this.viewport.addEventListener("scroll", () => {
      this.stick = this.atBottom();
      if (this.stick) this.setUnseen(0);
      this.schedule();
    });
    this.viewport.addEventListener("click", (event) => {
      const goto = event.target.closest("[data-goto]");
      const row = event.target.closest(".log-row");
      if (goto) this.goTo(Number(goto.dataset.goto));
      else if (row) this.select(Number(row.dataset.seq), true);
    });
    this.viewport.addEventListener("keydown", (event) => this.keydown(event));
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  atBottom() {
    const v = this.viewport;
    return v.scrollTop + v.clientHeight >= v.scrollHeight - ROW_HEIGHT / 2;
  }

  /** The direction and text filters (the contract counts are of what they let through). */
  passes(entry) {
    if (!this.showControl && CONTROL_KINDS.has(entry.kind)) return false;
    if (!this.sio.passes(entry, (seq) => this.bySeq.get(seq))) return false;
    if (this.direction !== "all" && entry.direction !== this.direction) return false;
    if (this.text && !searchable(entry).includes(this.text)) return false;
    return true;
  }

  matches(entry) {
    return this.passes(entry) && (this.contract === "all" || entry.contract === this.contract);
  }

  tally(entry) {
    if (!entry.contract) return;
    this.contractFilter.element.hidden = false;
    if (entry.contract in this.counts && this.passes(entry)) this.counts[entry.contract] += 1;
  }

  updateContractCounts() {
    for (const name of CONTRACTS) this.countMarks[name].textContent = this.counts[name].toLocaleString();
  }

  reset() {
    this.entries = [];
    this.bySeq = new Map();
    this.view = [];
    this.selected = null;
    this.stick = true;
    this.counts = { invalid: 0, undocumented: 0, valid: 0 };
    this.sio.reset();
    // A new session starts unfiltered: a hidden filter must not hide its entries.
    this.contract = "all";
    this.contractFilter.set("all");
    this.contractFilter.element.hidden = true;
    this.setUnseen(0);
    this.update();
  }

  get lastSeq() {
    return this.entries.length ? this.entries[this.entries.length - 1].seq : 0;
  }

  /** New entries from the session stream (in seq order; repeats are ignored). */
  add(events) {
    let added = 0;
    for (const entry of events) {
      if (entry.seq <= this.lastSeq) continue;
      this.entries.push(entry);
      this.bySeq.set(entry.seq, entry);
      this.sio.seen(entry);
      this.tally(entry);
      if (this.matches(entry)) {
        this.view.push(this.entries.length - 1);
        added += 1;
      }
    }
    if (!added) {
      this.updateCount();
      return;
    }
    if (!this.stick) this.setUnseen(this.unseen + added);
    this.update();
  }

  refilter() {
    this.view = [];
    this.counts = { invalid: 0, undocumented: 0, valid: 0 };
    this.entries.forEach((entry, index) => {
      this.tally(entry);
      if (this.matches(entry)) this.view.push(index);
    });
    this.stick = true;
    this.setUnseen(0);
    this.update();
  }

  setUnseen(count) {
    this.unseen = count;
    this.jump.hidden = count === 0;
    this.jump.lastChild.textContent = count === 1 ? "1 new message" : `${count} new messages`;
  }

  updateCount() {
    const total = this.entries.length;
    const shown = this.view.length;
    const noun = total === 1 ? "entry" : "entries";
    this.count.textContent = shown === total ? `${total.toLocaleString()} ${noun}` :
      `${shown.toLocaleString()} of ${total.toLocaleString()}`;
    this.updateContractCounts();
  }

  update() {
    this.spacer.style.height = `${this.view.length * ROW_HEIGHT}px`;
    this.empty.hidden = this.entries.length > 0;
    if (this.entries.length && !this.view.length) {
      this.empty.hidden = false;
      this.empty.firstChild.textContent = "Nothing matches the filter";
      this.empty.lastChild.textContent = "Clear the text or pick All (in each filter) to see every entry.";
    } else {
      this.empty.firstChild.textContent = "No messages yet";
      this.empty.lastChild.textContent = "Connect, then send a message: everything sent and received shows up here, in order.";
    }
    this.updateCount();
    if (this.stick) this.viewport.scrollTop = this.viewport.scrollHeight;
    this.schedule();
  }

  scrollToEnd() {
    this.stick = true;
    this.setUnseen(0);
    this.viewport.scrollTop = this.viewport.scrollHeight;
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const top = this.viewport.scrollTop;
    const height = this.viewport.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.view.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    this.layer.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const rows = [];
    for (let position = first; position < last; position += 1) {
      rows.push(this.row(this.entries[this.view[position]]));
    }
    this.layer.replaceChildren(...rows);
    const active = this.selected !== null ? `log-row-${this.selected}` : "";
    if (active && this.layer.querySelector(`#${active}`)) {
      this.viewport.setAttribute("aria-activedescendant", active);
    } else {
      this.viewport.removeAttribute("aria-activedescendant");
    }
  }

  row(entry) {
    const status = !entry.direction;
    const kind = status ? `status.st-${entry.kind}` : entry.direction;
    const binary = entry.opcode === "binary";
    const control = CONTROL_KINDS.has(entry.kind);
    const label = status ? STATUS_LABEL[entry.kind] || entry.kind
      : `${entry.direction === "out" ? "Sent" : "Received"}${control ? ` ${entry.kind}` : ""}`;
    const mark = status ? h("span.log-dir", { "aria-hidden": "true" }) :
      h("span.log-dir", { "aria-hidden": "true" }, icon(entry.direction === "out" ? "up" : "down"));
    const contract = entry.contract || "";
    const problem = contract === "invalid" ? firstProblem(entry) : "";
    const sio = sioCells(entry);
    return h(`div.log-row.${kind}${contract ? `.c-${contract}` : ""}${entry.seq === this.selected ? ".selected" : ""}`, {
      id: `log-row-${entry.seq}`,
      role: "option",
      "aria-selected": String(entry.seq === this.selected),
      title: problem ? `Invalid ${entry.message}: ${problem}` : null,
      dataset: { seq: entry.seq },
    },
    mark,
    h("span.sr-only", {}, `${label}, `),
    h("span.log-time", {}, clockTime(entry.timestamp)),
    binary && !sio ? h("span.log-kind", {}, "bin") : null,
    control ? h("span.log-kind", { title: entry.info && entry.info.rtt_ms !== undefined ? `Round trip ${entry.info.rtt_ms} ms` : null }, entry.kind) : null,
    entry.message ? h("span.log-msg", { title: `Documented message ${entry.message}` }, entry.message) : null,
    contract === "invalid" ? h("span.log-verdict.bad", { title: problem }, "invalid") : null,
    contract === "undocumented" ? h("span.log-verdict.none", { title: "No documented message matches this frame" }, "undocumented") : null,
    entry.message || contract === "undocumented" ? h("span.sr-only", {}, ", ") : null,
    ...(sio || [h("span.log-text", {}, status ? entry.text || label : preview(entry))]),
    status ? null : h("span.log-size", {}, formatBytes(entry.size)));
  }

  /** The Socket.IO filters show only for that protocol. */
  setProtocol(protocol) {
    this.sio.element.hidden = protocol !== "socketio";
  }

  /** Selects the entry `seq` (an ack's emit, an attachment's event), scrolled into view and
   * shown in the detail; filters that hide it are cleared first. */
  goTo(seq) {
    if (!this.bySeq.has(seq)) return;
    let position = this.view.findIndex((index) => this.entries[index].seq === seq);
    if (position < 0) {
      this.sio.clear();
      this.search.value = "";
      this.text = "";
      this.direction = "all";
      this.directionFilter.set("all");
      this.contract = "all";
      this.contractFilter.set("all");
      this.refilter();
      position = this.view.findIndex((index) => this.entries[index].seq === seq);
      if (position < 0) return;
    }
    this.ensureVisible(position);
    this.select(seq, true);
    this.viewport.focus();
  }

  select(seq, notify) {
    this.selected = seq;
    this.schedule();
    if (notify && this.bySeq.has(seq)) this.onSelect(this.bySeq.get(seq));
  }

  clearSelection() {
    this.selected = null;
    this.schedule();
  }

  keydown(event) {
    if (!this.view.length) return;
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };
    let position = this.view.findIndex((index) => this.entries[index].seq === this.selected);
    if (event.key in moves) {
      position = position < 0 ? (moves[event.key] > 0 ? 0 : this.view.length - 1) :
        Math.max(0, Math.min(this.view.length - 1, position + moves[event.key]));
    } else if (event.key === "Home") {
      position = 0;
    } else if (event.key === "End") {
      position = this.view.length - 1;
    } else if (event.key === "Enter" && this.selected !== null) {
      this.select(this.selected, true);
      event.preventDefault();
      return;
    } else {
      return;
    }
    event.preventDefault();
    const entry = this.entries[this.view[position]];
    this.ensureVisible(position);
    this.select(entry.seq, true);
  }

  ensureVisible(position) {
    const top = position * ROW_HEIGHT;
    const v = this.viewport;
    if (top < v.scrollTop) v.scrollTop = top;
    else if (top + ROW_HEIGHT > v.scrollTop + v.clientHeight) v.scrollTop = top + ROW_HEIGHT - v.clientHeight;
    this.stick = this.atBottom();
  }
}
