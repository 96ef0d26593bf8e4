"""Hostile mock clients on a real Daphne with small limits: an oversized message (1009), invalid
UTF-8 (1007), a flood beyond the rate limit (1008), one connection too many (429); each ends
that client alone, and the mock goes on serving others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import daphne_server
from tests.conftest import Team
from tests.mocks.chat import make_chat
from tests.wire import Closed, RawWebSocket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
AUTH = {"Authorization": "Bearer x"}


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[int]:
    with daphne_server(
        tmp_path,
        MOCK_MAX_MESSAGE_SIZE="1024",
        MOCK_RATE_LIMIT="5",
        MOCK_MAX_CONNECTIONS_PER_PROJECT="3",
    ) as url:
        yield int(url.rsplit(":", 1)[1])


def opened(port: int, key: str) -> RawWebSocket:
    ws = RawWebSocket(port, f"/mock/{key}/v1/chat", AUTH)
    assert ws.accepted, ws.status
    assert ws.recv_json()["type"] == "welcome"
    return ws


def still_serves(port: int, key: str) -> None:
    ws = opened(port, key)
    ws.send_json({"type": "say", "id": "after"})
    while ws.recv_json()["type"] != "said":
        pass
    ws.close()


def test_oversized_and_invalid_frames_get_the_protocol_close_codes(
    small_server: int, team: Team
) -> None:
    _, key = make_chat(team, {"unmatched": {"policy": "echo"}, "on_open": [{"message": "welcome"}]})
    big = opened(small_server, key)
    big.send_text("x" * 1025)
    assert big.close_code() == 1009
    bad = opened(small_server, key)
    bad.send_text(b'{"type": "say", "id": "\xff\xfe"}')
    assert bad.close_code() == 1007
    fine = opened(small_server, key)
    fine.send_text("x" * 1024)
    assert fine.recv() == (RawWebSocket.TEXT, b"x" * 1024)
    fine.close()
    still_serves(small_server, key)


def test_a_flood_beyond_the_rate_limit_is_closed_with_1008(small_server: int, team: Team) -> None:
    _, key = make_chat(team, {"on_open": [{"message": "welcome"}]})
    flood = opened(small_server, key)
    for n in range(40):
        flood.send_json({"type": "say", "id": str(n)})
    replies: list[Any] = []
    with pytest.raises(Closed) as closed:
        while True:
            replies.append(flood.recv_json())
    assert closed.value.code == 1008
    assert 0 < len(replies) <= 11  # the bucket holds twice the rate
    still_serves(small_server, key)


def test_connections_over_the_project_limit_are_refused(small_server: int, team: Team) -> None:
    _, key = make_chat(team, {"on_open": [{"message": "welcome"}]})
    three = [opened(small_server, key) for _ in range(3)]
    fourth = RawWebSocket(small_server, f"/mock/{key}/v1/chat", AUTH)
    assert fourth.status == 429
    three[0].close()

    def freed() -> bool:
        attempt = RawWebSocket(small_server, f"/mock/{key}/v1/chat", AUTH)
        attempt.close()
        return attempt.accepted

    from tests.polling import wait_for

    assert wait_for(freed, 10)
    for ws in three[1:]:
        ws.close()
