"""``@username`` mentions in comment Markdown: finding them in the source, marking them in HTML.

Pure functions. Which names are members is decided by the caller; a name that is not a
member's stays plain text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

# "@" not preceded by a word character (so "ana@example.com" is no mention), then a username.
# Django usernames may contain . + - too; a trailing "." ends the sentence, not the name.
_MENTION = re.compile(r"(?<![\w@])@(\w[\w.+-]*)")
_FENCED_CODE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"(`+).+?\1", re.DOTALL)
_TAG = re.compile(r"(<[^>]*>)")
# Text inside these elements is never a mention (code samples, link text).
_VERBATIM = {"code", "pre", "a"}


def _name(raw: str) -> str:
    return raw.rstrip(".")


def mentioned_names(source: str) -> list[str]:
    """Lower-cased usernames mentioned in Markdown ``source`` (outside code), first seen first."""
    text = _INLINE_CODE.sub(" ", _FENCED_CODE.sub(" ", source))
    names: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        name = _name(match.group(1)).lower()
        if name:
            names.setdefault(name, None)
    return list(names)


def highlight_mentions(rendered: str, members: Mapping[str, Mapping[str, Any]]) -> str:
    """Wrap each mention of a member (lower-cased username → user brief) in a span.

    ``rendered`` is sanitized HTML from ``core.markdown.render_markdown``; only text
    outside tags, code and links is touched, and the inserted markup is built here, escaped.
    """
    if not members or "@" not in rendered:
        return rendered
    pieces = _TAG.split(rendered)
    depth = 0
    for index, piece in enumerate(pieces):
        if index % 2:  # a tag
            match = re.match(r"<\s*(/?)\s*([a-zA-Z0-9]+)", piece)
            if match and match.group(2).lower() in _VERBATIM and not piece.endswith("/>"):
                depth += -1 if match.group(1) else 1
                depth = max(depth, 0)
            continue
        if depth or "@" not in piece:
            continue
        pieces[index] = _MENTION.sub(lambda m: _mark(m, members), piece)
    return "".join(pieces)


def _mark(match: re.Match[str], members: Mapping[str, Mapping[str, Any]]) -> str:
    raw = match.group(1)
    name = _name(raw)
    member = members.get(name.lower())
    if member is None:
        return match.group(0)
    trailing = raw[len(name) :]
    return (
        f'<span class="mention" data-user-id="{int(member["id"])}">'
        f"@{html.escape(name)}</span>{trailing}"
    )
