"""Live contract checking in sessions opened from an endpoint: every frame sent and received is
named and checked against the endpoint's documented messages, over REST and the live socket;
strict endpoints refuse invalid sends; edits reach an open session without reconnecting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db.models import F

from endpoints.models import Endpoint, Message, ProjectSchema
from sessions.models import Event
from tests.conftest import assert_error
from tests.factories import make_endpoint
from tests.polling import wait_for
from tests.sessions.conftest import API, SessionClient
from tests.sessions.test_live import api_for, bearer, open_stream

pytestmark = pytest.mark.django_db(transaction=True)

SUBSCRIBE = '{"op": "subscribe", "channel": "trades"}'
TRADE_SCHEMA = {
    "type": "object",
    "required": ["type", "symbol", "price", "qty"],
    "properties": {
        "type": {"const": "trade"},
        "symbol": {"type": "string"},
        "price": {"$ref": "#/components/schemas/Price"},
        "qty": {"type": "number"},
    },
}


def ticker(team: Any, url: str, *, strict: bool = False) -> Endpoint:
    """The issue's ticker: subscribe (send), subscribed (its reply), trade and error."""
    endpoint = make_endpoint(team, url=url)
    if strict:
        Endpoint.objects.filter(pk=endpoint.pk).update(strict=True)
    ProjectSchema.objects.update_or_create(
        project=team.project, name="Price", defaults={"schema": {"type": "number"}}
    )
    rows: list[dict[str, Any]] = [
        {
            "name": "subscribe",
            "direction": "send",
            "format": "json",
            "schema": {
                "type": "object",
                "required": ["op", "channel"],
                "properties": {"op": {"const": "subscribe"}, "channel": {"type": "string"}},
            },
            "examples": [
                {"name": "trades", "body": SUBSCRIBE},
                {"name": "bad", "body": '{"op": "subscribe", "channel": 5}'},
            ],
            "match": {"kind": "path", "path": "$.op", "value": "subscribe"},
        },
        {
            "name": "subscribed",
            "direction": "receive",
            "format": "json",
            "reply_to": "subscribe",
            "match": {"kind": "path", "path": "$.type", "value": "subscribed"},
        },
        {
            "name": "trade",
            "direction": "receive",
            "format": "json",
            "description": "One trade.",
            "schema": TRADE_SCHEMA,
            "match": {"kind": "path", "path": "$.type", "value": "trade"},
        },
        {
            "name": "error",
            "direction": "receive",
            "format": "json",
            "match": {"kind": "path", "path": "$.type", "value": "error"},
        },
    ]
    for position, row in enumerate(rows):
        Message.objects.create(endpoint=endpoint, position=position, **row)
    return endpoint


def message_id(endpoint: Endpoint, name: str) -> int:
    return Message.objects.get(endpoint=endpoint, name=name).pk


def open_ticker(api: SessionClient, endpoint: Endpoint) -> int:
    session = api.create(endpoint=endpoint.pk)
    api.connect(session["id"])
    return int(session["id"])


def received_by_seq(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == "received"]


