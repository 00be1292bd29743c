"""`opsconsole catalog`: validate, list, show, report and graph the touchpoint inventory."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec
from xml.etree import ElementTree

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from opsconsole.catalog.catalog import LoadResult, load_catalog
from opsconsole.catalog.findings import RULES, Finding
from opsconsole.catalog.gc import gc_paused
from opsconsole.catalog.graph import CRITICALITY_COLOURS, build_graph, to_dot, to_mermaid
from opsconsole.catalog.model import CRITICALITIES, MODES, Entity, EntityRef, Touchpoint
from opsconsole.catalog.query import TouchpointFilter, select
from opsconsole.catalog.rules import validate
from opsconsole.catalog.schema import entity_schema
from opsconsole.cli import catalog_import
from opsconsole.errors import ConfigError
from opsconsole.workspace import find_workspace

app = typer.Typer(
    help=(
        "Validate, list and report the touchpoint catalog: the YAML entities under catalog/ "
        "that describe every system, API, owning team and integration touchpoint."
    ),
    no_args_is_help=True,
)
app.add_typer(catalog_import.app, name="import")

WORKSPACE = typer.Option(
    None,
    "--workspace",
    "-w",
    help="Workspace folder that contains catalog/. Default: $OPSCONSOLE_WORKSPACE, else the "
    "nearest folder upwards with catalog/ or opsconsole.toml.",
)
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout.")

Params = ParamSpec("Params")


def _without_cyclic_gc(command: Callable[Params, None]) -> Callable[Params, None]:
    """Run `command` with the cyclic garbage collector paused from start to finish.

    Once loading resumes the collector, each later collection rescans every container of the
    catalog: about 0.5 s of CPU at 5,000 touchpoints. The command's data is freed by reference
    counting when it returns, before the collector resumes. A `typer.Exit` is raised again
    outside, so that its traceback does not keep that data alive past the pause.
    """

    @functools.wraps(command)
    def run(*args: Params.args, **kwargs: Params.kwargs) -> None:
        with gc_paused():
            try:
                command(*args, **kwargs)
                return
            except typer.Exit as stop:
                exit_code = stop.exit_code
        raise typer.Exit(exit_code)

    return run


def _load(workspace: Path | None) -> tuple[LoadResult, list[Finding]]:
    root = find_workspace(workspace).root
    result = load_catalog(root)
    return result, validate(result)


@app.command("validate")
@_without_cyclic_gc
def validate_command(
    workspace: Path | None = WORKSPACE,
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too, not only errors."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    junit: Path | None = typer.Option(
        None,
        "--junit",
        help="Also write the findings as JUnit XML to this file, one case per rule.",
    ),
) -> None:
    """Check the catalog: schema, references, systems of record, owners, contracts, monitors.

    Exits 0 when clean, 1 when there are errors (or warnings with --strict).
    """
    result, findings = _load(workspace)
    if junit is not None:
        junit.write_text(_junit_xml(findings), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps([finding.model_dump() for finding in findings], indent=2))
    else:
        _print_findings(findings, len(result.catalog.entities))
    failing = [f for f in findings if f.severity == "error" or strict]
    if failing:
        raise typer.Exit(1)


def _print_findings(findings: list[Finding], entity_count: int) -> None:
    console = Console(highlight=False)
    if findings:
        # One print for all lines: rich's cost is per call, and a large catalog has hundreds.
        console.print("\n".join(_finding_markup(finding) for finding in findings), soft_wrap=True)
    errors = sum(1 for finding in findings if finding.severity == "error")
    warnings = len(findings) - errors
    console.print(f"{entity_count} entities checked: {errors} errors, {warnings} warnings.")


def _finding_markup(finding: Finding) -> str:
    colour = "red" if finding.severity == "error" else "yellow"
    return f"{finding.location}: [{colour}]{finding.severity}[/{colour}] " + escape(
        f"[{finding.rule}] {finding.message}"
    )


def _junit_xml(findings: list[Finding]) -> str:
    suite = ElementTree.Element(
        "testsuite",
        name="opsconsole catalog validate",
        tests=str(len(RULES)),
        failures=str(len({f.rule for f in findings if f.severity == "error"})),
    )
    for rule, description in RULES.items():
        case = ElementTree.SubElement(suite, "testcase", classname="catalog", name=rule)
        hits = [f for f in findings if f.rule == rule]
        if not hits:
            continue
        tag = "failure" if any(f.severity == "error" for f in hits) else "system-out"
        element = ElementTree.SubElement(case, tag)
        if tag == "failure":
            element.set("message", description)
        element.text = "\n".join(f"{f.location}: {f.message}" for f in hits)
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _filter_options(
    mode: str | None,
    criticality: str | None,
    system: str | None,
    owner: str | None,
    obj: str | None,
) -> TouchpointFilter:
    if mode is not None and mode not in MODES:
        raise ConfigError(
            f"--mode {mode!r} is not a touchpoint mode. Use one of: {', '.join(MODES)}."
        )
    if criticality is not None and criticality not in CRITICALITIES:
        raise ConfigError(
            f"--criticality {criticality!r} is not a level. Use one of: {', '.join(CRITICALITIES)}."
        )
    return TouchpointFilter(mode, criticality, system, owner, obj)


MODE = typer.Option(None, "--mode", help=f"Only this mode: {', '.join(MODES)}.")
CRITICALITY = typer.Option(
    None, "--criticality", help=f"Only this criticality: {', '.join(CRITICALITIES)}."
)
SYSTEM = typer.Option(
    None, "--system", help="Only touchpoints with this system as source or target."
)
OWNER = typer.Option(None, "--owner", help="Only touchpoints owned by this group.")
OBJECT = typer.Option(None, "--object", help="Only touchpoints carrying this object, e.g. invoice.")


@app.command("list")
@_without_cyclic_gc
def list_command(
    workspace: Path | None = WORKSPACE,
    mode: str | None = MODE,
    criticality: str | None = CRITICALITY,
    system: str | None = SYSTEM,
    owner: str | None = OWNER,
    obj: str | None = OBJECT,
    as_json: bool = typer.Option(False, "--json", help="Print the touchpoints as JSON."),
) -> None:
    """List touchpoints as a table: mode, source → target, objects, criticality, owner."""
    conditions = _filter_options(mode, criticality, system, owner, obj)
    result = load_catalog(find_workspace(workspace).root)
    touchpoints = select(result.catalog.touchpoints, conditions)
    if as_json:
        rows = [_touchpoint_json(tp) for tp in touchpoints]
        typer.echo(json.dumps(rows, indent=2))
        return
    _print_touchpoints(touchpoints)


def _touchpoint_json(touchpoint: Touchpoint) -> dict[str, object]:
    return {
        "name": touchpoint.name,
        "file": touchpoint.file,
        "line": touchpoint.line,
        **touchpoint.touchpoint.model_dump(by_alias=True, exclude_none=True),
    }


def _print_touchpoints(touchpoints: list[Touchpoint]) -> None:
    table = Table(title=f"{len(touchpoints)} touchpoints", title_justify="left")
    for column in ("touchpoint", "mode", "source → target", "objects", "criticality", "owner"):
        table.add_column(column, no_wrap=column in ("touchpoint", "mode", "criticality"))
    for touchpoint in touchpoints:
        spec = touchpoint.touchpoint
        colour = CRITICALITY_COLOURS[spec.criticality]
        table.add_row(
            touchpoint.name,
            spec.mode,
            f"{_short(spec.source)} → {_short(spec.target)}",
            ", ".join(spec.objects),
            f"[{colour}]{spec.criticality}[/{colour}]",
            _short(spec.owner) if spec.owner else "[red]none[/red]",
        )
    _wide_console().print(table)


def _wide_console() -> Console:
    # Rich assumes 80 columns when stdout is a pipe; the table needs about 140 to stay on one line.
    console = Console()
    return console if console.is_terminal else Console(width=160)


def _short(ref: str) -> str:
    return EntityRef.parse(ref, "system").name


@app.command("show")
@_without_cyclic_gc
def show_command(
    name: str = typer.Argument(
        help="Entity to show: 'name' or 'kind:name', e.g. touchpoint:crm-order-to-hub."
    ),
    workspace: Path | None = WORKSPACE,
    as_json: bool = typer.Option(False, "--json", help="Print the entity as JSON."),
) -> None:
    """Show one entity; for a system, also the touchpoints that enter and leave it."""
    result = load_catalog(find_workspace(workspace).root)
    entity = _find_entity(result, name)
    related = _related_touchpoints(result, entity)
    if as_json:
        payload = {**entity.model_dump(exclude={"touchpoint"}), "touchpoints": related}
        typer.echo(json.dumps(payload, indent=2))
        return
    console = Console(highlight=False)
    console.print(
        f"[bold]{entity.ref}[/bold]  {entity.display_name}  ({entity.file}:{entity.line})"
    )
    if entity.description:
        console.print(entity.description)
    for key, value in entity.spec.items():
        console.print(f"  {key}: {_plain(value)}", soft_wrap=True)
    if related:
        console.print("Touchpoints:")
        for line in related:
            console.print(f"  {line}")


def _find_entity(result: LoadResult, name: str) -> Entity:
    catalog = result.catalog
    if ":" in name:
        found = catalog.resolve(name, "touchpoint")
        candidates = [found] if found else []
    else:
        candidates = [entity for entity in catalog.entities if entity.name == name]
    if not candidates:
        raise ConfigError(
            f"No entity named {name!r} in the catalog. Run `opsconsole catalog list` to see "
            "touchpoints, or give the kind, e.g. system:erp."
        )
    if len(candidates) > 1:
        kinds = ", ".join(str(entity.ref) for entity in candidates)
        raise ConfigError(f"{name!r} names several entities ({kinds}). Give the kind as well.")
    return candidates[0]


def _related_touchpoints(result: LoadResult, entity: Entity) -> list[str]:
    if entity.kind != "System":
        return []
    lines = []
    for touchpoint in result.catalog.touchpoints:
        spec = touchpoint.touchpoint
        if entity.name in (_short(spec.source), _short(spec.target)):
            lines.append(
                f"{touchpoint.name}: {spec.mode} {_short(spec.source)} → {_short(spec.target)} "
                f"({', '.join(spec.objects)}; {spec.criticality})"
            )
    return lines


def _plain(value: object) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


@app.command("report")
@_without_cyclic_gc
def report_command(
    workspace: Path | None = WORKSPACE,
    output_format: str = typer.Option(
        "md",
        "--format",
        "-f",
        help="Output format: md, html (one self-contained file), csv or json.",
    ),
    output: Path | None = OUTPUT,
) -> None:
    """Report the inventory by criticality, latency, data owner and failure impact.

    Includes the criticality by failure-impact matrix, validation gaps, per-system fan-in and
    fan-out, each object's system of record and flows, and point-to-point touchpoints to retire.
    CSV holds the inventory rows only.
    """
    # Imported here: the report's models and renderers are not needed by the other commands.
    from opsconsole.catalog.inventory import build_report
    from opsconsole.catalog.render import render_csv, render_html, render_json, render_markdown
    from opsconsole.catalog.svg import render_svg

    result, findings = _load(workspace)
    report = build_report(result.catalog, findings)
    renderers = {
        "md": lambda: render_markdown(report),
        "csv": lambda: render_csv(report),
        "json": lambda: render_json(report),
        "html": lambda: render_html(report, render_svg(build_graph(result.catalog))),
    }
    if output_format not in renderers:
        raise ConfigError(
            f"--format {output_format!r} is not supported. Use md, html, csv or json."
        )
    _emit(renderers[output_format](), output)


@app.command("graph")
@_without_cyclic_gc
def graph_command(
    workspace: Path | None = WORKSPACE,
    output_format: str = typer.Option(
        "mermaid", "--format", "-f", help="Output format: mermaid, dot (Graphviz) or svg."
    ),
    output: Path | None = OUTPUT,
    mode: str | None = MODE,
    criticality: str | None = CRITICALITY,
    system: str | None = SYSTEM,
    owner: str | None = OWNER,
    obj: str | None = OBJECT,
) -> None:
    """Draw systems as nodes and touchpoints as edges labelled with mode and objects.

    Edges are coloured by criticality: red critical, orange high, blue medium, grey low. SVG is
    drawn by opsconsole itself and needs neither Graphviz nor a network connection.
    """
    from opsconsole.catalog.svg import render_svg

    conditions = _filter_options(mode, criticality, system, owner, obj)
    result = load_catalog(find_workspace(workspace).root)
    graph = build_graph(result.catalog, select(result.catalog.touchpoints, conditions))
    renderers = {"mermaid": to_mermaid, "dot": to_dot, "svg": render_svg}
    if output_format not in renderers:
        raise ConfigError(f"--format {output_format!r} is not supported. Use mermaid, dot or svg.")
    _emit(renderers[output_format](graph), output)


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema that catalog entities must follow."""
    typer.echo(json.dumps(entity_schema(), indent=2))


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"Wrote {output}", err=True)
