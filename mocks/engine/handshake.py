"""The mock's handshake: which endpoint a mock path names, and whether a client sent what the
endpoint documents (enabled params, headers, cookies; one of its subprotocols)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from core.socketio.handshake import normalise_path
from endpoints.environments.resolver import fill_known, static_text


def endpoint_path(url: str, values: Mapping[str, str]) -> str:
    """The path of an endpoint's URL (``/v1/chat`` of ``wss://host/v1/chat?x=1``), with the
    references that ``values`` fills resolved; "/" when it has none."""
    text = fill_known(url or "", values)
    _, _, rest = text.partition("://")
    if not rest:
        # No literal scheme: a reference such as {{baseUrl}} holds it and the host.
        rest = text.split("}}", 1)[1] if text.startswith("{{") and "}}" in text else text
        path = rest.split("?", 1)[0].split("#", 1)[0]
    else:
        path = urlsplit(f"ws://{rest}").path
    path = "/" + path.lstrip("/")
    return path.rstrip("/") or "/"


def socketio_mock_path(path: str, socketio_path: str) -> str:
    """Where under ``/mock/<key>`` a Socket.IO endpoint's mock answers: the endpoint's path
    (``endpoint_path``) followed by its Socket.IO path (``/v1/socket.io/``)."""
    return ("" if path == "/" else path) + normalise_path(socketio_path)


@dataclass(frozen=True)
class HandshakeRequest:
    """What the client sent: query params, headers (names lower case) and cookies as
    name -> values, and the subprotocols it offered."""

    params: Mapping[str, list[str]]
    headers: Mapping[str, list[str]]
    cookies: Mapping[str, str]
    subprotocols: Sequence[str] = field(default_factory=list)


@dataclass(frozen=True)
class HandshakeVerdict:
    problems: list[str]
    subprotocol: str | None


def expected_value(value: str, values: Mapping[str, str]) -> str | None:
    """The value a documented row requires, or None when any value will do: an empty value,
    or one holding references the shared globals cannot fill (secrets, dynamic values)."""
    literal = static_text(value) if "{{" in value else value
    if literal is None:
        filled = fill_known(value, values)
        literal = filled if "{{" not in filled else None
    return literal or None


def check_handshake(
    documented: Mapping[str, Any], request: HandshakeRequest, values: Mapping[str, str]
) -> HandshakeVerdict:
    """What the client lacks (``header "Authorization" is missing``...), and the subprotocol
    to accept: the first the client offered that the endpoint documents."""
    problems: list[str] = []
    sent: dict[str, Mapping[str, Any]] = {
        "params": request.params,
        "headers": request.headers,
        "cookies": {k: [v] for k, v in request.cookies.items()},
    }
    labels = {"params": "query parameter", "headers": "header", "cookies": "cookie"}
    for kind, label in labels.items():
        for row in documented.get(kind) or []:
            name = str(row.get("name") or "")
            if not row.get("enabled", True) or not name or "{{" in name:
                continue
            key = name.lower() if kind == "headers" else name
            got = sent[kind].get(key)
            if not got:
                problems.append(f"{label} {name!r} is missing")
                continue
            expected = expected_value(str(row.get("value") or ""), values)
            if expected is not None and expected not in got:
                problems.append(f"{label} {name!r} does not have the documented value")
    offered = list(request.subprotocols)
    documented_protocols = [str(p) for p in documented.get("subprotocols") or []]
    chosen = next((p for p in offered if p in documented_protocols), None)
    if documented_protocols and chosen is None:
        problems.append(
            "no documented subprotocol offered (one of " + ", ".join(documented_protocols) + ")"
        )
    return HandshakeVerdict(problems, chosen)
