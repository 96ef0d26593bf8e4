/* The sidebar: the project's tree of folders and endpoints (status marks, who has what open),
   search and filters, and every tree change: create, rename, move (menu or drag and drop) and
   delete. Teammates' changes arrive through the store from the project socket. */
import { api, describeError, ApiError } from "./api.js";
import { h, icon, toast, debounce, avatar } from "./dom.js";
import { dialog, confirmDialog, promptDialog, menuButton } from "./ui.js";
import { boot, base, projectId } from "./boot.js";

const collapsedKey = `sb.collapsed.${projectId}`;
const collapsed = new Set(JSON.parse(localStorage.getItem(collapsedKey) || "[]"));
const filters = { text: "", status: "", assignee: "", tag: "" };
let current = null;
/** The project's store, handed over by main.js in setupSidebar(). */
let store = null;

const byPosition = (a, b) => a.position - b.position || a.id - b.id;

function saveCollapsed() {
  localStorage.setItem(collapsedKey, JSON.stringify([...collapsed]));
}

let index = null;

/** Children of every folder, grouped once per render (a big tree has thousands of items). */
function buildIndex() {
  const groups = new Map();
  const group = (key) => {
    if (!groups.has(key)) groups.set(key, { folders: [], endpoints: [] });
    return groups.get(key);
  };
  for (const folder of store.folders.values()) group(folder.parent || null).folders.push(folder);
  for (const endpoint of store.endpoints.values()) {
    // An endpoint whose folder is unknown (a stale event) is shown at the top level.
    const parent = endpoint.folder && store.folders.has(endpoint.folder) ? endpoint.folder : null;
    group(parent).endpoints.push(endpoint);
  }
  for (const entry of groups.values()) {
    entry.folders.sort(byPosition);
    entry.endpoints.sort(byPosition);
  }
  return groups;
}

function childrenOf(parent) {
  const groups = index || buildIndex();
  return groups.get(parent) || { folders: [], endpoints: [] };
}

/** <option>s for every folder, indented by depth: for "move to" and "save into" pickers. */
export function folderOptions(rootLabel = "Top level", exclude = null) {
  const options = [h("option", { value: "" }, rootLabel)];
  const groups = buildIndex();
  const walk = (parent, depth) => {
    for (const folder of (groups.get(parent) || { folders: [] }).folders) {
      if (folder.id === exclude) continue;
      options.push(h("option", { value: folder.id }, `${"\u2003".repeat(depth)}${folder.name}`));
      walk(folder.id, depth + 1);
    }
  };
  walk(null, 1);
  return options;
}

function filtering() {
  return Boolean(filters.text || filters.status || filters.assignee || filters.tag);
}

function matches(endpoint) {
  if (filters.status && endpoint.status !== filters.status) return false;
  if (filters.assignee === "me" && (!endpoint.assignee || endpoint.assignee.id !== boot.me.id)) return false;
  if (filters.assignee === "none" && endpoint.assignee) return false;
  if (filters.assignee && !["me", "none"].includes(filters.assignee) && (!endpoint.assignee || String(endpoint.assignee.id) !== filters.assignee)) return false;
  if (filters.tag && !(endpoint.tags || []).some((tag) => tag.toLowerCase() === filters.tag.toLowerCase())) return false;
  if (filters.text) {
    const haystack = [endpoint.name, endpoint.url, ...(endpoint.tags || [])].join(" ").toLowerCase();
    if (!filters.text.split(/\s+/).every((word) => haystack.includes(word))) return false;
  }
  return true;
}

function presenceFor(endpointId) {
  return store.presence.filter((entry) => entry.user.id !== boot.me.id && entry.endpoints.includes(endpointId));
}

function endpointNode(endpoint) {
  const others = presenceFor(endpoint.id);
  const link = h("a.node-link", {
    href: `/projects/${projectId}/endpoints/${endpoint.id}/`,
    "data-route": "",
    dataset: { kind: "endpoint", id: endpoint.id },
    draggable: boot.can_write ? "true" : null,
    "aria-current": endpoint.id === current ? "page" : null,
  },
  h(`span.dot.s-${endpoint.status}`, { title: endpoint.status }),
  h("span.node-name", {}, endpoint.name),
  h("span.sr-only", {}, `, ${endpoint.status}`),
  others.length ? h("span.node-presence", {}, others.slice(0, 3).map((entry) => avatar(entry.user, "tiny"))) : null);
  const fresh = store.fresh.has(endpoint.id);
  if (fresh) setTimeout(() => store.fresh.delete(endpoint.id), 4000);
  return h("li.tree-endpoint", { dataset: { endpointId: endpoint.id } },
    h(`div.node${endpoint.id === current ? ".current" : ""}${fresh ? ".fresh" : ""}`, {},
      link,
      boot.can_write ? menuButton(`Actions for ${endpoint.name}`, () => endpointMenu(endpoint), "node-more") : null));
}

