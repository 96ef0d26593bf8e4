"""The WebSocket origin rule and token extraction shared by every consumer (accounts.ws_auth)."""

from __future__ import annotations

import pytest

from accounts.ws_auth import origin_allowed, token_from_scope


def scope(host: str | None, origin: str | None, scheme: str = "ws", **extra) -> dict:
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": scheme, "headers": headers, **extra}


@pytest.mark.parametrize(
    ("host", "origin", "scheme", "allowed"),
    [
        ("127.0.0.1:8000", None, "ws", True),  # a script: no Origin
        ("127.0.0.1:8000", "http://127.0.0.1:8000", "ws", True),
        ("localhost", "http://localhost:80", "ws", True),  # default port either way
        ("localhost:443", "https://localhost", "wss", True),
        ("[::1]:8000", "http://[::1]:8000", "ws", True),
        ("127.0.0.1:8000", "http://127.0.0.1:9999", "ws", False),  # another port, another site
        ("127.0.0.1:8000", "https://evil.example", "ws", False),
        ("127.0.0.1:8000", "null", "ws", False),  # sandboxed frames, file:// pages
        ("127.0.0.1:8000", "chrome-extension://abc", "ws", False),
        ("evil.example", "http://evil.example", "ws", False),  # same origin, but not our host
        (None, "http://127.0.0.1:8000", "ws", False),
    ],
)
def test_origin_rule(settings, host, origin, scheme, allowed):
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
    settings.CSRF_TRUSTED_ORIGINS = []
    assert origin_allowed(scope(host, origin, scheme)) is allowed


def test_trusted_origins_are_allowed(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.com"]
    assert origin_allowed(scope("api.example.com", "https://app.example.com/"))
    assert not origin_allowed(scope("api.example.com", "https://other.example.com"))


def test_token_from_header_wins_over_query():
    both = scope("h", None, query_string=b"token=sb_query&x=1")
    both["headers"].append((b"authorization", b"Bearer sb_header"))
    assert token_from_scope(both) == "sb_header"
    assert token_from_scope(scope("h", None, query_string=b"after=3&token=sb_q")) == "sb_q"
    assert token_from_scope(scope("h", None, query_string=b"after=3")) is None
