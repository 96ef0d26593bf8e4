/* The URL bar and what it drives: the environment, Connect / Disconnect, the connection's
   status, and why a connect failed. While connecting or connected the handshake is locked
   (URL, environment, params, headers, cookies, settings), visibly. The debug session itself is
   debug-session.js. */
import { get, describeError, ApiError } from "./api.js";
import { h, icon, toast } from "./dom.js";
import { showFieldErrors } from "./ui.js";
import { base, projectId } from "./boot.js";
import { DebugSession, ACTIVE } from "./debug-session.js";
import { HANDSHAKE, isSocketIO } from "./endpoint-fields.js";

const STATE_LABELS = {
  idle: "Not connected", connecting: "Connecting…", open: "Connected", closing: "Disconnecting…",
  closed: "Disconnected", failed: "Connection failed", lost: "Connection lost",
};

function envKey() {
  return `sb.env.${projectId}`;
}

export class Connection {
  /** editor, composer, log, store; root(): the view's element (for field errors);
   * onActive(active): the handshake is (un)locked. */
  constructor({ endpointId, editor, composer, log, store, root, onActive }) {
    Object.assign(this, { endpointId, editor, composer, store, root, onActive });
    this.destroyed = false;
    this.envId = localStorage.getItem(envKey()) || "";
    this.debug = new DebugSession({
      endpointId,
      log,
      onState: (state) => this.setState(state),
      onAttach: (session, adopt) => this.onAttach(session, adopt),
    });
    editor.urlInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.toggle();
      }
    });
    this.envSelect = h("select.env-select#req-env", { "aria-label": "Environment" });
    this.envSelect.addEventListener("change", () => {
      this.envId = this.envSelect.value;
      localStorage.setItem(envKey(), this.envId);
      this.checkVariables();
    });
    this.connectButton = h("button.btn.connect#connect", { type: "button", on: { click: () => this.toggle() } }, "Connect");
    // A ping on the open connection; it and its pong (with the round trip) show in the log.
    this.pingButton = h("button.btn#ping", { type: "button", hidden: true, title: "Send a ping frame", on: { click: () => this.ping() } }, "Ping");
    this.lockIcon = h("span.url-lock", { hidden: true, title: "Locked while connected" }, icon("lock", "Handshake locked"));
    this.error = h("div.connect-error", { role: "alert", hidden: true });
    this.varsHint = h("p.vars-hint", { hidden: true });
    this.lockNote = h("p.lock-note", { hidden: true },
      icon("lock"), " Handshake locked while connected (protocol, URL, environment, params, headers, cookies, settings). Disconnect to edit it.");
    this.statusPill = h("span.conn-pill", { role: "status" }, h("span.conn-dot"), h("span.conn-text", {}, "Not connected"));
    this.urlbar = h("div.urlbar", {},
      h("label.sr-only", { for: "req-protocol" }, "Protocol"),
      editor.protocolInput,
      h("div.url-field", {}, editor.urlInput, this.lockIcon),
      h("label.sr-only", { for: "req-env" }, "Environment"),
      this.envSelect,
      this.connectButton,
      this.pingButton);
    this.elements = [this.urlbar, this.error, this.varsHint, this.lockNote];
  }

  destroy() {
    this.destroyed = true;
    this.debug.destroy();
  }

  get state() {
    return this.debug.state;
  }

  renderEnvironments() {
    const store = this.store;
    const options = [h("option", { value: "" }, "No environment")];
    for (const environment of store.environments) options.push(h("option", { value: environment.id }, environment.name));
    this.envSelect.replaceChildren(...options);
    // Until the list has arrived, the remembered choice stays (it may come after the endpoint).
    if (store.environmentsLoaded && !store.environments.some((e) => String(e.id) === String(this.envId))) this.envId = "";
    this.envSelect.value = store.environmentsLoaded ? String(this.envId) : "";
  }

  /** Variables the endpoint uses that have no value for you in the chosen environment. */
  async checkVariables() {
    if (!this.endpointId) return;
    try {
      const result = await get(`${base}/endpoints/${this.endpointId}/variables/`, { environment: this.envId || null });
      if (this.destroyed) return;
      const missing = [...new Set(result.unresolved.map((item) => item.name))];
      this.varsHint.hidden = !missing.length;
      this.varsHint.replaceChildren(icon("info"), ` No value for you: ${missing.map((n) => `{{${n}}}`).join(", ")}. `,
        h("a", { href: `/projects/${projectId}/environments/`, "data-route": "" }, "Set it in Environments"));
    } catch (error) {
      this.varsHint.hidden = true;
    }
  }

  /** A session is followed. `adopt`: show its draft when it is what counts — a blank request's
   * only copy, or the handshake of a connection that is open right now. */
  onAttach(session, adopt) {
    if (adopt && (!this.endpointId || ACTIVE.has(session.state))) this.editor.adopt(session);
    // A live connection shows the environment it was opened with; otherwise the member's
    // current choice stays, and the session follows it at the next Connect.
    if (session.environment && ACTIVE.has(session.state)) {
      this.envId = String(session.environment);
      this.envSelect.value = this.envId;
    }
  }

  setState(state) {
    const active = ACTIVE.has(state);
    this.statusPill.className = `conn-pill st-${state}`;
    this.statusPill.querySelector(".conn-text").textContent = STATE_LABELS[state] || state;
    this.connectButton.textContent = state === "open" ? "Disconnect" : state === "connecting" ? "Cancel" : state === "closing" ? "Disconnecting…" : "Connect";
    this.connectButton.classList.toggle("danger", state === "open" || state === "connecting");
    this.connectButton.disabled = state === "closing";
    this.pingButton.hidden = state !== "open";
    this.onActive(active);
    this.editor.lock(active);
    this.envSelect.disabled = active;
    this.lockIcon.hidden = !active;
    this.lockNote.hidden = !active;
    const open = state === "open";
    this.composer.setOpen(open);
    this.editor.messages.setOpen(open);
    if (this.timers) this.timers.setOpen(open);
  }

  /** The handshake as PATCH /api/v1/sessions/{id}/ takes it, with the chosen environment. */
  draftBody() {
    const body = this.editor.payload(["name", ...HANDSHAKE]);
    if (this.envId) body.environment = Number(this.envId);
    else if (this.debug.session && "environment" in this.debug.session) body.environment = null;
    return body;
  }

  clearErrors() {
    showFieldErrors(this.root(), {});
    this.error.hidden = true;
  }

  async toggle() {
    const state = this.debug.state;
    if (state === "open" || state === "connecting") await this.disconnect();
    else if (state !== "closing") await this.connect();
  }

  async connect() {
    this.clearErrors();
    if (!this.editor.draft.url.trim()) {
      this.error.textContent = isSocketIO(this.editor.draft) ? "Enter the Socket.IO server's URL (http(s):// or ws(s)://)." : "Enter the WebSocket URL to connect to (ws:// or wss://).";
      this.error.hidden = false;
      this.editor.urlInput.focus();
      return;
    }
    // What is typed from now on is a message: the URL field is about to lock.
    if (this.editor.urlInput === document.activeElement || this.connectButton === document.activeElement) this.composer.focus();
    this.connectButton.disabled = true;
    try {
      const result = await this.debug.connect(this.draftBody());
      if (result.state === "open") this.composer.focus();
    } catch (error) {
      this.failed(error);
    } finally {
      this.connectButton.disabled = this.debug.state === "closing";
    }
  }

  failed(error) {
    if (error instanceof ApiError && (error.code === "validation_error" || error.code === "unresolved_variables")) {
      this.editor.showErrors(this.root(), error);
    }
    let text = describeError(error);
    const answered = error instanceof ApiError && error.body.connection && error.body.connection.response ? error.body.connection.response.status : null;
    // 101: the WebSocket opened, and what failed came after it (a Socket.IO namespace refused).
    if (answered && answered !== 101 && !text.includes(String(answered))) text = `${text} (the server answered HTTP ${answered})`;
    this.error.replaceChildren(h("strong", {}, "Could not connect. "), text);
    this.error.hidden = false;
    const state = this.debug.state;
    this.debug.setState(error instanceof ApiError && error.body.state ? error.body.state : (state === "connecting" ? "failed" : state));
  }

  async ping() {
    try {
      await this.debug.ping();
    } catch (error) {
      toast(describeError(error));
    }
  }

  async disconnect() {
    if (!this.debug.session) return;
    this.connectButton.disabled = true;
    try {
      await this.debug.disconnect();
    } catch (error) {
      toast(describeError(error), "error");
    } finally {
      this.connectButton.disabled = this.debug.state === "closing";
    }
  }
}
