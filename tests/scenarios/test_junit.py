"""The JUnit XML of runs and suite runs, checked against a published JUnit schema."""

from __future__ import annotations

import importlib.resources
import xml.etree.ElementTree as ET
from functools import cache
from typing import Any

import pytest
import xmlschema

from scenarios.junit import junit_timestamp, junit_xml, row_label, xml_text

# The run JSON of the API (GET /api/v1/projects/{p}/runs/{id}/), built step by step so that
# each test says only what matters to it; tests/scenarios/test_cli.py serves the same shapes.


def frame(seq: int, text: str, alias: str = "t") -> dict[str, Any]:
    return {"session": 31, "seq": seq, "alias": alias, "text": text, "hex": None}


def step(
    index: int,
    title: str,
    status: str = "passed",
    *,
    message: str = "",
    assertions: list[dict[str, Any]] | None = None,
    duration_ms: int = 12,
    frames_seen: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "index": index,
        "kind": "expect",
        "title": title,
        "status": status,
        "duration_ms": duration_ms,
        "message": message,
        "assertions": assertions or [],
        "frame": frame(7, '{"type": "trade", "price": 42.5}') if status == "passed" else None,
        "frames_seen": frames_seen or [],
        "extracted": {},
    }


def failed_assertion(summary: str, expected: Any, actual: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "passed": False,
        "expected": expected,
        "actual": actual,
        "reason": "",
    }


def iteration(
    index: int, steps: list[dict[str, Any]], row: dict[str, Any] | None = None
) -> dict[str, Any]:
    statuses = {s["status"] for s in steps}
    status = next((s for s in ("error", "failed") if s in statuses), "passed")
    return {
        "index": index,
        "row": row,
        "status": status,
        "duration_ms": sum(s["duration_ms"] for s in steps),
        "steps": steps,
    }


def run(
    run_id: int,
    name: str,
    status: str,
    iterations: list[dict[str, Any]],
    *,
    error: str = "",
    duration_ms: int | None = 1200,
) -> dict[str, Any]:
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for it in iterations:
        for s in it["steps"]:
            counts[s["status"]] = counts.get(s["status"], 0) + 1
    return {
        "id": run_id,
        "project": 3,
        "scenario": {"id": run_id + 100, "name": name},
        "suite": 4,
        "status": status,
        "error": error,
        "environment": None,
        "started_by": {"id": 1, "username": "ci", "display_name": "CI"},
        "created_at": "2026-12-03T08:00:00.250000Z",
        "started_at": "2026-12-03T08:00:01.500000Z" if status != "queued" else None,
        "finished_at": "2026-12-03T08:00:02.700000Z"
        if status in ("passed", "failed", "error")
        else None,
        "duration_ms": duration_ms if status in ("passed", "failed", "error") else None,
        "counts": counts,
        "iterations": iterations,
    }


def passing_run(run_id: int = 12, name: str = "Ticker smoke") -> dict[str, Any]:
    return run(
        run_id,
        name,
        "passed",
        [
            iteration(
                0,
                [
                    step(0, "connect t", duration_ms=30),
                    step(1, "t: send subscribe (Chosen)", duration_ms=1),
                    step(2, "t: expect the next frame", duration_ms=12),
                ],
            )
        ],
    )


def failing_run(run_id: int = 13, name: str = "Chat") -> dict[str, Any]:
    return run(
        run_id,
        name,
        "failed",
        [
            iteration(
                0,
                [
                    step(0, "connect alice"),
                    step(1, "alice: send hello"),
                    step(
                        2,
                        "bob: expect the next frame",
                        "failed",
                        assertions=[
                            {
                                "summary": "message is hello",
                                "passed": True,
                                "expected": "hello",
                                "actual": "hello",
                                "reason": "",
                            },
                            failed_assertion('$.text contains "hi"', "hi", "bye"),
                        ],
                        frames_seen=[frame(4, '{"text": "bye"}', alias="bob")],
                    ),
                    step(3, "disconnect bob", "skipped", message="an earlier step failed"),
                ],
            )
        ],
        duration_ms=800,
    )


