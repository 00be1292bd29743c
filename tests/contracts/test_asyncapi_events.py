"""contracts/asyncapi/events.yaml describes every event the sandboxes send the engine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from opsconsole.cli.main import app
from opsconsole.contracts.asyncapi import AsyncApiError, message_payloads
from opsconsole.contracts.registry import load_schemas
from opsconsole.workspace import Workspace

EXAMPLE = Workspace(Path(__file__).resolve().parents[2])
DOCUMENT = EXAMPLE.asyncapi_dir / "events.yaml"
RECORDED = EXAMPLE.contracts_dir / "recorded"


def _event_type(path: Path) -> str:
    # Recorded files are named <system>-<n>-<event type>.json.
    return path.stem.split("-", 2)[2]


def _errors(schema: dict[str, object], instance: object) -> list[str]:
    schemas = load_schemas(EXAMPLE.schemas_dir)
    validator = Draft202012Validator(schema, registry=schemas.registry)
    return [f"{error.json_path}: {error.message}" for error in validator.iter_errors(instance)]


@pytest.mark.parametrize("path", sorted((RECORDED / "cloudevent.v1").glob("*.json")), ids=str)
def test_recorded_envelope_matches_its_message(path: Path) -> None:
    payloads = message_payloads(DOCUMENT, load_schemas(EXAMPLE.schemas_dir))
    event = json.loads(path.read_text(encoding="utf-8"))

    assert _event_type(path) == event["type"]
    assert _errors(payloads[event["type"]], event) == []


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *RECORDED.glob("crm-record-change.v1/*.json"),
            *RECORDED.glob("erp-record-event.v1/*.json"),
        ]
    ),
    ids=str,
)
def test_recorded_data_matches_its_message(path: Path) -> None:
    payloads = message_payloads(DOCUMENT, load_schemas(EXAMPLE.schemas_dir))
    data_schema = payloads[_event_type(path)]["allOf"][1]["properties"]["data"]

    assert _errors(data_schema, json.loads(path.read_text(encoding="utf-8"))) == []


def test_event_of_other_type_fails() -> None:
    payloads = message_payloads(DOCUMENT, load_schemas(EXAMPLE.schemas_dir))
    recorded = RECORDED / "cloudevent.v1" / "crm-0-crm.account.created.json"
    event = json.loads(recorded.read_text(encoding="utf-8"))

    assert _errors(payloads["crm.order.created"], event) != []


def test_ref_outside_schemas_is_reported(tmp_path: Path) -> None:
    document = tmp_path / "events.yaml"
    document.write_text(
        "asyncapi: 3.0.0\ncomponents:\n  messages:\n    m:\n      payload: {$ref: nowhere.json}\n",
        encoding="utf-8",
    )

    with pytest.raises(AsyncApiError, match=r"nowhere\.json"):
        message_payloads(document, load_schemas(EXAMPLE.schemas_dir))


def test_review_diff_flags_dropped_event_type(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLE.schemas_dir, tmp_path / "schemas")
    old = tmp_path / "asyncapi" / "events.yaml"
    old.parent.mkdir()
    text = DOCUMENT.read_text(encoding="utf-8")
    old.write_text(
        text.replace("const: crm.account.deleted", "const: crm.account.removed"), encoding="utf-8"
    )

    unchanged = CliRunner().invoke(app, ["review", "diff", str(DOCUMENT), str(DOCUMENT)])
    changed = CliRunner().invoke(app, ["review", "diff", str(old), str(DOCUMENT)])

    assert unchanged.exit_code == 0, unchanged.output
    assert changed.exit_code == 1, changed.output
    assert "crm.account.removed" in changed.output
