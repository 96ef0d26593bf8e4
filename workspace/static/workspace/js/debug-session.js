/* The debug session behind a request view: found again on return (the tab remembers it), created
   on the first Connect, and followed through its live socket (WS /ws/sessions/{id}/?after=N, a
   LiveSocket: the log resumes after the last sequence number shown). Sends go over that socket
   when it is open (answered by an ack with the same `ref`, inside the `events` message that holds
   the sent entry as the socket is opened with acks=events, or by an `error`), else over REST; either
   answer carries the contract check of what was sent. The connection's state goes to
   `onState`; the log's entries to `log`. */
import { api, get, ApiError } from "./api.js";
import { toast } from "./dom.js";
import { projectId } from "./boot.js";
import { LiveSocket } from "./live.js";

export const ACTIVE = new Set(["connecting", "open", "closing"]);

function sessionKey(endpointId) {
  return `sb.session.${projectId}.${endpointId || "new"}`;
}

export class DebugSession {
  /** endpointId: null for a blank request; log: the MessageLog; onState(state); onAttach(session, adopt). */
  constructor({ endpointId, log, onState, onAttach }) {
    this.endpointId = endpointId;
    this.log = log;
    this.onState = onState;
    this.onAttach = onAttach;
    this.session = null;
    this.live = null;
    this.state = "idle";
    this.pending = new Map();
    this.ref = 0;
    this.destroyed = false;
  }

  destroy() {
    this.destroyed = true;
    if (this.live) this.live.close();
  }

  setState(state) {
    this.state = state;
    this.onState(state);
  }

  /** The session this tab last used for this request (or, for an endpoint, any of yours on it). */
  async find() {
    let session = null;
    const remembered = sessionStorage.getItem(sessionKey(this.endpointId));
    if (remembered) {
      try {
        session = await get(`/api/v1/sessions/${remembered}/`);
        if ((session.endpoint || null) !== this.endpointId) session = null;
      } catch (error) {
        session = null;
      }
    }
    if (!session && this.endpointId) {
      try {
        const page = await get("/api/v1/sessions/", { project: projectId, page_size: 100 });
        session = page.results.find((item) => item.endpoint === this.endpointId) || null;
      } catch (error) {
        session = null;
      }
    }
    // A Connect pressed meanwhile has made (and follows) a session of its own.
    if (this.destroyed || this.session) return;
    if (session) this.attach(session, true);
    else this.setState("idle");
  }

  /** Follow `session`; `adopt`: the view may show its draft (see RequestView.adopt). */
  attach(session, adopt = false) {
    this.session = session;
    sessionStorage.setItem(sessionKey(this.endpointId), String(session.id));
    this.onAttach(session, adopt);
    this.setState(session.state);
    this.openSocket();
  }

  openSocket() {
    if (!this.session || this.destroyed || this.live) return;
    const sid = this.session.id;
    this.live = new LiveSocket({
      // acks=events: a send's ack rides in the events message holding its sent entry.
      path: () => `/ws/sessions/${sid}/?after=${this.log.lastSeq}&acks=events`,
      onMessage: (data) => this.receive(data),
      onDrop: () => this.dropPending(),
      onStop: ({ detail }) => {
        this.dropPending();
        toast(`The live log stopped: ${detail}`, "error", 10000);
      },
    }).start();
  }

  receive(data) {
    if (data.type === "session") {
      this.live.healthy();
      this.session = data.session;
      this.setState(data.session.state);
    } else if (data.type === "events") {
      for (const ack of data.acks || []) this.settle(ack.ref, null, { type: "ack", ...ack });
      this.log.add(data.events);
      if (this.onEvents) this.onEvents(data.events);
      if (data.state) this.setState(data.state);
      else this.stateFromEvents(data.events);
    } else if (data.type === "ack") {
      this.settle(data.ref, null, data);
    } else if (data.type === "error" && data.ref !== undefined && data.ref !== null) {
      this.settle(data.ref, new ApiError(400, data));
    }
  }

