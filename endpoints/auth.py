"""The Auth tab: the credentials a handshake carries (none, Bearer, Basic, an API key in a header
or the query), how an endpoint or a session inherits them from its folders and the project, and
how they are shown (credential values are write-only, like secret variables).

Pure: no ORM. ``sessions.handshake`` applies the effective auth when it resolves a handshake.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import ValidationFailed
from endpoints.environments.resolver import (
    MASK,
    Dynamics,
    Reference,
    ResolvedHandshake,
    Unresolved,
    append_query,
    parse,
    resolve_text,
)
from endpoints.errors import UnresolvedVariables

INHERIT = "inherit"
NONE = "none"
BEARER = "bearer"
BASIC = "basic"
API_KEY = "api_key"
AUTH_TYPES = (INHERIT, NONE, BEARER, BASIC, API_KEY)
API_KEY_PLACES = ("header", "query")
# Per type: the keys it holds, and which of them are credentials (write-only).
KEYS: dict[str, tuple[str, ...]] = {
    INHERIT: (),
    NONE: (),
    BEARER: ("token",),
    BASIC: ("username", "password"),
    API_KEY: ("name", "value", "in"),
}
SECRET_KEYS: dict[str, tuple[str, ...]] = {
    BEARER: ("token",),
    BASIC: ("password",),
    API_KEY: ("value",),
}
ALL_KEYS = ("token", "username", "password", "name", "value", "in")
MAX_VALUE = 8192
# What a header name may be (RFC 9110 token characters), checked once variables are in.
_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
SCHEME_LABELS = {
    NONE: "No auth",
    BEARER: "Bearer token",
    BASIC: "Basic auth",
    API_KEY: "API key",
}


def auth_type(auth: Mapping[str, Any] | None, *, top: bool = False) -> str:
    """The stored auth's type; an empty (never set) auth inherits, or is none at the project."""
    kind = (auth or {}).get("type") or INHERIT
    return NONE if top and kind == INHERIT else kind


def _value_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "Must be a string."
    if len(value) > MAX_VALUE:
        return f"At most {MAX_VALUE} characters."
    if any(ch in value for ch in "\r\n"):
        return "Line breaks are not allowed in an Auth value."
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        return "NUL and unpaired surrogate characters are not allowed."
    return None


def clean_auth(
    value: Any,
    *,
    stored: Mapping[str, Any] | None = None,
    top: bool = False,
    path: str = "auth",
    partial: bool = False,
) -> dict[str, Any]:
    """A checked Auth tab to store. A field given as null (or left out) keeps the stored one
    of the same type: responses show credentials as null, so a response sent back as it is
    erases nothing. ``top``: the project's tab, which has nothing to inherit from.
    ``partial``: check the shape only, not what the stored tab may still supply (a name).
    Raises ValidationFailed naming ``auth.<key>``."""
    if not isinstance(value, dict):
        raise ValidationFailed({path: ["Expected an object with a type."]})
    kind = value.get("type", INHERIT)
    allowed = AUTH_TYPES[1:] if top else AUTH_TYPES
    if kind not in allowed:
        raise ValidationFailed({f"{path}.type": [f"Must be one of: {', '.join(allowed)}."]})
    errors: dict[str, list[str]] = {}
    # ``*_set`` flags come back from responses; they say nothing new.
    unknown = {
        key for key in value if key != "type" and key not in KEYS[kind] and not key.endswith("_set")
    }
    unknown -= {key for key in ALL_KEYS if value.get(key) in (None, "")}
    for key in sorted(unknown):
        errors[f"{path}.{key}"] = [f"Not a field of {kind} auth."]
    keep = dict(stored or {}) if auth_type(stored) == kind else {}
    cleaned: dict[str, Any] = {"type": kind}
    for key in KEYS[kind]:
        given = value.get(key)
        if key == "in":
            given = given if given is not None else keep.get("in", "header")
            if given not in API_KEY_PLACES:
                errors[f"{path}.in"] = ["Must be header or query."]
            cleaned["in"] = given
            continue
        if given is None:
            given = keep.get(key, "")
        problem = _value_problem(given)
        if problem:
            errors[f"{path}.{key}"] = [problem]
            continue
        cleaned[key] = given
    if (
        kind == API_KEY
        and not partial
        and not errors.get(f"{path}.name")
        and not cleaned.get("name", "").strip()
    ):
        errors[f"{path}.name"] = ["Name the header or query parameter that carries the key."]
    if (
        kind == BASIC
        and ":" in cleaned.get("username", "")
        and not _only_references(cleaned["username"])
    ):
        errors[f"{path}.username"] = ["A Basic auth user name cannot contain ':'."]
    if errors:
        raise ValidationFailed(errors)
    return cleaned


