"""`opsconsole contracts export-openapi`: write or check the apps' OpenAPI documents."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from opsconsole.cli.contracts_schemas import WORKSPACE_OPTION
from opsconsole.contracts.fuzz_targets import EMBEDDED_APIS
from opsconsole.contracts.openapi_export import check_documents, export_documents
from opsconsole.workspace import find_workspace

EXPORT_HELP = (
    "Write the OpenAPI document of each app (engine, CRM and ERP sandboxes) as YAML into the "
    "workspace's `contracts/openapi/` folder (`engine.yaml`, `crm.yaml`, `erp.yaml`).\n\n"
    "The documents are generated from the code, so export again after changing a route. "
    "With `--check` nothing is written: the command compares the committed files with what "
    "the code generates, for CI.\n\n"
    "Exit status: 0 when the files are written or current, 1 with `--check` when a file "
    "differs or is missing, 2 on bad input."
)


def export_openapi(
    workspace: Path | None = WORKSPACE_OPTION,
    check: bool = typer.Option(
        False,
        "--check",
        help="Write nothing; exit 1 when a committed document differs from the generated one.",
    ),
    api: list[str] = typer.Option(
        list(EMBEDDED_APIS),
        "--api",
        help=f"App to export: {', '.join(EMBEDDED_APIS)}. Repeatable. Default: all of them.",
    ),
) -> None:
    """Write or check the apps' OpenAPI documents in the workspace."""
    openapi_dir = find_workspace(workspace).openapi_dir
    apis = tuple(api)
    states = check_documents(openapi_dir, apis) if check else export_documents(openapi_dir, apis)
    console = Console()
    for state in states:
        console.print(f"{state.status:<10} {state.path}", highlight=False)
    stale = [state for state in states if state.status in ("differs", "missing")]
    if stale:
        console.print(
            f"{len(stale)} document(s) out of date. Run `opsconsole contracts export-openapi` "
            "and commit the result.",
            highlight=False,
        )
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the OpenAPI export command to the contracts group."""
    app.command("export-openapi", help=EXPORT_HELP)(export_openapi)
