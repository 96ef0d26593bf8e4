"""JUnit XML of a scenario run or a suite run, as CI test reporters read it.

Pure: takes the run or suite JSON of the API (docs/scenarios.md) and returns the document's
bytes; no Django, so the API view and `manage.py run_scenarios` render the same file.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# XML 1.0 allows tab, newline, carriage return and everything from U+0020 except the
# surrogates and U+FFFE/U+FFFF. Frames and messages may hold any of them (a NUL, an ANSI
# escape), and one such character makes the whole report unreadable to every parser.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# How much of a frame a failure's body quotes: enough to see what arrived, not a whole log.
FRAME_TEXT_LIMIT = 500
FRAMES_QUOTED = 3
ROW_VALUE_LIMIT = 40

FINISHED = ("passed", "failed", "error")


def xml_text(value: str) -> str:
    """`value` with each character XML 1.0 forbids written out as its escape (`\\x1b`)."""
    return _NOT_XML.sub(_visible_escape, value)


def _visible_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def json_text(value: Any) -> str:
    """A value as a failure message shows it: JSON (`"hi"`, `42.5`, `null`)."""
    return json.dumps(value, ensure_ascii=False)


def seconds(duration_ms: Any) -> str:
    """Milliseconds (or null) as the seconds of a `time` attribute, to 3 decimals."""
    ms = duration_ms if isinstance(duration_ms, int | float) else 0
    return f"{ms / 1000:.3f}"


def junit_timestamp(iso: Any) -> str | None:
    """An API timestamp as JUnit writes one: UTC, to the second, without a zone.

    The zone is left out because the Jenkins/Ant schemas' pattern for `timestamp` has none.
    """
    if not isinstance(iso, str) or not iso:
        return None
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def row_label(index: int, row: Mapping[str, Any] | None) -> str:
    """`row 2: symbol=ETH, qty=2` for the iteration at index 1."""
    label = f"row {index + 1}"
    if not row:
        return label
    values = []
    for name, value in row.items():
        text = value if isinstance(value, str) else json_text(value)
        if len(text) > ROW_VALUE_LIMIT:
            text = text[: ROW_VALUE_LIMIT - 1] + "…"
        values.append(f"{name}={text}")
    return f"{label}: {', '.join(values)}"


def assertion_lines(assertion: Mapping[str, Any]) -> list[str]:
    lines = [str(assertion.get("summary") or "assertion")]
    if "expected" in assertion:
        lines.append(f"  expected: {json_text(assertion.get('expected'))}")
    if "actual" in assertion:
        lines.append(f"  actual:   {json_text(assertion.get('actual'))}")
    if assertion.get("reason"):
        lines.append(f"  reason:   {assertion['reason']}")
    return lines


def frame_line(frame: Mapping[str, Any]) -> str:
    where = f"{frame.get('alias') or '?'} #{frame.get('seq', '?')}"
    if frame.get("text") is not None:
        body = str(frame["text"])
    elif frame.get("hex") is not None:
        body = f"(binary) {frame['hex']}"
    else:
        body = ""
    if len(body) > FRAME_TEXT_LIMIT:
        body = body[:FRAME_TEXT_LIMIT] + f"… ({len(body)} characters)"
    return f"{where}: {body}"


def failure_body(step: Mapping[str, Any]) -> str:
    """What a reporter shows under a failed or errored step: assertions, then frames."""
    lines: list[str] = []
    if step.get("message"):
        lines.append(str(step["message"]))
    for assertion in step.get("assertions") or ():
        if not assertion.get("passed", True):
            lines.extend(assertion_lines(assertion))
    frame = step.get("frame")
    if frame:
        lines.append("frame:")
        lines.append("  " + frame_line(frame))
    seen = list(step.get("frames_seen") or ())[-FRAMES_QUOTED:]
    if seen:
        lines.append("last frames seen:")
        lines.extend("  " + frame_line(f) for f in seen)
    return "\n".join(lines)


def failure_message(step: Mapping[str, Any]) -> str:
    """One line: the step's message, else its first failed assertion with expected/actual."""
    for assertion in step.get("assertions") or ():
        if not assertion.get("passed", True):
            text = str(assertion.get("summary") or "assertion failed")
            if "expected" in assertion or "actual" in assertion:
                text += (
                    f" — expected {json_text(assertion.get('expected'))},"
                    f" actual {json_text(assertion.get('actual'))}"
                )
            if assertion.get("reason"):
                text += f" ({assertion['reason']})"
            return text
    return str(step.get("message") or "failed")


@dataclass
class _Tally:
    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time_ms: float = 0

    def add(self, other: _Tally) -> None:
        self.tests += other.tests
        self.failures += other.failures
        self.errors += other.errors
        self.skipped += other.skipped
        self.time_ms += other.time_ms

    def attributes(self) -> dict[str, str]:
        return {
            "tests": str(self.tests),
            "failures": str(self.failures),
            "errors": str(self.errors),
            "skipped": str(self.skipped),
            "time": seconds(self.time_ms),
        }


def _element(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})


def _testcase(
    suite: ET.Element, tally: _Tally, *, name: str, classname: str, duration_ms: Any
) -> ET.Element:
    tally.tests += 1
    return _element(suite, "testcase", name=name, classname=classname, time=seconds(duration_ms))