/* The nodes of a folder's children (`null`: the top level) that the search and filters show
   (all of them unless `forced`), and how many endpoints they hold. */
function childNodes(folderId, forced) {
  const { folders, endpoints } = childrenOf(folderId);
  const nodes = [];
  let count = 0;
  for (const child of folders) {
    const node = folderNode(child, forced);
    if (node) {
      nodes.push(node.element);
      count += node.count;
    }
  }
  for (const endpoint of endpoints) {
    if (!forced || matches(endpoint)) {
      nodes.push(endpointNode(endpoint));
      count += 1;
    }
  }
  return { nodes, count };
}

function folderNode(folder, forced) {
  const { nodes: children, count: total } = childNodes(folder.id, forced);
  if (forced && !total) return null;
  const open = forced || !collapsed.has(folder.id);
  const toggle = h("button.node-link.folder-toggle", {
    type: "button",
    "aria-expanded": String(open),
    dataset: { kind: "folder", id: folder.id },
    draggable: boot.can_write ? "true" : null,
    on: {
      click: () => {
        if (collapsed.has(folder.id)) collapsed.delete(folder.id);
        else collapsed.add(folder.id);
        saveCollapsed();
        renderTree();
        focusNode("folder", folder.id);
      },
    },
  },
  h("span.caret", { "aria-hidden": "true" }, icon("chevron")),
  h("span.node-name", {}, folder.name),
  h("span.node-count", { "aria-label": `${total} endpoints` }, String(total)));
  const element = h(`li.tree-folder${open ? "" : ".collapsed"}`, { dataset: { folderId: folder.id } },
    h("div.node.folder-row", { dataset: { dropFolder: folder.id } },
      toggle,
      boot.can_write ? menuButton(`Actions for folder ${folder.name}`, () => folderMenu(folder), "node-more") : null),
    open && children.length ? h("ul.tree-list", {}, children) : null,
    open && !children.length ? h("p.tree-empty-folder", {}, "Empty folder") : null);
  return { element, count: total };
}

export function renderTree() {
  const host = document.getElementById("tree");
  if (!host || !store.loaded) return;
  index = buildIndex();
  try {
    paint(host);
  } finally {
    index = null;
  }
}

function paint(host) {
  const forced = filtering();
  const { nodes: items, count: shown } = childNodes(null, forced);
  const focusedNode = document.activeElement && host.contains(document.activeElement) ? document.activeElement : null;
  const focusKey = focusedNode && focusedNode.dataset.kind ? [focusedNode.dataset.kind, focusedNode.dataset.id] : null;
  if (!items.length) {
    host.replaceChildren(forced ?
      h("div.tree-empty", {}, h("p", {}, "No endpoint matches."), h("button.btn.small", { type: "button", on: { click: clearFilters } }, "Clear search and filters")) :
      h("div.tree-empty", {}, h("p", {}, h("strong", {}, "No endpoints yet.")),
        h("p", {}, boot.can_write ? "Create a folder or an endpoint, or start with a new request and save it." : "Editors will add endpoints here.")));
  } else {
    host.replaceChildren(h("ul.tree-list.tree-root", { dataset: { dropFolder: "" } }, items));
  }
  const summary = document.getElementById("tree-summary");
  const total = store.endpoints.size;
  summary.textContent = forced ? `${shown} of ${total} endpoint${total === 1 ? "" : "s"} match` : "";
  summary.hidden = !forced;
  if (focusKey) focusNode(...focusKey);
}

function focusNode(kind, id) {
  const node = document.querySelector(`#tree .node-link[data-kind="${kind}"][data-id="${id}"]`);
  if (node) node.focus();
}

export function setCurrentEndpoint(id) {
  current = id;
  if (id && store.endpoints.has(id)) {
    // Open the folders above the current endpoint, so it is visible.
    let folder = store.endpoints.get(id).folder;
    let changed = false;
    while (folder) {
      if (collapsed.delete(folder)) changed = true;
      folder = (store.folders.get(folder) || {}).parent;
    }
    if (changed) saveCollapsed();
  }
  renderTree();
}

