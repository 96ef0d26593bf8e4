/* The request view: an endpoint's editor (or a blank request) with the debug workbench under it.
   It wires the parts, each in its own module:

   - editor.js (with messages.js, panels.js): the draft and its form — URL, Params, Headers,
     Cookies, documented Messages, Settings, Docs; Mock is mock.js, Activity is activity.js.
   - composer.js: the message to send (emit-composer.js: the event to emit, for Socket.IO). connection.js: the URL bar, environment and Connect;
     debug-session.js: the debug session (REST /api/v1/sessions/) that holds the upstream
     connection, and its live socket that streams the log (log.js, detail.js) and carries sends.
   - conflict.js: teammates' changes while editing, and stale saves (412).

   Saving sends only what changed, with the version read (If-Match). While connecting or
   connected the handshake cannot change (the API answers 409), so its fields are locked,
   visibly. */
import { api, get, describeError, ApiError } from "./api.js";
import { avatar, clone, copyText, h, icon, modKey, toast } from "./dom.js";
import { dialog, confirmDialog, menuButton } from "./ui.js";
import { MessageLog } from "./log.js";
import { DetailPanel } from "./detail.js";
import { ActivityPanel } from "./activity.js";
import { MockPanel } from "./mock.js";
import { boot, base, projectId } from "./boot.js";
import { folderOptions } from "./tree-model.js";
import { EndpointEditor, blankDraft, comparable } from "./editor.js";
import { HANDSHAKE, DOCS_FIELDS } from "./endpoint-fields.js";
import { Composer } from "./composer.js";
import { EmitComposer } from "./emit-composer.js";
import { TimersPanel } from "./timers.js";
import { ACTIVE } from "./debug-session.js";
import { Connection } from "./connection.js";
import { ConflictGuard } from "./conflict.js";

export class RequestView {
  constructor(main, { store, live, composerHandover }, { endpointId }) {
    this.main = main;
    this.store = store;
    this.live = live;
    this.composerHandover = composerHandover;
    this.endpointId = endpointId || null;
    this.isEndpoint = Boolean(this.endpointId);
    this.destroyed = false;
    this.unsubscribe = [];
  }

