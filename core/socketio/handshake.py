"""What a Socket.IO connection is asked for: the versions spoken, the WebSocket URL of the
handshake, and the rules for namespaces and event names a user types."""

from __future__ import annotations

import enum
import json
import urllib.parse
from typing import Any

from core.socketio.engine import EngineVersion

DEFAULT_PATH = "/socket.io/"
# Names a Socket.IO client library keeps for itself; a server never receives them as events.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
MAX_EVENT_NAME = 200


class SocketIOVersion(enum.StrEnum):
    """The server's major version, as people know it; the wire revisions follow from it."""

    V2 = "v2"  # Socket.IO 2.x (and 1.x): protocol revision 4 over Engine.IO 3
    V4 = "v4"  # Socket.IO 3.x and 4.x: protocol revision 5 over Engine.IO 4

    @property
    def engine(self) -> EngineVersion:
        return EngineVersion.V3 if self is SocketIOVersion.V2 else EngineVersion.V4

    @property
    def revision(self) -> int:
        return 4 if self is SocketIOVersion.V2 else 5


def websocket_url(url: str, version: SocketIOVersion, path: str = DEFAULT_PATH) -> str:
    """The WebSocket transport's URL for a server given as ``http(s)://`` or ``ws(s)://``:
    the scheme made a WebSocket one, the path replaced by the Socket.IO path, the server's
    own query kept (a namespace in the URL's path is not part of it: it is chosen per
    connect) and ``EIO`` and ``transport`` set."""
    parts = urllib.parse.urlsplit(url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None:
        raise ValueError("A Socket.IO URL starts with http://, https://, ws:// or wss://.")
    query = [
        (key, value)
        for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if key not in ("EIO", "transport")
    ]
    query += [("EIO", str(int(version.engine))), ("transport", "websocket")]
    return urllib.parse.urlunsplit(
        (scheme, parts.netloc, normalise_path(path), urllib.parse.urlencode(query), "")
    )


def normalise_path(path: str) -> str:
    path = path.strip() or DEFAULT_PATH
    if not path.startswith("/"):
        path = "/" + path
    return path if path.endswith("/") else path + "/"


def namespace_problem(namespace: str) -> str | None:
    if not namespace.startswith("/"):
        return "A namespace starts with '/', e.g. '/' or '/chat'."
    if any(c in namespace for c in ",?#") or any(c.isspace() for c in namespace):
        return "A namespace cannot contain spaces, ',', '?' or '#'."
    if len(namespace) > 200:
        return "A namespace has at most 200 characters."
    return None


def event_name_problem(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return "An event name is a non-empty string."
    if len(name) > MAX_EVENT_NAME:
        return f"An event name has at most {MAX_EVENT_NAME} characters."
    if name in RESERVED_EVENTS:
        return f"'{name}' is reserved by Socket.IO clients; a server never receives it."
    return None


def arguments_problem(arguments: Any) -> str | None:
    if not isinstance(arguments, list):
        return "Arguments are a JSON array: one item per argument."
    try:
        json.dumps(arguments, allow_nan=False)
    except (TypeError, ValueError):
        return "Arguments must be plain JSON (no NaN or Infinity)."
    return None
