"""`opsconsole catalog import`: make catalog entities from Backstage, OpenAPI or CSV files."""

from __future__ import annotations

from pathlib import Path

import typer

from opsconsole.catalog.importers import (
    ImportResult,
    import_backstage,
    import_csv,
    import_openapi,
    load_mapping,
    to_yaml,
)
from opsconsole.catalog.loader import Document
from opsconsole.catalog.schema import check_document
from opsconsole.workspace import find_workspace

app = typer.Typer(
    help="Make catalog entities from files teams already keep. Output is YAML for catalog/.",
    no_args_is_help=True,
)
OUTPUT = typer.Option(
    None,
    "--output",
    "-o",
    help="Write the YAML to this file (e.g. catalog/imported.yaml) instead of stdout.",
)


@app.command("backstage")
def backstage_command(
    files: list[Path] = typer.Argument(help="Backstage catalog-info.yaml files."),
    output: Path | None = OUTPUT,
) -> None:
    """Keep the System, Component, API and Group entities of Backstage files."""
    _finish(import_backstage(files), output)


@app.command("openapi")
def openapi_command(
    files: list[Path] = typer.Argument(help="OpenAPI documents (YAML or JSON), one API each."),
    system: str = typer.Option(..., "--system", help="System that provides the APIs, e.g. erp."),
    owner: str = typer.Option(..., "--owner", help="Group that owns the APIs."),
    lifecycle: str = typer.Option("production", "--lifecycle", help="Lifecycle of the APIs."),
    workspace: Path | None = typer.Option(
        None, "--workspace", "-w", help="Workspace the definition paths are made relative to."
    ),
    output: Path | None = OUTPUT,
) -> None:
    """Make one API entity per OpenAPI document, named after its info.title."""
    root = find_workspace(workspace).root if workspace else Path.cwd()
    _finish(import_openapi(files, root, system, owner, lifecycle), output)


@app.command("csv")
def csv_command(
    file: Path = typer.Argument(help="Inventory spreadsheet saved as CSV with a header row."),
    mapping: Path | None = typer.Option(
        None,
        "--mapping",
        "-m",
        help="YAML file mapping touchpoint fields to column headers (columns:), spreadsheet "
        "values to catalog values (values:) and defaults (defaults:).",
    ),
    output: Path | None = OUTPUT,
) -> None:
    """Make one Touchpoint per spreadsheet row.

    Without --mapping, columns must be named like the fields: name, title, description, mode,
    source, target, objects, direction, criticality, latency (e.g. 30s, 24h), schedule (cron),
    impact_category, impact, owner, runbook, contracts, monitors, system_of_record,
    data_classification, residency, process. name, mode, source, target, objects and
    criticality are required. List cells are separated by ';'. A system_of_record item reads
    'object=system' or 'object/status=system'. Rows with a required value missing are skipped
    and reported.
    """
    _finish(import_csv(file, load_mapping(mapping)), output)


def _finish(result: ImportResult, output: Path | None) -> None:
    for note in result.skipped:
        typer.echo(f"Skipped {note}", err=True)
    problems = 0
    for entity in result.entities:
        for finding in check_document(Document(entity, "(imported)")):
            problems += 1
            typer.echo(f"{finding.entity}: {finding.message}", err=True)
    text = to_yaml(result.entities)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    typer.echo(
        f"Imported {len(result.entities)} entities ({problems} schema problems to fix); "
        f"skipped {len(result.skipped)}.",
        err=True,
    )
