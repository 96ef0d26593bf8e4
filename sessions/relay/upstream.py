"""One upstream WebSocket connection held by a relay: handshake, reading, sending, closing.

Each connection is one task that opens the connection (egress check, handshake, redirects
when allowed) and then reads frames until the connection ends. Every step becomes a log
record with the next sequence number of the session.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import urllib.parse
from collections import OrderedDict
from collections.abc import Awaitable, Coroutine
from typing import Any, Protocol

import websockets
from django.conf import settings
from websockets.asyncio import client as ws_client
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
)
from websockets.protocol import State
from websockets.uri import parse_uri

from sessions.errors import EgressDenied
from sessions.masking import Masker, shown_pairs
from sessions.models import ClosedBy, FailureKind, SessionState
from sessions.relay import egress
from sessions.relay.egress import EgressPolicy, Resolver
from sessions.relay.protocol import reply
from sessions.relay.store import Record, SessionLog, message_fields

logger = logging.getLogger("switchboard.relay")
# The websockets library logs handshake headers and frame contents at DEBUG; for upstream
# connections those carry users' tokens and secrets, so its logger for them never goes below
# INFO, whatever LOG_LEVEL says (the session log is where frames and headers are kept).
upstream_logger = logging.getLogger("switchboard.relay.upstream")
upstream_logger.setLevel(max(upstream_logger.level, logging.INFO))

USER_AGENT = f"Switchboard (websockets/{websockets.version.version})"
CLOSE_TIMEOUT = 5.0
REFUSED_BODY_BYTES = 4096
_REDIRECT_STATUSES = frozenset({300, 301, 302, 303, 307, 308})
_CLOSE_NAMES = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no status",
    1006: "abnormal closure, no close frame",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS handshake failure",
}
_SSL_CONTEXTS: OrderedDict[tuple[bool, str], ssl.SSLContext] = OrderedDict()


def ssl_context(verify: bool, ca_pem: str) -> ssl.SSLContext:
    """A TLS context for wss://, shared by connections with the same trust (contexts are big)."""
    key = (verify, ca_pem if verify else "")
    context = _SSL_CONTEXTS.get(key)
    if context is not None:
        _SSL_CONTEXTS.move_to_end(key)
        return context
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        if settings.UPSTREAM_CA_BUNDLE:
            context.load_verify_locations(cafile=settings.UPSTREAM_CA_BUNDLE)
        if ca_pem:
            context.load_verify_locations(cadata=ca_pem)
    _SSL_CONTEXTS[key] = context
    while len(_SSL_CONTEXTS) > 32:
        _SSL_CONTEXTS.popitem(last=False)
    return context


def close_description(code: int, reason: str) -> str:
    name = _CLOSE_NAMES.get(code)
    text = f"{code} ({name})" if name else str(code)
    return f"{text}: {reason}" if reason else text


class Failure(Exception):
    """A connection attempt that failed, with what the relay learned about it."""

    def __init__(self, kind: str, detail: str, response: Any = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.response = response


class _Attempt(ws_client.connect):
    """One handshake with one checked address; redirects come back to be checked first."""

    attempt: ws_client.ClientConnection | None = None

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc

    async def open_tcp_connection(self) -> ws_client.ClientConnection:
        self.attempt = await super().open_tcp_connection()
        return self.attempt


def _raw_headers(headers: Any) -> list[list[str]]:
    return [[name, value] for name, value in headers.raw_items()]


class RelayLink(Protocol):
    """What an upstream connection needs from the relay holding it (``server.Relay``)."""

    @property
    def resolver(self) -> Resolver | None: ...

    @property
    def policy(self) -> EgressPolicy: ...

    def enqueue(self, record: Record) -> Awaitable[None]: ...

    async def reply(self, channel: str | None, message: dict[str, Any]) -> None: ...

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]: ...

    def connection_ended(self, connection: UpstreamConnection) -> None: ...


