/* The project as this tab knows it: the tree, members, tags and environments loaded over REST,
   kept current by the project's live socket (WS /ws/projects/{id}/), plus presence.

   Order of loading, as the README recommends: connect the socket first, note `last_seq` from
   `ready`, then load over REST; events are applied by version, so nothing is missed and an old
   event never overwrites newer data. */
import { get, socketUrl } from "./api.js";

export const boot = JSON.parse(document.getElementById("boot").textContent);
export const projectId = boot.project.id;
export const base = `/api/v1/projects/${projectId}`;

const DETAIL_FIELDS = new Set(["url", "assignee", "tags"]);

class Store extends EventTarget {
  constructor() {
    super();
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
    const tree = await get(`${base}/tree/`);
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

  async loadMembers() {
    this.members = await get(`${base}/members/`);
    this.emit("members");
  }

  async loadTags() {
    this.tags = await get(`${base}/tags/`);
    this.emit("tags");
  }

  async loadEnvironments() {
    this.environments = await get(`${base}/environments/`);
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
    });
    this.emit("tree");
  }

  upsertFolder(folder) {
    const current = this.folders.get(folder.id);
    if (current && current.version > folder.version) return;
    this.folders.set(folder.id, {
      id: folder.id, name: folder.name, parent: folder.parent,
      position: folder.position, version: folder.version,
    });
    this.emit("tree");
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
    let refresh = false;
    let membersChanged = false;
    for (const event of events) {
      this.lastSeq = Math.max(this.lastSeq, event.seq);
      const byOther = event.actor && event.actor.id !== boot.me.id;
      switch (event.kind) {
        case "endpoint.created":
        case "endpoint.updated":
        case "endpoint.moved": {
          const summary = event.endpoint;
          const current = this.endpoints.get(summary.id);
          if (!current || current.version < summary.version) {
            this.endpoints.set(summary.id, {
              url: "", tags: [], assignee: null, ...(current || {}), ...summary,
            });
          }
          if (!current || (event.changed || []).some((field) => DETAIL_FIELDS.has(field))) {
            refresh = true;
          }
          if (event.kind === "endpoint.created" && byOther) this.fresh.add(summary.id);
          break;
        }
        case "endpoint.deleted":
          this.endpoints.delete(event.endpoint.id);
          break;
        case "folder.created":
        case "folder.updated":
        case "folder.moved": {
          const folder = event.folder;
          const current = this.folders.get(folder.id);
          if (!current || current.version < folder.version) {
            this.folders.set(folder.id, {
              id: folder.id, name: folder.name, parent: folder.parent,
              position: folder.position, version: folder.version,
            });
          }
          break;
        }
        case "folder.deleted":
          for (const id of event.deleted_folders || []) this.folders.delete(id);
          this.folders.delete(event.folder.id);
          for (const id of event.deleted_endpoints || []) this.endpoints.delete(id);
          break;
        case "member.joined":
        case "member.role_changed":
        case "member.left":
          membersChanged = true;
          break;
        case "project.updated":
          this.emit("project", event.project);
          break;
        default:
          break;
      }
    }
    this.emit("events", events);
    this.emit("tree");
    if (refresh) this.refreshSoon();
    if (membersChanged) this.loadMembers().catch(() => {});
  }
}

export const store = new Store();

/** The project socket: events and presence; reconnects and resumes from the last seq. */
class Live {
  constructor() {
    this.socket = null;
    this.attempt = 0;
    this.openEndpoint = null;
    this.pending = [];
    this.started = false;
    this.status = "connecting";
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.connect();
    // If the socket is slow (or blocked by a proxy), the tree still loads; events catch up.
    setTimeout(() => this.loadOnce(), 1500);
    setInterval(() => this.send({ type: "ping" }), 30000);
  }

  async loadOnce() {
    if (this.loading) return;
    this.loading = true;
    try {
      await Promise.all([store.loadTree(), store.loadTags()]);
    } catch (error) {
      this.loading = false;
      store.emit("tree-error", error);
      return;
    }
    const queued = this.pending;
    this.pending = [];
    if (queued.length) store.applyEvents(queued);
  }

  connect() {
    const after = store.lastSeq ? `?after=${store.lastSeq}` : "";
    const socket = new WebSocket(socketUrl(`/ws/projects/${projectId}/${after}`));
    this.socket = socket;
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.setStatus("offline");
      if (event.code === 4404) {
        store.emit("kicked");
        return;
      }
      if (event.code === 4401) {
        window.location.assign(`/accounts/login/?next=${encodeURIComponent(location.pathname)}`);
        return;
      }
      const delay = Math.min(10000, 500 * 2 ** this.attempt);
      this.attempt += 1;
      setTimeout(() => this.connect(), delay);
    });
  }

  receive(message) {
    if (message.type === "ready") {
      this.attempt = 0;
      store.lastSeq = Math.max(store.lastSeq, message.last_seq);
      if (message.role && message.role !== boot.role) store.emit("role", message.role);
      this.setStatus("live");
      this.loadOnce();
      this.announce();
    } else if (message.type === "events") {
      if (store.loaded) store.applyEvents(message.events);
      else this.pending.push(...message.events);
    } else if (message.type === "presence") {
      store.presence = message.members;
      store.emit("presence", message.members);
    }
  }

  setStatus(status) {
    this.status = status;
    store.emit("live", status);
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
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

export const live = new Live();

