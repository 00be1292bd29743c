"""Run a scenario file as a batch and keep everything a report needs."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsconsole.synthetic.model import Scenario, load_scenario
from opsconsole.synthetic.report import BatchSummary, summarise, write_json, write_junit
from opsconsole.synthetic.runner import EventSink, ScenarioRunner, Target, TransactionResult


@dataclass
class BatchRun:
    """A finished batch: the scenario, each transaction's result and the summary."""

    scenario: Scenario
    results: list[TransactionResult]
    summary: BatchSummary

    def write_reports(self, json_file: Path | None, junit_file: Path | None) -> None:
        """Write the JSON summary and the JUnit XML where asked."""
        if json_file is not None:
            write_json(self.summary, json_file)
        if junit_file is not None:
            write_junit(self.scenario, self.results, junit_file)


def run_scenario_file(
    path: Path,
    targets: Mapping[str, Target],
    *,
    count: int = 1,
    concurrency: int = 1,
    on_event: EventSink | None = None,
    variables: Mapping[str, Any] | None = None,
) -> BatchRun:
    """Load `path` and run it `count` times against `targets`.

    Raises:
        ScenarioError: the file is invalid or a step refers to something undefined.
        ConfigError: a target is missing or refuses its credentials.
    """
    return run_scenario(
        load_scenario(path),
        targets,
        count=count,
        concurrency=concurrency,
        on_event=on_event,
        variables=variables,
    )


def run_scenario(
    scenario: Scenario,
    targets: Mapping[str, Target],
    *,
    count: int = 1,
    concurrency: int = 1,
    on_event: EventSink | None = None,
    variables: Mapping[str, Any] | None = None,
) -> BatchRun:
    """Run an already loaded scenario `count` times against `targets`."""
    started = time.perf_counter()
    with ScenarioRunner(scenario, targets, on_event=on_event, variables=variables) as runner:
        results = runner.run_batch(count, concurrency)
    wall = time.perf_counter() - started
    return BatchRun(scenario, results, summarise(scenario, results, wall))
