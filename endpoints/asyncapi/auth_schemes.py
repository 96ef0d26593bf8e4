"""The Auth tab in AsyncAPI: an endpoint's effective auth (endpoints.auth) as a security scheme
under ``components/securitySchemes``, which every operation of its channel requires, and back.

Only the scheme travels, never a credential. On import an endpoint gets the scheme as its own
Auth tab (inheritance is not written in AsyncAPI), its credentials ``{{variables}}`` named
after the scheme, to be set as secrets (docs/variables.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from endpoints.asyncapi.addresses import key_of, pointer_segment
from endpoints.auth import API_KEY, API_KEY_PLACES, BASIC, BEARER, auth_type
from endpoints.environments.resolver import is_valid_name

HTTP_SCHEMES = {"bearer": BEARER, "basic": BASIC}
# The Auth tab's credential keys, which an import fills with {{variables}}.
CREDENTIALS = ("token", "username", "password", "value")

Deref = Callable[[Any, str], Any]
Note = Callable[[str, str], None]


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


def channel_auth(
    document: dict[str, Any], key: Any, where: str, deref: Deref, note: Note
) -> dict[str, Any] | None:
    """``x-switchboard-auth``: the key of the security scheme the channel's operations
    require (written even where the channel has no operation)."""
    schemes = (document.get("components") or {}).get("securitySchemes") or {}
    if not isinstance(key, str) or key not in schemes:
        note(where, "Names no security scheme of components/securitySchemes.")
        return None
    scheme = deref(schemes[key], f"/components/securitySchemes/{pointer_segment(key)}")
    return _auth(key, scheme, where, note, tell=False)


def operation_auth(
    requirements: Any, where: str, deref: Deref, note: Note
) -> dict[str, Any] | None:
    """An operation's first security requirement as the endpoint's Auth tab."""
    if not isinstance(requirements, list) or not requirements:
        return None
    first = requirements[0]
    key = "token"
    if isinstance(first, dict) and isinstance(first.get("$ref"), str):
        key = first["$ref"].rsplit("/", 1)[-1]
    if len(requirements) > 1:
        note(where, "Only the first security requirement is imported (as the Auth tab).")
    return _auth(key, deref(first, f"{where}/0"), f"{where}/0", note, tell=True)


def _auth(key: str, scheme: Any, where: str, note: Note, *, tell: bool) -> dict[str, Any] | None:
    """The scheme as an Auth tab; ``tell``: say which variables to set (a document Switchboard
    wrote says it in its docs, not in every import's report)."""
    auth = auth_of_scheme(key, scheme)
    if auth is None:
        kind = scheme.get("type") if isinstance(scheme, Mapping) else None
        note(where, f"Security scheme {key!r} ({kind}) has no Auth tab: not imported.")
        return None
    if tell:
        variables = sorted({text[2:-2] for name, text in auth.items() if name in CREDENTIALS})
        note(
            where,
            f"Security scheme {key!r} is the endpoint's Auth tab; set "
            + ", ".join("{{" + name + "}}" for name in variables)
            + " as a secret.",
        )
    return auth
