/* The project as this tab knows it: the tree, members, tags and environments loaded over REST,
   kept current by the project's live socket (WS /ws/projects/{id}/), plus presence. main.js
   creates one Store and one ProjectSocket and hands them to the views.

   Order of loading, as docs/collaboration.md "Live project events" recommends: connect the
   socket first, note `last_seq` from `ready`, then load over REST; events are applied by
   version, so nothing is missed and an old event never overwrites newer data. */
import { get } from "./api.js";
import { applyProjectEvents } from "./events.js";
import { LiveSocket } from "./live.js";

export class Store extends EventTarget {
  /** base: the project's API root; me: who this tab is. */
  constructor({ base, me }) {
    super();
    this.base = base;
    this.me = me;
    this.folders = new Map();
    this.endpoints = new Map();
    this.members = [];
    this.tags = [];
    this.environments = [];
    this.environmentsLoaded = false;
    this.presence = [];
    this.lastSeq = 0;
    this.loaded = false;
    this.fresh = new Set();
    this.refreshTimer = 0;
  }

  emit(name, detail) {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /** Subscribe; returns the function that unsubscribes. */
  on(name, handler) {
    const listener = (event) => handler(event.detail);
    this.addEventListener(name, listener);
    return () => this.removeEventListener(name, listener);
  }

  async loadTree() {
    const tree = await get(`${this.base}/tree/`);
    const folders = new Map();
    const endpoints = new Map();
    const walk = (node) => {
      for (const endpoint of node.endpoints) endpoints.set(endpoint.id, endpoint);
      for (const folder of node.folders) {
        folders.set(folder.id, {
          id: folder.id, name: folder.name, parent: folder.parent,
          position: folder.position, version: folder.version,
        });
        walk(folder);
      }
    };
    walk(tree);
    this.folders = folders;
    this.endpoints = endpoints;
    this.loaded = true;
    this.emit("tree");
  }

  /* The project as REST shows it (with `description_html`), announced as "project". */
  async loadProject() {
    this.emit("project", await get(`${this.base}/`));
  }

  async loadMembers() {
    this.members = await get(`${this.base}/members/`);
    this.emit("members");
  }

  async loadTags() {
    this.tags = await get(`${this.base}/tags/`);
    this.emit("tags");
  }

  async loadEnvironments() {
    this.environments = await get(`${this.base}/environments/`);
    this.environmentsLoaded = true;
    this.emit("environments");
  }

  /** Tree and tags again, a moment after a burst of changes the events do not fully carry. */
  refreshSoon() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.loadTree().catch(() => {});
      this.loadTags().catch(() => {});
    }, 400);
  }

  folderPath(folderId) {
    const names = [];
    let current = this.folders.get(folderId);
    let guard = 0;
    while (current && guard < 100) {
      names.unshift(current.name);
      current = this.folders.get(current.parent);
      guard += 1;
    }
    return names;
  }

  /** Local changes this tab made (and got back from the API) go in at once. */
  upsertEndpoint(endpoint) {
    const current = this.endpoints.get(endpoint.id);
    if (current && current.version > endpoint.version) return;
    this.endpoints.set(endpoint.id, {
      id: endpoint.id,
      folder: endpoint.folder,
      name: endpoint.name,
      url: endpoint.url,
      status: endpoint.status,
      position: endpoint.position,
      version: endpoint.version,
      assignee: endpoint.assignee,
      tags: endpoint.tags,
      // A live event's summary has no protocol: the one read last stays.
      protocol: endpoint.protocol || (current ? current.protocol : undefined),
    });
    this.emit("tree");
  }

  upsertFolder(folder) {
    const current = this.folders.get(folder.id);
    if (current && current.version > folder.version) return;
    this.setFolder(folder);
    this.emit("tree");
  }

  setFolder(folder) {
    this.folders.set(folder.id, {
      id: folder.id, name: folder.name, parent: folder.parent,
      position: folder.position, version: folder.version,
    });
  }

  removeEndpoint(id) {
    this.endpoints.delete(id);
    this.emit("tree");
  }

  removeFolder(id) {
    const doomed = new Set([id]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const folder of this.folders.values()) {
        if (!doomed.has(folder.id) && doomed.has(folder.parent)) {
          doomed.add(folder.id);
          grew = true;
        }
      }
    }
    for (const folderId of doomed) this.folders.delete(folderId);
    for (const endpoint of [...this.endpoints.values()]) {
      if (doomed.has(endpoint.folder)) this.endpoints.delete(endpoint.id);
    }
    this.emit("tree");
  }

  applyEvents(events) {
    const effects = applyProjectEvents(this, events);
    this.emit("events", events);
    this.emit("tree");
    if (effects.refreshTree) this.refreshSoon();
    if (effects.reloadMembers) this.loadMembers().catch(() => {});
    if (effects.reloadProject) this.loadProject().catch(() => {});
    // The variables shown depend on the environments (one may be gone): those first.
    const environments = effects.reloadEnvironments ? this.loadEnvironments() : Promise.resolve();
    if (effects.variablesChanged) environments.catch(() => {}).then(() => this.emit("variables-changed"));
    if (effects.shareLinksChanged) this.emit("share-links-changed");
    if (effects.schemaEvents.length) this.emit("schemas-changed", effects.schemaEvents);
  }
}

