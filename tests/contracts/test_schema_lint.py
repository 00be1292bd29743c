from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from opsconsole.contracts.lint import lint_schemas
from opsconsole.contracts.registry import load_schemas
from opsconsole.reports import CheckStatus, GateReport

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE = "https://schemas.example.com/canonical/"

PARTY = {
    "$schema": DIALECT,
    "$id": BASE + "party.v1.json",
    "type": "object",
    "properties": {"name": {"type": "string"}},
    "examples": [{"name": "ACME"}],
}
CONTACTABLE = {
    "$schema": DIALECT,
    "$id": BASE + "contactable.v1.json",
    "type": "object",
    "properties": {"email": {"type": "string", "format": "email"}},
    "examples": [{"email": "ops@example.com"}],
}


def _customer(**changes: Any) -> dict[str, Any]:
    schema = {
        "$schema": DIALECT,
        "$id": BASE + "customer.v1.json",
        "allOf": [{"$ref": "party.v1.json"}, {"$ref": "contactable.v1.json"}],
        "unevaluatedProperties": False,
        "examples": [{"name": "ACME", "email": "ops@example.com"}],
    }
    schema.update(changes)
    return {key: value for key, value in schema.items() if value is not None}


def _schemas_folder(tmp_path: Path, customer: dict[str, Any]) -> Path:
    folder = tmp_path / "schemas"
    folder.mkdir()
    schemas = (("party.v1", PARTY), ("contactable.v1", CONTACTABLE), ("customer.v1", customer))
    for name, schema in schemas:
        (folder / f"{name}.json").write_text(json.dumps(schema), encoding="utf-8")
    return folder


def _lint(tmp_path: Path, customer: dict[str, Any]) -> GateReport:
    return lint_schemas(load_schemas(_schemas_folder(tmp_path, customer)))


def _status(report: GateReport, rule: str, suite: str = "customer.v1") -> CheckStatus:
    [check] = [c for c in report.checks if c.suite == suite and c.name == rule]
    return check.status


def test_clean_schemas_pass_every_rule(tmp_path: Path) -> None:
    report = _lint(tmp_path, _customer())

    assert report.passed, [c.message for c in report.failures()]
    assert len(report.checks) == 3 * 7


def test_closed_allof_is_flagged(tmp_path: Path) -> None:
    customer = _customer(unevaluatedProperties=None, additionalProperties=False)

    report = _lint(tmp_path, customer)

    assert _status(report, "additional-properties-beside-composition") is CheckStatus.FAILED
    [failure] = report.failures()
    assert failure.message.startswith("/additionalProperties: ")
    assert "unevaluatedProperties: false" in failure.message


def test_closed_allof_really_rejects_declared_fields(tmp_path: Path) -> None:
    # The trap the rule guards against, shown with the validator itself.
    customer = _customer(unevaluatedProperties=None, additionalProperties=False)
    schemas = load_schemas(_schemas_folder(tmp_path, customer))
    entry = schemas.by_name("customer.v1")
    assert entry is not None
    validator = Draft202012Validator(entry.contents, registry=schemas.registry)

    assert not validator.is_valid({"name": "ACME", "email": "ops@example.com"})


def test_missing_id_and_examples_flagged(tmp_path: Path) -> None:
    report = _lint(tmp_path, _customer(**{"$id": None, "examples": None, "allOf": None}))

    assert _status(report, "missing-id") is CheckStatus.FAILED
    assert _status(report, "missing-examples") is CheckStatus.FAILED


def test_money_as_number_is_flagged(tmp_path: Path) -> None:
    customer = _customer(
        properties={"creditLimit": {"type": "string"}, "openAmount": {"type": ["number", "null"]}},
        **{"$defs": {"unitPrice": {"type": "number", "multipleOf": 0.01}}},
    )

    report = _lint(tmp_path, customer)

    [failure] = report.failures()
    assert failure.name == "money-as-float"
    pointers = {failure.message.split(":")[0], *(d.split(":")[0] for d in failure.details)}
    assert pointers == {"/properties/openAmount", "/$defs/unitPrice"}


def test_integer_totals_are_not_money_floats(tmp_path: Path) -> None:
    report = _lint(tmp_path, _customer(properties={"totalSize": {"type": "integer"}}))

    assert _status(report, "money-as-float") is CheckStatus.PASSED


def test_other_dialect_and_invalid_schema_flagged(tmp_path: Path) -> None:
    customer = _customer(**{"$schema": "http://json-schema.org/draft-07/schema#", "type": "objekt"})

    report = _lint(tmp_path, customer)

    assert _status(report, "dialect") is CheckStatus.FAILED
    assert _status(report, "invalid-schema") is CheckStatus.FAILED


def test_unresolvable_ref_is_a_finding(tmp_path: Path) -> None:
    report = _lint(tmp_path, _customer(allOf=[{"$ref": "party.v2.json"}]))

    assert _status(report, "unresolvable-ref") is CheckStatus.FAILED


def test_ignored_rule_shows_as_skipped(tmp_path: Path) -> None:
    customer = _customer(examples=None, **{"x-opsconsole-lint": {"ignore": ["missing-examples"]}})

    report = _lint(tmp_path, customer)

    assert report.passed
    assert _status(report, "missing-examples") is CheckStatus.SKIPPED
