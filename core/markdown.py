"""User Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes. Pure; used by docs and comments.

Raw HTML in the source is escaped by the renderer, and the sanitizer then keeps only an allow-list
of tags and attributes, so scripts, event handlers, ``javascript:`` URLs, iframes and inline
styles never reach a page.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_renderer = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "typographer": False}
).enable(["table", "strikethrough"])

ALLOWED_TAGS = {
    "a",
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "s",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "img",
    "span",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "ol": {"start"},
    "span": {"class"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "ws", "wss"}


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Markdown source → sanitized HTML fragment, safe to insert into a page as is."""
    if not text:
        return ""
    return sanitize_html(_renderer.render(text))


def markdown_summary(text: str, limit: int = 200) -> str:
    """The plain text of the first paragraph (markup dropped), cut at a word near ``limit``.

    For lists and search results, where a whole rendered description would be too much.
    Plain text, so the caller escapes it like any other text.
    """
    if not text:
        return ""
    tokens = _renderer.parse(text)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            inline = tokens[index + 1]
            parts = [
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in inline.children or []
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            ]
            summary = " ".join("".join(parts).split())
            if len(summary) <= limit:
                return summary
            cut = summary[:limit].rsplit(" ", 1)[0] or summary[:limit]
            return cut.rstrip(" ,;:.") + "…"
    return ""