def suite(runs: list[dict[str, Any]], status: str = "failed", suite_id: int = 4) -> dict[str, Any]:
    counts = {"passed": 0, "failed": 0, "error": 0, "running": 0, "queued": 0}
    for r in runs:
        counts[r["status"]] += 1
    return {
        "id": suite_id,
        "project": 3,
        "status": status,
        "parallelism": 10,
        "created_at": "2026-12-03T08:00:00Z",
        "finished_at": "2026-12-03T08:00:03Z",
        "duration_ms": 3456,
        "counts": counts,
        "runs": runs,
    }


@cache
def junit_schema() -> xmlschema.XMLSchema:
    """The JUnit schema that pyEDAA.Reports ships (its reader of Ant/Jenkins/pytest reports)."""
    resources = importlib.resources.files("pyEDAA.Reports") / "Resources"
    with importlib.resources.as_file(resources / "Any-JUnit.xsd") as path:
        return xmlschema.XMLSchema(str(path))


def valid_junit(document: bytes) -> ET.Element:
    """The document parsed, after checking it against the JUnit schema."""
    junit_schema().validate(document.decode("utf-8"))
    return ET.fromstring(document)


def cases(root: ET.Element) -> list[tuple[str, str, str]]:
    """(suite name, testcase name, outcome) of every testcase."""
    found = []
    for testsuite in root.iter("testsuite"):
        for case in testsuite.iter("testcase"):
            outcome = next((child.tag for child in case), "passed")
            found.append((testsuite.get("name", ""), case.get("name", ""), outcome))
    return found


def test_a_suite_is_one_testsuite_per_run_and_one_testcase_per_step() -> None:
    root = valid_junit(junit_xml(suite([passing_run(), failing_run()])))

    assert root.tag == "testsuites"
    assert root.attrib == {
        "name": "Switchboard suite run 4",
        "tests": "7",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
        "time": "3.456",
    }
    smoke, chat = root.findall("testsuite")
    assert smoke.attrib == {
        "name": "Ticker smoke",
        "tests": "3",
        "failures": "0",
        "errors": "0",
        "skipped": "0",
        "time": "0.043",
        "timestamp": "2026-12-03T08:00:01",
    }
    assert chat.get("tests") == "4"
    assert (chat.get("failures"), chat.get("skipped")) == ("1", "1")
    assert [(c.get("name"), c.get("classname"), c.get("time")) for c in smoke] == [
        ("connect t", "Ticker smoke", "0.030"),
        ("t: send subscribe (Chosen)", "Ticker smoke", "0.001"),
        ("t: expect the next frame", "Ticker smoke", "0.012"),
    ]
    assert cases(root)[3:] == [
        ("Chat", "connect alice", "passed"),
        ("Chat", "alice: send hello", "passed"),
        ("Chat", "bob: expect the next frame", "failure"),
        ("Chat", "disconnect bob", "skipped"),
    ]


def test_a_failure_names_the_failed_assertion_with_expected_and_actual() -> None:
    root = valid_junit(junit_xml(failing_run()))

    failure = root.find(".//testcase[@name='bob: expect the next frame']/failure")
    assert failure is not None
    assert failure.get("type") == "AssertionError"
    assert failure.get("message") == '$.text contains "hi" — expected "hi", actual "bye"'
    body = failure.text or ""
    assert '$.text contains "hi"\n  expected: "hi"\n  actual:   "bye"' in body
    # The assertion that held is not reported as a failure; the frames seen while waiting are.
    assert "message is hello" not in body
    assert 'bob #4: {"text": "bye"}' in body
    skipped = root.find(".//testcase[@name='disconnect bob']/skipped")
    assert skipped is not None and skipped.get("message") == "an earlier step failed"


def test_a_single_run_is_accepted_and_named_after_its_scenario() -> None:
    root = valid_junit(junit_xml(passing_run()))

    assert root.get("name") == "Ticker smoke"
    assert [s.get("name") for s in root.findall("testsuite")] == ["Ticker smoke"]
    # The whole run's duration (connecting included), not only the steps' sum.
    assert root.get("time") == "1.200"
    assert root.find("testsuite").get("time") == "0.043"  # type: ignore[union-attr]


