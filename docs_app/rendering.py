"""Pure helpers that turn docs data into page fragments and Markdown: highlighting, examples,
handshake rows, the tree, and the Markdown/llms.txt variants.

Everything user-written is escaped here (``html.escape``) or comes from the one sanitizing
Markdown renderer; the big lists are built as strings because a template loop over 1,000
endpoints would cost more than the queries that fetch them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from pygments import highlight as pygments_highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import HtmlLexer, JsonLexer, XmlLexer

from core.formats import (
    BINARY_FORMATS,
    PRETTY_FORMATS,
    BodyFormatError,
    decode_base64,
    decode_hex,
    hexdump,
    pretty,
)
from core.markdown import render_markdown
from docs_app.schema_table import SchemaTable, match_words, schema_rows
from docs_app.selectors import (
    DocsEndpoint,
    DocsEndpointSummary,
    DocsFolder,
    DocsTree,
    MessageOutline,
)
from endpoints.contracts.examples import default_body
from endpoints.contracts.schemas import COMPONENTS_PREFIX, referenced_in_order
from endpoints.environments.resolver import fill_known
from endpoints.models import EndpointStatus

STATUS_LABELS: dict[str, str] = {str(value): str(label) for value, label in EndpointStatus.choices}
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

_LEXERS = {"json": JsonLexer, "xml": XmlLexer, "html": HtmlLexer}
_FORMATTER = HtmlFormatter(nowrap=True)


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.title())


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


# --- examples and handshake rows ------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """A saved message as the docs show it."""

    name: str
    format: str
    format_label: str
    description: str
    code_html: SafeString  # highlighted text, or the hexdump of a binary message
    text: str  # what a reader copies: the (pretty) text, or the Base64/hex as written
    binary: bool
    byte_count: int | None
    truncated: bool
    note: str
    dump: str = ""  # the hexdump as plain text (binary messages)


def example_view(message: Any, values: Mapping[str, str]) -> Example:
    """A message's default example (its first), as ``example_of`` shows it."""
    body = default_body(message.examples)
    return example_of(message.name, message.format, message.description, body, values)


def example_of(
    name: str, fmt: str, description: str, body: str, values: Mapping[str, str]
) -> Example:
    """Fill shared values in, pretty-print text formats, hexdump binary ones.

    A body that no longer parses once filled (a ``{{placeholder}}`` left where a number
    goes, say) is shown as written rather than not at all.
    """
    body = fill_known(body, values)
    if len(body) <= MAX_CACHED_EXAMPLE_CHARS:
        return _example_cached(name, fmt, description, body)
    return _example(name, fmt, description, body)


# Pretty-printing and highlighting is most of an endpoint page's time, and the same examples
# are shown on every view of it: small ones are kept (4,096 of them, a few KiB each).
MAX_CACHED_EXAMPLE_CHARS = 4096


def _example(name: str, fmt: str, description: str, body: str) -> Example:
    label = FORMAT_LABELS.get(fmt, fmt)
    if fmt in BINARY_FORMATS:
        try:
            data = decode_base64(body) if fmt == "base64" else decode_hex(body)
        except BodyFormatError:
            return Example(
                name, fmt, label, description, highlight(body, "text"), body,
                True, None, False, "Holds placeholders; shown as written.",
            )  # fmt: skip
        shown = data[:MAX_HEXDUMP_BYTES]
        truncated = len(data) > len(shown)
        dump = hexdump(shown)
        return Example(
            name, fmt, label, description, mark_safe(escape(dump, quote=False)),
            body.strip(), True, len(data), truncated, "", dump,
        )  # fmt: skip
    text = body
    if fmt in PRETTY_FORMATS and len(body) <= MAX_HIGHLIGHT_CHARS:
        try:
            text = pretty(fmt, body)
        except BodyFormatError:
            text = body
    return Example(
        name, fmt, label, description, highlight(text, fmt), text,
        False, None, False, "",
    )  # fmt: skip


