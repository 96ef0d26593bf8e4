/* The composer under the request: a message's format and body, Format (pretty-print), chips for
   the saved messages, and Send. It starts in Text; an endpoint's composer starts in the format
   last used with it, and a request saved as an endpoint hands its composer over to the new
   endpoint's view. Sending itself is the caller's (`onSend(format, body)`). */
import { api, describeError } from "./api.js";
import { h, icon, modKey } from "./dom.js";
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
   * onSend(format, body); onSendSaved(message). */
  constructor({ endpointId, handover, onSend, onSendSaved }) {
    this.endpointId = endpointId;
    this.handover = handover;
    this.onSend = onSend;
    this.onSendSaved = onSendSaved;
    this.open = false;
    this.format = h("select#composer-format", { "aria-label": "Message format" },
      Object.entries(FORMAT_LABELS).map(([value, label]) => h("option", { value }, label)));
    this.formatButton = h("button.btn.small.ghost#format-body", { type: "button", title: "Pretty-print JSON, XML or HTML", on: { click: () => this.formatBody() } }, icon("wand"), "Format");
    this.format.addEventListener("change", () => {
      this.rememberFormat();
      this.update();
    });
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
    this.body.addEventListener("input", () => { this.error.hidden = true; });
    this.sendButton = h("button.btn.primary.send#send", { type: "button", on: { click: () => this.send() }, title: `Send (${modKey()}+Enter)` },
      icon("send"), h("span", {}, "Send"), h("kbd", {}, `${modKey()}↵`));
    this.chips = h("div.saved-chips", { role: "group", "aria-label": "Saved messages" });
    this.error = h("p.composer-error", { role: "alert", hidden: true });
    this.element = h("section.composer", { "aria-label": "Composer" },
      h("div.composer-bar", {},
        h("label.sr-only", { for: "composer-format" }, "Format"),
        this.format, this.formatButton, this.chips, this.sendButton),
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

  use(message) {
    this.format.value = message.format;
    this.rememberFormat();
    this.body.value = message.body;
    this.update();
    this.error.hidden = true;
    this.body.focus();
  }

  renderChips(messages) {
    this.chips.replaceChildren(...(messages || []).slice(0, 12).map((message) => h("span.chip-msg", {},
      h("button.chip-use", { type: "button", title: `Put "${message.name}" in the composer`, on: { click: () => this.use(message) } },
        h("span.chip-fmt", {}, FORMAT_LABELS[message.format] || message.format), message.name),
      h("button.chip-send", {
        type: "button",
        disabled: !this.open,
        "aria-label": `Send ${message.name} now`,
        title: `Send "${message.name}" now`,
        on: { click: () => this.onSendSaved(message) },
      }, icon("send")))));
  }

  showError(error) {
    const fields = (error && error.fields) || {};
    this.error.textContent = typeof error === "string" ? error : fields.body ? [].concat(fields.body)[0] : describeError(error);
    this.error.hidden = false;
  }

  /** Sends (format, body) through `onSend`, with Send disabled meanwhile and errors shown here. */
  async sendMessage(format, body) {
    this.error.hidden = true;
    if (!this.open) {
      this.showError("Connect first: messages go through the open connection.");
      return;
    }
    this.sendButton.disabled = true;
    try {
      await this.onSend(format, body);
    } catch (error) {
      this.showError(error);
    } finally {
      this.sendButton.disabled = !this.open;
    }
  }

  send() {
    return this.sendMessage(this.format.value, this.body.value);
  }

  async formatBody() {
    const format = this.format.value;
    if (!PRETTY.has(format)) return;
    this.error.hidden = true;
    try {
      const result = await api("POST", "/api/v1/sessions/format/", { body: { format, body: this.body.value } });
      this.body.value = result.formatted;
    } catch (error) {
      this.showError(error);
    }
  }
}
