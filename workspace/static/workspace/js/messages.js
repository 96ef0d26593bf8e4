/* The Messages tab: the endpoint's documented messages (docs/contracts.md), what the client
   sends and what the server sends back, grouped by direction in list order (the order match
   rules are tried in). A card edits one message: name, direction, format, Markdown description,
   match rule, reply_to, JSON Schema (typed, a project schema picked, or generated from an
   example) and its examples, each one click from the composer (Use) or the connection (Send).
   A Socket.IO endpoint's message is an event instead: its name, the arguments schema (of the
   arguments array), examples as argument arrays and the ack schema; no format or match rule.
   Edits go into the editor's draft; saving the endpoint keeps them. Viewers read, use and send. */
import { get } from "./api.js";
import { clone, h, icon, toast } from "./dom.js";
import { boot, base } from "./boot.js";
import { FORMAT_LABELS } from "./composer.js";
import { isSocketIO } from "./endpoint-fields.js";
import { clearError, fillSchemaPicker, jsonProblem, matchEditor, matchSummary, schemaEditor } from "./message-parts.js";

const DIRECTIONS = [["send", "Send", "What the client sends to the server."], ["receive", "Receive", "What the server sends to the client."]];
const MESSAGE_FIELDS = ["id", "name", "direction", "format", "description", "schema", "examples", "reply_to", "match", "event", "ack_schema"];

/** A documented message with only the fields the API takes (no `body`, which it derives). */
export function messageFields(message) {
  const fields = {};
  for (const key of MESSAGE_FIELDS) if (message[key] !== undefined) fields[key] = message[key];
  return fields;
}

function uniqueName(wanted, taken) {
  const names = new Set(taken);
  if (!names.has(wanted)) return wanted;
  let number = 2;
  while (names.has(`${wanted} ${number}`)) number += 1;
  return `${wanted} ${number}`;
}

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

export class DocumentedMessages {
  /** editor: the EndpointEditor; onUse(message, example); onSend(message, example);
   * composerMessage(): {format, body}, and `event` for the emit composer's. */
  constructor({ editor, onUse, onSend, composerMessage }) {
    Object.assign(this, { editor, onUse, onSend, composerMessage });
    this.canWrite = boot.can_write;
    this.open = false;
    this.expanded = [];
    // What was typed where the draft holds parsed JSON (a schema, a match value), per message
    // object: kept as typed, and while it does not parse (the draft keeps the last good value).
    this.typed = { schema: new WeakMap(), ack_schema: new WeakMap() };
    this.valueText = new WeakMap();
    this.schemas = [];
    this.list = h("div.msg-groups", { dataset: { field: "messages" }, tabindex: "-1" });
    this.strict = h("input#msg-strict", { type: "checkbox", dataset: { field: "strict" }, disabled: !this.canWrite });
    this.strict.addEventListener("change", () => editor.set("strict", this.strict.checked));
    const strictRow = editor.isEndpoint ? h("div.msg-strict", {},
      this.strict,
      h("label", { for: "msg-strict" }, "Strict"),
      h("span.panel-hint", {}, "Refuse a send whose body violates its message's schema (nothing is sent). Off: it is sent, with a warning.")) : null;
    const add = (direction, label) => h("button.btn.small", {
      type: "button",
      hidden: !this.canWrite,
      on: { click: () => this.add(direction) },
    }, icon("plus"), label);
    const fromComposer = h("button.btn.small.ghost", {
      type: "button",
      hidden: !this.canWrite,
      on: {
        click: () => {
          const { format, body, event } = this.composerMessage();
          this.add("send", { format, examples: [{ name: "Example", body }], ...(event ? { event } : {}) });
          toast("Added the composer's message as a send message. Save to keep it.");
        },
      },
    }, "Add the composer's message");
    this.element = [
      h("div.msg-top", {},
        h("p.panel-hint", {}, "Document what goes over the connection. Sessions check every frame against these: the first message of its direction whose match rule fits names it."),
        strictRow),
      this.list,
      h("div.panel-actions", {}, add("send", "Add send message"), add("receive", "Add receive message"), fromComposer),
    ];
    this.loadSchemas();
  }