  async init() {
    let endpoint;
    if (this.isEndpoint) {
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
    this.build(endpoint);
    const store = this.store;
    this.unsubscribe.push(store.on("events", (events) => this.onProjectEvents(events)));
    this.unsubscribe.push(store.on("presence", () => this.renderPresence()));
    this.unsubscribe.push(store.on("environments", () => this.connection.renderEnvironments()));
    this.unsubscribe.push(store.on("members", () => this.editor.docs && this.editor.docs.renderAssignees()));
    this.unsubscribe.push(store.on("tags", () => this.editor.docs && this.editor.docs.setTagSuggestions()));
    this.unsubscribe.push(store.on("tree", () => this.editor.renderCrumbs()));
    this.keys = (event) => this.shortcuts(event);
    document.addEventListener("keydown", this.keys);
    this.live.show(this.endpointId);
    this.debug.find();
    this.connection.checkVariables();
    return true;
  }

  destroy() {
    this.destroyed = true;
    this.unsubscribe.forEach((off) => off());
    document.removeEventListener("keydown", this.keys);
    if (this.connection) this.connection.destroy();
    if (this.mock) this.mock.close();
    this.live.show(null);
  }

  isDirty() {
    return Boolean(this.editor) && this.editor.isDirty();
  }

  // --- building -----------------------------------------------------------------------------

  build(endpoint) {
    const canWrite = boot.can_write;
    this.composer = new Composer({
      endpointId: this.endpointId,
      handover: this.composerHandover,
      onSend: (what) => this.debug.send(what),
      savedExample: (message, example) => this.editor.savedExample(message, example),
    });
    this.emitComposer = new EmitComposer({
      onEmit: (what) => this.debug.emit(what),
      savedExample: (message, example) => this.editor.savedExample(message, example),
    });
    // The composer the protocol uses; the connection drives both.
    const active = () => (this.sio ? this.emitComposer : this.composer);
    const composers = {
      setOpen: (open) => { this.composer.setOpen(open); this.emitComposer.setOpen(open); },
      focus: () => active().focus(),
    };
    this.editor = new EndpointEditor({
      endpoint,
      endpointId: this.endpointId,
      store: this.store,
      hooks: {
        onEdit: (field) => {
          if (HANDSHAKE.includes(field)) this.connection.error.hidden = true;
          if (field === "socketio") this.showProtocol(this.editor.draft.protocol);
        },
        onDirty: (dirty) => {
          this.dirtyMark.hidden = !dirty || !this.isEndpoint;
          this.element.classList.toggle("dirty", dirty);
        },
        onMessages: (messages) => {
          this.composer.renderChips(messages);
          this.emitComposer.renderChips(messages);
        },
        onUseMessage: (message, example) => active().use(message, example),
        onSendExample: (message, example) => active().sendExample(message, example),
        onProtocol: (protocol) => this.showProtocol(protocol),
        composerMessage: () => (this.sio ? this.emitComposer.asMessage() : { format: this.composer.format.value, body: this.composer.body.value }),
        onTab: (key) => {
          if (key === "activity" && !this.activity.historyLoaded) this.activity.open();
          if (key === "mock") this.mock.open();
        },
      },
    });
    const editor = this.editor;
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
      { label: "Start a new session (clear the log)", run: () => this.newSession(), disabled: !this.debug.session || ACTIVE.has(this.debug.state) },
      this.isEndpoint && canWrite ? "-" : null,
      this.isEndpoint && canWrite ? { label: "Delete endpoint…", danger: true, run: () => this.deleteEndpoint() } : null,
    ].filter(Boolean);
    this.banner = h("div.banner", { hidden: true, role: "status" });
    if (this.isEndpoint) this.buildActivity();
    this.conflicts = new ConflictGuard({
      endpointId: this.endpointId,
      meId: boot.me.id,
      version: () => editor.baseline.version,
      isDirty: () => this.isDirty(),
      reload: () => this.reload(),
      showBanner: (text, actions) => this.showBanner(text, actions),
      onDeleted: () => { this.saveButton.disabled = true; },
    });

    // workbench: composer + log, detail on the right
    this.log = new MessageLog({ onSelect: (entry) => this.openDetail(entry) });
    this.connection = new Connection({
      endpointId: this.endpointId,
      editor,
      composer: composers,
      log: this.log,
      store: this.store,
      root: () => this.element,
      onActive: (active) => this.element.classList.toggle("connected", active),
    });
    this.debug = this.connection.debug;
    this.timers = new TimersPanel({
      debug: this.debug,
      message: () => ({ format: this.composer.format.value, body: this.composer.body.value }),
    });
    this.connection.timers = this.timers;
    this.debug.onEvents = (events) => {
      this.timers.onEvents(events);
      this.emitComposer.onEvents(events);
    };
    this.log.toolbar.prepend(this.connection.statusPill);
    this.detail = new DetailPanel({
      sessionId: () => this.debug.session && this.debug.session.id,
      entryOf: (seq) => this.log.bySeq.get(seq),
      goTo: (seq) => this.log.goTo(seq),
      onAnswer: (entry) => this.emitComposer.answerAck(entry),
      onClose: () => {
        this.log.clearSelection();
        this.workbench.classList.remove("with-detail");
        this.log.viewport.focus();
      },
    });
    this.workbench = h("div.workbench", {},
      h("div.bench-main", {}, this.composer.element, this.emitComposer.element, this.timers.element, this.log.element),
      this.detail.element);

    this.element = h(`section.request${this.isEndpoint ? ".is-endpoint" : ""}`, { "aria-label": this.isEndpoint ? "Endpoint" : "New request" },
      h("header.req-head", {},
        h("div.req-title", {}, editor.crumbs, h("div.req-name-row", {}, editor.nameInput, editor.badge)),
        h("div.req-tools", {}, this.presenceHost, this.dirtyMark, this.saveButton, menuButton("More actions", menuItems))),
      this.banner,
      this.connection.elements,
      h("div.req-config", {}, editor.tablist, editor.tabpanels),
      this.workbench);
    this.main.replaceChildren(this.element);
    editor.fill();
    this.renderPresence();
    this.connection.renderEnvironments();
    // Params when there are some; otherwise Headers, where auth usually goes.
    editor.selectTab((editor.draft.params || []).length ? "params" : "headers");
    if (!this.isEndpoint) editor.urlInput.focus();
  }

