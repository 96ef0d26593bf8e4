"""How a Socket.IO endpoint's page says what it connects to: the version, path and namespace,
whether an auth payload is sent (never its values), and connection code a reader can copy
(socket.io-client and python-socketio), in HTML and in Markdown. Pure."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.utils.safestring import SafeString, mark_safe

from docs_app.markup import highlight, md_code, md_fence, md_heading
from endpoints.contracts.examples import default_body

VERSIONS: dict[str, tuple[str, str, str]] = {
    # version: (servers it speaks to, socket.io-client, python-socketio)
    "v4": ("Socket.IO 3 and 4 (Engine.IO 4)", "4.x", "5.x"),
    "v2": ("Socket.IO 2 (Engine.IO 3)", "2.x", "4.x"),
}
# Shown where the auth payload's values would be: the page never has them.
HIDDEN = "…"
_REFERENCE = re.compile(r"\{\{.*?\}\}")


@dataclass(frozen=True)
class SocketIODoc:
    version: str
    version_label: str
    path: str
    namespace: str
    auth_fields: tuple[str, ...] | None  # None: no auth payload is sent
    javascript: str
    python: str

    @property
    def auth_words(self) -> str:
        if self.auth_fields is None:
            return "none"
        if not self.auth_fields:
            return "sent with the connect packet (an empty object)"
        fields = ", ".join(self.auth_fields)
        return f"sent with the connect packet (fields: {fields}); its values are not shown"


def auth_fields(auth: str) -> tuple[str, ...] | None:
    """The field names of an auth payload (JSON-object text that may hold {{variables}}), or
    None when none is sent. Only names: a value may be a secret."""
    if not auth.strip():
        return None
    try:
        value = json.loads(_REFERENCE.sub("1", auth))
    except ValueError:
        return ()
    return tuple(str(name) for name in value) if isinstance(value, dict) else ()


def server_url(url: str, namespace: str, params: Sequence[tuple[str, str]]) -> str:
    """The address a client library is given: http(s), the namespace as its path, the URL's
    own query and the handshake's query parameters (the library picks the Socket.IO path)."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme.lower(), parts.scheme.lower())
    query = "&".join(item for item in (parts.query, urlencode(list(params))) if item)
    path = "" if namespace == "/" else namespace
    return urlunsplit((scheme, parts.netloc, path, query, ""))


def _arguments(messages: Sequence[Any], direction: str) -> tuple[str, list[Any]] | None:
    """The first documented event of ``direction`` and its default example's arguments."""
    for message in messages:
        if message.direction != direction or not message.event:
            continue
        try:
            value = json.loads(default_body(message.examples) or "[]")
        except ValueError:
            value = []  # holds placeholders: the reader fills the arguments in
        return message.event, value if isinstance(value, list) else []
    return None


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def javascript_snippet(
    settings: Mapping[str, str],
    address: str,
    headers: Sequence[tuple[str, str]],
    fields: tuple[str, ...] | None,
    messages: Sequence[Any],
) -> str:
    version = settings["version"]
    client = VERSIONS[version][1]
    if version == "v2":
        lines = [f'const io = require("socket.io-client"); // socket.io-client {client}', ""]
    else:
        lines = [f'import {{ io }} from "socket.io-client"; // socket.io-client {client}', ""]
    lines += [f"const socket = io({_js(address)}, {{", f"  path: {_js(settings['path'])},"]
    lines.append('  transports: ["websocket"],')
    if headers:
        pairs = ", ".join(f"{_js(name)}: {_js(value)}" for name, value in headers)
        lines.append(f"  extraHeaders: {{ {pairs} }}, // Node.js only: browsers send no headers")
    if fields is not None:
        pairs = ", ".join(f"{_js(name)}: {_js(HIDDEN)}" for name in fields)
        lines.append(f"  auth: {{ {pairs} }}, // your credentials")
    lines += ["});", "", 'socket.on("connect", () => console.log("connected", socket.id));']
    received = _arguments(messages, "receive")
    if received:
        event = _js(received[0])
        lines.append(f"socket.on({event}, (...args) => console.log({event}, args));")
    sent = _arguments(messages, "send")
    if sent:
        args = "".join(f"{_js(item)}, " for item in sent[1])
        lines.append(f"socket.emit({_js(sent[0])}, {args}(...ack) => console.log(ack));")
    return "\n".join(lines)