_example_cached = lru_cache(maxsize=4096)(_example)


# --- documented messages --------------------------------------------------------------------

DIRECTION_TITLES = {
    "send": "Client → server (send)",
    "receive": "Server → client (receive)",
}


@lru_cache(maxsize=4096)
def description_html(text: str) -> SafeString:
    """A message's or schema's Markdown description, sanitized, its headings below the
    message's own h4 (the same few descriptions are rendered on every page view)."""
    return shift_headings(render_markdown(text), 4)


@dataclass(frozen=True)
class MessageDoc:
    """A documented message as the docs show it; ``replies`` are the receive messages that
    answer it (a send message's), listed under it instead of among the received ones."""

    name: str
    direction: str
    format: str
    format_label: str
    description: str
    description_html: SafeString
    match: str
    table: SchemaTable | None
    examples: list[Example]
    reply_to: str
    replies: list[MessageDoc] = field(default_factory=list)


@dataclass(frozen=True)
class SchemaDoc:
    name: str
    description: str
    description_html: SafeString
    table: SchemaTable


@dataclass(frozen=True)
class MessagesView:
    send: list[MessageDoc]
    receive: list[MessageDoc]
    schemas: list[SchemaDoc]

    @property
    def groups(self) -> list[tuple[str, str, list[MessageDoc]]]:
        """(direction, title, messages) of each direction that has messages."""
        return [
            (direction, DIRECTION_TITLES[direction], items)
            for direction, items in (("send", self.send), ("receive", self.receive))
            if items
        ]

    @property
    def examples(self) -> list[Example]:
        found: list[Example] = []
        for _, _, items in self.groups:
            for message in items:
                found += message.examples
                for reply in message.replies:
                    found += reply.examples
        return found


def message_doc(
    message: Any, values: Mapping[str, str], project_schemas: Mapping[str, Any]
) -> MessageDoc:
    fmt = message.format
    examples = [
        example_of(str(item.get("name", "")), fmt, "", str(item.get("body", "")), values)
        for item in (message.examples or [])
    ]
    return MessageDoc(
        name=message.name,
        direction=message.direction,
        format=fmt,
        format_label=FORMAT_LABELS.get(fmt, fmt),
        description=message.description,
        description_html=description_html(message.description),
        match=match_words(message.match),
        table=schema_rows(message.schema, project_schemas) if message.schema is not None else None,
        examples=examples,
        reply_to=message.reply_to,
    )


def messages_view(
    messages: Sequence[Any],
    values: Mapping[str, str],
    project_schemas: Mapping[str, Mapping[str, Any]],
) -> MessagesView:
    """An endpoint's messages by direction, each reply under the send message it answers, and
    the project schemas they refer to. ``project_schemas`` maps a name to its ``schema`` and
    ``description``."""
    schemas = {name: item["schema"] for name, item in project_schemas.items()}
    docs = [message_doc(message, values, schemas) for message in messages]
    send = [doc for doc in docs if doc.direction == "send"]
    by_name = {doc.name: doc for doc in send}
    receive = []
    for doc in docs:
        if doc.direction == "send":
            continue
        if doc.reply_to and doc.reply_to in by_name:
            by_name[doc.reply_to].replies.append(doc)
        else:
            receive.append(doc)
    used = referenced_in_order([message.schema for message in messages], schemas)
    return MessagesView(
        send,
        receive,
        [
            SchemaDoc(
                name,
                str(project_schemas[name].get("description", "")),
                description_html(str(project_schemas[name].get("description", ""))),
                # As a reference, so that a schema that refers to itself stops at once.
                schema_rows({"$ref": COMPONENTS_PREFIX + name}, schemas),
            )
            for name in used
        ],
    )


# --- documented messages as HTML -------------------------------------------------------------
# Built as strings, like the tree: 20 messages with their tables and examples through template
# includes cost several times the queries that fetch them.


