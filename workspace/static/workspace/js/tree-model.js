/* The tree's shape, read from the store: each folder's children in order, the folders a user has
   collapsed (kept per project in the browser), and folder pickers for "move to" and "save into". */
import { h } from "./dom.js";

const byPosition = (a, b) => a.position - b.position || a.id - b.id;
const NO_CHILDREN = Object.freeze({ folders: [], endpoints: [] });

/** Children of every folder (key: folder id, or null for the top level), in tree order. */
export function groupChildren(store) {
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

export function childrenIn(groups, parent) {
  return groups.get(parent) || NO_CHILDREN;
}

/** <option>s for every folder, indented by depth; `exclude` leaves out a folder and its subtree. */
export function folderOptions(store, rootLabel = "Top level", exclude = null) {
  const options = [h("option", { value: "" }, rootLabel)];
  const groups = groupChildren(store);
  const walk = (parent, depth) => {
    for (const folder of childrenIn(groups, parent).folders) {
      if (folder.id === exclude) continue;
      options.push(h("option", { value: folder.id }, `${"\u2003".repeat(depth)}${folder.name}`));
      walk(folder.id, depth + 1);
    }
  };
  walk(null, 1);
  return options;
}

/** The ids of the folders shown closed, saved in `storage` under `key` at every change. */
export class CollapsedFolders {
  constructor(storage, key) {
    this.storage = storage;
    this.key = key;
    this.ids = new Set(JSON.parse(storage.getItem(key) || "[]"));
  }

  has(id) {
    return this.ids.has(id);
  }

  toggle(id) {
    if (this.ids.has(id)) this.ids.delete(id);
    else this.ids.add(id);
    this.save();
  }

  /** Opens the given folders; true when one of them was closed. */
  expand(...ids) {
    let changed = false;
    for (const id of ids) if (this.ids.delete(id)) changed = true;
    if (changed) this.save();
    return changed;
  }

  save() {
    this.storage.setItem(this.key, JSON.stringify([...this.ids]));
  }
}