def _only_references(text: str) -> bool:
    """Whether ``text`` is nothing but ``{{references}}`` (and spaces): showing it reveals only
    variable names, the secret lives in the variable."""
    segments = parse(text)
    return (
        bool(segments)
        and all(isinstance(segment, Reference) or not segment.strip() for segment in segments)
        and any(isinstance(segment, Reference) for segment in segments)
    )


def auth_public(auth: Mapping[str, Any] | None, *, top: bool = False) -> dict[str, Any]:
    """The Auth tab as responses, history and events show it: a credential is null (with
    ``<key>_set``) unless it is only ``{{variable}}`` references."""
    kind = auth_type(auth, top=top)
    stored = auth or {}
    shown: dict[str, Any] = {"type": kind}
    for key in KEYS[kind]:
        text = stored.get(key, "header" if key == "in" else "")
        if key in SECRET_KEYS.get(kind, ()):
            shown[key] = text if _only_references(text) else None
            shown[f"{key}_set"] = bool(text)
        else:
            shown[key] = text
    return shown


def auth_scheme(auth: Mapping[str, Any] | None) -> dict[str, str]:
    """What a docs page shows of an effective auth: the scheme, never a value."""
    kind = auth_type(auth, top=True)
    scheme = {"type": kind, "label": SCHEME_LABELS[kind]}
    if kind == API_KEY:
        stored = auth or {}
        scheme["in"] = stored.get("in", "header")
        scheme["name"] = stored.get("name", "")
        scheme["label"] = f"API key in the {scheme['in']} ({scheme['name']})"
    return scheme


@dataclass(frozen=True)
class Effective:
    """The auth a connection uses and where it was set: ``own`` (the endpoint or session
    itself), ``folder`` (with ``folder_id``), ``project`` or ``none`` (nowhere)."""

    auth: dict[str, Any]
    source: str
    folder_id: int | None = None


def effective_auth(
    own: Mapping[str, Any] | None,
    folder_chain: Sequence[tuple[int, Mapping[str, Any] | None]],
    project: Mapping[str, Any] | None,
) -> Effective:
    """The first tab that does not inherit: ``own``, then the folders from the innermost out
    (``folder_chain`` as ``(folder_id, auth)``), then the project's."""
    if auth_type(own) != INHERIT:
        return Effective(dict(own or {}), "own")
    for folder_id, auth in folder_chain:
        if auth_type(auth) != INHERIT:
            return Effective(dict(auth or {}), "folder", folder_id)
    if auth_type(project, top=True) != NONE:
        return Effective(dict(project or {}), "project")
    return Effective({"type": NONE}, "none")


def folder_chain(
    folder_id: int | None, folders: Mapping[int, tuple[int | None, Mapping[str, Any] | None]]
) -> list[tuple[int, Mapping[str, Any] | None]]:
    """``(folder_id, auth)`` from ``folder_id`` up to the root; ``folders`` maps an id to its
    ``(parent_id, auth)``."""
    chain: list[tuple[int, Mapping[str, Any] | None]] = []
    seen: set[int] = set()
    while folder_id is not None and folder_id not in seen and folder_id in folders:
        seen.add(folder_id)
        parent_id, auth = folders[folder_id]
        chain.append((folder_id, auth))
        folder_id = parent_id
    return chain


