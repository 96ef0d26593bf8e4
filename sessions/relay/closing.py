"""How an upstream connection ended, in words: who closed it, with which code and reason.

Read from the close frames websockets saw (received, sent, in which order) and from what the
relay meant to do (``intent``: a disconnect, a limit, a shutdown).
"""

from __future__ import annotations

from websockets.frames import Close

from sessions.models import ClosedBy

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
CLOSED_BY_TEXT = {
    ClosedBy.CLIENT: "Closed by you",
    ClosedBy.UPSTREAM: "Closed by the server",
    ClosedBy.RELAY: "Closed by Switchboard",
    ClosedBy.NETWORK: "Connection lost without a close frame",
}

# Who asked for a close, with the code and reason asked for.
CloseIntent = tuple[ClosedBy, int, str]


def close_description(code: int, reason: str) -> str:
    """``1001 (going away): bye``: the code, its name when it has one, and the reason."""
    name = _CLOSE_NAMES.get(code)
    text = f"{code} ({name})" if name else str(code)
    return f"{text}: {reason}" if reason else text


def close_outcome(
    *,
    intent: CloseIntent | None,
    received: Close | None,
    sent: Close | None,
    received_first: bool,
    connection_exc: BaseException | None,
) -> CloseIntent:
    """Who closed the connection, and the code and reason that were really exchanged."""
    if intent is not None:
        by, code, reason = intent
        if sent is not None:
            code, reason = sent.code, sent.reason
        elif received is not None:
            code, reason = received.code, received.reason
    elif received is not None and (sent is None or received_first):
        by, code, reason = ClosedBy.UPSTREAM, received.code, received.reason
    elif sent is not None:
        # websockets failed the connection itself (message too big, ping timeout...).
        by, code, reason = ClosedBy.RELAY, sent.code, sent.reason
    else:
        by, code, reason = ClosedBy.NETWORK, 1006, ""
    if by == ClosedBy.NETWORK and connection_exc is not None:
        reason = str(connection_exc) or type(connection_exc).__name__
    return by, code, reason