  get messages() {
    return this.editor.draft.messages;
  }

  /** A Socket.IO endpoint documents events (see the module's comment). */
  get sio() {
    return isSocketIO(this.editor.draft);
  }

  /** The project's schemas, for the pickers (again when a teammate changes them). */
  async loadSchemas() {
    try {
      this.schemas = (await get(`${base}/schemas/`)).map((schema) => schema.name);
    } catch (error) {
      this.schemas = [];
    }
    this.list.querySelectorAll("select.msg-schema-pick").forEach((select) => fillSchemaPicker(select, this.schemas));
  }

  fill(draft) {
    this.strict.checked = Boolean(draft.strict);
    this.render();
  }

  /** Send buttons work only while the connection is open. */
  setOpen(open) {
    this.open = open;
    this.list.querySelectorAll("[data-send-example]").forEach((button) => { button.disabled = !open; });
  }

  changed() {
    this.editor.set("messages", this.messages);
  }

  /** A structural change (add, remove, move, a field that shows or hides others): redrawn. */
  restructure(focus) {
    this.changed();
    this.render();
    if (focus) {
      const target = this.list.querySelector(focus);
      if (target) target.focus();
    }
  }

  add(direction, extra = {}) {
    const messages = this.messages;
    const name = uniqueName(direction === "send" ? "New message" : "New reply", messages.map((m) => m.name));
    const events = this.sio ? { event: "", ack_schema: null } : {};
    messages.push({
      name, direction, format: "json", description: "", schema: null,
      examples: [{ name: "Example", body: this.sio ? "[]" : "{}" }], reply_to: "", match: { kind: "any" }, ...events, ...extra,
    });
    this.expanded[messages.length - 1] = true;
    this.restructure(`[data-field="messages[${messages.length - 1}].name"]`);
    const input = this.list.querySelector(`[data-field="messages[${messages.length - 1}].name"]`);
    if (input) input.select();
  }

  duplicate(index) {
    const messages = this.messages;
    const copy = clone(messageFields(messages[index]));
    delete copy.id;
    copy.name = uniqueName(`${copy.name} copy`, messages.map((m) => m.name));
    messages.splice(index + 1, 0, copy);
    this.expanded.splice(index + 1, 0, true);
    this.restructure(`[data-field="messages[${index + 1}].name"]`);
  }

  remove(index) {
    const [gone] = this.messages.splice(index, 1);
    this.expanded.splice(index, 1);
    const next = Math.min(index, this.messages.length - 1);
    this.restructure(next >= 0 ? `[data-toggle="${next}"]` : null);
    toast(`Removed "${gone.name}". Save to keep the change.`);
  }

  /** Moves a message before (-1) or after (+1) the next one of its direction. */
  move(index, step) {
    const messages = this.messages;
    const direction = messages[index].direction;
    let other = index + step;
    while (other >= 0 && other < messages.length && messages[other].direction !== direction) other += step;
    if (other < 0 || other >= messages.length) return;
    const [message] = messages.splice(index, 1);
    messages.splice(other, 0, message);
    const [open] = this.expanded.splice(index, 1);
    this.expanded.splice(other, 0, open);
    this.restructure();
    const button = this.list.querySelector(`[data-move="${step < 0 ? "up" : "down"}"][data-index="${other}"]`);
    const fallback = this.list.querySelector(`[data-move="${step < 0 ? "down" : "up"}"][data-index="${other}"]`);
    if (button && !button.disabled) button.focus();
    else if (fallback) fallback.focus();
  }

  /** Opens the cards an error names (`messages[2].examples[0].body`). */
  reveal(paths) {
    let opened = false;
    for (const path of paths) {
      const found = path.match(/^messages\[(\d+)\]/);
      if (found && !this.expanded[Number(found[1])]) {
        this.expanded[Number(found[1])] = true;
        opened = true;
      }
    }
    if (opened) this.render();
  }

