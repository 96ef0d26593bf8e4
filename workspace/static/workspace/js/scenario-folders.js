/* Scenario folders (docs/scenarios.md "The API") and a scenario's history, for the Scenarios
   page: the list's indented tree (folders, their scenarios, nested folders, then the scenarios
   without a folder), the folder paths of the Details tab's select, and the History tab's
   revisions. Pure rendering: scenarios.js reads the API and owns the state. */
import { h, icon, relativeTime } from "./dom.js";

const byPosition = (a, b) => a.position - b.position || a.name.localeCompare(b.name);

/** Each folder's path ("Smoke / Ticker"), by id. */
export function folderPaths(folders) {
  const byId = new Map(folders.map((folder) => [folder.id, folder]));
  const paths = new Map();
  const pathOf = (folder, seen = new Set()) => {
    if (paths.has(folder.id)) return paths.get(folder.id);
    const parent = folder.parent !== null && !seen.has(folder.id) ? byId.get(folder.parent) : null;
    seen.add(folder.id);
    const path = parent ? `${pathOf(parent, seen)} / ${folder.name}` : folder.name;
    paths.set(folder.id, path);
    return path;
  };
  for (const folder of folders) pathOf(folder);
  return paths;
}

/**
 * The rows of the list's tree. `scenarios` are the ones the filter shows; with a filter on,
 * only the folders leading to one of them are shown, and unfolded.
 * `row(scenario, depth)` and `folderRow(folder, depth, open, count)` make the rows.
 */
export function treeRows({ folders, scenarios, filtering, collapsed, row, folderRow }) {
  const known = new Set(folders.map((folder) => folder.id));
  const children = new Map();
  for (const folder of [...folders].sort(byPosition)) {
    const parent = known.has(folder.parent) ? folder.parent : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(folder);
  }
  const inFolder = new Map();
  for (const scenario of scenarios) {
    const folder = known.has(scenario.folder) ? scenario.folder : null;
    if (!inFolder.has(folder)) inFolder.set(folder, []);
    inFolder.get(folder).push(scenario);
  }
  // How many shown scenarios a folder holds, its subfolders' included.
  const counts = new Map();
  const count = (id, seen = new Set()) => {
    if (counts.has(id)) return counts.get(id);
    seen.add(id);
    let total = (inFolder.get(id) || []).length;
    for (const child of children.get(id) || []) if (!seen.has(child.id)) total += count(child.id, seen);
    counts.set(id, total);
    return total;
  };
  const rows = [];
  const walk = (parent, depth, seen) => {
    for (const folder of children.get(parent) || []) {
      if (seen.has(folder.id)) continue;
      const total = count(folder.id);
      if (filtering && !total) continue;
      const open = filtering || !collapsed.has(folder.id);
      rows.push(folderRow(folder, depth, open, total));
      if (!open) continue;
      walk(folder.id, depth + 1, new Set([...seen, folder.id]));
      for (const scenario of inFolder.get(folder.id) || []) rows.push(row(scenario, depth + 1));
    }
  };
  walk(null, 0, new Set());
  for (const scenario of inFolder.get(null) || []) rows.push(row(scenario, 0));
  return rows;
}

/** Indents a tree row's first cell (CSSOM: the page's CSP refuses style attributes). */
export function indent(cell, depth) {
  if (depth) cell.style.paddingLeft = `${0.75 + depth * 1.5}rem`;
  return cell;
}

/* --- history ------------------------------------------------------------------------------- */

const plural = (count, word) => `${count} ${word}${count === 1 ? "" : "s"}`;
const stepCount = (steps) => plural(Array.isArray(steps) ? steps.length : 0, "step");
const empty = (value) => value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length);

/** One change in words: "name: "A" → "B"", "2 steps → 3 steps", "folder: none → Smoke". */
function changeText(change, { folderName, environmentName }, created) {
  const { field, old: before, new: after } = change;
  if (field === "steps") return created ? stepCount(after) : `${stepCount(before)} → ${stepCount(after)}`;
  const show = {
    name: (value) => (empty(value) ? "—" : `“${value}”`),
    folder: (value) => (value === null || value === undefined ? "no folder" : folderName(value)),
    environment: (value) => (value === null || value === undefined ? "no environment" : environmentName(value)),
    tags: (value) => (empty(value) ? "no tags" : value.join(", ")),
  }[field];
  if (!show) return created ? field : `${field} changed`;
  return created ? `${field}: ${show(after)}` : `${field}: ${show(before)} → ${show(after)}`;
}

/** The History tab's table: newest first, read-only. */
export function historyTable(revisions, names) {
  if (!revisions.length) return h("p.muted.pad", {}, "No revisions.");
  return h("div.table-wrap", {}, h("table.history-table#scenario-history", {},
    h("thead", {}, h("tr", {}, ["Version", "Action", "Who", "When", "Changes"].map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, revisions.map((revision) => {
      const created = revision.action === "created";
      const changes = revision.changes.filter((change) => !created || !empty(change.new));
      return h("tr", { dataset: { version: String(revision.version), action: revision.action } },
        h("td.mono", {}, `v${revision.version}`),
        h("td", {}, h("span.badge.history-action", {}, revision.action), revision.revert_of ? h("span.muted.small", {}, ` (revert of #${revision.revert_of})`) : null),
        h("td", {}, revision.actor ? revision.actor.display_name : "someone"),
        h("td.muted", { title: revision.created_at }, relativeTime(revision.created_at)),
        h("td", {}, changes.length ? h("ul.history-changes", {}, changes.map((change) => h("li", { dataset: { field: change.field } }, changeText(change, names, created)))) : h("span.muted", {}, "no change")));
    }))));
}

/** A folder row's toggle, name (which selects it) and, for editors, rename and delete. */
export function folderCells({ folder, depth, open, total, selected, canWrite, onToggle, onSelect, onRename, onDelete }) {
  const cell = indent(h("td.folder-cell", { colspan: "4" }, h("div.folder-line", {},
    h("button.icon-btn.folder-toggle", {
      type: "button", "aria-expanded": String(open), "aria-label": `${open ? "Fold" : "Unfold"} folder ${folder.name}`,
      on: { click: onToggle },
    }, icon("chevron")),
    h("button.folder-name", {
      type: "button", "aria-pressed": String(selected), title: "Select (New folder goes inside it)", on: { click: onSelect },
    }, icon("folder"), h("span.folder-label", {}, folder.name)),
    h("span.muted.small.folder-count", {}, plural(total, "scenario")),
    canWrite ? h("span.folder-actions", {},
      h("button.btn.small.ghost", { type: "button", "aria-label": `Rename folder ${folder.name}`, on: { click: onRename } }, "Rename"),
      h("button.btn.small.ghost", { type: "button", "aria-label": `Delete folder ${folder.name}`, on: { click: onDelete } }, icon("trash"))) : null)), depth);
  return h("tr.folder-row", { dataset: { folder: String(folder.id) }, class: selected ? "selected" : "" }, cell);
}
