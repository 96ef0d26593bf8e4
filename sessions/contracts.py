"""The contract of a session opened from an endpoint: its documented messages and the project's
schemas as plain data (sent to the relay with the connect command), the compiled contract the
web process checks sends with, and the stamps the relay compares to notice edits.

Compiling is ``endpoints.contracts.checker.contract_for`` (cached by content), so the relay and
the web processes share nothing but the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max

from endpoints.contracts.checker import Contract, Verdict, contract_for
from endpoints.contracts.limits import short_reason
from endpoints.models import Endpoint, Message, ProjectSchema
from sessions.errors import ContractViolation
from sessions.masking import Masker

logger = logging.getLogger("switchboard.sessions")
_MESSAGE_KEYS = ("name", "direction", "format", "schema", "match", "event", "ack_schema")


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
    """The compiled contract of ``contract_data``; None when there is nothing to check.

    Writes check every schema, so this compiles; if it ever does not (a project schema
    changed under a message in a way the checks missed), sessions go on unchecked rather
    than fail: a debugger must keep relaying."""
    if not data or not data["messages"]:
        return None
    try:
        return contract_for(data["messages"], data["schemas"])
    except Exception:
        logger.exception(
            "The contract of endpoint %s does not compile; not checking", data["endpoint"]
        )
        return None


@dataclass(frozen=True)
class EndpointContract:
    contract: Contract | None
    strict: bool


_RECENT: dict[int, tuple[list[Any], EndpointContract]] = {}


def endpoint_contract(endpoint_id: int) -> EndpointContract:
    """The endpoint's compiled contract and ``strict`` setting as they are now: one query for
    the stamp, and three more only when the endpoint or its project's schemas changed since
    this process last read them (an edit applies to the very next send)."""
    stamp = contract_stamps({endpoint_id}).get(endpoint_id)
    recent = _RECENT.get(endpoint_id)
    if recent is not None and stamp is not None and recent[0] == stamp:
        return recent[1]
    data = contract_data(endpoint_id) if stamp is not None else None
    found = EndpointContract(compiled(data), bool(data and data["strict"]))
    if len(_RECENT) > 1024:
        _RECENT.clear()
    if data is not None:
        _RECENT[endpoint_id] = (data["stamp"], found)
    return found


def checked_send(
    endpoint_id: int | None,
    check: Callable[[Contract], Verdict],
    redact: list[str] | None,
    *,
    violates: str,
    field: str,
) -> dict[str, Any] | None:
    """The contract's verdict on what a member sends (None when nothing is checked), as
    ``verdict_data``; on a ``strict`` endpoint an invalid one is refused (ContractViolation,
    saying "The endpoint is strict and <violates> <name> (<problems>)"), before anything is
    sent. Reasons quoting a secret's value show it as ••••."""
    if endpoint_id is None:
        return None
    found = endpoint_contract(endpoint_id)
    if found.contract is None:
        return None
    verdict = check(found.contract)
    if not verdict.check:
        return None
    data = verdict_data(verdict, Masker(redact) if redact else None)
    if found.strict and verdict.check == "invalid":
        fields: dict[str, list[str]] = {}
        for problem in data["problems"] or ():
            fields.setdefault(problem["path"] or field, []).append(problem["reason"])
        where = "; ".join(f"{path}: {', '.join(reasons)}" for path, reasons in fields.items())
        raise ContractViolation(
            f"The endpoint is strict and {violates} {verdict.message!r} ({where}); "
            "nothing was sent.",
            fields=fields,
            message=verdict.message,
        )
    return data


def shown_problems(problems: list[dict[str, str]], masker: Masker | None) -> list[dict[str, str]]:
    """Problems as stored and shown: a secret's value quoted in a reason is ••••, and each
    reason is shortened (after masking, so a secret is never cut in two and missed)."""
    return [
        {**p, "reason": short_reason(masker.text(p["reason"]) if masker else p["reason"])}
        for p in problems
    ]


def verdict_data(verdict: Verdict, masker: Masker | None = None) -> dict[str, Any]:
    """A verdict as log entries and answers carry it."""
    return {
        "contract": verdict.check,
        "message": verdict.message,
        "problems": (
            shown_problems(verdict.problems, masker) if verdict.check == "invalid" else None
        ),
    }


def send_warning(message: str, problems: list[dict[str, str]] | None) -> str:
    """The warning of a send that went out although it violates its message's schema."""
    where = "; ".join(f"{p['path'] or '(the body)'}: {p['reason']}" for p in problems or ())
    return f"Sent, but it violates the schema of message {message!r}: {where}"
