"""A minimal Redis client (RESP2 on an ``asyncio.Protocol``) for the live channel layer's two
hops: what redis-py adds per command (a connection pool, a lock, a reader coroutine, timeouts
armed per read) is most of a loopback ``PUBLISH``'s cost.

A ``RespConnection`` writes each command at once and matches replies to commands in order
(pipelined: many commands may wait on one connection). Given ``on_push`` it is a subscriber
connection: pub/sub messages and (un)subscribe confirmations go to that callback from
``data_received``, with no task in between. It knows nothing of reconnecting: once it is lost
(``lost`` is done) every waiting command fails with ``ConnectionError`` and its owner opens
a new one. A command that gets no reply within ``timeout`` closes the connection.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

# Replies on a subscriber connection that are not answers to a command.
PUSH_KINDS = frozenset((b"message", b"subscribe", b"unsubscribe"))

Reply = Any  # bytes | int | list[Reply] | None | RespError (for an error inside an array)


class RespError(Exception):
    """An error reply from Redis."""


class _Incomplete(Exception):
    """The buffer ends inside a reply; ``need``: the length it must reach, if known."""

    def __init__(self, need: int = 0) -> None:
        self.need = need


def encode(*args: bytes | str | int) -> bytes:
    """One command as a RESP array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = b"%d" % arg
        parts += (b"$%d\r\n" % len(arg), arg, b"\r\n")
    return b"".join(parts)


