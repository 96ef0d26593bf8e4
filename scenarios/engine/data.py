"""Data tables of data-driven runs: CSV (a header row, then one row per run) or JSON (a list
of objects of scalars). Each row's values become variables of one run of the scenario."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from endpoints.environments.resolver import is_valid_name

from .assertions import SpecError
from .limits import MAX_DATA_BYTES, MAX_DATA_COLUMNS, MAX_DATA_ROWS

DATA_FORMATS = ("csv", "json")


@dataclass(frozen=True)
class DataTable:
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    raise ValueError("a value is a string, number, boolean or null")


def _columns(names: Iterable[Any]) -> tuple[str, ...]:
    columns: list[str] = []
    for position, name in enumerate(names):
        if not isinstance(name, str) or not is_valid_name(name) or name.startswith("$"):
            raise SpecError("text", f"column {position + 1} ({name!r}) is not a variable name")
        if name in columns:
            raise SpecError("text", f"column {name!r} appears twice")
        columns.append(name)
    if not columns:
        raise SpecError("text", "the table has no columns")
    if len(columns) > MAX_DATA_COLUMNS:
        raise SpecError("text", f"at most {MAX_DATA_COLUMNS} columns")
    return tuple(columns)


def parse_table(fmt: Any, text: Any) -> DataTable:
    """The rows of a table; SpecError naming ``format`` or ``text`` (with the line) if the
    table cannot be read."""
    if fmt not in DATA_FORMATS:
        raise SpecError("format", "csv or json")
    if not isinstance(text, str):
        raise SpecError("text", "the table as text")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DATA_BYTES:
        raise SpecError("text", f"at most {MAX_DATA_BYTES:,} bytes")
    return _csv(text) if fmt == "csv" else _json(text)


def _csv(text: str) -> DataTable:
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise SpecError("text", "the table is empty: a header row names the columns")
        columns = _columns(cell.strip() for cell in header)
        rows = []
        for record in reader:
            if not record or record == [""]:
                continue  # a blank line
            if len(record) != len(columns):
                raise SpecError(
                    "text",
                    f"line {reader.line_num}: {len(record)} values for {len(columns)} columns",
                )
            rows.append(dict(zip(columns, record, strict=True)))
            if len(rows) > MAX_DATA_ROWS:
                raise SpecError("text", f"at most {MAX_DATA_ROWS:,} rows")
    except csv.Error as exc:
        raise SpecError("text", f"line {reader.line_num}: not valid CSV: {exc}") from None
    if not rows:
        raise SpecError("text", "the table has no rows")
    return DataTable(columns, tuple(rows))


def _json(text: str) -> DataTable:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(
            "text", f"Invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    if not isinstance(data, list) or not data:
        raise SpecError("text", "a JSON table is a non-empty list of objects")
    if len(data) > MAX_DATA_ROWS:
        raise SpecError("text", f"at most {MAX_DATA_ROWS:,} rows")
    if not all(isinstance(row, dict) for row in data):
        raise SpecError("text", "every row is an object")
    columns = _columns(dict.fromkeys(key for row in data for key in row))
    rows = []
    for number, row in enumerate(data, 1):
        missing = [name for name in columns if name not in row]
        if missing:
            raise SpecError("text", f"row {number} has no {missing[0]!r}")
        try:
            rows.append({name: _scalar(row[name]) for name in columns})
        except ValueError as exc:
            raise SpecError("text", f"row {number}: {exc}") from None
    return DataTable(columns, tuple(rows))


def unused_columns(table: DataTable, used: set[str]) -> list[str]:
    """Columns no step refers to (a typo in a column or in a step, so refused when saved)."""
    return [name for name in table.columns if name not in used]
