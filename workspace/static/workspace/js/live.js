/* One live socket, the rules both of the workspace's sockets follow: the project's
   (WS /ws/projects/{id}/) and a debug session's (WS /ws/sessions/{id}/?after=N).

   - A dropped socket comes back after 0.5 s, 1 s, 2 s … up to 10 s, each wait shortened by a
     random part (jitter), so that many tabs do not all return at the same moment; `healthy()`
     (the server has accepted us) starts that series again from the shortest wait.
   - It resumes where it left off: `path()` is asked again at every attempt, and puts in the last
     sequence number seen (`after=`).
   - Close code 4401 (not logged in any more) goes to the login page; 4400 (a request the server
     refuses) and 4404 (gone, or no longer yours) stop it for good, and `onStop` says why, with the
     server's own words when it sent an `error` message first. */
import { socketUrl } from "./api.js";

const STOP_CODES = new Set([4400, 4404]);
const FALLBACK_REASONS = {
  4400: "The server refused the live connection's request.",
  4404: "It no longer exists, or is no longer yours to see.",
};

export function loginUrl() {
  return `/accounts/login/?next=${encodeURIComponent(location.pathname)}`;
}

/** Milliseconds to wait before attempt `attempt` (0, 1, 2 …): between half and all of the cap. */
export function backoffDelay(attempt, random = Math.random) {
  const cap = Math.min(10000, 500 * 2 ** attempt);
  return Math.round(cap / 2 + (random() * cap) / 2);
}

export class LiveSocket {
  /**
   * path(): the path to open (asked again at every attempt); onMessage(data): each parsed message;
   * onDrop(event): the socket dropped and will come back; onStop({code, detail}): it stopped for
   * good (4400, 4404).
   */
  constructor({ path, onMessage, onDrop = () => {}, onStop = () => {} }) {
    this.path = path;
    this.onMessage = onMessage;
    this.onDrop = onDrop;
    this.onStop = onStop;
    this.socket = null;
    this.attempt = 0;
    this.timer = 0;
    this.finished = false;
  }

  start() {
    this.finished = false;
    if (!this.socket) this.connect();
    return this;
  }

  connect() {
    const socket = new WebSocket(socketUrl(this.path()));
    let lastError = null;
    this.socket = socket;
    socket.addEventListener("open", () => {
      // Closed while it was still connecting: close now (closing earlier makes browsers warn).
      if (this.finished || this.socket !== socket) socket.close(1000);
    });
    socket.addEventListener("message", (message) => {
      if (this.finished || this.socket !== socket) return;
      const data = JSON.parse(message.data);
      if (data.type === "error" && (data.ref === undefined || data.ref === null)) lastError = data;
      this.onMessage(data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.finished) return;
      if (event.code === 4401) {
        this.finished = true;
        window.location.assign(loginUrl());
      } else if (STOP_CODES.has(event.code)) {
        this.finished = true;
        this.onStop({ code: event.code, detail: (lastError && lastError.detail) || FALLBACK_REASONS[event.code] });
      } else {
        this.onDrop(event);
        const delay = backoffDelay(this.attempt);
        this.attempt += 1;
        this.timer = setTimeout(() => {
          if (!this.finished && !this.socket) this.connect();
        }, delay);
      }
    });
  }

  /** The server accepted us: the next drop starts the backoff again from its shortest wait. */
  healthy() {
    this.attempt = 0;
  }

  get isOpen() {
    return Boolean(this.socket && this.socket.readyState === WebSocket.OPEN);
  }

  /** Sends `message` as JSON if the socket is open; returns whether it did. */
  send(message) {
    if (!this.isOpen) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Stops for good: no reconnecting. */
  close() {
    this.finished = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    if (socket && socket.readyState === WebSocket.OPEN) {
      this.socket = null;
      socket.close(1000);
    }
  }
}
