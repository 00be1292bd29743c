"""Results of CI gates and their three renderings: JUnit XML, JSON and a readable table.

Every gate (`contracts validate`, `contracts lint`, `contracts fuzz`, `contracts verify`, ...)
builds one `GateReport` from `CheckResult` items and hands it to `finish_gate`, which writes
the requested files, prints the table and returns the exit code::

    report = GateReport(gate="contracts validate")
    report.add(CheckResult(suite="customer.v1", name="examples[0]", status=CheckStatus.PASSED))
    report.add(
        CheckResult(
            suite="customer.v1",
            name="recorded/c-17.json",
            status=CheckStatus.FAILED,
            message="$.email: 'x' is not a 'email'",
            expected={"format": "email"},
            actual="x",
        )
    )
    exit_code = finish_gate(report, junit=Path("out.xml"), json_path=None, console=Console())

Exit codes are shared by all gates: 0 when every check passed or was skipped, 1 when a check
failed or errored, 2 when the gate could not read its input (raised as an `OpsconsoleError`
before any report exists).
"""

from __future__ import annotations

import difflib
import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table
from rich.text import Text

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_INPUT_ERROR = 2


class CheckStatus(StrEnum):
    """Outcome of one check; `errored` means the check itself could not run to a verdict."""

    PASSED = "passed"
    FAILED = "failed"
    ERRORED = "errored"
    SKIPPED = "skipped"


class CheckResult(BaseModel):
    """One check of a gate: a payload against its schema, a pact interaction, a fuzz case.

    `suite` groups checks (a schema, a consumer-provider pair, an API operation) and becomes
    the JUnit `classname`. `expected` and `actual` are any JSON values; when either is set,
    the table and the JUnit failure text show their diff.
    """

    suite: str
    name: str
    status: CheckStatus
    message: str = ""
    expected: Any = None
    actual: Any = None
    details: list[str] = Field(default_factory=list)
    duration_seconds: float = 0.0

    @property
    def is_failure(self) -> bool:
        """Whether this check makes the gate red."""
        return self.status in (CheckStatus.FAILED, CheckStatus.ERRORED)


class GateReport(BaseModel):
    """All checks of one gate run, in the order they ran."""

    gate: str
    started_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    duration_seconds: float = 0.0
    checks: list[CheckResult] = Field(default_factory=list)

    def add(self, check: CheckResult) -> None:
        """Append one check result."""
        self.checks.append(check)

    def counts(self) -> dict[CheckStatus, int]:
        """Count checks by status; every status is present, zero when unused."""
        found = Counter(check.status for check in self.checks)
        return {status: found.get(status, 0) for status in CheckStatus}

    @property
    def passed(self) -> bool:
        """Whether no check failed or errored."""
        return not any(check.is_failure for check in self.checks)

    @property
    def exit_code(self) -> int:
        """The process exit code for this report: 0 passed, 1 failed."""
        return EXIT_PASSED if self.passed else EXIT_FAILED

    def failures(self) -> list[CheckResult]:
        """Return the checks that failed or errored."""
        return [check for check in self.checks if check.is_failure]


def input_error_report(gate: str, message: str) -> GateReport:
    """Build a report with one errored check, for a gate that could not read its input.

    Writing it keeps CI's test report honest when the gate stops with exit code 2.
    """
    report = GateReport(gate=gate)
    report.add(CheckResult(suite=gate, name="input", status=CheckStatus.ERRORED, message=message))
    return report


def diff_text(expected: Any, actual: Any) -> str:
    """Return a unified diff of `expected` and `actual` rendered as indented, sorted JSON."""
    before = _pretty(expected).splitlines()
    after = _pretty(actual).splitlines()
    lines = difflib.unified_diff(before, after, "expected", "actual", lineterm="", n=2)
    return "\n".join(lines)


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _has_diff(check: CheckResult) -> bool:
    return check.expected is not None or check.actual is not None


def _failure_text(check: CheckResult) -> str:
    parts = [check.message, *check.details]
    if _has_diff(check):
        parts.append(diff_text(check.expected, check.actual))
    return "\n".join(part for part in parts if part)


