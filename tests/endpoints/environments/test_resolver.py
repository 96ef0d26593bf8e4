"""The one resolver of `{{name}}` references: pure, table-driven, with a fixed clock and random source."""

from __future__ import annotations

import random
import uuid

import pytest

from core.errors import ValidationFailed
from endpoints.environments.resolver import (
    MASK,
    Dynamics,
    Reference,
    fill_known,
    is_valid_name,
    parse,
    references,
    references_in_endpoint,
    resolve_body,
    resolve_handshake,
    resolve_text,
    static_text,
    url_template_problem,
    usage_summary,
)
from endpoints.errors import UnresolvedVariables

VALUES = {
    "a": "A",
    "b": "B",
    "host": "api.example.test",
    "token": "t0k3n",
    "ユーザー": "名前",
    "émoji": "🚀✓",
    "nested": "{{a}}",
    "dyn": "{{$timestamp}}",
    "empty": "",
    "dotted.name": "D",
    "dash-name": "H",
    "_private": "P",
    "braces": "}}{{",
    "backslash": "\\",
}
NOW_NS = 1_700_000_000_123_456_789  # 2023-11-14T22:13:20.123456789Z


def fixed(seed: int = 7) -> Dynamics:
    return Dynamics(now_ns=lambda: NOW_NS, rng=random.Random(seed))


# --- what counts as a reference, and what it becomes ---------------------------------------

RESOLVE_CASES = [
    # (text, expected)
    ("no references at all", "no references at all"),
    ("", ""),
    ("{{a}}", "A"),
    ("x{{a}}y", "xAy"),
    ("{{a}}{{b}}", "AB"),  # adjacency
    ("{{a}}{{a}}{{a}}", "AAA"),
    ("{{ a }}", "A"),  # whitespace inside braces
    ("{{\ta\t}}", "A"),
    ("{{   a}}", "A"),
    ("{{a   }}", "A"),
    ("{{ユーザー}}", "名前"),  # unicode name and value
    ("{{émoji}} ok", "🚀✓ ok"),
    ("{{dotted.name}}{{dash-name}}{{_private}}", "DHP"),
    ("[{{empty}}]", "[]"),
    # A value containing a reference is inserted as it is, never expanded again.
    ("{{nested}}", "{{a}}"),
    ("{{dyn}}", "{{$timestamp}}"),
    ("{{braces}}", "}}{{"),
    # Nesting: the inner reference resolves, the outer braces stay literal.
    ("{{a{{b}}}}", "{{aB}}"),
    ("{{{a}}}", "{A}"),
    ("{{{{a}}}}", "{{A}}"),
    ("{{a}}}", "A}"),
    ("{{{a}}", "{A"),
    # Not references: stay literal.
    ("{{", "{{"),
    ("}}", "}}"),
    ("{{a", "{{a"),
    ("a}}", "a}}"),
    ("{{ }}", "{{ }}"),
    ("{{}}", "{{}}"),
    ("{{a b}}", "{{a b}}"),
    ("{{1abc}}", "{{1abc}}"),
    ("{{-a}}", "{{-a}}"),
    ("{{a!}}", "{{a!}}"),
    ("{{\na\n}}", "{{\na\n}}"),  # line breaks inside braces are not whitespace here
    ("{a}", "{a}"),
    ("{ {a} }", "{ {a} }"),
    ('{"json": {"x": 1}}', '{"json": {"x": 1}}'),
    ("{{$}}", "{{$}}"),
    ("{{$ timestamp}}", "{{$ timestamp}}"),
    # Escapes: backslashes right before {{.
    ("\\{{a}}", "{{a}}"),
    ("\\{{", "{{"),
    ("\\\\{{a}}", "\\A"),
    ("\\\\\\{{a}}", "\\{{a}}"),
    ("\\\\\\\\{{a}}", "\\\\A"),
    ("a\\b \\{ \\}} \\n", "a\\b \\{ \\}} \\n"),  # backslashes elsewhere are untouched
    ('{"path": "C:\\\\dir"}', '{"path": "C:\\\\dir"}'),
    ("\\{{{a}}}", "{{{a}}}"),
    ("{{backslash}}{{a}}", "\\A"),  # a value's backslash does not escape what follows
]


