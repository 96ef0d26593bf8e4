/* The Socket.IO parts of a log entry's detail (detail.js): what the record means — the event,
   its namespace, ack id, the emit an ack answers — with its arguments formatted (a binary
   argument shown where it sits); and, after the raw Engine.IO packet the detail shows anyway,
   its binary attachments as hexdumps. */
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

/** The section for `entry` (null when it has no Socket.IO meaning). goTo(seq): select that
 * entry in the log; highlight(text): JSON coloured; answer(entry): answer the ack the server
 * asks for. */
export function sioSection(entry, { goTo, highlight, answer }) {
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
  if (sio.type === "event" && entry.direction === "in" && sio.ack_id !== null && sio.ack_id !== undefined) {
    nodes.push(h("p.sio-asks", {}, `The server asks for an ack (id ${sio.ack_id}). `,
      h("button.btn.small#sio-answer", { type: "button", on: { click: () => answer(entry) } }, "Answer it…")));
  }
  if (sio.type === "event" || sio.type === "ack") {
    nodes.push(h("h3", {}, "Arguments"), h("pre.detail-pre.view-json.sio-args", { tabindex: "0", "aria-label": "Arguments" }, highlight(argsText(sio.args))));
  } else if (sio.data !== undefined && sio.data !== null) {
    nodes.push(h("h3", {}, "Data"), h("pre.detail-pre.view-json", {}, highlight(JSON.stringify(sio.data, null, 2))));
  }
  return h("section.sio-detail", { "aria-label": "Socket.IO" }, nodes);
}

/** A packet's binary attachments, each as a hexdump (null when it has none): shown after the
 * packet's own text, so the detail reads as the frames that went over the wire. */
export function sioAttachments(entry, { sessionId, entryOf, goTo }) {
  const attachments = (sioOf(entry) || {}).attachments || [];
  if (!attachments.length) return null;
  const blocks = attachments.map((seq, num) => {
    const pre = h("pre.detail-pre.view-hexdump", { "aria-label": `Attachment ${num}` }, "Loading…");
    get(`/api/v1/sessions/${sessionId}/events/${seq}/`, { format: "hexdump" })
      .then((detail) => { pre.textContent = detail.content; })
      .catch((error) => { pre.textContent = describeError(error); });
    return h("div.sio-attachment", { dataset: { seq } },
      h("h4", {}, `Attachment ${num} · `,
        h("button.btn.small.ghost.sio-goto", { type: "button", on: { click: () => goTo(seq) } }, `#${seq}`),
        entryOf(seq) ? ` · ${formatBytes(entryOf(seq).size)}` : ""),
      pre);
  });
  return h("section.sio-raw", { "aria-label": "Binary attachments" }, h("h3", {}, `Binary attachments (${attachments.length})`), blocks);
}
