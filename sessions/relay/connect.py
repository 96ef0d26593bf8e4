"""Opening an upstream connection: resolve and check every address against the egress policy,
TLS, the WebSocket handshake, and redirects (each target checked before it is connected to).

``open_upstream`` returns the open connection or raises ``Failure`` saying what went wrong;
``upstream.UpstreamConnection`` turns either into log records.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import websockets
from django.conf import settings
from websockets.asyncio import client as ws_client
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.http11 import Response
from websockets.uri import parse_uri

from sessions import certificates
from sessions.errors import EgressDenied
from sessions.models import FailureKind
from sessions.relay import egress
from sessions.relay.control import ObservedConnection
from sessions.relay.egress import EgressPolicy, Resolver
from sessions.relay.timed_socket import TimedSocket, timed_socket

# The websockets library logs handshake headers and frame contents at DEBUG; for upstream
# connections those carry users' tokens and secrets, so its logger for them never goes below
# INFO, whatever LOG_LEVEL says (the session log is where frames and headers are kept).
upstream_logger = logging.getLogger("switchboard.relay.upstream")
upstream_logger.setLevel(max(upstream_logger.level, logging.INFO))

USER_AGENT = f"Switchboard (websockets/{websockets.version.version})"
CLOSE_TIMEOUT = 5.0
_REDIRECT_STATUSES = frozenset({300, 301, 302, 303, 307, 308})
# Headers that carry credentials: they stay with the origin they were written for.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_SSL_CONTEXTS: OrderedDict[tuple[bool, str, str], ssl.SSLContext] = OrderedDict()

# Called with the URL and the headers actually sent, once a server answered a handshake.
RequestSent = Callable[[str, list[list[str]]], None]


class Failure(Exception):
    """A connection attempt that failed, with what the relay learned about it."""

    def __init__(self, kind: str, detail: str, response: Response | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.response = response


def ssl_context(verify: bool, ca_pem: str, sealed_certificate: str = "") -> ssl.SSLContext:
    """A TLS context for wss://, shared by connections with the same trust and client
    certificate (contexts are big). ``sealed_certificate``: a client certificate and key as
    sessions.certificates seals them, presented when the server asks for one."""
    key = (verify, ca_pem if verify else "", sealed_certificate)
    context = _SSL_CONTEXTS.get(key)
    if context is not None:
        _SSL_CONTEXTS.move_to_end(key)
        return context
    context = ssl.create_default_context()
    if sealed_certificate:
        certificates.load_into(context, sealed_certificate)
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


def offers_compression(conn_settings: dict[str, Any]) -> bool:
    """Whether the handshake offers permessage-deflate: the connection setting ``compression``
    ("deflate" or "off"), or the server-wide UPSTREAM_COMPRESSION when it says "default"."""
    choice = conn_settings.get("compression") or "default"
    if choice == "default":
        return bool(settings.UPSTREAM_COMPRESSION)
    return bool(choice == "deflate")


def raw_headers(headers: Headers) -> list[list[str]]:
    """Headers as stored: ``[name, value]`` rows in the order and spelling of the wire."""
    return [[name, value] for name, value in headers.raw_items()]


class _Attempt(ws_client.connect):
    """One handshake with one checked address; redirects come back to be checked first."""

    attempt: ws_client.ClientConnection | None = None

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc

    async def open_tcp_connection(self) -> ws_client.ClientConnection:
        # Our own socket, so that what it reads is timed by the kernel (timed_socket).
        kwargs = self.create_connection_kwargs
        loop = asyncio.get_running_loop()
        # The checked address, numeric: its socket address (an IPv6 scope included).
        family, _, _, _, address = (
            await loop.getaddrinfo(
                kwargs["host"],
                kwargs["port"],
                type=socket.SOCK_STREAM,
                proto=socket.IPPROTO_TCP,
                flags=socket.AI_NUMERICHOST,
            )
        )[0]
        sock = timed_socket(family)
        try:
            await loop.sock_connect(sock, address)
            self.create_connection_kwargs = {
                **{k: v for k, v in kwargs.items() if k not in ("host", "port")},
                "sock": sock,
            }
            self.attempt = await super().open_tcp_connection()
        except BaseException:
            sock.close()
            raise
        finally:
            self.create_connection_kwargs = kwargs
        if isinstance(self.attempt, ObservedConnection) and isinstance(sock, TimedSocket):
            self.attempt.timed_socket = sock
        return self.attempt

    def sent_headers(self) -> list[list[str]] | None:
        """The handshake request's headers as sent, once the TCP connection carried one."""
        sent = self.attempt.request if self.attempt else None
        return raw_headers(sent.headers) if sent is not None else None


