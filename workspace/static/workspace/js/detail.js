/* The detail of one log entry, on the right of the log: a text message formatted (with a
   format and encoding switcher), a binary one as a hexdump (or Base64, or downloaded), a
   status entry with the connection record (the request sent, the response). A checked frame
   has a Contract section (contract.js): what it was recognised as, and the problems next to the
   schema. A Socket.IO record has a section of its own (sio-detail.js): the event, its arguments
   and the raw Engine.IO packet(s) with their attachments. */
import { get, describeError } from "./api.js";
import { h, icon, clockTime, formatBytes, copyText, toast } from "./dom.js";
import { segmented } from "./ui.js";
import { contractSection } from "./contract.js";
import { sioAttachments, sioSection, sioTitle } from "./sio-detail.js";
import { sioOf } from "./sio-log.js";

const FORMATS = [["auto", "Auto"], ["text", "Text"], ["json", "JSON"], ["xml", "XML"], ["html", "HTML"], ["hexdump", "Hexdump"], ["base64", "Base64"]];
const ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "ascii", "cp1252"];
const HIGHLIGHT_LIMIT = 200000;

/** JSON with its tokens wrapped for colour; anything else stays plain text. */
export function highlightJson(text) {
  const fragment = document.createDocumentFragment();
  if (text.length > HIGHLIGHT_LIMIT) {
    fragment.append(text);
    return fragment;
  }
  const pattern = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;
  let last = 0;
  let match;
  while ((match = pattern.exec(text))) {
    if (match.index > last) fragment.append(text.slice(last, match.index));
    if (match[1]) {
      fragment.append(h(match[2] ? "span.tk-key" : "span.tk-str", {}, match[1]));
      if (match[2]) fragment.append(match[2]);
    } else if (match[3]) {
      fragment.append(h("span.tk-lit", {}, match[3]));
    } else {
      fragment.append(h("span.tk-num", {}, match[4]));
    }
    last = pattern.lastIndex;
  }
  if (last < text.length) fragment.append(text.slice(last));
  return fragment;
}

