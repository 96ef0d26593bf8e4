"""The pure display helpers in core.formats: pretty-printing, hexdump, re-decoding."""

from __future__ import annotations

import pytest

from core.formats import (
    BodyFormatError,
    decode_bytes,
    detect_text_format,
    hexdump,
    pretty,
    pretty_html,
    pretty_json,
    pretty_xml,
)
from sessions.relay.store import message_fields


def test_pretty_json_keeps_order_unicode_and_number_spelling():
    assert pretty_json('{"z":1.50,"a":[1e3,-0,true,null],"é":"ü"}') == (
        '{\n  "z": 1.50,\n  "a": [\n    1e3,\n    -0,\n    true,\n    null\n  ],\n  "é": "ü"\n}'
    )
    # A string that looks like the internal number marker stays a string.
    assert pretty_json('["\\u0000abc:0", 2]') == '[\n  "\\u0000abc:0",\n  2\n]'


def test_pretty_json_says_where_it_is_wrong():
    with pytest.raises(BodyFormatError, match="line 2, column 6"):
        pretty_json('{"a": 1,\n "b" }')


def test_pretty_xml_keeps_namespaces_comments_and_declaration():
    assert pretty_xml('<a xmlns:n="u"><n:b k="1">t</n:b><!--c--><e/></a>') == (
        '<a xmlns:n="u">\n  <n:b k="1">t</n:b>\n  <!--c-->\n  <e/>\n</a>'
    )
    assert pretty_xml('<?xml version="1.0"?><a/>').startswith("<?xml")
    with pytest.raises(BodyFormatError, match="Invalid XML at line 1"):
        pretty_xml("<a><b></a>")


def test_pretty_html_is_forgiving():
    assert pretty_html("<div><p>One <b>two</b></p><br><pre> x\n  y</pre><span></span></div>") == (
        "<div>\n  <p>\n    One\n    <b>two</b>\n  </p>\n  <br>\n  <pre> x\n  y</pre>\n"
        "  <span></span>\n</div>"
    )
    assert pretty_html("<p>unclosed <i>tags") == "<p>\n  unclosed\n  <i>\n    tags"
    with pytest.raises(BodyFormatError):
        pretty("text", "x")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', "json"),
        ("[1, 2]", "json"),
        ("<a><b/></a>", "xml"),
        ("<!DOCTYPE html><html></html>", "html"),
        ("<p>loose", "html"),
        ("hello", "text"),
        ("", "text"),
        ("123abc", "text"),
    ],
)
def test_detect_text_format(text, expected):
    assert detect_text_format(text) == expected


def test_hexdump_lines():
    data = bytes(range(0x41, 0x41 + 20)) + b"\x00\x7f"
    assert hexdump(data) == (
        "00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  |ABCDEFGHIJKLMNOP|\n"
        "00000010  51 52 53 54 00 7f                                 |QRST..|"
    )
    assert hexdump(b"") == ""


def test_decode_bytes_with_other_encodings():
    assert decode_bytes("é".encode(), "latin-1") == "Ã©"
    assert decode_bytes("hé".encode("utf-16"), "utf-16") == "hé"
    assert decode_bytes(b"\xff", "utf-8") == "\ufffd"
    assert decode_bytes(b"\x80", "cp1252") == "€"
    with pytest.raises(BodyFormatError, match="Unknown encoding"):
        decode_bytes(b"", "ebcdic")


def test_stored_part_of_a_frame():
    assert message_fields("héllo", 3) == ("text", 6, "hé", None, True)
    assert message_fields("abc", 3) == ("text", 3, "abc", None, False)
    assert message_fields("a\x00", 10) == ("text", 2, None, b"a\x00", False)
    assert message_fields(b"\x01\x02\x03", 2) == ("binary", 3, None, b"\x01\x02", True)
    assert message_fields("", 5) == ("text", 0, "", None, False)