@pytest.mark.parametrize(("text", "expected"), RESOLVE_CASES)
def test_resolve_text(text: str, expected: str) -> None:
    resolved, masked = resolve_text(text, VALUES, dynamics=fixed())
    assert resolved == expected
    assert masked == expected  # nothing is secret here


def test_very_long_values_and_texts() -> None:
    long_value = "x" * 1_000_000
    text = "{{big}}" * 3 + "{" * 10_000 + "{{ small }}"
    resolved, _ = resolve_text(text, {"big": long_value, "small": "s"})
    assert resolved == long_value * 3 + "{" * 10_000 + "s"
    many = "{{a}}" * 20_000
    assert resolve_text(many, VALUES)[0] == "A" * 20_000
    unclosed = "{{" + "a" * 200_000
    assert resolve_text(unclosed, VALUES)[0] == unclosed
    # Inputs that make a naive scanner quadratic: long runs of backslashes, braces, blanks.
    for hostile in ("\\" * 300_000, "{" * 300_000, "{{" + " " * 300_000, "{{a" * 100_000):
        assert resolve_text(hostile, VALUES)[0] == hostile


NAME_CASES = [
    ("token", True),
    ("_x", True),
    ("a.b-c_d9", True),
    ("ユーザー", True),
    ("Ωmega", True),
    ("9lives", False),
    ("-x", False),
    (".x", False),
    ("$timestamp", False),
    ("a b", False),
    ("", False),
    ("a" * 100, True),
    ("a" * 101, False),
]


@pytest.mark.parametrize(("name", "valid"), NAME_CASES)
def test_valid_names(name: str, valid: bool) -> None:
    assert is_valid_name(name) is valid
    if valid:
        assert references("{{" + name + "}}") == [Reference(name, False, 0, len(name) + 4)]


def test_parse_gives_segments_and_spans() -> None:
    text = "pre {{ a }} mid {{$randomInt}}\\{{b}}"
    assert parse(text) == [
        "pre ",
        Reference("a", False, 4, 11),
        " mid ",
        Reference("$randomInt", True, 16, 30),
        "{{b}}",
    ]
    assert [r.name for r in references("{{a}}{{a}}{{ b }}")] == ["a", "a", "b"]


# --- dynamic values ------------------------------------------------------------------------

DYNAMIC_CASES = [
    ("{{$timestamp}}", "1700000000"),
    ("{{$timestampMs}}", "1700000000123"),
    ("{{$isoTimestamp}}", "2023-11-14T22:13:20.123Z"),
    ("{{ $timestamp }}", "1700000000"),
]


@pytest.mark.parametrize(("text", "expected"), DYNAMIC_CASES)
def test_clock_dynamic_values(text: str, expected: str) -> None:
    assert resolve_text(text, {}, dynamics=fixed())[0] == expected


def test_random_dynamic_values_come_from_the_random_source() -> None:
    expected_rng = random.Random(7)
    uuid_bits = expected_rng.getrandbits(128)
    integer = expected_rng.randint(0, 1000)
    hex_bits = expected_rng.getrandbits(64)
    text = "{{$randomUUID}} {{$randomInt}} {{$randomHex}}"
    resolved, _ = resolve_text(text, {}, dynamics=fixed(7))
    got_uuid, got_int, got_hex = resolved.split(" ")
    assert got_uuid == str(uuid.UUID(int=uuid_bits, version=4))
    assert uuid.UUID(got_uuid).version == 4
    assert got_int == str(integer) and 0 <= int(got_int) <= 1000
    assert got_hex == f"{hex_bits:016x}" and len(got_hex) == 16


def test_dynamic_values_are_evaluated_at_each_use() -> None:
    ticks = iter(range(1, 10))
    clock = Dynamics(now_ns=lambda: next(ticks) * 1_000_000_000, rng=random.Random(1))
    assert resolve_text("{{$timestamp}} {{$timestamp}}", {}, dynamics=clock)[0] == "1 2"
    assert resolve_text("{{$timestamp}}", {}, dynamics=clock)[0] == "3"
    first, second = resolve_text("{{$randomUUID}}|{{$randomUUID}}", {})[0].split("|")
    assert first != second