export class DetailPanel {
  /** sessionId(); onClose(); entryOf(seq): a log entry; goTo(seq): select it in the log;
   * onAnswer(entry): answer the ack a server event asks for. */
  constructor({ sessionId, onClose, entryOf, goTo, onAnswer }) {
    this.sessionId = sessionId;
    this.onClose = onClose;
    this.onAnswer = onAnswer;
    this.entryOf = entryOf;
    this.goTo = goTo;
    this.entry = null;
    this.format = "auto";
    this.encoding = "";
    this.request = 0;
    this.body = h("div.detail-body");
    this.title = h("h2.detail-title", { id: "detail-title" }, "Message");
    this.meta = h("p.detail-meta");
    this.element = h("aside.detail", { "aria-labelledby": "detail-title", hidden: true },
      h("div.detail-head", {},
        h("div", {}, this.title, this.meta),
        h("button.icon-btn", { type: "button", "aria-label": "Close the detail", title: "Close (Esc)", on: { click: () => this.close() } }, icon("x"))),
      this.body);
    this.element.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      }
    });
  }

  close() {
    this.element.hidden = true;
    this.entry = null;
    this.onClose();
  }

  show(entry) {
    const changed = !this.entry || this.entry.seq !== entry.seq;
    this.entry = entry;
    if (changed) {
      this.format = entry.opcode === "binary" ? "hexdump" : "auto";
      this.encoding = "";
    }
    this.element.hidden = false;
    const direction = entry.direction === "out" ? "Sent" : entry.direction === "in" ? "Received" : "Status";
    const sio = sioTitle(entry);
    this.title.textContent = sio ? `${direction === "Status" ? "" : `${direction} · `}${sio}` : entry.direction ? `${direction} message` : describeStatus(entry);
    const parts = [`#${entry.seq}`, clockTime(entry.timestamp), `connection ${entry.connection}`];
    if (entry.direction) parts.splice(1, 0, entry.opcode === "binary" ? "binary" : "text", formatBytes(entry.size));
    this.meta.textContent = parts.join(" · ");
    if (!entry.direction) {
      this.showStatus(entry);
    } else {
      this.load();
    }
  }

  async load() {
    const entry = this.entry;
    const ticket = ++this.request;
    const sid = this.sessionId();
    this.body.replaceChildren(this.controls(entry), h("p.muted.pad", {}, "Loading…"));
    const params = this.format === "base64" ? { as: "base64" } : { format: this.format, encoding: this.encoding || null };
    try {
      const detail = await get(`/api/v1/sessions/${sid}/events/${entry.seq}/`, params);
      if (ticket !== this.request) return;
      this.render(entry, detail);
    } catch (error) {
      if (ticket !== this.request) return;
      this.body.replaceChildren(this.controls(entry), h("p.form-error", { role: "alert" }, describeError(error)));
    }
  }

  controls(entry) {
    const sid = this.sessionId();
    const binary = entry.opcode === "binary";
    const bar = h("div.detail-controls");
    if (binary) {
      const views = segmented("Show the bytes as", [["hexdump", "Hexdump"], ["base64", "Base64"], ["text", "Text"]], this.format, (value) => {
        this.format = value;
        this.load();
      });
      bar.append(views.element);
    } else {
      const format = h("select", { id: "detail-format", "aria-label": "Format" },
        FORMATS.map(([value, label]) => h("option", { value, selected: value === this.format }, label)));
      format.addEventListener("change", () => {
        this.format = format.value;
        this.load();
      });
      bar.append(h("label.inline-label", { for: "detail-format" }, "Format"), format);
    }
    if (!binary || this.format === "text") {
      const encoding = h("select", { id: "detail-encoding", "aria-label": "Text encoding" },
        ENCODINGS.map((value) => h("option", { value, selected: value === (this.encoding || "utf-8") }, value)));
      encoding.addEventListener("change", () => {
        this.encoding = encoding.value === "utf-8" ? "" : encoding.value;
        this.load();
      });
      bar.append(h("label.inline-label", { for: "detail-encoding" }, "Encoding"), encoding);
    }
    const actions = h("div.detail-actions");
    actions.append(h("button.btn.small", {
      type: "button",
      on: {
        click: async () => {
          const pre = this.body.querySelector("pre.detail-pre");
          if (pre && (await copyText(pre.textContent))) toast("Copied to the clipboard");
        },
      },
    }, icon("copy"), "Copy"));
    actions.append(h("a.btn.small", {
      href: `/api/v1/sessions/${sid}/events/${entry.seq}/?as=raw`,
      download: `message-${entry.seq}.${binary ? "bin" : "txt"}`,
    }, icon("download"), "Download"));
    bar.append(actions);
    return bar;
  }

  render(entry, detail) {
    const sio = sioOf(entry);
    const pre = h(`pre.detail-pre.view-${detail.view}${sio ? ".sio-packet" : ""}`, { tabindex: "0", "aria-label": `Message content (${detail.view})` });
    if (detail.view === "json") pre.append(highlightJson(detail.content));
    else pre.textContent = detail.content;
    const nodes = [this.controls(entry)];
    nodes.push(this.sio(entry));
    if (detail.contract) nodes.push(contractSection(entry, detail, { sessionId: this.sessionId(), highlight: highlightJson }));
    if (detail.problem) nodes.push(h("p.notice.warn", { role: "status" }, detail.problem));
    if (entry.truncated) nodes.push(h("p.notice", {}, `Only the start of this ${formatBytes(entry.size)} message is stored.`));
    nodes.push(h("p.detail-shown", {}, `${sio ? "Raw Engine.IO packet · shown" : "Shown"} as ${detail.view}${detail.encoding ? ` · ${detail.encoding}` : ""}`));
    nodes.push(pre);
    if (sio) nodes.push(sioAttachments(entry, { sessionId: this.sessionId(), entryOf: this.entryOf, goTo: this.goTo }));
    this.body.replaceChildren(...nodes.filter(Boolean));
  }

  sio(entry) {
    return sioSection(entry, { goTo: this.goTo, highlight: highlightJson, answer: this.onAnswer });
  }

  async showStatus(entry) {
    const ticket = ++this.request;
    const nodes = [h("p.detail-status", {}, entry.text || entry.kind), this.sio(entry)];
    if (entry.info && Object.keys(entry.info).length) {
      nodes.push(h("dl.facts", {}, Object.entries(entry.info).flatMap(([key, value]) => [
        h("dt", {}, key), h("dd", {}, typeof value === "object" ? JSON.stringify(value) : String(value)),
      ])));
    }
    this.body.replaceChildren(...nodes.filter(Boolean));
    try {
      const connections = await get(`/api/v1/sessions/${this.sessionId()}/connections/`);
      if (ticket !== this.request) return;
      const record = connections.find((item) => item.number === entry.connection);
      if (record) this.body.append(connectionRecord(record));
    } catch (error) {
      /* the status line alone is still useful */
    }
  }
}

function describeStatus(entry) {
  return { connecting: "Connecting", open: "Connected", closed: "Connection closed", error: "Connection error" }[entry.kind] || entry.kind;
}

function pairs(title, items) {
  if (!items || !items.length) return null;
  return h("section.record-block", {},
    h("h3", {}, title),
    h("table.pairs", {}, h("tbody", {}, items.map(([name, value]) => h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, value))))));
}

export function connectionRecord(record) {
  const response = record.response || {};
  const request = record.request || {};
  const facts = [
    ["URL", request.url],
    ["Address", request.remote_address],
    ["Status", response.status ? String(response.status) : "—"],
    ["Subprotocol", response.subprotocol],
    ["Client certificate", record.client_certificate
      ? `${record.client_certificate.subject} (${record.client_certificate.host_pattern}, SHA-256 ${record.client_certificate.fingerprint.slice(0, 23)}…)`
      : null],
    ["Failure", record.failure ? `${record.failure.kind}: ${record.failure.detail}` : null],
    ["Close", record.close ? `${record.close.code} ${record.close.reason || ""} (by ${record.close.by})` : null],
  ].filter(([, value]) => value);
  return h("div.record", {},
    h("h3", {}, `Connection ${record.number}`),
    h("dl.facts", {}, facts.flatMap(([key, value]) => [h("dt", {}, key), h("dd", {}, value)])),
    pairs("Request headers", request.headers),
    pairs("Response headers", response.headers),
    response.body ? h("section.record-block", {}, h("h3", {}, "Response body"), h("pre.detail-pre", {}, response.body)) : null);
}