function clearFilters() {
  Object.assign(filters, { text: "", status: "", assignee: "", tag: "" });
  document.getElementById("tree-search").value = "";
  for (const key of ["status", "assignee", "tag"]) document.getElementById(`filter-${key}`).value = "";
  updateFilterBadge();
  renderTree();
}

function updateFilterBadge() {
  const count = ["status", "assignee", "tag"].filter((key) => filters[key]).length;
  const button = document.getElementById("filter-toggle");
  button.classList.toggle("active", count > 0);
  button.setAttribute("aria-label", count ? `Filters (${count} on)` : "Filters");
  button.dataset.count = count ? String(count) : "";
}

function fillFilterOptions() {
  const status = document.getElementById("filter-status");
  if (status.options.length <= 1) {
    for (const value of boot.statuses) status.append(h("option", { value }, value));
  }
  const assignee = document.getElementById("filter-assignee");
  const keep = assignee.value;
  assignee.replaceChildren(h("option", { value: "" }, "Anyone"), h("option", { value: "me" }, "Me"), h("option", { value: "none" }, "Nobody"),
    ...store.members.filter((m) => m.user.id !== boot.me.id).map((m) => h("option", { value: m.user.id }, m.user.display_name)));
  assignee.value = keep;
  const tag = document.getElementById("filter-tag");
  const keepTag = tag.value;
  tag.replaceChildren(h("option", { value: "" }, "Any tag"), ...store.tags.map((t) => h("option", { value: t.name }, `${t.name} (${t.endpoint_count ?? 0})`)));
  tag.value = keepTag;
}

// --- changes ----------------------------------------------------------------------------------

async function newFolder(parent = null) {
  const name = h("input#folder-name", { autocomplete: "off", autofocus: true, placeholder: "e.g. Market data", dataset: { field: "name" } });
  const parentSelect = h("select#folder-parent", { dataset: { field: "parent" } }, folderOptions("Top level"));
  parentSelect.value = parent ? String(parent) : "";
  const folder = await dialog({
    title: "New folder",
    content: [h("label", { for: "folder-name" }, "Name"), name, h("label", { for: "folder-parent" }, "Inside"), parentSelect],
    actions: [{
      label: "Create folder",
      kind: "primary",
      id: "folder-create",
      run: () => {
        if (!name.value.trim()) {
          name.setAttribute("aria-invalid", "true");
          return false;
        }
        return api("POST", `${base}/folders/`, { body: { name: name.value.trim(), parent: Number(parentSelect.value) || null } });
      },
    }],
  });
  if (!folder) return;
  collapsed.delete(folder.id);
  store.upsertFolder(folder);
  // A search shows only folders with matching endpoints: a new, empty one would stay hidden.
  if (filtering()) clearFilters();
  toast(`Folder "${folder.name}" created`, "success");
  focusNode("folder", folder.id);
}

