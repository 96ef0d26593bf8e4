/* The one place the workspace handles kinds of project events (the `events` messages of
   WS /ws/projects/{id}/): what each kind does to the store. `HANDLED_KINDS` is the list a test
   can compare with the server's. Views that care about a batch (the open endpoint's editor, its
   Activity tab) read it from the store's "events" signal after these have run. */

/** Changes to these fields are not in an event's summary: the tree is read again for them. */
const DETAIL_FIELDS = new Set(["url", "assignee", "tags"]);

function endpointChanged(store, event, effects) {
  const summary = event.endpoint;
  const current = store.endpoints.get(summary.id);
  if (!current || current.version < summary.version) {
    store.endpoints.set(summary.id, { url: "", tags: [], assignee: null, ...(current || {}), ...summary });
  }
  if (!current || (event.changed || []).some((field) => DETAIL_FIELDS.has(field))) effects.refreshTree = true;
  if (event.kind === "endpoint.created" && event.actor && event.actor.id !== store.me.id) store.fresh.add(summary.id);
}

function endpointDeleted(store, event) {
  store.endpoints.delete(event.endpoint.id);
}

function folderChanged(store, event) {
  const folder = event.folder;
  const current = store.folders.get(folder.id);
  if (!current || current.version < folder.version) store.setFolder(folder);
}

function folderDeleted(store, event) {
  for (const id of event.deleted_folders || []) store.folders.delete(id);
  store.folders.delete(event.folder.id);
  for (const id of event.deleted_endpoints || []) store.endpoints.delete(id);
}

function membersChanged(store, event, effects) {
  effects.reloadMembers = true;
}

function projectUpdated(store, event) {
  store.emit("project", event.project);
}

/** Comments belong to one endpoint's Activity tab, which reads them again per batch. */
function commentChanged() {}

export const EVENT_HANDLERS = {
  "endpoint.created": endpointChanged,
  "endpoint.updated": endpointChanged,
  "endpoint.moved": endpointChanged,
  "endpoint.deleted": endpointDeleted,
  "folder.created": folderChanged,
  "folder.updated": folderChanged,
  "folder.moved": folderChanged,
  "folder.deleted": folderDeleted,
  "member.joined": membersChanged,
  "member.role_changed": membersChanged,
  "member.left": membersChanged,
  "project.updated": projectUpdated,
  "comment.added": commentChanged,
  "comment.edited": commentChanged,
  "comment.resolved": commentChanged,
  "comment.reopened": commentChanged,
  "comment.deleted": commentChanged,
};

export const HANDLED_KINDS = Object.keys(EVENT_HANDLERS);

/** Applies a batch to the store; returns what it needs afterwards ({refreshTree, reloadMembers}). */
export function applyProjectEvents(store, events) {
  const effects = { refreshTree: false, reloadMembers: false };
  for (const event of events) {
    store.lastSeq = Math.max(store.lastSeq, event.seq);
    const handler = EVENT_HANDLERS[event.kind];
    if (handler) handler(store, event, effects);
  }
  return effects;
}