def junit_xml(report: GateReport) -> str:
    """Render `report` as JUnit XML: one `<testsuite>` per suite, one `<testcase>` per check."""
    root = ET.Element("testsuites", _suite_attributes(report.gate, report.checks))
    root.set("time", f"{report.duration_seconds:.3f}")
    for suite, checks in _by_suite(report.checks).items():
        element = ET.SubElement(root, "testsuite", _suite_attributes(suite, checks))
        element.set("timestamp", report.started_at.isoformat(timespec="seconds"))
        for check in checks:
            _add_testcase(element, check)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _by_suite(checks: list[CheckResult]) -> dict[str, list[CheckResult]]:
    suites: dict[str, list[CheckResult]] = {}
    for check in checks:
        suites.setdefault(check.suite, []).append(check)
    return suites


def _suite_attributes(name: str, checks: list[CheckResult]) -> dict[str, str]:
    found = Counter(check.status for check in checks)
    elapsed = sum(check.duration_seconds for check in checks)
    return {
        "name": name,
        "tests": str(len(checks)),
        "failures": str(found[CheckStatus.FAILED]),
        "errors": str(found[CheckStatus.ERRORED]),
        "skipped": str(found[CheckStatus.SKIPPED]),
        "time": f"{elapsed:.3f}",
    }


def _add_testcase(suite: ET.Element, check: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        {"classname": check.suite, "name": check.name, "time": f"{check.duration_seconds:.3f}"},
    )
    tag = {
        CheckStatus.FAILED: "failure",
        CheckStatus.ERRORED: "error",
        CheckStatus.SKIPPED: "skipped",
    }.get(check.status)
    if tag is None:
        return
    outcome = ET.SubElement(case, tag, {"message": check.message})
    text = _failure_text(check)
    if text and tag != "skipped":
        outcome.text = text


def write_junit(report: GateReport, path: Path) -> None:
    """Write `report` as JUnit XML to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(junit_xml(report), encoding="utf-8")


def report_json(report: GateReport) -> str:
    """Render `report` as JSON: the gate, its counts, `passed` and every check."""
    document = report.model_dump(mode="json")
    document["passed"] = report.passed
    document["counts"] = {status.value: count for status, count in report.counts().items()}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_json(report: GateReport, path: Path) -> None:
    """Write `report` as JSON to `path`, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_json(report), encoding="utf-8")


_STATUS_STYLES = {
    CheckStatus.PASSED: "green",
    CheckStatus.FAILED: "bold red",
    CheckStatus.ERRORED: "bold magenta",
    CheckStatus.SKIPPED: "yellow",
}


def render_table(report: GateReport, console: Console, *, show_passed: bool = True) -> None:
    """Print one row per check, then the expected/actual diff of every failure, then totals."""
    table = Table(title=report.gate, title_justify="left", expand=False)
    table.add_column("suite", overflow="fold")
    table.add_column("check", overflow="fold")
    table.add_column("status")
    table.add_column("message", overflow="fold")
    for check in report.checks:
        if check.status is CheckStatus.PASSED and not show_passed:
            continue
        status = Text(check.status.value, style=_STATUS_STYLES[check.status])
        table.add_row(check.suite, check.name, status, check.message)
    console.print(table)
    for check in report.failures():
        _render_failure(check, console)
    console.print(_summary_line(report))


def _render_failure(check: CheckResult, console: Console) -> None:
    console.print(Text(f"{check.status.value}: {check.suite} / {check.name}", style="bold"))
    if check.message:
        console.print(Text(f"  {check.message}"))
    for detail in check.details:
        console.print(Text(f"  {detail}"))
    if _has_diff(check):
        for line in diff_text(check.expected, check.actual).splitlines():
            console.print(Text(f"  {line}", style=_diff_style(line)))


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "bold"
    if line.startswith("+"):
        return "green"
    if line.startswith("-"):
        return "red"
    return ""


def _summary_line(report: GateReport) -> Text:
    counts = report.counts()
    verdict = "passed" if report.passed else "FAILED"
    parts = ", ".join(f"{count} {status.value}" for status, count in counts.items() if count)
    style = "bold green" if report.passed else "bold red"
    return Text(f"{report.gate}: {verdict} ({parts or 'no checks'})", style=style)


def finish_gate(
    report: GateReport,
    *,
    junit: Path | None,
    json_path: Path | None,
    console: Console,
    show_passed: bool = True,
) -> int:
    """Write the requested report files, print the table and return the gate's exit code."""
    if junit is not None:
        write_junit(report, junit)
    if json_path is not None:
        write_json(report, json_path)
    render_table(report, console, show_passed=show_passed)
    return report.exit_code
