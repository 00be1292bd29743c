"""Render the inventory report as Markdown, CSV, JSON or one self-contained HTML page."""

from __future__ import annotations

import csv
import html
import io
from functools import lru_cache

from opsconsole.catalog.inventory import InventoryReport, TouchpointRow
from opsconsole.catalog.model import CRITICALITIES, IMPACT_CATEGORIES

# The same modes, systems and levels fill thousands of table cells: escape each text once.
escape = lru_cache(maxsize=8192)(html.escape)

REPORT_FORMATS = ("md", "html", "csv", "json")
CSV_COLUMNS = (
    "name",
    "title",
    "mode",
    "source",
    "target",
    "objects",
    "direction",
    "criticality",
    "latency_target",
    "latency_class",
    "schedule",
    "data_owners",
    "impact_category",
    "impact",
    "owner",
    "lifecycle",
    "point_to_point",
    "gaps",
    "file",
    "line",
)
_GROUPINGS = (
    ("by_criticality", "By criticality"),
    ("by_latency_class", "By latency class"),
    ("by_data_owner", "By data owner (system of record)"),
    ("by_failure_impact", "By failure impact"),
)


def render_json(report: InventoryReport) -> str:
    """Render the whole report as indented JSON."""
    return report.model_dump_json(indent=2) + "\n"


