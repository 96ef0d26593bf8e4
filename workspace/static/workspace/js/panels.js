/* Two tabs of the endpoint editor: Settings (connection settings and subprotocols) and Docs
   (status, responsible person, tags, and the Markdown description with a server-rendered
   preview). Both write into the editor's draft and are filled from it. */
import { api, describeError } from "./api.js";
import { h, icon } from "./dom.js";
import { segmented } from "./ui.js";
import { chipsInput } from "./rows.js";
import { boot, projectId } from "./boot.js";

export const DEFAULT_SETTINGS = {
  open_timeout: 10, max_message_size: 1048576, verify_tls: true, ping_interval: 20,
  compression: "default", reconnect: false, reconnect_max_attempts: 5, reconnect_delay: 1, reconnect_max_delay: 30,
};
const NUMBER_SETTINGS = ["open_timeout", "ping_interval", "max_message_size", "reconnect_max_attempts", "reconnect_delay", "reconnect_max_delay"];
const CHECK_SETTINGS = ["verify_tls", "reconnect"];

export class SettingsPanel {
  constructor({ editor }) {
    this.editor = editor;
    this.inputs = {};
    const number = (key, label, unit, min, max, step) => {
      const id = `setting-${key}`;
      const input = h("input", { id, type: "number", min, max, step, dataset: { field: `settings.${key}` }, inputmode: "decimal" });
      input.addEventListener("input", () => {
        const value = input.value === "" ? null : Number(input.value);
        const settings = { ...editor.draft.settings };
        if (value === null || Number.isNaN(value)) delete settings[key];
        else settings[key] = value;
        editor.set("settings", settings);
      });
      this.inputs[key] = input;
      return h("div.setting", {}, h("label", { for: id }, label), h("div.with-unit", {}, input, h("span.unit", {}, unit)));
    };
    const check = (key, label) => {
      const input = h("input", { id: `setting-${key}`, type: "checkbox", dataset: { field: `settings.${key}` } });
      input.addEventListener("change", () => editor.set("settings", { ...editor.draft.settings, [key]: input.checked }));
      this.inputs[key] = input;
      return h("div.setting.check", {}, input, h("label", { for: `setting-${key}` }, label));
    };
    const compression = h("select#setting-compression", { dataset: { field: "settings.compression" } },
      h("option", { value: "default" }, "Server default"),
      h("option", { value: "deflate" }, "Offer permessage-deflate"),
      h("option", { value: "off" }, "Off"));
    compression.addEventListener("change", () => editor.set("settings", { ...editor.draft.settings, compression: compression.value }));
    this.inputs.compression = compression;
    this.subprotocols = chipsInput({
      id: "subprotocols",
      label: "Subprotocols",
      values: [],
      placeholder: "e.g. graphql-ws, then Enter",
      onChange: (values) => editor.set("subprotocols", values),
    });
    this.subprotocols.element.dataset.field = "subprotocols";
    this.element = h("div.settings-grid", {},
      number("open_timeout", "Open timeout", "seconds", "0.1", "120", "0.1"),
      number("ping_interval", "Ping interval", "seconds (0: off)", "0", "3600", "1"),
      number("max_message_size", "Largest message", "bytes", "1", String(64 * 1024 * 1024), "1"),
      check("verify_tls", "Verify TLS certificates (wss://)"),
      h("div.setting", {}, h("label", { for: "setting-compression" }, "Compression"), compression),
      check("reconnect", "Reconnect after an abnormal close (1006, 1011, 1012, 1013)"),
      number("reconnect_max_attempts", "Reconnect attempts", "at most", "1", "100", "1"),
      number("reconnect_delay", "First reconnect after", "seconds (doubled each time)", "0.05", "60", "0.05"),
      number("reconnect_max_delay", "Longest reconnect wait", "seconds", "0.05", "3600", "1"),
      h("div.setting.wide", {}, h("label", { for: "subprotocols" }, "Subprotocols"), this.subprotocols.element,
        h("p.panel-hint", {}, "Offered in Sec-WebSocket-Protocol, in this order.")));
  }

  fill(draft) {
    const settings = { ...DEFAULT_SETTINGS, ...(draft.settings || {}) };
    for (const key of NUMBER_SETTINGS) this.inputs[key].value = settings[key];
    for (const key of CHECK_SETTINGS) this.inputs[key].checked = Boolean(settings[key]);
    this.inputs.compression.value = settings.compression;
    this.subprotocols.set(draft.subprotocols || []);
  }

