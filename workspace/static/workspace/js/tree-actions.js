/* What a user does to the tree: create a folder or an endpoint, rename, move (from the menu or
   by drag and drop) and delete, with each node's actions menu. A teammate's change since the tree
   was read refuses a write (version_conflict): the tree is read again. */
import { api, describeError, ApiError } from "./api.js";
import { h, toast } from "./dom.js";
import { dialog, confirmDialog, promptDialog } from "./ui.js";
import { folderOptions } from "./tree-model.js";
import { editAuthDialog } from "./auth-panel.js";
import { protocolSelect } from "./socketio-fields.js";

const navigate = (url, options = {}) => window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url, ...options } }));
const endpointChanged = (id) => window.dispatchEvent(new CustomEvent("sb:endpoint-changed", { detail: { id } }));

export class TreeActions {
  /** tree: the TreeView; base: the project's API path; projectId: for the pages' URLs;
      asyncapi: the AsyncAPI export/import of a folder. */
  constructor({ store, tree, collapsed, filters, base, projectId, asyncapi, canWrite = true }) {
    Object.assign(this, { store, tree, collapsed, filters, base, projectId, asyncapi, canWrite });
  }

  endpointUrl(id) {
    return `/projects/${this.projectId}/endpoints/${id}/`;
  }

  menu(kind, item) {
    if (kind === "folder") {
      return [
        { label: "New endpoint here…", run: () => this.newEndpoint(item.id) },
        { label: "New folder inside…", run: () => this.newFolder(item.id) },
        "-",
        { label: "Rename…", run: () => this.rename("folder", item) },
        { label: "Move to…", run: () => this.move("folder", item) },
        { label: "Auth…", run: () => this.folderAuth(item) },
        "-",
        ...(this.asyncapi ? [...this.asyncapi.items(item, this.canWrite), "-"] : []),
        { label: "Delete…", danger: true, run: () => this.removeFolder(item) },
      ];
    }
    return [
      { label: "Open", run: () => navigate(this.endpointUrl(item.id)) },
      { label: "Rename…", run: () => this.rename("endpoint", item) },
      { label: "Move to…", run: () => this.move("endpoint", item) },
      "-",
      { label: "Delete…", danger: true, run: () => this.removeEndpoint(item) },
    ];
  }