def _example_html(example: Example) -> str:
    head = f'<div class="example"><p class="example-name">Example <q>{escape(example.name)}</q></p>'
    if example.binary and example.byte_count is not None:
        plural = "" if example.byte_count == 1 else "s"
        cut = "; the first 4,096 shown" if example.truncated else ""
        encoding = "hex" if example.format == "hex" else "Base64"
        return (
            f'{head}<p class="example-note">{example.byte_count} byte{plural}{cut}. Sent as one '
            f'binary frame.</p><pre class="code hexdump" aria-label="Hexdump"><code>'
            f'{example.code_html}</code></pre><details class="source"><summary>As {encoding}'
            f'</summary><div class="copyable"><pre class="code"><code>{escape(example.text)}'
            "</code></pre></div></details></div>"
        )
    note = f'<p class="example-note">{escape(example.note)}</p>' if example.note else ""
    return (
        f'{head}{note}<div class="copyable"><pre class="code hl"><code>{example.code_html}'
        "</code></pre></div></div>"
    )


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def schema_table_html(table: SchemaTable, caption: str) -> str:
    parts = []
    if table.root_constraints:
        parts.append(
            f'<p class="schema-root">{escape(_first_upper(table.root_type))}: '
            f"{escape('; '.join(table.root_constraints))}</p>"
        )
    parts.append(
        f'<div class="table-wrap"><table class="schema"><caption class="sr">{escape(caption)}'
        '</caption><thead><tr><th scope="col">Property</th><th scope="col">Type</th>'
        '<th scope="col">Required</th><th scope="col">Constraints</th>'
        '<th scope="col">Description</th></tr></thead><tbody>'
    )
    for row in table.rows:
        constraints = "<br>".join(f"<code>{escape(item)}</code>" for item in row.constraints)
        parts.append(
            f'<tr><td data-label="Property"><code>{escape(row.path)}</code></td>'
            f'<td data-label="Type">{escape(row.type)}</td>'
            f'<td data-label="Required">{"yes" if row.required else "no"}</td>'
            f'<td data-label="Constraints">{constraints}</td>'
            f'<td data-label="Description">{escape(row.description)}</td></tr>'
        )
    parts.append("</tbody></table></div>")
    if table.omitted:
        parts.append(f'<p class="example-note">{table.omitted_text}</p>')
    return "".join(parts)


def _message_html(message: MessageDoc, level: int, reply: bool) -> str:
    label = '<span class="reply-label">Reply:</span> ' if reply else ""
    parts = [
        f'<article class="message message-{escape(message.direction)}">'
        f'<header class="example-head"><h{level}>{label}{escape(message.name)}</h{level}>'
        f'<span class="format">{escape(message.format_label)}</span></header>'
        f'<p class="match">Matches: <code>{escape(message.match)}</code></p>'
    ]
    if message.description_html:
        parts.append(f'<div class="prose message-description">{message.description_html}</div>')
    if message.table is not None:
        parts.append(schema_table_html(message.table, f"Schema of {message.name}"))
    parts.extend(_example_html(example) for example in message.examples)
    if message.replies:
        parts.append('<div class="replies">')
        parts.extend(_message_html(item, level + 1, True) for item in message.replies)
        parts.append("</div>")
    parts.append("</article>")
    return "".join(parts)