  /** What cannot be sent to the API as typed ({path: problem}): JSON that does not parse. */
  localProblems() {
    const problems = {};
    this.messages.forEach((message, index) => {
      for (const key of ["schema", "ack_schema"]) {
        const schema = this.typed[key].get(message);
        if (message.format === "json" && schema !== undefined && schema.trim()) {
          const problem = jsonProblem(schema);
          if (problem) problems[`messages[${index}].${key}`] = [problem];
        }
      }
      const value = this.valueText.get(message);
      if (message.match && message.match.kind === "path" && value !== undefined && value.trim()) {
        const problem = jsonProblem(value);
        if (problem) problems[`messages[${index}].match.value`] = [`${problem}. Text goes in quotes: "trade".`];
      }
    });
    return problems;
  }

  render() {
    const messages = this.messages || [];
    this.expanded.length = messages.length;
    const groups = DIRECTIONS.map(([direction, title, hint]) => {
      const cards = [];
      messages.forEach((message, index) => {
        if ((message.direction || "send") === direction) cards.push(this.card(message, index));
      });
      return h(`section.msg-group.dir-${direction}`, { "aria-label": `${title} messages` },
        h("h3.msg-group-title", {}, title, h("span.muted", {}, ` · ${hint}`)),
        cards.length ? cards : h("p.muted.msg-empty", {}, direction === "send" ? "No send messages." : "No receive messages."));
    });
    this.list.replaceChildren(...groups);
  }

  card(message, index) {
    const number = index + 1;
    const expanded = Boolean(this.expanded[index]);
    const bodyId = `msg-body-${index}`;
    const sameDirection = this.messages.map((m, i) => [m, i]).filter(([m]) => m.direction === message.direction).map(([, i]) => i);
    const place = sameDirection.indexOf(index);
    const title = h("span.msg-title", {}, message.name || "(no name)");
    const summary = h("span.msg-summary", {});
    const renderSummary = () => {
      title.textContent = message.name || "(no name)";
      summary.replaceChildren(...[
        h(`span.dir-badge.dir-${message.direction}`, {}, message.direction === "receive" ? "receive" : "send"),
        ...(this.sio ? [h("code.msg-event", { title: "Socket.IO event" }, message.event || message.name),
          message.ack_schema ? h("span.chip-fmt", { title: "An acknowledgement is documented" }, "ack") : null] : [
          h("span.chip-fmt", {}, FORMAT_LABELS[message.format] || message.format),
          h("code.msg-rule", { title: "Match rule" }, matchSummary(message.match))]),
        h("span.muted", {}, plural((message.examples || []).length, "example")),
        message.direction === "receive" && message.reply_to ? h("span.muted", { title: "Replies to" }, `↩ ${message.reply_to}`) : null,
      ].filter(Boolean));
    };
    renderSummary();
    const toggle = h("button.msg-toggle", {
      type: "button",
      "aria-expanded": String(expanded),
      "aria-controls": bodyId,
      "aria-label": `Message ${number}: ${message.name || "no name"}`,
      dataset: { toggle: index },
      on: {
        click: () => {
          this.expanded[index] = !this.expanded[index];
          toggle.setAttribute("aria-expanded", String(this.expanded[index]));
          body.hidden = !this.expanded[index];
        },
      },
    }, icon("chevron"), title);
    const tool = (name, label, run, disabled = false) => h("button.icon-btn", {
      type: "button",
      "aria-label": `${label} message ${number} (${message.name})`,
      title: label,
      disabled,
      dataset: name === "up" || name === "down" ? { move: name, index } : { index },
      on: { click: run },
    }, icon(name));
    const tools = this.canWrite ? h("span.msg-tools", {},
      tool("up", "Move up", () => this.move(index, -1), place === 0),
      tool("down", "Move down", () => this.move(index, 1), place === sameDirection.length - 1),
      tool("copy", "Duplicate", () => this.duplicate(index)),
      tool("trash", "Remove", () => this.remove(index))) : null;
    const body = h("div.msg-body", { id: bodyId, hidden: !expanded }, this.fields(message, index, renderSummary));
    return h("article.msg-card", { dataset: { index, field: `messages[${index}]` } },
      h("div.msg-head", {}, toggle, summary, tools),
      body);
  }

