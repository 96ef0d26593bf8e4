"""A realistic shared project: folders, endpoints with every kind of row and example, tags, a
responsible person with an email, an environment with plain and secret values, a member's
private current value, and helpers to make share links."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from docs_app import services as docs_services
from docs_app.models import ShareLink
from endpoints.environments.services import current_value_set, environment_create, variable_create
from endpoints.models import Endpoint, Environment, Folder, Message, ProjectSchema
from endpoints.projects.services import project_update
from endpoints.tree.services import endpoint_create, folder_create

SECRET_VALUE = "sk_live_SECRET_9f8e7d6c5b4a"
PRIVATE_VALUE = "PRIVATE_current_value_4242"
GLOBAL_SECRET_VALUE = "GLOBAL_secret_0123456789"


@dataclass
class Docs:
    team: Any
    environment: Environment
    folders: dict[str, Folder]
    endpoints: dict[str, Endpoint]
    secrets: list[str] = field(default_factory=list)

    def link(self, **options: Any) -> tuple[ShareLink, str]:
        options.setdefault("name", "Partner docs")
        return docs_services.share_link_create(
            project=self.team.project, actor=self.team.admin, **options
        )


def rows(*items: tuple[str, str, str], disabled: tuple[str, str] | None = None) -> list[dict]:
    out = [{"name": n, "value": v, "enabled": True, "description": d} for n, v, d in items]
    if disabled:
        out.append({"name": disabled[0], "value": disabled[1], "enabled": False, "description": ""})
    return out


@pytest.fixture
def docs(team: Any) -> Docs:
    project, admin = team.project, team.admin
    admin.first_name, admin.last_name = "Ada", "Lovelace"
    admin.save()
    project_update(
        project=project,
        description="Real-time **market data** and order entry over WebSockets.\n\n"
        "Connect, subscribe, and receive snapshots followed by deltas.",
    )
    environment = environment_create(
        project=project, actor=admin, name="Production", base_url="wss://api.example.com"
    )
    variable_create(
        project=project, actor=admin, name="region", initial_value="eu-west", description=""
    )
    key = variable_create(
        project=project,
        actor=admin,
        name="apiKey",
        environment_id=environment.pk,
        initial_value=SECRET_VALUE,
        secret=True,
    )
    variable_create(
        project=project,
        actor=admin,
        name="globalToken",
        initial_value=GLOBAL_SECRET_VALUE,
        secret=True,
    )
    channel = variable_create(
        project=project,
        actor=admin,
        name="channel",
        environment_id=environment.pk,
        initial_value="ticker.v2",
    )
    current_value_set(variable=channel, user=team.viewer, value=PRIVATE_VALUE)
    current_value_set(variable=key, user=team.editor, value=PRIVATE_VALUE + "_key")

    market = folder_create(project=project, actor=admin, name="Market data")
    spot = folder_create(project=project, actor=admin, name="Spot", parent_id=market.pk)
    orders = folder_create(project=project, actor=admin, name="Orders")
    internal = folder_create(project=project, actor=admin, name="Internal tools")

    def create(name: str, folder: Folder | None, **data: Any) -> Endpoint:
        data.setdefault("url", "wss://{{baseUrl}}/x")
        return endpoint_create(
            project=project,
            actor=admin,
            data={"name": name, "folder": folder.pk if folder else None, **data},
        )

    ticker = create(
        "Ticker stream",
        spot,
        url="{{baseUrl}}/v2/ticker?region={{region}}",
        params=rows(
            ("symbols", "BTC,ETH", "Comma-separated instruments."), disabled=("debug", "1")
        ),
        headers=rows(
            ("X-Api-Key", "{{apiKey}}", "Issued per team; keep it out of logs."),
            ("X-Client", "docs-{{channel}}", ""),
            disabled=("X-Disabled-Header", "nope"),
        ),
        cookies=rows(("session", "{{globalToken}}", "Only for browser clients.")),
        subprotocols=["v2.ticker", "json"],
        messages=[
            {
                "name": "Subscribe",
                "format": "json",
                "body": '{"op":"subscribe","channel":"{{channel}}","depth":10,"price":1.50}',
                "description": "Send right after connecting.",
            },
            {"name": "Ping", "format": "text", "body": "ping"},
            {
                "name": "Order book (XML)",
                "format": "xml",
                "body": '<book><level price="1"/><level price="2"/></book>',
            },
            {"name": "Banner", "format": "html", "body": "<div><p>Hi</p></div>"},
            {"name": "Binary frame", "format": "base64", "body": "AAECAwQFBgcICQoLDA0ODxAREhM="},
            {"name": "Heartbeat", "format": "hex", "body": "de ad be ef"},
        ],
        tags=["market", "public"],
        assignee=admin.pk,
        description="# Ticker\n\nStreams **every trade**.\n\n| field | meaning |\n|---|---|\n"
        '| p | price |\n\n```json\n{"p": 1}\n```\n',
    )
    depth = create(
        "Depth stream",
        spot,
        url="wss://depth.example.com/v1",
        tags=["market"],
        description="Order book depth, 20 levels.",
        status="released",
    )
    place = create(
        "Place order",
        orders,
        url="wss://orders.example.com/v1",
        tags=["orders", "trading"],
        description="Submit limit and market orders.",
        messages=[{"name": "limit", "format": "json", "body": '{"side":"buy"}'}],
    )
    audit = create(
        "Audit firehose",
        internal,
        url="wss://internal.example.com/audit",
        tags=["internal-only"],
        description="Everything that happens, for the compliance team.",
    )
    health = create("Health probe", None, url="wss://health.example.com/", description="Up?")
    return Docs(
        team=team,
        environment=environment,
        folders={"market": market, "spot": spot, "orders": orders, "internal": internal},
        endpoints={
            "ticker": ticker,
            "depth": depth,
            "place": place,
            "audit": audit,
            "health": health,
        },
        secrets=[SECRET_VALUE, PRIVATE_VALUE, GLOBAL_SECRET_VALUE],
    )


@pytest.fixture
def browser() -> Client:
    """A plain Django client with no login: what a reader of a share link has."""
    return Client()


@pytest.fixture
def page_text() -> Callable[[Any], str]:
    def text(response: Any) -> str:
        return (
            b"".join(response.streaming_content).decode()
            if response.streaming
            else (response.content.decode())
        )

    return text


FILL_SCHEMA = {
    "type": "object",
    "description": "One **fill** of an order.",
    "required": ["px", "qty"],
    "properties": {
        "px": {"type": "number", "exclusiveMinimum": 0, "description": "Price"},
        "qty": {"type": "number", "minimum": 0},
        "next": {"$ref": "#/components/schemas/Fill"},
    },
}
TRADE_SCHEMA = {
    "type": "object",
    "required": ["type", "symbol", "fills"],
    "properties": {
        "type": {"const": "trade"},
        "symbol": {"type": "string", "pattern": "^[A-Z]+$", "maxLength": 12},
        "side": {"enum": ["buy", "sell"], "default": "buy"},
        "maker": {
            "type": "object",
            "required": ["id"],
            "properties": {
                "id": {"type": "integer", "minimum": 1, "description": "Account number"},
                "tier": {"type": ["string", "null"]},
            },
        },
        "fills": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/Fill"}},
    },
}


def ticker_contract_messages() -> list[dict[str, Any]]:
    """The ticker's documented messages: subscribe, its reply, trades and errors."""
    return [
        {
            "name": "subscribe",
            "direction": "send",
            "format": "json",
            "description": "Send right after connecting. See *channels*.",
            "schema": {
                "type": "object",
                "required": ["op", "channel"],
                "properties": {
                    "op": {"const": "subscribe"},
                    "channel": {"type": "string", "minLength": 1},
                },
            },
            "examples": [
                {"name": "Ticker", "body": '{"op":"subscribe","channel":"{{channel}}"}'},
                {"name": "Depth", "body": '{"op":"subscribe","channel":"depth"}'},
            ],
            "match": {"kind": "path", "path": "$.op", "value": "subscribe"},
        },
        {
            "name": "subscribed",
            "direction": "receive",
            "format": "json",
            "description": "Confirms a subscription.",
            "examples": [{"name": "OK", "body": '{"type":"subscribed","channel":"ticker.v2"}'}],
            "reply_to": "subscribe",
            "match": {"kind": "path", "path": "$.type", "value": "subscribed"},
        },
        {
            "name": "trade",
            "direction": "receive",
            "format": "json",
            "description": "# A trade\n\nOne per match. <script>alert(1)</script>",
            "schema": TRADE_SCHEMA,
            "examples": [
                {
                    "name": "BTC",
                    "body": '{"type":"trade","symbol":"BTC","maker":{"id":7},'
                    '"fills":[{"px":101.5,"qty":2}]}',
                }
            ],
            "match": {"kind": "path", "path": "$.type", "value": "trade"},
        },
        {
            "name": "error",
            "direction": "receive",
            "format": "text",
            "description": "Sent before the server closes.",
            "examples": [{"name": "Bad channel", "body": "ERR unknown channel"}],
            "match": {"kind": "regex", "pattern": "^ERR"},
        },
    ]


