"""Each validation rule fires on the fault it names, at the right file and line."""

from __future__ import annotations

from pathlib import Path

from catalog_fixtures import WriteWorkspace, findings_of, rules_of, touchpoint

REPOSITORY = Path(__file__).resolve().parents[2]


def test_clean_catalog_has_no_findings(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("crm-customer-to-hub"))

    assert findings_of(root) == []


def test_yaml_syntax_error_names_file_and_line(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        touchpoint("ok"), extra_files={"catalog/broken.yaml": "kind: System\nmetadata: [a\n"}
    )

    [finding] = [f for f in findings_of(root) if f.rule == "yaml-syntax"]

    assert finding.file == "catalog/broken.yaml"
    assert finding.line == 3
    assert finding.severity == "error"


def test_schema_error_points_at_the_bad_field_line(write_workspace: WriteWorkspace) -> None:
    text = (
        "apiVersion: opsconsole.dev/v1alpha1\n"
        "kind: Touchpoint\n"
        "metadata:\n"
        "  name: bad-mode\n"
        "spec:\n"
        "  mode: carrier-pigeon\n"
    )
    root = write_workspace(extra_files={"catalog/bad.yaml": text})

    schema = [f for f in findings_of(root) if f.rule == "schema"]
    mode = [f for f in schema if "carrier-pigeon" in f.message]

    assert mode, schema
    assert mode[0].file == "catalog/bad.yaml"
    assert mode[0].line == 6
    assert any("'source' is a required property" in f.message for f in schema)


def test_batch_without_schedule_is_a_schema_error(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("nightly", mode="batch"))

    [finding] = findings_of(root)

    assert finding.rule == "schema"
    assert "'schedule' is a required property" in finding.message


def test_duplicate_entity_names_the_first_definition(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("twice"), touchpoint("twice"))

    [finding] = findings_of(root)

    assert finding.rule == "duplicate-entity"
    assert "catalog/touchpoints.yaml:1" in finding.message


def test_reference_to_missing_system_is_reported(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("to-nowhere", target="system:wms"))

    [finding] = findings_of(root)

    assert finding.rule == "unresolved-reference"
    assert "system:wms" in finding.message
    lines = (root / finding.file).read_text(encoding="utf-8").splitlines()
    assert lines[finding.line - 1].strip() == "target: system:wms"


def test_reference_to_wrong_kind_is_reported(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("owned-by-system", owner="system:crm"))

    [finding] = findings_of(root)

    assert finding.rule == "unresolved-reference"
    assert "must point to a group" in finding.message


def test_reference_to_invalid_entity_is_not_reported_twice(
    write_workspace: WriteWorkspace,
) -> None:
    bad_target = touchpoint("bad", mode="teleport")
    root = write_workspace(bad_target, touchpoint("good", replacedBy=["touchpoint:bad"]))

    assert rules_of(root) == ["schema"]


def test_two_systems_claiming_one_object_conflict(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(
        touchpoint("a", systemOfRecord=[{"object": "customer", "system": "system:crm"}]),
        touchpoint("b", systemOfRecord=[{"object": "customer", "system": "system:erp"}]),
    )

    findings = findings_of(root)

    assert [f.rule for f in findings] == ["system-of-record-conflict"] * 2
    assert "object 'customer'" in findings[0].message
    assert "crm" in findings[0].message
    assert "erp" in findings[0].message


def test_two_systems_claiming_one_status_conflict(write_workspace: WriteWorkspace) -> None:
    shipped_by = [
        [{"object": "sales-order", "status": "shipped", "system": system}]
        for system in ("system:erp", "system:crm")
    ]
    root = write_workspace(
        touchpoint("a", systemOfRecord=shipped_by[0]),
        touchpoint("b", systemOfRecord=shipped_by[1]),
    )

    findings = findings_of(root)

    assert {f.rule for f in findings} == {"system-of-record-conflict"}
    assert "status 'shipped' of sales-order" in findings[0].message


def test_same_system_claiming_object_twice_is_fine(write_workspace: WriteWorkspace) -> None:
    claim = [{"object": "customer", "system": "system:crm"}]
    root = write_workspace(
        touchpoint("a", systemOfRecord=claim), touchpoint("b", systemOfRecord=claim)
    )

    assert findings_of(root) == []


def test_touchpoint_without_owner(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("orphan", owner=None))

    [finding] = findings_of(root)

    assert finding.rule == "missing-owner"
    assert "Add spec.owner" in finding.message
    assert "catalog/touchpoints.yaml" in finding.message


def test_touchpoint_without_contract(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("unpinned", contracts=None))

    assert rules_of(root) == ["missing-contract"]


def test_touchpoint_api_counts_as_contract(write_workspace: WriteWorkspace) -> None:
    api = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {"name": "crm-api"},
        "spec": {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "integration-team",
            "definition": "openapi: 3.1.0",
        },
    }
    root = write_workspace(api, touchpoint("via-api", contracts=None, api="api:crm-api"))

    assert findings_of(root) == []


