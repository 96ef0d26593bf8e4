"""How a Socket.IO endpoint maps to AsyncAPI 3 and back (docs/asyncapi.md "Socket.IO"), shared
by the export and the import so that one reads what the other writes. Pure.

- Its server has ``protocol: socketio``; the URL's scheme (http, https, ws or wss), which
  AsyncAPI has no field for, is ``x-switchboard-scheme``.
- Its channel's address is the namespace; ``x-switchboard-socketio`` has the version, the
  Engine.IO path and the auth payload's field names (never its values).
- A message's ``name`` is the event (``title``: the Switchboard name when it differs) and its
  payload the arguments array's schema.
- An acknowledgement is the operation's ``reply``: a message of the same channel, marked
  ``x-switchboard-ack``, whose payload is the ack's arguments array schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from endpoints.environments.resolver import is_valid_name
from endpoints.handshake import DEFAULT_SOCKETIO

PROTOCOL = "socketio"
X = "x-switchboard-"
SCHEME, SETTINGS, ACK = f"{X}scheme", f"{X}socketio", f"{X}ack"
SCHEMES = ("http", "https", "ws", "wss")
# What an import assumes of a Socket.IO server that does not say (another tool's document).
DEFAULT_SCHEME = "https"
_ABSOLUTE = re.compile(r"(?P<scheme>https?|wss?)://(?P<host>[^/?#]*)", re.IGNORECASE)
_REFERENCE = re.compile(r"\{\{.*?\}\}")


@dataclass(frozen=True)
class SocketIOOrigin:
    scheme: str
    host: str


def socketio_origin(url: str) -> SocketIOOrigin | None:
    """The scheme and host of a Socket.IO endpoint's absolute URL (its path and query are
    not the server's: the path is the Engine.IO path, the namespace the channel)."""
    found = _ABSOLUTE.match(url)
    if found is None or not found["host"]:
        return None
    return SocketIOOrigin(found["scheme"].lower(), found["host"])


def auth_fields(auth: str) -> list[str] | None:
    """The field names of an auth payload, None when none is sent. Never its values: the
    document is served on share links."""
    if not auth.strip():
        return None
    try:
        value = json.loads(_REFERENCE.sub("1", auth))
    except ValueError:
        return []
    return [str(name) for name in value] if isinstance(value, dict) else []


def channel_settings(settings: dict[str, str]) -> dict[str, Any]:
    """``x-switchboard-socketio`` of a channel: version, path, the auth payload's fields."""
    out: dict[str, Any] = {"version": settings["version"], "path": settings["path"]}
    fields = auth_fields(settings.get("auth", ""))
    if fields is not None:
        out["auth"] = fields
    return out


def settings_of(extension: Any, address: Any) -> dict[str, str]:
    """A channel's Socket.IO settings on import: the namespace is its address; each auth
    field gets a ``{{variable}}`` of its name (set it as a secret, like the Auth tab's)."""
    extension = extension if isinstance(extension, dict) else {}
    settings = dict(DEFAULT_SOCKETIO)
    for key in ("version", "path"):
        if isinstance(extension.get(key), str):
            settings[key] = extension[key]
    namespace = address if isinstance(address, str) and address.startswith("/") else "/"
    settings["namespace"] = namespace
    fields = extension.get("auth")
    if isinstance(fields, list) and settings["version"] != "v2":
        payload = {
            str(name): "{{" + str(name) + "}}" if is_valid_name(str(name)) else ""
            for name in fields
        }
        settings["auth"] = json.dumps(payload)
    return settings


def ack_message(event: str, schema: Any) -> dict[str, Any]:
    """The message an operation's reply names for an event's acknowledgement."""
    return {
        "title": f"Acknowledgement of {event}",
        "contentType": "application/json",
        "payload": schema,
        ACK: True,
    }