  /** The form of one message; `renderSummary` redraws its collapsed line. */
  fields(message, index, renderSummary) {
    const number = index + 1;
    const path = `messages[${index}]`;
    const id = (key) => `msg-${index}-${key}`;
    const readOnly = !this.canWrite;
    const field = (key, label, control, hint) => h(`div.msg-field.f-${key}`, {},
      h("label", { for: control.id }, label), control, hint ? h("p.field-hint", {}, hint) : null);

    const name = h("input", { id: id("name"), value: message.name, readOnly, spellcheck: "false", "aria-label": `Message ${number} name`, dataset: { field: `${path}.name` } });
    name.addEventListener("input", () => {
      const before = message.name;
      message.name = name.value;
      if (message.direction === "send") {
        // Receive messages answering it follow the rename.
        for (const other of this.messages) if (other.direction === "receive" && other.reply_to === before && before) other.reply_to = name.value;
        this.refreshReplyOptions();
      }
      renderSummary();
      this.changed();
    });
    const direction = h("select", { id: id("direction"), disabled: readOnly, "aria-label": `Message ${number} direction`, dataset: { field: `${path}.direction` } },
      DIRECTIONS.map(([value, label]) => h("option", { value, selected: value === message.direction }, label)));
    direction.addEventListener("change", () => {
      message.direction = direction.value;
      if (message.direction === "send") message.reply_to = "";
      this.restructure(`[data-field="${path}.direction"]`);
    });
    const format = h("select", { id: id("format"), disabled: readOnly, "aria-label": `Message ${number} format`, dataset: { field: `${path}.format` } },
      Object.entries(FORMAT_LABELS).map(([value, label]) => h("option", { value, selected: value === message.format }, label)));
    format.addEventListener("change", () => {
      message.format = format.value;
      // Only JSON messages have a schema; what was typed comes back with JSON.
      const typed = this.typed.schema.get(message);
      if (message.format !== "json") {
        if (message.schema !== null && typed === undefined) this.typed.schema.set(message, JSON.stringify(message.schema, null, 2));
        message.schema = null;
      } else if (typed && !jsonProblem(typed)) {
        message.schema = JSON.parse(typed);
      }
      this.restructure(`[data-field="${path}.format"]`);
    });
    const event = h("input.mono", { id: id("event"), value: message.event || "", readOnly, spellcheck: "false", placeholder: message.name, "aria-label": `Message ${number} event name`, dataset: { field: `${path}.event` } });
    event.addEventListener("input", () => {
      clearError(event);
      message.event = event.value;
      renderSummary();
      this.changed();
    });
    name.addEventListener("input", () => { event.placeholder = name.value; });
    const row = [field("name", "Name", name), field("direction", "Direction", direction),
      this.sio ? field("event", "Event", event) : field("format", "Format", format)];
    if (message.direction === "receive") {
      const reply = h("select.msg-reply", { id: id("reply"), disabled: readOnly, "aria-label": `Message ${number} replies to`, dataset: { field: `${path}.reply_to`, index } });
      this.fillReplyOptions(reply, message);
      reply.addEventListener("change", () => {
        message.reply_to = reply.value;
        renderSummary();
        this.changed();
      });
      row.push(field("reply", "Reply to", reply));
    }
    const description = h("textarea", { id: id("description"), rows: "2", readOnly, placeholder: "What it is for, in Markdown", "aria-label": `Message ${number} description`, dataset: { field: `${path}.description` } });
    description.value = message.description || "";
    description.addEventListener("input", () => {
      message.description = description.value;
      this.changed();
    });
    return [
      h("div.msg-row", {}, row),
      field("description", "Description", description),
      this.sio ? null : matchEditor(this, message, index, renderSummary),
      message.format === "json" ? schemaEditor(this, message, index, this.sio ? "arguments" : "schema") : null,
      this.examplesEditor(message, index, renderSummary),
      this.sio ? schemaEditor(this, message, index, "ack") : null,
    ];
  }

