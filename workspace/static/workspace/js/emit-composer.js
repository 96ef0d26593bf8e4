/* The composer of a Socket.IO session: an event's name, its arguments as a JSON array (checked
   before anything is sent: it parses, it is an array), the namespace (empty: the endpoint's), and
   "wait for ack" with its timeout. A binary argument is {"$binary": "<base64>"} (Binary… adds a
   file as one); it goes as an attachment. Chips emit the endpoint's documented send events; one
   saved as shown goes by id ({message_id, example}), so the server checks it as that event.
   A server event that asks for an ack can be answered from here (`answerAck`): the arguments
   then go back as that ack. Emitting itself is the caller's (`onEmit(what)`, docs/socketio.md). */
import { describeError } from "./api.js";
import { h, icon, modKey, toast } from "./dom.js";
import { openMenu, showFieldErrors } from "./ui.js";
import { JsonText, jsonProblem, placeIn } from "./json-text.js";

// Names Socket.IO keeps for itself: a client cannot emit them.
const RESERVED = new Set(["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"]);

/** What is wrong with an emit as typed ({field: [problem]}); {} when it can go. */
export function emitProblems({ event, args, namespace, ackTimeout, ack, answering = false }) {
  const problems = {};
  if (answering) {
    // An ack names no event and asks for no ack.
  } else if (!event.trim()) problems.event = ["Name the event to emit."];
  else if (RESERVED.has(event)) problems.event = [`"${event}" is reserved by Socket.IO: pick another event name.`];
  const problem = jsonProblem(args.trim() ? args : "[]");
  if (problem) problems.args = [`Invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.message}.`];
  else if (!Array.isArray(JSON.parse(args.trim() ? args : "[]"))) problems.args = ["The arguments are one JSON array, e.g. [\"hello\", {\"room\": 1}]."];
  if (namespace && !namespace.startsWith("/")) problems.namespace = ["A namespace starts with /, e.g. /chat."];
  if (ack && !answering && !(Number(ackTimeout) > 0)) problems.ack_timeout = ["Wait a positive number of seconds for the ack."];
  return problems;
}

/** Bytes as Base64 (for {"$binary": ...} arguments). */
function toBase64(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = "";
  for (let index = 0; index < bytes.length; index += 0x8000) binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  return btoa(binary);
}