class UpstreamConnection:
    __slots__ = (
        "cancel_reason",
        "close_intent",
        "close_replies",
        "connect_reply",
        "ended",
        "log",
        "masker",
        "number",
        "relay",
        "request",
        "send_lock",
        "session_id",
        "task",
        "ws",
    )

    def __init__(
        self,
        *,
        relay: RelayLink,
        session_id: int,
        number: int,
        request: dict[str, Any],
        log: SessionLog,
        connect_reply: tuple[str, Any] | None,
    ) -> None:
        self.relay = relay
        self.session_id = session_id
        self.number = number
        self.request = request
        self.log = log
        self.connect_reply = connect_reply
        self.ws: ws_client.ClientConnection | None = None
        self.task: asyncio.Task[None] | None = None
        self.send_lock: asyncio.Lock | None = None
        self.close_intent: tuple[str, int, str] | None = None
        self.cancel_reason: tuple[str, str, str] | None = None
        self.close_replies: list[tuple[str, dict[str, Any]]] = []
        self.ended = False
        # Spellings of the secret values sent on this connection (handshake, then each send
        # that substituted one); None for the usual connection without secrets.
        self.masker: Masker | None = (
            Masker(request.get("redact") or ()) if request.get("shown") else None
        )

    # --- records ------------------------------------------------------------------------

    def record(self, kind: str, **fields: Any) -> Record:
        """A new log entry with the session's next sequence number."""
        self.log.last_seq += 1
        return Record(self.session_id, self.log.last_seq, self.number, kind, **fields)

    async def emit(self, record: Record) -> None:
        await self.relay.enqueue(record)

    # --- lifecycle ----------------------------------------------------------------------

    async def run(self) -> None:
        try:
            try:
                opened = await self._open()
            except asyncio.CancelledError:
                if self.cancel_reason is None:
                    raise
                kind, detail, by = self.cancel_reason
                await self._fail(Failure(kind, detail), {}, state=SessionState.CLOSED, by=by)
                return
            if opened:
                await self._read()
        except Exception:
            logger.exception("Relay connection of session %s crashed", self.session_id)
            if self.ws is not None:
                self.ws.transport.abort()
            if not self.ended:
                await self._fail(Failure(FailureKind.RELAY, "The relay hit an internal error."), {})
        finally:
            self.ended = True
            self.relay.connection_ended(self)

    async def _open(self) -> bool:
        request = self.request
        url = request["url"]
        # What the record shows: the request with secrets as ••••, when any was substituted.
        shown = request.get("shown") or request
        connecting = self.record(
            "connecting",
            text=f"Connecting to {shown['url']}",
            info={"url": shown["url"], "subprotocols": shown["subprotocols"]},
        )
        await self.emit(connecting)
        conn_settings = request["settings"]
        timeout = float(conn_settings["open_timeout"])
        planned = {
            "request_url": shown["url"],
            "request_headers": [list(pair) for pair in shown["headers"]],
            "request_cookies": [list(pair) for pair in shown["cookies"]],
            "subprotocols_offered": list(shown["subprotocols"]),
        }
        try:
            async with asyncio.timeout(timeout):
                ws, final_url, sent_headers = await self._handshake(url, planned)
        except Failure as failure:
            await self._fail(failure, planned)
            return False
        except TimeoutError:
            failure = Failure(
                FailureKind.TIMEOUT,
                f"No answer to the WebSocket handshake within {timeout:g} s (open_timeout).",
            )
            await self._fail(failure, planned)
            return False
        self.ws = ws
        response = ws.response
        remote = ws.remote_address
        remote_text = f"{remote[0]}:{remote[1]}" if remote else ""
        extensions = response.headers.get_all("Sec-WebSocket-Extensions") if response else []
        subprotocol = ws.subprotocol or ""
        final_url = self._shown_url(final_url)
        opened = self.record(
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
        opened.state = SessionState.OPEN
        opened.session_update = {"state": SessionState.OPEN}
        opened.connection_update = {
            **planned,
            "request_url": final_url,
            "request_headers": self._shown_headers(sent_headers),
            "opened_at": opened.created_at,
            "remote_address": remote_text,
            "response_status": response.status_code if response else 101,
            "response_headers": _raw_headers(response.headers) if response else [],
            "subprotocol": subprotocol,
            "extensions": extensions,
        }
        if self.connect_reply:
            channel, ref = self.connect_reply
            opened.replies = [(channel, reply(ref, True, state=SessionState.OPEN))]
        await self.emit(opened)
        return True

    async def _handshake(
        self, url: str, planned: dict[str, Any]
    ) -> tuple[ws_client.ClientConnection, str, list[list[str]]]:
        request = self.request
        conn_settings = request["settings"]
        headers = [tuple(pair) for pair in request["headers"]]
        has_user_agent = any(name.lower() == "user-agent" for name, _ in headers)
        max_size = min(int(conn_settings["max_message_size"]), settings.SESSION_MAX_MESSAGE_SIZE)
        ping = float(conn_settings["ping_interval"]) or None
        relay = self.relay
        current = url
        hops = 0
        while True:
            try:
                uri = parse_uri(current)
            except InvalidURI as exc:
                raise Failure(FailureKind.PROTOCOL, f"Invalid URL {current}: {exc}") from None
            try:
                targets = await egress.resolve(uri.host, uri.port, relay.resolver)
            except (socket.gaierror, UnicodeError) as exc:
                reason = getattr(exc, "strerror", None) or str(exc)
                raise Failure(FailureKind.DNS, f"Could not resolve {uri.host}: {reason}.") from None
            try:
                egress.check(uri.host, targets, relay.policy)
            except EgressDenied as exc:
                raise Failure(FailureKind.EGRESS, str(exc)) from None
            failure: Failure | None = None
            redirect_to: str | None = None
            for target in targets:
                kwargs: dict[str, Any] = {}
                if uri.secure:
                    kwargs["ssl"] = ssl_context(
                        bool(conn_settings["verify_tls"]), request.get("ca_pem") or ""
                    )
                attempt = _Attempt(
                    current,
                    host=target.address,
                    port=target.port,
                    proxy=None,
                    additional_headers=headers,
                    user_agent_header=None if has_user_agent else USER_AGENT,
                    subprotocols=request["subprotocols"] or None,
                    compression="deflate" if settings.UPSTREAM_COMPRESSION else None,
                    open_timeout=None,
                    ping_interval=ping,
                    ping_timeout=ping,
                    close_timeout=CLOSE_TIMEOUT,
                    max_size=max_size,
                    logger=upstream_logger,
                    **kwargs,
                )
                try:
                    ws = await attempt
                except InvalidStatus as exc:
                    response = exc.response
                    self._note_request(attempt, planned)
                    location = response.headers.get("Location")
                    if response.status_code in _REDIRECT_STATUSES and location:
                        redirect_to = urllib.parse.urljoin(current, location)
                        if hops >= settings.UPSTREAM_MAX_REDIRECTS:
                            raise Failure(
                                FailureKind.REDIRECT,
                                f"The server redirected ({response.status_code}) to "
                                f"{redirect_to}; redirects are not followed "
                                f"(UPSTREAM_MAX_REDIRECTS={settings.UPSTREAM_MAX_REDIRECTS}).",
                                response,
                            ) from None
                        break
                    raise Failure(
                        FailureKind.HANDSHAKE,
                        f"The server refused the WebSocket handshake: HTTP "
                        f"{response.status_code} {response.reason_phrase}.",
                        response,
                    ) from None
                except ssl.SSLCertVerificationError as exc:
                    raise Failure(
                        FailureKind.TLS,
                        f"TLS certificate of {uri.host} not trusted: "
                        f"{exc.verify_message or exc.reason}. Turn verify_tls off or add the "
                        "CA to the project's CA bundle.",
                    ) from None
                except ssl.SSLError as exc:
                    raise Failure(
                        FailureKind.TLS, f"TLS handshake with {uri.host} failed: {exc.reason}."
                    ) from None
                except ConnectionRefusedError:
                    failure = Failure(
                        FailureKind.REFUSED,
                        f"Connection refused by {target.address} port {target.port}.",
                    )
                    continue
                except TimeoutError:
                    raise
                except OSError as exc:
                    failure = Failure(
                        FailureKind.NETWORK,
                        f"Could not reach {target.address} port {target.port}: "
                        f"{exc.strerror or exc}.",
                    )
                    continue
                except InvalidHandshake as exc:
                    self._note_request(attempt, planned)
                    cause = f" ({exc.__cause__})" if exc.__cause__ else ""
                    raise Failure(
                        FailureKind.PROTOCOL,
                        f"The server's answer is not a valid WebSocket handshake: {exc}{cause}.",
                    ) from None
                sent = attempt.attempt.request if attempt.attempt else None
                sent_headers = _raw_headers(sent.headers) if sent else planned["request_headers"]
                return ws, current, sent_headers
            if redirect_to is None:
                raise failure or Failure(FailureKind.NETWORK, f"Could not reach {uri.host}.")
            new_uri = parse_uri(redirect_to)
            if uri.secure and not new_uri.secure:
                raise Failure(
                    FailureKind.REDIRECT,
                    f"The server redirected from wss:// to {redirect_to}; "
                    "a redirect may not drop TLS.",
                )
            if (uri.host, uri.port, uri.secure) != (new_uri.host, new_uri.port, new_uri.secure):
                # Credentials stay with the origin they were written for.
                headers = [
                    (name, value)
                    for name, value in headers
                    if name.lower() not in ("authorization", "cookie", "proxy-authorization")
                ]
            hops += 1
            current = redirect_to

    def _note_request(self, attempt: _Attempt, planned: dict[str, Any]) -> None:
        sent = attempt.attempt.request if attempt.attempt else None
        if sent is not None:
            planned["request_headers"] = self._shown_headers(_raw_headers(sent.headers))
            planned["request_url"] = self._shown_url(attempt.uri)

    def _shown_url(self, url: str) -> str:
        """A URL for the record: the masked request URL, or a redirect target searched."""
        if self.masker is None:
            return url
        if url == self.request["url"] and self.request.get("shown"):
            return str(self.request["shown"]["url"])
        return self.masker.text(url)

    def _shown_headers(self, sent: list[list[str]]) -> list[list[str]]:
        if self.masker is None:
            return sent
        shown = self.request.get("shown") or self.request
        return shown_pairs(sent, self.request["headers"], shown["headers"], self.masker)

    async def _fail(
        self,
        failure: Failure,
        planned: dict[str, Any],
        *,
        state: str = SessionState.FAILED,
        by: str = "",
    ) -> None:
        self.ended = True
        masker = self.masker
        detail = masker.text(failure.detail) if masker else failure.detail
        info: dict[str, Any] = {"kind": failure.kind, "detail": detail}
        update: dict[str, Any] = {
            **planned,
            "failure_kind": failure.kind,
            "failure_detail": detail,
            "closed_by": by,
        }
        response = failure.response
        if response is not None:
            body = bytes(response.body or b"")
            headers = _raw_headers(response.headers)
            if masker:
                # A refused handshake may echo the credentials it refused; masked before the
                # cut, so no half of a secret is kept.
                body, headers = masker.data(body), masker.pairs(headers)
            text_body = body[:REFUSED_BODY_BYTES].decode("utf-8", errors="replace")
            info["status"] = response.status_code
            update.update(
                response_status=response.status_code,
                response_headers=headers,
                response_body=text_body,
            )
        record = self.record("error", text=detail, info=info)
        update["ended_at"] = record.created_at
        record.state = state
        record.session_update = {"state": state, "relay_id": None, "relay_channel": ""}
        record.connection_update = update
        record.final = True
        replies = list(self.close_replies)
        if self.connect_reply:
            channel, ref = self.connect_reply
            code = "egress_denied" if failure.kind == FailureKind.EGRESS else "connect_failed"
            replies.append(
                (
                    channel,
                    reply(
                        ref,
                        False,
                        code=code,
                        kind=failure.kind,
                        detail=detail,
                        state=state,
                    ),
                )
            )
        record.replies = replies or None
        await self.emit(record)

    async def _read(self) -> None:
        ws = self.ws
        assert ws is not None
        cap = settings.SESSION_STORED_BYTES_PER_FRAME
        put = self.relay.enqueue
        log = self.log
        session_id, number = self.session_id, self.number
        # Storing slows a flooding upstream down (backpressure) but would fill the disk.
        received, received_limit = 0, settings.SESSION_MAX_RECEIVED_BYTES
        try:
            while True:
                message = await ws.recv()
                opcode, size, text, data, truncated = message_fields(message, cap)
                log.last_seq += 1
                record = Record(session_id, log.last_seq, number, "received", "in", opcode)
                # Read per frame: a send may add secrets after the connection opened.
                masker = self.masker
                if masker is not None:
                    masked = masker.message(message)
                    if masked is not message:
                        # The upstream sent back a secret (an echo): store it masked, keep
                        # the real size.
                        _, _, text, data, truncated = message_fields(masked, cap)
                        record.info = {"masked": True}
                record.size, record.text, record.data, record.truncated = (
                    size,
                    text,
                    data,
                    truncated,
                )
                await put(record)
                received += size
                if received > received_limit:
                    await self._close_over_limit(received_limit)
        except ConnectionClosed:
            pass
        await self._closed()

    async def _close_over_limit(self, limit: int) -> None:
        """Close with 1008 and drain what is still in flight, unlogged, until it is closed."""
        ws = self.ws
        assert ws is not None
        reason = (
            f"more than {limit / 1048576:g} MiB received on this connection "
            "(SESSION_MAX_RECEIVED_BYTES)"
        )
        self.relay.spawn(self.close(by=ClosedBy.RELAY, code=1008, reason=reason))
        while True:
            await ws.recv()  # ends with ConnectionClosed once the close completes

    async def _closed(self) -> None:
        ws = self.ws
        assert ws is not None
        protocol = ws.protocol
        rcvd, sent = protocol.close_rcvd, protocol.close_sent
        if self.close_intent is not None:
            by, code, reason = self.close_intent
            if sent is not None:
                code, reason = sent.code, sent.reason
            elif rcvd is not None:
                code, reason = rcvd.code, rcvd.reason
        elif rcvd is not None and (sent is None or protocol.close_rcvd_then_sent):
            by, code, reason = ClosedBy.UPSTREAM, rcvd.code, rcvd.reason
        elif sent is not None:
            # websockets failed the connection itself (message too big, ping timeout...).
            by, code, reason = ClosedBy.RELAY, sent.code, sent.reason
        else:
            by, code, reason = ClosedBy.NETWORK, 1006, ""
        if by == ClosedBy.NETWORK and ws.connection_exc is not None:
            reason = str(ws.connection_exc) or type(ws.connection_exc).__name__
        if self.masker is not None:
            reason = self.masker.text(reason)
        who = {
            ClosedBy.CLIENT: "Closed by you",
            ClosedBy.UPSTREAM: "Closed by the server",
            ClosedBy.RELAY: "Closed by Switchboard",
            ClosedBy.NETWORK: "Connection lost without a close frame",
        }[by]
        info: dict[str, Any] = {"code": code, "reason": reason, "by": by}
        if rcvd is not None:
            info["received"] = {"code": rcvd.code, "reason": rcvd.reason}
        if sent is not None:
            info["sent"] = {"code": sent.code, "reason": sent.reason}
        if self.masker is not None:
            info = self.masker.value(info)
        record = self.record("closed", text=f"{who}: {close_description(code, reason)}", info=info)
        record.state = SessionState.CLOSED
        record.session_update = {
            "state": SessionState.CLOSED,
            "relay_id": None,
            "relay_channel": "",
        }
        record.connection_update = {
            "close_code": code,
            "close_reason": reason[:500],
            "closed_by": by,
            "ended_at": record.created_at,
        }
        record.final = True
        record.replies = list(self.close_replies) or None
        self.ended = True
        await self.emit(record)

    # --- commands -----------------------------------------------------------------------

    async def send(
        self,
        opcode: str,
        payload: str | bytes,
        reply_to: str,
        ref: Any,
        masked: dict[str, Any] | None = None,
    ) -> None:
        """Send one frame and log it; ``masked`` (``text``, ``format``, ``redact``) is given
        when a secret was substituted into the body: the log keeps that text instead."""
        if self.send_lock is None:
            self.send_lock = asyncio.Lock()
        async with self.send_lock:
            ws = self.ws
            if ws is None or ws.state is not State.OPEN or self.close_intent or self.ended:
                await self.relay.reply(
                    reply_to,
                    reply(ref, False, code="not_connected", detail="The connection is not open."),
                )
                return
            if opcode == "text" and isinstance(payload, bytes):
                payload = payload.decode("utf-8")
            elif opcode == "binary" and isinstance(payload, str):
                payload = payload.encode("utf-8")
            kind, size, text, data, truncated = message_fields(
                payload, settings.SESSION_STORED_BYTES_PER_FRAME
            )
            info: dict[str, Any] | None = None
            if masked is not None:
                # The body as written with secrets as ••••, and the real wire size. For a
                # binary frame that is its Base64/hex source text: its bytes hold the secret.
                _, _, text, data, truncated = message_fields(
                    masked["text"], settings.SESSION_STORED_BYTES_PER_FRAME
                )
                info = {"masked": True, "format": masked.get("format")}
                if self.masker is None:
                    self.masker = Masker()
                # An echo of this secret is masked too.
                self.masker.add(masked.get("redact") or ())
            # Numbered before it is written, so an echo can never be logged ahead of it.
            record = self.record(
                "sent",
                direction="out",
                opcode=kind,
                size=size,
                text=text,
                data=data,
                truncated=truncated,
                info=info,
            )
            record.replies = [
                (
                    reply_to,
                    reply(
                        ref,
                        True,
                        seq=record.seq,
                        connection=self.number,
                        opcode=kind,
                        size=size,
                        truncated=truncated,
                        timestamp=record.created_at.isoformat().replace("+00:00", "Z"),
                    ),
                )
            ]
            await self.emit(record)
            try:
                await ws.send(payload)
            except ConnectionClosed:
                if not self.ended:
                    await self.emit(
                        self.record(
                            "error",
                            text="The connection closed while a message was being sent; "
                            "it may not have reached the server.",
                            info={"kind": "send_failed", "seq": record.seq},
                        )
                    )

    async def close(
        self,
        *,
        by: str,
        code: int,
        reason: str,
        reply_to: str | None = None,
        ref: Any = None,
    ) -> None:
        if reply_to:
            self.close_replies.append((reply_to, reply(ref, True)))
        if self.ws is None:
            if self.task is not None and not self.task.done():
                kind = FailureKind.CANCELLED if by == ClosedBy.CLIENT else FailureKind.RELAY
                detail = (
                    "Disconnected while connecting."
                    if by == ClosedBy.CLIENT
                    else f"Switchboard stopped the connection attempt: {reason}."
                )
                self.cancel_reason = (kind, detail, by)
                self.task.cancel()
            return
        if self.close_intent is None:
            self.close_intent = (by, code, reason)
        await self.ws.close(code, reason)

    def abort(self) -> None:
        """Drop the connection without a close handshake (the relay lost the session)."""
        self.ended = True
        if self.ws is not None:
            self.ws.transport.abort()
        elif self.task is not None:
            self.task.cancel()
