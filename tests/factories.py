"""Workspace rows for tests, made through the services (as a user would make them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from endpoints.environments.services import environment_create, variable_create
from endpoints.models import Endpoint, Environment, ProjectSchema, Variable
from endpoints.projects.services import project_create
from endpoints.tree.services import endpoint_create, folder_create
from sessions.models import DebugSession, Event

# The ticker contract of issue #14, as the API takes it. Its "error" message refers to the
# project schema "Error" (ERROR_SCHEMA), which a test creates first.
SUBSCRIBE_SCHEMA = {
    "type": "object",
    "required": ["op", "symbols"],
    "properties": {
        "op": {"const": "subscribe"},
        "symbols": {"type": "array", "items": {"type": "string"}, "minItems": 1},
    },
}
TRADE_SCHEMA = {
    "type": "object",
    "required": ["type", "symbol", "price", "size"],
    "properties": {
        "type": {"const": "trade"},
        "symbol": {"type": "string"},
        "price": {"type": "number", "minimum": 0},
        "size": {"type": "number", "exclusiveMinimum": 0},
        "side": {"enum": ["buy", "sell"]},
    },
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["type", "message"],
    "properties": {"type": {"const": "error"}, "message": {"type": "string"}},
}


def ticker_messages() -> list[dict[str, Any]]:
    """The ticker contract of the issue: subscribe (send); subscribed (receive, reply to
    subscribe); trade (receive, ``$.type == "trade"``, required fields); error (receive)."""
    return [
        {
            "name": "subscribe",
            "direction": "send",
            "format": "json",
            "description": "Ask for the trades of some symbols.",
            "schema": SUBSCRIBE_SCHEMA,
            "examples": [
                {"name": "BTC", "body": '{"op": "subscribe", "symbols": ["BTC-USD"]}'},
                {"name": "Chosen", "body": '{"op": "subscribe", "symbols": ["{{symbol}}"]}'},
            ],
            "reply_to": "",
            "match": {"kind": "path", "path": "$.op", "value": "subscribe"},
        },
        {
            "name": "subscribed",
            "direction": "receive",
            "format": "json",
            "description": "The server confirms.",
            "schema": None,
            "examples": [{"name": "OK", "body": '{"type": "subscribed", "symbols": ["BTC-USD"]}'}],
            "reply_to": "subscribe",
            "match": {"kind": "path", "path": "$.type", "value": "subscribed"},
        },
        {
            "name": "trade",
            "direction": "receive",
            "format": "json",
            "description": "One trade.",
            "schema": TRADE_SCHEMA,
            "examples": [
                {
                    "name": "BTC buy",
                    "body": '{"type": "trade", "symbol": "BTC-USD", "price": 64000.5, '
                    '"size": 0.1, "side": "buy"}',
                },
                {
                    "name": "ETH",
                    "body": '{"type": "trade", "symbol": "ETH-USD", "price": 3100, "size": 2}',
                },
                {
                    "name": "Templated",
                    "body": '{"type": "trade", "symbol": "X", "price": {{$randomInt}}, "size": 1}',
                },
            ],
            "reply_to": "",
            "match": {"kind": "path", "path": "$.type", "value": "trade"},
        },
        {
            "name": "error",
            "direction": "receive",
            "format": "json",
            "description": "Something went wrong.",
            "schema": {"$ref": "#/components/schemas/Error"},
            "examples": [{"name": "Unknown", "body": '{"type": "error", "message": "no"}'}],
            "reply_to": "",
            "match": {"kind": "regex", "pattern": '"type":\\s*"error"'},
        },
    ]


def make_endpoint(team: Any, *, actor: Any = None, **data: Any) -> Endpoint:
    """An endpoint in the team's project ("Ticker" at wss://example.test/ticker unless told)."""
    fields = {"name": "Ticker", "url": "wss://example.test/ticker", **data}
    return endpoint_create(project=team.project, actor=actor or team.editor, data=fields)


