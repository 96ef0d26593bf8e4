"""Data tables of data-driven runs: CSV and JSON, and what is refused."""

from __future__ import annotations

import pytest

from scenarios.engine.assertions import SpecError
from scenarios.engine.data import parse_table, unused_columns


def test_csv_rows_become_variables() -> None:
    table = parse_table("csv", 'symbol,qty\nBTC,1\n"ETH, classic",2\n\n')
    assert table.columns == ("symbol", "qty")
    assert table.rows == ({"symbol": "BTC", "qty": "1"}, {"symbol": "ETH, classic", "qty": "2"})
    assert unused_columns(table, {"symbol"}) == ["qty"]


def test_json_rows_of_scalars() -> None:
    table = parse_table(
        "json",
        '[{"symbol": "BTC", "qty": 1, "live": true}, {"symbol": "ETH", "qty": 2.5, "live": null}]',
    )
    assert table.rows[0] == {"symbol": "BTC", "qty": "1", "live": "true"}
    assert table.rows[1]["live"] == "null"


@pytest.mark.parametrize(
    ("fmt", "text", "words"),
    [
        ("xls", "a\n1", "csv or json"),
        ("csv", "", "empty"),
        ("csv", "a,b\n1,2,3\n", "line 2: 3 values for 2 columns"),
        ("csv", 'a\n"open\n', "not valid CSV"),
        ("csv", "a,a\n1,2\n", "twice"),
        ("csv", "1a\nx\n", "not a variable name"),
        ("csv", "a\n", "no rows"),
        ("json", "[{", "line 1, column 3"),
        ("json", "{}", "non-empty list"),
        ("json", "[1]", "every row is an object"),
        ("json", '[{"a": 1}, {"b": 2}]', "row 1 has no 'b'"),
        ("json", '[{"a": [1]}]', "row 1"),
    ],
)
def test_unreadable_tables_say_where(fmt: str, text: str, words: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_table(fmt, text)
    assert words in caught.value.reason or words in caught.value.field
