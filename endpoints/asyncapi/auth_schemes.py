"""The Auth tab in AsyncAPI: an endpoint's effective auth (endpoints.auth) as a security scheme
under ``components/securitySchemes``, which every operation of its channel requires, and back.

Only the scheme travels, never a credential. On import an endpoint gets the scheme as its own
Auth tab (inheritance is not written in AsyncAPI), its credentials ``{{variables}}`` named
after the scheme, to be set as secrets (docs/variables.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from endpoints.asyncapi.addresses import key_of
from endpoints.auth import API_KEY, API_KEY_PLACES, BASIC, BEARER, auth_type
from endpoints.environments.resolver import is_valid_name

HTTP_SCHEMES = {"bearer": BEARER, "basic": BASIC}


def scheme_of(auth: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]] | None:
    """``(components key, security scheme)`` of an effective auth; None for no auth."""
    kind = auth_type(auth, top=True)
    if kind in (BEARER, BASIC):
        return kind, {"type": "http", "scheme": kind}
    if kind == API_KEY:
        stored = auth or {}
        place, name = str(stored.get("in", "header")), str(stored.get("name", ""))
        return key_of(f"apiKey_{place}_{name}", "apiKey"), {
            "type": "httpApiKey",
            "name": name,
            "in": place,
        }
    return None


def auth_of_scheme(key: str, scheme: Any) -> dict[str, Any] | None:
    """The Auth tab a security scheme stands for, its credentials ``{{variables}}``; None
    when no Auth tab can carry it (OAuth flows, a cookie, SASL, certificates)."""
    if not isinstance(scheme, Mapping):
        return None
    variable = key if is_valid_name(key) else "token"
    kind = scheme.get("type")
    if kind == "http":
        auth_kind = HTTP_SCHEMES.get(str(scheme.get("scheme", "")).lower())
        if auth_kind == BEARER:
            return {"type": BEARER, "token": "{{" + variable + "}}"}
        if auth_kind == BASIC:
            return {
                "type": BASIC,
                "username": "{{" + variable + "_username}}",
                "password": "{{" + variable + "_password}}",
            }
        return None
    if kind == "httpApiKey" and scheme.get("in") in API_KEY_PLACES and scheme.get("name"):
        return {
            "type": API_KEY,
            "name": str(scheme["name"]),
            "in": scheme["in"],
            "value": "{{" + variable + "}}",
        }
    return None
