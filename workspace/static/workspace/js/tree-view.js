/* The sidebar's tree of folders and endpoints: status marks, who else has an endpoint open, the
   current endpoint, open and closed folders, and what the search and filters leave. It repaints
   from the store; the changes a user makes are tree-actions.js's. */
import { h, icon, avatar } from "./dom.js";
import { describeError } from "./api.js";
import { menuButton } from "./ui.js";
import { groupChildren, childrenIn } from "./tree-model.js";

export class TreeView {
  /**
   * host: the #tree element; summary: where "n of m match" goes; collapsed: CollapsedFolders;
   * filters: TreeFilters; me, canWrite, projectId: the page's; menuFor(kind, item): the items of
   * a node's actions menu.
   */
  constructor({ host, summary, store, collapsed, filters, me, canWrite, projectId, menuFor }) {
    Object.assign(this, { host, summary, store, collapsed, filters, me, canWrite, projectId, menuFor });
    this.current = null;
    this.groups = null;
  }

  attach() {
    this.store.on("tree", () => this.render());
    this.store.on("presence", () => this.render());
    this.store.on("tree-error", (error) => {
      this.host.replaceChildren(h("div.tree-empty", {}, h("p.form-error", {}, describeError(error)),
        h("button.btn.small", { type: "button", on: { click: () => this.store.loadTree().catch(() => {}) } }, "Try again")));
    });
  }

  /** A folder's children; during a render from the grouping made once for it (a big tree has
   * thousands of items). */
  childrenOf(parent) {
    return childrenIn(this.groups || groupChildren(this.store), parent);
  }

  render() {
    if (!this.store.loaded) return;
    this.groups = groupChildren(this.store);
    try {
      this.paint();
    } finally {
      this.groups = null;
    }
  }

  paint() {
    const forced = this.filters.active();
    const { items, count: shown } = this.nodes(null, forced);
    const focused = document.activeElement && this.host.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused && focused.dataset.kind ? [focused.dataset.kind, focused.dataset.id] : null;
    if (!items.length) {
      this.host.replaceChildren(forced ?
        h("div.tree-empty", {}, h("p", {}, "No endpoint matches."), h("button.btn.small", { type: "button", on: { click: () => this.filters.clear() } }, "Clear search and filters")) :
        h("div.tree-empty", {}, h("p", {}, h("strong", {}, "No endpoints yet.")),
          h("p", {}, this.canWrite ? "Create a folder or an endpoint, or start with a new request and save it." : "Editors will add endpoints here.")));
    } else {
      this.host.replaceChildren(h("ul.tree-list.tree-root", { dataset: { dropFolder: "" } }, items));
    }
    const total = this.store.endpoints.size;
    this.summary.textContent = forced ? `${shown} of ${total} endpoint${total === 1 ? "" : "s"} match` : "";
    this.summary.hidden = !forced;
    if (focusKey) this.focusNode(...focusKey);
  }

  /** The nodes under `parent` and how many endpoints they show; with `forced` (a search or a
   * filter is on) only matching endpoints, and folders only when they hold one. */
  nodes(parent, forced) {
    const { folders, endpoints } = this.childrenOf(parent);
    const items = [];
    let count = 0;
    for (const folder of folders) {
      const node = this.folderNode(folder, forced);
      if (node) {
        items.push(node.element);
        count += node.count;
      }
    }
    for (const endpoint of endpoints) {
      if (!forced || this.filters.matches(endpoint)) {
        items.push(this.endpointNode(endpoint));
        count += 1;
      }
    }
    return { items, count };
  }

  endpointNode(endpoint) {
    const store = this.store;
    const others = store.presence.filter((entry) => entry.user.id !== this.me.id && entry.endpoints.includes(endpoint.id));
    const current = endpoint.id === this.current;
    const link = h("a.node-link", {
      href: `/projects/${this.projectId}/endpoints/${endpoint.id}/`,
      "data-route": "",
      dataset: { kind: "endpoint", id: endpoint.id },
      draggable: this.canWrite ? "true" : null,
      "aria-current": current ? "page" : null,
    },
    h(`span.dot.s-${endpoint.status}`, { title: endpoint.status }),
    h("span.node-name", {}, endpoint.name),
    endpoint.protocol === "socketio" ? h("span.proto-mark", { title: "Socket.IO endpoint" }, "SIO") : null,
    h("span.sr-only", {}, `${endpoint.protocol === "socketio" ? ", Socket.IO" : ""}, ${endpoint.status}`),
    others.length ? h("span.node-presence", {}, others.slice(0, 3).map((entry) => avatar(entry.user, "tiny"))) : null);
    const fresh = store.fresh.has(endpoint.id);
    if (fresh) setTimeout(() => store.fresh.delete(endpoint.id), 4000);
    return h("li.tree-endpoint", { dataset: { endpointId: endpoint.id } },
      h(`div.node${current ? ".current" : ""}${fresh ? ".fresh" : ""}`, {},
        link,
        this.canWrite ? menuButton(`Actions for ${endpoint.name}`, () => this.menuFor("endpoint", endpoint), "node-more") : null));
  }

  folderNode(folder, forced) {
    const { items, count } = this.nodes(folder.id, forced);
    if (forced && !count) return null;
    const open = forced || !this.collapsed.has(folder.id);
    const toggle = h("button.node-link.folder-toggle", {
      type: "button",
      "aria-expanded": String(open),
      dataset: { kind: "folder", id: folder.id },
      draggable: this.canWrite ? "true" : null,
      on: {
        click: () => {
          this.collapsed.toggle(folder.id);
          this.render();
          this.focusNode("folder", folder.id);
        },
      },
    },
    h("span.caret", { "aria-hidden": "true" }, icon("chevron")),
    h("span.node-name", {}, folder.name),
    h("span.node-count", { "aria-label": `${count} endpoints` }, String(count)));
    const element = h(`li.tree-folder${open ? "" : ".collapsed"}`, { dataset: { folderId: folder.id } },
      h("div.node.folder-row", { dataset: { dropFolder: folder.id } },
        toggle,
        this.canWrite ? menuButton(`Actions for folder ${folder.name}`, () => this.menuFor("folder", folder), "node-more") : null),
      open && items.length ? h("ul.tree-list", {}, items) : null,
      open && !items.length ? h("p.tree-empty-folder", {}, "Empty folder") : null);
    return { element, count };
  }

  /** The focusable nodes, top to bottom, as shown. */
  links() {
    return Array.from(this.host.querySelectorAll(".node-link"));
  }

  focusNode(kind, id) {
    const node = this.host.querySelector(`.node-link[data-kind="${kind}"][data-id="${id}"]`);
    if (node) node.focus();
  }

  focusFirst() {
    const first = this.links()[0];
    if (first) first.focus();
  }

  /** The endpoint the page shows (null for none): marked, and the folders above it opened. */
  setCurrent(id) {
    this.current = id;
    if (id && this.store.endpoints.has(id)) {
      const above = [];
      for (let folder = this.store.endpoints.get(id).folder; folder; folder = (this.store.folders.get(folder) || {}).parent) above.push(folder);
      this.collapsed.expand(...above);
    }
    this.render();
  }
}