  buildActivity() {
    this.activity = new ActivityPanel({
      endpointId: this.endpointId,
      version: () => this.editor.baseline.version,
      isDirty: () => this.isDirty(),
      onRestored: (endpoint) => this.applySaved(endpoint),
      writing: (delta) => { this.conflicts.writing += delta; },
      onCount: (open) => {
        this.editor.tabButtons.activity.querySelector(".tab-count").textContent = open ? String(open) : "";
      },
    });
    this.editor.panels.activity.append(this.activity.element);
    this.activity.loadComments(); // for the open count on the tab
    this.mock = new MockPanel({ endpointId: this.endpointId });
    this.editor.panels.mock.append(this.mock.element);
  }

  /** Socket.IO swaps the composer for the emit composer and shows the log's Socket.IO filters. */
  showProtocol(protocol) {
    this.sio = protocol === "socketio";
    if (!this.log) return;
    this.composer.element.hidden = this.sio;
    this.emitComposer.element.hidden = !this.sio;
    this.timers.element.hidden = this.sio;
    this.log.setProtocol(protocol);
    // An emit without a namespace goes to the endpoint's.
    this.emitComposer.namespace.placeholder = (this.editor.draft.socketio || {}).namespace || "/";
  }

  renderPresence() {
    if (!this.isEndpoint) return;
    const others = this.store.presence.filter((entry) => entry.user.id !== boot.me.id && entry.endpoints.includes(this.endpointId));
    this.presenceHost.replaceChildren(...others.map((entry) => avatar(entry.user, "small")));
    if (others.length) {
      const names = others.map((entry) => entry.user.display_name).join(", ");
      this.presenceHost.title = `${names} ${others.length === 1 ? "has" : "have"} this endpoint open`;
      this.presenceHost.append(h("span.sr-only", {}, this.presenceHost.title));
    }
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

  openDetail(entry) {
    this.workbench.classList.add("with-detail");
    this.detail.show(entry);
  }

  // --- the connection and saving ------------------------------------------------------------

  newSession() {
    if (!this.debug.session || ACTIVE.has(this.debug.state)) return;
    this.debug.forget();
    this.detail.element.hidden = true;
    this.workbench.classList.remove("with-detail");
    toast("The next Connect starts a new session with an empty log.");
  }

  showBanner(text, actions) {
    this.banner.replaceChildren(icon("info"), h("span", {}, text), ...actions);
    this.banner.hidden = false;
  }

  async save({ overwriteVersion = null } = {}) {
    if (!boot.can_write) return;
    if (!this.isEndpoint) {
      await this.saveAsNew();
      return;
    }
    if (!this.checkLocally()) return;
    const fields = this.editor.dirtyFields();
    if (!fields.length && overwriteVersion === null) {
      toast("Nothing to save: no changes.");
      return;
    }
    this.connection.clearErrors();
    this.saveButton.disabled = true;
    try {
      const saved = await this.conflicts.own(() => api("PATCH", `${base}/endpoints/${this.endpointId}/`, {
        body: this.editor.payload(fields),
        version: overwriteVersion || this.editor.baseline.version,
      }));
      this.applySaved(saved);
      toast(`Saved · version ${saved.version}`, "success");
    } catch (error) {
      if (error instanceof ApiError && error.code === "version_conflict") {
        const choice = await this.conflicts.resolve(error, fields);
        if (choice === "reload") await this.reload();
        else if (choice === "overwrite") await this.save({ overwriteVersion: error.body.current_version });
      } else if (error instanceof ApiError && (error.code === "validation_error" || (error.code === "too_large" && Object.keys(error.fields).length))) {
        const unplaced = this.editor.showErrors(this.element, error);
        toast(unplaced.length ? unplaced[0] : "Some fields need attention before saving.", "error");
      } else {
        toast(describeError(error), "error");
      }
    } finally {
      this.saveButton.disabled = false;
    }
  }

  /** JSON typed in the Messages tab that does not parse is shown there, before asking the API. */
  checkLocally() {
    const problems = this.editor.localProblems();
    if (!Object.keys(problems).length) return true;
    this.editor.showErrors(this.element, { fields: problems });
    toast("Some fields need attention before saving.", "error");
    return false;
  }

  applySaved(saved) {
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.field : null;
    this.banner.hidden = true;
    this.editor.reset(saved);
    this.store.upsertEndpoint(saved);
    this.connection.checkVariables();
    if (focused) {
      const again = this.element.querySelector(`[data-field="${CSS.escape(focused)}"]`);
      if (again) again.focus();
    }
  }

  async reload() {
    const fresh = await get(`${base}/endpoints/${this.endpointId}/`);
    this.banner.hidden = true;
    this.editor.reset(fresh);
    this.store.upsertEndpoint(fresh);
    toast(`Loaded version ${fresh.version}`);
  }

  async saveAsNew() {
    if (!boot.can_write || !this.checkLocally()) return;
    const draft = this.editor.draft;
    const name = h("input#save-name", { value: this.isEndpoint ? `${draft.name} copy` : (draft.name === "Untitled request" ? "" : draft.name), autocomplete: "off", autofocus: true, dataset: { field: "name" }, placeholder: "e.g. Ticker stream" });
    const folder = h("select#save-folder", { dataset: { field: "folder" } }, folderOptions(this.store, "Top level"));
    const currentFolder = this.isEndpoint ? (this.store.endpoints.get(this.endpointId) || {}).folder : null;
    if (currentFolder) folder.value = String(currentFolder);
    const result = await dialog({
      title: "Save as a new endpoint",
      description: "The URL, params, headers, cookies, settings and documented messages go into a new endpoint in the tree.",
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
    this.debug.handOver(result.id);
    this.composer.handOver(result.id);
    this.editor.baseline = clone(this.editor.draft);
    toast(`Saved "${result.name}"`, "success");
    window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/endpoints/${result.id}/`, replace: !this.isEndpoint } }));
  }

  /** The draft becomes a new endpoint: through the debug session when there is one (the
   * session then belongs to the new endpoint and keeps its log), else through the endpoint API. */
  async createFromDraft(name, folder) {
    const editor = this.editor;
    // Every documented field goes along; ids stay with the messages of the endpoint they belong to.
    const messages = comparable("messages", editor.draft.messages).map(({ id, ...fields }) => fields);
    if (this.debug.session) {
      const created = await this.debug.saveAsNew(this.connection.draftBody(), { name, folder, messages });
      // A session's save takes no endpoint settings: the copy of a strict endpoint is made strict next.
      if (!this.isEndpoint || !editor.draft.strict) return created;
      return api("PATCH", `${base}/endpoints/${created.id}/`, { body: { strict: true }, version: created.version });
    }
    const body = editor.payload(HANDSHAKE);
    Object.assign(body, { name, folder, messages });
    if (this.isEndpoint) Object.assign(body, editor.payload([...DOCS_FIELDS, "strict"]));
    const created = await api("POST", `${base}/endpoints/`, { body });
    // Credentials are write-only: one the page never had cannot go into the copy.
    const auth = body.auth || {};
    if (["token", "password", "value"].some((key) => auth[key] == null && auth[`${key}_set`])) {
      toast("The Auth tab's stored credential was not copied: type it in the new endpoint's Auth tab.", "info", 8000);
    }
    return created;
  }

  async deleteEndpoint() {
    const ok = await confirmDialog({
      title: `Delete "${this.editor.draft.name}"?`,
      message: "The endpoint, its saved messages, history and comments are deleted for everyone. Share links stop showing it.",
      confirm: "Delete endpoint",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${base}/endpoints/${this.endpointId}/`, { version: this.editor.baseline.version });
      this.store.removeEndpoint(this.endpointId);
      this.editor.baseline = clone(this.editor.draft);
      toast("Endpoint deleted");
      window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/` } }));
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  onProjectEvents(events) {
    // The Messages tab's schema pickers list the project's schemas.
    if (events.some((event) => String(event.kind).startsWith("schema."))) this.editor.messages.loadSchemas();
    if (!this.isEndpoint) return;
    this.mock.onEvents(events);
    // Mock events name the endpoint too, but change nothing of it.
    const mine = events.filter((event) => !String(event.kind).startsWith("mock") &&
      ((event.endpoint && event.endpoint.id === this.endpointId) ||
       (event.comment && event.comment.endpoint === this.endpointId)));
    // The Activity tab reads each list once for a whole batch of events.
    if (mine.some((event) => event.comment)) this.activity.loadComments();
    if (this.activity.historyLoaded && mine.some((event) => event.endpoint && event.kind !== "endpoint.deleted")) {
      this.activity.loadHistory();
    }
    this.conflicts.onEvents(mine);
  }
}
