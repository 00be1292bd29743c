"""Render synthetic runs for people: a progress bar while running, tables afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opsconsole.synthetic.events import RunEvent, TransactionFinished
from opsconsole.synthetic.report import BatchSummary, Timing


def report_console() -> Console:
    """Return a console for reports, 120 columns wide when output goes to a file or a pipe.

    Rich assumes 80 columns without a terminal, which folds every failure row in CI logs.
    """
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 120))
    return console


@contextmanager
def progress_bar(console: Console, total: int, label: str) -> Iterator[Callable[[RunEvent], None]]:
    """Show a bar that advances as transactions finish; yield the event sink to pass on."""
    failed = 0
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(label, total=total, status="")

        def on_event(event: RunEvent) -> None:
            nonlocal failed
            if isinstance(event, TransactionFinished):
                failed += 0 if event.passed else 1
                status = f"[red]{failed} failed[/red]" if failed else "[green]all passed[/green]"
                progress.update(task, advance=1, status=status)

        yield on_event


def print_summary(console: Console, summary: BatchSummary, engine_stats: dict[str, Any]) -> None:
    """Print the timings, rates and failures of a batch."""
    console.print(_timing_table("Step timings", summary.steps))
    if summary.spans:
        console.print(_timing_table("End-to-end timings", summary.spans))
    console.print(_totals_table(summary, engine_stats))
    if summary.failures:
        console.print(_failure_table("Failed transactions", summary.failures))
    if summary.cleanup_failures:
        console.print(_failure_table("Cleanup failures", summary.cleanup_failures))
    verdict = (
        f"[bold green]PASS[/bold green] {summary.passed} of {summary.transactions} transactions "
        "met every assertion."
        if summary.ok
        else f"[bold red]FAIL[/bold red] {summary.transactions - summary.passed} of "
        f"{summary.transactions} transactions failed; search logs and the DLQ by their "
        "correlation IDs."
    )
    console.print(verdict)


def _timing_table(title: str, timings: list[Timing]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("name")
    table.add_column("runs", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p95 ms", justify="right")
    table.add_column("max ms", justify="right")
    for timing in timings:
        table.add_row(
            timing.name,
            str(timing.count),
            f"{timing.p50_s * 1000:.0f}",
            f"{timing.p95_s * 1000:.0f}",
            f"{timing.max_s * 1000:.0f}",
        )
    return table


def _totals_table(summary: BatchSummary, engine_stats: dict[str, Any]) -> Table:
    table = Table(title="Outcome", title_justify="left", show_header=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("transactions passed", f"{summary.passed} / {summary.transactions}")
    table.add_row("throughput", f"{summary.throughput_per_s:.2f} transactions/s")
    table.add_row(
        "API success rate",
        f"{summary.api_success_rate:.2%} of {summary.api_calls} calls",
    )
    table.add_row("duplicates found", str(summary.duplicates))
    for name, value in _engine_figures(engine_stats):
        table.add_row(name, value)
    return table


def _engine_figures(stats: dict[str, Any]) -> list[tuple[str, str]]:
    figures = []
    if "duplicates_ignored" in stats:
        figures.append(("engine: duplicate events ignored", str(stats["duplicates_ignored"])))
    if "dlq" in stats:
        figures.append(("engine: dead-letter queue", str(stats["dlq"])))
    return figures


def _failure_table(title: str, failures: list[Any]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    # The correlation ID is what people search logs and the DLQ for, so it is never cut.
    table.add_column("correlation ID", no_wrap=True, min_width=36)
    table.add_column("step", ratio=1)
    table.add_column("what failed", ratio=2, overflow="fold")
    for failure in failures:
        table.add_row(str(failure.index), failure.correlation_id, failure.step, failure.message)
    return table
