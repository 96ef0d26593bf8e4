/* The composer under the request: a message's format and body, Format (pretty-print), chips for
   the endpoint's documented send messages, and Send. It starts in Text; an endpoint's composer
   starts in the format last used with it, and a request saved as an endpoint hands its composer
   over to the new endpoint's view. A documented example put here and sent unchanged goes as
   that message (`{message_id, example}`), so the server checks it as that message. Sending
   itself is the caller's (`onSend(what)`); its answer's contract warning, or a strict
   endpoint's refusal, is shown here. */
import { api, describeError } from "./api.js";
import { h, icon, modKey, toast } from "./dom.js";
import { openMenu } from "./ui.js";
import { projectId } from "./boot.js";

export const FORMAT_LABELS = { text: "Text", json: "JSON", xml: "XML", html: "HTML", base64: "Base64", hex: "Hex" };
const PRETTY = new Set(["json", "xml", "html"]);
const PLACEHOLDERS = {
  text: "Plain text", json: "{\"op\": \"subscribe\", \"channel\": \"ticker\"}", xml: "<subscribe channel=\"ticker\"/>",
  html: "<p>Hello</p>", base64: "AAECAw== (sent as a binary frame)", hex: "de ad be ef (sent as a binary frame)",
};

function formatKey(endpointId) {
  return `sb.format.${projectId}.${endpointId}`;
}

/** What a composer held when its request was saved as an endpoint, kept for that endpoint's view
 * (the page shows it next). main.js makes one for the page. */
export class ComposerHandover {
  constructor() {
    this.held = null;
  }

  put(endpointId, format, body) {
    this.held = { endpointId, format, body };
  }

  /** What was left for `endpointId`, once; null when nothing was. */
  take(endpointId) {
    const held = this.held;
    if (!held || held.endpointId !== endpointId) return null;
    this.held = null;
    return held;
  }
}

