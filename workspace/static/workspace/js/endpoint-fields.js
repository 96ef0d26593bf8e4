/* An endpoint's fields as the API names them, listed once: the handshake (what a connection is
   made with, locked while one is active), its name/value row kinds, and the docs fields. */

/** The handshake's name/value rows, each with its own tab. */
export const ROW_KINDS = ["params", "headers", "cookies"];
export const HANDSHAKE = ["protocol", "url", ...ROW_KINDS, "auth", "subprotocols", "settings", "socketio"];
export const DOCS_FIELDS = ["status", "assignee", "tags", "description"];
/** Every field a user edits, in the order changes are listed. */
export const ENDPOINT_FIELDS = ["name", ...HANDSHAKE, "messages", "strict", ...DOCS_FIELDS];
/** A Socket.IO endpoint's settings as the API shows them when none are set (docs/web-workspace.md). */
export const DEFAULT_SOCKETIO = { version: "v4", path: "/socket.io/", namespace: "/", auth: "" };
export const PROTOCOL_LABELS = { websocket: "WebSocket", socketio: "Socket.IO" };

/** Whether a draft, an endpoint or a session speaks Socket.IO. */
export const isSocketIO = (item) => Boolean(item) && item.protocol === "socketio";
