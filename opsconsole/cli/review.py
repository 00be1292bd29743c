"""`opsconsole review`: schema-change review."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from opsconsole.review.compat import Mode, check_chain
from opsconsole.review.diff import counts, diff_sources
from opsconsole.review.model import Change, Level

app = typer.Typer(
    help=(
        "Diff contracts, judge compatibility, list affected consumers and track approvals.\n\n"
        "Sources are files or git revisions written REV:path, for example "
        "main:contracts/schemas/order.v1.json."
    ),
    no_args_is_help=True,
)

_LEVEL_STYLE = {Level.BREAKING: "bold red", Level.WARNING: "yellow", Level.INFO: "dim"}
_WORKSPACE_HELP = (
    "Workspace folder (holds catalog/ and contracts/); found from the current folder if omitted."
)


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _changes_table(changes: list[Change], title: str) -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    table.add_column("level")
    table.add_column("rule")
    table.add_column("path", overflow="fold")
    table.add_column("reason", overflow="fold")
    for change in changes:
        style = _LEVEL_STYLE[change.level]
        table.add_row(f"[{style}]{change.level.value}[/]", change.id, change.path, change.reason)
    return table


@app.command("diff")
def diff_command(
    old: str = typer.Argument(..., help="The old version: a file or REV:path."),
    new: str = typer.Argument(..., help="The new version: a file or REV:path."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the changes as a JSON list of {id, level, path, reason}."
    ),
) -> None:
    """List what changed between two versions of a JSON Schema, OpenAPI or AsyncAPI document.

    Each change has a stable rule ID, a level (breaking, warning, info), the JSONPath where it
    sits and a one-line reason. OpenAPI changes are judged by direction: narrowing a request
    breaks clients, widening a response does. Exits 0 when nothing is breaking, 1 when
    something is, and 2 when an input cannot be read.
    """
    result = diff_sources(old, new)
    if as_json:
        _print_json([change.as_json() for change in result.changes])
    else:
        console = Console()
        if result.changes:
            console.print(_changes_table(result.changes, f"{old} → {new}"))
        tally = counts(result.changes)
        console.print(
            f"{tally['breaking']} breaking, {tally['warning']} warning, {tally['info']} info."
        )
    raise typer.Exit(1 if result.breaking else 0)


@app.command("compat")
def compat_command(
    files: list[str] = typer.Argument(
        ..., help="Two or more versions of one contract, oldest first (files or REV:path)."
    ),
    mode: Mode = typer.Option(
        Mode.BACKWARD,
        "--mode",
        case_sensitive=False,
        help=(
            "Compatibility mode. BACKWARD: the newest version reads data written with the one "
            "before it. FORWARD: the one before reads data written with the newest. FULL: both. "
            "*_TRANSITIVE: against every earlier version. NONE: no check."
        ),
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print the verdict and the deciding changes as JSON."
    ),
) -> None:
    """Judge whether the newest version is compatible with the earlier ones under a mode.

    Exits 0 when compatible, 1 when not, and 2 when an input cannot be read.
    """
    verdict = check_chain(files, mode)
    if as_json:
        _print_json(verdict.as_json())
    else:
        console = Console()
        for check in verdict.checks:
            state = "compatible" if check.compatible else "[bold red]incompatible[/]"
            console.print(f"{check.old} → {check.new}: {state}")
        if verdict.deciding:
            console.print(_changes_table(verdict.deciding, "Changes that decide the verdict"))
        word = "compatible" if verdict.compatible else "incompatible"
        console.print(f"{mode.value}: {word}.")
    raise typer.Exit(0 if verdict.compatible else 1)
