/* The endpoint editor's model and form: the draft being edited beside the baseline last read or
   saved (what differs is unsaved), the name and URL, and the tabs — Params, Headers, Cookies,
   Auth, Messages, Settings, Socket.IO (for that protocol), and for an endpoint Docs, Mock and
   Activity (the Mock and Activity panels are the view's).
   While a connection is active the handshake fields are locked. */
import { clone, h } from "./dom.js";
import { showFieldErrors } from "./ui.js";
import { rowsEditor } from "./rows.js";
import { boot } from "./boot.js";
import { DocumentedMessages, messageFields } from "./messages.js";
import { SettingsPanel, DocsPanel, DEFAULT_SETTINGS } from "./panels.js";
import { AuthPanel, inheritedAuth } from "./auth-panel.js";
import { ENDPOINT_FIELDS, HANDSHAKE, ROW_KINDS, DOCS_FIELDS, DEFAULT_SOCKETIO, isSocketIO } from "./endpoint-fields.js";
import { SocketIOPanel, protocolSelect } from "./socketio-fields.js";

/** The tab that shows a field (null: the head above the tabs). */
const FIELD_TAB = {
  name: null, url: null, protocol: null, socketio: "socketio", auth: "auth", subprotocols: "settings", settings: "settings", messages: "messages", strict: "messages",
  ...Object.fromEntries(ROW_KINDS.map((kind) => [kind, kind])),
  ...Object.fromEntries(DOCS_FIELDS.map((field) => [field, "docs"])),
};
const ROW_HINTS = {
  params: "Query parameters are appended to the URL, percent-encoded. Write them decoded.",
  headers: "Sent with the handshake. A browser cannot set these on a WebSocket; the server connects for you, so it can.",
  cookies: "Sent as one Cookie header with the handshake.",
};

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export function comparable(field, value) {
  if (field === "assignee") return value ? value.id : null;
  if (field === "settings") return { ...DEFAULT_SETTINGS, ...(value || {}) };
  if (field === "messages") return (value || []).map(messageFields);
  if (field === "strict") return Boolean(value);
  if (field === "auth") return value || { type: "inherit" };
  if (field === "protocol") return value || "websocket";
  if (field === "socketio") return { ...DEFAULT_SOCKETIO, ...(value || {}) };
  return value;
}

export function blankDraft() {
  return {
    id: null, folder: null, name: "Untitled request", protocol: "websocket", socketio: { ...DEFAULT_SOCKETIO }, url: "", params: [], headers: [], cookies: [],
    auth: { type: "inherit" }, subprotocols: [], settings: { ...DEFAULT_SETTINGS }, messages: [], strict: false, status: "developing",
    assignee: null, tags: [], description: "", version: null,
  };
}

export class EndpointEditor {
  /**
   * endpoint: what was read (or a blank draft); endpointId: null for a blank request; store;
   * hooks: onEdit(field) after every change, onDirty(dirty), onMessages(messages),
   * onUseMessage(message, example), onSendExample(message, example), composerMessage(), onTab(key),
   * onProtocol(protocol) when the draft's protocol changes.
   */
  constructor({ endpoint, endpointId, store, hooks }) {
    this.endpointId = endpointId;
    this.isEndpoint = Boolean(endpointId);
    this.store = store;
    this.hooks = hooks;
    this.baseline = clone(endpoint);
    this.draft = clone(endpoint);
    this.activeTab = "params";
    this.buildHead();
    this.buildTabs();
  }

  buildHead() {
    this.nameInput = h("input.req-name", {
      "aria-label": this.isEndpoint ? "Endpoint name" : "Request name",
      dataset: { field: "name" },
      maxlength: "200",
      spellcheck: "false",
      readOnly: !boot.can_write && this.isEndpoint,
    });
    this.nameInput.addEventListener("input", () => this.set("name", this.nameInput.value));
    this.crumbs = h("p.req-crumbs");
    this.badge = h("span.badge");
    this.urlInput = h("input.url-input#req-url", {
      type: "text",
      "aria-label": "WebSocket URL",
      placeholder: "wss://example.com/socket",
      spellcheck: "false",
      autocomplete: "off",
      dataset: { field: "url" },
    });
    this.urlInput.addEventListener("input", () => this.set("url", this.urlInput.value));
    this.protocolInput = protocolSelect({
      id: "req-protocol",
      disabled: !boot.can_write && this.isEndpoint,
      onChange: (protocol) => this.set("protocol", protocol),
    });
  }

