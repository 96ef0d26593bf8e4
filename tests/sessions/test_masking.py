"""The pure masking helpers the relay uses to keep secret values out of a session's records."""

from __future__ import annotations

import json
from urllib.parse import quote, quote_plus

import pytest

from sessions.masking import MASK, Masker, secret_forms, shown_pairs

SECRET = 'a b/c+d&e=f"ü'


def test_secret_forms_cover_every_spelling_longest_first() -> None:
    forms = secret_forms([SECRET, "", "tok"])
    for form in (
        SECRET,
        quote(SECRET, safe=",:@/!$'()*"),
        quote(SECRET, safe=""),
        quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        "tok",
    ):
        assert form in forms
    assert "" not in forms
    assert [len(f) for f in forms] == sorted((len(f) for f in forms), reverse=True)


@pytest.mark.parametrize(
    "message, expected",
    [
        (f"key={SECRET}!", f"key={MASK}!"),
        (json.dumps({"k": SECRET}), json.dumps({"k": MASK}, ensure_ascii=False)),
        (f"/x?k={quote(SECRET, safe='')}", f"/x?k={MASK}"),
        ("nothing here", "nothing here"),
        (SECRET.encode() + b"\x00", MASK.encode() + b"\x00"),
        (b"\xff\xfe", b"\xff\xfe"),
    ],
)
def test_masker_replaces_known_spellings_in_text_and_bytes(
    message: str | bytes, expected: str | bytes
) -> None:
    masker = Masker(secret_forms([SECRET]))
    assert masker.message(message) == expected


def test_masker_returns_the_same_object_when_nothing_matched() -> None:
    masker = Masker(secret_forms(["s3cr3t"]))
    text, data = "plain", b"plain"
    assert masker.message(text) is text and masker.message(data) is data
    assert not Masker() and Masker().message(text) is text


def test_a_longer_secret_is_masked_whole_before_a_shorter_one_inside_it() -> None:
    masker = Masker(secret_forms(["abc"]))
    masker.add(secret_forms(["abc-long"]))
    assert masker.text("abc-long and abc") == f"{MASK} and {MASK}"


def test_masker_reaches_into_nested_info() -> None:
    masker = Masker(["tok"])
    assert masker.value({"a": ["x tok", 1], "b": {"c": "tok"}}) == {
        "a": [f"x {MASK}", 1],
        "b": {"c": MASK},
    }


def test_shown_pairs_use_the_resolvers_masking_for_known_rows() -> None:
    # "abc" is also literal text of another header: only where the secret went is masked.
    real = [["X-Key", "abc"], ["X-Note", "abc literal"], ["Cookie", "c=abc"]]
    shown = [["X-Key", MASK], ["X-Note", "abc literal"], ["Cookie", f"c={MASK}"]]
    sent = [["Host", "abc.test"], *real, ["User-Agent", "x"]]
    assert shown_pairs(sent, real, shown, Masker(["abc"])) == [
        ["Host", f"{MASK}.test"],
        *shown,
        ["User-Agent", "x"],
    ]
