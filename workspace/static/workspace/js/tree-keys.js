/* Moving around the tree and changing it without a mouse (arrows, F2 to rename, Delete), and
   drag and drop onto a folder or the top level. */

/** Keyboard use of the tree in `tree.host`: Up/Down between nodes, Right/Left open and close a
 * folder (Left on an endpoint goes to its folder), F2 renames, Delete deletes. */
export function attachTreeKeys({ tree, store, collapsed, actions, canWrite }) {
  tree.host.addEventListener("keydown", (event) => {
    const target = event.target.closest(".node-link");
    if (!target) return;
    const links = tree.links();
    const position = links.indexOf(target);
    const kind = target.dataset.kind;
    const id = Number(target.dataset.id);
    const item = kind === "folder" ? store.folders.get(id) : store.endpoints.get(id);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = links[position + (event.key === "ArrowDown" ? 1 : -1)];
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
        if (parent) tree.focusNode("folder", parent);
      }
    } else if (event.key === "F2" && item && canWrite) {
      event.preventDefault();
      actions.rename(kind, item);
    } else if (event.key === "Delete" && item && canWrite) {
      event.preventDefault();
      actions.remove(kind, item);
    }
  });
}

/** Drag a node onto a folder row (or the tree's top level) to move it there. */
export class TreeDragAndDrop {
  constructor({ host, store, actions }) {
    this.host = host;
    this.store = store;
    this.actions = actions;
    this.dragged = null;
  }

  attach() {
    const host = this.host;
    host.addEventListener("dragstart", (event) => {
      const link = event.target.closest && event.target.closest(".node-link[draggable=true]");
      if (!link) return;
      this.dragged = { kind: link.dataset.kind, id: Number(link.dataset.id) };
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", `${this.dragged.kind}:${this.dragged.id}`);
    });
    host.addEventListener("dragover", (event) => {
      if (!this.dragged) return;
      const zone = event.target.closest("[data-drop-folder]");
      if (!zone) return;
      event.preventDefault();
      this.unmark();
      zone.classList.add("drop-target");
    });
    host.addEventListener("dragleave", (event) => {
      const zone = event.target.closest("[data-drop-folder]");
      if (zone) zone.classList.remove("drop-target");
    });
    host.addEventListener("drop", (event) => {
      if (!this.dragged) return;
      const zone = event.target.closest("[data-drop-folder]");
      this.unmark();
      if (!zone) return;
      event.preventDefault();
      const destination = Number(zone.dataset.dropFolder) || null;
      const { kind, id } = this.dragged;
      this.dragged = null;
      const item = kind === "folder" ? this.store.folders.get(id) : this.store.endpoints.get(id);
      if (item && !(kind === "folder" && destination === id)) this.actions.move(kind, item, destination);
    });
    host.addEventListener("dragend", () => { this.dragged = null; });
  }

  unmark() {
    this.host.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
  }
}
