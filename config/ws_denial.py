"""The ASGI WebSocket Denial Response under Daphne: an application may refuse a handshake with
an HTTP response of its choosing (``websocket.http.response.start`` with a status and headers,
then ``websocket.http.response.body``), as the ASGI spec's ``websocket.http.response``
extension describes.

Daphne 4 does not implement the extension: closing before accepting is always
``403 Access denied`` with no body. This middleware advertises the extension in the scope and,
once the response body is complete, fails the handshake the way Daphne's own ``serverReject``
does, except with the application's status, headers and body (written by the connection's
autobahn protocol, whose ``sendHttpErrorResponse`` it replaces for this connection only). Under
any other server the scope is left as it is (an ASGI server that has the extension says so).
"""

from __future__ import annotations

import functools
from http import HTTPStatus
from typing import Any

from config.ws_backpressure import daphne_protocol


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Refused"


def _error_response(
    protocol: Any,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    code: int,
    reason: str,
    responseHeaders: Any = None,
) -> None:
    lines = [f"HTTP/1.1 {code} {reason}".encode("latin-1")]
    for name, value in headers:
        if name.lower() not in (b"content-length", b"connection"):
            lines.append(name + b": " + value)
    lines += [b"Content-Length: " + str(len(body)).encode(), b"Connection: close", b"", b""]
    protocol.sendData(b"\r\n".join(lines) + body)


def _deny(protocol: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    from autobahn.websocket.types import ConnectionDeny

    deferred = getattr(protocol, "handshake_deferred", None)
    if deferred is None or protocol.state != protocol.STATE_CONNECTING:
        return
    protocol.sendHttpErrorResponse = functools.partial(_error_response, protocol, headers, body)
    del protocol.handshake_deferred
    protocol.server.protocol_disconnected(protocol)
    deferred.errback(ConnectionDeny(code=status, reason=_reason(status)))


class WebSocketDenialResponse:
    """ASGI middleware for the ``websocket`` scope; it needs Daphne's own ``send`` (or one that
    passes it on unchanged), so it goes outside any middleware that wraps ``send``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        protocol = daphne_protocol(send, scope) if scope.get("type") == "websocket" else None
        if protocol is None:
            return await self.inner(scope, receive, send)
        extensions = {**(scope.get("extensions") or {}), "websocket.http.response": {}}
        scope = {**scope, "extensions": extensions}
        response: dict[str, Any] = {}

        async def denying_send(message: dict[str, Any]) -> None:
            kind = message.get("type")
            if kind == "websocket.http.response.start":
                response.update(
                    status=int(message["status"]),
                    headers=[(bytes(k), bytes(v)) for k, v in message.get("headers", [])],
                    body=b"",
                )
                return
            if kind == "websocket.http.response.body":
                if not response:
                    raise ValueError("websocket.http.response.body before its start")
                response["body"] += bytes(message.get("body", b""))
                if not message.get("more_body", False):
                    _deny(protocol, response["status"], response["headers"], response["body"])
                return
            await send(message)

        return await self.inner(scope, receive, denying_send)
