/* The request view: an endpoint's editor (or a blank request) with the debug workbench under it.

   Editing: URL; Params, Headers, Cookies tables; saved Messages; Settings; Docs (status,
   responsible person, tags, Markdown description with preview); Activity (comments and history,
   activity.js). Saving sends only what changed,
   with the version read (If-Match); a stale save (412) shows who changed what and lets the
   member reload theirs or overwrite deliberately.

   Debugging: a debug session (REST /api/v1/sessions/) holds the upstream connection; its live
   socket (/ws/sessions/{id}/) streams the log and carries sends. While connecting or connected
   the handshake cannot change (the API answers 409), so its fields are locked, visibly. */
import { api, get, describeError, ApiError } from "./api.js";
import { h, icon, toast, relativeTime, modKey, avatar, copyText } from "./dom.js";
import { dialog, confirmDialog, menuButton, showFieldErrors, segmented } from "./ui.js";
import { rowsEditor, chipsInput } from "./rows.js";
import { MessageLog } from "./log.js";
import { DetailPanel } from "./detail.js";
import { ActivityPanel } from "./activity.js";
import { boot, base, projectId } from "./boot.js";
import { LiveSocket } from "./live.js";
import { folderOptions } from "./tree.js";

const FIELDS = ["name", "url", "params", "headers", "cookies", "subprotocols", "settings", "messages", "status", "assignee", "tags", "description"];
const HANDSHAKE = ["url", "params", "headers", "cookies", "subprotocols", "settings"];
const DEFAULT_SETTINGS = { open_timeout: 10, max_message_size: 1048576, verify_tls: true, ping_interval: 20 };
const FORMAT_LABELS = { text: "Text", json: "JSON", xml: "XML", html: "HTML", base64: "Base64", hex: "Hex" };
const PRETTY = new Set(["json", "xml", "html"]);
const ACTIVE = new Set(["connecting", "open", "closing"]);
const FIELD_TAB = { url: null, name: null, params: "params", headers: "headers", cookies: "cookies", subprotocols: "settings", settings: "settings", messages: "messages", status: "docs", assignee: "docs", tags: "docs", description: "docs" };

const clone = (value) => JSON.parse(JSON.stringify(value));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function comparable(field, value) {
  if (field === "assignee") return value ? value.id : null;
  if (field === "settings") return { ...DEFAULT_SETTINGS, ...(value || {}) };
  if (field === "messages") return (value || []).map(({ id, name, format, body, description }) => ({ id, name, format, body, description }));
  return value;
}

function blankDraft() {
  return {
    id: null, folder: null, name: "Untitled request", url: "", params: [], headers: [], cookies: [],
    subprotocols: [], settings: { ...DEFAULT_SETTINGS }, messages: [], status: "developing",
    assignee: null, tags: [], description: "", version: null,
  };
}

function sessionKey(endpointId) {
  return `sb.session.${projectId}.${endpointId || "new"}`;
}

function formatKey(endpointId) {
  return `sb.format.${projectId}.${endpointId}`;
}

/** What the composer held when a request was saved as endpoint `endpointId`, for its view. */
let carried = null;

function envKey() {
  return `sb.env.${projectId}`;
}

export class RequestView {
  constructor(main, { store, live }, { endpointId }) {
    this.main = main;
    this.store = store;
    this.live = live;
    this.endpointId = endpointId || null;
    this.session = null;
    this.socket = null;
    this.state = "idle";
    this.destroyed = false;
    this.pending = new Map();
    this.ref = 0;
    this.unsubscribe = [];
    this.activeTab = "params";
    this.writing = 0; // own writes of this endpoint on their way (their events may come first)
    this.envId = localStorage.getItem(envKey()) || "";
  }

  // --- loading ------------------------------------------------------------------------------

  async init() {
    let endpoint;
    if (this.endpointId) {
      try {
        endpoint = await get(`${base}/endpoints/${this.endpointId}/`);
      } catch (error) {
        this.main.replaceChildren(h("div.empty-state.big", {},
          h("h1", {}, "Endpoint not found"),
          h("p", {}, error.status === 404 ? "It may have been deleted or moved to another project." : describeError(error)),
          h("p", {}, h("a.btn", { href: `/projects/${projectId}/`, "data-route": "" }, "Back to the project"))));
        return false;
      }
    } else {
      endpoint = blankDraft();
    }
    if (this.destroyed) return false;
    this.baseline = clone(endpoint);
    this.draft = clone(endpoint);
    this.build();
    this.fill();
    this.unsubscribe.push(this.store.on("events", (events) => this.onProjectEvents(events)));
    this.unsubscribe.push(this.store.on("presence", () => this.renderPresence()));
    this.unsubscribe.push(this.store.on("environments", () => this.renderEnvironments()));
    this.unsubscribe.push(this.store.on("members", () => this.renderAssignees()));
    this.unsubscribe.push(this.store.on("tags", () => this.tagsInput && this.tagsInput.setSuggestions(this.store.tags.map((t) => t.name))));
    this.unsubscribe.push(this.store.on("tree", () => this.renderCrumbs()));
    this.keys = (event) => this.shortcuts(event);
    document.addEventListener("keydown", this.keys);
    this.live.show(this.endpointId);
    this.findSession();
    this.checkVariables();
    return true;
  }

  destroy() {
    this.destroyed = true;
    this.unsubscribe.forEach((off) => off());
    document.removeEventListener("keydown", this.keys);
    if (this.socket) this.socket.close();
    this.live.show(null);
  }

  /** Unsaved edits of an endpoint; a blank request lives in its debug session instead. */
  isDirty() {
    return this.isEndpoint && this.dirtyFields().length > 0;
  }

  dirtyFields() {
    if (!this.draft) return [];
    return FIELDS.filter((field) => !same(comparable(field, this.draft[field]), comparable(field, this.baseline[field])));
  }

  get isEndpoint() {
    return Boolean(this.endpointId);
  }

  // --- building -----------------------------------------------------------------------------