def messages_html(view: MessagesView) -> SafeString:
    """The Messages section (by direction) and the Schemas section of an endpoint page."""
    parts = []
    if view.groups:
        parts.append(
            '<section class="block" aria-labelledby="messages-title">'
            '<h2 id="messages-title">Messages</h2>'
        )
        for direction, title, items in view.groups:
            parts.append(
                f'<section class="direction direction-{direction}" '
                f'aria-labelledby="messages-{direction}"><h3 id="messages-{direction}" '
                f'class="direction-title">{escape(title)}</h3>'
            )
            parts.extend(_message_html(item, 4, False) for item in items)
            parts.append("</section>")
        parts.append("</section>")
    if view.schemas:
        parts.append(
            '<section class="block" aria-labelledby="schemas-title">'
            '<h2 id="schemas-title">Schemas</h2>'
        )
        for schema in view.schemas:
            description = (
                f'<div class="prose">{schema.description_html}</div>'
                if schema.description_html
                else ""
            )
            parts.append(
                f'<article class="project-schema"><h3>{escape(schema.name)} '
                f'<span class="format">project schema</span></h3>{description}'
                f"{schema_table_html(schema.table, f'Schema {schema.name}')}</article>"
            )
        parts.append("</section>")
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class Row:
    name: str
    value: str
    description: str


def rows_view(rows: Iterable[Mapping[str, Any]], values: Mapping[str, str]) -> list[Row]:
    """Enabled handshake rows with shared values filled in (secrets stay placeholders)."""
    return [
        Row(
            fill_known(str(row.get("name", "")), values),
            fill_known(str(row.get("value", "")), values),
            str(row.get("description", "")),
        )
        for row in rows
        if row.get("enabled", True)
    ]


# --- the tree -------------------------------------------------------------------------------


def _badge(status: str) -> str:
    return f'<span class="badge s-{escape(status)}">{escape(status_label(status))}</span>'


def _dot(status: str) -> str:
    label = escape(status_label(status))
    return f'<span class="dot s-{escape(status)}" title="{label}"></span><span class="sr">{label}: </span>'


def _tags(tags: Sequence[str]) -> str:
    if not tags:
        return ""
    items = "".join(f"<li>{escape(tag)}</li>" for tag in tags)
    return f'<ul class="tags" aria-label="Tags">{items}</ul>'


def _endpoint_card(item: DocsEndpointSummary, root: str, path: str = "") -> str:
    crumbs = f'<p class="card-path">{escape(path)}</p>' if path else ""
    summary = f'<p class="card-summary">{escape(item.summary)}</p>' if item.summary else ""
    return (
        f'<li class="card">{crumbs}<div class="card-head">'
        f'<a class="card-name" href="{root}endpoints/{item.id}/">{escape(item.name)}</a>'
        f"{_badge(item.status)}</div>"
        f'<code class="card-url">{escape(item.url)}</code>{summary}{_tags(item.tags)}</li>'
    )


def listing_html(tree: DocsTree, root: str) -> SafeString:
    """The index body: a contents tree of folders, then one section per folder of cards."""
    parts: list[str] = []
    if tree.folders:
        parts.append('<nav class="contents" aria-label="Folders"><h2>Contents</h2>')
        parts.append(_contents(tree.folders))
        parts.append("</nav>")
    if tree.endpoints:
        parts.append('<section class="group" aria-label="Endpoints at the top level">')
        parts.append('<ul class="cards">')
        parts.extend(_endpoint_card(item, root) for item in tree.endpoints)
        parts.append("</ul></section>")

    def sections(folders: list[DocsFolder]) -> None:
        for folder in folders:
            if folder.endpoints:
                parent = " / ".join(folder.path[:-1])
                crumbs = f'<span class="crumbs">{escape(parent)} / </span>' if parent else ""
                parts.append(
                    f'<section class="group" id="folder-{folder.id}" '
                    f'aria-labelledby="folder-{folder.id}-title">'
                    f'<h2 class="group-title" id="folder-{folder.id}-title">{crumbs}'
                    f"{escape(folder.name)}</h2>"
                    '<ul class="cards">'
                )
                parts.extend(_endpoint_card(item, root) for item in folder.endpoints)
                parts.append("</ul></section>")
            sections(folder.folders)

    sections(tree.folders)
    return mark_safe("".join(parts))


def _count(folder: DocsFolder) -> int:
    return len(folder.endpoints) + sum(_count(child) for child in folder.folders)


