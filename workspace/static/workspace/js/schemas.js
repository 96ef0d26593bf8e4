/* The project's schemas: reusable JSON Schemas that documented messages refer to as
   {"$ref": "#/components/schemas/<name>"}. A filterable list (and who uses each) beside the
   chosen schema's editor; new ones typed or generated from a pasted example; teammates' changes
   arrive live. Viewers read, copy and follow links; editors and admins also write. */
import { api, get, describeError } from "./api.js";
import { h, icon, toast, copyText, relativeTime, debounce, modKey } from "./dom.js";
import { confirmDialog, dialog, showFieldErrors } from "./ui.js";
import { boot, base, projectId } from "./boot.js";
import { PageView, pageHead } from "./page.js";
import { JsonText, caretAt, placeIn } from "./json-text.js";

const REF_PREFIX = "#/components/schemas/";
const STARTER = '{\n  "type": "object"\n}';
/** Errors about the schema itself, shown under the editor rather than beside an input. */
const EDITOR_FIELDS = ["schema_text", "schema"];

export const schemaRef = (name) => `{"$ref": "${REF_PREFIX}${name}"}`;
const pretty = (schema) => JSON.stringify(schema, null, 2);
const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** The project schemas `value` refers to (a $ref "#/components/schemas/<name>[/…]"). */
function referencedNames(value, found = new Set()) {
  if (Array.isArray(value)) {
    for (const item of value) referencedNames(item, found);
  } else if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (key === "$ref" && typeof inner === "string" && inner.startsWith(REF_PREFIX)) found.add(inner.slice(REF_PREFIX.length).split("/")[0]);
      else referencedNames(inner, found);
    }
  }
  return found;
}

export class SchemasView extends PageView {
  constructor(main, app) {
    super(main, app);
    this.schemas = [];
    this.selected = null; // a schema id, "new", or null
    this.current = null; // the schema the editor holds, as read or saved
    this.baseline = null; // {name, description, text} of what is saved
    this.writing = 0; // own writes on their way (their events may arrive first)
    this.reloadSoon = debounce(() => this.load().then(() => this.renderUses()).catch(() => {}), 300);
  }

