from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from opsconsole.contracts.registry import (
    SchemaLoadError,
    UnresolvableRefError,
    load_schemas,
)
from opsconsole.contracts.validation import PayloadsChecked, PayloadValidator, validate_workspace
from opsconsole.reports import CheckStatus
from opsconsole.workspace import Workspace

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://schemas.example.com/canonical/"

EVENT_SCHEMA = {
    "$schema": DIALECT,
    "$id": BASE + "order-event.v1.json",
    "type": "object",
    "required": ["event_id", "occurred_at", "order"],
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "order": {"$ref": "sales-order.v1.json"},
    },
    "examples": [
        {
            "event_id": "5b0e8a52-3f1c-4d7e-9a61-2f4b8c9d0e11",
            "occurred_at": "2026-12-04T10:00:00Z",
            "order": {"order_id": "SO-1", "total": "111.30"},
        }
    ],
}
ORDER_SCHEMA = {
    "$schema": DIALECT,
    "$id": BASE + "sales-order.v1.json",
    "type": "object",
    "required": ["order_id", "total"],
    "properties": {
        "order_id": {"type": "string"},
        "total": {"$ref": "#/$defs/money"},
    },
    "unevaluatedProperties": False,
    "$defs": {"money": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,4})?$"}},
    "examples": [{"order_id": "SO-1", "total": "10.00"}],
}


