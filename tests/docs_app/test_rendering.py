"""The pure helpers behind the docs pages: filling values, Markdown output, examples, tokens."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.markdown import markdown_summary
from docs_app import markup, message_docs, tokens
from docs_app.services import description_digest
from endpoints.environments.resolver import fill_known

VALUES = {"host": "api.example.com", "n": "3", "nested": "{{host}}", "empty": ""}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("wss://{{host}}/x", "wss://api.example.com/x"),
        ("{{ host }}", "api.example.com"),  # whitespace inside braces
        ("{{host}}{{n}}", "api.example.com3"),  # adjacency
        ("{{nested}}", "{{host}}"),  # a value is not expanded again
        ("{{empty}}-", "-"),
        ("{{secret}}", "{{secret}}"),  # not given (a secret, or unknown): a placeholder
        ("{{ secret }}", "{{secret}}"),
        ("{{$timestamp}}", "{{$timestamp}}"),  # dynamic values are never computed for docs
        ("{{$nope}}", "{{$nope}}"),
        ("\\{{host}}", "{{host}}"),  # escaped: a literal {{
        ("{{a b}} {{1x}} {{ }}", "{{a b}} {{1x}} {{ }}"),  # not references: literal
        ("{{{host}}}", "{api.example.com}"),
        ("no braces", "no braces"),
        ("ünï {{host}} ✓", "ünï api.example.com ✓"),
        ("{{host", "{{host"),
    ],
)
def test_fill_known(text, shown):
    assert fill_known(text, VALUES) == shown


def test_fill_known_long_values():
    assert fill_known("{{v}}" * 3, {"v": "x" * 100_000}) == "x" * 300_000


@pytest.mark.parametrize(
    ("text", "fenced"),
    [
        ("plain", "```\nplain\n```"),
        ("a ``` b", "````\na ``` b\n````"),
        ("`````", "``````\n`````\n``````"),
    ],
)
def test_md_fence(text, fenced):
    assert markup.md_fence(text) == fenced


def test_md_inline_pieces():
    assert markup.md_code("a`b") == "``a`b``"
    assert markup.md_code("`x`") == "`` `x` ``"
    assert markup.md_code("") == "` `"
    assert markup.md_cell("a | b\nc") == "a \\| b c"
    assert markup.md_link_text("[x] \\ y") == "\\[x\\] \\\\ y"


def test_shift_headings():
    html = "<h1>A</h1><p>x</p><h2>B</h2><h5>C</h5><h6>D</h6>"
    assert markup.shift_headings(html, 2) == "<h3>A</h3><p>x</p><h4>B</h4><h6>C</h6><h6>D</h6>"


def _message(fmt: str, body: str, name: str = "m") -> SimpleNamespace:
    return SimpleNamespace(
        name=name, format=fmt, examples=[{"name": "Example", "body": body}], description=""
    )


def test_examples_fill_values_pretty_print_and_fall_back():
    example = message_docs.example_view(_message("json", '{"h":"{{host}}","n":{{n}}}'), VALUES)
    assert example.text == '{\n  "h": "api.example.com",\n  "n": 3\n}'
    # a placeholder where a number goes: not JSON any more, shown as written
    example = message_docs.example_view(_message("json", '{"n": {{secret}}}'), VALUES)
    assert example.text == '{"n": {{secret}}}' and not example.binary
    example = message_docs.example_view(_message("xml", "<a><b>{{n}}</b></a>"), VALUES)
    assert example.text == "<a>\n  <b>3</b>\n</a>"
    example = message_docs.example_view(_message("text", "<b>hi</b>"), {})
    assert str(example.code_html) == "&lt;b&gt;hi&lt;/b&gt;"


def test_binary_examples_are_hexdumps():
    example = message_docs.example_view(_message("hex", "00 ff 41"), {})
    assert example.binary and example.byte_count == 3
    assert example.dump.startswith("00000000  00 ff 41") and example.dump.endswith("|..A|")
    big = message_docs.example_view(_message("hex", "ab" * 5000), {})
    assert big.truncated and big.byte_count == 5000 and len(big.dump.splitlines()) == 256
    held = message_docs.example_view(_message("base64", "{{secret}}"), {})
    assert held.byte_count is None and "placeholders" in held.note


def test_large_bodies_are_not_highlighted():
    body = '{"a": "' + "x" * (markup.MAX_HIGHLIGHT_CHARS + 10) + '"}'
    example = message_docs.example_view(_message("json", body), {})
    assert "<span" not in str(example.code_html)


@pytest.mark.parametrize(
    ("markdown", "summary"),
    [
        ("", ""),
        ("## Title only", ""),
        ("# T\n\nFirst *para*\nline two.\n\nSecond.", "First para line two."),
        ("Uses `code` and [a link](https://x.example).", "Uses code and a link."),
        ("<script>alert(1)</script> text", "<script>alert(1)</script> text"),
    ],
)
def test_markdown_summary(markdown, summary):
    assert markdown_summary(markdown) == summary


def test_markdown_summary_is_cut_at_a_word():
    assert markdown_summary("word " * 100, 23) == "word word word word…"


def test_tokens_are_long_random_and_derivable():
    seed = tokens.new_seed()
    token = tokens.token_for(seed)
    assert len(token) == tokens.TOKEN_LENGTH and tokens.looks_like_token(token)
    assert tokens.token_for(seed) == token and tokens.token_for(tokens.new_seed()) != token
    assert tokens.recoverable_token(seed, tokens.token_digest(token)) == token
    assert tokens.recoverable_token(seed, "0" * 64) is None
    for junk in ("", "x" * 42, "x" * 44, "a" * 42 + "/", "a" * 42 + "="):
        assert not tokens.looks_like_token(junk)


def test_description_digest_follows_the_source():
    assert description_digest("a") == description_digest("a")
    assert description_digest("a") != description_digest("b")