async def open_upstream(
    request: dict[str, Any],
    *,
    resolver: Resolver | None,
    policy: EgressPolicy,
    request_sent: RequestSent,
) -> tuple[ws_client.ClientConnection, str, list[list[str]] | None]:
    """Connect as ``request`` says: the connection, the URL it ended at (after redirects) and
    the handshake headers sent to it. ``request_sent`` hears of every handshake a server
    answered (a refusal or a redirect included), for the failure record."""
    conn_settings = request["settings"]
    headers = [(name, value) for name, value in request["headers"]]
    has_user_agent = any(name.lower() == "user-agent" for name, _ in headers)
    max_size = min(int(conn_settings["max_message_size"]), settings.SESSION_MAX_MESSAGE_SIZE)
    ping = float(conn_settings["ping_interval"]) or None
    current: str = request["url"]
    hops = 0
    while True:
        try:
            uri = parse_uri(current)
        except InvalidURI as exc:
            raise Failure(FailureKind.PROTOCOL, f"Invalid URL {current}: {exc}") from None
        try:
            targets = await egress.resolve(uri.host, uri.port, resolver)
        except (socket.gaierror, UnicodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise Failure(FailureKind.DNS, f"Could not resolve {uri.host}: {reason}.") from None
        try:
            egress.check(uri.host, targets, policy)
        except EgressDenied as exc:
            raise Failure(FailureKind.EGRESS, str(exc)) from None
        unreachable: Failure | None = None
        redirect_to: str | None = None
        for target in targets:
            attempt = _Attempt(
                current,
                host=target.address,
                port=target.port,
                proxy=None,
                additional_headers=headers,
                user_agent_header=None if has_user_agent else USER_AGENT,
                subprotocols=request["subprotocols"] or None,
                compression="deflate" if offers_compression(conn_settings) else None,
                create_connection=ObservedConnection,
                open_timeout=None,
                ping_interval=ping,
                ping_timeout=ping,
                close_timeout=CLOSE_TIMEOUT,
                max_size=max_size,
                logger=upstream_logger,
                ssl=(
                    ssl_context(
                        bool(conn_settings["verify_tls"]),
                        request.get("ca_pem") or "",
                        _certificate_for(request, uri.host, uri.port),
                    )
                    if uri.secure
                    else None
                ),
            )
            try:
                ws = await attempt
            except InvalidStatus as exc:
                response = exc.response
                _tell_sent(attempt, request_sent)
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
                    FailureKind.TLS,
                    f"TLS handshake with {uri.host} failed: {exc.reason}."
                    + (
                        _client_certificate_hint(request, uri.host, uri.port)
                        if _about_client_certificate(exc)
                        else ""
                    ),
                ) from None
            except ConnectionRefusedError:
                unreachable = Failure(
                    FailureKind.REFUSED,
                    f"Connection refused by {target.address} port {target.port}.",
                )
                continue
            except TimeoutError:
                raise
            except OSError as exc:
                unreachable = Failure(
                    FailureKind.NETWORK,
                    f"Could not reach {target.address} port {target.port}: {exc.strerror or exc}.",
                )
                continue
            except InvalidHandshake as exc:
                _tell_sent(attempt, request_sent)
                if uri.secure and isinstance(exc.__cause__, EOFError):
                    # With TLS 1.3 a server that refuses the client's certificate (or its
                    # absence) says so after the handshake: the first read finds the stream
                    # closed, with no TLS error to show.
                    raise Failure(
                        FailureKind.TLS,
                        f"{uri.host} closed the connection right after the TLS handshake, "
                        "without answering the WebSocket handshake."
                        + _client_certificate_hint(request, uri.host, uri.port),
                    ) from None
                cause = f" ({exc.__cause__})" if exc.__cause__ else ""
                raise Failure(
                    FailureKind.PROTOCOL,
                    f"The server's answer is not a valid WebSocket handshake: {exc}{cause}.",
                ) from None
            return ws, current, attempt.sent_headers()
        if redirect_to is None:
            raise unreachable or Failure(FailureKind.NETWORK, f"Could not reach {uri.host}.")
        new_uri = parse_uri(redirect_to)
        if uri.secure and not new_uri.secure:
            raise Failure(
                FailureKind.REDIRECT,
                f"The server redirected from wss:// to {redirect_to}; a redirect may not drop TLS.",
            )
        if (uri.host, uri.port, uri.secure) != (new_uri.host, new_uri.port, new_uri.secure):
            headers = _without_credentials(headers)
        hops += 1
        current = redirect_to


def _certificate_for(request: dict[str, Any], host: str, port: int) -> str:
    """The sealed client certificate to offer ``host:port`` (every hop is checked: a redirect
    to another host does not get it), or ""."""
    chosen = request.get("client_certificate")
    if not chosen:
        return ""
    pattern = certificates.parse_host_pattern(chosen["host_pattern"])
    return str(chosen["sealed"]) if pattern.matches(host, port) else ""


# TLS alerts that are about the client certificate, as OpenSSL names them.
_CLIENT_CERTIFICATE_ALERTS = (
    "CERTIFICATE_REQUIRED",
    "HANDSHAKE_FAILURE",
    "UNKNOWN_CA",
    "BAD_CERTIFICATE",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_REVOKED",
    "CERTIFICATE_UNKNOWN",
    "ACCESS_DENIED",
)


def _about_client_certificate(exc: ssl.SSLError) -> bool:
    reason = str(exc.reason or exc).upper()
    return any(alert in reason for alert in _CLIENT_CERTIFICATE_ALERTS)


def _client_certificate_hint(request: dict[str, Any], host: str, port: int) -> str:
    """What a TLS failure may have to do with client certificates (mutual TLS)."""
    chosen = request.get("client_certificate")
    if chosen and _certificate_for(request, host, port):
        return (
            " The server may have refused the client certificate presented "
            f"({chosen['host_pattern']}, SHA-256 {chosen['fingerprint'][:23]}…): is it "
            "issued by a CA the server trusts, and still valid?"
        )
    return (
        " The server may require a client certificate; none of the project's "
        f"certificates matches {host}:{port} (Certificates page)."
    )


def _tell_sent(attempt: _Attempt, request_sent: RequestSent) -> None:
    sent = attempt.sent_headers()
    if sent is not None:
        request_sent(attempt.uri, sent)


def _without_credentials(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if name.lower() not in _CREDENTIAL_HEADERS]