def test_default_dynamics_use_the_real_clock() -> None:
    import time

    before = int(time.time())
    stamp = int(resolve_text("{{$timestamp}}", {})[0])
    assert before <= stamp <= int(time.time())


# --- unknown names and where they are ------------------------------------------------------


def test_unknown_names_are_all_collected_with_their_location() -> None:
    handshake = {
        "url": "wss://{{host}}/{{missing_path}}",
        "params": [
            {"name": "q", "value": "{{a}}", "enabled": True},
            {"name": "{{pname}}", "value": "{{pval}}", "enabled": True},
        ],
        "headers": [
            {"name": "X-One", "value": "ok"},
            {"name": "X-Off", "value": "{{ignored_when_disabled}}", "enabled": False},
            {"name": "Authorization", "value": "Bearer {{nope}} {{nope}}"},
        ],
        "cookies": [
            {"name": "sid", "value": "{{a}}"},
            {"name": "{{cookie_name}}", "value": "v"},
        ],
        "subprotocols": ["v1", "{{proto}}", "{{$noSuchDynamic}}"],
    }
    with pytest.raises(UnresolvedVariables) as caught:
        resolve_handshake(handshake, VALUES, set())
    error = caught.value
    assert [(u.name, u.where) for u in error.unresolved] == [
        ("missing_path", "url"),
        ("pname", "params[1].name"),
        ("pval", "params[1].value"),
        ("nope", "headers[2].value"),
        ("nope", "headers[2].value"),
        ("cookie_name", "cookies[1].name"),
        ("proto", "subprotocols[1]"),
        ("$noSuchDynamic", "subprotocols[2]"),
    ]
    body = error.body()
    assert body["code"] == "unresolved_variables" and error.status_code == 400
    assert {"name": "pval", "where": "params[1].value"} in body["unresolved"]
    assert body["fields"]["headers[2].value"] == ["Unknown variable 'nope'."] * 2
    assert body["fields"]["subprotocols[2]"] == ["Unknown dynamic value '$noSuchDynamic'."]
    assert "ignored_when_disabled" not in str(body)
    assert "missing_path (url)" in body["detail"]


def test_unknown_in_body_names_the_body() -> None:
    with pytest.raises(UnresolvedVariables) as caught:
        resolve_body('{"a": "{{a}}", "b": "{{zzz}}"}', VALUES)
    assert caught.value.body()["unresolved"] == [{"name": "zzz", "where": "body"}]
    with pytest.raises(UnresolvedVariables) as caught:
        resolve_body("{{zzz}}", VALUES, where="messages[3].body")
    assert caught.value.body()["fields"] == {"messages[3].body": ["Unknown variable 'zzz'."]}


def test_unresolved_detail_is_bounded() -> None:
    text = "".join(f"{{{{v{i}}}}}" for i in range(50))
    with pytest.raises(UnresolvedVariables) as caught:
        resolve_text(text, {})
    assert len(caught.value.body()["unresolved"]) == 50
    assert caught.value.detail.endswith("and 30 more.")


# --- secrets are masked --------------------------------------------------------------------

MASK_CASES = [
    # (text, resolved, masked)
    ("Bearer {{token}}", "Bearer s3cr3t", f"Bearer {MASK}"),
    ("{{token}}{{a}}{{token}}", "s3cr3tAs3cr3t", f"{MASK}A{MASK}"),
    ("{{a}}", "A", "A"),
    ("{{ token }}", "s3cr3t", MASK),
    ("\\{{token}}", "{{token}}", "{{token}}"),
    ("{{blank_secret}}", "", MASK),
]


@pytest.mark.parametrize(("text", "resolved", "masked"), MASK_CASES)
def test_masking(text: str, resolved: str, masked: str) -> None:
    values = {**VALUES, "token": "s3cr3t", "blank_secret": ""}
    assert resolve_text(text, values, {"token", "blank_secret"}) == (resolved, masked)
    assert resolve_body(text, values, {"token", "blank_secret"}) == (resolved, masked)


