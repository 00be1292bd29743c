"""`opsconsole contracts validate|lint|fuzz`: schema and property-based API gates."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from opsconsole.contracts.lint import lint_workspace
from opsconsole.contracts.validation import validate_workspace
from opsconsole.reports import GateReport, finish_gate
from opsconsole.workspace import find_workspace

# Above this many checks the table lists failures only, so a large recorded-payload run stays
# readable; --all-rows prints every row anyway.
_MAX_TABLE_ROWS = 200

WORKSPACE_OPTION = typer.Option(
    None,
    "--workspace",
    "-w",
    help="Workspace folder (holds contracts/). Default: $OPSCONSOLE_WORKSPACE, else the first "
    "folder upwards from here with opsconsole.toml or catalog/.",
    file_okay=False,
)
JUNIT_OPTION = typer.Option(
    None, "--junit", help="Write the results as JUnit XML to this file (for CI test reports)."
)
JSON_OPTION = typer.Option(
    None, "--json", help="Write the results as JSON to this file (for scripts and dashboards)."
)
ALL_ROWS_OPTION = typer.Option(
    False,
    "--all-rows",
    help=f"List passed checks too when there are more than {_MAX_TABLE_ROWS} checks.",
)


VALIDATE_HELP = (
    "Validate every example and recorded payload against its JSON Schema (2020-12, formats "
    "such as uuid and date-time checked).\n\n"
    "Schemas are read from contracts/schemas/**/*.json and resolve $ref only among themselves, "
    "keyed by $id, never over the network. Payloads are each schema's `examples`, plus "
    "contracts/examples/<schema name>/*.json and contracts/recorded/<schema name>/*.json or "
    '*.jsonl (one payload per line). A payload may name its schema by $id in a "$schema" '
    'field, and a CloudEvent\'s data is checked against the schema its "dataschema" names.\n\n'
    "Exit status: 0 when every payload is valid, 1 when a payload or schema fails, 2 when the "
    "schemas cannot be read or a $ref does not resolve locally."
)
LINT_HELP = (
    "Check schemas for known traps, one check per schema and rule.\n\n"
    "Rules: invalid-schema; dialect (must be JSON Schema 2020-12); missing-id; "
    "missing-examples; additional-properties-beside-composition (additionalProperties: false "
    "next to allOf, anyOf, oneOf or $ref rejects the composed properties, so use "
    "unevaluatedProperties: false); money-as-float (a money field typed as a JSON number); "
    "unresolvable-ref. A schema skips a rule with "
    '"x-opsconsole-lint": {"ignore": ["RULE"]}, shown as a skipped check.\n\n'
    "Exit status: 0 with no findings, 1 when a rule fails, 2 when the schemas cannot be read."
)


def _finish(report: GateReport, junit: Path | None, json_path: Path | None, all_rows: bool) -> None:
    show_passed = all_rows or len(report.checks) <= _MAX_TABLE_ROWS
    code = finish_gate(
        report, junit=junit, json_path=json_path, console=Console(), show_passed=show_passed
    )
    raise typer.Exit(code)


def validate(
    workspace: Path | None = WORKSPACE_OPTION,
    junit: Path | None = JUNIT_OPTION,
    json_path: Path | None = JSON_OPTION,
    all_rows: bool = ALL_ROWS_OPTION,
) -> None:
    """Validate every example and recorded payload against its JSON Schema."""
    report = validate_workspace(find_workspace(workspace))
    _finish(report, junit, json_path, all_rows)


def lint(
    workspace: Path | None = WORKSPACE_OPTION,
    junit: Path | None = JUNIT_OPTION,
    json_path: Path | None = JSON_OPTION,
    all_rows: bool = ALL_ROWS_OPTION,
) -> None:
    """Check schemas for known traps, one check per schema and rule."""
    report = lint_workspace(find_workspace(workspace))
    _finish(report, junit, json_path, all_rows)


def register(app: typer.Typer) -> None:
    """Add the schema and fuzzing commands to the contracts group."""
    app.command("validate", help=VALIDATE_HELP)(validate)
    app.command("lint", help=LINT_HELP)(lint)
