"""A debug session's handshake and message bodies with {{variables}} resolved, and the request
the relay sends upstream (reserved headers refused)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from core.errors import ValidationFailed
from endpoints.auth import AppliedAuth, resolve_auth
from endpoints.environments.resolver import (
    ResolvedHandshake,
    append_query,
    references,
    references_in_endpoint,
    resolve_body,
    resolve_handshake,
)
from endpoints.environments.selectors import variable_values_for
from endpoints.handshake import clean_settings, handshake_of
from endpoints.models import Protocol
from endpoints.tree.selectors import auth_effective
from sessions.masking import secret_forms
from sessions.models import DebugSession
from sessions.socketio_request import with_socketio

# Headers the WebSocket handshake itself writes; a row with one of these names would break it.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "upgrade",
        "connection",
        "sec-websocket-key",
        "sec-websocket-version",
        "sec-websocket-extensions",
        "sec-websocket-protocol",
        "sec-websocket-accept",
        "content-length",
        "transfer-encoding",
    }
)

# --- the seams where {{variables}} get resolved (README "Variables") ------------------------


def merged_overrides(*layers: dict[str, str] | None) -> dict[str, str]:
    """Session values, then a send's own values over them."""
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update(layer or {})
    return merged


def resolved_handshake(
    session: DebugSession, actor: User
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The handshake to send at connect, the same for the record (secrets as ••••), and the
    spellings of the secrets it holds (for the relay to mask wherever they come back).

    Variables come from the session's environment, the project globals and ``actor``'s
    current values, with the session's own values first. The effective Auth tab (the
    session's, else its endpoint's folders', else the project's) adds its header or query
    parameter, its credential masked whole. Raises UnresolvedVariables (every unknown
    reference and where) or ValidationFailed before anything is written or sent.
    """
    handshake = handshake_of(session)
    values, secrets = variable_values_for(
        project=session.project,
        user=actor,
        environment_id=session.environment_id,
        overrides=merged_overrides(session.variables),
    )
    effective = auth_effective(
        own=session.auth, project_id=session.project_id, endpoint_id=session.endpoint_id
    )
    resolved = resolve_handshake(handshake, values, secrets)
    applied = resolve_auth(effective.auth, values, secrets)
    request, shown = build_request(resolved, session.headers)
    with_auth(request, shown, applied, resolved.values["params"])
    if session.protocol == Protocol.SOCKETIO:
        with_socketio(session.socketio, request, shown, values, secrets)
    used = {
        usage.name
        for usage in references_in_endpoint(handshake)
        if usage.enabled and not usage.dynamic
    }
    return (
        request,
        shown,
        secret_forms([*(values[name] for name in sorted(used & secrets)), *applied.credentials]),
    )


def with_auth(
    request: dict[str, Any],
    shown: dict[str, Any],
    applied: AppliedAuth,
    params: list[dict[str, str]],
) -> None:
    """Add the Auth tab's header or query parameter to the request and its record. A header
    row or param of the same name (written on the endpoint or session itself) wins."""
    if applied.header and applied.shown_header:
        name = applied.header[0]
        if name.lower() in RESERVED_HEADERS:
            raise ValidationFailed(
                {"auth.name": [f"{name} is written by the WebSocket handshake itself."]}
            )
        if all(existing.lower() != name.lower() for existing, _ in request["headers"]):
            request["headers"].append(list(applied.header))
            shown["headers"].append(list(applied.shown_header))
    if applied.query and applied.shown_query:
        name, value = applied.query
        if all(row["name"] != name for row in params):
            request["url"] = append_query(request["url"], name, value)
            shown["url"] = append_query(
                shown["url"], name, applied.shown_query[1], value_encoded=True
            )


def resolved_body(
    session: DebugSession,
    body: str,
    *,
    actor: User,
    overrides: dict[str, str] | None,
) -> tuple[str, str | None, list[str]]:
    """``(text to send, text for the log or None, secret spellings)`` of one message body.

    Called at every send, so a variable changed since the last one applies. The log text is
    given only when a secret was substituted (it is the body with ``••••`` in its place).
    Bodies without named references never touch the database.
    """
    if "{{" not in body:
        return body, None, []
    names = {ref.name for ref in references(body) if not ref.dynamic}
    values: dict[str, str] = {}
    secrets: set[str] = set()
    if names:
        # Read again: a live socket keeps its session object across sends, and the session's
        # values may change while it is connected.
        environment_id, stored = (
            DebugSession.objects.filter(pk=session.pk)
            .values_list("environment_id", "variables")
            .first()
        ) or (session.environment_id, session.variables)
        values, secrets = variable_values_for(
            project=session.project,
            user=actor,
            environment_id=environment_id,
            overrides=merged_overrides(stored, overrides),
        )
    text, masked = resolve_body(body, values, secrets, where="body")
    used = sorted(names & secrets)
    if not used:
        return text, None, []
    return text, masked, secret_forms(values[name] for name in used)


# --- building the request -------------------------------------------------------------------


def reserved_header_errors(
    rows: list[dict[str, Any]], indices: list[int] | None = None
) -> dict[str, list[str]]:
    """Header rows whose name the handshake writes itself. ``indices`` maps resolved rows
    back to the draft's rows (disabled ones are dropped before resolving)."""
    errors: dict[str, list[str]] = {}
    for position, row in enumerate(rows):
        name = str(row.get("name", "")).lower()
        if name in RESERVED_HEADERS:
            index = indices[position] if indices is not None else position
            hint = " Use the subprotocols field." if name == "sec-websocket-protocol" else ""
            errors[f"headers[{index}].name"] = [
                f"{row['name']} is written by the WebSocket handshake itself.{hint}"
            ]
    return errors


def build_request(
    resolved: ResolvedHandshake, draft_headers: list[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request to send (URL with its params, header and cookie pairs) and the same as
    the connection record keeps it, secrets as ••••. ``draft_headers`` are the stored rows,
    for naming the right row when a name resolves to a header the handshake writes."""
    indices = [i for i, row in enumerate(draft_headers) if row.get("enabled", True)]
    # Named from the masked rows, so an error never quotes a secret.
    errors = reserved_header_errors(resolved.masked["headers"], indices)
    for position, row in enumerate(resolved.values["headers"]):
        if row["name"].lower() in RESERVED_HEADERS and position < len(indices):
            errors.setdefault(
                f"headers[{indices[position]}].name",
                ["After substituting variables, the name is one the handshake writes itself."],
            )
    if errors:
        raise ValidationFailed(errors)
    return upstream_request(resolved.values), upstream_request(resolved.masked)


def upstream_request(handshake: dict[str, Any]) -> dict[str, Any]:
    headers = [[row["name"], row["value"]] for row in handshake["headers"]]
    cookies = [[row["name"], row["value"]] for row in handshake["cookies"]]
    if cookies:
        cookie_text = "; ".join(f"{name}={value}" for name, value in cookies)
        existing = next((pair for pair in headers if pair[0].lower() == "cookie"), None)
        if existing is not None:
            existing[1] = f"{existing[1]}; {cookie_text}"
        else:
            headers.append(["Cookie", cookie_text])
    return {
        "url": handshake["url"],
        "headers": headers,
        "cookies": cookies,
        "subprotocols": list(handshake["subprotocols"]),
    }


def session_settings(session: DebugSession) -> dict[str, Any]:
    return clean_settings(None, base=session.connection_settings)
