/* Environments and variables: shared initial values (editors), each member's own private
   current value (everyone, viewers too), secrets never shown — the API never returns them. */
import { api, get, describeError, ApiError } from "./api.js";
import { h, icon, toast, relativeTime } from "./dom.js";
import { confirmDialog, promptDialog, showFieldErrors } from "./ui.js";
import { boot, base, projectId } from "./boot.js";
import { PageView, pageHead } from "./page.js";

export class EnvironmentsView extends PageView {
  constructor(main, app) {
    super(main, app);
    this.selected = sessionStorage.getItem(`sb.envview.${projectId}`) || "global";
  }

  async init() {
    this.setTitle("Environments");
    this.list = h("nav.env-list", { "aria-label": "Scopes" });
    this.detail = h("div.env-detail");
    this.main.replaceChildren(h("section.page", { "aria-labelledby": "env-title" },
      pageHead("env-title", "Environments & variables",
        h("p.lead", {}, "Write ", h("code", {}, "{{name}}"), " in URLs, params, headers, cookies and messages. ",
          "Your current value wins over the shared value and is visible only to you; secret values are never shown to anyone.")),
      h("div.env-layout", {}, this.list, this.detail)));
    this.listen("environments", () => this.renderList());
    // A teammate's change (or this member's, in another tab): read the shown scope again.
    this.listen("variables-changed", () => this.refresh());
    await this.store.loadEnvironments().catch(() => {});
    if (this.selected !== "global" && !this.store.environments.some((e) => String(e.id) === this.selected)) this.selected = "global";
    this.renderList();
    await this.renderDetail();
    return true;
  }

  /* After a live change; the "environments" listener paints the list when it is read again. */
  async refresh() {
    if (this.selected !== "global" && !this.environment()) this.selected = "global";
    await this.renderDetail();
  }

  renderList() {
    const item = (value, label, extra) => h("li", {},
      h("button.env-item", {
        type: "button",
        "aria-current": value === this.selected ? "true" : null,
        on: { click: () => this.select(value) },
      }, h("span", {}, label), extra !== null ? h("span.env-count", {}, extra) : null));
    const items = [item("global", "Globals", null)];
    for (const environment of this.store.environments) {
      items.push(item(String(environment.id), environment.name, String(environment.variable_count ?? 0)));
    }
    const add = boot.can_write ? h("button.btn.small#env-new", { type: "button", on: { click: () => this.createEnvironment() } }, icon("plus"), "New environment") : null;
    this.list.replaceChildren(h("ul", {}, items), add);
  }

  async select(value) {
    this.selected = value;
    sessionStorage.setItem(`sb.envview.${projectId}`, value);
    this.renderList();
    await this.renderDetail();
  }

  async createEnvironment() {
    const name = await promptDialog({ title: "New environment", label: "Name", placeholder: "e.g. Staging", confirm: "Create" });
    if (!name) return;
    try {
      const environment = await api("POST", `${base}/environments/`, { body: { name } });
      await this.store.loadEnvironments();
      await this.select(String(environment.id));
      toast(`Environment "${environment.name}" created`, "success");
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  environment() {
    return this.store.environments.find((e) => String(e.id) === this.selected) || null;
  }

  async renderDetail() {
    // Live refreshes may overlap: only the latest rendering fills the table.
    const ticket = (this.rendering = (this.rendering || 0) + 1);
    const environment = this.environment();
    const head = h("div.env-head");
    if (environment) {
      const name = h("input#env-name", { value: environment.name, readOnly: !boot.can_write, dataset: { field: "name" } });
      const baseUrl = h("input#env-base-url", { value: environment.base_url, readOnly: !boot.can_write, placeholder: "wss://staging.example.com", spellcheck: "false", dataset: { field: "base_url" } });
      const save = h("button.btn.small", {
        type: "button",
        hidden: !boot.can_write,
        on: {
          click: async () => {
            try {
              await api("PATCH", `${base}/environments/${environment.id}/`, { body: { name: name.value, base_url: baseUrl.value }, version: environment.version });
              await this.store.loadEnvironments();
              toast("Environment saved", "success");
            } catch (error) {
              showFieldErrors(head, error.fields);
              toast(describeError(error), "error");
            }
          },
        },
      }, "Save");
      const remove = h("button.btn.small.danger-ghost", {
        type: "button",
        hidden: !boot.can_write,
        on: { click: () => this.deleteEnvironment(environment) },
      }, "Delete environment");
      head.append(
        h("div.env-fields", {},
          h("div.setting", {}, h("label", { for: "env-name" }, "Name"), name),
          h("div.setting.wide", {}, h("label", { for: "env-base-url" }, "Base URL"), baseUrl,
            h("p.panel-hint", {}, "Available as ", h("code", {}, "{{baseUrl}}"), " when this environment is chosen."))),
        h("div.env-actions", {}, save, remove));
    } else {
      head.append(h("div", {}, h("h2.section-title", {}, "Globals"), h("p.muted", {}, "Used with every environment; an environment's variable of the same name wins.")));
    }
    this.table = h("tbody");
    this.detail.replaceChildren(head, h("div.table-wrap", {},
      h("table.vars", {},
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Name"),
          h("th", { scope: "col" }, "Shared value"),
          h("th", { scope: "col" }, "My current value"),
          h("th", { scope: "col" }, "Description"),
          h("th.col-secret", { scope: "col" }, "Secret"),
          h("th.col-actions", { scope: "col" }, h("span.sr-only", {}, "Actions")))),
        this.table)));
    this.table.append(h("tr", {}, h("td.muted", { colspan: "6" }, "Loading…")));
    try {
      const variables = await get(`${base}/variables/`, { environment: environment ? environment.id : "global" });
      if (ticket === this.rendering) this.renderVariables(variables);
    } catch (error) {
      this.table.replaceChildren(h("tr", {}, h("td.form-error", { colspan: "6" }, describeError(error))));
    }
  }

