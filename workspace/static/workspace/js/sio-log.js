/* The log of a Socket.IO session (SIO-SPEC "The log"): each record carries `info.sio`, so a row
   shows what it means — an event with its name and arguments, connect / connect_error /
   disconnect with their namespace and reason, an ack linked to its emit, an attachment linked
   to its event, an ack timeout linked to the emit that waited — rather than the raw Engine.IO
   text. The toolbar gains a filter by event name and a toggle that hides Engine.IO heartbeats.
   Rows with a link carry `data-goto` (the seq it goes to); log.js follows it. */
import { h } from "./dom.js";

const HEARTBEATS = new Set(["ping", "pong"]);
// Hidden heartbeats stay hidden in this browser: at a ping a second they drown everything else.
const HEARTBEATS_KEY = "sb.sio.heartbeats";
const PREVIEW_CHARS = 200;

/** The Socket.IO meaning of a record, or null. */
export const sioOf = (entry) => (entry && entry.info && entry.info.sio) || null;

/** An ack timeout is an error record, not a frame. */
export const ackTimeoutOf = (entry) => (entry && entry.kind === "error" && entry.info && entry.info.kind === "ack_timeout" ? entry.info : null);

/** Arguments as one line of JSON, a binary placeholder as <binary #n>. */
export function argsPreview(args) {
  const text = JSON.stringify(args || [], (key, value) => (value && typeof value === "object" && value._placeholder === true ? `<binary #${value.num}>` : value));
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text;
}

const nsp = (sio) => (sio.namespace && sio.namespace !== "/" ? `${sio.namespace} ` : "");
const link = (seq, text) => h("button.log-goto", { type: "button", dataset: { goto: seq }, title: `Go to #${seq}` }, text || `#${seq}`);

/** The cells of a Socket.IO row after its time: [tag, ...text parts], or null when it is none. */
export function sioCells(entry) {
  const timeout = ackTimeoutOf(entry);
  if (timeout) {
    return [h("span.log-kind.sio-bad", {}, "ack timeout"),
      h("span.log-text", {}, `No ack for ${timeout.event} within ${timeout.timeout} s `, link(timeout.seq, `emit #${timeout.seq}`))];
  }
  const sio = sioOf(entry);
  if (!sio) return null;
  const tag = (text, extra = "") => h(`span.log-kind.sio-kind${extra}`, {}, text);
  const text = (...parts) => h("span.log-text", {}, ...parts);
  switch (sio.type) {
    case "open":
      return [tag("open"), text(`Engine.IO open · sid ${sio.sid} · ping every ${sio.ping_interval} s, timeout ${sio.ping_timeout} s`)];
    case "ping":
    case "pong":
      return [tag(sio.type, ".sio-beat"), text("Engine.IO heartbeat")];
    case "close":
      return [tag("close"), text("Engine.IO close")];
    case "connect":
      // Out: the client asks to join the namespace; in: the server lets it in.
      if (entry.direction === "out") return [tag("connect"), text(`join ${sio.namespace || "/"}${sio.data ? " with an auth payload" : ""}`)];
      return [tag("connect", ".sio-ok"), text(`${sio.namespace || "/"} connected${sio.data && sio.data.sid ? ` · sid ${sio.data.sid}` : ""}`)];
    case "connect_error":
      return [tag("connect_error", ".sio-bad"), text(`${sio.namespace || "/"} refused: ${sio.message || JSON.stringify(sio.data)}`)];
    case "disconnect":
      return [tag("disconnect", ".sio-bad"), text(`${sio.namespace || "/"} disconnected by the ${sio.by === "client" ? "client" : "server"}`)];
    case "event":
      return [h("span.log-event", { title: `Event ${sio.event}` }, sio.event),
        sio.ack_id !== null && sio.ack_id !== undefined ? h("span.log-ackid", { title: entry.direction === "in" ? "The server asks for an ack: open it to answer" : "Asks for an ack" }, `ack ${sio.ack_id}`) : null,
        (sio.attachments || []).length ? h("span.log-ackid", { title: "Binary attachments" }, `+${sio.attachments.length} bin`) : null,
        text(nsp(sio), argsPreview(sio.args))];
    case "ack":
      return [tag("ack", ".sio-ok"),
        text(`ack ${sio.ack_id}${sio.event ? ` of ${sio.event}` : ""} `, sio.ack_of ? link(sio.ack_of, `emit #${sio.ack_of}`) : null, " ", argsPreview(sio.args))];
    case "attachment":
      return [tag("attachment"), text(`binary ${sio.num} of `, link(sio.of, `event #${sio.of}`))];
    default:
      return [tag(sio.type, sio.type === "invalid" ? ".sio-bad" : ""), text(sio.detail || entry.text || "")];
  }
}

/** The toolbar's Socket.IO filters: an event name and heartbeats shown or hidden. */
export class SioFilters {
  constructor({ onChange }) {
    this.event = "";
    this.showHeartbeats = localStorage.getItem(HEARTBEATS_KEY) !== "hidden";
    this.names = new Set();
    this.list = h("datalist#log-events");
    this.input = h("input.log-event-filter#log-event", {
      type: "search", placeholder: "Event", list: "log-events", autocomplete: "off", "aria-label": "Show only this event",
    });
    this.input.addEventListener("input", () => {
      this.event = this.input.value.trim();
      onChange();
    });
    this.heartbeats = h("input#log-heartbeats", { type: "checkbox", checked: this.showHeartbeats });
    this.heartbeats.addEventListener("change", () => {
      this.showHeartbeats = this.heartbeats.checked;
      if (this.showHeartbeats) localStorage.removeItem(HEARTBEATS_KEY);
      else localStorage.setItem(HEARTBEATS_KEY, "hidden");
      onChange();
    });
    this.element = h("span.log-sio-filters", { hidden: true },
      this.input, this.list,
      h("label.log-beat-toggle", { for: "log-heartbeats", title: "Show Engine.IO pings and pongs" }, this.heartbeats, " Heartbeats"));
  }

  /** The event filter cleared (heartbeats are never what a link goes to). */
  clear() {
    this.event = "";
    this.input.value = "";
  }

  /** Event names seen so far feed the filter's suggestions. */
  seen(entry) {
    const sio = sioOf(entry);
    if (!sio || sio.type !== "event" || this.names.has(sio.event)) return;
    this.names.add(sio.event);
    this.list.append(h("option", { value: sio.event }));
  }

  reset() {
    this.names.clear();
    this.list.replaceChildren();
  }

  /** Whether `entry` passes; `entryOf(seq)` finds the event an attachment belongs to. */
  passes(entry, entryOf) {
    const sio = sioOf(entry);
    if (!this.showHeartbeats && sio && HEARTBEATS.has(sio.type)) return false;
    if (!this.event) return true;
    const timeout = ackTimeoutOf(entry);
    if (timeout) return timeout.event === this.event;
    if (!sio) return false;
    if (sio.type === "attachment") return Boolean(entryOf(sio.of)) && this.passes(entryOf(sio.of), entryOf);
    return sio.event === this.event;
  }
}
