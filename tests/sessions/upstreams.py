"""Upstream WebSocket servers the session tests connect to, each on loopback in its own thread.

Two implementations (``websockets`` and aiohttp) answer the same paths:

* ``/echo`` sends every message back as it came;
* ``/auth`` wants header ``X-Token: secret``, cookie ``sid=abc`` and query ``key=k1``, and
  answers 401 with a body otherwise;
* ``/close/<code>`` sends ``bye`` and closes with that code;
* ``/types`` sends a text, a binary, a unicode and an empty message, then echoes;
* ``/burst?n=N`` sends ``frame-0`` .. ``frame-N-1`` at once, then echoes;
* ``/redirect?to=URL`` (websockets only) answers 302 to URL;
* ``/bearer``, ``/basic`` and ``/apikey`` (websockets only) want ``Authorization: Bearer
  BEARER_TOKEN``, Basic ``BASIC_USER``:``BASIC_PASSWORD``, or query ``api_key=API_KEY``, and
  answer 401 saying what is missing otherwise; then echo;
* ``/ticker`` answers a ``{"op": "subscribe"}`` with ``TICKER_REPLIES`` (subscribed, two
  valid trades, a trade whose price is a string, an undocumented heartbeat); echoes the rest.

Every message a server receives is kept in ``received`` so tests can check what arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiohttp import WSMsgType, web
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

TYPES_MESSAGES: tuple[str, bytes, str, str] = (
    "hello",
    b"\x00\x01\xfe\xff",
    "héllo wörld ✓ 🚀 日本",
    "",
)

BEARER_TOKEN = "t0k-bearer/42"
BASIC_USER, BASIC_PASSWORD = "ada", "pa:ss wörd"
API_KEY = "k3y&=?"

TICKER_REPLIES: tuple[str, ...] = (
    '{"type": "subscribed", "channel": "trades"}',
    '{"type": "trade", "symbol": "BTC", "price": 97000.5, "qty": 0.25}',
    '{"type": "trade", "symbol": "ETH", "price": 3100, "qty": 2}',
    '{"type": "trade", "symbol": "BTC", "price": "abc", "qty": 1}',
    '{"type": "heartbeat"}',
)


def ticker_replies(message: str | bytes) -> tuple[str, ...] | None:
    """What ``/ticker`` sends for ``message`` (None: echo it)."""
    try:
        value = json.loads(message)
    except ValueError:
        return None
    if isinstance(value, dict) and value.get("op") == "subscribe":
        return TICKER_REPLIES
    return None


class LoopThread:
    """An event loop running in a daemon thread; coroutines are run on it from tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Awaitable[Any], timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.loop.is_running():
            self.loop.close()


