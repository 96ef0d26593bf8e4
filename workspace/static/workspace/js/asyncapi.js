/* AsyncAPI from the workspace: download the project or a folder as an AsyncAPI 3.0 document,
   and import a document (3.0 or 2.6, YAML or JSON, from a file) into a folder after a dry run
   that lists what would be created, updated or skipped and what has no place here. */
import { api } from "./api.js";
import { h, toast } from "./dom.js";
import { dialog } from "./ui.js";
import { folderOptions } from "./tree-model.js";

const OUTCOME_TEXT = { created: "Create", updated: "Update", unchanged: "Keep", skipped: "Skip" };

export class AsyncApiActions {
  /** base: the project's API path. */
  constructor({ store, base }) {
    Object.assign(this, { store, base });
  }

  /** Menu items of the project (folder null) or of one folder. */
  items(folder = null, canWrite = true) {
    const where = folder ? "folder" : "project";
    return [
      { label: `Export ${where} as AsyncAPI (YAML)`, run: () => this.download("yaml", folder) },
      { label: `Export ${where} as AsyncAPI (JSON)`, run: () => this.download("json", folder) },
      canWrite ? { label: folder ? "Import AsyncAPI here…" : "Import AsyncAPI…", run: () => this.importDialog(folder) } : null,
    ];
  }

  download(syntax, folder = null) {
    const link = h("a", { href: `${this.base}/asyncapi.${syntax}${folder ? `?folder=${folder.id}` : ""}`, download: "" });
    document.body.append(link);
    link.click();
    link.remove();
  }

  async importDialog(folder = null) {
    const file = h("input#asyncapi-file", { type: "file", accept: ".yaml,.yml,.json,application/json,application/yaml", dataset: { field: "document" } });
    const target = h("select#asyncapi-folder", { dataset: { field: "folder" } }, folderOptions(this.store, "Top level"));
    target.value = folder ? String(folder.id) : "";
    const listing = h("div.asyncapi-plan#asyncapi-plan", { "aria-live": "polite" });
    let checked = null;
    const send = async (dryRun) => {
      const chosen = file.files && file.files[0];
      if (!chosen) {
        file.setAttribute("aria-invalid", "true");
        file.focus();
        return false;
      }
      const text = await chosen.text();
      const body = { document: text, folder: Number(target.value) || null, dry_run: dryRun };
      return api("POST", `${this.base}/asyncapi/import/`, { body });
    };
    file.addEventListener("change", () => { checked = null; listing.replaceChildren(); });
    target.addEventListener("change", () => { checked = null; listing.replaceChildren(); });
    const report = await dialog({
      title: "Import AsyncAPI",
      description: "An AsyncAPI 3.0 or 2.6 document (YAML or JSON). Check it first: nothing is written until you import. Importing the same document again updates what it made.",
      size: "wide",
      content: [
        h("label", { for: "asyncapi-file" }, "Document"), file,
        h("label", { for: "asyncapi-folder" }, "Into"), target,
        listing,
      ],
      actions: [
        {
          label: "Check",
          id: "asyncapi-check",
          run: async () => {
            const plan = await send(true);
            if (plan === false) return false;
            checked = plan;
            listing.replaceChildren(...planView(plan));
            return false;
          },
        },
        {
          label: "Import",
          kind: "primary",
          id: "asyncapi-import",
          run: async () => {
            if (!checked) {
              const plan = await send(true);
              if (plan === false) return false;
              checked = plan;
              listing.replaceChildren(...planView(plan));
              return false; // look first, then import
            }
            return send(false);
          },
        },
      ],
    });
    if (!report) return;
    const counts = count(report.items);
    toast(`AsyncAPI imported: ${counts.created || 0} created, ${counts.updated || 0} updated`, "success", 5000);
    this.store.refreshSoon();
    this.store.loadEnvironments().catch(() => {});
  }
}

function count(items) {
  const found = {};
  for (const item of items) found[item.outcome] = (found[item.outcome] || 0) + 1;
  return found;
}

/** The dry run's listing: one row per thing it would write, then what it would not import. */
function planView(plan) {
  const counts = count(plan.items);
  const summary = Object.entries(OUTCOME_TEXT)
    .filter(([outcome]) => counts[outcome])
    .map(([outcome, text]) => `${text}: ${counts[outcome]}`)
    .join(" · ");
  const rows = plan.items.map((item) => h("tr", { dataset: { outcome: item.outcome } },
    h("td", {}, h(`span.outcome.outcome-${item.outcome}`, {}, OUTCOME_TEXT[item.outcome] || item.outcome)),
    h("td", {}, item.kind),
    h("td", {}, item.name),
    h("td.muted", {}, item.reason || h("code", {}, item.where))));
  const parts = [
    h("p.asyncapi-summary", {}, `AsyncAPI ${plan.version} · ${summary || "nothing to do"}`),
    h("div.table-wrap", {}, h("table.asyncapi-items", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Action"), h("th", {}, "What"), h("th", {}, "Name"), h("th", {}, "Where / why"))),
      h("tbody", {}, rows))),
  ];
  if (plan.unsupported.length) {
    parts.push(h("h3.asyncapi-unsupported-title", {}, `Not imported as written (${plan.unsupported.length})`));
    parts.push(h("ul.asyncapi-unsupported", {}, plan.unsupported.map((item) => h("li", {}, h("code", {}, item.where), " ", item.detail))));
  }
  return parts;
}