def _contents(folders: list[DocsFolder]) -> str:
    items = []
    for folder in folders:
        target = folder
        # A folder with no endpoints of its own links to its first section below.
        while not target.endpoints and target.folders:
            target = target.folders[0]
        inner = _contents(folder.folders) if folder.folders else ""
        items.append(
            f'<li><a href="#folder-{target.id}">{escape(folder.name)}</a> '
            f'<span class="count">{_count(folder)}</span>{inner}</li>'
        )
    return f"<ul>{''.join(items)}</ul>"


def results_html(tree: DocsTree, items: Sequence[DocsEndpointSummary], root: str) -> SafeString:
    cards = "".join(
        _endpoint_card(item, root, " / ".join(f.name for f in tree.folder_path(item.folder_id)))
        for item in items
    )
    return mark_safe(f'<ul class="cards">{cards}</ul>')


def nav_html(tree: DocsTree, root: str, current_id: int | None) -> SafeString:
    """The sidebar: folders as disclosure widgets (open along the current page's path)."""
    open_ids: set[int] = set()
    for item in tree.ordered:
        if item.id == current_id:
            open_ids = {folder.id for folder in tree.folder_path(item.folder_id)}
            break

    def link(item: DocsEndpointSummary) -> str:
        current = ' aria-current="page"' if item.id == current_id else ""
        return (
            f'<li><a href="{root}endpoints/{item.id}/"{current}>{_dot(item.status)}'
            f"{escape(item.name)}</a></li>"
        )

    def folder_html(folder: DocsFolder) -> str:
        opened = " open" if folder.id in open_ids else ""
        inner = "".join(folder_html(child) for child in folder.folders)
        inner += "".join(link(item) for item in folder.endpoints)
        return (
            f'<li class="folder"><details{opened}><summary>{escape(folder.name)}</summary>'
            f"<ul>{inner}</ul></details></li>"
        )

    body = "".join(link(item) for item in tree.endpoints)
    body += "".join(folder_html(folder) for folder in tree.folders)
    return mark_safe(f'<ul class="tree">{body}</ul>')


# --- Markdown variants ----------------------------------------------------------------------

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


def md_table(rows: Sequence[Row]) -> str:
    lines = ["| Name | Value | Description |", "| --- | --- | --- |"]
    lines += [
        f"| {md_code(row.name)} | {md_code(row.value)} | {md_cell(row.description)} |"
        for row in rows
    ]
    return "\n".join(lines)


def index_markdown(
    project_name: str, description: str, tree: DocsTree, link_prefix: str = ""
) -> str:
    """The whole index as Markdown: description, then every folder's endpoints as a list."""
    out = [f"# {' '.join(project_name.split())}", ""]
    if description.strip():
        out += [description.strip(), ""]

    def entry(item: DocsEndpointSummary) -> str:
        line = (
            f"- [{md_link_text(item.name)}]({link_prefix}endpoints/{item.id}.md) — "
            f"{status_label(item.status)} — {md_code(item.url)}"
        )
        if item.tags:
            line += " — tags: " + ", ".join(item.tags)
        if item.summary:
            line += f"\n  {item.summary}"
        return line

    if tree.endpoints:
        out += [entry(item) for item in tree.endpoints] + [""]

    def walk(folders: list[DocsFolder], depth: int) -> None:
        for folder in folders:
            out.append(f"{'#' * min(6, depth)} {' '.join(folder.name.split())}")
            out.append("")
            if folder.endpoints:
                out.extend(entry(item) for item in folder.endpoints)
                out.append("")
            walk(folder.folders, depth + 1)

    walk(tree.folders, 2)
    return "\n".join(out).rstrip() + "\n"


