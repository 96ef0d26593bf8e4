"""Every relative link and `#anchor` in README.md and docs/ leads somewhere.

Anchors are computed as GitHub computes them from headings: the heading's text, lowercased,
punctuation dropped, each space turned into `-`; the second heading with the same anchor gets
`-1`, the third `-2`. Links with a scheme (`https:`, `mailto:`...) are not followed. Nothing
here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
CODE_SPAN = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# [text](target "title") and ![alt](target); the text may span lines.
INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+\"[^\"]*\")?\s*\)"
)
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading, before duplicates are numbered."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts as its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)  # \w: letters and digits of any script, and _
    return text.replace(" ", "-")


@dataclass(frozen=True)
class Link:
    line: int
    target: str


@dataclass
class Page:
    anchors: set[str]
    links: list[Link]


def _prose_blocks(text: str) -> list[tuple[int, list[str]]]:
    """Runs of lines outside fenced code, each with the number of its first line."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    fence = ""
    for number, line in enumerate(text.splitlines(), start=1):
        opening = FENCE.match(line)
        if fence:
            closer = opening.group(1) if opening and line.strip() == opening.group(1) else ""
            if closer and closer[0] == fence[0] and len(closer) >= len(fence):
                fence = ""
            start = number + 1
            continue
        if opening:
            fence = opening.group(1)
            if current:
                blocks.append((start, current))
            current = []
            start = number + 1
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        blocks.append((start, current))
    return blocks


def parse(text: str) -> Page:
    """The anchors a Markdown file defines and the links it contains."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    links: list[Link] = []

    def add_heading(heading: str) -> None:
        slug = github_slug(heading)
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")

    for start, lines in _prose_blocks(text):
        for index, line in enumerate(lines):
            atx = ATX_HEADING.match(line)
            if atx:
                add_heading(atx.group(1) or "")
            elif (
                index > 0
                and SETEXT_UNDERLINE.match(line)
                and lines[index - 1].strip()
                and not lines[index - 1].lstrip().startswith(("|", "-", "*", "+", ">"))
                and not ATX_HEADING.match(lines[index - 1])
            ):
                add_heading(lines[index - 1])
            anchors.update(HTML_ANCHOR.findall(line))
        # Code spans are blanked out, keeping line breaks so that line numbers stay right.
        prose = CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), "\n".join(lines))
        for pattern in (INLINE_LINK, REFERENCE_DEFINITION):
            for match in pattern.finditer(prose):
                target = match.group(1)
                if target.startswith("<") and target.endswith(">"):
                    target = target[1:-1]
                line_number = start + prose.count("\n", 0, match.start())
                links.append(Link(line=line_number, target=target))
    return Page(anchors=anchors, links=links)


def broken_links(files: list[Path], root: Path) -> list[str]:
    """One line per link in ``files`` that leads nowhere: a missing file or a missing anchor."""
    pages: dict[Path, Page] = {}

    def page(path: Path) -> Page:
        if path not in pages:
            pages[path] = parse(path.read_text(encoding="utf-8"))
        return pages[path]

    problems: list[str] = []
    for source in files:
        where = source.relative_to(root)
        for link in page(source).links:
            if SCHEME.match(link.target):
                continue
            path_part, _, anchor = link.target.partition("#")
            anchor = unquote(anchor)
            if not path_part and not anchor:
                problems.append(f"{where}:{link.line}: empty link")
                continue
            target = (source.parent / unquote(path_part)).resolve() if path_part else source
            if not target.exists():
                problems.append(f"{where}:{link.line}: {link.target}: no such file")
                continue
            if not target.is_relative_to(root):
                problems.append(f"{where}:{link.line}: {link.target}: outside the repository")
                continue
            if anchor and target.suffix == ".md" and anchor not in page(target).anchors:
                problems.append(
                    f"{where}:{link.line}: {link.target}: no heading #{anchor} in "
                    f"{target.relative_to(root)}"
                )
    return problems


def documentation_files(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


# --- the repository's own documentation ---------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [path.relative_to(ROOT).as_posix() for path in documentation_files(ROOT)],
)
def test_every_relative_link_and_anchor_resolves(path: str) -> None:
    problems = broken_links([ROOT / path], ROOT)
    assert not problems, "\n".join(problems)


def test_docs_folder_is_there_and_indexed() -> None:
    index = parse((ROOT / "docs" / "README.md").read_text(encoding="utf-8"))
    indexed = {link.target for link in index.links}
    pages = {path.name for path in (ROOT / "docs").glob("*.md")} - {"README.md"}
    assert pages, "docs/ has no pages"
    assert pages <= indexed, f"pages missing from docs/README.md: {sorted(pages - indexed)}"


# --- the checker itself ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Debug sessions", "debug-sessions"),
        ("The relay: embedded and worker modes", "the-relay-embedded-and-worker-modes"),
        ("A worked example with `curl`", "a-worked-example-with-curl"),
        ("Watching live: `WS /ws/sessions/{id}/?after=N`", "watching-live-ws-wssessionsidaftern"),
        ("Live project events: `WS /ws/projects/{id}/`", "live-project-events-ws-wsprojectsid"),
        ("What `__init__` does — and why", "what-__init__-does--and-why"),
        ("See [the API](api.md) *now*", "see-the-api-now"),
        ("Größe & Übersicht", "größe--übersicht"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_duplicate_headings_are_numbered_and_code_is_not_a_heading() -> None:
    page = parse(
        "# Retention\n\n## Retention\n\n### Retention\n\n```sh\n# Retention\n# e.g. cron\n```\n"
        "Setext\n------\n\n| a |\n|---|\n"
    )
    assert page.anchors == {"retention", "retention-1", "retention-2", "setext"}


def test_links_in_code_are_not_links_and_links_may_span_lines() -> None:
    page = parse(
        "Text [the\nrelay](b.md#x) and `[not](a link)`.\n\n```md\n[not](either.md)\n```\n"
        '![alt\ntext](img/a.png "title") <https://example.com> [ext](https://x.org/#y)\n'
        "\n[ref]: other.md#z\n"
    )
    assert [(link.line, link.target) for link in page.links] == [
        (1, "b.md#x"),
        (7, "img/a.png"),
        (8, "https://x.org/#y"),
        (10, "other.md#z"),
    ]


def test_broken_links_are_reported(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "img").mkdir()
    (tmp_path / "docs" / "img" / "shot.png").write_bytes(b"")
    (tmp_path / "README.md").write_text(
        "# Top\n\n## Two commands\n\n"
        "[ok](docs/api.md) [ok](docs/api.md#errors) [ok](#two-commands) [ok](docs/img/shot.png)\n"
        "[ok](https://example.com/#nothing) [ok](mailto:a@b.c) [ok](docs/api.md#errors-1)\n"
        "[gone](docs/missing.md) [bad anchor](docs/api.md#versions)\n"
        "[bad here](#web-workspace) [outside](../elsewhere.md)\n"
    )
    (tmp_path / "docs" / "api.md").write_text(
        "# API\n\n## Errors\n\n## Errors\n\nBack to the [README](../README.md#top).\n"
        "A [stale one](../README.md#the-two-commands).\n"
    )
    problems = broken_links(documentation_files(tmp_path), tmp_path)
    assert problems == [
        "README.md:7: docs/missing.md: no such file",
        "README.md:7: docs/api.md#versions: no heading #versions in docs/api.md",
        "README.md:8: #web-workspace: no heading #web-workspace in README.md",
        "README.md:8: ../elsewhere.md: no such file",
        "docs/api.md:8: ../README.md#the-two-commands: no heading #the-two-commands in README.md",
    ]
