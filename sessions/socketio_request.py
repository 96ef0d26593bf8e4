"""The Socket.IO part of a relay request: the WebSocket transport's URL and what the client
sends once the Engine.IO session is open (the namespace, and the v4 auth payload with its
{{variables}} resolved)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core.errors import ValidationFailed
from core.socketio.handshake import SocketIOVersion, websocket_url
from endpoints.environments.resolver import resolve_body
from endpoints.handshake import clean_socketio


def with_socketio(
    stored: Mapping[str, Any] | None,
    request: dict[str, Any],
    shown: dict[str, Any],
    values: Mapping[str, str],
    secrets: set[str],
) -> None:
    """Make ``request`` (and its record, ``shown``) a Socket.IO one: the URL becomes the
    WebSocket transport's (``EIO`` and ``transport`` in its query, the Socket.IO path), and
    ``socketio`` says which version, namespace and auth payload the relay speaks with."""
    chosen = clean_socketio(None, base=dict(stored or {}))
    version = SocketIOVersion(chosen["version"])
    request["url"] = websocket_url(request["url"], version, chosen["path"])
    shown["url"] = websocket_url(shown["url"], version, chosen["path"])
    auth: dict[str, Any] | None = None
    shown_auth: Any = None
    if chosen["auth"]:
        text, masked = resolve_body(chosen["auth"], values, secrets, where="socketio.auth")
        try:
            auth = json.loads(text)
        except ValueError:
            auth = None
        if not isinstance(auth, dict):
            problem = "After substituting variables the auth payload is not a JSON object."
            raise ValidationFailed({"socketio.auth": [problem]})
        try:
            shown_auth = json.loads(masked)
        except ValueError:
            shown_auth = masked  # a secret outside a string: shown as the masked text
    common = {"version": version.value, "path": chosen["path"], "namespace": chosen["namespace"]}
    request["socketio"] = {**common, "auth": auth}
    shown["socketio"] = {**common, "auth": shown_auth}
