"""Documented messages as the docs pages show them: examples (pretty-printed or hexdumped),
schema tables, replies under their requests, in HTML and in Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

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
from docs_app.markup import (
    FORMAT_LABELS,
    MAX_HEXDUMP_BYTES,
    MAX_HIGHLIGHT_CHARS,
    highlight,
    md_cell,
    md_code,
    md_fence,
    md_heading,
    shift_headings,
)
from docs_app.schema_table import SchemaTable, arguments_rows, match_words, schema_rows
from endpoints.contracts.examples import default_body
from endpoints.contracts.schemas import COMPONENTS_PREFIX, referenced_in_order
from endpoints.environments.resolver import fill_known

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
# A Socket.IO endpoint's messages are events: the client emits, the server emits to it.
EVENT_DIRECTION_TITLES = {
    "send": "Client → server (emit)",
    "receive": "Server → client (event)",
}
ACK_NOTES = {
    "send": "The server acknowledges this event with these arguments: pass a callback as the "
    "emit's last argument to receive them.",
    "receive": "The server asks for an acknowledgement of this event: call the handler's last "
    "argument (the ack callback) with these arguments.",
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
    # A Socket.IO event's name ("" for a WebSocket message); then ``table`` lists its
    # arguments, and ``ack_table`` those of its acknowledgement, if one is documented.
    event: str = ""
    ack_table: SchemaTable | None = None


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
    events: bool = False  # a Socket.IO endpoint's: events, emitted either way

    @property
    def titles(self) -> dict[str, str]:
        return EVENT_DIRECTION_TITLES if self.events else DIRECTION_TITLES

    @property
    def groups(self) -> list[tuple[str, str, list[MessageDoc]]]:
        """(direction, title, messages) of each direction that has messages."""
        return [
            (direction, self.titles[direction], items)
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
    event = str(getattr(message, "event", "") or "")
    table = None
    if message.schema is not None:
        table = (arguments_rows if event else schema_rows)(message.schema, project_schemas)
    ack_schema = getattr(message, "ack_schema", None) if event else None
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
        table=table,
        examples=examples,
        reply_to=message.reply_to,
        event=event,
        ack_table=None if ack_schema is None else arguments_rows(ack_schema, project_schemas),
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
    used = referenced_in_order(documented_schemas(messages), schemas)
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
        events=any(doc.event for doc in docs),
    )


def documented_schemas(messages: Sequence[Any]) -> list[Any]:
    """The schemas ``messages`` document, acknowledgements' included: what may refer to a
    project schema."""
    found = []
    for message in messages:
        found.append(message.schema)
        if getattr(message, "ack_schema", None) is not None:
            found.append(message.ack_schema)
    return found


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


def schema_table_html(table: SchemaTable, caption: str, first: str = "Property") -> str:
    parts = []
    if table.root_constraints:
        parts.append(
            f'<p class="schema-root">{escape(_first_upper(table.root_type))}: '
            f"{escape('; '.join(table.root_constraints))}</p>"
        )
    parts.append(
        f'<div class="table-wrap"><table class="schema"><caption class="sr">{escape(caption)}'
        f'</caption><thead><tr><th scope="col">{first}</th><th scope="col">Type</th>'
        '<th scope="col">Required</th><th scope="col">Constraints</th>'
        '<th scope="col">Description</th></tr></thead><tbody>'
    )
    for row in table.rows:
        constraints = "<br>".join(f"<code>{escape(item)}</code>" for item in row.constraints)
        parts.append(
            f'<tr><td data-label="{first}"><code>{escape(row.path)}</code></td>'
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
    ]
    if message.event:
        parts.append(f'<p class="event">Event: <code>{escape(message.event)}</code></p>')
    else:
        parts.append(f'<p class="match">Matches: <code>{escape(message.match)}</code></p>')
    if message.description_html:
        parts.append(f'<div class="prose message-description">{message.description_html}</div>')
    if message.table is not None and message.event:
        parts.append('<p class="arguments-title">Arguments</p>')
        parts.append(schema_table_html(message.table, f"Arguments of {message.name}", "Argument"))
    elif message.table is not None:
        parts.append(schema_table_html(message.table, f"Schema of {message.name}"))
    if message.ack_table is not None:
        parts.append(
            f'<section class="ack"><p class="ack-title">Acknowledgement</p>'
            f'<p class="ack-note">{escape(ACK_NOTES[message.direction])}</p>'
            f"{schema_table_html(message.ack_table, f'Acknowledgement of {message.name}', 'Argument')}"
            "</section>"
        )
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


def schema_markdown(table: SchemaTable, first: str = "Property") -> list[str]:
    """A schema table as a Markdown table (and what the message must be as a whole)."""
    out: list[str] = []
    if table.root_constraints:
        out += [f"{_first_upper(table.root_type)}: " + "; ".join(table.root_constraints), ""]
    out += [
        f"| {first} | Type | Required | Constraints | Description |",
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
    out = [md_heading(level, title), ""]
    if message.event:
        out += [f"Event: {md_code(message.event)}.", ""]
    else:
        out += [f"Format: {message.format_label}. Matches: {message.match}.", ""]
    if message.description.strip():
        out += [message.description.strip(), ""]
    if message.table is not None and message.event:
        out += ["Arguments:", "", *schema_markdown(message.table, "Argument")]
    elif message.table is not None:
        out += ["Schema:", "", *schema_markdown(message.table)]
    if message.ack_table is not None:
        out += [f"Acknowledgement: {ACK_NOTES[message.direction]}", ""]
        out += schema_markdown(message.ack_table, "Argument")
    for example in message.examples:
        out += [f"Example “{' '.join(example.name.split())}”:", "", *example_markdown(example)]
    for reply in message.replies:
        out += _message_markdown(reply, level + 1, f"Reply: {reply.name}")
    return out


def messages_markdown(view: MessagesView, level: int) -> list[str]:
    """The Messages and Schemas sections, their headings starting at ``level``."""
    out: list[str] = []
    if view.groups:
        out += [md_heading(level, "Messages"), ""]
    for _, title, items in view.groups:
        out += [md_heading(level + 1, title), ""]
        for message in items:
            out += _message_markdown(message, level + 2, message.name)
    if view.schemas:
        out += [md_heading(level, "Schemas"), ""]
        for schema in view.schemas:
            out += [md_heading(level + 1, f"{schema.name} (project schema)"), ""]
            if schema.description.strip():
                out += [schema.description.strip(), ""]
            out += schema_markdown(schema.table)
    return out
