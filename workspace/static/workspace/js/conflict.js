/* Two members editing one endpoint never silently overwrite each other. A teammate's change
   arriving live reloads an editor with nothing unsaved, or shows a banner over one with unsaved
   edits; a stale save (412) shows who changed what since, and lets the member reload theirs or
   overwrite deliberately. */
import { get } from "./api.js";
import { h, toast, relativeTime } from "./dom.js";
import { dialog } from "./ui.js";
import { base } from "./boot.js";

function summarize(value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "string") return value.length > 60 ? `"${value.slice(0, 57)}…"` : `"${value}"`;
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === "string")) return value.length ? value.join(", ") : "none";
    return `${value.length} item${value.length === 1 ? "" : "s"}`;
  }
  if (typeof value === "object" && value.display_name) return value.display_name;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function describeChange(change) {
  if (Array.isArray(change.new) && change.new.length && typeof change.new[0] === "object") {
    const rows = change.new.map((row) => (row && row.name ? `${row.name}${row.value !== undefined ? `: ${row.value}` : ""}` : "")).filter(Boolean);
    return rows.length ? `now ${rows.slice(0, 4).join("; ")}${rows.length > 4 ? "…" : ""}` : `${change.new.length} items`;
  }
  return `${summarize(change.old)} → ${summarize(change.new)}`;
}

export class ConflictGuard {
  /**
   * endpointId; meId: who this tab is; version(): the version the editor holds; isDirty();
   * reload(): read the endpoint again; showBanner(text, actions); onDeleted().
   */
  constructor({ endpointId, meId, version, isDirty, reload, showBanner, onDeleted }) {
    Object.assign(this, { endpointId, meId, version, isDirty, reload, showBanner, onDeleted });
    this.writing = 0; // own writes of this endpoint on their way (their events may come first)
  }

  /** Runs an own write of the endpoint; its events are not a teammate's change. */
  async own(write) {
    this.writing += 1;
    try {
      return await write();
    } finally {
      this.writing -= 1;
    }
  }

  /** Events about this endpoint (the project socket's), in order. */
  onEvents(events) {
    for (const event of events) {
      if (!event.endpoint) continue;
      const by = event.actor ? event.actor.display_name : "Someone";
      if (event.kind === "endpoint.deleted") {
        this.showBanner(`${by} deleted this endpoint. Save it as a new endpoint to keep your copy.`, []);
        this.onDeleted();
        continue;
      }
      // Our own saves come back with the version we already hold, or before their answer.
      if (event.endpoint.version <= this.version()) continue;
      if (this.writing > 0 && event.actor && event.actor.id === this.meId) continue;
      if (!this.isDirty()) {
        this.reload().then(() => toast(`${by} updated this endpoint (${(event.changed || []).join(", ")})`));
      } else {
        this.showBanner(`${by} changed ${(event.changed || []).join(", ") || "this endpoint"} while you were editing.`, [
          h("button.btn.small", { type: "button", on: { click: () => this.reload() } }, "Reload theirs"),
          h("span.muted", {}, "or keep editing: saving will show what changed."),
        ]);
      }
    }
  }

  /** A save was refused as stale (`error`, a version_conflict); `mine`: the fields it changed.
   * Resolves with "reload", "overwrite" or null (cancelled). */
  async resolve(error, mine) {
    const body = error.body;
    const who = body.updated_by ? body.updated_by.display_name : "Someone";
    const held = this.version();
    let revisions = [];
    try {
      const history = await get(`${base}/endpoints/${this.endpointId}/history/`, { page_size: 50 });
      revisions = history.results.filter((revision) => revision.version > held).reverse();
    } catch (problem) {
      revisions = [];
    }
    const theirs = new Set(revisions.flatMap((revision) => revision.changes.map((change) => change.field)));
    const both = mine.filter((field) => theirs.has(field));
    const list = h("ol.change-list", {}, revisions.map((revision) => h("li", {},
      h("p.change-who", {}, h("strong", {}, revision.actor ? revision.actor.display_name : "Someone"), ` · version ${revision.version} · ${relativeTime(revision.created_at)}`),
      h("ul", {}, revision.changes.map((change) => h("li", {}, h("code", {}, change.field), ": ", describeChange(change)))))));
    const content = [
      h("h3.dialog-sub", {}, "Their changes"),
      revisions.length ? list : h("p.muted", {}, "The history could not be read."),
      h("h3.dialog-sub", {}, "Your unsaved changes"),
      h("p", {}, mine.map((field) => h("code.field-chip", {}, field))),
      both.length ? h("p.notice.warn", {}, `You both changed ${both.join(", ")}. Overwriting replaces their ${both.join(", ")} with yours; their other changes stay.`) :
        h("p.notice", {}, "You changed different fields: overwriting keeps their changes and adds yours."),
    ];
    return dialog({
      title: `${who} saved this endpoint while you were editing`,
      description: `Nothing was written. The endpoint is at version ${body.current_version}; your copy is version ${held}.`,
      content,
      size: "wide",
      actions: [
        { label: "Reload theirs (discard mine)", kind: "secondary", value: "reload", id: "conflict-reload" },
        { label: "Overwrite with mine", kind: "danger", value: "overwrite", id: "conflict-overwrite" },
      ],
    });
  }
}