def document_endpoint(endpoint: Endpoint, messages: list[dict[str, Any]]) -> None:
    """Replace the endpoint's messages with ``messages`` (written as the contract tables hold
    them; the REST validation of these fields is tested with the endpoints app)."""
    Message.objects.filter(endpoint=endpoint).delete()
    Message.objects.bulk_create(
        [Message(endpoint=endpoint, position=i, **item) for i, item in enumerate(messages)]
    )


@pytest.fixture
def ticker_contract(docs: Docs) -> Endpoint:
    ProjectSchema.objects.create(
        project=docs.team.project,
        name="Fill",
        description="One **fill** of an order.",
        schema=FILL_SCHEMA,
    )
    ProjectSchema.objects.create(
        project=docs.team.project, name="Unused", schema={"type": "string"}
    )
    ticker = docs.endpoints["ticker"]
    document_endpoint(ticker, ticker_contract_messages())
    return ticker


# A literal value in a Socket.IO auth payload: never on a docs page, like the secrets.
AUTH_LITERAL = "literal-auth-value-77"


@pytest.fixture
def chat_endpoint(docs: Docs) -> Endpoint:
    """A Socket.IO endpoint in the market folder: namespace, auth payload, events both ways,
    an acknowledgement."""
    return endpoint_create(
        project=docs.team.project,
        actor=docs.team.admin,
        data={
            "name": "Trading chat",
            "folder": docs.folders["market"].pk,
            "protocol": "socketio",
            "url": "wss://chat.example.com/ignored?tenant=acme",
            "params": rows(("lang", "{{region}}", "")),
            "headers": rows(("X-Api-Key", "{{apiKey}}", "")),
            "socketio": {
                "namespace": "/desk",
                "path": "/rt/",
                "auth": json.dumps({"token": "{{apiKey}}", "client": AUTH_LITERAL}),
            },
            "messages": [
                {
                    "name": "say",
                    "direction": "send",
                    "description": "Say something at the desk.",
                    "schema": {
                        "type": "array",
                        "prefixItems": [
                            {"type": "string", "maxLength": 500, "description": "The text"},
                            {
                                "type": "object",
                                "required": ["room"],
                                "properties": {"room": {"type": "integer", "minimum": 1}},
                            },
                        ],
                        "minItems": 1,
                        "items": False,
                    },
                    "examples": [{"name": "Hello", "body": '["hello", {"room": 1}]'}],
                    "ack_schema": {
                        "type": "array",
                        "prefixItems": [{"enum": ["ok", "muted"], "description": "Outcome"}],
                    },
                },
                {
                    "name": "Someone spoke",
                    "event": "said",
                    "direction": "receive",
                    "schema": {"type": "array", "items": {"type": "string"}},
                    "examples": [{"name": "Reply", "body": '["hi back"]'}],
                },
            ],
        },
    )