export class EmitComposer {
  /** onEmit(what): resolves with the answer ({seq, ack_id, ...}); savedExample(message, example):
   * {id, example} when that example is saved as shown, else null. */
  constructor({ onEmit, savedExample }) {
    Object.assign(this, { onEmit, savedExample });
    this.open = false;
    this.answers = new Map();  // emit seq -> its ack (or ack timeout) entry, as seen in the log
    this.event = h("input.mono#emit-event", { type: "text", spellcheck: "false", autocomplete: "off", placeholder: "chat message", "aria-label": "Event name", dataset: { field: "event" }, list: "emit-events" });
    this.eventList = h("datalist#emit-events");
    this.namespace = h("input.mono#emit-namespace", { type: "text", spellcheck: "false", autocomplete: "off", placeholder: "/", "aria-label": "Namespace", title: "Empty: the endpoint's namespace", dataset: { field: "namespace" } });
    this.args = new JsonText({ id: "emit-args", label: "Arguments (a JSON array)", field: "args", onInput: () => this.check(), onSave: () => {} });
    this.args.area.value = "[]";
    this.args.area.rows = 4;
    this.args.renderGutter();
    this.args.area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.emit();
      }
    });
    this.ack = h("input#emit-ack", { type: "checkbox" });
    this.ackTimeout = h("input#emit-ack-timeout", { type: "number", min: "0.1", max: "300", step: "0.1", value: "5", inputmode: "decimal", "aria-label": "Ack timeout in seconds", dataset: { field: "ack_timeout" } });
    this.ack.addEventListener("change", () => { this.ackTimeout.disabled = !this.ack.checked; });
    this.ackTimeout.disabled = true;
    this.file = h("input", { type: "file", hidden: true, on: { change: () => this.addBinary() } });
    this.emitButton = h("button.btn.primary.send#emit", { type: "button", title: `Emit (${modKey()}+Enter)`, on: { click: () => this.emit() } },
      icon("send"), h("span", {}, "Emit"), h("kbd", {}, `${modKey()}↵`));
    this.chips = h("div.emit-chips", { role: "group", "aria-label": "Documented events" });
    this.docNote = h("span.emit-doc", { hidden: true });
    this.error = h("div.emit-error", { role: "alert", hidden: true });
    this.result = h("p.emit-result", { role: "status" });
    this.answering = null;
    this.answerNote = h("span");
    this.answerBar = h("div.emit-answering", { hidden: true }, this.answerNote,
      h("button.btn.small.ghost#emit-answer-cancel", { type: "button", on: { click: () => this.answerAck(null) } }, "Emit an event instead"));
    for (const input of [this.event, this.namespace]) input.addEventListener("input", () => this.check());
    this.element = h("section.composer.emit-composer", { "aria-label": "Emit composer", hidden: true },
      h("div.composer-bar", {},
        h("span.sio-chip", { "aria-hidden": "true" }, "emit"),
        h("label.sr-only", { for: "emit-event" }, "Event"), this.event, this.eventList,
        h("label.sr-only", { for: "emit-namespace" }, "Namespace"), this.namespace,
        h("label.emit-ack", { title: "Ask the server to acknowledge; an ack that does not come in time is logged" }, this.ack, " Wait for ack"),
        this.ackTimeout, h("span.unit", {}, "s"),
        this.docNote, this.chips, this.emitButton),
      this.answerBar,
      h("div.emit-args-head", {},
        h("label", { for: "emit-args" }, "Arguments ", h("span.optional", {}, "a JSON array; binary as {\"$binary\": \"<base64>\"}")),
        h("button.btn.small.ghost", { type: "button", on: { click: () => this.args.format() } }, icon("wand"), "Format"),
        h("button.btn.small.ghost#emit-binary", { type: "button", title: "Add a file as a binary argument", on: { click: () => this.file.click() } }, icon("plus"), "Binary…"),
        this.file),
      this.args.element, this.args.error, this.error, this.result);
  }

  /** The fields as typed. */
  typed() {
    return {
      event: this.event.value.trim(), args: this.args.value, namespace: this.namespace.value.trim(),
      ack: this.ack.checked, ackTimeout: this.ackTimeout.value, answering: Boolean(this.answering),
    };
  }

  /** Marks what cannot be emitted as typed; true when it can. `place`: put the caret where the
   * arguments break (on Emit; while typing, the caret stays where it is). */
  check({ place = false } = {}) {
    this.error.hidden = true;
    const problems = emitProblems(this.typed());
    showFieldErrors(this.element, Object.fromEntries(Object.entries(problems).filter(([field]) => field !== "args")));
    if (problems.args && place) this.args.showError(problems.args);
    else if (problems.args) this.markArgs(problems.args[0]);
    else this.args.clearError();
    this.updateDocNote();
    return !Object.keys(problems).length;
  }

  /** What is typed, as a documented event's fields ("Add the composer's message"). */
  asMessage() {
    return { format: "json", body: this.args.value.trim() || "[]", event: this.event.value.trim() };
  }

  /** The arguments' problem shown under them and its line marked, the caret left alone. */
  markArgs(problem) {
    const { area, error } = this.args;
    error.replaceChildren(problem);
    error.hidden = false;
    area.setAttribute("aria-invalid", "true");
    area.setAttribute("aria-errormessage", error.id);
    const place = placeIn(problem);
    this.args.markLine(place ? place.line : 0);
  }

  focus() {
    this.event.focus();
  }

  setOpen(open) {
    this.open = open;
    this.emitButton.disabled = !open;
    this.chips.querySelectorAll(".chip-send").forEach((button) => { button.disabled = !open; });
  }

  /** Puts a documented event's example (its first unless named) in the composer. */
  use(message, example = (message.examples || [])[0]) {
    this.event.value = message.event || message.name;
    this.args.replaceAll(example ? example.body : "[]");
    const saved = example ? this.savedExample(message, example) : null;
    this.documented = saved ? { id: saved.id, name: message.name, example: example.name, event: this.event.value, body: example.body } : null;
    this.check();
    this.args.area.focus();
  }

  /** Emits a documented event's example: by id when saved as shown, else as typed there. */
  sendExample(message, example = (message.examples || [])[0]) {
    const saved = example ? this.savedExample(message, example) : null;
    if (saved) return this.send({ message_id: saved.id, example: saved.example, ...this.options() }, message.event || message.name);
    const body = example ? example.body : "[]";
    const problem = jsonProblem(body);
    if (problem || !Array.isArray(JSON.parse(body))) {
      this.showError(`Example "${example ? example.name : ""}" of ${message.name} is not a JSON array of arguments.`);
      return null;
    }
    return this.send({ event: message.event || message.name, args: JSON.parse(body), ...this.options() }, message.event || message.name);
  }

  /** The documented example is here as saved: Emit names it. */
  sendsDocumented() {
    const d = this.documented;
    return Boolean(d && d.event === this.event.value.trim() && d.body === this.args.value);
  }

  updateDocNote() {
    const documented = this.sendsDocumented();
    this.docNote.hidden = !documented;
    if (documented) {
      this.docNote.textContent = `${this.documented.name} · ${this.documented.example}`;
      this.docNote.title = `Emitted as the documented event "${this.documented.name}" (example "${this.documented.example}"). Edit it to emit it as typed.`;
    }
  }

  options() {
    const { namespace, ack, ackTimeout } = this.typed();
    const options = { ack };
    if (ack) options.ack_timeout = Number(ackTimeout);
    if (namespace) options.namespace = namespace;
    return options;
  }

  /** Answer the server's event `entry` (its info.sio asks for an ack): the arguments typed go
   * back as that ack. null: back to emitting events. */
  answerAck(entry) {
    const sio = entry && entry.info && entry.info.sio;
    this.answering = sio ? { ackId: sio.ack_id, event: sio.event, namespace: sio.namespace || "/" } : null;
    this.answerBar.hidden = !this.answering;
    for (const control of [this.event, this.ack]) control.disabled = Boolean(this.answering);
    this.ackTimeout.disabled = Boolean(this.answering) || !this.ack.checked;
    this.emitButton.querySelector("span").textContent = this.answering ? "Answer" : "Emit";
    if (this.answering) {
      this.answerNote.textContent = `Answering ack ${sio.ack_id} of "${sio.event}" (#${entry.seq}${sio.namespace && sio.namespace !== "/" ? `, ${sio.namespace}` : ""}): the arguments below go back as its ack.`;
      this.namespace.value = sio.namespace && sio.namespace !== "/" ? sio.namespace : "";
      this.args.area.focus();
      this.check();
    } else {
      // Back to events: nothing typed yet is wrong.
      showFieldErrors(this.element, {});
      this.args.clearError();
    }
  }

  emit() {
    if (!this.check({ place: true })) {
      const first = this.element.querySelector("[aria-invalid=true]");
      if (first) first.focus();
      return null;
    }
    const { event, args } = this.typed();
    if (this.answering) {
      const { ackId, namespace } = this.answering;
      return this.send({ answer: ackId, args: JSON.parse(args.trim() ? args : "[]"), namespace }, `ack ${ackId}`)
        .then((ok) => { if (ok) this.answerAck(null); });
    }
    if (this.sendsDocumented()) return this.send({ message_id: this.documented.id, example: this.documented.example, ...this.options() }, event);
    return this.send({ event, args: JSON.parse(args.trim() ? args : "[]"), ...this.options() }, event);
  }

  /** Emits `what` through `onEmit`; `name`: the event, for the line saying what went. */
  async send(what, name) {
    this.error.hidden = true;
    if (!this.open) {
      this.showError("Connect first: events go through the open connection.");
      return false;
    }
    this.emitButton.disabled = true;
    try {
      const answer = await this.onEmit(what);
      const waits = what.answer === undefined && answer.ack_id !== null && answer.ack_id !== undefined;
      this.waiting = waits ? { seq: answer.seq, name } : null;
      this.result.textContent = `${what.answer !== undefined ? "Answered" : "Emitted"} ${name} · #${answer.seq}${waits ? ` · waiting for ack ${answer.ack_id}` : ""}`;
      // Its ack may be in the log already: it can ride in the batch that acknowledged the emit.
      this.settleWaiting();
      if (answer.warning) toast(answer.warning, "warning", 8000);
      return true;
    } catch (error) {
      this.showError(error);
      return false;
    } finally {
      this.emitButton.disabled = !this.open;
    }
  }

  /** New log entries: acks and ack timeouts are kept (the latest 64, by the emit they answer)
      for the last emit that waits for one, whether they come before its answer or after. */
  onEvents(events) {
    for (const entry of events) {
      const sio = entry.info && entry.info.sio;
      if (sio && sio.type === "ack" && sio.ack_of) this.answers.set(sio.ack_of, entry);
      else if (entry.kind === "error" && entry.info && entry.info.kind === "ack_timeout") this.answers.set(entry.info.seq, entry);
      else continue;
      if (this.answers.size > 64) this.answers.delete(this.answers.keys().next().value);
    }
    this.settleWaiting();
  }

  settleWaiting() {
    const entry = this.waiting && this.answers.get(this.waiting.seq);
    if (!entry) return;
    this.result.textContent = entry.kind !== "error" ? `Emitted ${this.waiting.name} · #${this.waiting.seq} · acknowledged (#${entry.seq})`
      : `Emitted ${this.waiting.name} · #${this.waiting.seq} · no ack within ${entry.info.timeout} s`;
    this.waiting = null;
  }

  showError(error) {
    const fields = (error && error.fields) || {};
    const placed = showFieldErrors(this.element, Object.fromEntries(Object.entries(fields).filter(([field]) => field !== "args")));
    if (fields.args) this.args.showError(fields.args);
    this.error.textContent = typeof error === "string" ? error : placed.length ? placed[0] : describeError(error);
    this.error.hidden = false;
  }

  async addBinary() {
    const file = this.file.files[0];
    this.file.value = "";
    if (!file) return;
    const text = this.args.value.trim() || "[]";
    if (jsonProblem(text) || !Array.isArray(JSON.parse(text))) {
      this.check();
      return;
    }
    const args = JSON.parse(text);
    args.push({ $binary: toBase64(await file.arrayBuffer()) });
    this.args.replaceAll(JSON.stringify(args, null, 2));
    this.check();
    toast(`Added ${file.name} as binary argument ${args.length}.`);
  }

  /** Chips for the documented send events: put in the composer, or emit at once. */
  renderChips(messages) {
    const sendable = (messages || []).filter((message) => (message.direction || "send") === "send" && message.name);
    this.eventList.replaceChildren(...[...new Set(sendable.map((m) => m.event || m.name))].map((name) => h("option", { value: name })));
    this.chips.replaceChildren(...sendable.slice(0, 12).map((message) => {
      const examples = message.examples || [];
      const pick = examples.length > 1 ? h("button.chip-pick", {
        type: "button",
        "aria-label": `Examples of ${message.name}`,
        "aria-haspopup": "menu",
        "aria-expanded": "false",
        on: {
          click: (event) => openMenu(event.currentTarget, examples.flatMap((example) => [
            { label: `Use "${example.name}"`, run: () => this.use(message, example) },
            { label: `Emit "${example.name}"`, run: () => this.sendExample(message, example), disabled: !this.open },
          ])),
        },
      }, icon("chevron")) : null;
      return h("span.chip-msg", {},
        h("button.chip-use", { type: "button", title: `Put "${message.name}" in the composer`, on: { click: () => this.use(message) } },
          h("span.chip-fmt", {}, message.event || message.name), message.name),
        pick,
        h("button.chip-send", { type: "button", disabled: !this.open, "aria-label": `Emit ${message.name} now`, on: { click: () => this.sendExample(message) } }, icon("send")));
    }));
  }
}
