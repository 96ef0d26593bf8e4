"""Automatic reconnect of a session whose connection dropped (connection setting
``reconnect``, off by default).

After an abnormal close nobody on our side asked for (1006 no close frame, 1011 internal
error, 1012 service restart, 1013 try again later) the relay that held the connection tries
again, up to ``reconnect_max_attempts`` times, waiting ``reconnect_delay`` doubled at each
attempt (capped at ``reconnect_max_delay``) with "equal jitter" (between half the delay and
the delay). Each attempt is a new connection of the session, its handshake resolved again
for the session's owner; the log's numbering simply continues. A disconnect (or the relay
stopping, or an idle timeout) during the wait ends it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from sessions.connect_request import relay_request
from sessions.models import ACTIVE_STATES, Connection, DebugSession, FailureKind, SessionState

# A connection that stayed open this long counts as "back": the next drop starts over.
STABLE_AFTER = 10.0
RECONNECT_CODES = frozenset({1006, 1011, 1012, 1013})
# Failures of an attempt after which the next one is tried: the server is not back yet.
RETRIED_FAILURES = frozenset(
    {FailureKind.REFUSED, FailureKind.NETWORK, FailureKind.TIMEOUT, FailureKind.DNS}
)


def wants_reconnect(conn_settings: dict[str, Any], code: int, intended: bool) -> bool:
    return bool(conn_settings.get("reconnect")) and not intended and code in RECONNECT_CODES


def retries_failure(conn_settings: dict[str, Any], kind: str, status: int | None) -> bool:
    """An attempt failed: is it worth another (a 5xx answer means "not back yet" too)?"""
    return bool(conn_settings.get("reconnect")) and (
        kind in RETRIED_FAILURES
        or (kind == FailureKind.HANDSHAKE and status is not None and status >= 500)
    )


def backoff(
    attempt: int, conn_settings: dict[str, Any], rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before ``attempt`` (1, 2, ...)."""
    base = float(conn_settings.get("reconnect_delay", 1.0))
    cap = float(conn_settings.get("reconnect_max_delay", 30.0))
    ceiling = min(cap, base * 2 ** (attempt - 1))
    return float(ceiling / 2 + rand() * ceiling / 2)


def next_attempt(attempt: int, opened_at: float | None) -> int:
    """The attempt after a drop: the count starts over once a connection stayed up for
    STABLE_AFTER seconds, so a server that accepts and drops at once is not retried forever."""
    if opened_at is not None and asyncio.get_running_loop().time() - opened_at >= STABLE_AFTER:
        return 1
    return attempt + 1


def max_attempts(conn_settings: dict[str, Any]) -> int:
    return int(conn_settings.get("reconnect_max_attempts", 5))


def reconnect_claim(*, session_id: int, number: int, relay_name: str) -> dict[str, Any] | None:
    """In a relay thread: connection ``number`` of a session that is still this relay's and
    still active, its handshake resolved again for the owner (the request for the relay), or
    None when the session ended meanwhile. Raises like a connect when the handshake no
    longer resolves (a variable was deleted)."""
    session = DebugSession.objects.select_related("project", "owner").get(pk=session_id)
    request, shown = relay_request(session, session.owner)
    with transaction.atomic():
        locked = DebugSession.objects.select_for_update().get(pk=session_id)
        if locked.state not in ACTIVE_STATES:
            return None
        locked.connection_count = number
        locked.state = SessionState.CONNECTING
        locked.save(update_fields=["connection_count", "state", "updated_at"])
        Connection.objects.create(
            session=locked,
            number=number,
            relay_name=relay_name,
            started_at=timezone.now(),
            request_url=shown["url"],
            request_headers=shown["headers"],
            request_cookies=shown["cookies"],
            subprotocols_offered=shown["subprotocols"],
            client_certificate=shown.get("client_certificate"),
        )
    return request


# The connection these work for is an ``upstream.UpstreamConnection`` (typed loosely here:
# that module imports this one).
UpstreamConnection = Any


async def wait_and_claim(connection: UpstreamConnection) -> dict[str, Any] | None:
    """Before reconnect attempt ``connection.attempt``: log it, wait its backoff, and claim
    the new connection (the request to connect with; None: the session ended meanwhile).
    A disconnect during the wait cancels the task, like one during a connect."""
    conn_settings = connection.request["settings"]
    attempt, most = connection.attempt, max_attempts(conn_settings)
    delay = backoff(attempt, conn_settings)
    await connection.emit(
        connection.record(
            "reconnect",
            text=f"Reconnecting in {delay:.2f} s (attempt {attempt} of {most})",
            info={"attempt": attempt, "max_attempts": most, "delay_ms": round(delay * 1000)},
        )
    )
    await asyncio.sleep(delay)
    relay = connection.relay
    return await relay.db(  # type: ignore[no-any-return]
        reconnect_claim,
        session_id=connection.session_id,
        number=connection.number,
        relay_name=relay.name,
    )
