/* The project's scenarios (docs/scenarios.md): the list with a text and tag filter, and one
   scenario's page — its editor (details, variables, data table, steps; saved with its version,
   a stale save resolved like the endpoint editor's), the Run button with an environment
   picker, the live run view and the past runs. Teammates' changes arrive as project events. */
import { api, get, describeError, ApiError } from "./api.js";
import { h, icon, toast, relativeTime, clone, debounce } from "./dom.js";
import { dialog, openMenu, promptDialog, confirmDialog, showFieldErrors, segmented } from "./ui.js";
import { chipsInput } from "./rows.js";
import { boot, base, projectId } from "./boot.js";
import { PageView, pageHead } from "./page.js";
import { markdownPreview } from "./panels.js";
import { StepsEditor } from "./scenario-steps.js";
import { RunView, runList } from "./scenario-run.js";
import { folderPaths, treeRows, indent, folderCells, historyTable } from "./scenario-folders.js";

const EDITED = ["name", "folder", "description", "tags", "environment", "variables", "data_table", "steps"];
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const scenarioUrl = (id) => `/projects/${projectId}/scenarios/${id}/`;
const go = (url, options = {}) => window.dispatchEvent(new CustomEvent("sb:navigate", { detail: { url, ...options } }));

function scenarioEvents(events) {
  return events.filter((event) => event.scenario && event.kind.startsWith("scenario."));
}

function folderEvents(events) {
  return events.filter((event) => event.kind.startsWith("scenario_folder."));
}

export class ScenarioListView extends PageView {
  constructor(main, app) {
    super(main, app);
    this.scenarios = [];
    this.folders = [];
    this.collapsed = new Set();
    this.selectedFolder = null;
    this.text = "";
    this.tag = "";
  }

  async init() {
    this.setTitle("Scenarios");
    this.search = h("input#scenario-search", { type: "search", placeholder: "Filter by name", autocomplete: "off", "aria-label": "Filter scenarios by name" });
    this.search.addEventListener("input", debounce(() => { this.text = this.search.value.trim().toLowerCase(); this.renderList(); }, 120));
    this.tagSelect = h("select#scenario-tag", { "aria-label": "Filter scenarios by tag" });
    this.tagSelect.addEventListener("change", () => { this.tag = this.tagSelect.value; this.renderList(); });
    this.body = h("div.scenario-list-body", {}, h("p.muted", {}, "Loading…"));
    const create = boot.can_write ? h("div.scenario-list-actions", {},
      h("button.btn#scenario-folder-new", { type: "button", on: { click: () => this.createFolder() } }, icon("folder"), "New folder"),
      h("button.btn.primary#scenario-new", { type: "button", on: { click: () => this.create() } }, icon("plus"), "New scenario")) : null;
    this.notice = h("div.scenario-folder-notice", { role: "alert" });
    this.main.replaceChildren(h("section.page", { "aria-labelledby": "scenarios-title" },
      pageHead("scenarios-title", "Scenarios",
        h("p.lead", {}, "Tests of the WebSocket API written as steps: connect, send, expect, extract. They run on the server and keep every frame."),
        create),
      h("div.scenario-filters", {}, this.search, this.tagSelect),
      this.notice, this.body));
    // A burst of changes (an import, a teammate's script) is read once.
    const reload = debounce(() => this.load(), 150);
    this.listen("events", (events) => { if (scenarioEvents(events).length || folderEvents(events).length) reload(); });
    await this.load();
    return true;
  }

  destroy() {
    super.destroy();
    this.destroyed = true;
  }

  async load() {
    try {
      [this.scenarios, this.folders] = await Promise.all([get(`${base}/scenarios/`), get(`${base}/scenario-folders/`)]);
      if (this.destroyed) return;
      if (!this.folders.some((folder) => folder.id === this.selectedFolder)) this.selectedFolder = null;
    } catch (error) {
      this.body.replaceChildren(h("p.form-error", { role: "alert" }, describeError(error)));
      return;
    }
    const tags = [...new Set(this.scenarios.flatMap((item) => item.tags))].sort();
    if (this.tag && !tags.includes(this.tag)) this.tag = "";
    this.tagSelect.replaceChildren(h("option", { value: "" }, "Any tag"), ...tags.map((tag) => h("option", { value: tag, selected: tag === this.tag }, tag)));
    this.renderList();
  }