/** The project socket: events and presence, through a LiveSocket (resumes from the last seq). */
export class ProjectSocket {
  constructor({ store, projectId, role }) {
    this.store = store;
    this.projectId = projectId;
    this.role = role;
    this.openEndpoint = null;
    this.pending = [];
    this.started = false;
    this.status = "connecting";
    this.socket = new LiveSocket({
      path: () => `/ws/projects/${projectId}/${store.lastSeq ? `?after=${store.lastSeq}` : ""}`,
      onMessage: (message) => this.receive(message),
      onDrop: () => this.setStatus("offline"),
      onStop: ({ code, detail }) => {
        this.setStatus("stopped", detail);
        if (code === 4404) store.emit("kicked");
        else store.emit("live-stopped", detail);
      },
    });
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.socket.start();
    // If the socket is slow (or blocked by a proxy), the tree still loads; events catch up.
    setTimeout(() => this.loadOnce(), 1500);
    setInterval(() => this.send({ type: "ping" }), 30000);
  }

  async loadOnce() {
    if (this.loading) return;
    this.loading = true;
    try {
      await Promise.all([this.store.loadTree(), this.store.loadTags()]);
    } catch (error) {
      this.loading = false;
      this.store.emit("tree-error", error);
      return;
    }
    const queued = this.pending;
    this.pending = [];
    if (queued.length) this.store.applyEvents(queued);
  }

  receive(message) {
    const store = this.store;
    if (message.type === "ready") {
      this.socket.healthy();
      store.lastSeq = Math.max(store.lastSeq, message.last_seq);
      if (message.role && message.role !== this.role) store.emit("role", message.role);
      this.setStatus("live");
      this.loadOnce();
      this.announce();
    } else if (message.type === "events") {
      if (store.loaded) store.applyEvents(message.events);
      else this.pending.push(...message.events);
    } else if (message.type === "own_events") {
      // Not numbered, never replayed: before the first load there is nothing to bring up to date.
      if (store.loaded) store.applyEvents(message.events);
    } else if (message.type === "presence") {
      store.presence = message.members;
      store.emit("presence", message.members);
    }
  }

  setStatus(status, detail = "") {
    this.status = status;
    this.store.emit("live", { status, detail });
  }

  send(message) {
    this.socket.send(message);
  }

  /** Tell teammates which endpoint this tab shows (null: none). */
  show(endpointId) {
    this.openEndpoint = endpointId;
    this.announce();
  }

  announce() {
    if (this.openEndpoint) this.send({ type: "open", endpoint: this.openEndpoint });
    else this.send({ type: "close" });
  }
}