class Upstream:
    """Common bookkeeping: the port, what was received, how many connections were made."""

    host = "127.0.0.1"
    scheme = "ws"

    def __init__(self) -> None:
        self.port = 0
        self.received: list[tuple[str, str | bytes]] = []
        self.connections = 0
        self.lock = threading.Lock()

    def url(self, path: str, host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def note(self, path: str, message: str | bytes) -> None:
        with self.lock:
            self.received.append((path, message))

    def received_on(self, path: str) -> list[str | bytes]:
        with self.lock:
            return [m for p, m in self.received if p == path]


def _auth_problem(path: str, headers: Any, query: dict[str, list[str]]) -> str | None:
    cookies = headers.get("Cookie") or ""
    if headers.get("X-Token") != "secret":
        return "missing X-Token"
    if "sid=abc" not in [c.strip() for c in cookies.split(";")]:
        return "missing sid cookie"
    if query.get("key") != ["k1"]:
        return "missing key param"
    return None


def _credentials_problem(path: str, headers: Any, query: dict[str, list[str]]) -> str | None:
    """What ``/bearer``, ``/basic`` and ``/apikey`` miss of their credentials, if anything."""
    import base64

    if path == "/bearer" and headers.get("Authorization") != f"Bearer {BEARER_TOKEN}":
        return "missing or wrong Bearer token"
    if path == "/basic":
        pair = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
        if headers.get("Authorization") != f"Basic {pair}":
            return "missing or wrong Basic credentials"
    if path == "/apikey" and query.get("api_key") != [API_KEY]:
        return "missing or wrong api_key"
    return None


class ServedWebsockets:
    """A ``websockets`` server on a ``LoopThread``: ``serve_on_loop`` starts it, ``stop`` closes it."""

    runner: LoopThread
    server: Any
    port: int

    def serve_on_loop(self, serving: Coroutine[Any, Any, Server]) -> None:
        self.server = self.runner.run(serving)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        self.runner.run(stop())


class WebsocketsUpstream(ServedWebsockets, Upstream):
    """The reference implementation: the ``websockets`` server."""

    def __init__(self, runner: LoopThread, ssl_context: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.runner = runner
        self.ssl_context = ssl_context
        if ssl_context is not None:
            self.scheme = "wss"
        self.server: Any = None

    def start(self) -> WebsocketsUpstream:
        async def start() -> Any:
            return await serve(
                self._handler,
                self.host,
                0,
                process_request=self._process_request,
                select_subprotocol=lambda _conn, offered: (
                    Subprotocol("v2.json") if "v2.json" in offered else None
                ),
                max_size=4 * 1024 * 1024,
                compression=None,
                # Its keepalive pings would be log entries (the relay logs the upstream's
                # pings), at times no test chose; tests ping on purpose (test_control.py).
                ping_interval=None,
                ssl=self.ssl_context,
            )

        self.serve_on_loop(start())
        return self

    def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        query = parse_qs(parts.query)
        if parts.path == "/auth":
            problem = _auth_problem(parts.path, request.headers, query)
            if problem:
                return connection.respond(401, f"unauthorized: {problem}\n")
        problem = _credentials_problem(parts.path, request.headers, query)
        if problem:
            return connection.respond(401, f"unauthorized: {problem}\n")
        if parts.path == "/redirect":
            response = connection.respond(302, "moved\n")
            response.headers["Location"] = query["to"][0]
            return response
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        with self.lock:
            self.connections += 1
        assert connection.request is not None  # set by the handshake, before the handler runs
        parts = urlsplit(connection.request.path)
        path = parts.path
        if path.startswith("/close/"):
            await connection.send("bye")
            await connection.close(int(path.rsplit("/", 1)[1]), "server closing")
            return
        if path == "/types":
            for message in TYPES_MESSAGES:
                await connection.send(message)
        if path == "/burst":
            count = int(parse_qs(parts.query).get("n", ["100"])[0])
            for index in range(count):
                await connection.send(f"frame-{index}")
                if index % 200 == 199:
                    await asyncio.sleep(0.005)
        async for message in connection:
            self.note(path, message)
            replies = ticker_replies(message) if path == "/ticker" else None
            for reply in replies or (message,):
                await connection.send(reply)


class AiohttpUpstream(Upstream):
    """A second implementation: aiohttp's WebSocket server."""

    def __init__(self, runner: LoopThread) -> None:
        super().__init__()
        self.runner = runner
        self.app_runner: web.AppRunner | None = None

    def start(self) -> AiohttpUpstream:
        app = web.Application()
        app.router.add_get("/echo", self._echo)
        app.router.add_get("/auth", self._auth)
        app.router.add_get("/types", self._echo)
        app.router.add_get("/ticker", self._echo)
        app.router.add_get("/close/{code}", self._close)

        async def start() -> int:
            self.app_runner = web.AppRunner(app)
            await self.app_runner.setup()
            site = web.TCPSite(self.app_runner, self.host, 0)
            await site.start()
            return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

        self.port = self.runner.run(start())
        return self

    def stop(self) -> None:
        if self.app_runner is not None:
            self.runner.run(self.app_runner.cleanup())

    async def _prepare(self, request: web.Request) -> web.WebSocketResponse:
        with self.lock:
            self.connections += 1
        ws = web.WebSocketResponse(protocols=("v2.json",), max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        return ws

    async def _echo(self, request: web.Request) -> web.WebSocketResponse:
        ws = await self._prepare(request)
        if request.path == "/types":
            for message in TYPES_MESSAGES:
                if isinstance(message, bytes):
                    await ws.send_bytes(message)
                else:
                    await ws.send_str(message)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.note(request.path, msg.data)
                replies = ticker_replies(msg.data) if request.path == "/ticker" else None
                for reply in replies or (msg.data,):
                    await ws.send_str(reply)
            elif msg.type == WSMsgType.BINARY:
                self.note(request.path, msg.data)
                await ws.send_bytes(msg.data)
        return ws

    async def _auth(self, request: web.Request) -> web.StreamResponse:
        query = {key: request.query.getall(key) for key in request.query}
        problem = _auth_problem(request.path, request.headers, query)
        if problem:
            return web.Response(status=401, text=f"unauthorized: {problem}\n")
        return await self._echo(request)

    async def _close(self, request: web.Request) -> web.WebSocketResponse:
        ws = await self._prepare(request)
        await ws.send_str("bye")
        await ws.close(code=int(request.match_info["code"]), message=b"server closing")
        return ws


class SilentServer:
    """Accepts TCP connections and never answers: a server that hangs the handshake."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(2)
        for conn in self.accepted:
            conn.close()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, made with ``cryptography``; (cert, key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Issued:
    """A certificate made in a test, with its key, as PEM (``key_pem`` encrypted when a
    passphrase was given)."""

    def __init__(self, cert: Any, key: Any, passphrase: str | None = None) -> None:
        from cryptography.hazmat.primitives import serialization

        self.cert = cert
        self.key = key
        self.cert_pem: str = cert.public_bytes(serialization.Encoding.PEM).decode()
        encryption: Any = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        self.key_pem: str = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()


def make_ca(name: str) -> Issued:
    """A self-signed certificate authority, made with ``cryptography``."""
    return issue(None, name, authority=True)


def issue(
    signer: Issued | None,
    name: str,
    *,
    authority: bool = False,
    hosts: tuple[str, ...] = (),
    valid_from: datetime.datetime | None = None,
    valid_until: datetime.datetime | None = None,
    passphrase: str | None = None,
) -> Issued:
    """A certificate for ``name`` signed by ``signer`` (self-signed when None): a CA's
    (``authority``), a server's for ``hosts`` (DNS names or IP addresses), else a client's.
    Valid from five minutes ago for a day unless told."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(signer.cert.subject if signer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from or now - datetime.timedelta(minutes=5))
        .not_valid_after(valid_until or now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=authority, path_length=None), critical=True)
    )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if not authority:
        usage = ExtendedKeyUsageOID.SERVER_AUTH if hosts else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    signing_key = signer.key if signer else key
    return Issued(builder.sign(signing_key, hashes.SHA256()), key, passphrase)


def mutual_tls_context(server: Issued, client_ca: Issued, directory: Path) -> ssl.SSLContext:
    """A server TLS context that presents ``server`` and requires a client certificate
    signed by ``client_ca``."""
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_text(server.cert_pem)
    key_path.write_text(server.key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_ca.cert_pem)
    return context


def hosts_resolver(
    names: dict[str, str],
) -> Callable[..., Awaitable[list[tuple[Any, ...]]]]:
    """A getaddrinfo for the relay that knows test names and IP literals, and nothing else.

    Tests use it instead of real DNS, so no query ever leaves the machine.
    """

    async def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        address = names.get(host, host)
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
        sockaddr = (str(ip), port) if ip.version == 4 else (str(ip), port, 0, 0)
        return [(family, socket.SOCK_STREAM, 6, "", sockaddr)]

    return resolve