  renderList(focus = null) {
    const shown = this.scenarios.filter((item) => (!this.text || item.name.toLowerCase().includes(this.text) || item.tags.some((tag) => tag.toLowerCase().includes(this.text))) &&
      (!this.tag || item.tags.includes(this.tag)));
    if (!this.scenarios.length && !this.folders.length) {
      this.body.replaceChildren(h("div.empty-state", {}, h("p", {}, "No scenarios yet."),
        h("p", {}, boot.can_write ? "Create one with New scenario: connect to an endpoint, send a message, expect the reply." : "Editors and admins write scenarios; you can run them.")));
      return;
    }
    const filtering = Boolean(this.text || this.tag);
    if (filtering && !shown.length) {
      this.body.replaceChildren(h("p.muted", {}, "No scenario matches the filter."));
      return;
    }
    const row = (item, depth) => h("tr", { dataset: { scenario: String(item.id), folder: String(item.folder ?? "") } },
      indent(h("td", {}, h("a.scenario-link", { href: scenarioUrl(item.id), "data-route": "" }, item.name),
        item.data_driven ? h("span.badge.data-badge", { title: "Runs once per row of its data table" }, "data-driven") : null), depth),
      h("td", {}, item.tags.map((tag) => h("span.chip.tag-chip", {}, tag))),
      h("td", {}, String(item.step_count)),
      h("td.muted", {}, relativeTime(item.updated_at)));
    const folderRow = (folder, depth, open, total) => folderCells({
      folder, depth, open, total, selected: folder.id === this.selectedFolder, canWrite: boot.can_write,
      onToggle: () => {
        if (this.collapsed.has(folder.id)) this.collapsed.delete(folder.id);
        else this.collapsed.add(folder.id);
        this.renderList(`[data-folder="${folder.id}"] .folder-toggle`);
      },
      onSelect: () => {
        this.selectedFolder = this.selectedFolder === folder.id ? null : folder.id;
        this.renderList(`[data-folder="${folder.id}"] .folder-name`);
      },
      onRename: () => this.renameFolder(folder),
      onDelete: () => this.deleteFolder(folder),
    });
    const rows = treeRows({ folders: this.folders, scenarios: shown, filtering, collapsed: this.collapsed, row, folderRow });
    this.body.replaceChildren(h("div.table-wrap", {}, h("table.scenario-table", {},
      h("thead", {}, h("tr", {}, ["Name", "Tags", "Steps", "Updated"].map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows))));
    if (focus) this.body.querySelector(focus)?.focus();
  }

  /* --- folders ---------------------------------------------------------------------------- */

  folderNamed(id) {
    return this.folders.find((folder) => folder.id === id) || null;
  }

  say(text) {
    this.notice.replaceChildren(text ? h("p.notice.bad", {}, text) : "");
  }

  async createFolder() {
    const parent = this.folderNamed(this.selectedFolder);
    const name = await promptDialog({ title: parent ? `New folder in “${parent.name}”` : "New folder", label: "Folder name", placeholder: "e.g. Smoke", confirm: "Create" });
    if (!name) return;
    this.say("");
    try {
      await api("POST", `${base}/scenario-folders/`, { body: { name, parent: parent ? parent.id : null } });
      if (parent) this.collapsed.delete(parent.id);
      await this.load();
    } catch (error) {
      this.say(`The folder was not created: ${describeError(error)}`);
    }
  }

  async renameFolder(folder) {
    const name = await promptDialog({ title: `Rename “${folder.name}”`, label: "Folder name", value: folder.name, confirm: "Rename" });
    if (!name || name === folder.name) return;
    this.say("");
    try {
      await api("PATCH", `${base}/scenario-folders/${folder.id}/`, { body: { name }, version: folder.version });
      await this.load();
    } catch (error) {
      this.say(error instanceof ApiError && error.code === "version_conflict" ?
        `Someone changed “${folder.name}” meanwhile; it is shown as it is now. Rename it again if you still want to.` :
        `“${folder.name}” was not renamed: ${describeError(error)}`);
      await this.load();
    }
  }

  async deleteFolder(folder) {
    const ok = await confirmDialog({ title: `Delete folder “${folder.name}”?`, message: "Only an empty folder can be deleted: scenarios are never deleted with their folder.", confirm: "Delete folder", danger: true });
    if (!ok) return;
    this.say("");
    try {
      await api("DELETE", `${base}/scenario-folders/${folder.id}/`, { version: folder.version });
      toast(`Deleted folder “${folder.name}”`, "success");
    } catch (error) {
      this.say(error instanceof ApiError && error.code === "folder_not_empty" ?
        `“${folder.name}” was not deleted: it is not empty. Move its scenarios and folders out (a scenario's Details tab has its folder), or delete them, first.` :
        `“${folder.name}” was not deleted: ${describeError(error)}`);
    }
    await this.load();
  }

  async create() {
    const name = await promptDialog({ title: "New scenario", label: "Name", placeholder: "e.g. Chat round trip", confirm: "Create" });
    if (!name) return;
    try {
      const created = await api("POST", `${base}/scenarios/`, { body: { name, steps: [] } });
      go(scenarioUrl(created.id));
    } catch (error) {
      toast(describeError(error), "error");
    }
  }
}

export class ScenarioView extends PageView {
  constructor(main, app, { scenarioId }) {
    super(main, app);
    this.scenarioId = scenarioId;
    this.endpointMessages = new Map();
    this.writing = 0;
    this.deleted = false;
    this.runs = [];
    this.folders = [];
  }

