"""Pure helpers that turn docs data into page fragments and Markdown: handshake rows, the tree,
the index and endpoint Markdown variants and llms.txt. Documented messages are in
``message_docs``, the small markup helpers in ``markup``.

Everything user-written is escaped here (``html.escape``) or comes from the one sanitizing
Markdown renderer; the big lists are built as strings because a template loop over 1,000
endpoints would cost more than the queries that fetch them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from docs_app.markup import md_cell, md_code, md_fence, md_heading, md_link_text
from docs_app.message_docs import (
    DIRECTION_TITLES,
    EVENT_DIRECTION_TITLES,
    MessagesView,
    messages_markdown,
)
from docs_app.selectors import (
    DocsEndpoint,
    DocsEndpointSummary,
    DocsFolder,
    DocsTree,
    MessageOutline,
)
from docs_app.socketio_docs import SocketIODoc, socketio_markdown
from endpoints.environments.resolver import fill_known
from endpoints.handshake import SOCKETIO
from endpoints.models import EndpointStatus

STATUS_LABELS: dict[str, str] = {str(value): str(label) for value, label in EndpointStatus.choices}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status.title())


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


def _protocol(item: DocsEndpointSummary) -> str:
    return '<p class="card-protocol">Socket.IO</p>' if item.protocol == SOCKETIO else ""


def _endpoint_card(item: DocsEndpointSummary, root: str, path: str = "") -> str:
    crumbs = f'<p class="card-path">{escape(path)}</p>' if path else ""
    summary = f'<p class="card-summary">{escape(item.summary)}</p>' if item.summary else ""
    return (
        f'<li class="card">{crumbs}<div class="card-head">'
        f'<a class="card-name" href="{root}endpoints/{item.id}/">{escape(item.name)}</a>'
        f"{_badge(item.status)}</div>"
        f'<code class="card-url">{escape(item.url)}</code>{_protocol(item)}{summary}'
        f"{_tags(item.tags)}</li>"
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
        if item.protocol == SOCKETIO:
            line += " — Socket.IO"
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
    socketio: SocketIODoc | None = None,
) -> str:
    out = [f"# {' '.join(endpoint.name.split())}", ""]
    facts = [f"- Status: {status_label(endpoint.status)}"]
    if path:
        facts.append("- Folder: " + " / ".join(path))
    if endpoint.tags:
        facts.append("- Tags: " + ", ".join(endpoint.tags))
    if endpoint.assignee:
        facts.append(f"- Responsible: {endpoint.assignee}")
    if endpoint.auth and endpoint.auth.get("type") != "none":
        facts.append(f"- Auth: {endpoint.auth['label']}")
    facts.append(f"- Last updated: {endpoint.updated_at:%Y-%m-%d %H:%M} UTC")
    out += [*facts, "", "## URL", "", md_fence(url), ""]
    if socketio is not None:
        out += socketio_markdown(socketio, 2)
    if endpoint.description.strip():
        out += ["## Description", "", endpoint.description.strip(), ""]
    for title, rows in (("Query parameters", params), ("Headers", headers), ("Cookies", cookies)):
        if rows:
            out += [f"## {title}", "", md_table(rows), ""]
    if subprotocols:
        out += ["## Subprotocols", "", *(f"- {md_code(item)}" for item in subprotocols), ""]
    out += messages_markdown(messages, 2)
    return "\n".join(out).rstrip() + "\n"


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


def _outline_markdown(
    outline: Sequence[MessageOutline], titles: Mapping[str, str] = DIRECTION_TITLES
) -> list[str]:
    send = {item.name for item in outline if item.direction == "send"}
    replies: dict[str, list[str]] = {}
    for item in outline:
        if item.direction != "send" and item.reply_to in send:
            replies.setdefault(item.reply_to, []).append(item.name)
    out = []
    for direction, title in titles.items():
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
        kind = "Socket.IO" if item.protocol == SOCKETIO else "WebSocket"
        extra = item.summary or f"{status_label(item.status)} {kind} endpoint {item.url}"
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
        out += [md_heading(3, item.name), "", f"Page: {base_url}endpoints/{item.id}.md", ""]
        if item.id in messages:
            out += messages_markdown(messages[item.id], 4)
            continue
        titles = EVENT_DIRECTION_TITLES if item.protocol == SOCKETIO else DIRECTION_TITLES
        out += _outline_markdown(outlines[item.id], titles)
    return "\n".join(out).rstrip() + "\n"