  renderVariables(variables) {
    const rows = variables.map((variable) => this.variableRow(variable));
    if (!variables.length) rows.push(h("tr", {}, h("td.muted", { colspan: "6" }, "No variables here yet.")));
    if (boot.can_write) rows.push(this.newRow());
    this.table.replaceChildren(...rows);
  }

  variableRow(variable) {
    const id = `var-${variable.id}`;
    const secret = variable.secret;
    const name = h("input.mono", { value: variable.name, readOnly: !boot.can_write, "aria-label": `Variable ${variable.name}: name`, dataset: { field: "name" }, id: `${id}-name` });
    const shared = h("input.mono", {
      type: secret ? "password" : "text",
      value: secret ? "" : variable.initial_value || "",
      placeholder: secret ? (variable.value_set ? "•••••• (set)" : "not set") : "",
      title: secret ? "Secret: never shown. Type a new value to replace it." : null,
      readOnly: !boot.can_write,
      autocomplete: "off",
      "aria-label": `Variable ${variable.name}: shared value${secret ? " (secret)" : ""}`,
      dataset: { field: "initial_value" },
    });
    const current = h("input.mono", {
      type: secret ? "password" : "text",
      value: secret ? "" : variable.current_value ?? "",
      placeholder: variable.current_value_set ? (secret ? "•••••• (set)" : "") : "the shared value",
      title: "Only you see this value; it wins over the shared one.",
      autocomplete: "off",
      "aria-label": `Variable ${variable.name}: my current value`,
      dataset: { field: "current_value" },
    });
    const description = h("input", { value: variable.description, readOnly: !boot.can_write, "aria-label": `Variable ${variable.name}: description`, dataset: { field: "description" } });
    const secretBox = h("input", { type: "checkbox", checked: secret, disabled: !boot.can_write, "aria-label": `Variable ${variable.name} is secret` });
    const clear = h("button.btn.small.ghost", {
      type: "button",
      hidden: !variable.current_value_set,
      title: "Forget my current value; use the shared one",
      on: {
        click: async () => {
          try {
            await api("DELETE", `${base}/variables/${variable.id}/current/`);
            toast(`Cleared your value of ${variable.name}`);
            this.renderDetail();
          } catch (error) {
            toast(describeError(error), "error");
          }
        },
      },
    }, "Clear mine");
    const setCurrent = async () => {
      if (secret && current.value === "") return;
      if (!secret && current.value === (variable.current_value ?? "") && variable.current_value_set) return;
      if (!secret && !variable.current_value_set && current.value === "") return;
      try {
        const saved = await api("PUT", `${base}/variables/${variable.id}/current/`, { body: { value: current.value } });
        Object.assign(variable, saved);
        clear.hidden = false;
        if (secret) {
          current.value = "";
          current.placeholder = "•••••• (set)";
        }
        toast(`Your value of ${variable.name} is set (only you see it)`, "success");
      } catch (error) {
        toast(describeError(error), "error");
      }
    };
    current.addEventListener("change", setCurrent);
    current.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        current.blur();
      }
    });
    const row = h("tr", { id });
    const save = h("button.btn.small", {
      type: "button",
      hidden: !boot.can_write,
      disabled: true,
      on: {
        click: async () => {
          const body = { name: name.value, description: description.value, secret: secretBox.checked };
          if (!secret || shared.value !== "") body.initial_value = shared.value;
          try {
            const saved = await api("PATCH", `${base}/variables/${variable.id}/`, { body, version: variable.version });
            toast(`Saved ${saved.name}`, "success");
            this.renderDetail();
          } catch (error) {
            showFieldErrors(row, error.fields);
            if (error instanceof ApiError && error.code === "version_conflict") {
              toast(`${error.body.updated_by ? error.body.updated_by.display_name : "Someone"} changed ${variable.name} ${relativeTime(error.body.updated_at)}; reloaded.`, "error", 6000);
              this.renderDetail();
            } else {
              toast(describeError(error), "error");
            }
          }
        },
      },
    }, "Save");
    for (const input of [name, shared, description]) input.addEventListener("input", () => { save.disabled = false; });
    secretBox.addEventListener("change", () => { save.disabled = false; });
    const remove = h("button.icon-btn", {
      type: "button",
      hidden: !boot.can_write,
      "aria-label": `Delete variable ${variable.name}`,
      on: {
        click: async () => {
          const ok = await confirmDialog({ title: `Delete {{${variable.name}}}?`, message: "References to it will no longer resolve.", confirm: "Delete variable", danger: true });
          if (!ok) return;
          try {
            await api("DELETE", `${base}/variables/${variable.id}/`, { version: variable.version });
            this.renderDetail();
            this.store.loadEnvironments().catch(() => {});
          } catch (error) {
            toast(describeError(error), "error");
          }
        },
      },
    }, icon("trash"));
    row.append(
      h("td", {}, name),
      h("td", {}, shared, secret ? h("span.secret-tag", {}, icon("lock"), "secret") : null),
      h("td", {}, h("div.current-cell", {}, current, clear)),
      h("td", {}, description),
      h("td.col-secret", {}, secretBox),
      h("td.col-actions", {}, h("div.row-actions", {}, save, remove)));
    return row;
  }

  newRow() {
    const name = h("input.mono", { placeholder: "apiKey", "aria-label": "New variable name", dataset: { field: "name" }, id: "new-var-name" });
    const shared = h("input.mono", { placeholder: "shared value", "aria-label": "New variable shared value", dataset: { field: "initial_value" } });
    const description = h("input", { placeholder: "What it is for", "aria-label": "New variable description", dataset: { field: "description" } });
    const secret = h("input", { type: "checkbox", "aria-label": "New variable is secret" });
    secret.addEventListener("change", () => { shared.type = secret.checked ? "password" : "text"; });
    const row = h("tr.new-var");
    const add = async () => {
      const environment = this.environment();
      try {
        await api("POST", `${base}/variables/`, {
          body: {
            name: name.value.trim(), initial_value: shared.value, description: description.value,
            secret: secret.checked, environment: environment ? environment.id : null,
          },
        });
        toast(`Added {{${name.value.trim()}}}`, "success");
        await this.renderDetail();
        this.store.loadEnvironments().catch(() => {});
        const again = document.getElementById("new-var-name");
        if (again) again.focus();
      } catch (error) {
        showFieldErrors(row, error.fields);
        toast(describeError(error), "error");
      }
    };
    for (const input of [name, shared, description]) {
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          add();
        }
      });
    }
    row.append(h("td", {}, name), h("td", {}, shared), h("td.muted.small", {}, "set yours after adding"), h("td", {}, description),
      h("td.col-secret", {}, secret),
      h("td.col-actions", {}, h("button.btn.small.primary#var-add", { type: "button", on: { click: add } }, "Add")));
    return row;
  }

  async deleteEnvironment(environment) {
    const ok = await confirmDialog({
      title: `Delete environment "${environment.name}"?`,
      message: "Its variables are deleted with it, and everyone's current values of them.",
      confirm: "Delete environment",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `${base}/environments/${environment.id}/`, { version: environment.version });
      await this.store.loadEnvironments();
      await this.select("global");
    } catch (error) {
      toast(describeError(error), "error");
    }
  }
}