def _write(path: Path, document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _workspace(tmp_path: Path, *schemas: tuple[str, dict[str, Any]]) -> Workspace:
    workspace = Workspace(tmp_path)
    for name, schema in schemas:
        _write(workspace.schemas_dir / f"{name}.json", schema)
    return workspace


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record and refuse every outbound connection attempt made during the test."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("network access during schema validation")

    def refuse_lookup(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args[0] if args else kwargs)
        raise OSError("name lookup during schema validation")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    return attempts


def test_format_checking_rejects_both_fields(tmp_path: Path) -> None:
    workspace = _workspace(
        tmp_path, ("order-event.v1", EVENT_SCHEMA), ("sales-order.v1", ORDER_SCHEMA)
    )
    schemas = load_schemas(workspace.schemas_dir)
    entry = schemas.by_name("order-event.v1")
    assert entry is not None
    payload = {
        "event_id": "42",
        "occurred_at": "last tuesday",
        "order": {"order_id": "x", "total": "1"},
    }

    found = PayloadValidator(schemas).violations(entry, payload)

    assert {v.path for v in found} == {"$.event_id", "$.occurred_at"}
    assert {v.keyword for v in found} == {"format"}
    assert {"format": "uuid"} in [v.expected for v in found]
    assert {"format": "date-time"} in [v.expected for v in found]


def test_https_id_sibling_ref_resolves_locally(tmp_path: Path, no_network: list[Any]) -> None:
    workspace = _workspace(
        tmp_path, ("order-event.v1", EVENT_SCHEMA), ("sales-order.v1", ORDER_SCHEMA)
    )
    schemas = load_schemas(workspace.schemas_dir)
    entry = schemas.by_name("order-event.v1")
    assert entry is not None
    bad_order = {"order_id": "SO-1", "total": 111.3, "extra": True}
    payload = {**EVENT_SCHEMA["examples"][0], "order": bad_order}

    assert schemas.ref_problems() == []
    found = PayloadValidator(schemas).violations(entry, payload)

    assert [v.path for v in found] == ["$.order", "$.order.total"]
    assert no_network == []


def test_unknown_ref_fails_fast_offline(tmp_path: Path, no_network: list[Any]) -> None:
    schema = {**ORDER_SCHEMA, "properties": {"customer": {"$ref": "customer.v9.json"}}}
    workspace = _workspace(tmp_path, ("sales-order.v1", schema))

    with pytest.raises(UnresolvableRefError) as caught:
        validate_workspace(workspace)

    message = str(caught.value)
    assert "'customer.v9.json'" in message
    assert "/properties/customer" in message
    assert "Add a schema with" in message
    assert no_network == []


def test_unknown_pointer_in_known_schema_fails(tmp_path: Path) -> None:
    schema = {**ORDER_SCHEMA, "properties": {"total": {"$ref": "#/$defs/amount"}}}
    workspace = _workspace(tmp_path, ("sales-order.v1", schema))

    with pytest.raises(UnresolvableRefError, match="#/\\$defs/amount"):
        validate_workspace(workspace)


def test_duplicate_id_is_rejected(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("a", ORDER_SCHEMA), ("b", ORDER_SCHEMA))

    with pytest.raises(SchemaLoadError, match="both declare \\$id"):
        load_schemas(workspace.schemas_dir)


def test_schema_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "contracts" / "schemas" / "broken.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"type": "object",', encoding="utf-8")

    with pytest.raises(SchemaLoadError, match=r"broken\.json is not valid JSON"):
        load_schemas(path.parent)


def test_workspace_examples_and_recorded_pass(tmp_path: Path) -> None:
    workspace = _workspace(
        tmp_path, ("order-event.v1", EVENT_SCHEMA), ("sales-order.v1", ORDER_SCHEMA)
    )
    _write(
        workspace.contracts_dir / "examples" / "sales-order.v1" / "a.json",
        ORDER_SCHEMA["examples"][0],
    )
    lines = "\n".join(json.dumps({"order_id": f"SO-{i}", "total": "1.50"}) for i in range(3))
    recorded = workspace.contracts_dir / "recorded" / "sales-order.v1" / "day.jsonl"
    recorded.parent.mkdir(parents=True)
    recorded.write_text(lines + "\n", encoding="utf-8")

    report = validate_workspace(workspace)

    names = {(c.suite, c.name) for c in report.checks}
    assert ("sales-order.v1", "examples/sales-order.v1/a.json") in names
    assert ("sales-order.v1", "recorded/sales-order.v1/day.jsonl:3") in names
    assert ("order-event.v1", "examples[0]") in names
    assert report.passed, [c.message for c in report.failures()]


def test_changed_type_fails_with_diff(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    _write(
        workspace.contracts_dir / "recorded" / "sales-order.v1" / "r1.json",
        {"order_id": 7, "total": "1"},
    )

    report = validate_workspace(workspace)

    [failure] = report.failures()
    assert failure.name == "recorded/sales-order.v1/r1.json"
    assert failure.expected == {"$.order_id": {"type": "string"}}
    assert failure.actual == {"$.order_id": 7}
    assert report.exit_code == 1


def test_removed_field_fails(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    _write(
        workspace.contracts_dir / "recorded" / "sales-order.v1" / "r1.json", {"order_id": "SO-2"}
    )

    report = validate_workspace(workspace)

    [failure] = report.failures()
    assert "'total' is a required property" in failure.message
    assert failure.expected == {"$": {"required": ["order_id", "total"]}}
    assert failure.actual == {"$": {"object with keys": ["order_id"]}}


def test_malformed_payload_fails(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    path = workspace.contracts_dir / "recorded" / "sales-order.v1" / "cut.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"order_id": "SO-3", "tot', encoding="utf-8")

    report = validate_workspace(workspace)

    [failure] = report.failures()
    assert failure.status is CheckStatus.FAILED
    assert "is not valid JSON" in failure.message


def test_cloudevent_data_checked_by_dataschema(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    event = {
        "specversion": "1.0",
        "id": "e-1",
        "source": "/sandbox/erp",
        "type": "erp.salesorder.accepted",
        "dataschema": ORDER_SCHEMA["$id"],
        "data": {"order_id": "SO-4"},
    }
    _write(workspace.contracts_dir / "recorded" / "events" / "e1.json", event)

    report = validate_workspace(workspace)

    [failure] = report.failures()
    assert failure.suite == "sales-order.v1"
    assert failure.name == "recorded/events/e1.json data"


def test_schema_field_names_schema_and_is_ignored(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    payload = {"$schema": ORDER_SCHEMA["$id"], "order_id": "SO-5", "total": "2.00"}
    _write(workspace.contracts_dir / "examples" / "loose.json", payload)

    report = validate_workspace(workspace)

    assert report.passed
    assert ("sales-order.v1", "examples/loose.json") in {(c.suite, c.name) for c in report.checks}


def test_payload_without_schema_fails(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    _write(workspace.contracts_dir / "examples" / "nowhere" / "x.json", {"a": 1})

    report = validate_workspace(workspace)

    [failure] = report.failures()
    assert "No schema found for payload examples/nowhere/x.json" in failure.message


def test_invalid_schema_fails_its_payloads(tmp_path: Path) -> None:
    schema = {**ORDER_SCHEMA, "type": "objekt"}
    workspace = _workspace(tmp_path, ("sales-order.v1", schema))

    report = validate_workspace(workspace)

    statuses = {c.name: c.status for c in report.checks}
    assert statuses["schema"] is CheckStatus.FAILED
    assert statuses["examples[0]"] is CheckStatus.ERRORED


FAST_CASES = [
    EVENT_SCHEMA["examples"][0],
    {"event_id": "42", "occurred_at": "last tuesday", "order": {"order_id": "x", "total": "1"}},
    {"event_id": "5b0e8a52-3f1c-4d7e-9a61-2f4b8c9d0e11", "occurred_at": "2026-12-04T10:00:00Z"},
    {**EVENT_SCHEMA["examples"][0], "order": {"order_id": "SO-1", "total": 1.5}},
    {**EVENT_SCHEMA["examples"][0], "order": {"order_id": "SO-1", "total": "1", "x": 1}},
    {**EVENT_SCHEMA["examples"][0], "occurred_at": "2026-02-30T10:00:00Z"},
    [],
]


@pytest.mark.parametrize("payload", FAST_CASES)
def test_fast_mode_agrees_with_full_check(tmp_path: Path, payload: Any) -> None:
    workspace = _workspace(
        tmp_path, ("order-event.v1", EVENT_SCHEMA), ("sales-order.v1", ORDER_SCHEMA)
    )
    schemas = load_schemas(workspace.schemas_dir)
    entry = schemas.by_name("order-event.v1")
    assert entry is not None

    full = PayloadValidator(schemas).violations(entry, payload)
    fast = PayloadValidator(schemas, fast=True).violations(entry, payload)

    assert fast == full


def test_fast_mode_stays_offline(tmp_path: Path, no_network: list[Any]) -> None:
    workspace = _workspace(
        tmp_path, ("order-event.v1", EVENT_SCHEMA), ("sales-order.v1", ORDER_SCHEMA)
    )
    _write(workspace.contracts_dir / "recorded" / "sales-order.v1" / "r.json", {"order_id": 1})

    report = validate_workspace(workspace, fast=True)

    assert [c.name for c in report.failures()] == ["recorded/sales-order.v1/r.json"]
    assert no_network == []


def test_progress_reported_at_end(tmp_path: Path) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", ORDER_SCHEMA))
    _write(workspace.contracts_dir / "recorded" / "sales-order.v1" / "bad.json", {"order_id": 1})
    seen: list[PayloadsChecked] = []

    validate_workspace(workspace, on_progress=seen.append)

    assert seen == [PayloadsChecked(done=2, total=2, failed=1)]


@pytest.mark.parametrize("keyword", ["$id", "$schema"])
def test_non_string_id_or_dialect_rejected(tmp_path: Path, keyword: str) -> None:
    workspace = _workspace(tmp_path, ("sales-order.v1", {**ORDER_SCHEMA, keyword: 7}))

    with pytest.raises(SchemaLoadError, match=f"non-string \\{keyword}"):
        load_schemas(workspace.schemas_dir)
