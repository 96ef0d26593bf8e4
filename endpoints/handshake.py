"""Validation and defaults for an endpoint's handshake: URL, key/value rows, subprotocols, settings.

Pure functions, reused by endpoints and by debug-session drafts.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from core.errors import ValidationFailed
from core.socketio.handshake import SocketIOVersion, namespace_problem

# The handshake as {{variables}} fill it and the resolver takes it, in this order; with the
# connection settings, these are the fields of endpoints.models.HandshakeFields (an endpoint and
# a debug session's draft share them).
ROW_FIELDS: tuple[str, ...] = ("params", "headers", "cookies")
TEMPLATE_FIELDS: tuple[str, ...] = ("url", *ROW_FIELDS, "subprotocols")
# What kind of server the handshake reaches: a plain WebSocket one, or Socket.IO spoken over
# the WebSocket transport (``socketio`` holds its settings, see clean_socketio).
PROTOCOL_FIELDS: tuple[str, ...] = ("protocol", "socketio")
HANDSHAKE_FIELDS: tuple[str, ...] = (*TEMPLATE_FIELDS, "connection_settings", *PROTOCOL_FIELDS)
# The handshake in the API (and in history snapshots): the settings are called ``settings``
# there and always carry every default; so does ``socketio``.
API_FIELDS: tuple[str, ...] = (*TEMPLATE_FIELDS, "settings", *PROTOCOL_FIELDS)
WEBSOCKET, SOCKETIO = "websocket", "socketio"
PROTOCOLS: tuple[str, ...] = (WEBSOCKET, SOCKETIO)


def handshake_of(obj: Any) -> dict[str, Any]:
    """The template fields of a stored endpoint or session draft, in the shape the resolver
    takes, with the protocol and its stored Socket.IO settings (whose auth is a template too)."""
    return {
        **{name: getattr(obj, name) for name in TEMPLATE_FIELDS},
        "protocol": obj.protocol,
        "socketio": obj.socketio,
    }


def handshake_data(obj: Any) -> dict[str, Any]:
    """The handshake of a stored endpoint or session draft as the API shows it (``API_FIELDS``)."""
    return {
        **{name: getattr(obj, name) for name in TEMPLATE_FIELDS},
        "settings": clean_settings(None, base=obj.connection_settings),
        "protocol": obj.protocol,
        "socketio": clean_socketio(None, base=obj.socketio),
    }


def handshake_copy(source: Any, target: Any) -> None:
    """Copy the template fields and the Auth tab from one stored handshake to another (rows
    as new lists)."""
    target.url = source.url
    for name in TEMPLATE_FIELDS[1:]:
        setattr(target, name, list(getattr(source, name)))
    target.auth = dict(source.auth or {})
    target.protocol = source.protocol
    target.socketio = dict(source.socketio or {})


# Defaults and bounds of connection settings, documented in docs/configuration.md
# "Endpoint connection settings".
DEFAULT_SETTINGS: dict[str, Any] = {
    "open_timeout": 10.0,
    "max_message_size": 1024 * 1024,
    "verify_tls": True,
    "ping_interval": 20.0,
    # Offer permessage-deflate: "default" follows UPSTREAM_COMPRESSION, "deflate" or "off".
    "compression": "default",
    # Reconnect after an abnormal close (docs/debug-sessions.md "Auto-reconnect").
    "reconnect": False,
    "reconnect_max_attempts": 5,
    "reconnect_delay": 1.0,
    "reconnect_max_delay": 30.0,
}
SETTING_BOUNDS: dict[str, tuple[float, float]] = {
    "open_timeout": (0.1, 120.0),
    "max_message_size": (1, 64 * 1024 * 1024),
    "ping_interval": (0.0, 3600.0),
    "reconnect_max_attempts": (1, 100),
    "reconnect_delay": (0.05, 60.0),
    "reconnect_max_delay": (0.05, 3600.0),
}
SETTING_CHOICES: dict[str, tuple[str, ...]] = {"compression": ("default", "deflate", "off")}
_BOOLEAN_SETTINGS = frozenset({"verify_tls", "reconnect"})
_WHOLE_SETTINGS = frozenset({"max_message_size", "reconnect_max_attempts"})
ROW_KEYS = ("name", "value", "enabled", "description")
MAX_ROWS = 200
_TOKEN_CHARS = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z{}$]+$")
# PostgreSQL cannot store NUL or unpaired UTF-16 surrogates in text or jsonb.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_NOT_STORABLE = "NUL and unpaired surrogate characters are not allowed."


class HandshakeError(ValueError):
    """Invalid handshake input; ``fields`` maps a field path to its messages."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items()))


