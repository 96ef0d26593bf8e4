"""The scheme of every HTTP request and WebSocket (``http``/``https``, ``ws``/``wss``) in the ASGI
scope, decided by ``TRUST_X_FORWARDED_PROTO`` alone.

Daphne run with ``--proxy-headers`` (as in docker-compose.yml, for the client address) also
copies ``X-Forwarded-Proto`` into the scope's scheme as sent: any text, and believed whatever
the setting says. Django falls back to that scheme when it does not read the header itself, and
the WebSocket origin check reads it, so it is put right here, once, for both:

- trusted: the header's first value is ``https`` → secure; any other value → plain (Django's
  own rule for ``SECURE_PROXY_SSL_HEADER``, so the two always agree); no header → the
  transport's scheme;
- not trusted: a request that carries the header is plain (its scheme may be a copy of it);
  otherwise the transport's scheme. Daphne never terminates TLS in a Switchboard deployment:
  the proxy in front of it does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

_SCHEMES = {"http": ("http", "https"), "websocket": ("ws", "wss")}


def forwarded_proto(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The first value of the request's (first) X-Forwarded-Proto header, or None."""
    for name, value in headers:
        if name.lower() == b"x-forwarded-proto":
            return value.decode("latin-1").split(",", 1)[0].strip()
    return None


def connection_scheme(scope: dict[str, Any], *, trusted: bool) -> str:
    """The scheme of the connection in ``scope`` (an HTTP or WebSocket one), by the rules above."""
    plain, secure = _SCHEMES[scope["type"]]
    claimed = forwarded_proto(scope.get("headers", []))
    if claimed is not None:
        return secure if trusted and claimed == "https" else plain
    return secure if scope.get("scheme") in {"https", "wss"} else plain


class ForwardedProto:
    """ASGI middleware: every HTTP and WebSocket scope gets the scheme ``connection_scheme`` says;
    ``receive`` and ``send`` pass on unchanged (Daphne's own, for the socket middleware)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in _SCHEMES:
            scheme = connection_scheme(scope, trusted=settings.TRUST_X_FORWARDED_PROTO)
            scope = {**scope, "scheme": scheme}
        return await self.inner(scope, receive, send)