  isDirty() {
    return Boolean(boot.can_write && this.draft && !this.deleted && this.dirtyFields().length);
  }

  dirtyFields() {
    return EDITED.filter((field) => !same(this.draft[field], this.baseline[field]));
  }

  async init() {
    let scenario;
    try {
      [scenario, this.folders] = await Promise.all([
        get(`${base}/scenarios/${this.scenarioId}/`),
        get(`${base}/scenario-folders/`),
        this.store.loaded ? null : this.store.loadTree(),
        this.store.environmentsLoaded ? null : this.store.loadEnvironments(),
      ]);
    } catch (error) {
      if (this.destroyed) return false;
      this.setTitle("Scenario");
      this.main.replaceChildren(h("section.page", {}, h("div.empty-state.big", {},
        h("h1", {}, error instanceof ApiError && error.status === 404 ? "No such scenario" : "The scenario could not be read"),
        h("p", {}, describeError(error)),
        h("p", {}, h("a.btn", { href: `/projects/${projectId}/scenarios/`, "data-route": "" }, "All scenarios")))));
      return false;
    }
    // Left while it loaded: the next page owns the main element now.
    if (this.destroyed) return false;
    this.adopt(scenario);
    this.build();
    this.fill();
    this.listen("events", (events) => {
      if (folderEvents(events).length) this.loadFolders();
      this.onEvents(scenarioEvents(events));
    });
    this.listen("environments", () => this.renderEnvironments());
    this.onKey = (event) => {
      if (event.key === "s" && (event.ctrlKey || event.metaKey) && !event.altKey) {
        event.preventDefault();
        if (this.isDirty()) this.save();
      }
    };
    document.addEventListener("keydown", this.onKey);
    this.loadRuns();
    const wanted = Number(new URLSearchParams(location.search).get("run"));
    if (wanted) {
      this.selectTab("runs");
      this.runView.open(wanted);
    }
    return true;
  }

  destroy() {
    super.destroy();
    this.destroyed = true;
    if (this.onKey) document.removeEventListener("keydown", this.onKey);
    if (this.runView) this.runView.destroy();
  }

  adopt(scenario) {
    this.scenario = scenario;
    const fields = (data) => ({
      name: data.name, folder: data.folder ?? null, description: data.description, tags: data.tags, environment: data.environment,
      variables: data.variables || [], data_table: data.data_table, steps: data.steps || [],
    });
    // The cards open before a save (or a reload) stay open after it.
    const open = this.steps && this.draft ? this.draft.steps.map((step, index) => (this.steps.open.has(step) ? index : -1)).filter((index) => index >= 0) : [];
    this.baseline = clone(fields(scenario));
    this.draft = clone(fields(scenario));
    for (const index of open) if (this.draft.steps[index]) this.steps.open.add(this.draft.steps[index]);
  }