# --- applying it to a handshake -------------------------------------------------------------


@dataclass(frozen=True)
class AppliedAuth:
    """What an auth adds to a handshake: a header or a query parameter, as sent and as the
    record shows it (credential as ``••••``), and every credential text to mask."""

    header: tuple[str, str] | None = None
    shown_header: tuple[str, str] | None = None
    query: tuple[str, str] | None = None
    shown_query: tuple[str, str] | None = None
    credentials: list[str] = field(default_factory=list)


def resolve_auth(
    auth: Mapping[str, Any],
    values: Mapping[str, str],
    secrets: set[str] | frozenset[str] = frozenset(),
    *,
    dynamics: Dynamics | None = None,
) -> AppliedAuth:
    """``auth`` with ``{{variables}}`` filled in. Every unknown reference is reported at once
    (``auth.token``...); a resolved value with a line break, or an API key header name that is
    not a token, is a ValidationFailed. Credentials are masked whole, not only their secret
    variables: the Auth tab is where secrets go."""
    kind = auth_type(auth, top=True)
    if kind == NONE:
        return AppliedAuth()
    dynamics = dynamics or Dynamics()
    resolved: dict[str, str] = {}
    unresolved: list[Unresolved] = []
    for key in KEYS[kind]:
        if key == "in":
            continue
        try:
            resolved[key], _ = resolve_text(
                str(auth.get(key, "")), values, secrets, dynamics=dynamics, where=f"auth.{key}"
            )
        except UnresolvedVariables as exc:
            unresolved.extend(Unresolved(item.name, item.where) for item in exc.unresolved)
    if unresolved:
        raise UnresolvedVariables(unresolved)
    problems = {
        f"auth.{key}": ["After substituting variables, the value contains a line break or NUL."]
        for key, text in resolved.items()
        if any(ch in text for ch in "\r\n\x00")
    }
    if kind == API_KEY and not (resolved["name"] and set(resolved["name"]) <= _TCHARS):
        problems["auth.name"] = [
            "After substituting variables, the name is empty or has characters a header or "
            "parameter name may not have."
        ]
    if kind == BASIC and ":" in resolved["username"]:
        problems["auth.username"] = ["After substituting variables, the user name contains ':'."]
    if problems:
        raise ValidationFailed(problems, "After substituting variables, the Auth tab is not valid.")
    if kind == BEARER:
        token = resolved["token"]
        return AppliedAuth(
            header=("Authorization", f"Bearer {token}"),
            shown_header=("Authorization", f"Bearer {MASK}"),
            credentials=[token],
        )
    if kind == BASIC:
        pair = f"{resolved['username']}:{resolved['password']}"
        encoded = base64.b64encode(pair.encode("utf-8")).decode("ascii")
        return AppliedAuth(
            header=("Authorization", f"Basic {encoded}"),
            shown_header=("Authorization", f"Basic {MASK}"),
            credentials=[encoded, resolved["password"]],
        )
    name, key_value = resolved["name"], resolved["value"]
    if auth.get("in") == "query":
        return AppliedAuth(
            query=(name, key_value), shown_query=(name, MASK), credentials=[key_value]
        )
    return AppliedAuth(header=(name, key_value), shown_header=(name, MASK), credentials=[key_value])


def with_auth_rows(resolved: ResolvedHandshake, applied: AppliedAuth) -> None:
    """Add the auth's header or query parameter to a resolved handshake (both its sent and its
    masked form), as the preview shows it; a row of the same name already there wins."""
    for shape, header, query, encoded in (
        (resolved.values, applied.header, applied.query, False),
        (resolved.masked, applied.shown_header, applied.shown_query, True),
    ):
        if header and all(row["name"].lower() != header[0].lower() for row in shape["headers"]):
            shape["headers"].append({"name": header[0], "value": header[1]})
        if query and all(row["name"] != query[0] for row in shape["params"]):
            shape["params"].append({"name": query[0], "value": query[1]})
            shape["url"] = append_query(shape["url"], *query, value_encoded=encoded)