def make_ticker(team: Any, *, actor: Any = None, **data: Any) -> Endpoint:
    """The documented ticker (``ticker_messages``), with the project schema "Error" it uses."""
    ProjectSchema.objects.get_or_create(
        project=team.project, name="Error", defaults={"schema": ERROR_SCHEMA}
    )
    return make_endpoint(team, actor=actor, messages=ticker_messages(), **data)


def make_env(team: Any, name: str, base_url: str = "") -> Environment:
    return environment_create(project=team.project, actor=team.admin, name=name, base_url=base_url)


def make_var(team: Any, name: str, value: str = "", env: Any = None, **extra: Any) -> Variable:
    return variable_create(
        project=team.project,
        actor=team.admin,
        name=name,
        environment_id=env.pk if env else None,
        initial_value=value,
        **extra,
    )


def grow_tree(
    team: Any,
    folders: int,
    per_folder: int,
    *,
    actor: Any = None,
    **extra: Any,
) -> None:
    """``folders`` folders, each with a sub-folder, and ``per_folder`` endpoints alternating
    between the two: tagged, every other one assigned to the viewer, one saved message each.
    ``extra`` adds fields to every endpoint; a callable value is called with ``(f, i)``."""
    actor = actor or team.editor
    for f in range(folders):
        parent = folder_create(project=team.project, actor=actor, name=f"Area {f}")
        child = folder_create(
            project=team.project, actor=actor, name=f"Area {f}.1", parent_id=parent.pk
        )
        for i in range(per_folder):
            data = {
                "name": f"Stream {f}.{i}",
                "url": f"wss://example.test/s/{i}",
                "folder": child.pk if i % 2 else parent.pk,
                "tags": [f"t{i % 3}", "all"],
                "assignee": team.viewer.pk if i % 2 else None,
                "messages": [{"name": "m", "format": "json", "body": '{"a": 1}'}],
            }
            for key, value in extra.items():
                data[key] = value(f, i) if callable(value) else value
            endpoint_create(project=team.project, actor=actor, data=data)


def make_closed_session(owner: Any, *, project: str, endpoint: str, url: str) -> DebugSession:
    """A closed session of one connection, opened from endpoint ``endpoint`` (at ``url``) in a
    new project ``project`` of ``owner``'s; ``session.project`` and ``session.endpoint`` are
    the two rows made with it."""
    made = project_create(actor=owner, name=project)
    source = endpoint_create(project=made, actor=owner, data={"name": endpoint, "url": url})
    return DebugSession.objects.create(
        owner=owner,
        project=made,
        endpoint=source,
        name=endpoint,
        url=url,
        state="closed",
        connection_count=1,
    )


def log_event(
    session: DebugSession,
    seq: int,
    at: datetime,
    kind: str,
    *,
    direction: str = "",
    opcode: str = "",
    body: str | bytes | None = None,
    info: Any = None,
    size: int | None = None,
) -> Event:
    """An unsaved entry of the session's first connection, as the relay stores it: a message
    (``body`` text or bytes; its size in bytes unless given) or, without a body, a lifecycle
    entry. Save it, or many at once with ``bulk_create``."""
    text = body if isinstance(body, str) else None
    data = body if isinstance(body, bytes) else None
    return Event(
        session=session,
        seq=seq,
        connection_number=1,
        kind=kind,
        direction=direction,
        opcode=opcode,
        created_at=at,
        size=size if size is not None else len(text.encode() if text is not None else data or b""),
        text=text,
        data=data,
        info=info,
    )


def log_entry(
    session: DebugSession, seq: int, at: datetime, body: str | bytes, sent: bool = False
) -> Event:
    """An unsaved message of the session's first connection, received unless ``sent``: text for
    a ``str`` body, binary for ``bytes``."""
    return log_event(
        session,
        seq,
        at,
        "sent" if sent else "received",
        direction="out" if sent else "in",
        opcode="text" if isinstance(body, str) else "binary",
        body=body,
        size=len(body),
    )
