"""`opsconsole review`: schema-change review."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from opsconsole.review import gate, records
from opsconsole.review.compat import Mode, check_chain
from opsconsole.review.diff import counts, diff_sources
from opsconsole.review.model import Change, Level
from opsconsole.workspace import Workspace, find_workspace

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


def _print_changes(console: Console, changes: list[Change]) -> None:
    """Print one change per entry: level, rule and path, then the reason indented below."""
    for change in changes:
        line = Text(f"{change.level.value:<8}", style=_LEVEL_STYLE[change.level])
        line.append(f" {change.id}  {change.path}")
        console.print(line, soft_wrap=True)
        console.print(Text(f"         {change.reason}"), soft_wrap=True)


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
        _print_changes(console, result.changes)
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
            console.print("Changes that decide the verdict:")
            _print_changes(console, verdict.deciding)
        word = "compatible" if verdict.compatible else "incompatible"
        console.print(f"{mode.value}: {word}.")
    raise typer.Exit(0 if verdict.compatible else 1)


def _workspace(path: Path | None) -> Workspace:
    return find_workspace(path)


_WORKSPACE_OPTION = typer.Option(
    None,
    "--workspace",
    "-w",
    help="Workspace folder with catalog/ and contracts/; found from the current folder if omitted.",
)
_BASE_OPTION = typer.Option(
    "main", "--base", help="Git revision to compare with: a branch, tag or commit."
)


def _git_user() -> str:
    result = subprocess.run(
        ["git", "config", "user.name"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip()


def _print_record(record: records.ReviewRecord) -> None:
    # Reasons and titles can contain brackets (patterns, paths), so markup stays off.
    console = Console(markup=False, highlight=False)
    console.print(Text(record.id, style="bold") + Text(f": {record.title}"))
    console.print(f"status {record.status}, verdict {record.verdict}, base {record.base}")
    for contract in record.contracts:
        console.print(f"  {contract.path}: {contract.old} → {contract.new}")
    console.print("Changes:")
    for change in record.changes:
        style = _LEVEL_STYLE[Level(change.level)]
        line = Text(f"{change.level:<8}", style=style)
        line.append(f" {change.id}  {change.path}  [{change.fingerprint}]")
        console.print(line, soft_wrap=True)
        console.print(Text(f"         {change.reason}"), soft_wrap=True)
    for impact in record.affected_consumers:
        affected = ", ".join(f"{c.kind} {c.name}" for c in impact.affected) or "none"
        safe = ", ".join(f"{c.kind} {c.name}" for c in impact.safe) or "none"
        console.print(f"  {impact.id} at {impact.path}: affects {affected}; safe for {safe}")
    approvers = ", ".join(record.required_approvers) or "any one reviewer"
    console.print(f"Required approvers: {approvers}")
    for decision in record.approvals:
        console.print(f"  approved by {decision.name} at {decision.time}: {decision.comment}")
    for decision in record.rejections:
        console.print(f"  rejected by {decision.name} at {decision.time}: {decision.comment}")
    if record.status == "open" and record.missing_approvers:
        console.print(f"Waiting for: {', '.join(record.missing_approvers)}")


@app.command("open")
def open_command(
    paths: list[str] = typer.Argument(
        None, help="Contracts to review (workspace-relative); all changed contracts if omitted."
    ),
    title: str = typer.Option(..., "--title", help="One line saying what the change set does."),
    base: str = _BASE_OPTION,
    review_id: str = typer.Option(
        None, "--id", help="Record ID; made from the title and fingerprints if omitted."
    ),
    workspace: Path = _WORKSPACE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the new record as JSON."),
) -> None:
    """Open a review record in contracts/reviews/ for the contracts changed since --base.

    The record lists every change with its fingerprint, the verdict, the consumers each
    breaking change affects, and the owners of the affected touchpoints as required approvers.
    """
    record = gate.open_review(_workspace(workspace), base, title, paths or None, review_id)
    if as_json:
        _print_json(record.model_dump(mode="json"))
    else:
        _print_record(record)


@app.command("show")
def show_command(
    review_id: str = typer.Argument(..., help="Review ID (the file name without .yaml)."),
    workspace: Path = _WORKSPACE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """Show a review record: changes, affected consumers, approvers and decisions."""
    record = records.load(_workspace(workspace), review_id)
    if as_json:
        _print_json(record.model_dump(mode="json"))
    else:
        _print_record(record)


def _decide(
    review_id: str, name: str | None, comment: str, workspace: Path | None, approve: bool
) -> None:
    record = records.decide(
        _workspace(workspace), review_id, name or _git_user(), comment, approve=approve
    )
    approver_name = (name or _git_user()).strip()
    verb = "Approved" if approve else "Rejected"
    typer.echo(f"{verb} {record.id} as {approver_name}; status is now {record.status}.")
    required = record.required_approvers
    if approve and required and records.matched_approver(approver_name, required) is None:
        spellings = ", ".join(records.approver_spellings(required))
        typer.echo(
            f"Warning: '{approver_name}' matches no required approver of {record.id}, so this "
            f"approval is recorded but does not count. Approve as one of: {spellings}.",
            err=True,
        )
    if record.status == "open" and record.missing_approvers:
        typer.echo(f"Still waiting for: {', '.join(record.missing_approvers)}.")


@app.command("approve")
def approve_command(
    review_id: str = typer.Argument(..., help="Review ID to approve."),
    name: str = typer.Option(
        None,
        "--name",
        help=(
            "Approver's name, recorded as given; git config user.name if omitted. It counts "
            "for the required approver written the same way or differing only by a missing "
            "kind prefix: 'order-desk' counts for 'group:order-desk', 'group:team-crm' for "
            "'team-crm'. A bare name that two approvers share ('group:crm', 'user:crm') "
            "counts for neither, and another prefix ('user:order-desk') counts for none."
        ),
    ),
    comment: str = typer.Option("", "--comment", help="Why the change is acceptable."),
    workspace: Path = _WORKSPACE_OPTION,
) -> None:
    """Approve a review. It is approved once every required approver has approved it.

    An approval by a name that matches no required approver is recorded, and a warning lists
    the names that would count. With no required approvers, any one approval approves.
    """
    _decide(review_id, name, comment, workspace, approve=True)


@app.command("reject")
def reject_command(
    review_id: str = typer.Argument(..., help="Review ID to reject."),
    name: str = typer.Option(
        None,
        "--name",
        help="Reviewer's name, recorded as given; git config user.name if omitted.",
    ),
    comment: str = typer.Option("", "--comment", help="What must change before approval."),
    workspace: Path = _WORKSPACE_OPTION,
) -> None:
    """Reject a review. A rejected review covers no change until the reviewer approves it."""
    _decide(review_id, name, comment, workspace, approve=False)


@app.command("status")
def status_command(
    review_id: str = typer.Argument(None, help="One review ID; every review if omitted."),
    workspace: Path = _WORKSPACE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print id, status and verdict as JSON."),
) -> None:
    """List reviews with their status, verdict and the approvers still missing."""
    found = _workspace(workspace)
    chosen = [records.load(found, review_id)] if review_id else records.load_all(found)
    rows: list[dict[str, Any]] = [
        {
            "id": r.id,
            "status": r.status,
            "verdict": r.verdict,
            "title": r.title,
            "missing_approvers": r.missing_approvers,
        }
        for r in chosen
    ]
    if as_json:
        _print_json(rows)
        return
    if not rows:
        typer.echo(f"No reviews in {found.reviews_dir}.")
        return
    table = Table(title_justify="left")
    for column in ("id", "status", "verdict", "title", "waiting for"):
        table.add_column(column, overflow="fold")
    for row in rows:
        waiting = ", ".join(row["missing_approvers"]) if row["status"] == "open" else ""
        table.add_row(row["id"], row["status"], row["verdict"], row["title"], waiting)
    Console(markup=False).print(table)


@app.command("check")
def check_command(
    base: str = _BASE_OPTION,
    junit_file: Path = typer.Option(
        None, "--junit", help="Write JUnit XML here (one test case per changed contract)."
    ),
    summary_file: Path = typer.Option(
        None, "--summary", help="Write a Markdown summary here, for a pull-request comment."
    ),
    workspace: Path = _WORKSPACE_OPTION,
) -> None:
    """CI gate: diff every contract changed since --base and fail on unapproved breaking changes.

    A breaking change passes when an approved review in contracts/reviews/ lists its
    fingerprint. Exits 0 when the gate passes, 1 when it fails, 2 when an input cannot be read.
    """
    report = gate.check(_workspace(workspace), base)
    if junit_file is not None:
        junit_file.parent.mkdir(parents=True, exist_ok=True)
        junit_file.write_text(gate.junit(report), encoding="utf-8")
    summary = gate.markdown(report)
    if summary_file is not None:
        summary_file.parent.mkdir(parents=True, exist_ok=True)
        summary_file.write_text(summary, encoding="utf-8")
    typer.echo(summary, nl=False)
    raise typer.Exit(0 if report.passed else 1)
