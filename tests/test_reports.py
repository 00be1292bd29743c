from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from opsconsole.reports import (
    EXIT_FAILED,
    EXIT_PASSED,
    CheckResult,
    CheckStatus,
    GateReport,
    diff_text,
    finish_gate,
    junit_xml,
)


def _report() -> GateReport:
    report = GateReport(gate="contracts validate")
    report.add(CheckResult(suite="customer.v1", name="examples[0]", status=CheckStatus.PASSED))
    report.add(
        CheckResult(
            suite="customer.v1",
            name="recorded/c-17.json",
            status=CheckStatus.FAILED,
            message="$.email: 'x' is not a 'email'",
            expected={"email": "a@example.com", "id": "C-17"},
            actual={"email": "x", "id": "C-17"},
        )
    )
    report.add(
        CheckResult(
            suite="invoice.v1",
            name="state",
            status=CheckStatus.ERRORED,
            message="Provider state 'invoice exists' failed.",
        )
    )
    report.add(CheckResult(suite="invoice.v1", name="later", status=CheckStatus.SKIPPED))
    return report


def test_exit_code_follows_failures() -> None:
    report = _report()
    assert report.exit_code == EXIT_FAILED
    clean = GateReport(gate="g", checks=[c for c in report.checks if not c.is_failure])
    assert clean.exit_code == EXIT_PASSED


def test_junit_counts_per_suite() -> None:
    root = ET.fromstring(junit_xml(_report()))
    assert root.tag == "testsuites"
    assert root.get("tests") == "4"
    assert root.get("failures") == "1"
    assert root.get("errors") == "1"
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"customer.v1", "invoice.v1"}
    assert suites["invoice.v1"].get("skipped") == "1"


def test_junit_failure_carries_diff() -> None:
    root = ET.fromstring(junit_xml(_report()))
    failure = root.find(".//testcase[@name='recorded/c-17.json']/failure")
    assert failure is not None
    assert failure.get("message") == "$.email: 'x' is not a 'email'"
    assert failure.text is not None
    assert '-  "email": "a@example.com",' in failure.text
    assert '+  "email": "x",' in failure.text
    error = root.find(".//testcase[@name='state']/error")
    assert error is not None


def test_json_report_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.json"
    finish_gate(_report(), junit=None, json_path=path, console=Console(file=io.StringIO()))
    document = json.loads(path.read_text())
    assert document["passed"] is False
    assert document["counts"] == {"passed": 1, "failed": 1, "errored": 1, "skipped": 1}
    assert GateReport.model_validate(document).checks[1].actual == {"email": "x", "id": "C-17"}


def test_table_shows_diff_and_verdict(tmp_path: Path) -> None:
    output = io.StringIO()
    junit = tmp_path / "junit.xml"
    code = finish_gate(
        _report(), junit=junit, json_path=None, console=Console(file=output, width=200)
    )
    text = output.getvalue()
    assert code == EXIT_FAILED
    assert junit.is_file()
    assert "recorded/c-17.json" in text
    assert '+  "email": "x",' in text
    assert "contracts validate: FAILED" in text


def test_diff_of_equal_values_is_empty() -> None:
    assert diff_text({"a": 1}, {"a": 1}) == ""