def parse(buf: bytes | bytearray, pos: int) -> tuple[Reply, int]:
    """The reply starting at ``pos`` and where the next one starts; ``_Incomplete`` if the
    buffer ends first."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise _Incomplete
    kind = buf[pos]
    if kind == 0x24:  # $ bulk string
        size = int(buf[pos + 1 : end])
        if size < 0:
            return None, end + 2
        start = end + 2
        stop = start + size
        if len(buf) < stop + 2:
            raise _Incomplete(stop + 2)
        return bytes(buf[start:stop]), stop + 2
    if kind == 0x3A:  # : integer
        return int(buf[pos + 1 : end]), end + 2
    if kind == 0x2A:  # * array
        count = int(buf[pos + 1 : end])
        if count < 0:
            return None, end + 2
        items = []
        pos = end + 2
        for _ in range(count):
            item, pos = parse(buf, pos)
            items.append(item)
        return items, pos
    if kind == 0x2B:  # + simple string
        return bytes(buf[pos + 1 : end]), end + 2
    if kind == 0x2D:  # - error
        return RespError(bytes(buf[pos + 1 : end]).decode(errors="replace")), end + 2
    raise ValueError(f"Not a RESP2 reply: {bytes(buf[pos : pos + 20])!r}")


class RespConnection(asyncio.Protocol):
    def __init__(self, on_push: Callable[[list[Any]], None] | None, timeout: float) -> None:
        self.on_push = on_push
        self.timeout = timeout
        self.transport: asyncio.Transport | None = None
        self.loop = asyncio.get_running_loop()
        self.lost: asyncio.Future[None] = self.loop.create_future()
        self.error: Exception | None = None  # why it was lost, if known
        self._replies: deque[asyncio.Future[Any]] = deque()
        self._buffer = bytearray()
        self._need = 0  # the buffer's length before a reply can be complete
        self._received = 0  # replies so far (the watchdog's sign of progress)
        self._watchdog: asyncio.TimerHandle | None = None

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            # A subscriber mostly waits: a peer that vanished is noticed in the end.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)

    def data_received(self, data: bytes) -> None:
        buf: bytes | bytearray
        if self._buffer:
            self._buffer += data
            if len(self._buffer) < self._need:
                return
            buf = self._buffer
        else:
            buf = data
        pos, size = 0, len(buf)
        try:
            while pos < size:
                reply, pos = parse(buf, pos)
                self._reply(reply)
        except _Incomplete as incomplete:
            self._need = incomplete.need - pos
            self._buffer = bytearray(buf[pos:])
            return
        except Exception as exc:  # a protocol error: nothing after it can be trusted
            self._close(exc)
            return
        self._buffer = bytearray()
        self._need = 0

    def connection_lost(self, exc: Exception | None) -> None:
        self._close(exc)

    # --- commands -----------------------------------------------------------------------

    def command(self, *args: bytes | str | int) -> asyncio.Future[Any]:
        """Send a command; its reply (``RespError`` raised), when it comes."""
        if self.transport is None or self.lost.done():
            raise ConnectionError("The connection to Redis is closed")
        self.transport.write(encode(*args))
        reply = self.loop.create_future()
        self._replies.append(reply)
        if self._watchdog is None:
            self._watchdog = self.loop.call_later(self.timeout, self._watch, self._received)
        return reply

    def write(self, *args: bytes | str | int) -> None:
        """Send a command whose replies come to ``on_push`` (SUBSCRIBE, UNSUBSCRIBE)."""
        if self.transport is None or self.lost.done():
            raise ConnectionError("The connection to Redis is closed")
        self.transport.write(encode(*args))

    def close(self) -> None:
        self._close(None)

    # --- inside -------------------------------------------------------------------------

    def _reply(self, reply: Reply) -> None:
        self._received += 1
        if (
            self.on_push is not None
            and type(reply) is list
            and reply
            and type(reply[0]) is bytes
            and reply[0] in PUSH_KINDS
        ):
            self.on_push(reply)
            return
        if not self._replies:
            if isinstance(reply, RespError):
                # An error about a SUBSCRIBE (an ACL, say): what was asked for is unknown.
                self._close(reply)
            return
        waiter = self._replies.popleft()
        if not waiter.done():
            if isinstance(reply, RespError):
                waiter.set_exception(reply)
            else:
                waiter.set_result(reply)

    def _watch(self, seen: int) -> None:
        """Close the connection if commands wait and no reply came for ``timeout``."""
        if self._replies and seen == self._received:
            self._close(TimeoutError("Redis did not answer"))
            return
        self._watchdog = None
        if self._replies:
            self._watchdog = self.loop.call_later(self.timeout, self._watch, self._received)

    def _close(self, exc: Exception | None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        if self.transport is not None:
            self.transport.abort() if exc is not None else self.transport.close()
        if not self.lost.done():
            self.error = exc
            self.lost.set_result(None)
        error = ConnectionError(f"The connection to Redis was lost: {exc!r}")
        while self._replies:
            waiter = self._replies.popleft()
            if not waiter.done():
                waiter.set_exception(error)


def host_address(host: dict[str, Any]) -> dict[str, Any]:
    """Where and how to connect, from a channels_redis host entry: ``{"address": URL}``
    (redis://, rediss://, unix://) or ``{"host", "port"}``, with ``username``/``password``,
    ``socket_timeout`` and ``socket_connect_timeout`` if given (other redis-py options are not
    used here). Pub/sub ignores database numbers."""
    if "master_name" in host:
        raise ValueError("The live channel layer does not support Redis Sentinel hosts")
    found: dict[str, Any] = {
        "host": host.get("host", "localhost"),
        "port": int(host.get("port", 6379)),
        "path": None,
        "ssl": bool(host.get("ssl", False)),
        "username": host.get("username"),
        "password": host.get("password"),
        "timeout": float(host.get("socket_timeout") or 30),
        "connect_timeout": float(host.get("socket_connect_timeout") or 5),
    }
    if "address" in host:
        url = urlsplit(host["address"])
        if url.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"Not a Redis URL: {host['address']!r}")
        if url.scheme == "unix":
            found["path"] = unquote(url.path)
        else:
            found["host"] = url.hostname or "localhost"
            found["port"] = url.port or 6379
            found["ssl"] = url.scheme == "rediss"
        if url.username:
            found["username"] = unquote(url.username)
        if url.password:
            found["password"] = unquote(url.password)
    return found


async def connect(
    address: dict[str, Any], on_push: Callable[[list[Any]], None] | None = None
) -> RespConnection:
    """A connection to ``address`` (from ``host_address``), authenticated if it says so."""
    loop = asyncio.get_running_loop()
    timeout = address["timeout"]

    def protocol() -> RespConnection:
        return RespConnection(on_push, timeout)

    async with asyncio.timeout(address["connect_timeout"]):
        if address["path"] is not None:
            _, connection = await loop.create_unix_connection(protocol, address["path"])
        else:
            context = ssl.create_default_context() if address["ssl"] else None
            _, connection = await loop.create_connection(
                protocol, address["host"], address["port"], ssl=context
            )
        if address["password"] is not None:
            user = () if address["username"] is None else (address["username"],)
            try:
                await connection.command("AUTH", *user, address["password"])
            except BaseException:
                connection.close()
                raise
    return connection