export class Composer {
  /** endpointId: null for a blank request; handover: the page's ComposerHandover;
   * onSend(what): what is {format, body} or {message_id, example}, resolves with the answer;
   * savedExample(message, example): {id, example} when that example is saved as shown, else null. */
  constructor({ endpointId, handover, onSend, savedExample }) {
    this.endpointId = endpointId;
    this.handover = handover;
    this.onSend = onSend;
    this.savedExample = savedExample;
    this.open = false;
    // The documented example last put here ({id, example, name}); it is what Send sends while
    // the composer holds it as saved (checked at every change: a save may change it too).
    this.documented = null;
    this.format = h("select#composer-format", { "aria-label": "Message format" },
      Object.entries(FORMAT_LABELS).map(([value, label]) => h("option", { value }, label)));
    this.formatButton = h("button.btn.small.ghost#format-body", { type: "button", title: "Pretty-print JSON, XML or HTML", on: { click: () => this.formatBody() } }, icon("wand"), "Format");
    this.format.addEventListener("change", () => {
      this.rememberFormat();
      this.update();
    });
    this.docNote = h("span.composer-doc", { hidden: true });
    this.body = h("textarea#composer.mono", {
      rows: "4",
      spellcheck: "false",
      "aria-label": "Message to send",
      "aria-keyshortcuts": "Control+Enter Meta+Enter",
    });
    const remembered = endpointId ? localStorage.getItem(formatKey(endpointId)) : null;
    this.format.value = FORMAT_LABELS[remembered] ? remembered : "text";
    const carried = handover.take(endpointId);
    if (carried) {
      this.format.value = carried.format;
      this.body.value = carried.body;
    }
    this.body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.send();
      }
    });
    this.body.addEventListener("input", () => {
      this.error.hidden = true;
      this.update();
    });
    this.sendButton = h("button.btn.primary.send#send", { type: "button", on: { click: () => this.send() }, title: `Send (${modKey()}+Enter)` },
      icon("send"), h("span", {}, "Send"), h("kbd", {}, `${modKey()}↵`));
    this.chips = h("div.saved-chips", { role: "group", "aria-label": "Documented messages" });
    this.error = h("div.composer-error", { role: "alert", hidden: true });
    this.element = h("section.composer", { "aria-label": "Composer" },
      h("div.composer-bar", {},
        h("label.sr-only", { for: "composer-format" }, "Format"),
        this.format, this.formatButton, this.docNote, this.chips, this.sendButton),
      this.body,
      this.error);
    this.update();
  }

  /** The format last used with an endpoint is where its composer starts next time. */
  rememberFormat() {
    if (this.endpointId) localStorage.setItem(formatKey(this.endpointId), this.format.value);
  }

  /** The request is being saved as endpoint `endpointId`: its view's composer starts as this one. */
  handOver(endpointId) {
    localStorage.setItem(formatKey(endpointId), this.format.value);
    this.handover.put(endpointId, this.format.value, this.body.value);
  }

  update() {
    this.formatButton.disabled = !PRETTY.has(this.format.value);
    this.body.placeholder = PLACEHOLDERS[this.format.value];
    const documented = this.sendsDocumented();
    this.docNote.hidden = !documented;
    if (documented) {
      const { name, example } = this.documented;
      this.docNote.textContent = `${name} · ${example}`;
      this.docNote.title = `Sent as the documented message "${name}" (example "${example}"), checked as that message. Edit the body to send it as typed.`;
    }
  }

  /** The documented example is here as saved: Send names it instead of sending the text. */
  sendsDocumented() {
    const d = this.documented;
    return Boolean(d && this.savedExample({ id: d.id, format: this.format.value }, { name: d.example, body: this.body.value }));
  }

  focus() {
    this.body.focus();
  }

  /** Send buttons work only while the connection is open. */
  setOpen(open) {
    this.open = open;
    this.sendButton.disabled = !open;
    this.chips.querySelectorAll(".chip-send").forEach((button) => { button.disabled = !open; });
  }

  /** Puts a documented message's example (its first unless named) in the composer. */
  use(message, example = (message.examples || [])[0]) {
    const body = example ? example.body : (message.body || "");
    this.format.value = message.format;
    this.rememberFormat();
    this.body.value = body;
    const saved = example ? this.savedExample(message, example) : null;
    this.documented = saved ? { ...saved, name: message.name } : null;
    this.update();
    this.error.hidden = true;
    this.body.focus();
  }

  /** Sends a documented message's example: by id when it is saved as shown, else as typed. */
  sendExample(message, example = (message.examples || [])[0]) {
    const saved = example ? this.savedExample(message, example) : null;
    if (saved) return this.sendMessage({ message_id: saved.id, example: saved.example });
    return this.sendMessage({ format: message.format, body: example ? example.body : "" });
  }

  /** Chips for the documented send messages: put in the composer, or send at once; a message
   * with several examples has a menu to pick one. Called whenever the messages change (edited,
   * saved, reloaded), so the documented tag beside Format is brought up to date too. */
  renderChips(messages) {
    const sendable = (messages || []).filter((message) => (message.direction || "send") === "send" && message.name);
    this.chips.replaceChildren(...sendable.slice(0, 12).map((message) => {
      const examples = message.examples || [];
      const pick = examples.length > 1 ? h("button.chip-pick", {
        type: "button",
        "aria-label": `Examples of ${message.name}`,
        "aria-haspopup": "menu",
        "aria-expanded": "false",
        title: `Pick one of the ${examples.length} examples of "${message.name}"`,
        on: {
          click: (event) => openMenu(event.currentTarget, examples.flatMap((example) => [
            { label: `Use "${example.name}"`, run: () => this.use(message, example) },
            { label: `Send "${example.name}"`, run: () => this.sendExample(message, example), disabled: !this.open },
          ])),
        },
      }, icon("chevron")) : null;
      return h("span.chip-msg", {},
        h("button.chip-use", { type: "button", title: `Put "${message.name}" in the composer`, on: { click: () => this.use(message) } },
          h("span.chip-fmt", {}, FORMAT_LABELS[message.format] || message.format), message.name),
        pick,
        h("button.chip-send", {
          type: "button",
          disabled: !this.open,
          "aria-label": `Send ${message.name} now`,
          title: `Send "${message.name}" now${examples.length > 1 ? ` (example "${examples[0].name}")` : ""}`,
          on: { click: () => this.sendExample(message) },
        }, icon("send")));
    }));
    this.update();
  }

  showError(error) {
    if (error && error.code === "contract_violation") {
      // A strict endpoint refused it: say which message and where the body is wrong.
      const problems = Object.entries(error.fields || {});
      this.error.replaceChildren(h("strong", {}, "Not sent. "), error.detail);
      if (problems.length) {
        this.error.append(h("ul.problems", {}, problems.map(([path, reasons]) => h("li", {},
          h("code", {}, path === "body" ? "(whole body)" : path), " ", [].concat(reasons).join(" ")))));
      }
    } else {
      const fields = (error && error.fields) || {};
      this.error.textContent = typeof error === "string" ? error : fields.body ? [].concat(fields.body)[0] : describeError(error);
    }
    this.error.hidden = false;
  }

  /** A send that went out although it violates its message's schema: a warning that does not
   * stop anything, with the first problems. */
  warn(answer) {
    if (!answer || !answer.warning) return;
    const problems = (answer.problems || []).slice(0, 3);
    toast([
      h("strong", {}, answer.warning),
      problems.length > 1 ? h("ul.problems", {}, problems.map((p) => h("li", {}, h("code", {}, p.path || "(whole body)"), " ", p.reason))) : null,
    ], "warning", 8000);
  }

  /** Sends `what` ({format, body} or {message_id, example}) through `onSend`, with Send
   * disabled meanwhile; errors are shown here, a contract warning as a toast. */
  async sendMessage(what) {
    this.error.hidden = true;
    if (!this.open) {
      this.showError("Connect first: messages go through the open connection.");
      return;
    }
    this.sendButton.disabled = true;
    try {
      this.warn(await this.onSend(what));
    } catch (error) {
      this.showError(error);
    } finally {
      this.sendButton.disabled = !this.open;
    }
  }

  send() {
    if (this.sendsDocumented()) return this.sendMessage({ message_id: this.documented.id, example: this.documented.example });
    return this.sendMessage({ format: this.format.value, body: this.body.value });
  }

  async formatBody() {
    const format = this.format.value;
    if (!PRETTY.has(format)) return;
    this.error.hidden = true;
    try {
      const result = await api("POST", "/api/v1/sessions/format/", { body: { format, body: this.body.value } });
      this.body.value = result.formatted;
      this.update();
    } catch (error) {
      this.showError(error);
    }
  }
}
