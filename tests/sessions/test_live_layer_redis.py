"""The live channel layer against Redis servers of its own (never the shared one): restarted,
down while a channel subscribes, asking for a password, two of them as shards; and its
messages understood by channels_redis' pub/sub layer both ways."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from channels_redis.pubsub import RedisPubSubChannelLayer

from sessions.relay.live_layer import RESYNC, LiveChannelLayer
from tests.polling import eventually, wait_for
from tests.sessions.test_live_layer import live_config, until_subscribed

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


class PrivateRedis:
    """A redis-server on a free loopback port, stopped and started at will."""

    def __init__(self, directory: Path, password: str | None = None) -> None:
        self.directory = directory
        self.password = password
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for(self.up, 10, 0.02)

    def up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), 0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def subscribers(self, name: str) -> int:
        client = redis.Redis.from_url(self.url)
        try:
            return int(client.pubsub_numsub(name)[0][1])
        finally:
            client.close()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def layers(*urls: str, **kwargs: Any) -> tuple[LiveChannelLayer, LiveChannelLayer]:
    hosts = [{"address": url} for url in urls]
    prefix = f"test-live-{uuid.uuid4().hex}."
    return (
        LiveChannelLayer(hosts=hosts, prefix=prefix, **kwargs),
        LiveChannelLayer(hosts=hosts, prefix=prefix),
    )


async def stopped(server: PrivateRedis) -> None:
    await asyncio.to_thread(server.stop)


async def started(server: PrivateRedis) -> None:
    await asyncio.to_thread(server.start)


async def test_a_redis_restart_resubscribes_and_says_resync(private_redis):
    layer, other = layers(private_redis.url)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await until_subscribed(layer, other, channel)

    await stopped(private_redis)
    with pytest.raises(ConnectionError):
        await other.send(channel, {"type": "x"})  # nothing to send it to, said at once
    await started(private_redis)
    assert await asyncio.wait_for(layer.receive(channel), 10) == {"type": RESYNC}
    # Subscribed again before the resync was said: the first send after it arrives.
    assert await other.send(channel, {"type": "x"}) == 1
    assert await other.group_send("g", {"type": "g"}) == 1
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "x"}
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "g"}
    await layer.flush()
    await other.flush()


async def test_subscribing_while_redis_is_down(private_redis):
    layer, other = layers(private_redis.url)
    await stopped(private_redis)
    started_at = time.monotonic()
    channel = await layer.new_channel()  # does not wait for Redis
    await layer.group_add("g", channel)
    assert time.monotonic() - started_at < 1
    await started(private_redis)
    assert await asyncio.wait_for(layer.receive(channel), 10) == {"type": RESYNC}
    assert await other.group_send("g", {"type": "g"}) == 1
    assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "g"}
    await layer.flush()
    await other.flush()


async def test_a_password(tmp_path):
    server = PrivateRedis(tmp_path, password="s3cret")
    server.start()
    try:
        layer, other = layers(server.url)
        channel = await layer.new_channel()
        assert await other.send(channel, {"type": "x"}) == 1
        assert await asyncio.wait_for(layer.receive(channel), 5) == {"type": "x"}
        wrong, _ = layers(server.url.replace("s3cret", "wrong"))
        with pytest.raises(ConnectionError):
            await wrong.send(channel, {"type": "x"})
        for each in (layer, other, wrong):
            await each.flush()
    finally:
        server.stop()


async def test_two_hosts_share_the_names(tmp_path):
    servers = [PrivateRedis(tmp_path / str(n)) for n in range(2)]
    for server in servers:
        server.directory.mkdir()
        server.start()
    try:
        layer, other = layers(*(server.url for server in servers))
        channels = [await layer.new_channel() for _ in range(8)]
        for n, channel in enumerate(channels):
            await layer.group_add(f"g{n}", channel)
        # Each name is subscribed on the one host it hashes to, and both hosts have some.
        names = [
            *channels,
            *(layer._get_layer()._get_group_channel_name(f"g{n}") for n in range(8)),
        ]
        counts = [[await asyncio.to_thread(s.subscribers, name) for s in servers] for name in names]
        assert all(sorted(count) == [0, 1] for count in counts), counts
        assert {count.index(1) for count in counts} == {0, 1}
        for n, channel in enumerate(channels):
            assert await other.send(channel, {"type": "c", "n": n}) == 1
            assert await other.group_send(f"g{n}", {"type": "g", "n": n}) == 1
            assert await other.group_watched(f"g{n}")
            got = [await asyncio.wait_for(layer.receive(channel), 5) for _ in range(2)]
            # Two hosts, two connections: no order between them.
            assert sorted(got, key=str) == [{"type": "c", "n": n}, {"type": "g", "n": n}]
        await layer.flush()
        await other.flush()
    finally:
        for server in servers:
            server.stop()


async def test_channels_redis_pubsub_understands_it_both_ways():
    config = {**live_config(), "prefix": f"test-live-{uuid.uuid4().hex}."}
    ours = LiveChannelLayer(**config)
    theirs = RedisPubSubChannelLayer(**config)
    mine, their_channel = await ours.new_channel(), await theirs.new_channel()
    await ours.group_add("g", mine)
    big = {"type": "x", "body": "é" * 700_000, "raw": bytes(range(256)), "n": [1, None, 2.5]}
    # Subscribed once group_add returned (Redis confirmed it).
    await theirs.group_send("g", big)
    assert await asyncio.wait_for(ours.receive(mine), 5) == big
    await eventually(lambda: ours.send(their_channel, {"type": "probe"}), "theirs subscribed")
    assert await asyncio.wait_for(theirs.receive(their_channel), 5) == {"type": "probe"}
    assert await ours.send(their_channel, big) == 1
    assert await asyncio.wait_for(theirs.receive(their_channel), 5) == big
    await ours.flush()
    await theirs.flush()


async def test_a_channel_cancelled_while_subscribing_is_not_kept(private_redis):
    layer, _ = layers(private_redis.url)
    loop_layer = layer._get_layer()
    shard = loop_layer._shards[0]
    await layer.new_channel()  # connected
    await asyncio.to_thread(os.kill, private_redis.process.pid, signal.SIGSTOP)
    try:
        subscribing = asyncio.ensure_future(layer.new_channel("gone."))
        await asyncio.sleep(0.1)  # asked for; Redis does not answer
        subscribing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await subscribing
    finally:
        os.kill(private_redis.process.pid, signal.SIGCONT)
    assert not [name for name in loop_layer.channels if ".gone." in name]
    assert not [name for name in shard.wanted if ".gone." in name]
    await layer.flush()