def _run_error_case(
    suite: ET.Element, tally: _Tally, run: Mapping[str, Any], classname: str
) -> None:
    """The testcase `run` standing for why the run ended `error` (or never finished)."""
    case = _testcase(suite, tally, name="run", classname=classname, duration_ms=0)
    status = run.get("status")
    if status in FINISHED:
        message = str(run.get("error") or "the run ended in error")
        tally.errors += 1
        error = _element(case, "error", message=message, type="RunError")
        error.text = xml_text(message)
    else:
        tally.skipped += 1
        _element(case, "skipped", message=f"the run did not finish (status {status})")


def _step_case(
    suite: ET.Element, tally: _Tally, step: Mapping[str, Any], classname: str, index: int
) -> None:
    title = str(step.get("title") or f"step {index + 1}")
    case = _testcase(
        suite, tally, name=title, classname=classname, duration_ms=step.get("duration_ms")
    )
    status = step.get("status")
    if status == "failed":
        tally.failures += 1
        failure = _element(case, "failure", message=failure_message(step), type="AssertionError")
        failure.text = xml_text(failure_body(step))
    elif status == "error":
        tally.errors += 1
        error = _element(
            case, "error", message=str(step.get("message") or "step error"), type="StepError"
        )
        error.text = xml_text(failure_body(step))
    elif status == "skipped":
        tally.skipped += 1
        _element(case, "skipped", message=str(step.get("message") or "skipped"))
    elif status != "passed":
        # A report made while the run goes on (a CLI that timed out): an unfinished step
        # must not count as passed.
        tally.skipped += 1
        _element(case, "skipped", message=f"not finished (status {status})")


def _run_suites(root: ET.Element, run: Mapping[str, Any]) -> _Tally:
    """The <testsuite> elements of one run: one per iteration (data row)."""
    scenario = run.get("scenario") or {}
    scenario_name = str(scenario.get("name") or f"scenario {scenario.get('id', '?')}")
    timestamp = junit_timestamp(run.get("started_at") or run.get("created_at"))
    iterations: Sequence[Mapping[str, Any]] = run.get("iterations") or ()
    data_driven = len(iterations) > 1 or any(it.get("row") is not None for it in iterations)
    run_error_shown = any(
        step.get("status") == "error" for it in iterations for step in it.get("steps") or ()
    )
    total = _Tally()
    slots: list[Mapping[str, Any] | None] = [*iterations] or [None]
    for position, iteration in enumerate(slots):
        if iteration is not None and data_driven:
            name = f"{scenario_name} [{row_label(iteration.get('index', position), iteration.get('row'))}]"
        else:
            name = scenario_name
        suite = _element(root, "testsuite", name=name)
        tally = _Tally()
        if iteration is not None:
            for index, step in enumerate(iteration.get("steps") or ()):
                _step_case(suite, tally, step, name, step.get("index", index))
            tally.time_ms = iteration.get("duration_ms") or 0
        last = position == len(slots) - 1
        # A run that ended `error` between steps (a limit hit, the relay lost) has no step
        # saying so; its reason goes in a testcase of its own so that CI shows it.
        if last and (not iterations or (run.get("status") == "error" and not run_error_shown)):
            _run_error_case(suite, tally, run, name)
        if not iterations:
            tally.time_ms = run.get("duration_ms") or 0
        suite.attrib.update(tally.attributes())
        if timestamp:
            suite.set("timestamp", timestamp)
        total.add(tally)
    return total


def _suite_error(
    root: ET.Element, suite: Mapping[str, Any], runs: Sequence[Mapping[str, Any]], name: str
) -> _Tally:
    """A suite run that ended `error` with no run saying why gets a testsuite saying it."""
    tally = _Tally()
    if suite.get("status") != "error" or any(r.get("status") == "error" for r in runs):
        return tally
    testsuite = _element(root, "testsuite", name=name)
    case = _testcase(testsuite, tally, name="suite", classname=name, duration_ms=0)
    message = str(suite.get("error") or "the suite run ended in error")
    tally.errors += 1
    error = _element(case, "error", message=message, type="SuiteError")
    error.text = xml_text(message)
    testsuite.attrib.update(tally.attributes())
    return tally


def junit_xml(suite_or_run: Mapping[str, Any]) -> bytes:
    """The JUnit XML of a suite run's JSON, or of a single run's."""
    runs: Sequence[Mapping[str, Any]]
    if "runs" in suite_or_run:
        runs = suite_or_run.get("runs") or ()
        name = f"Switchboard suite run {suite_or_run.get('id', '')}".rstrip()
    else:
        runs = [suite_or_run]
        scenario = suite_or_run.get("scenario") or {}
        name = str(scenario.get("name") or f"Switchboard run {suite_or_run.get('id', '')}")
    root = ET.Element("testsuites", {"name": xml_text(name)})
    total = _Tally()
    for run in runs:
        total.add(_run_suites(root, run))
    if "runs" in suite_or_run:
        total.add(_suite_error(root, suite_or_run, runs, name))
    attributes = total.attributes()
    if isinstance(suite_or_run.get("duration_ms"), int | float):
        attributes["time"] = seconds(suite_or_run["duration_ms"])
    root.attrib.update(attributes)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
