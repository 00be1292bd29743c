"""Build the inventory report: groupings, the risk matrix, gaps, fan-in/out, object flows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel

from opsconsole.catalog.catalog import Catalog
from opsconsole.catalog.findings import Finding
from opsconsole.catalog.gc import gc_paused
from opsconsole.catalog.model import (
    CRITICALITIES,
    IMPACT_CATEGORIES,
    LATENCY_CLASSES,
    EntityRef,
    Touchpoint,
)


class TouchpointRow(BaseModel):
    """One touchpoint as the report shows it."""

    name: str
    title: str
    mode: str
    source: str
    target: str
    objects: list[str]
    direction: str
    criticality: str
    latency_target: str
    latency_class: str
    schedule: str | None
    data_owners: list[str]
    impact_category: str
    impact: str
    owner: str | None
    lifecycle: str
    point_to_point: bool
    gaps: list[str]
    file: str
    line: int


class SystemFan(BaseModel):
    """How many touchpoints enter and leave a system, and from or to which systems."""

    system: str
    title: str
    type: str
    fan_in: int
    fan_out: int
    sources: list[str]
    targets: list[str]


class ObjectFlow(BaseModel):
    """One touchpoint carrying an object: it reads from `reads_from` and writes to `writes_to`."""

    touchpoint: str
    mode: str
    reads_from: str
    writes_to: str
    criticality: str


class ObjectUsage(BaseModel):
    """An object, its system of record (per status, too) and every touchpoint that moves it."""

    object: str
    system_of_record: str | None
    status_owners: dict[str, str]
    flows: list[ObjectFlow]


class RetirementCandidate(BaseModel):
    """A point-to-point touchpoint that bypasses the middleware, and what replaces it."""

    touchpoint: str
    mode: str
    source: str
    target: str
    criticality: str
    replaced_by: list[str]
    replacement: str


class InventoryReport(BaseModel):
    """Everything `opsconsole catalog report` shows, ready for any output format."""

    generated_at: str
    workspace: str
    counts: dict[str, int]
    touchpoints: list[TouchpointRow]
    by_criticality: dict[str, list[str]]
    by_latency_class: dict[str, list[str]]
    by_data_owner: dict[str, list[str]]
    by_failure_impact: dict[str, list[str]]
    matrix: dict[str, dict[str, int]]
    findings: list[Finding]
    systems: list[SystemFan]
    objects: list[ObjectUsage]
    retirement_candidates: list[RetirementCandidate]


def build_report(catalog: Catalog, findings: list[Finding]) -> InventoryReport:
    """Compute the inventory report for `catalog`, with `findings` from validation as gaps."""
    with gc_paused():
        return _build_report(catalog, findings)


def _build_report(catalog: Catalog, findings: list[Finding]) -> InventoryReport:
    touchpoints = catalog.touchpoints
    owners = object_owners(catalog)
    gaps = _gaps_by_entity(findings)
    rows = [_row(catalog, tp, owners, gaps.get(f"touchpoint:{tp.name}", [])) for tp in touchpoints]
    return InventoryReport(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        workspace=catalog.root.resolve().name,
        counts=_counts(catalog, findings),
        touchpoints=rows,
        by_criticality=_group(rows, lambda row: [row.criticality], CRITICALITIES),
        by_latency_class=_group(
            rows, lambda row: [row.latency_class], tuple(n for n, _ in LATENCY_CLASSES)
        ),
        by_data_owner=_group(rows, lambda row: row.data_owners or ["(no system of record)"]),
        by_failure_impact=_group(rows, lambda row: [row.impact_category], IMPACT_CATEGORIES),
        matrix=_matrix(rows),
        findings=findings,
        systems=_fans(catalog),
        objects=_objects(catalog, owners),
        retirement_candidates=_retirement_candidates(catalog),
    )


def object_owners(catalog: Catalog) -> dict[tuple[str, str | None], str]:
    """Map (object, status or None) to its system of record, first claim winning."""
    owners: dict[tuple[str, str | None], str] = {}
    for touchpoint in catalog.touchpoints:
        for claim in touchpoint.touchpoint.system_of_record:
            owners.setdefault((claim.object, claim.status), catalog.system_name(claim.system))
    return owners


def is_point_to_point(catalog: Catalog, touchpoint: Touchpoint) -> bool:
    """Tell whether a touchpoint links two systems directly, bypassing every middleware.

    Manual reconciliations compare two systems by design, and a catalog with no middleware
    system has nothing to bypass, so neither counts.
    """
    spec = touchpoint.touchpoint
    if spec.mode == "manual-reconciliation" or not catalog.middleware():
        return False
    return not (catalog.is_middleware(spec.source) or catalog.is_middleware(spec.target))


def _row(
    catalog: Catalog,
    touchpoint: Touchpoint,
    owners: dict[tuple[str, str | None], str],
    gaps: list[str],
) -> TouchpointRow:
    spec = touchpoint.touchpoint
    data_owners = sorted({owners[(obj, None)] for obj in spec.objects if (obj, None) in owners})
    return TouchpointRow(
        name=touchpoint.name,
        title=touchpoint.display_name,
        mode=spec.mode,
        source=catalog.system_name(spec.source),
        target=catalog.system_name(spec.target),
        objects=spec.objects,
        direction=spec.direction,
        criticality=spec.criticality,
        latency_target=spec.latency.target,
        latency_class=touchpoint.latency_class,
        schedule=spec.schedule,
        data_owners=data_owners,
        impact_category=spec.failure_impact.category,
        impact=spec.failure_impact.description,
        owner=EntityRef.parse(spec.owner, "group").name if spec.owner else None,
        lifecycle=spec.lifecycle,
        point_to_point=is_point_to_point(catalog, touchpoint),
        gaps=gaps,
        file=touchpoint.file,
        line=touchpoint.line,
    )


def _gaps_by_entity(findings: list[Finding]) -> dict[str, list[str]]:
    gaps: dict[str, list[str]] = defaultdict(list)
    for finding in findings:
        if finding.entity and finding.rule not in gaps[finding.entity]:
            gaps[finding.entity].append(finding.rule)
    return gaps


def _counts(catalog: Catalog, findings: list[Finding]) -> dict[str, int]:
    counts = {kind: len(catalog.of_kind(kind)) for kind in ("system", "api", "component", "group")}
    counts["touchpoint"] = len(catalog.touchpoints)
    counts["errors"] = sum(1 for finding in findings if finding.severity == "error")
    counts["warnings"] = sum(1 for finding in findings if finding.severity == "warning")
    return counts


def _group(
    rows: list[TouchpointRow],
    keys_of: Callable[[TouchpointRow], list[str]],
    order: tuple[str, ...] = (),
) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {key: [] for key in order}
    for row in rows:
        for key in keys_of(row):
            groups.setdefault(key, []).append(row.name)
    ordered = {key: names for key, names in groups.items() if names}
    return ordered if order else dict(sorted(ordered.items()))


def _matrix(rows: list[TouchpointRow]) -> dict[str, dict[str, int]]:
    matrix = {level: dict.fromkeys(IMPACT_CATEGORIES, 0) for level in CRITICALITIES}
    for row in rows:
        matrix[row.criticality][row.impact_category] += 1
    return matrix


def _fans(catalog: Catalog) -> list[SystemFan]:
    sources: dict[str, list[str]] = defaultdict(list)
    targets: dict[str, list[str]] = defaultdict(list)
    for touchpoint in catalog.touchpoints:
        source = catalog.system_name(touchpoint.touchpoint.source)
        target = catalog.system_name(touchpoint.touchpoint.target)
        targets[source].append(target)
        sources[target].append(source)
    return [
        SystemFan(
            system=system.name,
            title=system.display_name,
            type=str(system.spec.get("type", "")),
            fan_in=len(sources[system.name]),
            fan_out=len(targets[system.name]),
            sources=sorted(set(sources[system.name])),
            targets=sorted(set(targets[system.name])),
        )
        for system in catalog.systems
    ]


def _objects(catalog: Catalog, owners: dict[tuple[str, str | None], str]) -> list[ObjectUsage]:
    flows: dict[str, list[ObjectFlow]] = defaultdict(list)
    for touchpoint in catalog.touchpoints:
        spec = touchpoint.touchpoint
        for obj in spec.objects:
            flows[obj].append(
                ObjectFlow(
                    touchpoint=touchpoint.name,
                    mode=spec.mode,
                    reads_from=catalog.system_name(spec.source),
                    writes_to=catalog.system_name(spec.target),
                    criticality=spec.criticality,
                )
            )
    return [
        ObjectUsage(
            object=obj,
            system_of_record=owners.get((obj, None)),
            status_owners={
                status: system
                for (owned, status), system in sorted(owners.items(), key=str)
                if owned == obj and status is not None
            },
            flows=flows[obj],
        )
        for obj in sorted(flows)
    ]


def _retirement_candidates(catalog: Catalog) -> list[RetirementCandidate]:
    hubs = catalog.middleware()
    hub = hubs[0].name if hubs else "the middleware"
    candidates = []
    for touchpoint in catalog.touchpoints:
        spec = touchpoint.touchpoint
        if not is_point_to_point(catalog, touchpoint) or spec.lifecycle == "retired":
            continue
        replaced_by = [EntityRef.parse(ref, "touchpoint").name for ref in spec.replaced_by]
        source, target = catalog.system_name(spec.source), catalog.system_name(spec.target)
        replacement = (
            "Replaced by " + ", ".join(replaced_by) + "."
            if replaced_by
            else f"No replacement declared: route it {source} → {hub} → {target} "
            "and list the new touchpoints in spec.replacedBy."
        )
        candidates.append(
            RetirementCandidate(
                touchpoint=touchpoint.name,
                mode=spec.mode,
                source=source,
                target=target,
                criticality=spec.criticality,
                replaced_by=replaced_by,
                replacement=replacement,
            )
        )
    return candidates
