/* An endpoint's protocol and, for Socket.IO, its settings tab: the server's version (v4 for
   Socket.IO 3/4, v2 for Socket.IO 2), the Engine.IO path, the namespace connected on open and
   the v4 CONNECT auth payload (a JSON object that may hold {{variables}}). Both write into the
   editor's draft; fields carry the API's names (`protocol`, `socketio.version`, ...) so its
   errors land on them. */
import { h } from "./dom.js";
import { jsonProblem } from "./json-text.js";
import { DEFAULT_SOCKETIO, PROTOCOL_LABELS } from "./endpoint-fields.js";

/** What is wrong with an auth payload as typed (null: fine or empty). {{variables}} count as
 * values: the server puts them in before connecting. */
export function authProblem(text) {
  if (!text.trim()) return null;
  const filled = text.replace(/\{\{[^{}]*\}\}/g, "0");
  const problem = jsonProblem(filled);
  if (problem) return `Invalid JSON at line ${problem.line}, column ${problem.column}: ${problem.message}`;
  const value = JSON.parse(filled);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "The auth payload is a JSON object, e.g. {\"token\": \"{{token}}\"}.";
  return null;
}

/** The select in the URL bar that picks WebSocket or Socket.IO; onChange(protocol). */
export function protocolSelect({ id, onChange, disabled = false }) {
  const select = h(`select.protocol-select#${id}`, { "aria-label": "Protocol", dataset: { field: "protocol" }, disabled },
    Object.entries(PROTOCOL_LABELS).map(([value, label]) => h("option", { value }, label)));
  select.addEventListener("change", () => onChange(select.value));
  return select;
}

export class SocketIOPanel {
  /** editor: the EndpointEditor whose draft's `socketio` this edits. */
  constructor({ editor, readOnly }) {
    this.editor = editor;
    const change = (key, value) => editor.set("socketio", { ...DEFAULT_SOCKETIO, ...(editor.draft.socketio || {}), [key]: value });
    this.version = h("select#sio-version", { dataset: { field: "socketio.version" }, disabled: readOnly },
      h("option", { value: "v4" }, "v4 · Socket.IO 3 and 4 (Engine.IO 4)"),
      h("option", { value: "v2" }, "v2 · Socket.IO 2 (Engine.IO 3)"));
    this.version.addEventListener("change", () => {
      change("version", this.version.value);
      this.checkAuth();
    });
    const text = (key, id, placeholder) => {
      const input = h(`input.mono#${id}`, { type: "text", spellcheck: "false", autocomplete: "off", placeholder, readOnly, dataset: { field: `socketio.${key}` } });
      input.addEventListener("input", () => change(key, input.value));
      return input;
    };
    this.path = text("path", "sio-path", "/socket.io/");
    this.namespace = text("namespace", "sio-namespace", "/");
    this.auth = h("textarea.mono#sio-auth", {
      rows: "3", spellcheck: "false", readOnly, placeholder: "{\"token\": \"{{token}}\"}  (empty: no auth payload)", dataset: { field: "socketio.auth" },
    });
    this.authNote = h("p.field-hint", { "aria-live": "polite" });
    this.auth.addEventListener("input", () => {
      change("auth", this.auth.value);
      this.checkAuth();
    });
    this.element = h("div.settings-grid.sio-settings", {},
      h("p.panel-hint.wide", {}, "Socket.IO runs over its WebSocket transport: the URL may be http(s):// or ws(s)://; the path and the version decide the address connected to."),
      h("div.setting", {}, h("label", { for: "sio-version" }, "Server version"), this.version),
      h("div.setting", {}, h("label", { for: "sio-path" }, "Path"), this.path),
      h("div.setting", {}, h("label", { for: "sio-namespace" }, "Namespace"), this.namespace,
        h("p.field-hint", {}, "Connected on open; starts with /. An emit may name another.")),
      h("div.setting.wide", {}, h("label", { for: "sio-auth" }, "Auth payload ", h("span.optional", {}, "v4 CONNECT, JSON object")), this.auth, this.authNote));
  }

  checkAuth() {
    const v2 = this.version.value === "v2";
    const problem = v2 ? null : authProblem(this.auth.value);
    this.authNote.textContent = v2 ? "Socket.IO 2 has no auth payload: put a token in the Params tab instead (it goes in the handshake's query)."
      : problem || "Use {{variable}} for values from environments.";
    this.authNote.classList.toggle("bad", Boolean(problem) || (v2 && Boolean(this.auth.value.trim())));
  }

  fill(draft) {
    const settings = { ...DEFAULT_SOCKETIO, ...(draft.socketio || {}) };
    this.version.value = settings.version;
    this.path.value = settings.path;
    this.namespace.value = settings.namespace;
    this.auth.value = settings.auth;
    this.checkAuth();
  }

  /** Problems found before asking the API ({path: [problem]}). */
  localProblems() {
    const problem = this.version.value === "v2" ? null : authProblem(this.auth.value);
    return problem ? { "socketio.auth": [problem] } : {};
  }

  lock(active) {
    this.version.disabled = active;
    for (const input of [this.path, this.namespace, this.auth]) {
      input.readOnly = active;
      input.setAttribute("aria-readonly", String(active));
    }
  }
}