def url_schemes(protocol: str | None) -> tuple[str, ...]:
    """The URL schemes a protocol connects with; None: either protocol's (not chosen yet)."""
    return ("ws", "wss") if protocol == WEBSOCKET else ("ws", "wss", "http", "https")


def scheme_problem(protocol: str | None, scheme: str) -> str:
    if protocol == WEBSOCKET:
        return f"The scheme must be ws or wss, not {scheme!r}."
    if protocol == SOCKETIO:
        return f"The scheme of a Socket.IO URL must be http, https, ws or wss, not {scheme!r}."
    return f"The scheme must be ws or wss (or http, https for Socket.IO), not {scheme!r}."


def url_problem(url: str, protocol: str | None = WEBSOCKET) -> str | None:
    """Why ``url`` is not a usable URL for ``protocol``, or None when it is. A Socket.IO
    server may be given as http(s):// too (its WebSocket transport is derived)."""
    schemes = url_schemes(protocol)
    if not isinstance(url, str) or not url.strip():
        return "Enter a ws:// or wss:// URL." if len(schemes) == 2 else "Enter a URL."
    if any(ch in url for ch in "\r\n\t\x00 "):
        return "The URL must not contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"The URL is malformed: {exc}."
    del port
    if parts.scheme.lower() not in schemes:
        return scheme_problem(protocol, parts.scheme or "missing")
    if not parts.hostname:
        return "The URL has no host."
    return None


def _cell_problem(text: Any, limit: int, *, required: bool = False) -> str | None:
    """What is wrong with a row's name or value (one line of header-safe text), if anything."""
    if required and (not isinstance(text, str) or not text.strip()):
        return "A name is required."
    if not isinstance(text, str):
        return "Must be a string."
    if len(text) > limit:
        return f"At most {limit} characters."
    if any(ch in text for ch in "\r\n") or _UNSTORABLE.search(text):
        return "Line breaks, NUL and unpaired surrogates are not allowed."
    return None


def clean_rows(rows: Any, field: str) -> list[dict[str, Any]]:
    """Normalize ordered {name, value, enabled, description} rows; raise HandshakeError on bad input."""
    errors: dict[str, list[str]] = {}
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise HandshakeError({field: ["Expected a list of {name, value, enabled, description}."]})
    if len(rows) > MAX_ROWS:
        raise HandshakeError({field: [f"At most {MAX_ROWS} rows."]})
    cleaned: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        path = f"{field}[{index}]"
        if not isinstance(row, dict):
            errors[path] = ["Expected an object with name, value, enabled, description."]
            continue
        unknown = set(row) - set(ROW_KEYS)
        if unknown:
            errors[path] = [f"Unknown keys: {', '.join(sorted(unknown))}."]
            continue
        name, value = row.get("name", ""), row.get("value", "")
        enabled, description = row.get("enabled", True), row.get("description", "")
        for cell, problem in (
            ("name", _cell_problem(name, 256, required=True)),
            ("value", _cell_problem(value, 8192)),
        ):
            if problem:
                errors[f"{path}.{cell}"] = [problem]
        if not isinstance(enabled, bool):
            errors[f"{path}.enabled"] = ["Must be true or false."]
        if not isinstance(description, str):
            errors[f"{path}.description"] = ["Must be a string."]
        elif len(description) > 2000:
            errors[f"{path}.description"] = ["At most 2000 characters."]
        elif _UNSTORABLE.search(description):
            errors[f"{path}.description"] = [_NOT_STORABLE]
        if field == "headers" and isinstance(name, str) and name and not _TOKEN_CHARS.match(name):
            errors.setdefault(f"{path}.name", []).append(
                "Header names may only contain token characters (no spaces, colons or quotes)."
            )
        if not any(key.startswith(path) for key in errors):
            cleaned.append(
                {"name": name, "value": value, "enabled": enabled, "description": description}
            )
    if errors:
        raise HandshakeError(errors)
    return cleaned


def clean_subprotocols(values: Any) -> list[str]:
    if values is None:
        return []
    if not isinstance(values, list):
        raise HandshakeError({"subprotocols": ["Expected a list of strings."]})
    errors: dict[str, list[str]] = {}
    for index, value in enumerate(values):
        if not isinstance(value, str) or not value or not _TOKEN_CHARS.match(value):
            errors[f"subprotocols[{index}]"] = [
                "A subprotocol is a non-empty token (letters, digits, !#$%&'*+-.^_`|~)."
            ]
    if len(values) > 32:
        errors["subprotocols"] = ["At most 32 subprotocols."]
    if errors:
        raise HandshakeError(errors)
    return list(values)