def endpoint_markdown(
    endpoint: DocsEndpoint,
    *,
    path: Sequence[str],
    url: str,
    params: Sequence[Row],
    headers: Sequence[Row],
    cookies: Sequence[Row],
    subprotocols: Sequence[str],
    messages: MessagesView,
) -> str:
    out = [f"# {' '.join(endpoint.name.split())}", ""]
    facts = [f"- Status: {status_label(endpoint.status)}"]
    if path:
        facts.append("- Folder: " + " / ".join(path))
    if endpoint.tags:
        facts.append("- Tags: " + ", ".join(endpoint.tags))
    if endpoint.assignee:
        facts.append(f"- Responsible: {endpoint.assignee}")
    facts.append(f"- Last updated: {endpoint.updated_at:%Y-%m-%d %H:%M} UTC")
    out += [*facts, "", "## URL", "", md_fence(url), ""]
    if endpoint.description.strip():
        out += ["## Description", "", endpoint.description.strip(), ""]
    for title, rows in (("Query parameters", params), ("Headers", headers), ("Cookies", cookies)):
        if rows:
            out += [f"## {title}", "", md_table(rows), ""]
    if subprotocols:
        out += ["## Subprotocols", "", *(f"- {md_code(item)}" for item in subprotocols), ""]
    out += messages_markdown(messages, 2)
    return "\n".join(out).rstrip() + "\n"


def _heading(level: int, text: str) -> str:
    return f"{'#' * min(6, level)} {' '.join(text.split())}"


def example_markdown(example: Example) -> list[str]:
    if example.binary and example.byte_count is not None:
        encoding = "hex" if example.format == "hex" else "Base64"
        return [
            f"{example.byte_count} bytes, sent as one binary frame. Hexdump"
            + (" of the first 4,096 bytes:" if example.truncated else ":"),
            "",
            md_fence(example.dump),
            "",
            f"As {encoding}:",
            "",
            md_fence(example.text),
            "",
        ]
    info = example.format if example.format in PRETTY_FORMATS else ""
    return [md_fence(example.text, info), ""]


def schema_markdown(table: SchemaTable) -> list[str]:
    """A schema table as a Markdown table (and what the message must be as a whole)."""
    out: list[str] = []
    if table.root_constraints:
        out += [f"{_first_upper(table.root_type)}: " + "; ".join(table.root_constraints), ""]
    out += [
        "| Property | Type | Required | Constraints | Description |",
        "| --- | --- | --- | --- | --- |",
    ]
    out += [
        f"| {md_code(row.path)} | {md_cell(row.type)} | {'yes' if row.required else 'no'} | "
        f"{md_cell('; '.join(row.constraints))} | {md_cell(row.description)} |"
        for row in table.rows
    ]
    if table.omitted:
        out += ["", table.omitted_text]
    return [*out, ""]


def _message_markdown(message: MessageDoc, level: int, title: str) -> list[str]:
    out = [_heading(level, title), ""]
    out += [f"Format: {message.format_label}. Matches: {message.match}.", ""]
    if message.description.strip():
        out += [message.description.strip(), ""]
    if message.table is not None:
        out += ["Schema:", "", *schema_markdown(message.table)]
    for example in message.examples:
        out += [f"Example “{' '.join(example.name.split())}”:", "", *example_markdown(example)]
    for reply in message.replies:
        out += _message_markdown(reply, level + 1, f"Reply: {reply.name}")
    return out


def messages_markdown(view: MessagesView, level: int) -> list[str]:
    """The Messages and Schemas sections, their headings starting at ``level``."""
    out: list[str] = []
    if view.groups:
        out += [_heading(level, "Messages"), ""]
    for _, title, items in view.groups:
        out += [_heading(level + 1, title), ""]
        for message in items:
            out += _message_markdown(message, level + 2, message.name)
    if view.schemas:
        out += [_heading(level, "Schemas"), ""]
        for schema in view.schemas:
            out += [_heading(level + 1, f"{schema.name} (project schema)"), ""]
            if schema.description.strip():
                out += [schema.description.strip(), ""]
            out += schema_markdown(schema.table)
    return out


