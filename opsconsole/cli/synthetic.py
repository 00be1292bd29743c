"""`opsconsole synthetic`: run synthetic business transactions."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import typer
import yaml

from opsconsole.cli._synthetic_view import print_summary, progress_bar, report_console
from opsconsole.errors import ConfigError
from opsconsole.stack import EmbeddedStack, StackOptions
from opsconsole.synthetic.batch import BatchRun, run_scenario
from opsconsole.synthetic.model import Scenario, load_scenario
from opsconsole.synthetic.report import BatchSummary
from opsconsole.synthetic.runner import EventSink, ScenarioRunner, Target

app = typer.Typer(help="Run synthetic transactions such as lead-to-cash.", no_args_is_help=True)


@app.command("run")
def run(
    scenario: Path = typer.Argument(
        ..., help="Scenario YAML file, e.g. synthetic/lead-to-cash.yaml."
    ),
    count: int = typer.Option(1, "--count", "-n", min=1, help="Number of transactions to run."),
    concurrency: int = typer.Option(
        1, "--concurrency", min=1, max=64, help="Transactions in flight at once."
    ),
    targets_file: Path | None = typer.Option(
        None,
        "--targets",
        help="YAML file mapping each target name to base_url, client_id, client_secret "
        "(or client_secret_env: VARIABLE), token and ca_file.",
    ),
    embedded: bool = typer.Option(
        False,
        "--embedded",
        help="Start the engine and sandboxes in this process and run against them.",
    ),
    json_file: Path | None = typer.Option(
        None, "--json", help="Write the summary as JSON to this file."
    ),
    junit_file: Path | None = typer.Option(
        None, "--junit", help="Write JUnit XML, one case per transaction."
    ),
) -> None:
    """Run a scenario against real endpoints (--targets) or an embedded stack (--embedded).

    Exits 0 when every transaction met every assertion, 1 otherwise.
    """
    if embedded == (targets_file is not None):
        raise ConfigError("Give exactly one of --targets FILE and --embedded.")
    loaded = load_scenario(scenario)
    targets = load_targets(targets_file) if targets_file is not None else None
    console = report_console()
    if embedded:
        with tempfile.TemporaryDirectory(prefix="opsconsole-synthetic-") as folder:
            options = StackOptions(state_dir=Path(folder), engine_port=0, crm_port=0, erp_port=0)
            with EmbeddedStack(options) as stack:
                with progress_bar(console, count, scenario.stem) as on_event:
                    summary = run_embedded_batch(
                        stack, loaded, count, concurrency, on_event, json_file, junit_file
                    )
                stats = stack.engine_stats()
    else:
        assert targets is not None
        # Reach every target before the progress bar starts, so a connection error reads plainly.
        with ScenarioRunner(loaded, targets) as probe:
            probe.preflight()
        with progress_bar(console, count, scenario.stem) as on_event:
            batch = run_scenario(
                loaded,
                targets,
                count=count,
                concurrency=concurrency,
                on_event=on_event,
            )
        batch.write_reports(json_file, junit_file)
        summary, stats = batch.summary, {}
    print_summary(console, summary, stats)
    if not summary.ok:
        raise typer.Exit(1)


def run_embedded_batch(
    stack: EmbeddedStack,
    scenario: Scenario,
    count: int,
    concurrency: int,
    on_event: EventSink,
    json_file: Path | None,
    junit_file: Path | None,
) -> BatchSummary:
    """Run `scenario` against a started embedded stack and write the requested reports."""
    assert stack.info is not None
    batch: BatchRun = run_scenario(
        scenario,
        stack.info.synthetic_targets(),
        count=count,
        concurrency=concurrency,
        on_event=on_event,
    )
    batch.write_reports(json_file, junit_file)
    return batch.summary


def load_targets(path: Path) -> dict[str, Target]:
    """Read a targets file: one mapping per target name.

    Raises:
        ConfigError: the file is missing, not a mapping, or a target lacks base_url.
    """
    try:
        with path.open(encoding="utf-8") as stream:
            raw = yaml.safe_load(stream)
    except FileNotFoundError as exc:
        raise ConfigError(f"Targets file {path} does not exist.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Targets file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"Targets file {path} must map target names to settings.")
    return {name: _target(path, name, spec) for name, spec in raw.items()}


_TARGET_KEYS = ("base_url", "client_id", "client_secret", "client_secret_env", "token", "ca_file")


def _target(path: Path, name: str, spec: Any) -> Target:
    if not isinstance(spec, dict) or not spec.get("base_url"):
        raise ConfigError(f"Target {name!r} in {path} needs base_url.")
    unknown = sorted(set(spec) - set(_TARGET_KEYS))
    if unknown:
        raise ConfigError(
            f"Target {name!r} in {path} has unknown keys {', '.join(unknown)}. "
            f"Known keys: {', '.join(_TARGET_KEYS)}."
        )
    secret = spec.get("client_secret")
    if spec.get("client_secret_env"):
        secret = os.environ.get(spec["client_secret_env"])
        if secret is None:
            raise ConfigError(
                f"Target {name!r} reads its client secret from ${spec['client_secret_env']}, "
                "which is not set."
            )
    return Target(
        base_url=spec["base_url"],
        client_id=spec.get("client_id"),
        client_secret=secret,
        token=spec.get("token"),
        ca_file=spec.get("ca_file"),
    )
