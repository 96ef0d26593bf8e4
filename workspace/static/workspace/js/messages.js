/* The Messages tab: an endpoint's saved messages (name, format, body, description), each one
   click from the composer ("Use") or from the connection ("Send"). Edits go into the editor's
   draft; saving the endpoint keeps them. */
import { clone, h, icon, toast } from "./dom.js";
import { FORMAT_LABELS } from "./composer.js";


export class SavedMessages {
  /** editor: the EndpointEditor; onUse(message); onSend(message); composerMessage(): {format, body}. */
  constructor({ editor, onUse, onSend, composerMessage }) {
    Object.assign(this, { editor, onUse, onSend, composerMessage });
    this.open = false;
    this.list = h("div.saved-list");
    const add = h("button.btn.small", {
      type: "button",
      on: {
        click: () => {
          this.append({ format: "json", body: "" });
          const inputs = this.list.querySelectorAll(".saved-name");
          if (inputs.length) inputs[inputs.length - 1].select();
        },
      },
    }, icon("plus"), "Add message");
    const fromComposer = h("button.btn.small.ghost", {
      type: "button",
      on: {
        click: () => {
          this.append(this.composerMessage());
          toast("Added the composer's message to the saved messages. Save to keep it.");
        },
      },
    }, "Add the composer's message");
    this.element = [
      h("p.panel-hint", {}, "Saved messages are examples in the docs and one click away in the composer."),
      this.list,
      h("div.panel-actions", {}, add, fromComposer),
    ];
  }

  get messages() {
    return this.editor.draft.messages;
  }

  append({ format, body }) {
    this.editor.set("messages", this.messages.concat([{ name: `Message ${this.messages.length + 1}`, format, body, description: "" }]));
    this.render();
  }

  /** Send buttons work only while the connection is open. */
  setOpen(open) {
    this.open = open;
    this.list.querySelectorAll("[data-send-saved]").forEach((button) => { button.disabled = !open; });
  }

  render() {
    const list = this.list;
    list.replaceChildren();
    if (!this.messages.length) list.append(h("p.muted", {}, "No saved messages yet."));
    this.messages.forEach((message, index) => list.append(this.card(message, index)));
  }

  card(message, index) {
    const update = (key, value) => {
      const messages = clone(this.messages);
      messages[index][key] = value;
      this.editor.set("messages", messages);
    };
    const number = index + 1;
    const name = h("input.saved-name", { value: message.name, "aria-label": `Message ${number} name`, dataset: { field: `messages[${index}].name` } });
    name.addEventListener("input", () => update("name", name.value));
    const format = h("select.saved-format", { "aria-label": `Message ${number} format`, dataset: { field: `messages[${index}].format` } },
      Object.entries(FORMAT_LABELS).map(([value, label]) => h("option", { value, selected: value === message.format }, label)));
    format.addEventListener("change", () => update("format", format.value));
    const body = h("textarea.saved-body.mono", { rows: "3", spellcheck: "false", "aria-label": `Message ${number} body`, dataset: { field: `messages[${index}].body` } });
    body.value = message.body;
    body.addEventListener("input", () => update("body", body.value));
    const description = h("input.saved-desc", { value: message.description || "", placeholder: "Description (optional)", "aria-label": `Message ${number} description`, dataset: { field: `messages[${index}].description` } });
    description.addEventListener("input", () => update("description", description.value));
    const remove = () => {
      const messages = clone(this.messages);
      messages.splice(index, 1);
      this.editor.set("messages", messages);
      this.render();
    };
    return h("div.saved-card", {},
      h("div.saved-head", {}, name, format,
        h("button.btn.small", { type: "button", on: { click: () => this.onUse(this.messages[index]) } }, "Use"),
        h("button.btn.small", { type: "button", disabled: !this.open, dataset: { sendSaved: index }, on: { click: () => this.onSend(this.messages[index]) } }, icon("send"), "Send"),
        h("button.icon-btn", { type: "button", "aria-label": `Remove message ${number} (${message.name})`, on: { click: remove } }, icon("trash"))),
      body,
      description);
  }
}
