"""Summaries of a batch of synthetic transactions, as JSON and JUnit XML."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsconsole.synthetic.model import Scenario
from opsconsole.synthetic.runner import StepResult, TransactionResult


@dataclass(frozen=True)
class Timing:
    """Percentiles of one duration across transactions, in seconds."""

    name: str
    count: int
    p50_s: float
    p95_s: float
    max_s: float


@dataclass(frozen=True)
class FailureLine:
    """One failed transaction, with the correlation ID to search logs and the DLQ for."""

    index: int
    correlation_id: str
    step: str
    message: str


@dataclass
class BatchSummary:
    """What a batch of transactions showed: timings, success rates, duplicates, failures."""

    scenario: str
    transactions: int
    passed: int
    wall_s: float
    steps: list[Timing]
    spans: list[Timing]
    api_calls: int
    api_succeeded: int
    duplicates: int
    failures: list[FailureLine] = field(default_factory=list)
    cleanup_failures: list[FailureLine] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.passed == self.transactions

    @property
    def api_success_rate(self) -> float:
        return self.api_succeeded / self.api_calls if self.api_calls else 1.0

    @property
    def throughput_per_s(self) -> float:
        return self.transactions / self.wall_s if self.wall_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as plain JSON-ready data."""
        return {
            "scenario": self.scenario,
            "ok": self.ok,
            "transactions": self.transactions,
            "passed": self.passed,
            "failed": self.transactions - self.passed,
            "wall_seconds": round(self.wall_s, 3),
            "transactions_per_second": round(self.throughput_per_s, 3),
            "api_calls": self.api_calls,
            "api_success_rate": round(self.api_success_rate, 4),
            "duplicates_found": self.duplicates,
            "steps": [_timing_dict(t) for t in self.steps],
            "spans": [_timing_dict(t) for t in self.spans],
            "failures": [vars(f) for f in self.failures],
            "cleanup_failures": [vars(f) for f in self.cleanup_failures],
        }


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of `values` (fraction in 0..1); 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summarise(
    scenario: Scenario, results: Sequence[TransactionResult], wall_s: float
) -> BatchSummary:
    """Reduce a batch of transaction results to the figures a report shows."""
    calls = [c for r in results for s in [*r.steps, *r.cleanup] for c in s.calls]
    return BatchSummary(
        scenario=scenario.name,
        transactions=len(results),
        passed=sum(1 for r in results if r.passed),
        wall_s=wall_s,
        steps=[_step_timing(step.name, results) for step in scenario.steps],
        spans=[
            _span_timing(span.name, span.from_step, span.to_step, results)
            for span in scenario.spans
        ],
        api_calls=len(calls),
        api_succeeded=sum(1 for c in calls if c.succeeded),
        duplicates=sum(s.duplicates for r in results for s in r.steps),
        failures=[_failure_line(r) for r in results if not r.passed],
        cleanup_failures=[
            FailureLine(r.index, r.correlation_id, s.name, s.message)
            for r in results
            for s in r.cleanup
            if not s.passed
        ],
    )


def _step_timing(name: str, results: Sequence[TransactionResult]) -> Timing:
    durations = [s.duration_s for r in results if (s := r.step(name)) is not None and s.passed]
    return _timing(name, durations)


def _span_timing(name: str, first: str, last: str, results: Sequence[TransactionResult]) -> Timing:
    durations = []
    for result in results:
        start, end = result.step(first), result.step(last)
        if start is not None and end is not None and start.passed and end.passed:
            durations.append(end.ended_s - start.started_s)
    return _timing(name, durations)


def _timing(name: str, durations: Sequence[float]) -> Timing:
    return Timing(
        name=name,
        count=len(durations),
        p50_s=percentile(durations, 0.50),
        p95_s=percentile(durations, 0.95),
        max_s=max(durations, default=0.0),
    )


def _failure_line(result: TransactionResult) -> FailureLine:
    failed = result.failure
    assert failed is not None
    return FailureLine(result.index, result.correlation_id, failed.name, failed.message)


def _timing_dict(timing: Timing) -> dict[str, Any]:
    return {
        "name": timing.name,
        "count": timing.count,
        "p50_ms": round(timing.p50_s * 1000, 1),
        "p95_ms": round(timing.p95_s * 1000, 1),
        "max_ms": round(timing.max_s * 1000, 1),
    }


def write_json(summary: BatchSummary, path: Path) -> None:
    """Write the summary as indented JSON."""
    path.write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")


def write_junit(scenario: Scenario, results: Sequence[TransactionResult], path: Path) -> None:
    """Write one JUnit test case per transaction, failed at its first failing step."""
    failures = sum(1 for r in results if not r.passed)
    total = sum(r.duration_s for r in results)
    suites = ET.Element("testsuites", tests=str(len(results)), failures=str(failures))
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=f"synthetic.{scenario.name}",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{total:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"synthetic.{scenario.name}",
            name=f"transaction {result.index} ({result.correlation_id})",
            time=f"{result.duration_s:.3f}",
        )
        failed = result.failure
        if failed is not None:
            element = ET.SubElement(case, "failure", message=f"{failed.name}: {failed.message}")
            element.text = f"correlation_id={result.correlation_id}"
        ET.SubElement(case, "system-out").text = "\n".join(
            _step_line(s) for s in [*result.steps, *result.cleanup]
        )
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _step_line(step: StepResult) -> str:
    if step.skipped:
        return f"{step.name}: {step.message}"
    outcome = "passed" if step.passed else f"FAILED: {step.message}"
    plural = "s" if step.attempts != 1 else ""
    duration_ms = step.duration_s * 1000
    return f"{step.name}: {outcome} in {duration_ms:.0f} ms ({step.attempts} attempt{plural})"