def verdicts(events: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    return [(e["kind"], e["message"], e["contract"]) for e in events if e["opcode"]]


EXPECTED = [
    ("sent", "subscribe", "valid"),
    ("received", "subscribed", "valid"),
    ("received", "trade", "valid"),
    ("received", "trade", "valid"),
    ("received", "trade", "invalid"),
    ("received", None, "undocumented"),
]


def test_every_frame_is_named_and_checked(team, relay, upstream, sessions_for):
    endpoint = ticker(team, upstream.url("/ticker"))
    api = sessions_for(team.editor)
    sid = open_ticker(api, endpoint)

    sent = api.send(sid, message_id=message_id(endpoint, "subscribe"))
    assert (sent["message"], sent["contract"], sent["problems"]) == ("subscribe", "valid", None)
    assert "warning" not in sent
    events = api.wait_events(sid, lambda ev: len(received_by_seq(ev)) >= 5)

    assert verdicts(events) == EXPECTED
    bad = next(e for e in events if e["contract"] == "invalid")
    assert json.loads(bad["text"])["price"] == "abc"
    assert [p["path"] for p in bad["problems"]] == ["/price"]
    assert "abc" in bad["problems"][0]["reason"]
    assert all(e["problems"] is None for e in events if e["contract"] != "invalid")
    status = [e for e in events if not e["opcode"]]
    assert status and all((e["contract"], e["message"]) == ("", None) for e in status)

    assert [e["seq"] for e in api.events(sid, contract="invalid")] == [bad["seq"]]
    undocumented = api.events(sid, contract="undocumented")
    assert [json.loads(e["text"]) for e in undocumented] == [{"type": "heartbeat"}]
    valid = api.events(sid, contract="valid")
    assert [e["message"] for e in valid] == ["subscribe", "subscribed", "trade", "trade"]
    refused = api.client.get(f"{API}{sid}/events/", {"contract": "bogus"})
    assert "contract" in assert_error(refused, 400, "validation_error")["fields"]

    # The detail view gives the documented message's schema beside the problems.
    detail = api.client.get(f"{API}{sid}/events/{bad['seq']}/").json()
    assert detail["contract"] == "invalid" and detail["problems"] == bad["problems"]
    assert detail["documented"]["name"] == "trade"
    assert detail["documented"]["schema"] == TRADE_SCHEMA
    assert detail["documented"]["description"] == "One trade."
    heartbeat = api.client.get(f"{API}{sid}/events/{undocumented[0]['seq']}/").json()
    assert heartbeat["documented"] is None and heartbeat["message"] is None
    stored = Event.objects.get(session_id=sid, seq=bad["seq"])
    assert (stored.message, stored.contract) == ("trade", "invalid")


async def test_live_viewers_get_the_same_verdicts(team, relay, upstream):
    endpoint = await sync_to_async(ticker)(team, upstream.url("/ticker"))
    api = api_for(team.editor)
    sid = await sync_to_async(open_ticker)(api, endpoint)
    viewer = await open_stream(f"/ws/sessions/{sid}/", await bearer(team.editor))
    subscribe = await sync_to_async(message_id)(endpoint, "subscribe")

    await viewer.send_to(
        json.dumps({"type": "send", "message_id": subscribe, "example": "bad", "ref": "s"})
    )
    events: list[dict[str, Any]] = []
    ack: dict[str, Any] = {}
    while len(received_by_seq(events)) < 5 or not ack:
        message = json.loads(await viewer.receive_from(timeout=10))
        if message["type"] == "events":
            events.extend(message["events"])
        elif message["type"] == "ack":
            ack = message
    await viewer.disconnect()

    # The named example, not the first, was sent and checked as that message.
    assert ack["message"] == "subscribe" and ack["contract"] == "invalid"
    assert [p["path"] for p in ack["problems"]] == ["/channel"]
    assert "violates the schema of message 'subscribe'" in ack["warning"]
    assert verdicts(events) == [("sent", "subscribe", "invalid"), *EXPECTED[1:]]
    bad = next(e for e in events if e["kind"] == "received" and e["contract"] == "invalid")
    assert [p["path"] for p in bad["problems"]] == ["/price"]
    stored = await sync_to_async(api.events)(sid)
    assert verdicts(stored) == verdicts(events)


def test_strict_endpoint_refuses_an_invalid_send(team, relay, ws_upstream, sessions_for):
    endpoint = ticker(team, ws_upstream.url("/ticker"), strict=True)
    api = sessions_for(team.editor)
    sid = open_ticker(api, endpoint)
    before = len(api.events(sid))
    received = len(ws_upstream.received_on("/ticker"))

    response = api.client.post(
        f"{API}{sid}/messages/",
        {
            "format": "json",
            "body": '{"op": "subscribe", "channel": {{n}}}',
            "variables": {"n": "5"},
        },
        format="json",
    )
    body = assert_error(response, 400, "contract_violation")
    assert list(body["fields"]) == ["/channel"] and "/channel" in body["detail"]
    # A problem of the whole body (a required field missing) is named "body".
    missing = api.client.post(
        f"{API}{sid}/messages/", {"format": "json", "body": '{"op": "subscribe"}'}, format="json"
    )
    fields = assert_error(missing, 400, "contract_violation")["fields"]
    assert list(fields) == ["body"] and "channel" in fields["body"][0]

    # A valid one still goes.
    assert api.send(sid, format="json", body=SUBSCRIBE)["contract"] == "valid"
    events = api.wait_events(sid, lambda ev: len(received_by_seq(ev)) >= 5)
    sent = [e for e in events if e["kind"] == "sent"]
    assert len(sent) == 1 and len(events) == before + 6
    assert ws_upstream.received_on("/ticker")[received:] == [SUBSCRIBE]


def test_a_non_strict_endpoint_sends_an_invalid_body_with_a_warning(
    team, relay, ws_upstream, sessions_for
):
    endpoint = ticker(team, ws_upstream.url("/ticker"))
    api = sessions_for(team.editor)
    sid = open_ticker(api, endpoint)

    sent = api.send(sid, format="json", body='{"op": "subscribe"}')
    assert (sent["message"], sent["contract"]) == ("subscribe", "invalid")
    assert sent["problems"][0]["path"] == "" and "channel" in sent["problems"][0]["reason"]
    assert "violates the schema" in sent["warning"]
    logged = api.events(sid, kind="sent")[-1]
    assert (logged["message"], logged["contract"]) == ("subscribe", "invalid")
    assert logged["problems"] == sent["problems"]
    # A send no match rule recognises is undocumented, and still sent.
    other = api.send(sid, format="text", body="hello")
    assert (other["message"], other["contract"], other["problems"]) == (
        None,
        "undocumented",
        None,
    )
    unknown = api.client.post(
        f"{API}{sid}/messages/",
        {"message_id": message_id(endpoint, "subscribe"), "example": "nope"},
        format="json",
    )
    assert "example" in assert_error(unknown, 400, "validation_error")["fields"]


def test_switching_strict_on_applies_to_the_very_next_send(team, relay, ws_upstream, sessions_for):
    endpoint = ticker(team, ws_upstream.url("/ticker"))
    api = sessions_for(team.editor)
    sid = open_ticker(api, endpoint)
    # This process has now read (and kept) the endpoint's contract, strict off.
    assert api.send(sid, format="json", body='{"op": "subscribe"}')["contract"] == "invalid"
    endpoint.refresh_from_db()
    patched = api.client.patch(
        f"/api/v1/projects/{team.project.pk}/endpoints/{endpoint.pk}/",
        {"strict": True, "version": endpoint.version},
        format="json",
    )
    assert patched.status_code == 200, patched.json()
    refused = api.client.post(
        f"{API}{sid}/messages/", {"format": "json", "body": '{"op": "subscribe"}'}, format="json"
    )
    assert_error(refused, 400, "contract_violation")


def test_sending_a_receive_messages_example_is_named_by_the_rules(
    team, relay, ws_upstream, sessions_for
):
    endpoint = ticker(team, ws_upstream.url("/ticker"))
    Message.objects.filter(endpoint=endpoint, name="error").update(
        examples=[{"name": "oops", "body": '{"type": "error", "reason": "x"}'}]
    )
    api = sessions_for(team.editor)
    sid = open_ticker(api, endpoint)
    sent = api.send(sid, message_id=message_id(endpoint, "error"))
    # No send message's rule recognises it: it is not logged as the receive message "error".
    assert (sent["message"], sent["contract"]) == (None, "undocumented")


def test_a_session_without_endpoint_checks_nothing(team, relay, ws_upstream, sessions_for):
    api = sessions_for(team.editor)
    session = api.create(project=team.project.pk, url=ws_upstream.url("/ticker"))
    api.connect(session["id"])
    sent = api.send(session["id"], format="json", body=SUBSCRIBE)
    assert (sent["message"], sent["contract"], sent["problems"]) == (None, "", None)
    events = api.wait_events(session["id"], lambda ev: len(received_by_seq(ev)) >= 5)
    assert all((e["message"], e["contract"], e["problems"]) == (None, "", None) for e in events)
    assert api.events(session["id"], contract="invalid") == []


def test_edits_reach_an_open_session(team, relay, ws_upstream, sessions_for):
    endpoint = ticker(team, ws_upstream.url("/ticker"))
    api = sessions_for(team.editor)
    sid = open_ticker(api, endpoint)
    api.send(sid, format="json", body=SUBSCRIBE)
    api.wait_events(sid, lambda ev: len(received_by_seq(ev)) >= 5)

    # A project schema edit: prices are strings now; and a message documents heartbeats.
    price = ProjectSchema.objects.get(project=team.project, name="Price")
    price.schema = {"type": "string"}
    price.save()
    Message.objects.create(
        endpoint=endpoint,
        position=9,
        name="heartbeat",
        direction="receive",
        format="json",
        match={"kind": "path", "path": "$.type", "value": "heartbeat"},
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(version=F("version") + 1)

    def second_round_checked_anew() -> bool:
        start = len(api.events(sid))
        api.send(sid, format="json", body=SUBSCRIBE)
        events = api.wait_events(sid, lambda ev: len(ev) >= start + 6)[start:]
        return verdicts(events) == [
            ("sent", "subscribe", "valid"),
            ("received", "subscribed", "valid"),
            ("received", "trade", "invalid"),
            ("received", "trade", "invalid"),
            ("received", "trade", "valid"),
            ("received", "heartbeat", "valid"),
        ]

    # Within a few seconds (the relay's heartbeat is 1 s in tests), without reconnecting.
    wait_for(second_round_checked_anew, 10, interval=0.5)
    assert api.get(sid)["connection"]["number"] == 1
