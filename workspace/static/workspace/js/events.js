/* The one place the workspace handles kinds of project events (the `events` and `own_events`
   messages of WS /ws/projects/{id}/): what each kind does to the store. `HANDLED_KINDS` is the
   list tests/endpoints/activity/test_event_kinds.py compares with the server's EventKind. Views
   that care about a batch (the open endpoint's editor, its Activity tab) read it from the
   store's "events" signal after these have run; the environments, share and schemas views
   listen to "variables-changed", "share-links-changed" and "schemas-changed". */

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

/** The event names the project; its description (and rendering) is read again. */
function projectUpdated(store, event, effects) {
  store.emit("project", event.project);
  effects.reloadProject = true;
}

/** Comments belong to one endpoint's Activity tab, which reads them again per batch. */
function commentChanged() {}

/** The tag list (and the endpoints that carry a tag) are read again. */
function tagChanged(store, event, effects) {
  effects.refreshTree = true;
}

/** Environments are read again (names, variable counts), then the variables shown. Events
    carry no values (secrets, other members' current values): the view reads them again over
    REST, which shows this member what they may see. */
function environmentsChanged(store, event, effects) {
  effects.reloadEnvironments = true;
  effects.variablesChanged = true;
}

/** Only this member's own tabs get these (an `own_events` message). */
function currentValueChanged(store, event, effects) {
  effects.variablesChanged = true;
}

/** The scenarios page reads the batch from the store's "events" signal (scenarios.js). */
function scenarioChanged() {}

/** Scenario folders too: the list and a scenario's Folder select read them again. */
function scenarioFolderChanged() {}

/** The Mock tab reads the batch from the store's "events" signal and reloads (mock.js). */
function mockChanged() {}

function shareLinkChanged(store, event, effects) {
  effects.shareLinksChanged = true;
}

/** Events name the schema, never its content: the schemas view reads them again over REST. */
function schemaChanged(store, event, effects) {
  effects.schemaEvents.push(event);
}

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
  "tag.created": tagChanged,
  "tag.updated": tagChanged,
  "tag.deleted": tagChanged,
  "environment.created": environmentsChanged,
  "environment.updated": environmentsChanged,
  "environment.deleted": environmentsChanged,
  "variable.created": environmentsChanged,
  "variable.updated": environmentsChanged,
  "variable.deleted": environmentsChanged,
  "current_value.changed": currentValueChanged,
  "share_link.created": shareLinkChanged,
  "share_link.updated": shareLinkChanged,
  "share_link.revoked": shareLinkChanged,
  "share_link.rotated": shareLinkChanged,
  "share_link.deleted": shareLinkChanged,
  "schema.created": schemaChanged,
  "schema.updated": schemaChanged,
  "schema.deleted": schemaChanged,
  "scenario.created": scenarioChanged,
  "scenario.updated": scenarioChanged,
  "scenario.deleted": scenarioChanged,
  "scenario_folder.created": scenarioFolderChanged,
  "scenario_folder.updated": scenarioFolderChanged,
  "scenario_folder.deleted": scenarioFolderChanged,
  "mock.updated": mockChanged,
  "mock_behaviour.updated": mockChanged,
};

export const HANDLED_KINDS = Object.keys(EVENT_HANDLERS);

/** Kinds the workspace receives and deliberately does nothing with, and why. */
export const IGNORED_KINDS = {
  "ca_bundle.updated": "the workspace shows no CA bundle: the relay reads it at each connect",
  "ca_bundle.deleted": "the workspace shows no CA bundle: the relay reads it at each connect",
  "client_certificate.created": "the Certificates page reads the list each time it is opened",
  "client_certificate.deleted": "the Certificates page reads the list each time it is opened",
};

/** Applies a batch to the store; returns what it needs afterwards ({refreshTree, ...}). */
export function applyProjectEvents(store, events) {
  const effects = {
    refreshTree: false, reloadMembers: false, reloadProject: false, reloadEnvironments: false,
    variablesChanged: false, shareLinksChanged: false, schemaEvents: [],
  };
  for (const event of events) {
    // A member's own events (`own_events`) are not numbered.
    if (typeof event.seq === "number") store.lastSeq = Math.max(store.lastSeq, event.seq);
    const handler = EVENT_HANDLERS[event.kind];
    if (handler) handler(store, event, effects);
  }
  return effects;
}
