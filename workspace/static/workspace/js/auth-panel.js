/* The Auth tab (docs/connection-auth.md), one form for an endpoint or a session (in the editor),
   a folder (from the tree's menu) and the project (its home page): the type — inherit, none,
   Bearer, Basic, API key — and its fields. Credentials come back from the API as null with
   `<key>_set`; left untouched they stay null, which keeps the stored value. */
import { api, get } from "./api.js";
import { boot, base } from "./boot.js";
import { h } from "./dom.js";
import { dialog } from "./ui.js";

export const AUTH_LABELS = {
  inherit: "Inherit from parent",
  none: "No auth",
  bearer: "Bearer token",
  basic: "Basic auth",
  api_key: "API key",
};
const SECRET = { bearer: ["token"], basic: ["password"], api_key: ["value"] };

/** One line saying what an Auth tab does, without a credential (for lists and hints). */
export function authSummary(auth) {
  const type = (auth && auth.type) || "inherit";
  if (type === "api_key") return `API key in the ${auth.in || "header"} (${auth.name || "?"})`;
  return AUTH_LABELS[type] || type;
}

/** What an Auth tab that inherits gets, for endpoints in `folderId` (null: the top level): the
 * first folder above that sets one (read fresh: the tree holds no auth), else the project's. */
export async function inheritedAuth(folderId) {
  const seen = new Set();
  let id = folderId;
  while (id && !seen.has(id)) {
    seen.add(id);
    const folder = await get(`${base}/folders/${id}/`);
    if (folder.auth && folder.auth.type !== "inherit") return `${authSummary(folder.auth)}, from folder "${folder.name}".`;
    id = folder.parent;
  }
  const project = boot.project.auth;
  if (project && project.type !== "none") return `${authSummary(project)}, from the project.`;
  return "No auth: no folder above sets one, nor the project.";
}

export class AuthPanel {
  /** onChange(auth) after every edit; top: the project's tab (nothing to inherit from). */
  constructor({ onChange, top = false, idPrefix = "auth", inheritHint = "" }) {
    this.onChange = onChange;
    this.top = top;
    this.value = { type: top ? "none" : "inherit" };
    const id = (name) => `${idPrefix}-${name}`;
    this.type = h(`select#${id("type")}`, { dataset: { field: "auth.type" } },
      Object.entries(AUTH_LABELS).filter(([key]) => !(top && key === "inherit"))
        .map(([key, label]) => h("option", { value: key }, label)));
    this.type.addEventListener("change", () => this.changeType(this.type.value));
    const input = (name, label, attrs = {}) => {
      const element = h(`input#${id(name)}`, { autocomplete: "off", spellcheck: "false", dataset: { field: `auth.${name}` }, ...attrs });
      element.addEventListener("input", () => this.edit(name, element.value));
      return { element, row: h("div.setting.wide", {}, h("label", { for: id(name) }, label), element) };
    };
    this.fields = {
      token: input("token", "Token", { type: "password" }),
      username: input("username", "User name"),
      password: input("password", "Password", { type: "password" }),
      name: input("name", "Key name", { placeholder: "X-Api-Key or api_key" }),
      value: input("value", "Key value", { type: "password" }),
    };
    this.place = h(`select#${id("in")}`, { dataset: { field: "auth.in" } },
      h("option", { value: "header" }, "Header"), h("option", { value: "query" }, "Query parameter"));
    this.place.addEventListener("change", () => this.edit("in", this.place.value));
    this.placeRow = h("div.setting", {}, h("label", { for: id("in") }, "Add to"), this.place);
    this.hint = h("p.panel-hint");
    this.inheritHint = inheritHint;
    this.element = h("div.settings-grid.auth-panel", {},
      h("div.setting.wide", {}, h("label", { for: id("type") }, "Type"), this.type),
      ...Object.values(this.fields).map((field) => field.row), this.placeRow, this.hint);
  }

  changeType(type) {
    this.value = type === (this.stored && this.stored.type) ? { ...this.stored } : { type };
    if (type === "api_key" && !this.value.in) this.value.in = "header";
    this.render();
    this.onChange({ ...this.value });
  }

  edit(name, text) {
    this.value = { ...this.value, [name]: text };
    this.onChange({ ...this.value });
  }

  /** `describe()` resolves to a sentence saying what "inherit" gets here (see inheritedAuth). */
  explainInherited(describe) {
    this.describeInherited = describe;
    this.render();
  }

  /** Show `auth` as the API gave it (or a draft of it). */
  fill(auth) {
    this.stored = { ...(auth || { type: this.top ? "none" : "inherit" }) };
    this.value = { ...this.stored };
    this.render();
  }

  render() {
    const value = this.value;
    const type = value.type || (this.top ? "none" : "inherit");
    this.type.value = type;
    const shown = { bearer: ["token"], basic: ["username", "password"], api_key: ["name", "value"] }[type] || [];
    for (const [name, field] of Object.entries(this.fields)) {
      field.row.hidden = !shown.includes(name);
      const secret = (SECRET[type] || []).includes(name);
      field.element.value = value[name] == null ? "" : value[name];
      field.element.placeholder = secret && value[name] == null && value[`${name}_set`]
        ? "•••• stored (type to replace)"
        : (name === "name" ? "X-Api-Key or api_key" : "");
    }
    this.placeRow.hidden = type !== "api_key";
    this.place.value = value.in || "header";
    this.hint.textContent = {
      inherit: this.inheritHint || "Uses the Auth tab of the nearest folder above that sets one, else the project's.",
      none: "No credentials are sent.",
      bearer: "Sent as Authorization: Bearer <token>. Use {{variable}} for a secret kept in an environment.",
      basic: "Sent as Authorization: Basic <user:password in Base64>.",
      api_key: "Sent as a header or a query parameter with this name.",
    }[type];
    if (type === "inherit" && this.describeInherited) {
      const asked = (this.asked = (this.asked || 0) + 1);
      this.describeInherited().then((text) => {
        if (asked === this.asked && this.value.type === "inherit") this.hint.textContent = `Inherits: ${text}`;
      }, () => {});
    }
  }

  lock(active) {
    this.type.disabled = active;
    this.place.disabled = active;
    for (const field of Object.values(this.fields)) field.element.readOnly = active;
  }
}

/** Edit the Auth tab of `what` ("folder" or "project") in a dialog; the saved object or null. */
export async function editAuthDialog({ title, url, auth, top = false }) {
  let value = { ...(auth || {}) };
  const panel = new AuthPanel({ top, idPrefix: "dialog-auth", onChange: (next) => { value = next; } });
  panel.fill(auth);
  return dialog({
    title,
    description: top
      ? "Every endpoint and folder inherits this unless it sets its own."
      : "Endpoints and folders inside inherit this unless they set their own.",
    content: [panel.element],
    actions: [{
      label: "Save auth",
      kind: "primary",
      id: "auth-save",
      run: () => api("PATCH", url, { body: { auth: value } }),
    }],
  });
}