def test_resolve_handshake_values_and_masked_record() -> None:
    handshake = {
        "url": "{{base}}/ticker?fixed=1",
        "params": [
            {"name": "symbols", "value": "BTC,ETH", "enabled": True, "description": "d"},
            {"name": "off", "value": "x", "enabled": False, "description": ""},
            {"name": "key", "value": "{{token}}"},
            {"name": "q", "value": "a b&c=d/é"},
        ],
        "headers": [
            {"name": "Authorization", "value": "Bearer {{token}}"},
            {"name": "X-{{a}}", "value": "{{ユーザー}}"},
        ],
        "cookies": [{"name": "sid", "value": "{{token}}", "enabled": True}],
        "subprotocols": ["v2.{{a}}", "json"],
    }
    secret = "p@ss word"
    result = resolve_handshake(
        handshake, {**VALUES, "base": "wss://h.test", "token": secret}, {"token"}
    )
    assert result.values == {
        "url": "wss://h.test/ticker?fixed=1&symbols=BTC,ETH&key=p@ss%20word&q=a%20b%26c%3Dd/%C3%A9",
        "params": [
            {"name": "symbols", "value": "BTC,ETH"},
            {"name": "key", "value": secret},
            {"name": "q", "value": "a b&c=d/é"},
        ],
        "headers": [
            {"name": "Authorization", "value": f"Bearer {secret}"},
            {"name": "X-A", "value": "名前"},
        ],
        "cookies": [{"name": "sid", "value": secret}],
        "subprotocols": ["v2.A", "json"],
    }
    assert result.masked["url"] == (
        f"wss://h.test/ticker?fixed=1&symbols=BTC,ETH&key={MASK}&q=a%20b%26c%3Dd/%C3%A9"
    )
    assert result.masked["headers"][0] == {"name": "Authorization", "value": f"Bearer {MASK}"}
    assert result.masked["cookies"] == [{"name": "sid", "value": MASK}]
    assert result.masked["params"][1] == {"name": "key", "value": MASK}
    assert secret not in repr(result.masked) and "p%40ss" not in repr(result.masked)


URL_QUERY_CASES = [
    ("wss://h/x", "wss://h/x?k=v"),
    ("wss://h/x?", "wss://h/x?k=v"),
    ("wss://h/x?a=1", "wss://h/x?a=1&k=v"),
    ("wss://h/x?a=1&", "wss://h/x?a=1&k=v"),
    ("wss://h/x#frag", "wss://h/x?k=v#frag"),
]


@pytest.mark.parametrize(("url", "expected"), URL_QUERY_CASES)
def test_params_are_appended_to_the_url(url: str, expected: str) -> None:
    result = resolve_handshake({"url": url, "params": [{"name": "k", "value": "v"}]}, {}, set())
    assert result.values["url"] == expected
    assert resolve_handshake({"url": url}, {}, set()).values["url"] == url


INVALID_AFTER_RESOLUTION = [
    # (handshake, values, field that breaks)
    ({"url": "{{u}}"}, {"u": "http://h"}, "url"),
    ({"url": "wss://{{h}}/"}, {"h": "a b"}, "url"),
    (
        {"url": "wss://h", "headers": [{"name": "{{n}}", "value": "v"}]},
        {"n": "X Y"},
        "headers[0].name",
    ),
    (
        {"url": "wss://h", "headers": [{"name": "{{n}}", "value": "v"}]},
        {"n": ""},
        "headers[0].name",
    ),
    (
        {"url": "wss://h", "headers": [{"name": "X", "value": "{{v}}"}]},
        {"v": "a\r\nInjected: 1"},
        "headers[0].value",
    ),
    (
        {"url": "wss://h", "cookies": [{"name": "c", "value": "{{v}}"}]},
        {"v": "a;b"},
        "cookies[0].value",
    ),
    ({"url": "wss://h", "subprotocols": ["{{p}}"]}, {"p": "a b"}, "subprotocols[0]"),
]