# llms.txt has every message in full up to this many; past it, endpoints get an outline and
# a link (a 1,000-endpoint project with 20 messages each would be a 33 MiB file otherwise).
LLMS_FULL_MESSAGES = 200


def llms_full_endpoints(tree: DocsTree, outlines: Mapping[int, Sequence[Any]]) -> list[int]:
    """The endpoints, in reading order, whose messages llms.txt has in full: as long as the
    running count stays within LLMS_FULL_MESSAGES."""
    chosen, total = [], 0
    for item in tree.ordered:
        count = len(outlines.get(item.id, ()))
        if not count:
            continue
        if total + count > LLMS_FULL_MESSAGES:
            break
        chosen.append(item.id)
        total += count
    return chosen


def _outline_markdown(outline: Sequence[MessageOutline]) -> list[str]:
    send = {item.name for item in outline if item.direction == "send"}
    replies: dict[str, list[str]] = {}
    for item in outline:
        if item.direction != "send" and item.reply_to in send:
            replies.setdefault(item.reply_to, []).append(item.name)
    out = []
    for direction, title in DIRECTION_TITLES.items():
        names = []
        for item in outline:
            if item.direction != direction or (direction != "send" and item.reply_to in send):
                continue
            answered = replies.get(item.name) if direction == "send" else None
            names.append(
                md_code(item.name)
                + (f" (reply: {', '.join(map(md_code, answered))})" if answered else "")
            )
        if names:
            out.append(f"- {title}: {', '.join(names)}")
    return [*out, "", "Schemas and examples: on the page above.", ""]


def llms_txt(
    project_name: str,
    description: str,
    tree: DocsTree,
    base_url: str,
    summary: str,
    messages: Mapping[int, MessagesView] | None = None,
    outlines: Mapping[int, Sequence[MessageOutline]] | None = None,
) -> str:
    """An llms.txt (llmstxt.org): what the docs are, a link to each Markdown page, then the
    endpoints' documented messages: in full (as their Markdown pages have them) for those in
    ``messages``, as an outline with a link for the others (``llms_full_endpoints``)."""
    out = [f"# {' '.join(project_name.split())}", ""]
    if summary:
        out += [f"> {summary}", ""]
    out += [
        "WebSocket API documentation shared read-only. Each page below is Markdown; "
        f"the whole index is at {base_url}index.md. Values written as {{{{name}}}} are "
        "placeholders you supply (secrets are never shown).",
        "",
    ]
    if description.strip() and description.strip() != summary:
        out += ["## About", "", description.strip(), ""]

    def entry(item: DocsEndpointSummary) -> str:
        line = f"- [{md_link_text(item.name)}]({base_url}endpoints/{item.id}.md)"
        extra = item.summary or f"{status_label(item.status)} WebSocket endpoint {item.url}"
        return f"{line}: {extra}"

    if tree.endpoints:
        out += ["## Endpoints", "", *(entry(item) for item in tree.endpoints), ""]

    def walk(folders: list[DocsFolder]) -> None:
        for folder in folders:
            if folder.endpoints:
                out.append("## " + " / ".join(" ".join(p.split()) for p in folder.path))
                out.append("")
                out.extend(entry(item) for item in folder.endpoints)
                out.append("")
            walk(folder.folders)

    walk(tree.folders)
    messages, outlines = messages or {}, outlines or {}
    documented = [item for item in tree.ordered if item.id in messages or outlines.get(item.id)]
    if documented:
        out += ["## Messages", ""]
    for item in documented:
        out += [_heading(3, item.name), "", f"Page: {base_url}endpoints/{item.id}.md", ""]
        if item.id in messages:
            out += messages_markdown(messages[item.id], 4)
            continue
        out += _outline_markdown(outlines[item.id])
    return "\n".join(out).rstrip() + "\n"