async function newEndpoint(folderId = null) {
  const name = h("input#endpoint-name", { autocomplete: "off", autofocus: true, placeholder: "e.g. Ticker stream", dataset: { field: "name" } });
  const url = h("input#endpoint-url", { autocomplete: "off", spellcheck: "false", placeholder: "wss://api.example.com/ticker", dataset: { field: "url" } });
  const folder = h("select#endpoint-folder", { dataset: { field: "folder" } }, folderOptions("Top level"));
  folder.value = folderId ? String(folderId) : "";
  const endpoint = await dialog({
    title: "New endpoint",
    description: "A WebSocket endpoint of the project: its URL and handshake, saved messages and docs.",
    content: [
      h("label", { for: "endpoint-name" }, "Name"), name,
      h("label", { for: "endpoint-url" }, "URL"), url,
      h("label", { for: "endpoint-folder" }, "Folder"), folder,
    ],
    actions: [{
      label: "Create endpoint",
      kind: "primary",
      id: "endpoint-create",
      run: () => {
        if (!name.value.trim()) {
          name.setAttribute("aria-invalid", "true");
          name.focus();
          return false;
        }
        return api("POST", `${base}/endpoints/`, {
          body: { name: name.value.trim(), url: url.value.trim(), folder: Number(folder.value) || null },
        });
      },
    }],
  });
  if (!endpoint) return;
  store.upsertEndpoint(endpoint);
  window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/endpoints/${endpoint.id}/` } }));
}

async function rename(kind, item) {
  const name = await promptDialog({ title: `Rename ${kind}`, label: "Name", value: item.name, confirm: "Rename" });
  if (!name || name === item.name) return;
  try {
    if (kind === "folder") {
      store.upsertFolder(await api("PATCH", `${base}/folders/${item.id}/`, { body: { name }, version: item.version }));
    } else {
      store.upsertEndpoint(await api("PATCH", `${base}/endpoints/${item.id}/`, { body: { name }, version: item.version }));
      window.dispatchEvent(new CustomEvent("sb:endpoint-changed", { detail: { id: item.id } }));
    }
    focusNode(kind, item.id);
  } catch (error) {
    conflictToast(error);
  }
}

function conflictToast(error) {
  if (error instanceof ApiError && error.code === "version_conflict") {
    const who = error.body.updated_by ? error.body.updated_by.display_name : "someone";
    toast(`Not changed: ${who} changed it a moment ago. Look again and retry.`, "error", 6000);
    store.refreshSoon();
  } else {
    toast(describeError(error), "error", 6000);
  }
}

async function move(kind, item, target = undefined) {
  let destination = target;
  if (destination === undefined) {
    const select = h("select#move-target", { autofocus: true }, folderOptions("Top level", kind === "folder" ? item.id : null));
    select.value = String((kind === "folder" ? item.parent : item.folder) || "");
    destination = await dialog({
      title: `Move "${item.name}"`,
      content: [h("label", { for: "move-target" }, "Move to"), select],
      actions: [{ label: "Move", kind: "primary", id: "move-confirm", run: () => ({ folder: Number(select.value) || null }) }],
    });
    if (!destination) return;
    destination = destination.folder;
  }
  try {
    if (kind === "folder") {
      if ((item.parent || null) === destination) return;
      store.upsertFolder(await api("PATCH", `${base}/folders/${item.id}/`, { body: { parent: destination }, version: item.version }));
    } else {
      if ((item.folder || null) === destination) return;
      store.upsertEndpoint(await api("PATCH", `${base}/endpoints/${item.id}/`, { body: { folder: destination }, version: item.version }));
      window.dispatchEvent(new CustomEvent("sb:endpoint-changed", { detail: { id: item.id } }));
    }
    if (destination) collapsed.delete(destination);
    renderTree();
    toast(`Moved "${item.name}"`);
  } catch (error) {
    conflictToast(error);
  }
}

async function removeEndpoint(endpoint) {
  const ok = await confirmDialog({
    title: `Delete "${endpoint.name}"?`,
    message: "The endpoint, its saved messages, history and comments are deleted for everyone.",
    confirm: "Delete endpoint",
    danger: true,
  });
  if (!ok) return;
  try {
    await api("DELETE", `${base}/endpoints/${endpoint.id}/`, { version: endpoint.version });
    store.removeEndpoint(endpoint.id);
    toast(`Deleted "${endpoint.name}"`);
    if (current === endpoint.id) {
      window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/`, force: true } }));
    }
  } catch (error) {
    conflictToast(error);
  }
}