  buildTabs() {
    const tabs = [["params", "Params"], ["headers", "Headers"], ["cookies", "Cookies"], ["auth", "Auth"], ["messages", "Messages"], ["settings", "Settings"], ["socketio", "Socket.IO"]];
    if (this.isEndpoint) tabs.push(["docs", "Docs"], ["mock", "Mock"], ["activity", "Activity"]);
    this.tabButtons = {};
    this.panels = {};
    this.tablist = h("div.tabs", { role: "tablist", "aria-label": "Request parts" });
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
      this.tablist.append(button);
      this.panels[key] = h("div.tabpanel", { role: "tabpanel", id: `panel-${key}`, "aria-labelledby": `tab-${key}`, hidden: true });
    }
    this.tablist.addEventListener("keydown", (event) => {
      if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
      event.preventDefault();
      const keys = tabs.map(([key]) => key).filter((key) => !this.tabButtons[key].hidden);
      let index = keys.indexOf(this.activeTab);
      if (event.key === "ArrowLeft") index = (index - 1 + keys.length) % keys.length;
      else if (event.key === "ArrowRight") index = (index + 1) % keys.length;
      else if (event.key === "Home") index = 0;
      else index = keys.length - 1;
      this.selectTab(keys[index]);
      this.tabButtons[keys[index]].focus();
    });
    this.rows = {};
    for (const kind of ROW_KINDS) {
      this.rows[kind] = rowsEditor({ kind, rows: [], onChange: (rows) => this.set(kind, rows) });
      this.panels[kind].append(h("p.panel-hint", {}, ROW_HINTS[kind], " Use ", h("code", {}, "{{variable}}"), " for values from environments."), this.rows[kind].element);
    }
    this.messages = new DocumentedMessages({
      editor: this,
      onUse: (message, example) => this.hooks.onUseMessage(message, example),
      onSend: (message, example) => this.hooks.onSendExample(message, example),
      composerMessage: () => this.hooks.composerMessage(),
    });
    this.panels.messages.append(...this.messages.element);
    this.settings = new SettingsPanel({ editor: this });
    this.panels.settings.append(this.settings.element);
    this.socketio = new SocketIOPanel({ editor: this, readOnly: !boot.can_write && this.isEndpoint });
    this.panels.socketio.append(this.socketio.element);
    this.auth = new AuthPanel({ onChange: (auth) => this.set("auth", auth) });
    this.panels.auth.append(this.auth.element);
    if (this.isEndpoint) {
      this.docs = new DocsPanel({ editor: this, store: this.store, endpointId: this.endpointId });
      this.panels.docs.append(...this.docs.element);
    }
    this.tabpanels = h("div.tabpanels", {}, Object.values(this.panels));
  }

  /** Unsaved edits of an endpoint; a blank request lives in its debug session instead. */
  isDirty() {
    return this.isEndpoint && this.dirtyFields().length > 0;
  }

  dirtyFields() {
    return ENDPOINT_FIELDS.filter((field) => !same(comparable(field, this.draft[field]), comparable(field, this.baseline[field])));
  }

  /** The endpoint as saved (or read again): no unsaved edits any more. */
  reset(endpoint) {
    this.baseline = clone(endpoint);
    this.draft = clone(endpoint);
    this.fill();
  }

  /** Show a debug session's handshake (see RequestView.onAttach). */
  adopt(session) {
    for (const field of HANDSHAKE) {
      this.draft[field] = field === "settings" || field === "socketio" ? comparable(field, session[field]) : clone(session[field]);
    }
    if (!this.isEndpoint && session.name) this.draft.name = session.name;
    this.fill();
  }

  fill() {
    const d = this.draft;
    this.nameInput.value = d.name;
    this.urlInput.value = d.url;
    this.protocolInput.value = comparable("protocol", d.protocol);
    this.socketio.fill(d);
    this.showProtocol();
    for (const kind of ROW_KINDS) this.rows[kind].set(d[kind] || []);
    this.settings.fill(d);
    this.auth.fill(d.auth);
    this.auth.explainInherited(() => inheritedAuth(this.isEndpoint ? this.draft.folder : null));
    if (this.docs) this.docs.fill(d);
    this.messages.fill(d);
    this.hooks.onMessages(d.messages);
    this.renderBadge();
    this.renderCrumbs();
    this.updateCounts();
    this.hooks.onDirty(this.isDirty());
    document.title = `${d.name} · ${boot.project.name} · Switchboard`;
  }

  set(field, value) {
    this.draft[field] = value;
    if (field === "status") this.renderBadge();
    if (field === "messages") this.hooks.onMessages(value);
    if (field === "protocol") {
      this.showProtocol();
      this.messages.render();
      this.hooks.onMessages(this.draft.messages);
    }
    this.updateCounts();
    this.hooks.onEdit(field);
    this.hooks.onDirty(this.isDirty());
  }

  /** The draft's `fields` as the API takes them. */
  payload(fields) {
    const body = {};
    for (const field of fields) {
      if (field === "assignee") body.assignee = this.draft.assignee ? this.draft.assignee.id : null;
      else if (field === "messages") body.messages = comparable("messages", this.draft.messages);
      else body[field] = clone(this.draft[field]);
    }
    return body;
  }

  /** The Socket.IO tab exists for that protocol only; the URL's placeholder says what it takes. */
  showProtocol() {
    const sio = isSocketIO(this.draft);
    this.tabButtons.socketio.hidden = !sio;
    if (!sio && this.activeTab === "socketio") this.selectTab("settings");
    this.urlInput.placeholder = sio ? "https://example.com (Socket.IO server)" : "wss://example.com/socket";
    this.urlInput.setAttribute("aria-label", sio ? "Socket.IO server URL" : "WebSocket URL");
    if (this.hooks.onProtocol) this.hooks.onProtocol(comparable("protocol", this.draft.protocol));
  }

  /** While connecting or connected, the handshake cannot change. */
  lock(active) {
    this.urlInput.readOnly = active;
    this.urlInput.setAttribute("aria-readonly", String(active));
    for (const kind of ROW_KINDS) this.rows[kind].lock(active);
    this.settings.lock(active);
    this.socketio.lock(active);
    this.protocolInput.disabled = active || (!boot.can_write && this.isEndpoint);
    this.auth.lock(active);
  }

  updateCounts() {
    const count = (rows) => (rows || []).filter((row) => row.enabled !== false && row.name).length;
    const counts = {
      ...Object.fromEntries(ROW_KINDS.map((kind) => [kind, count(this.draft[kind])])),
      messages: (this.draft.messages || []).length,
    };
    for (const [key, value] of Object.entries(counts)) {
      this.tabButtons[key].querySelector(".tab-count").textContent = value ? String(value) : "";
    }
  }

  renderBadge() {
    const status = this.draft.status;
    this.badge.className = `badge s-${status}`;
    this.badge.textContent = status;
    this.badge.hidden = !this.isEndpoint;
  }

  renderCrumbs() {
    if (!this.isEndpoint) {
      this.crumbs.textContent = "New request · not saved";
      return;
    }
    const summary = this.store.endpoints.get(this.endpointId);
    const folder = summary ? summary.folder : this.draft.folder;
    const path = this.store.folderPath(folder);
    this.crumbs.textContent = path.length ? path.join(" / ") : boot.project.name;
  }

  selectTab(key) {
    this.activeTab = key;
    for (const [name, button] of Object.entries(this.tabButtons)) {
      const on = name === key;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      this.panels[name].hidden = !on;
    }
    this.hooks.onTab(key);
  }

  /** The documented message and example as saved, when the draft still has them unchanged:
   * then a send can name them ({id, example}) and the server checks it as that message. */
  savedExample(message, example) {
    if (!message.id) return null;
    const saved = (this.baseline.messages || []).find((m) => m.id === message.id);
    if (!saved || saved.format !== message.format) return null;
    const stored = (saved.examples || []).find((e) => e.name === example.name);
    if (!stored || stored.body !== example.body) return null;
    return { id: message.id, example: example.name };
  }

  /** Problems found before asking the API (JSON typed that does not parse), as `fields`. */
  localProblems() {
    return isSocketIO(this.draft) ? { ...this.socketio.localProblems(), ...this.messages.localProblems() } : this.messages.localProblems();
  }

  /** Marks the fields an API error names (within `root`), opens the tab of the first and
   * focuses it; returns the problems it could not place. */
  showErrors(root, error) {
    const fields = error.fields || {};
    this.messages.reveal(Object.keys(fields));
    const unplaced = showFieldErrors(root, fields);
    const firstPath = Object.keys(fields)[0];
    if (firstPath) {
      const top = firstPath.split(/[.[]/)[0];
      if (FIELD_TAB[top]) this.selectTab(FIELD_TAB[top]);
      const target = root.querySelector(`[data-field="${CSS.escape(firstPath)}"]`);
      if (target) target.focus();
    }
    return unplaced;
  }
}
