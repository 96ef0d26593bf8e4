"""The contract of a session opened from an endpoint: its documented messages and the project's
schemas as plain data (sent to the relay with the connect command), the compiled contract the
web process checks sends with, and the stamps the relay compares to notice edits.

Compiling is ``endpoints.contracts.checker.contract_for`` (cached by content), so the relay and
the web processes share nothing but the data.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from endpoints.contracts.checker import Contract, Verdict, contract_for
from endpoints.models import Endpoint, Message, ProjectSchema

# How long a web process reuses an endpoint's contract before reading it again: sends on the
# live socket stay off the database, and an edit reaches them within this many seconds.
CACHE_SECONDS = 2.0
_MESSAGE_KEYS = ("name", "direction", "format", "schema", "match")


def contract_stamp(version: int, schemas_at: Any, schemas_count: int) -> list[Any]:
    """What changes when the contract may have: the endpoint's version (bumped by every edit of
    its messages), and the latest change and number of its project's schemas."""
    return [version, schemas_at.isoformat() if schemas_at else None, schemas_count]


def contract_data(endpoint_id: int) -> dict[str, Any] | None:
    """The endpoint's contract as plain data (``endpoint``, ``stamp``, ``strict``, ``messages``,
    ``schemas``), or None when the endpoint is gone. Three queries."""
    endpoint = (
        Endpoint.objects.filter(pk=endpoint_id).values("project_id", "version", "strict").first()
    )
    if endpoint is None:
        return None
    messages = list(
        Message.objects.filter(endpoint_id=endpoint_id)
        .order_by("position", "id")
        .values(*_MESSAGE_KEYS)
    )
    schemas: dict[str, Any] = {}
    latest, count = None, 0
    for name, schema, updated_at in ProjectSchema.objects.filter(
        project_id=endpoint["project_id"]
    ).values_list("name", "schema", "updated_at"):
        schemas[name] = schema
        count += 1
        latest = updated_at if latest is None or updated_at > latest else latest
    return {
        "endpoint": endpoint_id,
        "stamp": contract_stamp(endpoint["version"], latest, count),
        "strict": endpoint["strict"],
        "messages": messages,
        "schemas": schemas,
    }


def contract_stamps(endpoint_ids: set[int]) -> dict[int, list[Any]]:
    """The current stamp of each endpoint (gone ones are left out), in one query."""
    rows = (
        Endpoint.objects.filter(pk__in=endpoint_ids)
        .annotate(schemas_at=Max("project__schemas__updated_at"))
        .annotate(schemas_count=Count("project__schemas"))
        .values_list("pk", "version", "schemas_at", "schemas_count")
    )
    return {pk: contract_stamp(version, at, count) for pk, version, at, count in rows}


def compiled(data: dict[str, Any] | None) -> Contract | None:
    """The compiled contract of ``contract_data``; None when there is nothing to check."""
    if not data or not data["messages"]:
        return None
    return contract_for(data["messages"], data["schemas"])


@dataclass(frozen=True)
class EndpointContract:
    contract: Contract | None
    strict: bool


_RECENT: dict[int, tuple[float, EndpointContract]] = {}


def endpoint_contract(endpoint_id: int) -> EndpointContract:
    """The endpoint's compiled contract and ``strict`` setting, read again at most every
    ``CACHE_SECONDS`` (a read within that needs no query)."""
    now = time.monotonic()
    recent = _RECENT.get(endpoint_id)
    if recent is not None and now - recent[0] < CACHE_SECONDS:
        return recent[1]
    data = contract_data(endpoint_id)
    found = EndpointContract(compiled(data), bool(data and data["strict"]))
    if len(_RECENT) > 1024:
        _RECENT.clear()
    _RECENT[endpoint_id] = (now, found)
    return found


def forget_contracts() -> None:
    """Drop the cached contracts (tests that edit one and check at once)."""
    _RECENT.clear()


def verdict_data(verdict: Verdict) -> dict[str, Any]:
    """A verdict as log entries and answers carry it."""
    return {
        "contract": verdict.check,
        "message": verdict.message,
        "problems": verdict.problems if verdict.check == "invalid" else None,
    }


def send_warning(message: str, problems: list[dict[str, str]] | None) -> str:
    """The warning of a send that went out although it violates its message's schema."""
    where = "; ".join(f"{p['path'] or '(the body)'}: {p['reason']}" for p in problems or ())
    return f"Sent, but it violates the schema of message {message!r}: {where}"
