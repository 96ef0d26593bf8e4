/* The Mock tab of an endpoint (docs/mock.md): where its mock answers, the project's mock switch
   and key (admins change them), the mock's traffic, live: the recent connections and, of the
   one picked, every frame (WS /ws/projects/{id}/endpoints/{id}/mock/), and the behaviour as
   JSON (editors save it; a bad part is shown under its name, e.g. spec.rules[0].when). */
import { api, get, describeError } from "./api.js";
import { clockTime, copyText, h, toast } from "./dom.js";
import { confirmDialog } from "./ui.js";
import { boot, base, projectId } from "./boot.js";
import { LiveSocket } from "./live.js";

const MAX_FRAMES_SHOWN = 500;

export class MockPanel {
  constructor({ endpointId }) {
    this.endpointId = endpointId;
    this.loaded = false;
    this.version = 0;
    this.connections = new Map(); // id -> connection, newest first when listed
    this.frames = new Map(); // connection id -> Map(seq -> frame)
    this.selected = null;
    this.socket = null;
    this.build();
  }

  build() {
    this.url = h("code.mock-url", { "aria-label": "Mock URL" });
    this.copyButton = h("button.btn.small", { type: "button", on: { click: () => copyText(this.url.textContent).then(() => toast("Mock URL copied")) } }, "Copy");
    this.state = h("p.mock-state");
    this.enabled = h("input#mock-enabled", { type: "checkbox", on: { change: () => this.saveSettings({ enabled: this.enabled.checked }) } });
    this.rotateButton = h("button.btn.small", { type: "button", on: { click: () => this.rotate() } }, "Rotate key");
    this.headerName = h("input.mock-header-name", { type: "text", "aria-label": "Required header name", placeholder: "X-Mock-Token", maxlength: "100", spellcheck: "false", dataset: { field: "header_name" } });
    this.headerValue = h("input.mock-header-value", { type: "text", "aria-label": "Required header value", placeholder: "value clients must send", maxlength: "200", spellcheck: "false", dataset: { field: "header_value" } });
    for (const input of [this.headerName, this.headerValue]) input.addEventListener("input", () => { this.headerEdited = true; });
    const saveHeader = h("button.btn.small", { type: "button", on: { click: () => this.saveHeader() } }, "Save header");
    const admin = h("div.mock-admin", { hidden: !boot.can_manage },
      h("label.check", {}, this.enabled, " Mocking on for this project"), this.rotateButton,
      h("span.mock-header", {}, this.headerName, this.headerValue, saveHeader));
    this.spec = h("textarea.mock-spec.code", {
      "aria-label": "Mock behaviour (JSON)", spellcheck: "false", rows: "12", readOnly: !boot.can_write, dataset: { field: "spec" },
    });
    this.errors = h("ul.mock-errors", { role: "alert" });
    this.saveButton = h("button.btn.primary.small", { type: "button", hidden: !boot.can_write, on: { click: () => this.saveBehaviour() } }, "Save behaviour");
    this.stored = h("span.muted.mock-stored");
    this.connectionList = h("ul.mock-connections", { "aria-label": "Mock connections" });
    this.frameRows = h("tbody");
    this.frameTable = h("table.mock-frames", {},
      h("thead", {}, h("tr", {}, ["#", "", "Message", "Note", "Body"].map((label) => h("th", { scope: "col" }, label)))),
      this.frameRows);
    this.liveState = h("span.muted.mock-live");
    this.element = h("div.mock-panel", {},
      h("section.mock-where", {},
        h("h3", {}, "Mock URL"),
        h("p.mock-url-row", {}, this.url, this.copyButton),
        this.state,
        admin),
      h("section.mock-traffic", {},
        h("h3", {}, "Traffic ", this.liveState),
        h("div.mock-traffic-body", {}, this.connectionList, h("div.mock-frames-wrap", {}, this.frameTable))),
      h("section.mock-behaviour", {},
        h("h3", {}, "Behaviour"),
        h("p.panel-hint", {}, "On open, rules (a documented send message answered by its reply, with values from the request: ",
          h("code", {}, "extract"), "), pushes, faults and unmatched frames. See docs/mock.md."),
        this.spec, this.errors,
        h("p.mock-actions", {}, this.saveButton, this.stored)));
  }