  stateFromEvents(events) {
    const last = [...events].reverse().find((entry) => !entry.direction);
    if (!last) return;
    const map = { connecting: "connecting", open: "open", closed: "closed", error: this.state === "open" ? "open" : "failed" };
    if (map[last.kind]) this.setState(map[last.kind]);
  }

  dropPending() {
    for (const [ref] of this.pending) this.settle(ref, new ApiError(0, { code: "network", detail: "The live connection dropped; try again." }));
  }

  settle(ref, error, value) {
    const entry = this.pending.get(ref);
    if (!entry) return;
    this.pending.delete(ref);
    clearTimeout(entry.timer);
    if (error) entry.reject(error);
    else entry.resolve(value);
  }

  /** The draft (`body`, as PATCH /api/v1/sessions/{id}/ takes it) becomes the session's. */
  async pushDraft(body) {
    this.session = await api("PATCH", `/api/v1/sessions/${this.session.id}/`, { body });
  }

  /** Opens the upstream connection with the handshake in `body`; a first Connect creates the session. */
  async connect(body) {
    if (!this.session) {
      const created = { ...body };
      if (this.endpointId) created.endpoint = this.endpointId;
      else created.project = projectId;
      this.attach(await api("POST", "/api/v1/sessions/", { body: created }));
    } else {
      await this.pushDraft(body);
      this.openSocket();
    }
    this.setState("connecting");
    const result = await api("POST", `/api/v1/sessions/${this.session.id}/connect/`, { body: { wait: true } });
    this.session = result;
    this.setState(result.state);
    return result;
  }

  /** A ping frame on the open connection (four random bytes); answers its log entry's seq. */
  ping() {
    return api("POST", `/api/v1/sessions/${this.session.id}/ping/`, { body: {} });
  }

  async disconnect() {
    const result = await api("POST", `/api/v1/sessions/${this.session.id}/disconnect/`, { body: {} });
    this.session = result;
    this.setState(result.state);
  }

  /** Forget this session: the next Connect starts a new one, with an empty log. */
  forget() {
    sessionStorage.removeItem(sessionKey(this.endpointId));
    if (this.live) this.live.close();
    this.live = null;
    this.session = null;
    this.log.reset();
    this.setState("idle");
  }

  /** Remember this session for the endpoint it was just saved as. */
  handOver(endpointId) {
    if (this.session) sessionStorage.setItem(sessionKey(endpointId), String(this.session.id));
  }

  /** Sends `what`: {format, body}, or a documented message {message_id, example}. Resolves
   * with the answer (the live socket's ack or the REST 201: seq, message, contract, problems,
   * and `warning` when it went out invalid). */
  send(what) {
    return this.command("send", what, "messages");
  }

  /** Emits a Socket.IO event: `what` is {event, args, namespace?, ack, ack_timeout?} or a
   * documented one {message, example, ...}. Resolves with {seq, ack_id, ...}. */
  emit(what) {
    return this.command("emit", what, "emit");
  }

  /** A command over the live socket when it is open, else its REST twin (…/{rest}/). */
  async command(type, what, rest) {
    if (this.live && this.live.isOpen) {
      const ref = ++this.ref;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => this.settle(ref, new ApiError(0, { code: "timeout", detail: "No answer from the server in 30 s." })), 30000);
        this.pending.set(ref, { resolve, reject, timer });
        this.live.send({ type, ...what, ref });
      });
    }
    return api("POST", `/api/v1/sessions/${this.session.id}/${rest}/`, { body: what });
  }

  /** Saves the draft as a new endpoint through the session (which then belongs to it, log and all). */
  async saveAsNew(draftBody, { name, folder, messages }) {
    if (!ACTIVE.has(this.state)) await this.pushDraft(draftBody);
    return api("POST", `/api/v1/sessions/${this.session.id}/save/`, { body: { target: "new", name, folder, messages } });
  }
}