def clean_settings(values: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``values`` over ``base`` (or the defaults) and check each setting's type and bounds."""
    merged = dict(DEFAULT_SETTINGS)
    merged.update(base or {})
    if values is None:
        return merged
    if not isinstance(values, dict):
        raise HandshakeError({"settings": ["Expected an object."]})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        path = f"settings.{key}"
        if key not in DEFAULT_SETTINGS:
            errors[path] = [f"Unknown setting; known: {', '.join(DEFAULT_SETTINGS)}."]
        elif key in _BOOLEAN_SETTINGS:
            if not isinstance(value, bool):
                errors[path] = ["Must be true or false."]
            else:
                merged[key] = value
        elif key in SETTING_CHOICES:
            if value not in SETTING_CHOICES[key]:
                errors[path] = [f"Use one of {', '.join(SETTING_CHOICES[key])}."]
            else:
                merged[key] = value
        else:
            low, high = SETTING_BOUNDS[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors[path] = ["Must be a number."]
            elif not low <= value <= high:
                errors[path] = [f"Must be between {low:g} and {high:g}."]
            elif key in _WHOLE_SETTINGS and value != int(value):
                errors[path] = ["Must be a whole number."]
            else:
                merged[key] = int(value) if key in _WHOLE_SETTINGS else float(value)
    if errors:
        raise HandshakeError(errors)
    return merged


# --- Socket.IO ------------------------------------------------------------------------------

# Defaults of a Socket.IO endpoint's settings (docs/socketio.md): the server's major version
# (v4: Socket.IO 3 and 4; v2: Socket.IO 2), the Engine.IO path, the namespace connected on
# open, and the v4 CONNECT auth payload as JSON-object text that may hold {{variables}}.
DEFAULT_SOCKETIO: dict[str, Any] = {
    "version": "v4",
    "path": "/socket.io/",
    "namespace": "/",
    "auth": "",
}
MAX_SOCKETIO_AUTH = 16 * 1024
_REFERENCE = re.compile(r"\{\{.*?\}\}")


def socketio_auth_problem(text: str, version: str) -> str | None:
    """Why a stored auth payload can never be sent, or None. References are stand-ins for
    values here: the resolved text is checked again at connect."""
    if not text:
        return None
    if version == "v2":
        return "Socket.IO v2 has no auth payload; send credentials as params or headers."
    if len(text) > MAX_SOCKETIO_AUTH:
        return f"At most {MAX_SOCKETIO_AUTH} characters."
    if _UNSTORABLE.search(text):
        return _NOT_STORABLE
    try:
        value = json.loads(_REFERENCE.sub("1", text))
    except ValueError as exc:
        return f"The auth payload is a JSON object: {exc}."
    if not isinstance(value, dict):
        return 'The auth payload is a JSON object, e.g. {"token": "{{token}}"}.'
    return None


def clean_socketio(values: Any, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``values`` over ``base`` (or the defaults) and check each Socket.IO setting."""
    merged = dict(DEFAULT_SOCKETIO)
    merged.update(base or {})
    if values is None:
        return merged
    if not isinstance(values, dict):
        raise HandshakeError({"socketio": ["Expected an object."]})
    errors: dict[str, list[str]] = {}
    for key, value in values.items():
        path = f"socketio.{key}"
        if key not in DEFAULT_SOCKETIO:
            errors[path] = [f"Unknown setting; known: {', '.join(DEFAULT_SOCKETIO)}."]
        elif not isinstance(value, str):
            errors[path] = ["Must be a string."]
        elif key == "version" and value not in {v.value for v in SocketIOVersion}:
            errors[path] = [
                f"{value!r} is not a supported version; use v4 (Socket.IO 3 and 4) "
                "or v2 (Socket.IO 2)."
            ]
        elif key == "namespace" and (problem := namespace_problem(value)):
            errors[path] = [problem]
        elif key == "path" and (
            not value.startswith("/") or len(value) > 200 or _PATH_UNSAFE.search(value)
        ):
            errors[path] = [
                "A path starts with '/' and has no spaces, '?' or '#', e.g. /socket.io/."
            ]
        else:
            merged[key] = value
    if not errors and (problem := socketio_auth_problem(merged["auth"], merged["version"])):
        errors["socketio.auth"] = [problem]
    if errors:
        raise HandshakeError(errors)
    return merged


_PATH_UNSAFE = re.compile(r"[\s?#\x00]")


def protocol_problem(value: Any) -> str | None:
    if value not in PROTOCOLS:
        return f"Use one of {', '.join(PROTOCOLS)}."
    return None


def socketio_stored(values: Any, base: dict[str, Any] | None) -> dict[str, Any]:
    """The Socket.IO settings to store after a write of ``values`` over ``base``: every key,
    so a later change of a default does not change what a saved endpoint does. (Raises
    ValidationFailed: called by services, after the serializer checked the shape.)"""
    try:
        return clean_socketio(values, base=base)
    except HandshakeError as exc:
        raise ValidationFailed(exc.fields) from None