  /** The tab was shown: read everything once and start following the traffic. */
  async open() {
    if (this.loaded) return;
    this.loaded = true;
    await Promise.all([this.loadSettings(), this.loadBehaviour()]);
    this.follow();
  }

  close() {
    if (this.socket) this.socket.close();
    this.socket = null;
  }

  /** Runs `request` for the settings; only the answer to the latest request is shown (a slow
   * read started before a save must not put the old settings back). */
  async settingsRequest(request) {
    const turn = (this.settingsTurn = (this.settingsTurn || 0) + 1);
    const settings = await request();
    if (turn === this.settingsTurn) {
      this.settings = settings;
      this.renderSettings();
    }
    return turn === this.settingsTurn;
  }

  async loadSettings() {
    try {
      await this.settingsRequest(() => get(`${base}/mock/`));
    } catch (error) {
      this.state.textContent = describeError(error);
    }
  }

  renderSettings() {
    const s = this.settings;
    if (!s) return;
    this.enabled.checked = s.enabled;
    // What an admin is typing is not overwritten by a read that answers meanwhile.
    if (!this.headerEdited) {
      this.headerName.value = s.header_name;
      this.headerValue.value = s.header_value;
    }
    const parts = [];
    if (!s.enabled) parts.push("Mocking is switched off for this project: every handshake is refused (404).");
    if (s.header_name) parts.push(`Clients must send the header ${s.header_name}: ${s.header_value}.`);
    parts.push("No login needed; any Origin may connect.");
    this.state.textContent = parts.join(" ");
    this.state.classList.toggle("off", !s.enabled);
  }

  async loadBehaviour() {
    const turn = (this.behaviourTurn = (this.behaviourTurn || 0) + 1);
    try {
      const data = await get(`${base}/endpoints/${this.endpointId}/mock/`);
      // A later read, or a save, answered meanwhile: this answer is older than what is shown.
      if (turn === this.behaviourTurn) this.applyBehaviour(data);
    } catch (error) {
      this.stored.textContent = describeError(error);
    }
  }

  applyBehaviour(data) {
    this.version = data.version;
    this.url.textContent = data.url;
    this.spec.value = JSON.stringify(data.spec, null, 2);
    this.stored.textContent = data.stored ? `Version ${data.version}` : "The default behaviour (nothing saved yet)";
    // A saved behaviour naming a message that was renamed or deleted: the default serves.
    if (data.problem) this.stored.textContent += ` is not in effect (${data.problem}); the default behaviour serves until it is fixed.`;
    this.stored.classList.toggle("field-error", Boolean(data.problem));
    this.errors.replaceChildren();
    this.spec.removeAttribute("aria-invalid");
  }

  async saveBehaviour() {
    let spec;
    try {
      spec = JSON.parse(this.spec.value);
    } catch (error) {
      this.showErrors({ spec: [`Not valid JSON: ${error.message}`] });
      return;
    }
    const body = { spec };
    if (this.version) body.version = this.version;
    try {
      const data = await api("PUT", `${base}/endpoints/${this.endpointId}/mock/`, { body });
      this.behaviourTurn = (this.behaviourTurn || 0) + 1;
      this.applyBehaviour(data);
      toast("Mock behaviour saved");
    } catch (error) {
      this.showErrors(error.fields || { spec: [describeError(error)] });
    }
  }

  showErrors(fields) {
    this.spec.setAttribute("aria-invalid", "true");
    this.errors.replaceChildren(...Object.entries(fields).map(([field, messages]) =>
      h("li.field-error", { dataset: { field } }, h("code", {}, field), " ", [].concat(messages).join(" "))));
  }

  async saveSettings(changes) {
    try {
      await this.settingsRequest(() => api("PATCH", `${base}/mock/`, { body: changes }));
      toast("Mock settings saved");
    } catch (error) {
      const fields = Object.entries(error.fields || {}).map(([field, text]) => `${field}: ${[].concat(text).join(" ")}`);
      toast(fields.length ? fields.join("; ") : describeError(error), "error");
      this.renderSettings();
    }
  }

  async saveHeader() {
    this.headerEdited = false;
    await this.saveSettings({ header_name: this.headerName.value, header_value: this.headerValue.value });
  }

  async rotate() {
    const ok = await confirmDialog({
      title: "Rotate the mock key?",
      message: "Every mock URL of this project changes; the old ones refuse new connections at once.",
      confirm: "Rotate", danger: true,
    });
    if (!ok) return;
    try {
      await this.settingsRequest(() => api("POST", `${base}/mock/rotate-key/`));
      await this.loadBehaviour();
      toast("New mock key");
    } catch (error) {
      toast(describeError(error), "error");
    }
  }

