"""A project with a bit of everything an AsyncAPI export writes: two environments (one with a
{{region}} in its base URL and a secret), a documented ticker in a folder, a chat endpoint on
an absolute URL with handshake rows, cookies, subprotocols and settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from endpoints.models import Endpoint, Folder
from endpoints.tree.services import endpoint_create, folder_create
from tests.factories import make_env, make_ticker, make_var

SECRET = "s3cr3t-token-value"


@dataclass
class Rich:
    team: Any
    folder: Folder
    ticker: Endpoint
    chat: Endpoint


def make_rich(team: Any) -> Rich:
    staging = make_env(team, "Staging", "wss://{{region}}.staging.example.test/v1")
    make_env(team, "Production", "wss://api.example.test/v1")
    make_var(team, "region", "eu", env=staging)
    make_var(team, "token", SECRET, secret=True)
    make_var(team, "symbol", "BTC-USD")
    folder = folder_create(project=team.project, actor=team.admin, name="Market data")
    ticker = make_ticker(
        team,
        url="{{baseUrl}}/ticker",
        folder=folder.pk,
        description="Live **trades**.\n\n- one\n- two\n",
        tags=["Market", "public"],
        params=[
            {"name": "depth", "value": "10", "enabled": True, "description": "Book depth"},
            {"name": "debug", "value": "1", "enabled": False, "description": ""},
        ],
        headers=[
            {
                "name": "Authorization",
                "value": "Bearer {{token}}",
                "enabled": True,
                "description": "",
            }
        ],
        assignee=team.editor.pk,
        status="released",
    )
    chat = endpoint_create(
        project=team.project,
        actor=team.editor,
        data={
            "name": "Chat room",
            "url": "wss://chat.example.test:8443/rooms/{{room}}",
            "cookies": [{"name": "sid", "value": "{{token}}", "enabled": True, "description": ""}],
            # A name twice: more than a schema's properties can say.
            "params": [
                {"name": "tag", "value": "a", "enabled": True, "description": ""},
                {"name": "tag", "value": "b", "enabled": True, "description": ""},
            ],
            "subprotocols": ["chat.v1"],
            "settings": {"ping_interval": 5.0, "verify_tls": False},
            "strict": True,
            "messages": [
                {
                    "name": "say",
                    "direction": "send",
                    "format": "text",
                    "examples": [{"name": "Hi", "body": "hello {{symbol}}"}],
                },
                {
                    "name": "ping",
                    "direction": "send",
                    "format": "hex",
                    "examples": [{"name": "Ping", "body": "89 00"}],
                },
                {
                    "name": "joined",
                    "direction": "receive",
                    "format": "json",
                    "examples": [{"name": "Compact", "body": '{"who":"ada","n":1}'}],
                },
                {
                    "name": "notice",
                    "direction": "receive",
                    "format": "xml",
                    "description": "A notice.\n",
                    "examples": [{"name": "N", "body": "<notice>hi</notice>"}],
                },
            ],
        },
    )
    return Rich(team, folder, ticker, chat)


@pytest.fixture
def rich(team: Any) -> Rich:
    return make_rich(team)