  /** The folder's Auth tab, which what is inside inherits (read fresh: the tree has no auth). */
  async folderAuth(item) {
    const url = `${this.base}/folders/${item.id}/`;
    try {
      const folder = await api("GET", url);
      const saved = await editAuthDialog({ title: `Auth of "${folder.name}"`, url, auth: folder.auth });
      if (saved) {
        this.store.upsertFolder(saved);
        toast(`Auth of "${saved.name}" saved`, "success");
      }
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  remove(kind, item) {
    return kind === "folder" ? this.removeFolder(item) : this.removeEndpoint(item);
  }

  async newFolder(parent = null) {
    const name = h("input#folder-name", { autocomplete: "off", autofocus: true, placeholder: "e.g. Market data", dataset: { field: "name" } });
    const parentSelect = h("select#folder-parent", { dataset: { field: "parent" } }, folderOptions(this.store, "Top level"));
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
          return api("POST", `${this.base}/folders/`, { body: { name: name.value.trim(), parent: Number(parentSelect.value) || null } });
        },
      }],
    });
    if (!folder) return;
    this.collapsed.expand(folder.id);
    this.store.upsertFolder(folder);
    // A search shows only folders with matching endpoints: a new, empty one would stay hidden.
    if (this.filters.active()) this.filters.clear();
    toast(`Folder "${folder.name}" created`, "success");
    this.tree.focusNode("folder", folder.id);
  }

  async newEndpoint(folderId = null) {
    const name = h("input#endpoint-name", { autocomplete: "off", autofocus: true, placeholder: "e.g. Ticker stream", dataset: { field: "name" } });
    const url = h("input#endpoint-url", { autocomplete: "off", spellcheck: "false", placeholder: "wss://api.example.com/ticker", dataset: { field: "url" } });
    const protocol = protocolSelect({
      id: "endpoint-protocol",
      onChange: (value) => { url.placeholder = value === "socketio" ? "https://chat.example.com" : "wss://api.example.com/ticker"; },
    });
    const folder = h("select#endpoint-folder", { dataset: { field: "folder" } }, folderOptions(this.store, "Top level"));
    folder.value = folderId ? String(folderId) : "";
    const endpoint = await dialog({
      title: "New endpoint",
      description: "A WebSocket or Socket.IO endpoint of the project: its URL and handshake, saved messages and docs.",
      content: [
        h("label", { for: "endpoint-name" }, "Name"), name,
        h("label", { for: "endpoint-protocol" }, "Type"), protocol,
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
          return api("POST", `${this.base}/endpoints/`, {
            body: { name: name.value.trim(), protocol: protocol.value, url: url.value.trim(), folder: Number(folder.value) || null },
          });
        },
      }],
    });
    if (!endpoint) return;
    this.store.upsertEndpoint(endpoint);
    navigate(this.endpointUrl(endpoint.id));
  }

  /** PATCHes a folder or an endpoint with `body`, at the version read, and keeps the result. */
  async patch(kind, item, body) {
    if (kind === "folder") {
      this.store.upsertFolder(await api("PATCH", `${this.base}/folders/${item.id}/`, { body, version: item.version }));
    } else {
      this.store.upsertEndpoint(await api("PATCH", `${this.base}/endpoints/${item.id}/`, { body, version: item.version }));
      endpointChanged(item.id);
    }
  }

  async rename(kind, item) {
    const name = await promptDialog({ title: `Rename ${kind}`, label: "Name", value: item.name, confirm: "Rename" });
    if (!name || name === item.name) return;
    try {
      await this.patch(kind, item, { name });
      this.tree.focusNode(kind, item.id);
    } catch (error) {
      this.refused(error);
    }
  }

  /** Moves into folder `target` (null: the top level), or asks where when `target` is undefined. */
  async move(kind, item, target = undefined) {
    let destination = target;
    if (destination === undefined) {
      const select = h("select#move-target", { autofocus: true }, folderOptions(this.store, "Top level", kind === "folder" ? item.id : null));
      select.value = String((kind === "folder" ? item.parent : item.folder) || "");
      const chosen = await dialog({
        title: `Move "${item.name}"`,
        content: [h("label", { for: "move-target" }, "Move to"), select],
        actions: [{ label: "Move", kind: "primary", id: "move-confirm", run: () => ({ folder: Number(select.value) || null }) }],
      });
      if (!chosen) return;
      destination = chosen.folder;
    }
    const field = kind === "folder" ? "parent" : "folder";
    if ((item[field] || null) === destination) return;
    try {
      await this.patch(kind, item, { [field]: destination });
      if (destination) this.collapsed.expand(destination);
      this.tree.render();
      toast(`Moved "${item.name}"`);
    } catch (error) {
      this.refused(error);
    }
  }

  async removeEndpoint(endpoint) {
    const ok = await confirmDialog({
      title: `Delete "${endpoint.name}"?`,
      message: "The endpoint, its saved messages, history and comments are deleted for everyone.",
      confirm: "Delete endpoint",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${this.base}/endpoints/${endpoint.id}/`, { version: endpoint.version });
      this.store.removeEndpoint(endpoint.id);
      toast(`Deleted "${endpoint.name}"`);
      if (this.tree.current === endpoint.id) navigate(`/projects/${this.projectId}/`, { force: true });
    } catch (error) {
      this.refused(error);
    }
  }

  async removeFolder(folder) {
    const { folders, endpoints } = this.tree.childrenOf(folder.id);
    const empty = !folders.length && !endpoints.length;
    const ok = await confirmDialog({
      title: `Delete folder "${folder.name}"?`,
      message: empty ? "The folder is empty." : "Everything inside it — sub-folders and endpoints — is deleted too, for everyone.",
      confirm: empty ? "Delete folder" : "Delete folder and contents",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${this.base}/folders/${folder.id}/${empty ? "" : "?recursive=true"}`, { version: folder.version });
      this.store.removeFolder(folder.id);
      toast(`Deleted "${folder.name}"`);
      const current = this.tree.current;
      if (current && !this.store.endpoints.has(current)) navigate(`/projects/${this.projectId}/`, { force: true });
    } catch (error) {
      this.refused(error);
    }
  }

  refused(error) {
    if (error instanceof ApiError && error.code === "version_conflict") {
      const who = error.body.updated_by ? error.body.updated_by.display_name : "someone";
      toast(`Not changed: ${who} changed it a moment ago. Look again and retry.`, "error", 6000);
      this.store.refreshSoon();
    } else {
      toast(describeError(error), "error", 6000);
    }
  }
}