def test_prose_api_definition_is_reported(write_workspace: WriteWorkspace) -> None:
    api = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {"name": "wms-api"},
        "spec": {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "integration-team",
            "definition": "Not captured yet.",
        },
    }
    root = write_workspace(api)

    [finding] = findings_of(root)

    assert finding.rule == "missing-definition"
    assert finding.entity == "api:wms-api"


def test_touchpoint_without_monitor(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("blind", monitors=None))

    assert rules_of(root) == ["missing-monitor"]


def test_touchpoint_without_runbook(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("no-runbook", runbook=None))

    assert rules_of(root) == ["missing-runbook"]


def test_critical_touchpoint_without_synthetic_check(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("critical-one", criticality="critical"))

    [finding] = findings_of(root)

    assert finding.rule == "missing-synthetic-check"
    assert finding.severity == "error"


def test_critical_touchpoint_with_synthetic_check_passes(write_workspace: WriteWorkspace) -> None:
    synthetic = [{"name": "l2c", "type": "synthetic", "path": "synthetic/l2c.yaml"}]
    root = write_workspace(
        touchpoint("critical-one", criticality="critical", monitors=synthetic),
        extra_files={"synthetic/l2c.yaml": "name: l2c\n"},
    )

    assert findings_of(root) == []


def test_contract_file_that_does_not_exist(write_workspace: WriteWorkspace) -> None:
    contracts = [{"type": "pact", "path": "contracts/pacts/missing.json"}]
    root = write_workspace(touchpoint("dangling", contracts=contracts))

    [finding] = findings_of(root)

    assert finding.rule == "missing-file"
    assert finding.severity == "warning"
    assert "contracts/pacts/missing.json" in finding.message


def test_schedule_must_be_cron(write_workspace: WriteWorkspace) -> None:
    root = write_workspace(touchpoint("nightly", mode="batch", schedule="every night"))

    [finding] = findings_of(root)

    assert finding.rule == "invalid-schedule"


def test_example_workspace_has_no_errors() -> None:
    from opsconsole.catalog.catalog import load_catalog
    from opsconsole.catalog.rules import validate

    result = load_catalog(REPOSITORY)
    findings = validate(result)
    errors = [f"{f.location} {f.message}" for f in findings if f.severity == "error"]

    assert errors == []
    assert len(result.catalog.touchpoints) >= 25
    modes = {tp.touchpoint.mode for tp in result.catalog.touchpoints}
    assert modes == {"api", "event", "webhook", "batch", "file-transfer", "manual-reconciliation"}


def test_example_catalog_gaps_are_wms_and_billing() -> None:
    from opsconsole.catalog.catalog import load_catalog
    from opsconsole.catalog.rules import validate

    findings = validate(load_catalog(REPOSITORY))

    assert [f.message for f in findings if f.rule == "missing-file"] == []
    undocumented = sorted(f.entity or "" for f in findings if f.rule == "missing-definition")
    assert undocumented == ["api:billing-api", "api:wms-api"]