async function removeFolder(folder) {
  const { folders, endpoints } = childrenOf(folder.id);
  const empty = !folders.length && !endpoints.length;
  const ok = await confirmDialog({
    title: `Delete folder "${folder.name}"?`,
    message: empty ? "The folder is empty." : "Everything inside it — sub-folders and endpoints — is deleted too, for everyone.",
    confirm: empty ? "Delete folder" : "Delete folder and contents",
    danger: true,
  });
  if (!ok) return;
  try {
    await api("DELETE", `${base}/folders/${folder.id}/${empty ? "" : "?recursive=true"}`, { version: folder.version });
    store.removeFolder(folder.id);
    toast(`Deleted "${folder.name}"`);
    if (current && !store.endpoints.has(current)) {
      window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/`, force: true } }));
    }
  } catch (error) {
    conflictToast(error);
  }
}

function endpointMenu(endpoint) {
  return [
    { label: "Open", run: () => window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url: `/projects/${projectId}/endpoints/${endpoint.id}/` } })) },
    { label: "Rename…", run: () => rename("endpoint", endpoint) },
    { label: "Move to…", run: () => move("endpoint", endpoint) },
    "-",
    { label: "Delete…", danger: true, run: () => removeEndpoint(endpoint) },
  ];
}

function folderMenu(folder) {
  return [
    { label: "New endpoint here…", run: () => newEndpoint(folder.id) },
    { label: "New folder inside…", run: () => newFolder(folder.id) },
    "-",
    { label: "Rename…", run: () => rename("folder", folder) },
    { label: "Move to…", run: () => move("folder", folder) },
    "-",
    { label: "Delete…", danger: true, run: () => removeFolder(folder) },
  ];
}

// --- keyboard and drag and drop ---------------------------------------------------------------

function visibleLinks() {
  return Array.from(document.querySelectorAll("#tree .node-link"));
}

function onKeydown(event) {
  const target = event.target.closest(".node-link");
  if (!target) return;
  const links = visibleLinks();
  const index = links.indexOf(target);
  const kind = target.dataset.kind;
  const id = Number(target.dataset.id);
  const item = kind === "folder" ? store.folders.get(id) : store.endpoints.get(id);
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const next = links[index + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) next.focus();
  } else if (event.key === "ArrowRight" && kind === "folder" && collapsed.has(id)) {
    event.preventDefault();
    target.click();
  } else if (event.key === "ArrowLeft") {
    event.preventDefault();
    if (kind === "folder" && !collapsed.has(id)) {
      target.click();
    } else {
      const parent = item && (kind === "folder" ? item.parent : item.folder);
      if (parent) focusNode("folder", parent);
    }
  } else if (event.key === "F2" && item && boot.can_write) {
    event.preventDefault();
    rename(kind, item);
  } else if (event.key === "Delete" && item && boot.can_write) {
    event.preventDefault();
    if (kind === "folder") removeFolder(item);
    else removeEndpoint(item);
  }
}

let dragged = null;

function setupDragAndDrop(host) {
  host.addEventListener("dragstart", (event) => {
    const link = event.target.closest && event.target.closest(".node-link[draggable=true]");
    if (!link) return;
    dragged = { kind: link.dataset.kind, id: Number(link.dataset.id) };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", `${dragged.kind}:${dragged.id}`);
  });
  host.addEventListener("dragover", (event) => {
    if (!dragged) return;
    const zone = event.target.closest("[data-drop-folder]");
    if (!zone) return;
    event.preventDefault();
    host.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
    zone.classList.add("drop-target");
  });
  host.addEventListener("dragleave", (event) => {
    const zone = event.target.closest("[data-drop-folder]");
    if (zone) zone.classList.remove("drop-target");
  });
  host.addEventListener("drop", (event) => {
    if (!dragged) return;
    const zone = event.target.closest("[data-drop-folder]");
    host.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
    if (!zone) return;
    event.preventDefault();
    const destination = Number(zone.dataset.dropFolder) || null;
    const item = dragged.kind === "folder" ? store.folders.get(dragged.id) : store.endpoints.get(dragged.id);
    const kind = dragged.kind;
    dragged = null;
    if (item && !(kind === "folder" && destination === item.id)) move(kind, item, destination);
  });
  host.addEventListener("dragend", () => { dragged = null; });
}

export function setupSidebar(projectStore) {
  store = projectStore;
  const host = document.getElementById("tree");
  host.addEventListener("keydown", onKeydown);
  if (boot.can_write) setupDragAndDrop(host);
  const search = document.getElementById("tree-search");
  const apply = debounce(() => {
    filters.text = search.value.trim().toLowerCase();
    renderTree();
  }, 100);
  search.addEventListener("input", apply);
  search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && search.value) {
      search.value = "";
      apply();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      const first = visibleLinks()[0];
      if (first) first.focus();
    }
  });
  const toggle = document.getElementById("filter-toggle");
  toggle.append(icon("filter"));
  const panel = document.getElementById("filters");
  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
    if (!panel.hidden) fillFilterOptions();
  });
  for (const key of ["status", "assignee", "tag"]) {
    document.getElementById(`filter-${key}`).addEventListener("change", (event) => {
      filters[key] = event.target.value;
      updateFilterBadge();
      renderTree();
    });
  }
  document.getElementById("filter-clear").addEventListener("click", clearFilters);
  document.getElementById("new-folder").addEventListener("click", () => newFolder());
  document.getElementById("new-endpoint").addEventListener("click", () => newEndpoint());
  store.on("tree", renderTree);
  store.on("presence", renderTree);
  store.on("members", fillFilterOptions);
  store.on("tags", fillFilterOptions);
  store.on("tree-error", (error) => {
    host.replaceChildren(h("div.tree-empty", {}, h("p.form-error", {}, describeError(error)),
      h("button.btn.small", { type: "button", on: { click: () => store.loadTree().catch(() => {}) } }, "Try again")));
  });
}

export { newEndpoint, newFolder };