@pytest.mark.parametrize(("handshake", "values", "field"), INVALID_AFTER_RESOLUTION)
def test_resolved_handshake_is_checked(handshake: dict, values: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        resolve_handshake(handshake, values, set())
    assert field in caught.value.body()["fields"]


def test_errors_about_resolved_fields_never_quote_secret_values() -> None:
    secret = "hunter2-secret:port"
    handshake = {
        "url": "wss://h:{{s}}/",
        "headers": [{"name": "X", "value": "{{s}}\n"}, {"name": "{{s}}", "value": "v"}],
    }
    with pytest.raises(ValidationFailed) as caught:
        resolve_handshake(handshake, {"s": secret}, {"s"})
    body = caught.value.body()
    assert set(body["fields"]) == {"url", "headers[0].value", "headers[1].name"}
    assert "hunter2" not in str(body)


# --- templates checked when saved ----------------------------------------------------------

URL_TEMPLATE_CASES = [
    ("wss://example.test/x", None),
    ("{{baseUrl}}/ticker", None),
    ("wss://{{ host }}:{{port}}/x?k={{k}}", None),
    ("ws://{{host}}", None),
    ("\\{{x}}", "scheme"),
    ("http://{{host}}/x", "scheme"),
    ("{{baseUrl}} /x", "spaces"),
    ("", "Enter"),
    ("http://example.test", "scheme"),
]


@pytest.mark.parametrize(("url", "problem"), URL_TEMPLATE_CASES)
def test_url_template_problem(url: str, problem: str | None) -> None:
    found = url_template_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


STATIC_CASES = [
    ("plain", "plain"),
    ('{"a": "\\{{x}}"}', '{"a": "{{x}}"}'),
    ("{{x}}", None),
    ("{{$timestamp}}", None),
    ("{{ not a ref }}", "{{ not a ref }}"),
]


@pytest.mark.parametrize(("text", "expected"), STATIC_CASES)
def test_static_text(text: str, expected: str | None) -> None:
    assert static_text(text) == expected


def test_references_in_endpoint_and_summary() -> None:
    handshake = {
        "url": "{{baseUrl}}/x",
        "params": [{"name": "k", "value": "{{token}}"}],
        "headers": [
            {"name": "X-A", "value": "1"},
            {"name": "X-B", "value": "{{off}}", "enabled": False},
            {"name": "{{hname}}", "value": "{{token}}-{{$timestamp}}"},
        ],
        "cookies": [{"name": "c", "value": "{{ token }}"}],
        "subprotocols": ["{{proto}}"],
    }
    messages = [{"body": '{"t": "{{token}}"}'}, {"body": "plain"}, {"body": "{{$randomInt}}"}]
    usages = references_in_endpoint(handshake, messages)
    assert [(u.name, u.where, u.enabled) for u in usages] == [
        ("baseUrl", "url", True),
        ("token", "params[0].value", True),
        ("off", "headers[1].value", False),
        ("hname", "headers[2].name", True),
        ("token", "headers[2].value", True),
        ("$timestamp", "headers[2].value", True),
        ("token", "cookies[0].value", True),
        ("proto", "subprotocols[0]", True),
        ("token", "messages[0].body", True),
        ("$randomInt", "messages[2].body", True),
    ]
    summary = usage_summary(usages)
    assert summary[1] == {
        "name": "token",
        "dynamic": False,
        "where": [
            "params[0].value",
            "headers[2].value",
            "cookies[0].value",
            "messages[0].body",
        ],
    }
    assert [entry["name"] for entry in summary] == [
        "baseUrl",
        "token",
        "off",
        "hname",
        "$timestamp",
        "proto",
        "$randomInt",
    ]


FILL_KNOWN_CASES = [
    # For display (docs pages): known names filled, everything else shown as a placeholder.
    ("wss://{{host}}/x", "wss://api.example.test/x"),
    ("Bearer {{ token }}", "Bearer t0k3n"),
    ("{{unknown}} and {{ $timestamp }}", "{{unknown}} and {{$timestamp}}"),
    ("\\{{host}}", "{{host}}"),
    ("{{nested}}", "{{a}}"),
    ("no braces", "no braces"),
]


@pytest.mark.parametrize(("text", "expected"), FILL_KNOWN_CASES)
def test_fill_known(text: str, expected: str) -> None:
    assert fill_known(text, VALUES) == expected
