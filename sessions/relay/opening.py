"""Opening an upstream connection: a reconnect's turn, the handshake within the open
timeout, and the records of the attempt (connecting, open) with what was really sent,
secrets as ••••. ``upstream.UpstreamConnection.run`` calls ``open_connection`` first."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from core.errors import DomainError
from sessions.contracts import compiled
from sessions.masking import Masker, shown_pairs
from sessions.models import FailureKind, SessionState
from sessions.relay import reconnect
from sessions.relay.connect import Failure, open_upstream, raw_headers
from sessions.relay.protocol import reply
from sessions.relay.socketio import SocketIOLink

# The connection this works for is an ``upstream.UpstreamConnection`` (typed loosely here:
# that module imports this one).
UpstreamConnection = Any

logger = logging.getLogger("switchboard.relay")


async def open_connection(connection: UpstreamConnection) -> bool:
    """Open the upstream connection: a reconnect waits its turn and takes the request anew;
    the handshake (egress check, TLS, redirects) within the open timeout; its records, the
    open one answering the connect (a Socket.IO one when its namespace connects)."""
    if connection.attempt:
        try:
            claimed = await reconnect.wait_and_claim(connection)
        except DomainError as exc:
            await connection.fail(
                Failure(FailureKind.PROTOCOL, f"Could not reconnect: {exc.detail}"), {}
            )
            return False
        if claimed is None:
            connection.ended = True
            return False
        connection.request = claimed
        connection.masker = Masker(claimed.get("redact") or ()) if claimed.get("shown") else None
    request = connection.request
    if request.get("contract"):
        # A big contract takes milliseconds to compile: not on the loop every session shares.
        connection.contract = await asyncio.to_thread(compiled, request["contract"])
    # What the record shows: the request with secrets as ••••, when any was substituted.
    shown = request.get("shown") or request
    connecting = connection.record(
        "connecting",
        text=f"Connecting to {shown['url']}",
        info={"url": shown["url"], "subprotocols": shown["subprotocols"]},
    )
    await connection.emit(connecting)
    conn_settings = request["settings"]
    timeout = float(conn_settings["open_timeout"])
    planned: dict[str, Any] = {
        "request_url": shown["url"],
        "request_headers": [list(pair) for pair in shown["headers"]],
        "request_cookies": [list(pair) for pair in shown["cookies"]],
        "subprotocols_offered": list(shown["subprotocols"]),
    }

    def request_sent(url: str, sent_headers: list[list[str]]) -> None:
        # A server answered: the failure record shows what was really sent to it.
        planned["request_headers"] = _shown_headers(connection, sent_headers)
        planned["request_url"] = _shown_url(connection, url)

    relay = connection.relay
    try:
        async with asyncio.timeout(timeout):
            ws, final_url, sent = await open_upstream(
                request,
                resolver=relay.resolver,
                policy=relay.policy,
                request_sent=request_sent,
            )
    except Failure as failure:
        await connection.fail(failure, planned)
        return False
    except TimeoutError:
        timed_out = Failure(
            FailureKind.TIMEOUT,
            f"No answer to the WebSocket handshake within {timeout:g} s (open_timeout).",
        )
        await connection.fail(timed_out, planned)
        return False
    sent_headers = sent if sent is not None else planned["request_headers"]
    connection.ws = ws
    connection.opened_at = asyncio.get_running_loop().time()
    connection.control.attach(ws)
    response = ws.response
    remote = ws.remote_address
    remote_text = f"{remote[0]}:{remote[1]}" if remote else ""
    extensions = response.headers.get_all("Sec-WebSocket-Extensions") if response else []
    subprotocol = ws.subprotocol or ""
    final_url = _shown_url(connection, final_url)
    opened = connection.record(
        "open",
        text=f"Connected to {final_url}"
        + (f" with subprotocol {subprotocol}" if subprotocol else ""),
        info={
            "status": response.status_code if response else 101,
            "subprotocol": subprotocol or None,
            "extensions": extensions,
            "remote_address": remote_text,
        },
    )
    logger.info("Session %s connection %s open", connection.session_id, connection.number)
    opened.state = SessionState.OPEN
    opened.session_update = {"state": SessionState.OPEN}
    opened.connection_update = {
        **planned,
        "request_url": final_url,
        "request_headers": _shown_headers(connection, sent_headers),
        "opened_at": opened.created_at,
        "remote_address": remote_text,
        "response_status": response.status_code if response else 101,
        "response_headers": raw_headers(response.headers) if response else [],
        "subprotocol": subprotocol,
        "extensions": extensions,
    }
    if request.get("socketio"):
        # Answered when the namespace connects (sessions.relay.socketio).
        connection.sio = SocketIOLink(connection, request["socketio"])
    elif connection.connect_reply:
        channel, ref = connection.connect_reply
        opened.replies = [(channel, reply(ref, True, state=SessionState.OPEN))]
    await connection.emit(opened)
    return True


def _shown_url(connection: UpstreamConnection, url: str) -> str:
    """A URL for the record: the masked request URL, or a redirect target searched."""
    if connection.masker is None:
        return url
    if url == connection.request["url"] and connection.request.get("shown"):
        return str(connection.request["shown"]["url"])
    return str(connection.masker.text(url))


def _shown_headers(connection: UpstreamConnection, sent: list[list[str]]) -> list[list[str]]:
    """Header pairs for the record: those a secret went into masked."""
    if connection.masker is None:
        return sent
    shown = connection.request.get("shown") or connection.request
    return shown_pairs(sent, connection.request["headers"], shown["headers"], connection.masker)