  endpointChoices() {
    return [...this.store.endpoints.values()]
      .map((endpoint) => ({ id: endpoint.id, label: [...this.store.folderPath(endpoint.folder), endpoint.name].join(" / ") }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }

  /** The documented messages of an endpoint, read once (null while they load). */
  messagesOf(endpointId) {
    const known = this.endpointMessages.get(endpointId);
    if (known !== undefined) return known;
    this.endpointMessages.set(endpointId, null);
    get(`${base}/endpoints/${endpointId}/`)
      .then((endpoint) => { this.endpointMessages.set(endpointId, endpoint.messages || []); })
      .catch(() => { this.endpointMessages.set(endpointId, []); })
      .then(() => { if (this.steps) this.steps.render(); });
    return null;
  }

  build() {
    const readOnly = !boot.can_write;
    this.nameInput = h("input.scenario-name#scenario-name", { "aria-label": "Scenario name", readOnly, maxlength: "200", dataset: { field: "name" } });
    this.nameInput.addEventListener("input", () => this.set("name", this.nameInput.value));
    this.dirtyMark = h("span.dirty-mark", { hidden: true, title: "Unsaved changes" }, "unsaved");
    this.envSelect = h("select#run-environment", { "aria-label": "Run in environment" });
    this.runButton = h("button.btn.primary#run", { type: "button", on: { click: () => this.start() } }, icon("send"), "Run");
    this.saveButton = h("button.btn#scenario-save", { type: "button", hidden: readOnly, disabled: true, on: { click: () => this.save() } }, "Save");
    const more = h("button.icon-btn#scenario-more", {
      type: "button", hidden: readOnly, "aria-label": "More actions", "aria-haspopup": "menu", "aria-expanded": "false",
      on: { click: () => openMenu(more, [{ label: "Delete scenario", danger: true, run: () => this.remove() }]) },
    }, icon("more"));
    this.banner = h("div.banner", { hidden: true, role: "status" });
    this.problems = h("div.form-error", { role: "alert", hidden: true });

    // Details
    this.description = h("textarea#scenario-description.mono", { rows: "4", readOnly, dataset: { field: "description" }, placeholder: "What this scenario checks, in Markdown" });
    this.description.addEventListener("input", () => this.set("description", this.description.value));
    this.preview = h("div.markdown-preview.markdown", { hidden: true, "aria-live": "polite" });
    const descriptionMode = segmented("Description view", [["write", "Write"], ["preview", "Preview"]], "write", (mode) => this.showDescription(mode));
    this.tags = chipsInput({ id: "scenario-tags", label: "Tags", values: [], placeholder: "smoke, then Enter", onChange: (values) => this.set("tags", values) });
    this.tags.element.dataset.field = "tags";
    if (readOnly) this.tags.lock(true);
    this.folderSelect = h("select#scenario-folder", { disabled: readOnly, dataset: { field: "folder" } });
    this.folderSelect.addEventListener("change", () => this.set("folder", this.folderSelect.value ? Number(this.folderSelect.value) : null));
    this.envDefault = h("select#scenario-environment", { disabled: readOnly, dataset: { field: "environment" } });
    this.envDefault.addEventListener("change", () => {
      this.set("environment", this.envDefault.value ? Number(this.envDefault.value) : null);
      this.renderEnvironments();
    });
    this.variables = h("div.pair-rows#scenario-variables", { dataset: { field: "variables" } });
    this.dataFormat = h("select#data-format", { disabled: readOnly, dataset: { field: "data_table.format" } },
      h("option", { value: "" }, "No data table"), h("option", { value: "csv" }, "CSV"), h("option", { value: "json" }, "JSON"));
    this.dataText = h("textarea#data-text.mono", { rows: "5", readOnly, "aria-label": "Data table rows (a header row of variable names first)", spellcheck: "false", dataset: { field: "data_table.text" }, placeholder: "symbol,qty\nBTC-USD,1\nETH-USD,2" });
    const dataChanged = () => {
      this.set("data_table", this.dataFormat.value ? { format: this.dataFormat.value, text: this.dataText.value } : null);
      this.dataText.hidden = !this.dataFormat.value;
    };
    this.dataFormat.addEventListener("change", dataChanged);
    this.dataText.addEventListener("input", dataChanged);

    this.steps = new StepsEditor({
      steps: () => this.draft.steps,
      readOnly,
      onChange: () => this.set("steps", this.draft.steps),
      endpoints: () => this.endpointChoices(),
      messages: (id) => this.messagesOf(id),
      info: (index, step) => (this.scenario.step_info[index] && same(step, this.baseline.steps[index]) ? this.scenario.step_info[index] : null),
    });

    this.runView = new RunView({ onFinished: (run) => { this.loadRuns(); this.announceRun(run); } });
    this.runNotice = h("div.run-notice", { role: "alert" });
    this.runListHost = h("div.run-list-host");

    this.historyHost = h("div.history-host", { "aria-live": "polite" });

    const tabs = [["steps", "Steps"], ["details", "Details"], ["runs", "Runs"], ["history", "History"]];
    this.tabButtons = {};
    this.panels = {};
    const tablist = h("div.tabs", { role: "tablist", "aria-label": "Scenario parts" });
    for (const [key, label] of tabs) {
      this.tabButtons[key] = h("button.tab", {
        type: "button", role: "tab", id: `tab-${key}`, "aria-controls": `panel-${key}`, "aria-selected": "false", tabindex: "-1",
        on: {
          click: () => {
            this.selectTab(key);
            // Runs started elsewhere (another tab, a teammate, CI) show up when the tab opens.
            if (key === "runs") this.loadRuns();
            if (key === "history") this.loadHistory();
          },
          keydown: (event) => {
            if (!["ArrowLeft", "ArrowRight"].includes(event.key)) return;
            event.preventDefault();
            const keys = tabs.map(([name]) => name);
            const next = keys[(keys.indexOf(key) + (event.key === "ArrowRight" ? 1 : -1) + keys.length) % keys.length];
            this.selectTab(next);
            if (next === "history") this.loadHistory();
            this.tabButtons[next].focus();
          },
        },
      }, label, h("span.tab-count"));
      tablist.append(this.tabButtons[key]);
      this.panels[key] = h("div.tabpanel", { role: "tabpanel", id: `panel-${key}`, "aria-labelledby": `tab-${key}`, hidden: true });
    }
    this.panels.steps.append(this.steps.element);
    this.panels.details.append(h("div.settings-grid.scenario-details", {},
      h("div.setting.wide", {}, h("div.desc-head", {}, h("label", { for: "scenario-description" }, "Description ", h("span.optional", {}, "(Markdown)")), descriptionMode.element),
        this.description, this.preview),
      h("div.setting", {}, h("label", { for: "scenario-folder" }, "Folder"), this.folderSelect),
      h("div.setting", {}, h("label", { for: "scenario-tags" }, "Tags"), this.tags.element),
      h("div.setting", {}, h("label", { for: "scenario-environment" }, "Default environment"), this.envDefault),
      h("div.setting.wide", {}, h("span.setting-label", {}, "Scenario variables ", h("span.optional", {}, "({{name}} in any step; a run's values, data rows and extracted values win)")), this.variables),
      h("div.setting.wide", {}, h("label", { for: "data-format" }, "Data table ", h("span.optional", {}, "(run once per row, the row's values as variables)")), this.dataFormat, this.dataText)));
    this.panels.runs.append(h("div.runs-layout", {},
      h("div.runs-side", {}, h("h2.section-title", {}, "Past runs"), this.runListHost),
      h("div.runs-main", {}, this.runNotice, this.runView.element)));
    this.runView.element.append(h("p.muted.pad", {}, "Run the scenario, or choose a past run."));
    this.panels.history.append(h("p.muted.small", {}, "Every saved version of this scenario, newest first: who saved it, when, and what changed."), this.historyHost);

    this.main.replaceChildren(h("section.page.scenario-page", { "aria-label": "Scenario" },
      h("p.req-crumbs", {}, h("a", { href: `/projects/${projectId}/scenarios/`, "data-route": "" }, "Scenarios"), " /", this.crumbFolder = h("span.crumb-folder")),
      h("header.scenario-head", {},
        h("div.scenario-name-row", {}, this.nameInput, this.dirtyMark),
        h("div.scenario-actions", {}, this.envSelect, this.runButton, this.saveButton, more)),
      this.banner, this.problems, tablist, h("div.tabpanels", {}, Object.values(this.panels))));
    this.selectTab("steps");
  }

  async showDescription(mode) {
    const preview = mode === "preview";
    this.description.hidden = preview;
    this.preview.hidden = !preview;
    if (!preview) return;
    await markdownPreview(this.preview, this.draft.description || "");
  }

  selectTab(key) {
    this.activeTab = key;
    for (const [name, button] of Object.entries(this.tabButtons)) {
      const on = name === key;
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
      this.panels[name].hidden = !on;
    }
  }

  fill() {
    const d = this.draft;
    this.setTitle(d.name);
    this.nameInput.value = d.name;
    this.description.value = d.description || "";
    this.tags.set(d.tags || []);
    this.dataFormat.value = d.data_table ? d.data_table.format : "";
    this.dataText.value = d.data_table ? d.data_table.text : "";
    this.dataText.hidden = !d.data_table;
    this.renderVariables();
    this.renderEnvironments();
    this.renderFolders();
    this.steps.render();
    this.updateState();
  }

  set(field, value) {
    this.draft[field] = value;
    if (field === "name") this.setTitle(value);
    this.updateState();
  }

  updateState() {
    const dirty = this.isDirty();
    this.dirtyMark.hidden = !dirty;
    this.saveButton.disabled = !dirty || this.deleted;
    this.saveButton.classList.toggle("primary", dirty);
    this.tabButtons.steps.querySelector(".tab-count").textContent = String(this.draft.steps.length || "");
  }

  renderEnvironments() {
    const environments = this.store.environments;
    const option = (value, label, selected) => h("option", { value, selected }, label);
    this.envDefault.replaceChildren(option("", "None (globals only)", !this.draft.environment),
      ...environments.map((env) => option(String(env.id), env.name, env.id === this.draft.environment)));
    const chosen = this.envSelect.value || (this.draft.environment ? String(this.draft.environment) : "");
    const fallback = this.scenario.environment ? String(this.scenario.environment) : "";
    const wanted = this.envSelect.dataset.touched ? chosen : fallback;
    this.envSelect.replaceChildren(option("", "No environment", wanted === ""),
      ...environments.map((env) => option(String(env.id), env.name, String(env.id) === wanted)));
    this.envSelect.onchange = () => { this.envSelect.dataset.touched = "1"; };
  }

  renderFolders() {
    const paths = folderPaths(this.folders);
    const folders = [...this.folders].sort((a, b) => paths.get(a.id).localeCompare(paths.get(b.id)));
    this.folderSelect.replaceChildren(h("option", { value: "", selected: this.draft.folder === null }, "No folder (top level)"),
      ...folders.map((folder) => h("option", { value: String(folder.id), selected: folder.id === this.draft.folder }, paths.get(folder.id))));
    // The crumbs name the folder it is saved in.
    const saved = this.scenario.folder;
    this.crumbFolder.textContent = saved !== null && paths.has(saved) ? ` ${paths.get(saved)} /` : "";
  }

  async loadFolders() {
    try {
      this.folders = await get(`${base}/scenario-folders/`);
    } catch (error) {
      return;
    }
    if (!this.destroyed) this.renderFolders();
  }

  async loadHistory() {
    let revisions;
    try {
      revisions = await get(`${base}/scenarios/${this.scenarioId}/history/`);
    } catch (error) {
      this.historyHost.replaceChildren(h("p.form-error", { role: "alert" }, describeError(error)));
      return;
    }
    if (this.destroyed) return;
    const paths = folderPaths(this.folders);
    const environments = new Map(this.store.environments.map((env) => [env.id, env.name]));
    this.historyHost.replaceChildren(historyTable(revisions, {
      folderName: (id) => paths.get(id) || `a deleted folder (#${id})`,
      environmentName: (id) => environments.get(id) || `environment #${id}`,
    }));
  }

  renderVariables() {
    const rows = this.draft.variables;
    const readOnly = !boot.can_write;
    const changed = () => this.set("variables", rows);
    const items = rows.map((row, index) => {
      const input = (key) => {
        const el = h("input.mono", {
          value: row[key] ?? "", readOnly, spellcheck: "false", autocomplete: "off",
          "aria-label": `Scenario variable ${index + 1} ${key}`, dataset: { field: `variables[${index}].${key}` },
        });
        el.addEventListener("input", () => { row[key] = el.value; changed(); });
        return el;
      };
      const remove = readOnly ? null : h("button.icon-btn", {
        type: "button", "aria-label": `Remove scenario variable ${index + 1}`, title: "Remove",
        on: { click: () => { rows.splice(index, 1); changed(); this.renderVariables(); } },
      }, icon("x"));
      return h("div.pair-row", {}, input("name"), input("value"), remove);
    });
    const add = readOnly ? null : h("button.btn.small.ghost#variable-add", {
      type: "button",
      on: {
        click: () => {
          rows.push({ name: "", value: "" });
          changed();
          this.renderVariables();
          this.variables.querySelector(`[data-field="variables[${rows.length - 1}].name"]`)?.focus();
        },
      },
    }, icon("plus"), "Add variable");
    this.variables.replaceChildren(...[...items, !rows.length && readOnly ? h("span.muted.small", {}, "none") : null, add].filter(Boolean));
  }

  payload(fields) {
    const body = {};
    for (const field of fields) body[field] = clone(this.draft[field]);
    return body;
  }

  async save({ overwrite = false, version = null } = {}) {
    const fields = this.dirtyFields();
    if (!fields.length) return true;
    this.saveButton.disabled = true;
    this.problems.hidden = true;
    showFieldErrors(this.main, {});
    this.writing += 1;
    try {
      const saved = await api("PATCH", `${base}/scenarios/${this.scenarioId}/`, {
        body: this.payload(fields), version: overwrite ? version : this.scenario.version,
      });
      this.adopt(saved);
      this.fill();
      this.banner.hidden = true;
      if (this.activeTab === "history") this.loadHistory();
      toast("Scenario saved", "success");
      return true;
    } catch (error) {
      if (error instanceof ApiError && error.code === "version_conflict") {
        const choice = await this.conflict(error, fields);
        if (choice === "reload") await this.reload();
        else if (choice === "overwrite") return this.save({ overwrite: true, version: error.body.current_version });
      } else {
        this.showErrors(error);
      }
      this.updateState();
      return false;
    } finally {
      this.writing -= 1;
    }
  }

  showErrors(error) {
    const fields = error.fields || {};
    const paths = Object.keys(fields);
    this.steps.reveal(paths);
    this.renderVariables();
    const unplaced = showFieldErrors(this.main, fields);
    const first = paths[0];
    if (first) {
      this.selectTab(first.startsWith("steps") ? "steps" : ["name"].includes(first) ? this.activeTab : "details");
      const target = this.main.querySelector(`[data-field="${CSS.escape(first)}"]`);
      if (target) {
        target.focus();
        target.scrollIntoView({ block: "center" });
      }
    }
    const lines = paths.length ? unplaced : [describeError(error)];
    this.problems.replaceChildren(paths.length ? `${paths.length} problem${paths.length === 1 ? "" : "s"}: nothing was saved.` : "", ...lines.map((line) => h("span.problem-line", {}, line)));
    this.problems.hidden = false;
    if (!paths.length) toast(describeError(error), "error");
  }

  async conflict(error, mine) {
    const body = error.body;
    const who = body.updated_by ? body.updated_by.display_name : "Someone";
    let theirs = [];
    try {
      const history = await get(`${base}/scenarios/${this.scenarioId}/history/`);
      theirs = history.filter((revision) => revision.version > this.scenario.version).flatMap((revision) => revision.changes.map((change) => change.field));
    } catch (problem) {
      theirs = [];
    }
    const both = mine.filter((field) => theirs.includes(field));
    return dialog({
      title: `${who} saved this scenario while you were editing`,
      description: `Nothing was written. The scenario is at version ${body.current_version}; your copy is version ${this.scenario.version}.`,
      content: [
        h("p", {}, "They changed: ", theirs.length ? [...new Set(theirs)].map((field) => h("code.field-chip", {}, field)) : "(the history could not be read)"),
        h("p", {}, "You changed: ", mine.map((field) => h("code.field-chip", {}, field))),
        both.length ? h("p.notice.warn", {}, `You both changed ${both.join(", ")}. Overwriting replaces their ${both.join(", ")} with yours.`) :
          h("p.notice", {}, "You changed different fields: overwriting keeps their changes and adds yours."),
      ],
      size: "wide",
      actions: [
        { label: "Reload theirs (discard mine)", kind: "secondary", value: "reload", id: "conflict-reload" },
        { label: "Overwrite with mine", kind: "danger", value: "overwrite", id: "conflict-overwrite" },
      ],
    });
  }

  async reload() {
    try {
      const scenario = await get(`${base}/scenarios/${this.scenarioId}/`);
      this.adopt(scenario);
      this.fill();
      this.banner.hidden = true;
      if (this.activeTab === "history") this.loadHistory();
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  onEvents(events) {
    for (const event of events) {
      if (event.scenario.id !== this.scenarioId) continue;
      const by = event.actor ? event.actor.display_name : "Someone";
      if (event.kind === "scenario.deleted") {
        this.deleted = true;
        this.showBanner(`${by} deleted this scenario.`, [h("a.btn.small", { href: `/projects/${projectId}/scenarios/`, "data-route": "" }, "All scenarios")]);
        this.runButton.disabled = true;
        this.updateState();
        continue;
      }
      if (event.scenario.version <= this.scenario.version) continue;
      if (this.writing > 0 && event.actor && event.actor.id === boot.me.id) continue;
      const what = (event.changed || []).join(", ") || "this scenario";
      if (!this.isDirty()) {
        this.reload().then(() => toast(`${by} updated this scenario (${what})`));
      } else {
        this.showBanner(`${by} changed ${what} while you were editing.`, [
          h("button.btn.small", { type: "button", on: { click: () => this.reload() } }, "Reload theirs"),
          h("span.muted", {}, "or keep editing: saving will show what changed."),
        ]);
      }
    }
  }

  showBanner(text, actions) {
    this.banner.replaceChildren(h("span", {}, text), ...actions);
    this.banner.hidden = false;
  }

  async remove() {
    const ok = await confirmDialog({ title: `Delete "${this.scenario.name}"?`, message: "Its steps and history are deleted; past runs stay readable.", confirm: "Delete scenario", danger: true });
    if (!ok) return;
    try {
      this.writing += 1;
      await api("DELETE", `${base}/scenarios/${this.scenarioId}/`, { version: this.scenario.version });
      this.deleted = true;
      toast(`Deleted "${this.scenario.name}"`, "success");
      go(`/projects/${projectId}/scenarios/`, { force: true });
    } catch (error) {
      toast(describeError(error), "error");
    } finally {
      this.writing -= 1;
    }
  }

  /* --- runs ------------------------------------------------------------------------------- */

  async loadRuns() {
    try {
      this.runs = await get(`${base}/scenarios/${this.scenarioId}/runs/`);
    } catch (error) {
      this.runListHost.replaceChildren(h("p.form-error", {}, describeError(error)));
      return;
    }
    this.renderRuns();
  }

  renderRuns() {
    const current = this.runView.run ? this.runView.run.id : null;
    this.runListHost.replaceChildren(runList(this.runs, current, (id) => this.openRun(id)));
    this.tabButtons.runs.querySelector(".tab-count").textContent = this.runs.length ? String(this.runs.length) : "";
  }

  async openRun(id) {
    this.runNotice.replaceChildren();
    history.replaceState({}, "", `${scenarioUrl(this.scenarioId)}?run=${id}`);
    await this.runView.open(id);
    this.renderRuns();
  }

  async start() {
    if (this.isDirty()) {
      const choice = await dialog({
        title: "Save before running?",
        description: "A run uses the saved scenario. Your unsaved changes are not part of it unless you save them first.",
        actions: [
          { label: "Run the saved version", kind: "secondary", value: "saved", id: "run-saved" },
          { label: "Save and run", kind: "primary", value: "save", id: "run-save" },
        ],
      });
      if (!choice) return;
      if (choice === "save" && !(await this.save())) return;
    }
    this.selectTab("runs");
    this.runNotice.replaceChildren();
    this.runButton.disabled = true;
    const environment = this.envSelect.value ? Number(this.envSelect.value) : null;
    try {
      const run = await api("POST", `${base}/scenarios/${this.scenarioId}/runs/`, { body: { environment } });
      history.replaceState({}, "", `${scenarioUrl(this.scenarioId)}?run=${run.id}`);
      this.runView.show(run);
      this.runs = [run, ...this.runs.filter((item) => item.id !== run.id)];
      this.renderRuns();
    } catch (error) {
      this.runNotice.replaceChildren(h("p.notice.bad", {}, runProblem(error)));
      if (error instanceof ApiError && Object.keys(error.fields).length) {
        this.selectTab("steps");
        this.showErrors(error);
      }
    } finally {
      this.runButton.disabled = this.deleted;
    }
  }

  announceRun(run) {
    const text = `Run #${run.id} ${run.status}`;
    toast(text, run.status === "passed" ? "success" : "error");
  }
}

function runProblem(error) {
  if (!(error instanceof ApiError)) return describeError(error);
  if (error.code === "too_many_runs") return `Too many runs going: ${error.detail} Wait for one of yours to finish, then run again.`;
  if (error.code === "relay_unavailable") return `No relay is running, so the run cannot start: ${error.detail} An admin starts relay workers (docs/deployment).`;
  return `The run could not start: ${describeError(error)}`;
}
