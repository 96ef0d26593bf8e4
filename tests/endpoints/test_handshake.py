"""The handshake fields are listed once (endpoints/handshake.py): every producer uses them."""

from __future__ import annotations

from typing import Any

import pytest

from endpoints.activity.history import endpoint_snapshot, revert_data
from endpoints.handshake import API_FIELDS, PROTOCOL_FIELDS, handshake_data
from endpoints.tree.selectors import endpoint_get
from endpoints.tree.serializers import endpoint_data
from sessions.serializers import session_data
from sessions.services import session_create
from tests.factories import make_endpoint

pytestmark = pytest.mark.django_db

HANDSHAKE = {
    "url": "wss://example.test/{{path}}",
    "params": [{"name": "symbol", "value": "{{sym}}", "enabled": True, "description": ""}],
    "headers": [{"name": "X-Key", "value": "k", "enabled": False, "description": "d"}],
    "cookies": [{"name": "sid", "value": "1", "enabled": True, "description": ""}],
    "subprotocols": ["v1.json"],
    "settings": {"open_timeout": 3.0},
}


def _handshake_of(body: dict[str, Any]) -> dict[str, Any]:
    return {name: body[name] for name in API_FIELDS}


def test_endpoint_session_and_history_show_the_one_handshake(team: Any) -> None:
    created = make_endpoint(team, **HANDSHAKE)
    endpoint = endpoint_get(project=team.project, endpoint_id=created.pk)
    expected = handshake_data(endpoint)
    assert list(expected) == list(API_FIELDS)
    assert expected["settings"]["open_timeout"] == 3.0 and expected["settings"]["verify_tls"]

    assert _handshake_of(endpoint_data(endpoint)) == expected
    assert _handshake_of(endpoint_snapshot(endpoint)) == expected
    session = session_create(actor=team.editor, project=team.project, endpoint=endpoint)
    assert _handshake_of(session_data(session)) == expected
    used = {entry["name"] for entry in endpoint_data(endpoint)["variables"]}
    assert used == {"path", "sym"}


def test_a_snapshot_stored_before_still_reverts_field_by_field(team: Any) -> None:
    # A snapshot as the history stored it before the field list was shared, keys in that order.
    stored = {
        "name": "Old",
        "url": "wss://example.test/old",
        "folder": None,
        "position": 0,
        "params": [],
        "headers": [],
        "cookies": [],
        "subprotocols": ["v0"],
        "settings": {"open_timeout": 10.0},
        "messages": [],
        "status": "developing",
        "assignee": None,
        "tags": [],
        "description": "",
    }
    data = revert_data(stored, message_ids=[], folder_ids=[], member_ids=[])
    for name in API_FIELDS:
        if name in PROTOCOL_FIELDS:
            # Snapshots from before Socket.IO endpoints: the revert keeps the protocol.
            assert name not in data
        else:
            assert data[name] == stored[name]