def test_a_data_driven_run_is_one_testsuite_per_row() -> None:
    rows: list[dict[str, Any]] = [
        {"symbol": "BTC", "qty": 1},
        {"symbol": "ETH", "qty": 2.5},
        {"symbol": "x" * 60, "qty": None},
    ]
    data_run = run(
        20,
        "Ticker rows",
        "failed",
        [
            iteration(
                i,
                [step(0, "connect t"), step(1, "t: expect", "failed" if i == 1 else "passed")],
                row,
            )
            for i, row in enumerate(rows)
        ],
    )
    root = valid_junit(junit_xml(suite([data_run])))

    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == [
        "Ticker rows [row 1: symbol=BTC, qty=1]",
        "Ticker rows [row 2: symbol=ETH, qty=2.5]",
        f"Ticker rows [row 3: symbol={'x' * 39}…, qty=null]",
    ]
    assert [s.get("failures") for s in root.findall("testsuite")] == ["0", "1", "0"]
    # Each row's testcases are told apart by their class name.
    classnames = {c.get("classname") for c in root.findall("testsuite")[1]}
    assert classnames == {"Ticker rows [row 2: symbol=ETH, qty=2.5]"}


def test_a_run_that_ended_error_before_any_step_is_one_errored_testcase() -> None:
    broken = run(30, "Needs staging", "error", [], error="variable 'host' has no value")
    root = valid_junit(junit_xml(suite([passing_run(), broken], status="error")))

    assert root.get("errors") == "1"
    testsuite = root.findall("testsuite")[1]
    assert (testsuite.get("name"), testsuite.get("tests"), testsuite.get("errors")) == (
        "Needs staging",
        "1",
        "1",
    )
    error = testsuite.find("testcase[@name='run']/error")
    assert error is not None
    assert error.get("message") == "variable 'host' has no value"
    assert testsuite.get("time") == "1.200"


def test_a_step_error_is_an_error_with_the_step_message() -> None:
    errored = run(
        31,
        "Relay",
        "error",
        [
            iteration(
                0,
                [
                    step(0, "connect t", "error", message="connection refused: 127.0.0.1:9"),
                    step(1, "t: send", "skipped"),
                ],
            )
        ],
        error="connection refused: 127.0.0.1:9",
    )
    root = valid_junit(junit_xml(errored))

    assert cases(root) == [("Relay", "connect t", "error"), ("Relay", "t: send", "skipped")]
    error = root.find(".//error")
    assert error is not None and error.get("message") == "connection refused: 127.0.0.1:9"


def test_a_run_that_ended_error_between_steps_gets_a_run_testcase_saying_why() -> None:
    cut = run(
        32,
        "Long",
        "error",
        [iteration(0, [step(0, "connect t"), step(1, "t: wait", "skipped")])],
        error="the run took longer than 600 s",
    )
    root = valid_junit(junit_xml(cut))

    assert cases(root)[-1] == ("Long", "run", "error")
    assert root.get("errors") == "1"


def test_an_unfinished_run_is_reported_skipped_not_passed() -> None:
    queued = run(33, "Later", "queued", [])
    root = valid_junit(junit_xml(suite([queued], status="running")))

    assert cases(root) == [("Later", "run", "skipped")]


def test_a_report_of_a_run_still_going_counts_unfinished_steps_as_skipped() -> None:
    going = run(
        36,
        "Going",
        "running",
        [iteration(0, [step(0, "connect t"), step(1, "t: expect", "running")])],
    )
    going["iterations"][0]["status"] = "running"
    root = valid_junit(junit_xml(suite([going], status="running")))

    assert cases(root) == [("Going", "connect t", "passed"), ("Going", "t: expect", "skipped")]
    skipped = root.find(".//skipped")
    assert skipped is not None and skipped.get("message") == "not finished (status running)"


