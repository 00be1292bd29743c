"""`opsconsole catalog` commands through Typer's CliRunner against tmp_path workspaces."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from xml.etree import ElementTree

from catalog_fixtures import WriteWorkspace, touchpoint
from typer.testing import CliRunner

from opsconsole.cli.main import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_validate_clean_workspace_exits_zero(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("fine"))

    code, out, _ = _run("catalog", "validate", "--workspace", str(root))

    assert code == 0
    assert "0 errors, 0 warnings" in out


def test_validate_error_exits_one_with_location(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("lost", target="system:nowhere"))

    code, out, _ = _run("catalog", "validate", "--workspace", str(root))

    assert code == 1
    assert "catalog/touchpoints.yaml:8: error [unresolved-reference]" in out


def test_validate_strict_fails_on_warnings(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("no-runbook", runbook=None))

    assert _run("catalog", "validate", "--workspace", str(root))[0] == 0
    assert _run("catalog", "validate", "--workspace", str(root), "--strict")[0] == 1


def test_validate_writes_json_and_junit(write_workspace: WriteWorkspace, tmp_path: Path) -> None:
    root = write_workspace(touchpoint("lost", target="system:nowhere", owner=None))
    junit = tmp_path / "catalog.xml"

    code, out, _ = _run("catalog", "validate", "-w", str(root), "--json", "--junit", str(junit))
    suite = ElementTree.parse(junit).getroot()
    failed = [case.get("name") for case in suite if case.find("failure") is not None]

    assert code == 1
    assert {item["rule"] for item in json.loads(out)} == {"unresolved-reference", "missing-owner"}
    assert failed == ["unresolved-reference"]


def test_validate_prints_one_line_per_finding(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("lost", target="system:nowhere", owner=None))

    _, out, _ = _run("catalog", "validate", "--workspace", str(root))
    lines = out.splitlines()

    assert len(lines) == 3
    assert lines[0].startswith("catalog/touchpoints.yaml:")
    assert lines[1].startswith("catalog/touchpoints.yaml:")
    assert lines[2] == "5 entities checked: 1 errors, 1 warnings."


def test_commands_resume_garbage_collector(write_workspace: WriteWorkspace) -> None:
    # The commands pause the cyclic collector while they run (speed); it must come back on
    # whether the command passes, fails or stops on bad input.
    root = write_workspace(touchpoint("fine"))
    codes = [_run("catalog", "validate", "-w", str(root))[0]]
    codes.append(_run("catalog", "show", "nothing-by-this-name", "-w", str(root))[0])
    write_workspace(touchpoint("lost", target="system:nowhere"))
    codes.append(_run("catalog", "validate", "-w", str(root))[0])

    assert codes == [0, 2, 1]
    assert gc.isenabled()


def test_list_filters_by_mode_and_object(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        touchpoint("a-api"),
        touchpoint("b-event", mode="event", objects=["invoice"]),
    )

    code, out, _ = _run("catalog", "list", "-w", str(root), "--mode", "event", "--json")
    _, by_object, _ = _run("catalog", "list", "-w", str(root), "--object", "customer", "--json")

    assert code == 0
    assert [item["name"] for item in json.loads(out)] == ["b-event"]
    assert [item["name"] for item in json.loads(by_object)] == ["a-api"]


def test_list_table_shows_route_and_owner(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("crm-customer-to-hub"))

    code, out, _ = _run("catalog", "list", "-w", str(root), "--system", "hub")

    assert code == 0
    assert "crm-customer-to-hub" in out
    assert "crm → hub" in out
    assert "integration-team" in out


def test_list_rejects_unknown_mode(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("a"))

    code, _, err = _run("catalog", "list", "-w", str(root), "--mode", "fax")

    assert code == 2
    assert "--mode 'fax' is not a touchpoint mode" in err


def test_show_system_lists_its_touchpoints(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("crm-customer-to-hub"))

    code, out, _ = _run("catalog", "show", "system:hub", "-w", str(root))

    assert code == 0
    assert "crm-customer-to-hub: api crm → hub" in out


def test_show_unknown_entity_is_an_input_error(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("a"))

    code, _, err = _run("catalog", "show", "nothing-here", "-w", str(root))

    assert code == 2
    assert "No entity named 'nothing-here'" in err


def test_report_formats_write_files(write_workspace: WriteWorkspace, tmp_path: Path) -> None:
    root = write_workspace(touchpoint("a"))

    for output_format, marker in (
        ("md", "# Touchpoint inventory"),
        ("html", "<!DOCTYPE html>"),
        ("csv", "name,title,mode"),
        ("json", '"matrix"'),
    ):
        target = tmp_path / f"report.{output_format}"
        code, _, _ = _run(
            "catalog", "report", "-w", str(root), "-f", output_format, "-o", str(target)
        )
        assert code == 0, output_format
        assert marker in target.read_text(encoding="utf-8"), output_format


def test_graph_formats(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("a"))

    assert _run("catalog", "graph", "-w", str(root))[1].startswith("flowchart LR")
    assert _run("catalog", "graph", "-w", str(root), "-f", "dot")[1].startswith("digraph")
    assert _run("catalog", "graph", "-w", str(root), "-f", "svg")[1].startswith("<svg")
    assert _run("catalog", "graph", "-w", str(root), "-f", "png")[0] == 2


def test_import_csv_writes_valid_catalog_file(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("a"))
    sheet = root / "inventory.csv"
    sheet.write_text(
        "name,mode,source,target,objects,criticality,owner,runbook,monitors,contracts\n"
        "Hub customer to ERP,api,hub,erp,customer,low,integration-team,"
        "https://runbooks.example.test/x,erp-lag,contracts/customer.json\n",
        encoding="utf-8",
    )
    target = root / "catalog" / "imported.yaml"

    code, _, err = _run("catalog", "import", "csv", str(sheet), "-o", str(target))
    validate_code, out, _ = _run("catalog", "validate", "-w", str(root))

    assert code == 0
    assert "Imported 1 entities (0 schema problems to fix)" in err
    assert validate_code == 0, out


def test_import_backstage_and_openapi_commands(tmp_path: Path) -> None:
    backstage = tmp_path / "catalog-info.yaml"
    backstage.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: finance}\n"
        "spec: {type: team, children: []}\n---\n"
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: root}\n"
        "spec: {targets: [./a.yaml]}\n",
        encoding="utf-8",
    )
    openapi = tmp_path / "erp.yaml"
    openapi.write_text("openapi: 3.1.0\ninfo: {title: ERP API, version: '1'}\npaths: {}\n", "utf-8")

    code, out, err = _run("catalog", "import", "backstage", str(backstage))
    api_code, api_out, _ = _run(
        "catalog", "import", "openapi", str(openapi), "--system", "erp", "--owner", "finance"
    )

    assert code == 0
    assert "kind: Group" in out
    assert "Skipped" in err
    assert "a.yaml not found" in err
    assert api_code == 0
    assert "name: erp-api" in api_out