  async init() {
    this.setTitle("Schemas");
    this.filter = h("input#schema-filter", { type: "search", placeholder: "Filter schemas", "aria-label": "Filter schemas", autocomplete: "off" });
    this.filter.addEventListener("input", () => this.renderList());
    this.filter.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        const first = this.listHost.querySelector(".schema-item");
        if (first) first.focus();
      }
    });
    this.summary = h("p.schema-summary.muted", { "aria-live": "polite" });
    this.listHost = h("ul.schema-list", { "aria-label": "Schemas" });
    this.listHost.addEventListener("keydown", (event) => this.listKeys(event));
    this.detail = h("section.schema-detail", { "aria-label": "Schema" });
    const add = boot.can_write ? h("button.btn.primary#schema-new", { type: "button", on: { click: () => this.choose("new") } }, icon("plus"), "New schema") : null;
    this.main.replaceChildren(h("section.page.page-wide", { "aria-labelledby": "schemas-title" },
      pageHead("schemas-title", "Schemas",
        h("p.lead", {}, "Reusable JSON Schemas (draft 2020-12) for documented messages. A message refers to one as ",
          h("code", {}, schemaRef("Name")), "; a change here applies to every message that uses it."), add),
      h("div.schemas-layout", {},
        h("nav.schema-side", { "aria-label": "Project schemas" }, this.filter, this.summary, this.listHost),
        this.detail)));
    this.listen("schemas-changed", (events) => this.onSchemaEvents(events));
    // Messages that refer to a schema live in endpoints: their changes change "used by".
    this.listen("events", (events) => {
      if (events.some((event) => event.kind.startsWith("endpoint."))) this.reloadSoon();
    });
    try {
      await this.load();
    } catch (error) {
      this.detail.replaceChildren(h("p.form-error", {}, describeError(error)));
      return true;
    }
    const wanted = Number(new URLSearchParams(location.search).get("schema"));
    const first = this.visible()[0];
    this.select(this.find(wanted) ? wanted : first ? first.id : null);
    return true;
  }

  destroy() {
    this.reloadSoon.cancel();
    super.destroy();
  }

  async load() {
    this.schemas = await get(`${base}/schemas/`);
    this.renderList();
  }

  find(id) {
    return this.schemas.find((schema) => schema.id === id) || null;
  }

  /** Who refers to schema `name`: messages (from the API) and other project schemas. */
  usersOf(schema) {
    const schemas = this.schemas.filter((other) => other.id !== schema.id && referencedNames(other.schema).has(schema.name));
    return { messages: schema.used_by || [], schemas };
  }

  visible() {
    const words = this.filter ? this.filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
    return this.schemas.filter((schema) => {
      const text = `${schema.name} ${schema.description}`.toLowerCase();
      return words.every((word) => text.includes(word));
    });
  }

  renderList() {
    const shown = this.visible();
    const items = shown.map((schema) => {
      const users = this.usersOf(schema);
      const count = users.messages.length + users.schemas.length;
      return h("li", {}, h("button.schema-item", {
        type: "button",
        "aria-current": schema.id === this.selected ? "true" : null,
        dataset: { schemaId: schema.id },
        on: { click: () => this.choose(schema.id) },
      },
      h("span.schema-item-name", {}, schema.name),
      h(`span.schema-uses${count ? "" : ".unused"}`, {}, count ? `used by ${count}` : "unused"),
      schema.description ? h("span.schema-item-desc", {}, schema.description.split("\n")[0]) : null));
    });
    this.listHost.replaceChildren(...items);
    if (!this.schemas.length) this.summary.textContent = "No schemas yet.";
    else if (shown.length === this.schemas.length) this.summary.textContent = plural(this.schemas.length, "schema");
    else this.summary.textContent = `${shown.length} of ${plural(this.schemas.length, "schema")} match`;
  }

  listKeys(event) {
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const items = [...this.listHost.querySelectorAll(".schema-item")];
    const index = items.indexOf(document.activeElement);
    if (index === -1) return;
    event.preventDefault();
    const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: items.length - 1 }[event.key];
    if (next < 0) this.filter.focus();
    else if (items[Math.min(next, items.length - 1)]) items[Math.min(next, items.length - 1)].focus();
  }

  /** Another schema, or "new": first asks about unsaved edits. */
  async choose(id) {
    if (id === this.selected && id !== "new") return;
    if (this.isDirty()) {
      const ok = await confirmDialog({
        title: "Discard unsaved changes?",
        message: `${this.selected === "new" ? "The new schema" : `Schema "${this.current.name}"`} has changes that are not saved. Leave it without saving them?`,
        confirm: "Discard changes",
        danger: true,
      });
      if (!ok) return;
    }
    this.select(id);
    const target = id === "new" ? document.getElementById("schema-name") : null;
    if (target) target.focus();
  }

  select(id) {
    this.selected = id;
    this.current = typeof id === "number" ? this.find(id) : null;
    const url = new URL(location.href);
    if (typeof id === "number") url.searchParams.set("schema", String(id));
    else url.searchParams.delete("schema");
    history.replaceState(history.state, "", url.pathname + url.search);
    this.renderList();
    this.renderDetail();
  }

  isDirty() {
    if (!this.baseline || !this.editor || !boot.can_write) return false;
    return this.nameInput.value !== this.baseline.name || this.descriptionInput.value !== this.baseline.description ||
      this.editor.value !== this.baseline.text;
  }

  dirtyMessage() {
    return "This schema has changes that are not saved. Leave without saving them?";
  }

  renderDetail() {
    this.editor = null;
    this.baseline = null;
    this.form = null;
    if (this.selected === "new") {
      this.renderForm(null, { name: "", description: "", text: STARTER });
    } else if (this.current) {
      this.setTitle(`${this.current.name} · Schemas`);
      this.renderForm(this.current, { name: this.current.name, description: this.current.description, text: pretty(this.current.schema) });
    } else {
      this.setTitle("Schemas");
      this.detail.replaceChildren(h("div.empty-state", {},
        h("p", {}, h("strong", {}, this.schemas.length ? "Choose a schema on the left." : "No schemas in this project yet.")),
        h("p", {}, "A schema describes a JSON payload once; every message that refers to it is checked against it in debug sessions."),
        boot.can_write ? h("p", {}, h("button.btn.small", { type: "button", on: { click: () => this.choose("new") } }, icon("plus"), "New schema")) : null));
    }
  }

  /** The form of `schema` (null: a new one), filled with `values`. */
  renderForm(schema, values) {
    const writable = boot.can_write;
    this.gone = false; // deleted by a teammate while this form held unsaved edits
    const isNew = !schema;
    this.baseline = isNew ? { name: "", description: "", text: STARTER } : { name: schema.name, description: schema.description, text: pretty(schema.schema) };
    this.nameInput = h("input.mono#schema-name", {
      value: values.name, readOnly: !writable, dataset: { field: "name" }, autocomplete: "off", spellcheck: "false",
      maxlength: "100", placeholder: "e.g. Trade",
    });
    this.descriptionInput = h("textarea#schema-description", { rows: "2", readOnly: !writable, dataset: { field: "description" }, placeholder: writable ? "What it describes (Markdown)" : "" });
    this.descriptionInput.value = values.description;
    this.editor = new JsonText({
      id: "schema-text",
      label: `Schema${schema ? ` ${schema.name}` : ""} as JSON`,
      value: values.text,
      readOnly: !writable,
      field: "schema_text",
      hintId: writable ? "schema-text-hint" : null,
      onInput: () => this.changed(),
      onSave: () => this.save(),
    });
    this.refCode = h("code#schema-ref", {}, schemaRef(values.name || "Name"));
    this.banner = h("div.banner#schema-banner", { role: "status", hidden: true });
    this.formError = h("p.form-error#schema-form-error", { role: "alert", hidden: true });
    this.inUse = h("div.notice.warn#schema-in-use", { role: "alert", hidden: true });
    this.usesHost = h("div.schema-used-by");
    this.saveButton = writable ? h("button.btn.primary#schema-save", { type: "button", disabled: !isNew, on: { click: () => this.save() } }, isNew ? "Create schema" : "Save") : null;
    const actions = writable ? h("div.schema-actions", {},
      h("button.btn.small#schema-format", { type: "button", title: "Pretty-print the JSON", on: { click: () => this.editor.format() } }, "Format"),
      isNew ? h("button.btn.small.ghost#schema-cancel", { type: "button", on: { click: () => this.cancelNew() } }, "Cancel") :
        h("button.btn.small.danger-ghost#schema-delete", { type: "button", on: { click: () => this.remove() } }, icon("trash"), "Delete"),
      this.saveButton) : null;
    const copy = h("button.btn.small#schema-copy-ref", {
      type: "button",
      "aria-label": "Copy the $ref to this schema",
      title: "Copy the $ref to this schema",
      on: {
        click: async (event) => {
          const button = event.currentTarget;
          if (await copyText(this.refCode.textContent)) {
            button.lastChild.textContent = "Copied";
            setTimeout(() => { button.lastChild.textContent = "Copy"; }, 1600);
          } else {
            toast("Could not copy: select the text and copy it yourself.", "error");
          }
        },
      },
    }, icon("copy"), h("span", {}, "Copy"));
    const meta = schema ? h("p.schema-meta.muted", {},
      `Version ${schema.version}`,
      schema.updated_by ? ` · saved by ${schema.updated_by.display_name} ${relativeTime(schema.updated_at)}` : ` · saved ${relativeTime(schema.updated_at)}`) : null;
    this.nameInput.addEventListener("input", () => {
      this.refCode.textContent = schemaRef(this.nameInput.value.trim() || "Name");
      this.changed();
    });
    this.descriptionInput.addEventListener("input", () => this.changed());
    const form = h("div.schema-form", {},
      h("div.schema-head", {},
        h("h2.section-title", {}, isNew ? "New schema" : writable ? "Edit schema" : "Schema"),
        meta),
      this.banner,
      h("div.schema-fields", {},
        h("div.setting", {}, h("label", { for: "schema-name" }, "Name"), this.nameInput,
          writable ? h("p.panel-hint", {}, "Letters, digits, _ . - ; starts with a letter or _.") : null),
        h("div.setting", {}, h("label", { for: "schema-description" }, "Description ", h("span.optional", {}, "optional")), this.descriptionInput)),
      h("div.schema-ref-row", {}, h("span.label", {}, "Refer to it as"), this.refCode, copy),
      isNew ? this.generator() : null,
      h("div.setting", {},
        h("div.schema-editor-head", {}, h("label", { for: "schema-text" }, "JSON Schema"),
          writable ? h("span.panel-hint#schema-text-hint", {}, `Tab indents · Esc then Tab leaves · ${modKey()}+S saves`) : null),
        this.editor.element,
        this.editor.error),
      this.formError,
      this.inUse,
      actions,
      isNew ? null : this.usesHost);
    form.addEventListener("keydown", (event) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "s" && event.target !== this.editor.area) {
        event.preventDefault();
        this.save();
      }
    });
    this.form = form;
    this.detail.replaceChildren(form);
    this.renderUses();
    this.changed();
  }

  /** New schema: paste an example, generate a schema from it into the editor. */
  generator() {
    const example = h("textarea.mono#schema-example", {
      rows: "4", spellcheck: "false", dataset: { field: "example" },
      placeholder: '{"type": "trade", "symbol": "BTC-USD", "price": 64000.5}',
    });
    const generate = h("button.btn.small#schema-generate", {
      type: "button",
      on: {
        click: async () => {
          showFieldErrors(box, {});
          if (this.editor.value !== STARTER && this.editor.value.trim() !== "") {
            const ok = await confirmDialog({ title: "Replace the schema in the editor?", message: "The generated schema replaces what is in the editor now.", confirm: "Replace" });
            if (!ok) return;
          }
          try {
            const answer = await api("POST", `${base}/schemas/generate/`, { body: { example: example.value } });
            this.editor.clearError();
            this.editor.replaceAll(pretty(answer.schema));
            toast("Schema generated from the example: check it, then create it.", "success");
          } catch (error) {
            const unplaced = showFieldErrors(box, error.fields);
            if (unplaced.length || !Object.keys(error.fields || {}).length) toast(describeError(error), "error");
            const place = placeIn([].concat((error.fields || {}).example || [])[0]);
            if (place) caretAt(example, place.line, place.column);
          }
        },
      },
    }, icon("wand"), "Generate schema");
    const box = h("details.schema-generate", { open: true },
      h("summary", {}, "Generate from an example ", h("span.optional", {}, "optional")),
      h("label", { for: "schema-example" }, "Example JSON payload"),
      example,
      h("div", {}, generate),
      h("p.panel-hint", {}, "Paste a message your server sends or expects; the narrowest schema it satisfies fills the editor below. Or write the schema yourself."));
    return box;
  }

  /** Who uses the open schema: links to the endpoints of messages, buttons to other schemas. */
  renderUses() {
    if (!this.usesHost || !this.current) return;
    const fresh = this.find(this.current.id);
    if (!fresh) return;
    const users = this.usersOf(fresh);
    const items = [
      ...users.messages.map((use) => h("li", {},
        h("a", { href: `/projects/${projectId}/endpoints/${use.endpoint}/`, "data-route": true, dataset: { endpoint: use.endpoint } }, use.endpoint_name),
        " · message ", h("code", {}, use.message))),
      ...users.schemas.map((other) => h("li", {},
        "schema ", h("button.link-btn", { type: "button", on: { click: () => this.choose(other.id) } }, other.name))),
    ];
    this.usesHost.replaceChildren(
      h("h3.section-title#schema-used-title", {}, `Used by (${items.length})`),
      items.length ? h("ul.schema-uses-list", { "aria-labelledby": "schema-used-title" }, items) :
        h("p.muted", {}, "Nothing refers to it yet. Paste the $ref above into a message's schema."));
  }

  changed() {
    if (!this.form) return;
    const dirty = this.isDirty();
    this.form.classList.toggle("dirty", dirty);
    if (this.saveButton && this.selected !== "new") this.saveButton.disabled = !dirty || this.gone;
  }

  clearErrors() {
    showFieldErrors(this.form, {});
    this.editor.clearError();
    this.formError.hidden = true;
    this.inUse.hidden = true;
  }

  showErrors(error) {
    const fields = { ...(error.fields || {}) };
    const onEditor = EDITOR_FIELDS.flatMap((field) => [].concat(fields[field] || []));
    for (const field of EDITOR_FIELDS) delete fields[field];
    const unplaced = showFieldErrors(this.form, fields);
    if (onEditor.length) this.editor.showError(onEditor);
    else if (unplaced.length || !Object.keys(fields).length) {
      this.formError.textContent = unplaced.length ? unplaced.join(" ") : describeError(error);
      this.formError.hidden = false;
    }
    const first = this.form.querySelector("[aria-invalid=true]:not(#schema-text)");
    if (first && !onEditor.length) first.focus();
  }

  async save() {
    if (!boot.can_write || !this.editor || this.saving || this.gone) return;
    const isNew = this.selected === "new";
    const name = this.nameInput.value.trim();
    const body = {};
    if (isNew || name !== this.baseline.name) body.name = name;
    if (isNew || this.descriptionInput.value !== this.baseline.description) body.description = this.descriptionInput.value;
    if (isNew || this.editor.value !== this.baseline.text) body.schema_text = this.editor.value;
    if (!isNew && !Object.keys(body).length) return;
    this.clearErrors();
    this.saving = true;
    this.writing += 1;
    try {
      const saved = isNew ? await api("POST", `${base}/schemas/`, { body }) :
        await api("PATCH", `${base}/schemas/${this.current.id}/`, { body: { ...body, version: this.current.version } });
      this.schemas = [...this.schemas.filter((schema) => schema.id !== saved.id), saved].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const focused = document.activeElement && document.activeElement.id;
      this.select(saved.id);
      const again = focused && document.getElementById(focused);
      if (again && !again.disabled) again.focus();
      else this.editor.area.focus();
      toast(isNew ? `Schema "${saved.name}" created` : `Saved "${saved.name}" (version ${saved.version})`, "success");
    } catch (error) {
      if (error.code === "version_conflict") await this.conflict(error);
      else if (error.code === "schema_in_use") this.showInUse(error, "renamed");
      else this.showErrors(error);
    } finally {
      this.saving = false;
      this.writing -= 1;
    }
  }

  cancelNew() {
    this.choose(this.schemas[0] ? this.schemas[0].id : null);
  }

  /** A save refused as stale: who saved, then reload theirs or overwrite with mine. */
  async conflict(error) {
    const who = error.body.updated_by ? error.body.updated_by.display_name : "Someone";
    const choice = await dialog({
      title: `${who} saved this schema while you were editing`,
      description: `Nothing was written. It is at version ${error.body.current_version} (saved ${relativeTime(error.body.updated_at)}); you edited version ${this.current.version}.`,
      content: h("p", {}, "Reload theirs to see what they saved (your edits are dropped), or overwrite it with yours."),
      actions: [
        { label: "Reload theirs (discard mine)", kind: "secondary", value: "reload", id: "schema-conflict-reload" },
        { label: "Overwrite with mine", kind: "danger", value: "overwrite", id: "schema-conflict-overwrite" },
      ],
    });
    if (choice === "reload") {
      await this.reloadTheirs();
    } else if (choice === "overwrite") {
      this.current = { ...this.current, version: error.body.current_version };
      this.saving = false;
      await this.save();
    } else {
      this.formError.textContent = `Not saved: ${who} saved a newer version. Save again to choose, or reload theirs.`;
      this.formError.hidden = false;
    }
  }

  /** Reads the open schema again and shows it, dropping unsaved edits. */
  async reloadTheirs() {
    try {
      await this.load();
    } catch (error) {
      toast(describeError(error), "error");
      return;
    }
    const id = this.current && this.current.id;
    if (this.find(id)) this.select(id);
    else this.select(this.schemas[0] ? this.schemas[0].id : null);
  }

  async remove() {
    const schema = this.current;
    if (!schema) return;
    const users = this.usersOf(this.find(schema.id) || schema);
    const count = users.messages.length + users.schemas.length;
    const ok = await confirmDialog({
      title: `Delete schema "${schema.name}"?`,
      message: count ? `${plural(count, "message or schema")} refer to it: it cannot be deleted until they no longer do.` :
        `Nothing refers to it now. ${schemaRef(schema.name)} will no longer resolve.`,
      confirm: "Delete schema",
      danger: true,
    });
    if (!ok) return;
    this.clearErrors();
    this.writing += 1;
    try {
      await api("DELETE", `${base}/schemas/${schema.id}/`, { version: schema.version });
      this.schemas = this.schemas.filter((item) => item.id !== schema.id);
      this.select(this.visible()[0] ? this.visible()[0].id : null);
      toast(`Schema "${schema.name}" deleted`);
    } catch (error) {
      if (error.code === "schema_in_use") {
        await this.load().catch(() => {});
        this.renderUses();
        this.showInUse(error, "deleted");
      } else if (error.code === "version_conflict") {
        toast(`${error.body.updated_by ? error.body.updated_by.display_name : "Someone"} changed "${schema.name}" since you opened it; it is reloaded. Delete again if you still mean to.`, "error", 6000);
        await this.reloadTheirs();
      } else {
        toast(describeError(error), "error");
      }
    } finally {
      this.writing -= 1;
    }
  }

  /** A 409 schema_in_use: what refers to the schema, each with a way to get there. */
  showInUse(error, doing) {
    const uses = (this.find(this.current.id) || this.current).used_by || [];
    const items = (error.body.used_by || []).map((text) => {
      const message = /^message (['"])(.*)\1 of endpoint (['"])(.*)\3$/.exec(text);
      const use = message && uses.find((item) => item.message === message[2] && item.endpoint_name === message[4]);
      if (use) {
        return h("li", {}, "message ", h("code", {}, use.message), " of ",
          h("a", { href: `/projects/${projectId}/endpoints/${use.endpoint}/`, "data-route": true, dataset: { endpoint: use.endpoint } }, use.endpoint_name));
      }
      const schema = /^schema (['"])(.*)\1$/.exec(text);
      const other = schema && this.schemas.find((item) => item.name === schema[2]);
      if (other) return h("li", {}, "schema ", h("button.link-btn", { type: "button", on: { click: () => this.choose(other.id) } }, other.name));
      return h("li", {}, text);
    });
    this.inUse.replaceChildren(
      h("p", {}, h("strong", {}, `"${this.current.name}" was not ${doing}: `), `${plural(items.length, "message or schema")} refer to it. Change ${items.length === 1 ? "it" : "them"} first.`),
      h("ul", {}, items));
    this.inUse.hidden = false;
  }

  /** schema.created / .updated / .deleted from the project socket: the list is read again; the
      open schema follows a teammate's change, or says so when it holds unsaved edits. */
  async onSchemaEvents(events) {
    try {
      await this.load();
    } catch (error) {
      return;
    }
    this.renderUses();
    const open = this.current && this.selected !== "new" ? this.current : null;
    if (!open) return;
    for (const event of events) {
      if (event.schema.id !== open.id) continue;
      const mine = event.actor && event.actor.id === boot.me.id;
      if (mine && this.writing > 0) continue;
      const by = mine ? "You (in another tab)" : event.actor ? event.actor.display_name : "Someone";
      if (event.kind === "schema.deleted") {
        this.theyDeleted(open, by);
        return;
      }
      if (event.schema.version <= open.version) continue;
      if (!this.isDirty()) {
        this.select(open.id);
        toast(`${by} updated schema "${event.schema.name}"`);
      } else {
        this.showBanner(`${by} saved a newer version of "${open.name}" while you were editing.`, [
          h("button.btn.small#schema-reload", { type: "button", on: { click: () => this.reloadTheirs() } }, "Reload theirs"),
          h("span.muted", {}, "or keep editing: saving will ask."),
        ]);
      }
      return;
    }
  }

  theyDeleted(open, by) {
    if (!this.isDirty()) {
      this.select(this.visible()[0] ? this.visible()[0].id : null);
      toast(`${by} deleted schema "${open.name}"`, "info", 6000);
      return;
    }
    this.showBanner(`${by} deleted "${open.name}". Your edits are still here.`, [
      h("button.btn.small", {
        type: "button",
        on: {
          click: () => {
            const values = { name: this.nameInput.value, description: this.descriptionInput.value, text: this.editor.value };
            this.selected = "new";
            this.current = null;
            this.renderList();
            this.renderForm(null, values);
          },
        },
      }, "Keep mine as a new schema"),
    ]);
    this.gone = true;
    this.changed();
    const remove = document.getElementById("schema-delete");
    if (remove) remove.hidden = true;
  }

  showBanner(text, actions) {
    this.banner.replaceChildren(h("span", {}, icon("info"), " ", text), ...actions);
    this.banner.hidden = false;
  }
}