def render_csv(report: InventoryReport) -> str:
    """Render the inventory, one touchpoint per row; list cells are joined with '; '."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in report.touchpoints:
        values = row.model_dump()
        writer.writerow({key: _csv_cell(values[key]) for key in CSV_COLUMNS})
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    if isinstance(value, list):
        return "; ".join(str(item) for item in value)
    return "" if value is None else value


def render_markdown(report: InventoryReport) -> str:
    """Render the report as GitHub-flavoured Markdown."""
    rows = {row.name: row for row in report.touchpoints}
    parts = [
        f"# Touchpoint inventory: {report.workspace}",
        "",
        f"Generated {report.generated_at}. {_summary(report)}",
        "",
    ]
    for key, heading in _GROUPINGS:
        parts += [f"## {heading}", ""]
        for group, names in getattr(report, key).items():
            parts += [f"### {group} ({len(names)})", "", *_md_touchpoints([rows[n] for n in names])]
    parts += ["## Criticality × failure impact", "", *_md_matrix(report)]  # noqa: RUF001
    parts += ["## Gaps found by validation", "", *_md_findings(report)]
    parts += ["## Fan-in and fan-out per system", "", *_md_fans(report)]
    parts += ["## Objects, systems of record and touchpoints", "", *_md_objects(report)]
    parts += ["## Point-to-point touchpoints to retire", "", *_md_retirement(report)]
    return "\n".join(parts)


def _summary(report: InventoryReport) -> str:
    counts = report.counts
    return (
        f"{counts['touchpoint']} touchpoints between {counts['system']} systems; "
        f"{counts['errors']} validation errors, {counts['warnings']} warnings."
    )


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return [*lines, ""]


def _md_touchpoints(rows: list[TouchpointRow]) -> list[str]:
    return _md_table(
        ["touchpoint", "mode", "source → target", "objects", "criticality", "latency", "impact"],
        [
            [
                row.name,
                row.mode,
                f"{row.source} → {row.target}",
                ", ".join(row.objects),
                row.criticality,
                row.latency_target,
                row.impact,
            ]
            for row in rows
        ],
    )


def _md_matrix(report: InventoryReport) -> list[str]:
    return _md_table(
        ["criticality", *IMPACT_CATEGORIES],
        [
            [level, *(str(report.matrix[level][impact]) for impact in IMPACT_CATEGORIES)]
            for level in CRITICALITIES
        ],
    )


def _md_findings(report: InventoryReport) -> list[str]:
    if not report.findings:
        return ["No gaps: every touchpoint has an owner, a contract, a monitor and a runbook.", ""]
    return _md_table(
        ["severity", "rule", "where", "finding"],
        [[f.severity, f.rule, f.location, f.message] for f in report.findings],
    )


def _md_fans(report: InventoryReport) -> list[str]:
    return _md_table(
        ["system", "type", "fan-in", "fan-out", "receives from", "sends to"],
        [
            [
                fan.title,
                fan.type,
                str(fan.fan_in),
                str(fan.fan_out),
                ", ".join(fan.sources),
                ", ".join(fan.targets),
            ]
            for fan in report.systems
        ],
    )


def _md_objects(report: InventoryReport) -> list[str]:
    parts: list[str] = []
    for usage in report.objects:
        owner = usage.system_of_record or "not declared"
        statuses = ", ".join(
            f"{status}: {system}" for status, system in usage.status_owners.items()
        )
        parts += [f"### {usage.object}", "", f"System of record: **{owner}**."]
        if statuses:
            parts.append(f"Status owners: {statuses}.")
        parts.append("")
        parts += _md_table(
            ["touchpoint", "mode", "reads from", "writes to", "criticality"],
            [
                [flow.touchpoint, flow.mode, flow.reads_from, flow.writes_to, flow.criticality]
                for flow in usage.flows
            ],
        )
    return parts


def _md_retirement(report: InventoryReport) -> list[str]:
    if not report.retirement_candidates:
        return ["Every touchpoint runs through the middleware.", ""]
    return _md_table(
        ["touchpoint", "mode", "source → target", "criticality", "replacement"],
        [
            [c.touchpoint, c.mode, f"{c.source} → {c.target}", c.criticality, c.replacement]
            for c in report.retirement_candidates
        ],
    )


def render_html(report: InventoryReport, graph_svg: str) -> str:
    """Render one self-contained HTML page: inline CSS and SVG, no scripts, no network."""
    rows = {row.name: row for row in report.touchpoints}
    sections = [
        _html_section("Systems and touchpoints", f'<div class="graph">{graph_svg}</div>', "graph"),
        _html_section("Criticality × failure impact", _html_matrix(report), "matrix"),  # noqa: RUF001
        _html_section("Gaps found by validation", _html_findings(report), "gaps"),
    ]
    for key, heading in _GROUPINGS:
        groups = getattr(report, key).items()
        body = "".join(
            f"<h3>{escape(group)} <small>({len(names)})</small></h3>"
            + _html_touchpoints([rows[n] for n in names])
            for group, names in groups
        )
        sections.append(_html_section(heading, body, key.replace("_", "-")))
    sections += [
        _html_section("Fan-in and fan-out per system", _html_fans(report), "fans"),
        _html_section(
            "Objects, systems of record and touchpoints", _html_objects(report), "objects"
        ),
        _html_section("Point-to-point touchpoints to retire", _html_retirement(report), "retire"),
    ]
    title = f"Touchpoint inventory: {escape(report.workspace)}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{title}</h1><p>Generated {escape(report.generated_at)}. "
        f"{escape(_summary(report))}</p>{_html_toc()}</header>"
        + "".join(sections)
        + "</body></html>\n"
    )


def _html_toc() -> str:
    entries = [
        ("graph", "Graph"),
        ("matrix", "Matrix"),
        ("gaps", "Gaps"),
        ("by-criticality", "Criticality"),
        ("by-latency-class", "Latency"),
        ("by-data-owner", "Data owner"),
        ("by-failure-impact", "Failure impact"),
        ("fans", "Fan-in/out"),
        ("objects", "Objects"),
        ("retire", "Retirement"),
    ]
    links = " · ".join(f'<a href="#{anchor}">{text}</a>' for anchor, text in entries)
    return f'<nav aria-label="Sections">{links}</nav>'


def _html_section(heading: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{escape(heading)}</h2>{body}</section>'


def _html_table(header: list[str], rows: list[list[str]], css_class: str = "") -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _badge(level: str) -> str:
    return f'<span class="badge {escape(level)}">{escape(level)}</span>'


def _html_touchpoints(rows: list[TouchpointRow]) -> str:
    return _html_table(
        ["touchpoint", "mode", "source → target", "objects", "criticality", "latency", "impact"],
        [
            [
                f"<code>{escape(row.name)}</code>",
                escape(row.mode),
                f"{escape(row.source)} → {escape(row.target)}",
                escape(", ".join(row.objects)),
                _badge(row.criticality),
                escape(row.latency_target),
                escape(row.impact),
            ]
            for row in rows
        ],
    )


def _html_matrix(report: InventoryReport) -> str:
    rows = []
    for level in CRITICALITIES:
        cells = [_badge(level)]
        for impact in IMPACT_CATEGORIES:
            count = report.matrix[level][impact]
            heat = "hot" if count and level in ("critical", "high") else ("warm" if count else "")
            cells.append(f'<span class="cell {heat}">{count or "·"}</span>')
        rows.append(cells)
    return _html_table(["criticality", *IMPACT_CATEGORIES], rows, "matrix")


def _html_findings(report: InventoryReport) -> str:
    if not report.findings:
        return "<p>No gaps: every touchpoint has an owner, a contract, a monitor and a runbook.</p>"
    return _html_table(
        ["severity", "rule", "where", "finding"],
        [
            [
                f'<span class="sev {f.severity}">{f.severity}</span>',
                escape(f.rule),
                f"<code>{escape(f.location)}</code>",
                escape(f.message),
            ]
            for f in report.findings
        ],
        "findings",
    )


def _html_fans(report: InventoryReport) -> str:
    return _html_table(
        ["system", "type", "fan-in", "fan-out", "receives from", "sends to"],
        [
            [
                escape(fan.title),
                escape(fan.type),
                str(fan.fan_in),
                str(fan.fan_out),
                escape(", ".join(fan.sources)),
                escape(", ".join(fan.targets)),
            ]
            for fan in report.systems
        ],
    )


def _html_objects(report: InventoryReport) -> str:
    parts = []
    for usage in report.objects:
        owner = escape(usage.system_of_record or "not declared")
        statuses = ", ".join(
            f"{escape(status)}: {escape(system)}" for status, system in usage.status_owners.items()
        )
        status_text = f" Status owners: {statuses}." if statuses else ""
        table = _html_table(
            ["touchpoint", "mode", "reads from", "writes to", "criticality"],
            [
                [
                    f"<code>{escape(flow.touchpoint)}</code>",
                    escape(flow.mode),
                    escape(flow.reads_from),
                    escape(flow.writes_to),
                    _badge(flow.criticality),
                ]
                for flow in usage.flows
            ],
        )
        parts.append(
            f"<h3>{escape(usage.object)}</h3><p>System of record: <strong>{owner}</strong>."
            f"{status_text}</p>{table}"
        )
    return "".join(parts)


def _html_retirement(report: InventoryReport) -> str:
    if not report.retirement_candidates:
        return "<p>Every touchpoint runs through the middleware.</p>"
    return _html_table(
        ["touchpoint", "mode", "source → target", "criticality", "replacement"],
        [
            [
                f"<code>{escape(c.touchpoint)}</code>",
                escape(c.mode),
                f"{escape(c.source)} → {escape(c.target)}",
                _badge(c.criticality),
                escape(c.replacement),
            ]
            for c in report.retirement_candidates
        ],
    )


_CSS = """
body{font:14px/1.45 Helvetica,Arial,sans-serif;color:#1b2631;margin:0 auto;max-width:1200px;
padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;border-bottom:2px solid #d5dbdb;
padding-bottom:4px;margin-top:32px}h3{font-size:15px;margin:18px 0 6px}
nav a{color:#1f618d}table{border-collapse:collapse;width:100%;margin:6px 0 14px}
th,td{border:1px solid #d5dbdb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f6f7}code{font-size:12px}
.badge{border-radius:3px;padding:1px 6px;color:#fff;font-size:12px}
.badge.critical{background:#c0392b}.badge.high{background:#d35400}
.badge.medium{background:#2471a3}.badge.low{background:#7f8c8d}
table.matrix td{text-align:center}table.matrix td:first-child{text-align:left}
.cell{display:inline-block;min-width:28px;padding:2px 4px;border-radius:3px}
.cell.hot{background:#f5b7b1;font-weight:bold}.cell.warm{background:#fdebd0}
.sev.error{color:#c0392b;font-weight:bold}.sev.warning{color:#b9770e}
.graph{overflow-x:auto;border:1px solid #d5dbdb}.graph svg{max-width:100%;height:auto}
@media print{body{max-width:none;padding:0;font-size:11px}nav{display:none}
section{break-inside:auto}h2{break-after:avoid}tr{break-inside:avoid}
.graph{border:none}.graph svg{width:100%}}
"""
