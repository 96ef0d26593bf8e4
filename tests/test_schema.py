"""The OpenAPI schema: valid and complete (no generator warnings), every operation named for a
client (core/schema.py), and unchanged unless the committed copy changes with it."""

from __future__ import annotations

import ast
import difflib
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

from core.schema import OPERATIONS, TAGS

COMMITTED = Path(__file__).parent / "schema" / "openapi.yaml"
REGENERATE = (
    "make schema  (or: .venv/bin/python manage.py spectacular --validate --fail-on-warn "
    "--file tests/schema/openapi.yaml)"
)
# <resource>_<verb>, lower case; never the path-derived names drf-spectacular makes up.
OPERATION_ID = re.compile(r"^[a-z]+(_[a-z]+)+$")


def spectacular(target: Path, *options: str) -> str:
    call_command("spectacular", *options, "--file", str(target))
    return target.read_text()


@pytest.fixture(scope="module")
def text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The schema exactly as ``manage.py spectacular`` writes it (and /api/schema/ serves it)."""
    return spectacular(tmp_path_factory.mktemp("schema") / "openapi.yaml")


@pytest.fixture(scope="module")
def schema(text: str) -> dict:
    return yaml.safe_load(text)


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def test_schema_validates_without_warnings(tmp_path: Path) -> None:
    text = spectacular(tmp_path / "openapi.yaml", "--validate", "--fail-on-warn")
    assert "bearerAuth" in text and "/api/v1/projects/{project_id}/endpoints/batch/" in text


def test_every_operation_has_a_meaningful_id_and_one_resource_tag(schema: dict) -> None:
    found = operations(schema)
    assert len(found) >= 80
    bad = [
        f"{method} {path}: operationId {operation['operationId']!r}, tags {operation.get('tags')}"
        for method, path, operation in found
        if not OPERATION_ID.match(operation["operationId"])
        or operation["operationId"].startswith(("api_", "v1_", "workspace_"))
        or len(operation.get("tags", [])) != 1
        or operation["tags"][0] not in TAGS
    ]
    assert not bad, "name these operations in core/schema.py OPERATIONS:\n" + "\n".join(bad)
    repeated = [name for name, n in Counter(op["operationId"] for *_, op in found).items() if n > 1]
    assert not repeated, f"operationIds used twice: {repeated}"
    assert [tag["name"] for tag in schema["tags"]] == [
        tag for tag in TAGS if any(op["tags"] == [tag] for *_, op in found)
    ]


def test_the_naming_table_has_no_operation_that_is_gone(schema: dict) -> None:
    present = {(method, path) for method, path, _ in operations(schema)}
    listed = {(method, path) for path, (_, ids) in OPERATIONS.items() for method in ids}
    assert not listed - present, "remove from core/schema.py OPERATIONS: " + str(
        sorted(listed - present)
    )
    assert {tag for tag, _ in OPERATIONS.values()} == set(TAGS)


def test_no_view_names_its_operation() -> None:
    """Operations are named in core/schema.py only: an ``operation_id`` given to
    ``extend_schema`` would be a second name that the table silently overrides."""
    root = Path(__file__).resolve().parent.parent
    found = []
    for path in sorted(root.glob("*/**/*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "tests", "node_modules"}:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(relative))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "extend_schema"
                and any(keyword.arg == "operation_id" for keyword in node.keywords)
            ):
                found.append(f"{relative}:{node.lineno}")
    assert not found, "name these operations in core/schema.py OPERATIONS instead: " + str(found)


def test_schema_matches_the_committed_copy(text: str) -> None:
    now = text
    committed = COMMITTED.read_text()
    if now == committed:
        return
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            now.splitlines(keepends=True),
            "tests/schema/openapi.yaml (committed)",
            "/api/schema/ (now)",
            n=2,
        )
    )
    shown = diff if len(diff) < 12_000 else diff[:12_000] + "\n… (diff cut at 12,000 characters)\n"
    raise AssertionError(
        "The API schema changed. Clients generated from it change too: if that is intended, "
        f"regenerate the committed copy with\n    {REGENERATE}\nand commit it with the change; "
        f"if not, undo what changed it.\n\n{shown}"
    )
