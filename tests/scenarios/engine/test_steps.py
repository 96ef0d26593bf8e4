"""A scenario's steps checked as a whole: fields of each kind, and what only the list can tell."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.engine.steps import (
    DocumentedMessage,
    EndpointFacts,
    StepErrors,
    check_steps,
    describe,
    step_variables,
)

TICKER = EndpointFacts(
    "Ticker",
    {
        "subscribe": DocumentedMessage("send", ("BTC", "Chosen")),
        "trade": DocumentedMessage("receive", ("BTC",)),
    },
)


def lookup(endpoint: int) -> EndpointFacts | None:
    return TICKER if endpoint == 7 else None


CHAT: list[dict[str, Any]] = [
    {"kind": "connect", "alias": "alice", "url": "ws://127.0.0.1:9/chat"},
    {"kind": "connect", "alias": "bob", "url": "ws://127.0.0.1:9/chat?user={{bob}}"},
    {"kind": "send", "alias": "alice", "format": "json", "body": '{"text": "hi {{bob}}"}'},
    {
        "kind": "expect",
        "alias": "bob",
        "mode": "any",
        "timeout_ms": 2000,
        "assertions": [{"kind": "json", "path": "$.text", "op": "contains", "value": "hi"}],
    },
    {"kind": "extract", "extract": [{"variable": "id", "path": "$.id"}]},
    {"kind": "send", "alias": "bob", "format": "json", "body": '{"reply_to": "{{id}}"}'},
    {"kind": "expect", "alias": "alice", "none": True, "timeout_ms": 200, "assertions": []},
    {"kind": "wait", "ms": 10},
    {"kind": "disconnect", "alias": "alice", "code": 1000, "reason": "bye"},
    {"kind": "expect_close", "alias": "bob", "code": 1001, "by": "server"},
]


def test_a_chat_scenario_checks_and_compiles() -> None:
    steps = check_steps(CHAT)
    assert [step.kind for step in steps] == [spec["kind"] for spec in CHAT]
    assert steps[3].timeout_ms == 2000 and len(steps[3].assertions) == 1
    assert steps[4].source_step == 3
    assert steps[9].timeout_ms == 5000  # the default
    assert steps[0].title == "alice: connect to ws://127.0.0.1:9/chat"
    assert describe(CHAT[6]) == "alice: expect no matching frame"
    assert step_variables(CHAT[1]) == ["bob"]
    assert step_variables({"kind": "send", "body": "{{$randomUUID}} {{a}} {{a}}"}) == [
        "$randomUUID",
        "a",
    ]


def test_documented_messages_are_checked_against_the_endpoint() -> None:
    steps = [
        {"kind": "connect", "alias": "t", "endpoint": 7},
        {"kind": "send", "alias": "t", "message": "subscribe", "example": "Chosen"},
        {
            "kind": "expect",
            "alias": "t",
            "assertions": [{"kind": "message", "name": "trade"}, {"kind": "valid"}],
        },
    ]
    assert len(check_steps(steps, lookup)) == 3
    with pytest.raises(StepErrors) as caught:
        check_steps(
            [
                {"kind": "connect", "alias": "t", "endpoint": 7},
                {"kind": "send", "alias": "t", "message": "unsubscribe"},
                {"kind": "send", "alias": "t", "message": "subscribe", "example": "ETH"},
                {
                    "kind": "expect",
                    "alias": "t",
                    "assertions": [{"kind": "message", "name": "quote"}],
                },
                {"kind": "connect", "alias": "u", "endpoint": 8},
                {"kind": "connect", "alias": "w", "url": "ws://h/"},
                {"kind": "send", "alias": "w", "message": "subscribe"},
            ],
            lookup,
        )
    assert caught.value.errors == {
        "steps[1].message": ["the endpoint documents no message 'unsubscribe'"],
        "steps[2].example": ["'subscribe' has no example 'ETH'"],
        "steps[3].assertions[0].name": ["the endpoint documents no message 'quote'"],
        "steps[4].endpoint": ["endpoint 8 does not exist in this project"],
        "steps[6].alias": ["'w' connects to a URL: it has no documented messages"],
    }


@pytest.mark.parametrize(
    ("steps", "field", "words"),
    [
        ("x", "steps", "a list"),
        ([{"kind": "jump"}], "steps[0].kind", "not one of"),
        ([{"kind": "wait", "ms": 1, "extra": 1}], "steps[0].extra", "not a field"),
        ([{"kind": "wait"}], "steps[0].ms", "how long"),
        ([{"kind": "wait", "ms": -1}], "steps[0].ms", "milliseconds"),
        ([{"kind": "send", "alias": "a", "body": ""}], "steps[0].alias", "connect it first"),
        ([{"kind": "connect", "alias": "a b", "url": "ws://h/"}], "steps[0].alias", "a name"),
        ([{"kind": "connect", "alias": "a"}], "steps[0].endpoint", "either"),
        ([{"kind": "connect", "alias": "a", "url": "http://h/"}], "steps[0].url", "ws"),
        ([CHAT[0], CHAT[0]], "steps[1].alias", "already connected"),
        (
            [CHAT[0], {"kind": "send", "alias": "alice", "format": "json", "body": "{"}],
            "steps[1].body",
            "line 1",
        ),
        (
            [CHAT[0], {"kind": "send", "alias": "alice", "format": "yaml", "body": ""}],
            "steps[1].format",
            "not one of",
        ),
        (
            [CHAT[0], {"kind": "send", "alias": "alice", "body": "x", "example": "e"}],
            "steps[1].example",
            "goes with",
        ),
        ([CHAT[0], {"kind": "expect", "alias": "alice", "mode": "first"}], "steps[1].mode", "next"),
        (
            [CHAT[0], {"kind": "expect", "alias": "alice", "timeout_ms": 10**9}],
            "steps[1].timeout_ms",
            "milliseconds",
        ),
        (
            [
                CHAT[0],
                {
                    "kind": "expect",
                    "alias": "alice",
                    "assertions": [{"kind": "json", "path": "$[", "op": "exists"}],
                },
            ],
            "steps[1].assertions[0].path",
            "JSONPath",
        ),
        (
            [
                CHAT[0],
                {
                    "kind": "expect",
                    "alias": "alice",
                    "assertions": [{"kind": "text", "op": "matches", "value": "(("}],
                },
            ],
            "steps[1].assertions[0].value",
            "regular expression",
        ),
        (
            [CHAT[0], {"kind": "extract", "extract": [{"variable": "x", "path": "$.a"}]}],
            "steps[1].extract",
            "no expect step",
        ),
        (
            [
                CHAT[0],
                CHAT[3].copy() | {"alias": "alice"},
                {"kind": "extract", "step": 0, "extract": [{"variable": "x", "path": "$.a"}]},
            ],
            "steps[2].step",
            "earlier expect",
        ),
        (
            [
                CHAT[0],
                CHAT[3].copy() | {"alias": "alice"},
                {"kind": "extract", "extract": [{"variable": "x", "regex": "(a"}]},
            ],
            "steps[2].extract[0].regex",
            "regular expression",
        ),
        (
            [CHAT[0], {"kind": "disconnect", "alias": "alice", "code": 1006}],
            "steps[1].code",
            "1000 or 3000-4999",
        ),
        (
            [CHAT[0], {"kind": "disconnect", "alias": "alice", "reason": "x" * 124}],
            "steps[1].reason",
            "123 bytes",
        ),
        (
            [CHAT[0], {"kind": "expect_close", "alias": "alice", "by": "nobody"}],
            "steps[1].by",
            "server",
        ),
        (
            [
                CHAT[0],
                {"kind": "disconnect", "alias": "alice"},
                {"kind": "send", "alias": "alice", "body": ""},
            ],
            "steps[2].alias",
            "connect it first",
        ),
        ([{"kind": "wait", "ms": 1, "title": 5}], "steps[0].title", "text"),
    ],
)
def test_bad_steps_are_named(steps: Any, field: str, words: str) -> None:
    with pytest.raises(StepErrors) as caught:
        check_steps(steps)
    assert field in caught.value.errors, caught.value.errors
    assert words in caught.value.errors[field][0]


def test_one_bad_step_does_not_blame_the_ones_after_it() -> None:
    with pytest.raises(StepErrors) as caught:
        check_steps(
            [
                {"kind": "connect", "alias": "a", "url": "ftp://x"},
                {"kind": "send", "alias": "a", "body": "hi"},
                {"kind": "expect", "alias": "a", "mode": "sometimes"},
                {"kind": "extract", "extract": [{"variable": "v", "path": "$.v"}]},
            ]
        )
    assert set(caught.value.errors) == {"steps[0].url", "steps[2].mode"}


def test_an_alias_can_reconnect_after_it_closed() -> None:
    steps = [CHAT[0], {"kind": "disconnect", "alias": "alice"}, CHAT[0]]
    assert [step.alias for step in check_steps(steps)] == ["alice"] * 3