  fillReplyOptions(select, message) {
    const names = this.messages.filter((m) => m.direction === "send" && m.name).map((m) => m.name);
    if (message.reply_to && !names.includes(message.reply_to)) names.push(message.reply_to);
    select.replaceChildren(h("option", { value: "" }, "Nothing (not a reply)"), ...names.map((n) => h("option", { value: n }, n)));
    select.value = message.reply_to || "";
  }

  refreshReplyOptions() {
    this.list.querySelectorAll("select.msg-reply").forEach((select) => this.fillReplyOptions(select, this.messages[Number(select.dataset.index)]));
  }

  examplesEditor(message, index, renderSummary) {
    const number = index + 1;
    const path = `messages[${index}].examples`;
    const readOnly = !this.canWrite;
    const examples = message.examples || (message.examples = []);
    const items = examples.map((example, j) => {
      const label = `Message ${number} example ${j + 1}`;
      const name = h("input.msg-example-name", { value: example.name, readOnly, spellcheck: "false", "aria-label": `${label} name`, dataset: { field: `${path}[${j}].name` } });
      name.addEventListener("input", () => {
        example.name = name.value;
        this.changed();
      });
      const body = h("textarea.mono", { rows: "3", readOnly, spellcheck: "false", "aria-label": `${label} body`, placeholder: this.sio ? "[\"hello\", {\"room\": 1}]" : null, dataset: { field: `${path}[${j}].body` } });
      body.value = example.body;
      body.addEventListener("input", () => {
        clearError(body);
        example.body = body.value;
        this.changed();
      });
      const use = h("button.btn.small", { type: "button", title: "Put it in the composer", "aria-label": `Use ${label} (${example.name})`, on: { click: () => this.onUse(message, example) } }, "Use");
      const send = h("button.btn.small", {
        type: "button",
        disabled: !this.open,
        title: this.sio ? "Emit it now, checked as this event" : "Send it now, checked as this message",
        "aria-label": `Send ${label} (${example.name})`,
        dataset: { sendExample: `${index}.${j}` },
        on: { click: () => this.onSend(message, example) },
      }, icon("send"), this.sio ? "Emit" : "Send");
      const remove = this.canWrite && examples.length > 1 ? h("button.icon-btn", {
        type: "button",
        "aria-label": `Remove ${label} (${example.name})`,
        title: "Remove example",
        on: {
          click: () => {
            examples.splice(j, 1);
            this.restructure(`[data-field="${path}[${Math.max(0, j - 1)}].body"]`);
          },
        },
      }, icon("x")) : null;
      return h("div.msg-example", { dataset: { field: `${path}[${j}]` } },
        h("div.msg-example-head", {}, name, j === 0 ? h("span.pill.msg-default", { title: "What Send and the composer's chip send unless another is chosen" }, "default") : null, use, send, remove),
        body);
    });
    const add = this.canWrite ? h("button.btn.small.ghost", {
      type: "button",
      on: {
        click: () => {
          const last = examples[examples.length - 1];
          examples.push({ name: uniqueName("Example", examples.map((e) => e.name)), body: last ? last.body : "" });
          renderSummary();
          this.restructure(`[data-field="${path}[${examples.length - 1}].name"]`);
        },
      },
    }, icon("plus"), "Add example") : null;
    return h("div.msg-field.msg-examples", {},
      h("div.msg-sub-head", {}, h("span.msg-sub-title", {}, "Examples"), h("span.muted", {}, this.sio ? "Each is the event's arguments as a JSON array; the first is the default." : "The first is the default.")),
      h("div.msg-example-list", { dataset: { field: path }, tabindex: "-1" }, items),
      add);
  }
}