  build() {
    const canWrite = boot.can_write;
    this.nameInput = h("input.req-name", {
      "aria-label": this.isEndpoint ? "Endpoint name" : "Request name",
      dataset: { field: "name" },
      maxlength: "200",
      spellcheck: "false",
      readOnly: !canWrite && this.isEndpoint,
    });
    this.nameInput.addEventListener("input", () => this.set("name", this.nameInput.value));
    this.crumbs = h("p.req-crumbs");
    this.badge = h("span.badge");
    this.presenceHost = h("div.req-presence");
    this.dirtyMark = h("span.dirty-mark", { hidden: true }, "Unsaved changes");
    this.saveButton = h("button.btn.primary#save", {
      type: "button",
      title: `Save (${modKey()}+S)`,
      on: { click: () => this.save() },
      hidden: !canWrite,
    }, this.isEndpoint ? "Save" : "Save as endpoint");
    const menuItems = () => [
      this.isEndpoint && canWrite ? { label: "Save as a new endpoint…", run: () => this.saveAsNew() } : null,
      this.isEndpoint ? { label: "Open the docs preview", run: () => window.open(`/projects/${projectId}/docs/endpoints/${this.endpointId}/`, "_blank", "noopener") } : null,
      this.isEndpoint ? { label: "Copy a link to this endpoint", run: async () => { if (await copyText(location.href)) toast("Link copied"); } } : null,
      { label: "Start a new session (clear the log)", run: () => this.newSession(), disabled: !this.session || ACTIVE.has(this.state) },
      this.isEndpoint && canWrite ? "-" : null,
      this.isEndpoint && canWrite ? { label: "Delete endpoint…", danger: true, run: () => this.deleteEndpoint() } : null,
    ].filter(Boolean);
    this.banner = h("div.banner", { hidden: true, role: "status" });

    // URL bar
    this.urlInput = h("input.url-input#req-url", {
      type: "text",
      "aria-label": "WebSocket URL",
      placeholder: "wss://example.com/socket",
      spellcheck: "false",
      autocomplete: "off",
      dataset: { field: "url" },
    });
    this.urlInput.addEventListener("input", () => this.set("url", this.urlInput.value));
    this.urlInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.toggleConnection();
      }
    });
    this.envSelect = h("select.env-select#req-env", { "aria-label": "Environment" });
    this.envSelect.addEventListener("change", () => {
      this.envId = this.envSelect.value;
      localStorage.setItem(envKey(), this.envId);
      this.checkVariables();
    });
    this.connectButton = h("button.btn.connect#connect", { type: "button", on: { click: () => this.toggleConnection() } }, "Connect");
    this.lockIcon = h("span.url-lock", { hidden: true, title: "Locked while connected" }, icon("lock", "Handshake locked"));
    this.connectError = h("div.connect-error", { role: "alert", hidden: true });
    this.varsHint = h("p.vars-hint", { hidden: true });
    this.lockNote = h("p.lock-note", { hidden: true },
      icon("lock"), " Handshake locked while connected (URL, environment, params, headers, cookies, settings). Disconnect to edit it.");

    // tabs
    const tabs = [["params", "Params"], ["headers", "Headers"], ["cookies", "Cookies"], ["messages", "Messages"], ["settings", "Settings"]];
    if (this.isEndpoint) tabs.push(["docs", "Docs"], ["activity", "Activity"]);
    this.tabButtons = {};
    this.panels = {};
    const tablist = h("div.tabs", { role: "tablist", "aria-label": "Request parts" });
    for (const [key, label] of tabs) {
      const button = h("button.tab", {
        type: "button",
        role: "tab",
        id: `tab-${key}`,
        "aria-controls": `panel-${key}`,
        "aria-selected": "false",
        tabindex: "-1",
        on: { click: () => this.selectTab(key) },
      }, h("span", {}, label), h("span.tab-count"));
      this.tabButtons[key] = button;
      tablist.append(button);
      this.panels[key] = h("div.tabpanel", { role: "tabpanel", id: `panel-${key}`, "aria-labelledby": `tab-${key}`, hidden: true });
    }
    tablist.addEventListener("keydown", (event) => {
      if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
      event.preventDefault();
      const keys = tabs.map(([key]) => key);
      let index = keys.indexOf(this.activeTab);
      if (event.key === "ArrowLeft") index = (index - 1 + keys.length) % keys.length;
      else if (event.key === "ArrowRight") index = (index + 1) % keys.length;
      else if (event.key === "Home") index = 0;
      else index = keys.length - 1;
      this.selectTab(keys[index]);
      this.tabButtons[keys[index]].focus();
    });

    this.rows = {};
    for (const kind of ["params", "headers", "cookies"]) {
      this.rows[kind] = rowsEditor({ kind, rows: [], onChange: (rows) => this.set(kind, rows) });
      const hint = {
        params: "Query parameters are appended to the URL, percent-encoded. Write them decoded.",
        headers: "Sent with the handshake. A browser cannot set these on a WebSocket; the server connects for you, so it can.",
        cookies: "Sent as one Cookie header with the handshake.",
      }[kind];
      this.panels[kind].append(h("p.panel-hint", {}, hint, " Use ", h("code", {}, "{{variable}}"), " for values from environments."), this.rows[kind].element);
    }
    this.buildMessagesPanel();
    this.buildSettingsPanel();
    if (this.isEndpoint) this.buildDocsPanel();
    if (this.isEndpoint) this.buildActivityPanel();

    // workbench: composer + log, detail on the right
    this.buildComposer();
    this.log = new MessageLog({ onSelect: (entry) => this.openDetail(entry) });
    this.statusPill = h("span.conn-pill", { role: "status" }, h("span.conn-dot"), h("span.conn-text", {}, "Not connected"));
    this.log.toolbar.prepend(this.statusPill);
    this.detail = new DetailPanel({
      sessionId: () => this.session && this.session.id,
      onClose: () => {
        this.log.clearSelection();
        this.workbench.classList.remove("with-detail");
        this.log.viewport.focus();
      },
    });
    this.workbench = h("div.workbench", {},
      h("div.bench-main", {}, this.composer, this.log.element),
      this.detail.element);

    this.element = h(`section.request${this.isEndpoint ? ".is-endpoint" : ""}`, { "aria-label": this.isEndpoint ? "Endpoint" : "New request" },
      h("header.req-head", {},
        h("div.req-title", {}, this.crumbs, h("div.req-name-row", {}, this.nameInput, this.badge)),
        h("div.req-tools", {}, this.presenceHost, this.dirtyMark, this.saveButton, menuButton("More actions", menuItems))),
      this.banner,
      h("div.urlbar", {},
        h("span.ws-chip", { "aria-hidden": "true" }, "WS"),
        h("div.url-field", {}, this.urlInput, this.lockIcon),
        h("label.sr-only", { for: "req-env" }, "Environment"),
        this.envSelect,
        this.connectButton),
      this.connectError,
      this.varsHint,
      this.lockNote,
      h("div.req-config", {}, tablist, h("div.tabpanels", {}, Object.values(this.panels))),
      this.workbench);
    this.main.replaceChildren(this.element);
    this.renderEnvironments();
    // Params when there are some; otherwise Headers, where auth usually goes.
    this.selectTab((this.draft.params || []).length ? "params" : "headers");
    if (!this.isEndpoint) this.urlInput.focus();
  }

  buildMessagesPanel() {
    this.messagesList = h("div.saved-list");
    const add = h("button.btn.small", {
      type: "button",
      on: {
        click: () => {
          const messages = this.draft.messages.concat([{ name: `Message ${this.draft.messages.length + 1}`, format: "json", body: "", description: "" }]);
          this.set("messages", messages);
          this.renderMessages();
          const inputs = this.messagesList.querySelectorAll(".saved-name");
          if (inputs.length) inputs[inputs.length - 1].select();
        },
      },
    }, icon("plus"), "Add message");
    const fromComposer = h("button.btn.small.ghost", {
      type: "button",
      on: {
        click: () => {
          const body = this.composerBody.value;
          const messages = this.draft.messages.concat([{ name: `Message ${this.draft.messages.length + 1}`, format: this.composerFormat.value, body, description: "" }]);
          this.set("messages", messages);
          this.renderMessages();
          toast("Added the composer's message to the saved messages. Save to keep it.");
        },
      },
    }, "Add the composer's message");
    this.panels.messages.append(
      h("p.panel-hint", {}, "Saved messages are examples in the docs and one click away in the composer."),
      this.messagesList,
      h("div.panel-actions", {}, add, fromComposer));
  }

  renderMessages() {
    const list = this.messagesList;
    list.replaceChildren();
    if (!this.draft.messages.length) {
      list.append(h("p.muted", {}, "No saved messages yet."));
    }
    this.draft.messages.forEach((message, index) => {
      const update = (key, value) => {
        const messages = clone(this.draft.messages);
        messages[index][key] = value;
        this.set("messages", messages, false);
        this.renderChips();
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
      list.append(h("div.saved-card", {},
        h("div.saved-head", {}, name, format,
          h("button.btn.small", { type: "button", on: { click: () => this.useMessage(this.draft.messages[index]) } }, "Use"),
          h("button.btn.small", { type: "button", disabled: this.state !== "open", dataset: { sendSaved: index }, on: { click: () => this.sendSaved(index) } }, icon("send"), "Send"),
          h("button.icon-btn", {
            type: "button",
            "aria-label": `Remove message ${number} (${message.name})`,
            on: {
              click: () => {
                const messages = clone(this.draft.messages);
                messages.splice(index, 1);
                this.set("messages", messages);
                this.renderMessages();
              },
            },
          }, icon("trash"))),
        body,
        description));
    });
    this.updateCounts();
  }

  buildSettingsPanel() {
    const number = (key, label, unit, min, max, step) => {
      const id = `setting-${key}`;
      const input = h("input", { id, type: "number", min, max, step, dataset: { field: `settings.${key}` }, inputmode: "decimal" });
      input.addEventListener("input", () => {
        const value = input.value === "" ? null : Number(input.value);
        const settings = { ...this.draft.settings };
        if (value === null || Number.isNaN(value)) delete settings[key];
        else settings[key] = value;
        this.set("settings", settings, false);
      });
      this.settingInputs[key] = input;
      return h("div.setting", {}, h("label", { for: id }, label), h("div.with-unit", {}, input, h("span.unit", {}, unit)));
    };
    this.settingInputs = {};
    const tls = h("input", { id: "setting-verify_tls", type: "checkbox", dataset: { field: "settings.verify_tls" } });
    tls.addEventListener("change", () => this.set("settings", { ...this.draft.settings, verify_tls: tls.checked }, false));
    this.settingInputs.verify_tls = tls;
    this.subprotocolsInput = chipsInput({
      id: "subprotocols",
      label: "Subprotocols",
      values: [],
      placeholder: "e.g. graphql-ws, then Enter",
      onChange: (values) => this.set("subprotocols", values, false),
    });
    this.subprotocolsInput.element.dataset.field = "subprotocols";
    this.panels.settings.append(h("div.settings-grid", {},
      number("open_timeout", "Open timeout", "seconds", "0.1", "120", "0.1"),
      number("ping_interval", "Ping interval", "seconds (0: off)", "0", "3600", "1"),
      number("max_message_size", "Largest message", "bytes", "1", String(64 * 1024 * 1024), "1"),
      h("div.setting.check", {}, tls, h("label", { for: "setting-verify_tls" }, "Verify TLS certificates (wss://)")),
      h("div.setting.wide", {}, h("label", { for: "subprotocols" }, "Subprotocols"), this.subprotocolsInput.element,
        h("p.panel-hint", {}, "Offered in Sec-WebSocket-Protocol, in this order."))));
  }

  buildDocsPanel() {
    const canWrite = boot.can_write;
    this.statusSelect = h("select#doc-status", { dataset: { field: "status" }, disabled: !canWrite },
      boot.statuses.map((status) => h("option", { value: status }, status)));
    this.statusSelect.addEventListener("change", () => this.set("status", this.statusSelect.value));
    this.assigneeSelect = h("select#doc-assignee", { dataset: { field: "assignee" }, disabled: !canWrite });
    this.assigneeSelect.addEventListener("change", () => {
      const id = Number(this.assigneeSelect.value) || null;
      const member = this.store.members.find((m) => m.user.id === id);
      this.set("assignee", member ? member.user : null);
    });
    this.tagsInput = chipsInput({
      id: "doc-tags",
      label: "Tags",
      values: [],
      suggestions: this.store.tags.map((t) => t.name),
      placeholder: "Add a tag, then Enter",
      onChange: (values) => this.set("tags", values),
    });
    this.tagsInput.element.dataset.field = "tags";
    this.descriptionInput = h("textarea#doc-description.mono", { rows: "10", dataset: { field: "description" }, placeholder: "Describe the endpoint in Markdown: what it streams, when to use it, examples…", readOnly: !canWrite });
    this.descriptionInput.addEventListener("input", () => this.set("description", this.descriptionInput.value, false));
    this.previewBox = h("div.markdown-preview.markdown", { hidden: true, "aria-live": "polite" });
    const mode = segmented("Description view", [["write", "Write"], ["preview", "Preview"]], "write", (value) => this.showDescription(value));
    this.descriptionMode = mode;
    this.panels.docs.append(
      h("div.docs-grid", {},
        h("div.setting", {}, h("label", { for: "doc-status" }, "Status"), this.statusSelect),
        h("div.setting", {}, h("label", { for: "doc-assignee" }, "Responsible"), this.assigneeSelect),
        h("div.setting.wide", {}, h("label", { for: "doc-tags" }, "Tags"), this.tagsInput.element)),
      h("div.desc-head", {}, h("label", { for: "doc-description" }, "Description"), mode.element,
        h("a.muted-link", { href: `/projects/${projectId}/docs/endpoints/${this.endpointId}/`, target: "_blank", rel: "noopener" }, "Docs preview ", icon("external"))),
      this.descriptionInput,
      this.previewBox);
  }

  buildActivityPanel() {
    this.activity = new ActivityPanel({
      endpointId: this.endpointId,
      version: () => this.baseline.version,
      isDirty: () => this.isDirty(),
      onRestored: (endpoint) => this.applySaved(endpoint),
      writing: (delta) => { this.writing += delta; },
      onCount: (open) => {
        this.tabButtons.activity.querySelector(".tab-count").textContent = open ? String(open) : "";
      },
    });
    this.panels.activity.append(this.activity.element);
    this.activity.loadComments(); // for the open count on the tab
  }

  async showDescription(mode) {
    const preview = mode === "preview";
    this.descriptionInput.hidden = preview;
    this.previewBox.hidden = !preview;
    if (!preview) return;
    this.previewBox.replaceChildren(h("p.muted", {}, "Rendering…"));
    try {
      const { html } = await api("POST", "/workspace/markdown/", { body: { text: this.draft.description || "" } });
      // Rendered and sanitized by the server's one Markdown renderer (the docs pages use it too).
      this.previewBox.innerHTML = html || "<p class=\"muted\">Nothing to preview yet.</p>";
    } catch (error) {
      this.previewBox.replaceChildren(h("p.form-error", {}, describeError(error)));
    }
  }

  buildComposer() {
    this.composerFormat = h("select#composer-format", { "aria-label": "Message format" },
      Object.entries(FORMAT_LABELS).map(([value, label]) => h("option", { value }, label)));

    this.formatButton = h("button.btn.small.ghost#format-body", { type: "button", title: "Pretty-print JSON, XML or HTML", on: { click: () => this.formatBody() } }, icon("wand"), "Format");
    this.composerFormat.addEventListener("change", () => {
      this.rememberFormat();
      this.updateComposer();
    });
    this.composerBody = h("textarea#composer.mono", {
      rows: "4",
      spellcheck: "false",
      "aria-label": "Message to send",
      "aria-keyshortcuts": "Control+Enter Meta+Enter",
      placeholder: "{\"op\": \"subscribe\", \"channel\": \"ticker\"}",
    });
    const remembered = this.isEndpoint ? localStorage.getItem(formatKey(this.endpointId)) : null;
    this.composerFormat.value = FORMAT_LABELS[remembered] ? remembered : "text";
    if (carried && carried.endpointId === this.endpointId) {
      this.composerBody.value = carried.body;
      carried = null;
    }
    this.composerBody.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.sendComposer();
      }
    });
    this.composerBody.addEventListener("input", () => { this.composerError.hidden = true; });
    this.sendButton = h("button.btn.primary.send#send", { type: "button", on: { click: () => this.sendComposer() }, title: `Send (${modKey()}+Enter)` },
      icon("send"), h("span", {}, "Send"), h("kbd", {}, `${modKey()}↵`));
    this.chips = h("div.saved-chips", { role: "group", "aria-label": "Saved messages" });
    this.composerError = h("p.composer-error", { role: "alert", hidden: true });
    this.composer = h("section.composer", { "aria-label": "Composer" },
      h("div.composer-bar", {},
        h("label.sr-only", { for: "composer-format" }, "Format"),
        this.composerFormat, this.formatButton, this.chips, this.sendButton),
      this.composerBody,
      this.composerError);
    this.updateComposer();
  }

  /** The format last used with an endpoint is where its composer starts next time. */
  rememberFormat() {
    if (this.isEndpoint) localStorage.setItem(formatKey(this.endpointId), this.composerFormat.value);
  }

  updateComposer() {
    this.formatButton.disabled = !PRETTY.has(this.composerFormat.value);
    const placeholders = {
      text: "Plain text", json: "{\"op\": \"subscribe\", \"channel\": \"ticker\"}", xml: "<subscribe channel=\"ticker\"/>",
      html: "<p>Hello</p>", base64: "AAECAw== (sent as a binary frame)", hex: "de ad be ef (sent as a binary frame)",
    };
    this.composerBody.placeholder = placeholders[this.composerFormat.value];
  }

  renderChips() {
    const messages = this.draft.messages || [];
    this.chips.replaceChildren(...messages.slice(0, 12).map((message, index) => h("span.chip-msg", {},
      h("button.chip-use", { type: "button", title: `Put "${message.name}" in the composer`, on: { click: () => this.useMessage(message) } },
        h("span.chip-fmt", {}, FORMAT_LABELS[message.format] || message.format), message.name),
      h("button.chip-send", {
        type: "button",
        disabled: this.state !== "open",
        "aria-label": `Send ${message.name} now`,
        title: `Send "${message.name}" now`,
        on: { click: () => this.sendSaved(index) },
      }, icon("send")))));
  }

  // --- filling and editing --------------------------------------------------------------------

  fill() {
    const d = this.draft;
    this.nameInput.value = d.name;
    this.urlInput.value = d.url;
    for (const kind of ["params", "headers", "cookies"]) this.rows[kind].set(d[kind] || []);
    const settings = { ...DEFAULT_SETTINGS, ...(d.settings || {}) };
    for (const key of ["open_timeout", "ping_interval", "max_message_size"]) this.settingInputs[key].value = settings[key];
    this.settingInputs.verify_tls.checked = settings.verify_tls !== false;
    this.subprotocolsInput.set(d.subprotocols || []);
    if (this.isEndpoint) {
      this.statusSelect.value = d.status;
      this.renderAssignees();
      this.tagsInput.set(d.tags || []);
      this.descriptionInput.value = d.description || "";
      if (!this.previewBox.hidden) this.showDescription("preview");
    }
    this.renderMessages();
    this.renderChips();
    this.renderBadge();
    this.renderCrumbs();
    this.renderPresence();
    this.updateCounts();
    this.updateDirty();
    document.title = `${d.name} · ${boot.project.name} · Switchboard`;
  }

  set(field, value, rerender = true) {
    this.draft[field] = value;
    if (field === "status") this.renderBadge();
    if (rerender && field === "messages") this.renderChips();
    if (HANDSHAKE.includes(field)) this.connectError.hidden = true;
    this.updateCounts();
    this.updateDirty();
  }

  updateDirty() {
    const dirty = this.isDirty();
    this.dirtyMark.hidden = !dirty || !this.isEndpoint;
    this.element.classList.toggle("dirty", dirty);
  }

  updateCounts() {
    const count = (rows) => (rows || []).filter((row) => row.enabled !== false && row.name).length;
    const counts = {
      params: count(this.draft.params),
      headers: count(this.draft.headers),
      cookies: count(this.draft.cookies),
      messages: (this.draft.messages || []).length,
    };
    for (const [key, value] of Object.entries(counts)) {
      const holder = this.tabButtons[key].querySelector(".tab-count");
      holder.textContent = value ? String(value) : "";
    }
  }

  renderBadge() {
    const status = this.draft.status;
    this.badge.className = `badge s-${status}`;
    this.badge.textContent = status;
    this.badge.hidden = !this.isEndpoint;
  }

  renderCrumbs() {
    if (!this.crumbs) return;
    if (!this.isEndpoint) {
      this.crumbs.textContent = "New request · not saved";
      return;
    }
    const summary = this.store.endpoints.get(this.endpointId);
    const folder = summary ? summary.folder : this.draft.folder;
    const path = this.store.folderPath(folder);
    this.crumbs.textContent = path.length ? path.join(" / ") : boot.project.name;
  }

  renderAssignees() {
    if (!this.assigneeSelect) return;
    const current = this.draft.assignee ? this.draft.assignee.id : "";
    const options = [h("option", { value: "" }, "Nobody")];
    const seen = new Set();
    for (const member of this.store.members) {
      seen.add(member.user.id);
      options.push(h("option", { value: member.user.id }, `${member.user.display_name} (@${member.user.username})`));
    }
    if (this.draft.assignee && !seen.has(this.draft.assignee.id)) {
      options.push(h("option", { value: this.draft.assignee.id }, this.draft.assignee.display_name));
    }
    this.assigneeSelect.replaceChildren(...options);
    this.assigneeSelect.value = String(current);
  }

  renderEnvironments() {
    if (!this.envSelect) return;
    const options = [h("option", { value: "" }, "No environment")];
    for (const environment of this.store.environments) options.push(h("option", { value: environment.id }, environment.name));
    this.envSelect.replaceChildren(...options);
    // Until the list has arrived, the remembered choice stays (it may come after the endpoint).
    if (this.store.environmentsLoaded && !this.store.environments.some((e) => String(e.id) === String(this.envId))) this.envId = "";
    this.envSelect.value = this.store.environmentsLoaded ? String(this.envId) : "";
  }

  renderPresence() {
    if (!this.presenceHost || !this.isEndpoint) return;
    const others = this.store.presence.filter((entry) => entry.user.id !== boot.me.id && entry.endpoints.includes(this.endpointId));
    this.presenceHost.replaceChildren(...others.map((entry) => avatar(entry.user, "small")));
    if (others.length) {
      const names = others.map((entry) => entry.user.display_name).join(", ");
      this.presenceHost.title = `${names} ${others.length === 1 ? "has" : "have"} this endpoint open`;
      this.presenceHost.append(h("span.sr-only", {}, this.presenceHost.title));
    }
  }

  selectTab(key) {
    this.activeTab = key;
    for (const [name, button] of Object.entries(this.tabButtons)) {
      const on = name === key;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      this.panels[name].hidden = !on;
    }
    if (key === "activity" && !this.activity.historyLoaded) this.activity.open();
  }

  async checkVariables() {
    if (!this.isEndpoint || !this.varsHint) return;
    try {
      const result = await get(`${base}/endpoints/${this.endpointId}/variables/`, { environment: this.envId || null });
      if (this.destroyed) return;
      const missing = [...new Set(result.unresolved.map((item) => item.name))];
      this.varsHint.hidden = !missing.length;
      this.varsHint.replaceChildren(icon("info"), ` No value for you: ${missing.map((n) => `{{${n}}}`).join(", ")}. `,
        h("a", { href: `/projects/${projectId}/environments/`, "data-route": "" }, "Set it in Environments"));
    } catch (error) {
      this.varsHint.hidden = true;
    }
  }

  // --- saving -------------------------------------------------------------------------------

  payload(fields) {
    const body = {};
    for (const field of fields) {
      if (field === "assignee") body.assignee = this.draft.assignee ? this.draft.assignee.id : null;
      else if (field === "messages") body.messages = comparable("messages", this.draft.messages).map((m) => (m.id ? m : { name: m.name, format: m.format, body: m.body, description: m.description }));
      else body[field] = clone(this.draft[field]);
    }
    return body;
  }

  clearErrors() {
    showFieldErrors(this.element, {});
    this.connectError.hidden = true;
  }

  showErrors(error) {
    const fields = error.fields || {};
    const unplaced = showFieldErrors(this.element, fields);
    const firstPath = Object.keys(fields)[0];
    if (firstPath) {
      const top = firstPath.split(/[.[]/)[0];
      if (FIELD_TAB[top]) this.selectTab(FIELD_TAB[top]);
      const target = this.element.querySelector(`[data-field="${CSS.escape(firstPath)}"]`);
      if (target) target.focus();
    }
    return unplaced;
  }

  async save({ overwriteVersion = null } = {}) {
    if (!boot.can_write) return;
    if (!this.isEndpoint) {
      await this.saveAsNew();
      return;
    }
    const fields = this.dirtyFields();
    if (!fields.length && overwriteVersion === null) {
      toast("Nothing to save: no changes.");
      return;
    }
    this.clearErrors();
    this.saveButton.disabled = true;
    this.writing += 1;
    try {
      const saved = await api("PATCH", `${base}/endpoints/${this.endpointId}/`, {
        body: this.payload(fields),
        version: overwriteVersion || this.baseline.version,
      }).finally(() => { this.writing -= 1; });
      this.applySaved(saved);
      toast(`Saved · version ${saved.version}`, "success");
    } catch (error) {
      if (error instanceof ApiError && error.code === "version_conflict") {
        await this.resolveConflict(error, fields);
      } else if (error instanceof ApiError && error.code === "validation_error") {
        const unplaced = this.showErrors(error);
        toast(unplaced.length ? unplaced[0] : "Some fields need attention before saving.", "error");
      } else {
        toast(describeError(error), "error");
      }
    } finally {
      this.saveButton.disabled = false;
    }
  }

  applySaved(saved) {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.field : null;
    this.baseline = clone(saved);
    this.draft = clone(saved);
    this.banner.hidden = true;
    this.fill();
    this.store.upsertEndpoint(saved);
    this.checkVariables();
    if (focused) {
      const again = this.element.querySelector(`[data-field="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  async resolveConflict(error, mine) {
    const body = error.body;
    const who = body.updated_by ? body.updated_by.display_name : "Someone";
    let revisions = [];
    try {
      const history = await get(`${base}/endpoints/${this.endpointId}/history/`, { page_size: 50 });
      revisions = history.results.filter((revision) => revision.version > this.baseline.version).reverse();
    } catch (problem) {
      revisions = [];
    }
    const theirs = new Set(revisions.flatMap((revision) => revision.changes.map((change) => change.field)));
    const both = mine.filter((field) => theirs.has(field));
    const list = h("ol.change-list", {}, revisions.map((revision) => h("li", {},
      h("p.change-who", {}, h("strong", {}, revision.actor ? revision.actor.display_name : "Someone"), ` · version ${revision.version} · ${relativeTime(revision.created_at)}`),
      h("ul", {}, revision.changes.map((change) => h("li", {}, h("code", {}, change.field), ": ", describeChange(change)))))));
    const content = [
      h("h3.dialog-sub", {}, "Their changes"),
      revisions.length ? list : h("p.muted", {}, "The history could not be read."),
      h("h3.dialog-sub", {}, "Your unsaved changes"),
      h("p", {}, mine.map((field) => h("code.field-chip", {}, field))),
      both.length ? h("p.notice.warn", {}, `You both changed ${both.join(", ")}. Overwriting replaces their ${both.join(", ")} with yours; their other changes stay.`) :
        h("p.notice", {}, "You changed different fields: overwriting keeps their changes and adds yours."),
    ];
    const choice = await dialog({
      title: `${who} saved this endpoint while you were editing`,
      description: `Nothing was written. The endpoint is at version ${body.current_version}; your copy is version ${this.baseline.version}.`,
      content,
      size: "wide",
      actions: [
        { label: "Reload theirs (discard mine)", kind: "secondary", value: "reload", id: "conflict-reload" },
        { label: "Overwrite with mine", kind: "danger", value: "overwrite", id: "conflict-overwrite" },
      ],
    });
    if (choice === "reload") {
      await this.reload();
    } else if (choice === "overwrite") {
      await this.save({ overwriteVersion: body.current_version });
    }
  }

  async reload() {
    const fresh = await get(`${base}/endpoints/${this.endpointId}/`);
    this.baseline = clone(fresh);
    this.draft = clone(fresh);
    this.banner.hidden = true;
    this.fill();
    this.store.upsertEndpoint(fresh);
    toast(`Loaded version ${fresh.version}`);
  }

  async saveAsNew() {
    if (!boot.can_write) return;
    const name = h("input#save-name", { value: this.isEndpoint ? `${this.draft.name} copy` : (this.draft.name === "Untitled request" ? "" : this.draft.name), autocomplete: "off", autofocus: true, dataset: { field: "name" }, placeholder: "e.g. Ticker stream" });
    const folder = h("select#save-folder", { dataset: { field: "folder" } }, folderOptions("Top level"));
    const currentFolder = this.isEndpoint ? (this.store.endpoints.get(this.endpointId) || {}).folder : null;
    if (currentFolder) folder.value = String(currentFolder);
    const result = await dialog({
      title: "Save as a new endpoint",
      description: "The URL, params, headers, cookies, settings and saved messages go into a new endpoint in the tree.",
      content: [h("label", { for: "save-name" }, "Name"), name, h("label", { for: "save-folder" }, "Folder"), folder],
      actions: [{
        label: "Save endpoint",
        kind: "primary",
        id: "save-new-confirm",
        run: async () => {
          const chosen = name.value.trim();
          if (!chosen) {
            name.setAttribute("aria-invalid", "true");
            name.focus();
            return false;
          }
          return this.createFromDraft(chosen, Number(folder.value) || null);
        },
      }],
    });
    if (!result) return;
    this.store.upsertEndpoint(result);
    const key = sessionKey(result.id);
    if (this.session) sessionStorage.setItem(key, String(this.session.id));
    this.baseline = clone(this.draft);
    localStorage.setItem(formatKey(result.id), this.composerFormat.value);
    carried = { endpointId: result.id, body: this.composerBody.value };
    toast(`Saved "${result.name}"`, "success");
    window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/endpoints/${result.id}/`, replace: !this.isEndpoint } }));
  }

  /** The draft becomes a new endpoint: through the debug session when there is one (the
   * session then belongs to the new endpoint and keeps its log), else through the endpoint API. */
  async createFromDraft(name, folder) {
    const messages = comparable("messages", this.draft.messages).map(({ name: n, format, body, description }) => ({ name: n, format, body, description }));
    if (this.session) {
      if (!ACTIVE.has(this.state)) await this.pushDraft();
      return api("POST", `/api/v1/sessions/${this.session.id}/save/`, { body: { target: "new", name, folder, messages } });
    }
    const body = this.payload(["url", "params", "headers", "cookies", "subprotocols", "settings"]);
    Object.assign(body, { name, folder, messages });
    if (this.isEndpoint) Object.assign(body, this.payload(["status", "assignee", "tags", "description"]));
    return api("POST", `${base}/endpoints/`, { body });
  }

  async deleteEndpoint() {
    const ok = await confirmDialog({
      title: `Delete "${this.draft.name}"?`,
      message: "The endpoint, its saved messages, history and comments are deleted for everyone. Share links stop showing it.",
      confirm: "Delete endpoint",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${base}/endpoints/${this.endpointId}/`, { version: this.baseline.version });
      this.store.removeEndpoint(this.endpointId);
      this.baseline = clone(this.draft);
      toast("Endpoint deleted");
      window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/` } }));
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  onProjectEvents(events) {
    if (!this.isEndpoint) return;
    const mine = events.filter((event) => (event.endpoint && event.endpoint.id === this.endpointId) ||
      (event.comment && event.comment.endpoint === this.endpointId));
    // The Activity tab reads each list once for a whole batch of events.
    if (mine.some((event) => event.comment)) this.activity.loadComments();
    if (this.activity.historyLoaded && mine.some((event) => event.endpoint && event.kind !== "endpoint.deleted")) {
      this.activity.loadHistory();
    }
    for (const event of mine) {
      if (!event.endpoint) continue;
      const by = event.actor ? event.actor.display_name : "Someone";
      if (event.kind === "endpoint.deleted") {
        this.showBanner(`${by} deleted this endpoint. Save it as a new endpoint to keep your copy.`, []);
        this.saveButton.disabled = true;
        continue;
      }
      // Our own saves come back with the version we already hold, or before their answer.
      if (event.endpoint.version <= this.baseline.version) continue;
      if (this.writing > 0 && event.actor && event.actor.id === boot.me.id) continue;
      if (!this.isDirty()) {
        this.reload().then(() => toast(`${by} updated this endpoint (${(event.changed || []).join(", ")})`));
      } else {
        this.showBanner(`${by} changed ${(event.changed || []).join(", ") || "this endpoint"} while you were editing.`, [
          h("button.btn.small", { type: "button", on: { click: () => this.reload() } }, "Reload theirs"),
          h("span.muted", {}, "or keep editing: saving will show what changed."),
        ]);
      }
    }
  }

  showBanner(text, actions) {
    this.banner.replaceChildren(icon("info"), h("span", {}, text), ...actions);
    this.banner.hidden = false;
  }

  shortcuts(event) {
    const mod = event.ctrlKey || event.metaKey;
    if (mod && event.key.toLowerCase() === "s") {
      event.preventDefault();
      if (boot.can_write) this.save();
    } else if (event.key === "Escape" && !this.detail.element.hidden && !document.querySelector("dialog[open]")) {
      this.detail.close();
    }
  }

  // --- debugging ----------------------------------------------------------------------------

  draftBody() {
    const body = this.payload(["name", "url", "params", "headers", "cookies", "subprotocols", "settings"]);
    if (this.envId) body.environment = Number(this.envId);
    else if (this.session && "environment" in this.session) body.environment = null;
    return body;
  }

  async findSession() {
    const key = sessionKey(this.endpointId);
    let session = null;
    const remembered = sessionStorage.getItem(key);
    if (remembered) {
      try {
        session = await get(`/api/v1/sessions/${remembered}/`);
        if ((session.endpoint || null) !== this.endpointId) session = null;
      } catch (error) {
        session = null;
      }
    }
    if (!session && this.isEndpoint) {
      try {
        const page = await get("/api/v1/sessions/", { project: projectId, page_size: 100 });
        session = page.results.find((item) => item.endpoint === this.endpointId) || null;
      } catch (error) {
        session = null;
      }
    }
    // A Connect pressed meanwhile has made (and follows) a session of its own.
    if (this.destroyed || this.session) return;
    if (session) this.attach(session, true);
    else this.setState("idle");
  }

  /** Follow a debug session. `adopt`: show its draft when it is what counts — a blank
   * request's only copy, or the handshake of a connection that is open right now. */
  attach(session, adopt = false) {
    this.session = session;
    sessionStorage.setItem(sessionKey(this.endpointId), String(session.id));
    if (adopt && (!this.isEndpoint || ACTIVE.has(session.state))) {
      for (const field of ["url", "params", "headers", "cookies", "subprotocols"]) this.draft[field] = clone(session[field]);
      this.draft.settings = { ...DEFAULT_SETTINGS, ...(session.settings || {}) };
      if (!this.isEndpoint && session.name) this.draft.name = session.name;
      this.fill();
    }
    // A live connection shows the environment it was opened with; otherwise the member's
    // current choice stays, and the session follows it at the next Connect.
    if (session.environment && ACTIVE.has(session.state)) {
      this.envId = String(session.environment);
      this.envSelect.value = this.envId;
    }
    this.setState(session.state);
    this.openSocket();
  }

  openSocket() {
    if (!this.session || this.destroyed || this.socket) return;
    const sid = this.session.id;
    this.socket = new LiveSocket({
      path: () => `/ws/sessions/${sid}/?after=${this.log.lastSeq}`,
      onMessage: (data) => this.receive(data),
      onDrop: () => this.dropPending(),
      onStop: ({ detail }) => {
        this.dropPending();
        toast(`The live log stopped: ${detail}`, "error", 10000);
      },
    }).start();
  }

  receive(data) {
    if (data.type === "session") {
      this.socket.healthy();
      this.session = data.session;
      this.setState(data.session.state);
    } else if (data.type === "events") {
      this.log.add(data.events);
      if (data.state) this.setState(data.state);
      else this.stateFromEvents(data.events);
    } else if (data.type === "ack") {
      this.settle(data.ref, null, data);
    } else if (data.type === "error" && data.ref !== undefined && data.ref !== null) {
      this.settle(data.ref, new ApiError(400, data));
    }
  }

  dropPending() {
    for (const [ref] of this.pending) this.settle(ref, new ApiError(0, { code: "network", detail: "The live connection dropped; try again." }));
  }

  stateFromEvents(events) {
    const last = [...events].reverse().find((entry) => !entry.direction);
    if (!last) return;
    const map = { connecting: "connecting", open: "open", closed: "closed", error: this.state === "open" ? "open" : "failed" };
    if (map[last.kind]) this.setState(map[last.kind]);
  }

  settle(ref, error, value) {
    const entry = this.pending.get(ref);
    if (!entry) return;
    this.pending.delete(ref);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(value);
  }

  setState(state) {
    this.state = state;
    const active = ACTIVE.has(state);
    const labels = {
      idle: "Not connected", connecting: "Connecting…", open: "Connected", closing: "Disconnecting…",
      closed: "Disconnected", failed: "Connection failed", lost: "Connection lost",
    };
    this.statusPill.className = `conn-pill st-${state}`;
    this.statusPill.querySelector(".conn-text").textContent = labels[state] || state;
    this.connectButton.textContent = state === "open" ? "Disconnect" : state === "connecting" ? "Cancel" : state === "closing" ? "Disconnecting…" : "Connect";
    this.connectButton.classList.toggle("danger", state === "open" || state === "connecting");
    this.connectButton.disabled = state === "closing";
    this.element.classList.toggle("connected", active);
    this.urlInput.readOnly = active;
    this.urlInput.setAttribute("aria-readonly", String(active));
    this.envSelect.disabled = active;
    this.lockIcon.hidden = !active;
    this.lockNote.hidden = !active;
    for (const kind of ["params", "headers", "cookies"]) this.rows[kind].lock(active);
    for (const input of Object.values(this.settingInputs)) input.disabled = active;
    this.subprotocolsInput.lock(active);
    const open = state === "open";
    this.sendButton.disabled = !open;
    this.messagesList.querySelectorAll("[data-send-saved]").forEach((button) => { button.disabled = !open; });
    this.chips.querySelectorAll(".chip-send").forEach((button) => { button.disabled = !open; });
  }

  async pushDraft() {
    this.session = await api("PATCH", `/api/v1/sessions/${this.session.id}/`, { body: this.draftBody() });
  }

  async toggleConnection() {
    if (this.state === "open" || this.state === "connecting") await this.disconnect();
    else if (this.state !== "closing") await this.connect();
  }

  async connect() {
    this.clearErrors();
    if (!this.draft.url.trim()) {
      this.connectError.textContent = "Enter the WebSocket URL to connect to (ws:// or wss://).";
      this.connectError.hidden = false;
      this.urlInput.focus();
      return;
    }
    // What is typed from now on is a message: the URL field is about to lock.
    if (this.urlInput === document.activeElement || this.connectButton === document.activeElement) this.composerBody.focus();
    this.connectButton.disabled = true;
    try {
      if (!this.session) {
        const body = this.draftBody();
        if (this.isEndpoint) body.endpoint = this.endpointId;
        else body.project = projectId;
        this.attach(await api("POST", "/api/v1/sessions/", { body }));
      } else {
        await this.pushDraft();
        this.openSocket();
      }
      this.setState("connecting");
      const result = await api("POST", `/api/v1/sessions/${this.session.id}/connect/`, { body: { wait: true } });
      this.session = result;
      this.setState(result.state);
      if (result.state === "open") this.composerBody.focus();
    } catch (error) {
      this.connectFailed(error);
    } finally {
      this.connectButton.disabled = this.state === "closing";
    }
  }

  connectFailed(error) {
    if (error instanceof ApiError && (error.code === "validation_error" || error.code === "unresolved_variables")) {
      this.showErrors(error);
    }
    let text = describeError(error);
    const answered = error instanceof ApiError && error.body.connection && error.body.connection.response ? error.body.connection.response.status : null;
    if (answered && !text.includes(String(answered))) text = `${text} (the server answered HTTP ${answered})`;
    this.connectError.replaceChildren(h("strong", {}, "Could not connect. "), text);
    this.connectError.hidden = false;
    const state = error instanceof ApiError && error.body.state ? error.body.state : (this.state === "connecting" ? "failed" : this.state);
    this.setState(state);
  }

  async disconnect() {
    if (!this.session) return;
    this.connectButton.disabled = true;
    try {
      const result = await api("POST", `/api/v1/sessions/${this.session.id}/disconnect/`, { body: {} });
      this.session = result;
      this.setState(result.state);
    } catch (error) {
      toast(describeError(error), "error");
    } finally {
      this.connectButton.disabled = this.state === "closing";
    }
  }

  async newSession() {
    if (!this.session || ACTIVE.has(this.state)) return;
    sessionStorage.removeItem(sessionKey(this.endpointId));
    if (this.socket) this.socket.close();
    this.socket = null;
    this.session = null;
    this.log.reset();
    this.detail.element.hidden = true;
    this.workbench.classList.remove("with-detail");
    this.setState("idle");
    toast("The next Connect starts a new session with an empty log.");
  }

  useMessage(message) {
    this.composerFormat.value = message.format;
    this.rememberFormat();
    this.composerBody.value = message.body;
    this.updateComposer();
    this.composerError.hidden = true;
    this.composerBody.focus();
  }

  async sendSaved(index) {
    const message = this.draft.messages[index];
    if (message) await this.send(message.format, message.body);
  }

  sendComposer() {
    return this.send(this.composerFormat.value, this.composerBody.value);
  }

  async send(format, body) {
    this.composerError.hidden = true;
    if (this.state !== "open") {
      this.composerError.textContent = "Connect first: messages go through the open connection.";
      this.composerError.hidden = false;
      return;
    }
    this.sendButton.disabled = true;
    try {
      if (this.socket && this.socket.isOpen) {
        const ref = ++this.ref;
        await new Promise((resolve, reject) => {
          const timer = setTimeout(() => this.settle(ref, new ApiError(0, { code: "timeout", detail: "No answer from the server in 30 s." })), 30000);
          this.pending.set(ref, { resolve, reject, timer });
          this.socket.send({ type: "send", format, body, ref });
        });
      } else {
        await api("POST", `/api/v1/sessions/${this.session.id}/messages/`, { body: { format, body } });
      }
    } catch (error) {
      const fields = error.fields || {};
      this.composerError.textContent = fields.body ? [].concat(fields.body)[0] : describeError(error);
      this.composerError.hidden = false;
    } finally {
      this.sendButton.disabled = this.state !== "open";
    }
  }

  async formatBody() {
    const format = this.composerFormat.value;
    if (!PRETTY.has(format)) return;
    this.composerError.hidden = true;
    try {
      const result = await api("POST", "/api/v1/sessions/format/", { body: { format, body: this.composerBody.value } });
      this.composerBody.value = result.formatted;
    } catch (error) {
      const fields = error.fields || {};
      this.composerError.textContent = fields.body ? [].concat(fields.body)[0] : describeError(error);
      this.composerError.hidden = false;
    }
  }

  openDetail(entry) {
    this.workbench.classList.add("with-detail");
    this.detail.show(entry);
  }
}

function summarize(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string") return value.length > 60 ? `"${value.slice(0, 57)}…"` : `"${value}"`;
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === "string")) return value.length ? value.join(", ") : "none";
    return `${value.length} item${value.length === 1 ? "" : "s"}`;
  }
  if (typeof value === "object" && value.display_name) return value.display_name;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function describeChange(change) {
  if (Array.isArray(change.new) && change.new.length && typeof change.new[0] === "object") {
    const rows = change.new.map((row) => (row && row.name ? `${row.name}${row.value !== undefined ? `: ${row.value}` : ""}` : "")).filter(Boolean);
    return rows.length ? `now ${rows.slice(0, 4).join("; ")}${rows.length > 4 ? "…" : ""}` : `${change.new.length} items`;
  }
  return `${summarize(change.old)} → ${summarize(change.new)}`;
}

