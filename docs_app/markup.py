"""Small pure helpers of the docs pages' markup: syntax highlighting, heading levels, and
the Markdown variants' code spans, fences and table cells."""

from __future__ import annotations

import re
from html import escape

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import HtmlLexer, JavascriptLexer, JsonLexer, PythonLexer, XmlLexer

FORMAT_LABELS = {
    "text": "Text",
    "json": "JSON",
    "xml": "XML",
    "html": "HTML",
    "base64": "Binary (Base64)",
    "hex": "Binary (hex)",
}
# Bigger examples are shown as they are: highlighting megabytes would stall the page.
MAX_HIGHLIGHT_CHARS = 64 * 1024
MAX_HEXDUMP_BYTES = 4096

# By a message's format, and the languages of the docs' own code (Socket.IO connection code).
_LEXERS = {
    "json": JsonLexer,
    "xml": XmlLexer,
    "html": HtmlLexer,
    "javascript": JavascriptLexer,
    "python": PythonLexer,
}
_FORMATTER = HtmlFormatter(nowrap=True)


def highlight(text: str, fmt: str) -> SafeString:
    """``text`` as HTML spans for ``fmt`` (Pygments escapes everything it emits)."""
    lexer = _LEXERS.get(fmt)
    if lexer is None or len(text) > MAX_HIGHLIGHT_CHARS:
        return mark_safe(escape(text, quote=False))
    return mark_safe(pygments_highlight(text, lexer(), _FORMATTER).rstrip("\n"))


_HEADING = re.compile(r"<(/?)h([1-6])>")


def shift_headings(html: str, by: int) -> SafeString:
    """Sanitized Markdown HTML with headings moved ``by`` levels down (at most h6), so that a
    description's ``# Title`` sits below the page's own headings instead of competing with
    its h1. The sanitizer allows no attributes on headings, so the tags are exactly ``<hN>``.
    """
    shifted = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + by)}>", html)
    return mark_safe(shifted)


_BACKTICKS = re.compile(r"`+")


def md_fence(text: str, info: str = "") -> str:
    """A fenced code block that no run of backticks inside ``text`` can close early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def md_code(text: str) -> str:
    """Inline code for any text (backticks inside get a longer delimiter)."""
    if not text:
        return "` `"
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "


def md_link_text(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", " ".join(text.split()))


def md_heading(level: int, text: str) -> str:
    return f"{'#' * min(6, level)} {' '.join(text.split())}"
