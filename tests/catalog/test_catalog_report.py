"""The inventory report and graph in every format, computed from a small workspace."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from catalog_fixtures import WriteWorkspace, findings_of, touchpoint

from opsconsole.catalog.catalog import load_catalog
from opsconsole.catalog.graph import build_graph, to_dot, to_mermaid
from opsconsole.catalog.inventory import InventoryReport, build_report
from opsconsole.catalog.render import render_csv, render_html, render_json, render_markdown
from opsconsole.catalog.svg import render_svg


@pytest.fixture
def root(write_workspace: WriteWorkspace) -> Path:
    synthetic = [{"name": "l2c", "type": "synthetic", "path": "synthetic/l2c.yaml"}]
    return write_workspace(
        touchpoint(
            "crm-order-to-hub",
            mode="webhook",
            objects=["sales-order"],
            criticality="critical",
            monitors=synthetic,
            systemOfRecord=[{"object": "sales-order", "status": "draft", "system": "crm"}],
        ),
        touchpoint(
            "hub-order-to-erp",
            source="system:hub",
            target="system:erp",
            objects=["sales-order"],
            criticality="high",
            failureImpact={"category": "fulfilment", "description": "Orders cannot ship."},
            systemOfRecord=[{"object": "sales-order", "system": "erp"}],
        ),
        touchpoint(
            "erp-payments-to-crm",
            mode="batch",
            schedule="0 1 * * *",
            source="system:erp",
            target="system:crm",
            objects=["payment"],
            latency={"target": "24h"},
            owner=None,
            replacedBy=["touchpoint:hub-order-to-erp"],
        ),
        touchpoint("crm-erp-direct", source="system:crm", target="system:erp", objects=["quote"]),
        extra_files={"synthetic/l2c.yaml": "name: l2c\n"},
    )


def _report(root: Path) -> InventoryReport:
    return build_report(load_catalog(root).catalog, findings_of(root))


def test_report_groups_by_criticality_and_latency(root: Path) -> None:
    report = _report(root)

    assert report.by_criticality["critical"] == ["crm-order-to-hub"]
    assert report.by_criticality["high"] == ["hub-order-to-erp"]
    assert report.by_latency_class["daily-or-slower"] == ["erp-payments-to-crm"]
    assert "low" not in report.by_criticality


def test_report_groups_by_data_owner_and_impact(root: Path) -> None:
    report = _report(root)

    assert report.by_data_owner["erp"] == ["crm-order-to-hub", "hub-order-to-erp"]
    assert report.by_data_owner["(no system of record)"] == [
        "erp-payments-to-crm",
        "crm-erp-direct",
    ]
    assert report.by_failure_impact["fulfilment"] == ["hub-order-to-erp"]


def test_matrix_counts_criticality_by_impact(root: Path) -> None:
    matrix = _report(root).matrix

    assert matrix["critical"]["revenue"] == 1
    assert matrix["high"]["fulfilment"] == 1
    assert matrix["medium"]["revenue"] == 2
    assert sum(sum(row.values()) for row in matrix.values()) == 4


def test_report_carries_validation_gaps(root: Path) -> None:
    report = _report(root)
    rows = {row.name: row for row in report.touchpoints}

    assert [f.rule for f in report.findings] == ["missing-owner"]
    assert rows["erp-payments-to-crm"].gaps == ["missing-owner"]


def test_fan_in_and_fan_out_per_system(root: Path) -> None:
    fans = {fan.system: fan for fan in _report(root).systems}

    assert (fans["crm"].fan_in, fans["crm"].fan_out) == (1, 2)
    assert (fans["erp"].fan_in, fans["erp"].fan_out) == (2, 1)
    assert fans["hub"].sources == ["crm"]
    assert fans["hub"].targets == ["erp"]


def test_object_lists_system_of_record_and_flows(root: Path) -> None:
    objects = {usage.object: usage for usage in _report(root).objects}
    order = objects["sales-order"]

    assert order.system_of_record == "erp"
    assert order.status_owners == {"draft": "crm"}
    assert [(f.touchpoint, f.reads_from, f.writes_to) for f in order.flows] == [
        ("crm-order-to-hub", "crm", "hub"),
        ("hub-order-to-erp", "hub", "erp"),
    ]
    assert objects["quote"].system_of_record is None


def test_point_to_point_touchpoints_are_retirement_candidates(root: Path) -> None:
    candidates = {c.touchpoint: c for c in _report(root).retirement_candidates}

    assert set(candidates) == {"erp-payments-to-crm", "crm-erp-direct"}
    assert candidates["erp-payments-to-crm"].replaced_by == ["hub-order-to-erp"]
    assert "crm → hub → erp" in candidates["crm-erp-direct"].replacement


def test_markdown_report_has_every_section(root: Path) -> None:
    text = render_markdown(_report(root))

    for heading in (
        "## By criticality",
        "## By latency class",
        "## By data owner (system of record)",
        "## By failure impact",
        "## Criticality × failure impact",  # noqa: RUF001
        "## Gaps found by validation",
        "## Fan-in and fan-out per system",
        "## Objects, systems of record and touchpoints",
        "## Point-to-point touchpoints to retire",
    ):
        assert heading in text
    assert "| critical | 1 | 0 |" in text


def test_csv_report_has_one_row_per_touchpoint(root: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(_report(root)))))

    assert [row["name"] for row in rows] == [
        "crm-order-to-hub",
        "hub-order-to-erp",
        "erp-payments-to-crm",
        "crm-erp-direct",
    ]
    assert rows[2]["point_to_point"] == "True"
    assert rows[2]["gaps"] == "missing-owner"
    assert rows[1]["data_owners"] == "erp"


def test_json_report_round_trips(root: Path) -> None:
    report = _report(root)

    parsed = InventoryReport.model_validate(json.loads(render_json(report)))

    assert parsed == report


def test_html_report_is_self_contained(root: Path) -> None:
    catalog = load_catalog(root).catalog
    html = render_html(_report(root), render_svg(build_graph(catalog)))

    assert html.startswith("<!DOCTYPE html>")
    assert "<svg" in html
    assert 'class="matrix"' in html
    for remote in ("http://", "https://", "<script", "<link"):
        assert remote not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_mermaid_graph_has_one_edge_per_touchpoint(root: Path) -> None:
    text = to_mermaid(build_graph(load_catalog(root).catalog))

    assert text.startswith("flowchart LR")
    assert 'crm -->|"webhook: sales-order"| hub' in text
    assert text.count("-->") == 4
    assert "linkStyle 0 stroke:#c0392b" in text


def test_dot_graph_colours_edges_by_criticality(root: Path) -> None:
    text = to_dot(build_graph(load_catalog(root).catalog))

    assert '"crm" -> "hub" [label="webhook: sales-order", color="#c0392b"' in text
    assert '"hub" -> "erp" [label="api: sales-order", color="#d35400"' in text


def test_svg_graph_has_nodes_and_labels(root: Path) -> None:
    svg = render_svg(build_graph(load_catalog(root).catalog))

    tree = ElementTree.fromstring(svg)
    namespace = {"svg": "http://www.w3.org/2000/svg"}
    systems = tree.findall(".//svg:g[@class='system']", namespace)
    texts = [text.text for text in tree.iter("{http://www.w3.org/2000/svg}text")]

    assert sorted(g.get("data-system") or "" for g in systems) == ["crm", "erp", "hub"]
    assert "batch: payment" in texts
    assert len(tree.findall(".//svg:path[@marker-end]", namespace)) == 4


def test_graph_of_example_workspace_has_no_overlapping_labels() -> None:
    from opsconsole.catalog import svg

    repository = Path(__file__).resolve().parents[2]
    graph = build_graph(load_catalog(repository).catalog)
    centres = svg._layout(graph)
    _, labels = svg._edges(graph, centres)
    svg._place(labels, [svg._node_box(centre) for centre in centres.values()])
    boxes = [label.box for label in labels] + [svg._node_box(c) for c in centres.values()]

    overlaps = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]

    assert overlaps == []
