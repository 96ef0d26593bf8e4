/* The Socket.IO part of a log entry's detail (detail.js): what the record means — the event,
   its namespace, ack id, the emit an ack answers — its arguments formatted (a binary argument
   shown where it sits), and the raw Engine.IO packet with its binary attachments as hexdumps. */
import { get, describeError } from "./api.js";
import { h, formatBytes } from "./dom.js";
import { sioOf, ackTimeoutOf } from "./sio-log.js";

const TYPE_TITLES = {
  open: "Engine.IO open", ping: "Engine.IO ping", pong: "Engine.IO pong", close: "Engine.IO close",
  connect: "Namespace connected", connect_error: "Namespace refused", disconnect: "Namespace disconnected",
  event: "Event", ack: "Acknowledgement", attachment: "Binary attachment",
};

/** A title for the detail's head, or null for a record without Socket.IO meaning. */
export function sioTitle(entry) {
  if (ackTimeoutOf(entry)) return "Ack timeout";
  const sio = sioOf(entry);
  if (!sio) return null;
  return sio.type === "event" ? `Event ${sio.event}` : TYPE_TITLES[sio.type] || sio.type;
}

/** Arguments pretty-printed; a binary placeholder reads {"<binary>": n}. */
function argsText(args) {
  return JSON.stringify(args || [], (key, value) => (value && typeof value === "object" && value._placeholder === true ? { "<binary attachment>": value.num } : value), 2);
}

/**
 * The section for `entry` (null when it has no Socket.IO meaning). sessionId; entryOf(seq): a
 * log entry; goTo(seq): select it in the log; highlight(text): JSON coloured.
 */
export function sioSection(entry, { sessionId, entryOf, goTo, highlight }) {
  const timeout = ackTimeoutOf(entry);
  const sio = sioOf(entry);
  if (!sio && !timeout) return null;
  const goto = (seq, text) => h("button.btn.small.ghost.sio-goto", { type: "button", dataset: { goto: seq }, on: { click: () => goTo(seq) } }, text);
  const facts = [];
  const fact = (name, value) => { if (value !== null && value !== undefined && value !== "") facts.push(h("dt", {}, name), h("dd", {}, value)); };
  const nodes = [];
  if (timeout) {
    fact("Event", timeout.event);
    fact("Ack id", String(timeout.ack_id));
    fact("Waited", `${timeout.timeout} s`);
    fact("Emit", goto(timeout.seq, `#${timeout.seq}`));
    return h("section.sio-detail", { "aria-label": "Socket.IO" }, h("dl.facts", {}, facts));
  }
  fact("Type", sio.type);
  fact("Namespace", sio.namespace);
  fact("Event", sio.event);
  if (sio.ack_id !== null && sio.ack_id !== undefined) fact("Ack id", String(sio.ack_id));
  if (sio.type === "ack" && sio.ack_of) fact("Answers", goto(sio.ack_of, `emit #${sio.ack_of}`));
  if (sio.type === "attachment") fact("Of", goto(sio.of, `event #${sio.of} (binary ${sio.num})`));
  if (sio.type === "connect_error") fact("Reason", sio.message);
  if (sio.type === "disconnect") fact("By", sio.by);
  if (sio.type === "open") {
    fact("sid", sio.sid);
    fact("Ping interval", `${sio.ping_interval} s`);
    fact("Ping timeout", `${sio.ping_timeout} s`);
  }
  if (facts.length) nodes.push(h("dl.facts", {}, facts));
  if (sio.type === "event" || sio.type === "ack") {
    nodes.push(h("h3", {}, "Arguments"), h("pre.detail-pre.view-json.sio-args", { tabindex: "0", "aria-label": "Arguments" }, highlight(argsText(sio.args))));
  } else if (sio.data !== undefined && sio.data !== null) {
    nodes.push(h("h3", {}, "Data"), h("pre.detail-pre.view-json", {}, highlight(JSON.stringify(sio.data, null, 2))));
  }
  const attachments = sio.attachments || [];
  const raw = h("div.sio-raw", {},
    h("h3", {}, attachments.length ? `Raw Engine.IO packets (1 + ${attachments.length} binary)` : "Raw Engine.IO packet"),
    h("pre.detail-pre.sio-packet", { "aria-label": "Raw Engine.IO packet" }, entry.text !== null && entry.text !== undefined ? entry.text : `(binary, ${formatBytes(entry.size)})`));
  nodes.push(raw);
  attachments.forEach((seq, num) => {
    const block = h("div.sio-attachment", { dataset: { seq } },
      h("h4", {}, `Attachment ${num} · `, goto(seq, `#${seq}`), entryOf(seq) ? ` · ${formatBytes(entryOf(seq).size)}` : ""),
      h("pre.detail-pre.view-hexdump", { "aria-label": `Attachment ${num}` }, "Loading…"));
    raw.append(block);
    get(`/api/v1/sessions/${sessionId}/events/${seq}/`, { format: "hexdump" })
      .then((detail) => { block.lastChild.textContent = detail.content; })
      .catch((error) => { block.lastChild.textContent = describeError(error); });
  });
  return h("section.sio-detail", { "aria-label": "Socket.IO" }, nodes);
}