def python_snippet(
    settings: Mapping[str, str],
    address: str,
    headers: Sequence[tuple[str, str]],
    fields: tuple[str, ...] | None,
    messages: Sequence[Any],
) -> str:
    package = VERSIONS[settings["version"]][2]
    namespace = settings["namespace"]
    lines = [f"import socketio  # python-socketio {package}", "", "sio = socketio.Client()", ""]
    received = _arguments(messages, "receive")
    if received:
        name = re.sub(r"\W", "_", received[0]).strip("_") or "event"
        lines += [
            f"@sio.on({received[0]!r}, namespace={namespace!r})",
            f"def on_{name}(*args):",
            f"    print({received[0]!r}, args)",
            "",
        ]
    lines += ["sio.connect(", f"    {address!r},", f"    namespaces=[{namespace!r}],"]
    lines += [f"    socketio_path={settings['path']!r},", '    transports=["websocket"],']
    if headers:
        lines.append(f"    headers={dict(headers)!r},")
    if fields is not None:
        lines.append(f"    auth={dict.fromkeys(fields, HIDDEN)!r},  # your credentials")
    lines.append(")")
    sent = _arguments(messages, "send")
    if sent:
        # call() sends the arguments as a tuple and waits for the acknowledgement.
        lines.append(f"print(sio.call({sent[0]!r}, {tuple(sent[1])!r}, namespace={namespace!r}))")
    lines.append("sio.wait()")
    return "\n".join(lines)


def socketio_doc(
    settings: Mapping[str, str],
    url: str,
    params: Sequence[Any],
    headers: Sequence[Any],
    cookies: Sequence[Any],
    messages: Sequence[Any],
) -> SocketIODoc:
    """A Socket.IO endpoint's connection as its page shows it. ``url`` and the rows have the
    shared values filled in already (docs_app.rendering.rows_view)."""
    fields = auth_fields(settings.get("auth", ""))
    if settings["version"] == "v2":
        fields = None
    address = server_url(url, settings["namespace"], [(row.name, row.value) for row in params])
    sent_headers = [(row.name, row.value) for row in headers]
    if cookies:
        cookie = "; ".join(f"{row.name}={row.value}" for row in cookies)
        sent_headers.append(("Cookie", cookie))
    return SocketIODoc(
        version=settings["version"],
        version_label=VERSIONS[settings["version"]][0],
        path=settings["path"],
        namespace=settings["namespace"],
        auth_fields=fields,
        javascript=javascript_snippet(settings, address, sent_headers, fields, messages),
        python=python_snippet(settings, address, sent_headers, fields, messages),
    )


def socketio_html(doc: SocketIODoc) -> SafeString:
    """The Socket.IO section of an endpoint page."""
    facts = (
        ("Version", doc.version_label),
        ("Path", doc.path),
        ("Namespace", doc.namespace),
        ("Auth payload", doc.auth_words),
    )
    rows = "".join(
        f"<div><dt>{escape(name)}</dt><dd>{escape(value)}</dd></div>" for name, value in facts
    )
    code = "".join(
        f'<h3 id="connect-{key}">{escape(title)}</h3><div class="copyable"><pre class="code hl">'
        f"<code>{highlight(text, key)}</code></pre></div>"
        for key, title, text in (
            ("javascript", "JavaScript (socket.io-client)", doc.javascript),
            ("python", "Python (python-socketio)", doc.python),
        )
    )
    return mark_safe(
        '<section class="block" aria-labelledby="socketio-title">'
        '<h2 id="socketio-title">Socket.IO</h2><p class="socketio-note">This endpoint speaks '
        "Socket.IO over its WebSocket transport: connect with a Socket.IO client, not a plain "
        f'WebSocket.</p><dl class="meta socketio-facts">{rows}</dl>{code}</section>'
    )


def socketio_markdown(doc: SocketIODoc, level: int) -> list[str]:
    return [
        md_heading(level, "Socket.IO"),
        "",
        "Connect with a Socket.IO client (over its WebSocket transport), not a plain WebSocket.",
        "",
        f"- Version: {doc.version_label}",
        f"- Path: {md_code(doc.path)}",
        f"- Namespace: {md_code(doc.namespace)}",
        f"- Auth payload: {doc.auth_words}",
        "",
        "JavaScript (socket.io-client):",
        "",
        md_fence(doc.javascript, "js"),
        "",
        "Python (python-socketio):",
        "",
        md_fence(doc.python, "python"),
        "",
    ]
