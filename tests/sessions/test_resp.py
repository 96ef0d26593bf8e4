"""The live layer's RESP2 client (sessions/relay/resp.py): replies read whatever way the bytes
arrive, matched to their commands in order, and a connection that stops answering closed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sessions.relay.resp import (
    RespConnection,
    RespError,
    _Incomplete,
    connect,
    encode,
    host_address,
    parse,
)

# One of each kind of reply, nested, and a bulk string holding CRLF and binary bytes.
REPLIES = (
    b":42\r\n"
    b"+OK\r\n"
    b"$-1\r\n"
    b"$0\r\n\r\n"
    b"$6\r\na\r\nb\x00\xff\r\n"
    b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$4\r\ndata\r\n"
    b"*2\r\n*1\r\n:1\r\n-ERR inside\r\n"
    b"-WRONGTYPE no\r\n"
)


def parse_all(data: bytes) -> list[Any]:
    replies, pos = [], 0
    while pos < len(data):
        reply, pos = parse(data, pos)
        replies.append(reply)
    return replies


def test_encode_and_parse():
    assert encode("PUBLISH", b"ch", 3) == b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$1\r\n3\r\n"
    replies = parse_all(REPLIES)
    assert replies[:6] == [
        42,
        b"OK",
        None,
        b"",
        b"a\r\nb\x00\xff",
        [b"message", b"ch", b"data"],
    ]
    nested, error = replies[6], replies[7]
    assert nested[0] == [1] and str(nested[1]) == "ERR inside"
    assert isinstance(error, RespError) and str(error) == "WRONGTYPE no"
    with pytest.raises(_Incomplete) as incomplete:
        parse(b"$10\r\nabc", 0)
    assert incomplete.value.need == 17  # header, 10 bytes and CRLF
    with pytest.raises(ValueError):
        parse(b"?what\r\n", 0)


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1000])
async def test_replies_split_anywhere_are_read_whole(chunk):
    pushed: list[Any] = []
    connection = RespConnection(pushed.append, 30)
    connection.connection_made(FakeTransport())
    waiters = [connection.command("X") for _ in range(7)]
    data = REPLIES + b"*3\r\n$7\r\nmessage\r\n$1\r\nz\r\n$3\r\nend\r\n"
    for start in range(0, len(data), chunk):
        connection.data_received(data[start : start + chunk])
    results = [w.result() for w in waiters[:5]]
    assert results == [42, b"OK", None, b"", b"a\r\nb\x00\xff"]
    # The nested array is a reply to the sixth command, the error to the seventh; the
    # messages are pushes.
    assert waiters[5].result()[0] == [1]
    with pytest.raises(RespError):
        waiters[6].result()
    assert pushed == [[b"message", b"ch", b"data"], [b"message", b"z", b"end"]]
    assert not connection._buffer


async def test_an_error_reply_fails_its_command_only():
    connection = RespConnection(None, 30)
    connection.connection_made(FakeTransport())
    first, second = connection.command("A"), connection.command("B")
    connection.data_received(b"-ERR bad\r\n:1\r\n")
    with pytest.raises(RespError):
        first.result()
    assert second.result() == 1


async def test_an_error_nobody_asked_for_closes_a_subscriber_connection():
    pushed: list[Any] = []
    connection = RespConnection(pushed.append, 30)
    connection.connection_made(FakeTransport())
    connection.data_received(b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n-NOPERM no\r\n")
    assert pushed == [[b"subscribe", b"a", 1]]
    assert connection.lost.done() and isinstance(connection.error, RespError)


async def test_a_lost_connection_fails_what_waits_and_refuses_more():
    connection = RespConnection(None, 30)
    connection.connection_made(FakeTransport())
    waiting = connection.command("A")
    connection.connection_lost(None)
    with pytest.raises(ConnectionError):
        waiting.result()
    assert connection.lost.done()
    with pytest.raises(ConnectionError):
        connection.command("B")


async def test_a_server_that_does_not_answer_is_left():
    left = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.read(1 << 16):
            pass  # read, never answered, until the client leaves
        writer.close()
        left.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    address = host_address({"address": f"redis://127.0.0.1:{port}", "socket_timeout": 0.2})
    connection = await connect(address)
    started = asyncio.get_running_loop().time()
    with pytest.raises(ConnectionError):
        await connection.command("PING")
    assert 0.15 < asyncio.get_running_loop().time() - started < 1.5
    assert connection.lost.done()
    await asyncio.wait_for(left.wait(), 5)
    server.close()
    await server.wait_closed()


def test_host_addresses():
    url = host_address({"address": "rediss://us%40r:p%3Ass@redis.example:6390/3"})
    assert (url["host"], url["port"], url["ssl"]) == ("redis.example", 6390, True)
    assert (url["username"], url["password"]) == ("us@r", "p:ss")
    pair = host_address({"host": "10.0.0.2", "port": 7000, "socket_timeout": 4})
    assert (pair["host"], pair["port"], pair["timeout"], pair["password"]) == (
        "10.0.0.2",
        7000,
        4.0,
        None,
    )
    assert host_address({"address": "unix:///run/redis.sock"})["path"] == "/run/redis.sock"
    with pytest.raises(ValueError):
        host_address({"master_name": "m", "sentinels": []})
    with pytest.raises(ValueError):
        host_address({"address": "http://x"})


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass
