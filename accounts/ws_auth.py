"""WebSocket authentication shared by every consumer: origin check, then token or login session.

WebSockets authenticate like the API:

- A connection that sends an ``Origin`` header comes from a browser. It is accepted only from
  this server's own origin (the ``Host`` it connected to, which must be in ``ALLOWED_HOSTS``) or
  from an origin listed in ``CSRF_TRUSTED_ORIGINS``; anything else is refused at the handshake
  (HTTP 403), so another site cannot ride a member's login cookie (cross-site WebSocket
  hijacking).
- Scripts and CLI tools send a personal access token, as ``Authorization: Bearer <token>`` or
  ``?token=<token>``, and usually no ``Origin``; they are never turned away for that. A token
  that is unknown, expired or revoked is refused at the handshake.
- Otherwise the login session cookie identifies the user, exactly as for the REST API.

With no credentials at all ``scope["user"]`` is an ``AnonymousUser`` and each consumer decides
(the echo server needs no login; project and session streams close with code 4401).
``scope["auth"]`` says how the user was identified: ``"token"``, ``"session"`` or ``None``.

A socket outlives the check at its handshake, so consumers that stay open call
``credentials_valid`` on their heartbeat and close with 4401 once the token is revoked or
expired, the login session ended, or the user was deactivated.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q
from django.http.request import split_domain_port, validate_host
from django.utils import timezone

from accounts.models import AccessToken
from accounts.tokens import token_lookup

_DEFAULT_PORTS = {"http": "80", "https": "443", "ws": "80", "wss": "443"}


def scope_header(scope: dict[str, Any], name: str) -> str | None:
    """The last value of header ``name`` (lower case) in an ASGI scope, decoded as latin-1."""
    wanted = name.lower().encode("latin-1")
    found = None
    for key, value in scope.get("headers", []):
        if key.lower() == wanted:
            found = value.decode("latin-1")
    return found


def _normal_netloc(scheme: str, netloc: str) -> str:
    """``host[:port]`` in lower case, without the scheme's default port."""
    host, port = split_domain_port(netloc.lower())
    if not host:
        return ""
    if not port or port == _DEFAULT_PORTS.get(scheme):
        return host
    return f"{host}:{port}"


def origin_allowed(scope: dict[str, Any]) -> bool:
    """True for non-browser clients (no Origin) and for this server's own or trusted origins."""
    origin = scope_header(scope, "origin")
    if origin is None:
        return True
    origin = origin.strip()
    trusted = {item.rstrip("/").lower() for item in settings.CSRF_TRUSTED_ORIGINS}
    if origin.rstrip("/").lower() in trusted:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return False  # includes the opaque origin "null" (sandboxed frames, file:// pages)
    host_header = scope_header(scope, "host")
    if not host_header:
        return False
    host_scheme = "https" if scope.get("scheme") in {"wss", "https"} else "http"
    same_origin = _normal_netloc(parts.scheme, parts.netloc) in {
        _normal_netloc(parts.scheme, host_header),
        _normal_netloc(host_scheme, host_header),
    }
    hostname, _ = split_domain_port(host_header.lower())
    return same_origin and validate_host(hostname, settings.ALLOWED_HOSTS)


def token_from_scope(scope: dict[str, Any]) -> str | None:
    """The token a script sent: ``Authorization: Bearer`` wins over ``?token=``."""
    header = scope_header(scope, "authorization")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() == "bearer":
            return secret.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    values = query.get("token")
    return values[-1].strip() if values else None


class TokenOriginMiddleware:
    """Refuses foreign origins and bad tokens; puts a token's user in the scope.

    Runs inside Channels' session auth, so a valid token overrides any login cookie.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope.get("type") != "websocket":
            return await self.inner(scope, receive, send)
        if not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        scope = dict(scope)
        secret = token_from_scope(scope)
        if secret is not None:
            token = await database_sync_to_async(token_lookup)(secret)
            if token is None:
                return await WebsocketDenier()(scope, receive, send)
            scope["user"] = token.user
            scope["auth"] = "token"
            scope["token_id"] = token.pk
        else:
            user = scope.get("user")
            scope["auth"] = "session" if user is not None and user.is_authenticated else None
        return await self.inner(scope, receive, send)


def credentials_valid(scope: dict[str, Any]) -> bool:
    """Whether what identified this socket's user at its handshake still does (sync, one or two
    queries): the token exists, has not expired and its user is active; or the login session
    still exists and its user is active."""
    user = scope.get("user")
    if user is None or not user.is_authenticated:
        return False
    if scope.get("auth") == "token":
        return (
            # Set together with auth="token" by TokenOriginMiddleware.
            AccessToken.objects.filter(pk=scope["token_id"], user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .exists()
        )
    session: SessionBase | None = scope.get("session")
    key = getattr(session, "session_key", None)
    if session is None or not key or not session.exists(key):
        return False
    return get_user_model().objects.filter(pk=user.pk, is_active=True).exists()


def WebSocketAuthStack(inner: Any) -> Any:
    """Session cookie auth underneath, then the origin check and token auth on top.

    Named like Channels' ``AuthMiddlewareStack``, which it replaces in ``config/asgi.py``.
    """
    return AuthMiddlewareStack(TokenOriginMiddleware(inner))