  /** Teammates' changes (project events): read what changed again. */
  onEvents(events) {
    if (!this.loaded) return;
    if (events.some((event) => event.kind === "mock.updated")) {
      this.loadSettings();
      this.loadBehaviour();
    } else if (events.some((event) => event.kind === "mock_behaviour.updated" && event.endpoint.id === this.endpointId &&
                                      event.version > this.version)) {
      this.loadBehaviour();
    }
  }

  // --- traffic --------------------------------------------------------------------------------

  follow() {
    this.socket = new LiveSocket({
      path: () => `/ws/projects/${projectId}/endpoints/${this.endpointId}/mock/`,
      onMessage: (data) => this.onTraffic(data),
      onDrop: () => { this.liveState.textContent = "· reconnecting…"; },
      onStop: ({ detail }) => { this.liveState.textContent = `· ${detail}`; },
    }).start();
  }

  onTraffic(data) {
    if (data.type === "traffic") {
      this.socket.healthy();
      this.liveState.textContent = "· live";
      this.connections.clear();
      for (const connection of data.connections) this.connections.set(connection.id, connection);
      this.addFrames(data.frames);
      this.selected = data.connections.length ? data.connections[0].id : null;
      this.renderConnections();
      this.renderFrames();
    } else if (data.type === "connection") {
      const known = this.connections.has(data.connection.id);
      this.connections.set(data.connection.id, data.connection);
      // A new connection is shown at once (the newest is what one usually watches).
      if (!known) this.selected = data.connection.id;
      this.renderConnections();
      if (!known) this.renderFrames();
    } else if (data.type === "frames") {
      this.addFrames(data.frames);
      if (data.frames.some((frame) => frame.connection === this.selected)) this.renderFrames();
    }
  }

  addFrames(frames) {
    for (const frame of frames) {
      if (!this.frames.has(frame.connection)) this.frames.set(frame.connection, new Map());
      this.frames.get(frame.connection).set(frame.seq, frame);
    }
  }

  async select(id) {
    this.selected = id;
    this.renderConnections();
    if (!this.frames.has(id)) {
      try {
        this.addFrames(await get(`${base}/endpoints/${this.endpointId}/mock/connections/${id}/frames/`));
      } catch (error) {
        toast(describeError(error), "error");
      }
    }
    this.renderFrames();
  }

  renderConnections() {
    const rows = [...this.connections.values()].sort((a, b) => b.id - a.id);
    if (!rows.length) {
      this.connectionList.replaceChildren(h("li.muted", {}, "No mock connections yet. Connect a client to the URL above."));
      return;
    }
    this.connectionList.replaceChildren(...rows.map((c) => h("li", {},
      h("button.mock-connection", {
        type: "button", "aria-pressed": String(c.id === this.selected), dataset: { connection: String(c.id) },
        on: { click: () => this.select(c.id) },
      },
      h("span", {}, `#${c.id} ${c.client}`),
      // A refused handshake has no close code; its reason says with what and why.
      h("span.muted", {}, !c.closed_at ? " open" : c.close_code === null ? ` ${c.close_reason}` : ` closed ${c.close_code} ${c.close_reason}`),
      h("span.muted", {}, ` · ${clockTime(c.opened_at)}`)))));
  }

  renderFrames() {
    const frames = [...(this.frames.get(this.selected) || new Map()).values()].sort((a, b) => a.seq - b.seq).slice(-MAX_FRAMES_SHOWN);
    this.frameRows.replaceChildren(...frames.map((f) => h(`tr.dir-${f.direction}`, { dataset: { seq: String(f.seq) } },
      h("td", {}, String(f.seq)),
      h("td", { title: f.direction === "in" ? "from the client" : "to the client" }, f.direction === "in" ? "↑" : "↓"),
      h("td", {}, f.message || "—"),
      // A Socket.IO frame names its event beside the note (connect, ping, ack, attachment…).
      h("td", {}, f.event ? `${f.note ? `${f.note} ` : ""}${f.event}` : f.note),
      h("td.mock-body", {}, f.binary ? `(binary, Base64) ${f.body}` : f.body, f.truncated ? " …" : ""))));
  }
}
