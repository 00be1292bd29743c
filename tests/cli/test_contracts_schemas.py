from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from opsconsole.cli.main import app

DIALECT = "https://json-schema.org/draft/2020-12/schema"
CUSTOMER = {
    "$schema": DIALECT,
    "$id": "https://schemas.example.com/canonical/customer.v1.json",
    "type": "object",
    "required": ["customer_id", "name"],
    "properties": {
        "customer_id": {"type": "string"},
        "name": {"type": "string"},
        "credit_limit": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"},
    },
    "unevaluatedProperties": False,
    "examples": [{"customer_id": "C-1", "name": "ACME", "credit_limit": "5000.00"}],
}

runner = CliRunner()


def _workspace(tmp_path: Path, schema: dict[str, Any] = CUSTOMER) -> Path:
    schemas = tmp_path / "contracts" / "schemas"
    schemas.mkdir(parents=True)
    (schemas / "customer.v1.json").write_text(json.dumps(schema), encoding="utf-8")
    return tmp_path


def _record(workspace: Path, name: str, payload: Any) -> None:
    folder = workspace / "contracts" / "recorded" / "customer.v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(payload), encoding="utf-8")


def test_validate_green_exits_zero(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    _record(workspace, "ok.json", {"customer_id": "C-2", "name": "Beta"})

    result = runner.invoke(app, ["contracts", "validate", "-w", str(workspace)])

    assert result.exit_code == 0, result.output
    assert "contracts validate: passed (3 passed)" in result.output


def test_validate_removed_field_goes_red(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    _record(workspace, "no-name.json", {"customer_id": "C-3"})
    junit = tmp_path / "reports" / "validate.xml"
    json_path = tmp_path / "reports" / "validate.json"

    arguments = ["contracts", "validate", "-w", str(workspace)]
    arguments += ["--junit", str(junit), "--json", str(json_path)]

    result = runner.invoke(app, arguments)

    assert result.exit_code == 1, result.output
    assert "'name' is a required property" in result.output
    assert '-    "required": [' in result.output
    failure = (
        ET.parse(junit)
        .getroot()
        .find(".//testcase[@name='recorded/customer.v1/no-name.json']/failure")
    )
    assert failure is not None
    assert json.loads(json_path.read_text())["counts"]["failed"] == 1


def test_validate_changed_type_goes_red(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    _record(
        workspace, "number.json", {"customer_id": "C-4", "name": "Gamma", "credit_limit": 5000.0}
    )

    result = runner.invoke(app, ["contracts", "validate", "-w", str(workspace)])

    assert result.exit_code == 1, result.output
    assert "5000.0 is not of type 'string'" in result.output


def test_validate_malformed_payload_goes_red(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    folder = workspace / "contracts" / "recorded" / "customer.v1"
    folder.mkdir(parents=True)
    (folder / "truncated.json").write_text('{"customer_id": "C-5", "na', encoding="utf-8")

    result = runner.invoke(app, ["contracts", "validate", "-w", str(workspace)])

    assert result.exit_code == 1, result.output
    assert "is not valid JSON" in result.output


def test_validate_unknown_ref_exits_two(tmp_path: Path) -> None:
    schema = {**CUSTOMER, "properties": {"address": {"$ref": "address.v1.json"}}}
    workspace = _workspace(tmp_path, schema)

    result = runner.invoke(app, ["contracts", "validate", "-w", str(workspace)])

    assert result.exit_code == 2
    assert "'address.v1.json'" in result.output
    assert "not in the local schema registry" in result.output


def test_input_error_still_writes_reports(tmp_path: Path) -> None:
    schema = {**CUSTOMER, "properties": {"address": {"$ref": "address.v1.json"}}}
    workspace = _workspace(tmp_path, schema)
    junit = tmp_path / "validate.xml"
    json_path = tmp_path / "validate.json"
    arguments = ["contracts", "validate", "-w", str(workspace)]
    arguments += ["--junit", str(junit), "--json", str(json_path)]

    result = runner.invoke(app, arguments)

    assert result.exit_code == 2
    error = ET.parse(junit).getroot().find(".//testcase[@name='input']/error")
    assert error is not None
    assert "address.v1.json" in (error.get("message") or "")
    assert json.loads(json_path.read_text())["counts"]["errored"] == 1


def test_validate_unreadable_schema_exits_two(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path)
    (workspace / "contracts" / "schemas" / "broken.json").write_text("{", encoding="utf-8")

    result = runner.invoke(app, ["contracts", "validate", "-w", str(workspace)])

    assert result.exit_code == 2
    assert "broken.json is not valid JSON" in result.output


def test_lint_flags_closed_allof(tmp_path: Path) -> None:
    schema = {
        **CUSTOMER,
        "allOf": [{"$ref": "#/$defs/party"}],
        "$defs": {"party": {"properties": {"name": {"type": "string"}}}},
        "additionalProperties": False,
    }
    workspace = _workspace(tmp_path, schema)
    junit = tmp_path / "lint.xml"

    result = runner.invoke(app, ["contracts", "lint", "-w", str(workspace), "--junit", str(junit)])

    assert result.exit_code == 1, result.output
    assert "additional-properties-beside-composition" in result.output
    root = ET.parse(junit).getroot()
    assert root.get("failures") == "1"


def test_lint_clean_schema_exits_zero(tmp_path: Path) -> None:
    result = runner.invoke(app, ["contracts", "lint", "-w", str(_workspace(tmp_path))])

    assert result.exit_code == 0, result.output