  lock(active) {
    for (const input of Object.values(this.inputs)) input.disabled = active;
    this.subprotocols.lock(active);
  }
}

export class DocsPanel {
  constructor({ editor, store, endpointId }) {
    this.editor = editor;
    this.store = store;
    const canWrite = boot.can_write;
    this.status = h("select#doc-status", { dataset: { field: "status" }, disabled: !canWrite },
      boot.statuses.map((status) => h("option", { value: status }, status)));
    this.status.addEventListener("change", () => editor.set("status", this.status.value));
    this.assignee = h("select#doc-assignee", { dataset: { field: "assignee" }, disabled: !canWrite });
    this.assignee.addEventListener("change", () => {
      const id = Number(this.assignee.value) || null;
      const member = store.members.find((m) => m.user.id === id);
      editor.set("assignee", member ? member.user : null);
    });
    this.tags = chipsInput({
      id: "doc-tags",
      label: "Tags",
      values: [],
      suggestions: store.tags.map((t) => t.name),
      placeholder: "Add a tag, then Enter",
      onChange: (values) => editor.set("tags", values),
    });
    this.tags.element.dataset.field = "tags";
    this.description = h("textarea#doc-description.mono", { rows: "10", dataset: { field: "description" }, placeholder: "Describe the endpoint in Markdown: what it streams, when to use it, examples…", readOnly: !canWrite });
    this.description.addEventListener("input", () => editor.set("description", this.description.value));
    this.preview = h("div.markdown-preview.markdown", { hidden: true, "aria-live": "polite" });
    const mode = segmented("Description view", [["write", "Write"], ["preview", "Preview"]], "write", (value) => this.showDescription(value));
    this.element = [
      h("div.docs-grid", {},
        h("div.setting", {}, h("label", { for: "doc-status" }, "Status"), this.status),
        h("div.setting", {}, h("label", { for: "doc-assignee" }, "Responsible"), this.assignee),
        h("div.setting.wide", {}, h("label", { for: "doc-tags" }, "Tags"), this.tags.element)),
      h("div.desc-head", {}, h("label", { for: "doc-description" }, "Description"), mode.element,
        h("a.muted-link", { href: `/projects/${projectId}/docs/endpoints/${endpointId}/`, target: "_blank", rel: "noopener" }, "Docs preview ", icon("external"))),
      this.description,
      this.preview,
    ];
  }

  fill(draft) {
    this.status.value = draft.status;
    this.renderAssignees();
    this.tags.set(draft.tags || []);
    this.description.value = draft.description || "";
    if (!this.preview.hidden) this.showDescription("preview");
  }

  setTagSuggestions() {
    this.tags.setSuggestions(this.store.tags.map((t) => t.name));
  }

  renderAssignees() {
    const assignee = this.editor.draft.assignee;
    const options = [h("option", { value: "" }, "Nobody")];
    const seen = new Set();
    for (const member of this.store.members) {
      seen.add(member.user.id);
      options.push(h("option", { value: member.user.id }, `${member.user.display_name} (@${member.user.username})`));
    }
    if (assignee && !seen.has(assignee.id)) options.push(h("option", { value: assignee.id }, assignee.display_name));
    this.assignee.replaceChildren(...options);
    this.assignee.value = String(assignee ? assignee.id : "");
  }

  async showDescription(mode) {
    const preview = mode === "preview";
    this.description.hidden = preview;
    this.preview.hidden = !preview;
    if (!preview) return;
    await markdownPreview(this.preview, this.editor.draft.description || "");
  }
}

/** Fills `target` with `text` rendered as the docs pages render it (the scenario editor too). */
export async function markdownPreview(target, text) {
  target.replaceChildren(h("p.muted", {}, "Rendering…"));
  try {
    const { html } = await api("POST", "/workspace/markdown/", { body: { text } });
    // Rendered and sanitized by the server's one Markdown renderer (the docs pages use it too).
    target.innerHTML = html || "<p class=\"muted\">Nothing to preview yet.</p>";
  } catch (error) {
    target.replaceChildren(h("p.form-error", {}, describeError(error)));
  }
}
