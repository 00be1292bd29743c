"""`opsconsole contracts validate|lint|fuzz`: schema and property-based API gates."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from opsconsole.contracts.fuzz import FuzzEvent, FuzzOptions, OperationFinished, fuzz_api
from opsconsole.contracts.fuzz_targets import EMBEDDED_APIS, open_target, workspace_openapi
from opsconsole.contracts.lint import lint_workspace
from opsconsole.contracts.validation import PayloadsChecked, validate_workspace
from opsconsole.errors import ConfigError, OpsconsoleError, WorkspaceError
from opsconsole.reports import (
    GateReport,
    finish_gate,
    input_error_report,
    write_json,
    write_junit,
)
from opsconsole.workspace import find_workspace

# Above this many checks the table lists failures only, so a large recorded-payload run stays
# readable; --all-rows prints every row anyway.
_MAX_TABLE_ROWS = 200

WORKSPACE_OPTION = typer.Option(
    None,
    "--workspace",
    "-w",
    help="Workspace folder (contains contracts/). Default: $OPSCONSOLE_WORKSPACE, else the first "
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
    "Schemas are read from `contracts/schemas/**/*.json` and resolve `$ref` only among "
    "themselves, keyed by `$id`, never over the network. Payloads are each schema's "
    "`examples`, plus `contracts/examples/<schema name>/*.json` and "
    "`contracts/recorded/<schema name>/*.json` or `*.jsonl` (one payload per line). A payload "
    "may name its schema by `$id` in a `$schema` field, and a CloudEvent's data is checked "
    "against the schema its `dataschema` names.\n\n"
    "Exit status: 0 when every payload is valid, 1 when a payload or schema fails, 2 when the "
    "schemas cannot be read or a `$ref` does not resolve locally."
)
LINT_HELP = (
    "Check schemas for known traps, one check per schema and rule.\n\n"
    "Rules: `invalid-schema`; `dialect` (must be JSON Schema 2020-12); `missing-id`; "
    "`missing-examples`; `additional-properties-beside-composition` (`additionalProperties: "
    "false` next to `allOf`, `anyOf`, `oneOf` or `$ref` rejects the composed properties, so "
    "use `unevaluatedProperties: false`); `money-as-float` (a money field typed as a JSON "
    "number); `unresolvable-ref`. A schema skips a rule with "
    '`"x-opsconsole-lint": {"ignore": ["RULE"]}`, shown as a skipped check.\n\n'
    "Exit status: 0 with no findings, 1 when a rule fails, 2 when the schemas cannot be read."
)


@contextmanager
def _input_errors_reported(gate: str, junit: Path | None, json_path: Path | None) -> Iterator[None]:
    """Write an errored report to the requested files when the gate cannot read its input."""
    try:
        yield
    except OpsconsoleError as exc:
        report = input_error_report(gate, str(exc))
        if junit is not None:
            write_junit(report, junit)
        if json_path is not None:
            write_json(report, json_path)
        raise


@contextmanager
def _validation_progress() -> Iterator[Callable[[PayloadsChecked], None]]:
    """Show a progress bar on standard error while payloads are checked; gone when done."""
    columns = Progress.get_default_columns()
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("Validating payloads", total=None)

        def show(event: PayloadsChecked) -> None:
            progress.update(task, completed=event.done, total=event.total)

        yield show


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
    fast: bool = typer.Option(
        False,
        "--fast",
        help="Screen payloads with jsonschema-rs first and run the Python validator only on "
        "rejected ones. Much faster on large recorded sets; the two libraries differ on a few "
        "formats, so the default full check is the reference.",
    ),
) -> None:
    """Validate every example and recorded payload against its JSON Schema."""
    with (
        _input_errors_reported("contracts validate", junit, json_path),
        _validation_progress() as show_progress,
    ):
        report = validate_workspace(find_workspace(workspace), fast=fast, on_progress=show_progress)
    _finish(report, junit, json_path, all_rows)


def lint(
    workspace: Path | None = WORKSPACE_OPTION,
    junit: Path | None = JUNIT_OPTION,
    json_path: Path | None = JSON_OPTION,
    all_rows: bool = ALL_ROWS_OPTION,
) -> None:
    """Check schemas for known traps, one check per schema and rule."""
    with _input_errors_reported("contracts lint", junit, json_path):
        report = lint_workspace(find_workspace(workspace))
    _finish(report, junit, json_path, all_rows)


FUZZ_HELP = (
    "Fuzz an HTTP API from its OpenAPI document with schemathesis.\n\n"
    "Every operation gets generated requests that fit the document (positive) and that break "
    "it (negative). A stateful run chains operations along the document's OpenAPI links and "
    "the links schemathesis infers from it. "
    "A check fails on any 5xx response and on any response body that breaks the schema the "
    "document declares for it. Each failure shows the shrunk request as a curl command, the "
    "response, and the seed that repeats the run.\n\n"
    f"By default the API ({', '.join(EMBEDDED_APIS)}) is started on a free loopback port with "
    "throwaway state, and `--base-url` fuzzes a running API instead. The document is "
    "`--openapi FILE`, else `contracts/openapi/<api>.yaml` (or `.json`) of the workspace, else "
    "the API's `/openapi.json`.\n\n"
    "Exit status: 0 when every check passes, 1 when one fails, 2 when the API or its document "
    "cannot be loaded."
)


def _parse_headers(values: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for value in values:
        name, separator, content = value.partition(":")
        if not separator or not name.strip():
            raise ConfigError(
                f"Invalid --header {value!r}. Write it as 'Name: value', for example "
                f"'Authorization: Bearer TOKEN'."
            )
        headers[name.strip()] = content.strip()
    return headers


def _document_path(api: str, openapi: Path | None, workspace: Path | None) -> Path | None:
    if openapi is not None:
        return openapi
    try:
        found = find_workspace(workspace)
    except WorkspaceError:
        if workspace is not None:
            raise
        return None
    return workspace_openapi(found.openapi_dir, api)


def _progress(console: Console) -> Callable[[FuzzEvent], None]:
    def show(event: FuzzEvent) -> None:
        if isinstance(event, OperationFinished):
            console.print(f"  {event.result.status.value:<8} {event.result.name}", highlight=False)

    return show


def fuzz(
    api: str = typer.Option(
        ...,
        "--api",
        help=f"API to fuzz: {', '.join(EMBEDDED_APIS)} (started embedded unless --base-url is "
        "given; with --base-url any name, used as the report suite).",
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Fuzz the API running at this URL instead of starting one."
    ),
    openapi: Path | None = typer.Option(
        None,
        "--openapi",
        help="OpenAPI document (JSON or YAML) to generate requests from.",
        dir_okay=False,
    ),
    header: list[str] = typer.Option(
        [], "--header", "-H", help="Header sent with every request, as 'Name: value'. Repeatable."
    ),
    max_examples: int = typer.Option(
        50, "--max-examples", min=1, help="Generated requests per operation and mode."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed for the generator; repeats an earlier run (shown per failure)."
    ),
    stateful: bool = typer.Option(
        True,
        "--stateful/--no-stateful",
        help="Chain operations along declared and inferred OpenAPI links.",
    ),
    check: list[str] = typer.Option(
        [],
        "--check",
        help="Extra check to run: status_code_conformance or content_type_conformance. Repeatable.",
    ),
    ca_file: Path | None = typer.Option(
        None,
        "--ca-file",
        help="PEM CA bundle that verifies an https --base-url, e.g. the CRM sandbox's local CA "
        "(.opsconsole/tls/sandbox-ca.pem in the workspace). Overrides REQUESTS_CA_BUNDLE.",
        exists=True,
        dir_okay=False,
    ),
    workspace: Path | None = WORKSPACE_OPTION,
    junit: Path | None = JUNIT_OPTION,
    json_path: Path | None = JSON_OPTION,
) -> None:
    """Fuzz an HTTP API from its OpenAPI document with schemathesis."""
    options = FuzzOptions(
        max_examples=max_examples,
        seed=seed,
        stateful=stateful,
        extra_checks=tuple(check),
        ca_file=ca_file,
    )
    console = Console()
    with _input_errors_reported(f"contracts fuzz {api}", junit, json_path):
        options.checks()
        document_path = _document_path(api, openapi, workspace)
        headers = _parse_headers(header)
        with open_target(
            api, base_url=base_url, document_path=document_path, headers=headers, ca_file=ca_file
        ) as target:
            console.print(f"Fuzzing {target.name} at {target.base_url}", highlight=False)
            options = dataclasses.replace(options, headers=target.headers)
            report = fuzz_api(
                target.document,
                target.base_url,
                name=target.name,
                options=options,
                on_event=_progress(console),
            )
    _finish(report, junit, json_path, all_rows=True)


def register(app: typer.Typer) -> None:
    """Add the schema and fuzzing commands to the contracts group."""
    app.command("validate", help=VALIDATE_HELP)(validate)
    app.command("lint", help=LINT_HELP)(lint)
    app.command("fuzz", help=FUZZ_HELP)(fuzz)