def test_a_suite_error_no_run_explains_gets_a_testsuite_of_its_own() -> None:
    broken = suite([passing_run()], status="error")
    broken["error"] = "the relay was lost before every run started"
    root = valid_junit(junit_xml(broken))

    assert cases(root)[-1] == ("Switchboard suite run 4", "suite", "error")
    assert root.get("errors") == "1"
    error = root.find(".//testcase[@name='suite']/error")
    assert error is not None and error.get("message") == broken["error"]
    # When a run ended in error, that run's testcase says why; no second one.
    explained = suite([run(30, "Needs staging", "error", [], error="no host")], status="error")
    explained["error"] = "a run ended in error"
    assert [c[1] for c in cases(valid_junit(junit_xml(explained)))] == ["run"]


def test_control_characters_in_frames_still_make_well_formed_xml() -> None:
    nasty = "\x00\x1b[31mred\x1b[0m\x08 \ud800 tab\there"
    bad = run(
        34,
        "Binary\x00 name",
        "failed",
        [
            iteration(
                0,
                [
                    step(
                        0,
                        "t: expect \x1b",
                        "failed",
                        message="no frame\x0c matched",
                        assertions=[failed_assertion("$.text equals \x01", "ok", nasty)],
                        frames_seen=[frame(3, nasty)],
                    )
                ],
                row={"k": "\x07bell"},
            )
        ],
    )
    document = junit_xml(bad)
    root = valid_junit(document)

    testsuite = root.find("testsuite")
    assert testsuite is not None
    assert testsuite.get("name") == "Binary\\x00 name [row 1: k=\\x07bell]"
    failure = root.find(".//failure")
    assert failure is not None
    assert failure.get("message", "").startswith('$.text equals \\x01 — expected "ok", actual')
    body = failure.text or ""
    # JSON already escapes control characters in values; raw frame text is escaped visibly.
    assert "\\u001b[31mred" in body
    assert "\\x1b[31mred\\x1b[0m\\x08 \\ud800 tab\there" in body


def test_text_survives_the_round_trip() -> None:
    title = "quotes \" and ' <tags> & ampersands, ünïcødé, emoji 🚀, newline\nhere"
    document = junit_xml(run(35, title, "passed", [iteration(0, [step(0, title)])]))
    root = valid_junit(document)

    case = root.find(".//testcase")
    assert case is not None
    assert (case.get("name"), case.get("classname")) == (title, title)
    assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


@pytest.mark.parametrize(
    ("iso", "expected"),
    [
        ("2026-12-03T08:00:01.5Z", "2026-12-03T08:00:01"),
        ("2026-12-03T09:00:01+01:00", "2026-12-03T08:00:01"),
        ("2026-12-03T08:00:01", "2026-12-03T08:00:01"),
        ("yesterday", None),
        (None, None),
    ],
)
def test_timestamps_are_utc_without_a_zone(iso: Any, expected: str | None) -> None:
    assert junit_timestamp(iso) == expected


def test_helpers() -> None:
    assert row_label(0, None) == "row 1"
    assert row_label(4, {"a": True, "b": {"c": 1}}) == 'row 5: a=true, b={"c": 1}'
    assert xml_text("a\x00b\U0001f680\ufffe") == "a\\x00b\U0001f680\\ufffe"


def test_a_junit_reader_reads_the_counts_and_times(tmp_path: Any) -> None:
    from pyEDAA.Reports.Unittesting.JUnit import Document

    broken = run(30, "Needs staging", "error", [], error="no value for 'host'")
    report = tmp_path / "report.xml"
    report.write_bytes(junit_xml(suite([passing_run(), failing_run(), broken], status="error")))

    document = Document(report, analyzeAndConvert=True)

    assert (document.TestcaseCount, document.Passed, document.Failed) == (8, 5, 1)
    assert (document.Skipped, document.Errored) == (1, 1)
    smoke = document.Testsuites["Ticker smoke"]
    assert str(smoke.StartTime) == "2026-12-03 08:00:01"
    assert smoke.Duration.total_seconds() == 0.043
