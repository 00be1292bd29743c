"""Each diff rule on a small before/after pair of plain JSON Schemas."""

from __future__ import annotations

from typing import Any

import pytest

from opsconsole.review.model import Level
from opsconsole.review.rules import RULES

from .conftest import Differ, by_rule

DRAFT7 = "http://json-schema.org/draft-07/schema#"
D2020 = "https://json-schema.org/draft/2020-12/schema"


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"$schema": D2020, "type": "object", "properties": properties, **extra}


# (rule, old, new, level in a plain-schema diff)
CASES: list[tuple[str, Any, Any, Level]] = [
    ("type-narrowed", {"type": ["string", "null"]}, {"type": "string"}, Level.BREAKING),
    ("type-widened", {"type": "integer"}, {"type": "number"}, Level.WARNING),
    ("enum-value-removed", {"enum": ["a", "b"]}, {"enum": ["a"]}, Level.BREAKING),
    ("enum-value-added", {"enum": ["a"]}, {"enum": ["a", "b"]}, Level.WARNING),
    ("enum-value-removed", {"const": "a"}, {"const": "b"}, Level.BREAKING),
    ("enum-added", {"type": "string"}, {"type": "string", "enum": ["a"]}, Level.BREAKING),
    ("enum-removed", {"type": "string", "enum": ["a"]}, {"type": "string"}, Level.WARNING),
    (
        "minimum-raised",
        {"type": "number", "minimum": 1},
        {"type": "number", "minimum": 2},
        Level.BREAKING,
    ),
    (
        "minimum-lowered",
        {"type": "number", "minimum": 2},
        {"type": "number", "minimum": 1},
        Level.WARNING,
    ),
    (
        "maximum-lowered",
        {"type": "number", "maximum": 9},
        {"type": "number", "exclusiveMaximum": 9},
        Level.BREAKING,
    ),
    ("maximum-raised", {"type": "integer", "maximum": 9}, {"type": "integer"}, Level.WARNING),
    (
        "multiple-of-changed",
        {"type": "number", "multipleOf": 2},
        {"type": "number", "multipleOf": 4},
        Level.BREAKING,
    ),
    ("min-length-raised", {"type": "string"}, {"type": "string", "minLength": 1}, Level.BREAKING),
    (
        "min-length-lowered",
        {"type": "string", "minLength": 3},
        {"type": "string", "minLength": 2},
        Level.WARNING,
    ),
    (
        "max-length-lowered",
        {"type": "string", "maxLength": 150},
        {"type": "string", "maxLength": 30},
        Level.BREAKING,
    ),
    (
        "max-length-raised",
        {"type": "string", "maxLength": 30},
        {"type": "string", "maxLength": 150},
        Level.WARNING,
    ),
    ("min-items-raised", {"type": "array"}, {"type": "array", "minItems": 1}, Level.BREAKING),
    (
        "max-items-lowered",
        {"type": "array", "maxItems": 5},
        {"type": "array", "maxItems": 2},
        Level.BREAKING,
    ),
    ("max-items-raised", {"type": "array", "maxItems": 2}, {"type": "array"}, Level.WARNING),
    (
        "min-properties-raised",
        {"type": "object"},
        {"type": "object", "minProperties": 1},
        Level.BREAKING,
    ),
    (
        "max-properties-lowered",
        {"type": "object", "maxProperties": 3},
        {"type": "object", "maxProperties": 1},
        Level.BREAKING,
    ),
    (
        "unique-items-added",
        {"type": "array"},
        {"type": "array", "uniqueItems": True},
        Level.BREAKING,
    ),
    (
        "unique-items-removed",
        {"type": "array", "uniqueItems": True},
        {"type": "array"},
        Level.WARNING,
    ),
    (
        "pattern-added",
        {"type": "string"},
        {"type": "string", "pattern": "^[A-Z]{3}$"},
        Level.BREAKING,
    ),
    (
        "pattern-removed",
        {"type": "string", "pattern": "^[A-Z]{3}$"},
        {"type": "string"},
        Level.WARNING,
    ),
    ("format-added", {"type": "string"}, {"type": "string", "format": "uuid"}, Level.BREAKING),
    (
        "format-removed",
        {"type": "string", "format": "date-time"},
        {"type": "string"},
        Level.WARNING,
    ),
    (
        "content-encoding-changed",
        {"type": "string", "contentEncoding": "base64"},
        {"type": "string", "contentEncoding": "base32"},
        Level.BREAKING,
    ),
    (
        "required-added",
        obj({"a": {"type": "string"}}),
        obj({"a": {"type": "string"}}, required=["a"]),
        Level.BREAKING,
    ),
    (
        "required-removed",
        obj({"a": {"type": "string"}}, required=["a"]),
        obj({"a": {"type": "string"}}),
        Level.WARNING,
    ),
    (
        "property-removed",
        obj({"a": {"type": "string"}}, additionalProperties=False),
        obj({}, additionalProperties=False),
        Level.BREAKING,
    ),
    ("property-removed", obj({"a": {"type": "string"}}), obj({}), Level.WARNING),
    (
        "property-added",
        obj({}, additionalProperties=False),
        obj({"a": {"type": "string"}}, additionalProperties=False),
        Level.WARNING,
    ),
    ("property-added-to-open-model", obj({}), obj({"a": {"type": "string"}}), Level.WARNING),
    (
        "additional-properties-narrowed",
        obj({}),
        obj({}, additionalProperties={"type": "string"}),
        Level.BREAKING,
    ),
    ("additional-properties-widened", obj({}, additionalProperties=False), obj({}), Level.WARNING),
    (
        "pattern-properties-narrowed",
        obj({}, patternProperties={"^x-": {"type": "string"}}),
        obj({}, patternProperties={"^x-": {"type": "integer"}}),
        Level.BREAKING,
    ),
    (
        "dependent-required-added",
        obj({}),
        obj({}, dependentRequired={"iban": ["bic"]}),
        Level.BREAKING,
    ),
    (
        "dependent-required-removed",
        obj({}, dependentRequired={"iban": ["bic"]}),
        obj({}),
        Level.WARNING,
    ),
    (
        "dependent-schema-narrowed",
        obj({}),
        obj({}, dependentSchemas={"iban": {"required": ["bic"]}}),
        Level.BREAKING,
    ),
    ("property-names-narrowed", obj({}), obj({}, propertyNames={"maxLength": 8}), Level.BREAKING),
    (
        "contains-narrowed",
        {"type": "array"},
        {"type": "array", "contains": {"const": 1}},
        Level.BREAKING,
    ),
    ("not-narrowed", {"type": "string"}, {"type": "string", "not": {"const": ""}}, Level.BREAKING),
    (
        "conditional-narrowed",
        obj({"country": {"type": "string"}}),
        obj(
            {"country": {"type": "string"}},
            **{
                "if": {"properties": {"country": {"const": "DE"}}},
                "then": {"required": ["vat_id"]},
            },
        ),
        Level.BREAKING,
    ),
    (
        "one-of-ambiguous",
        {"type": "string"},
        {"oneOf": [{"type": "string"}, {"maxLength": 3}]},
        Level.BREAKING,
    ),
    ("schema-rejects-all", obj({"a": {"type": "string"}}), obj({"a": False}), Level.BREAKING),
    (
        "default-changed",
        {"type": "string", "default": "EUR"},
        {"type": "string", "default": "USD"},
        Level.WARNING,
    ),
    (
        "description-changed",
        {"type": "string", "description": "old"},
        {"type": "string", "description": "new"},
        Level.INFO,
    ),
    (
        "deprecated",
        obj({"a": {"type": "string"}}),
        obj({"a": {"type": "string", "deprecated": True}}),
        Level.WARNING,
    ),
    (
        "additional-properties-beside-all-of",
        {"type": "object"},
        {"allOf": [{"properties": {"a": {}}}], "additionalProperties": False},
        Level.WARNING,
    ),
]


@pytest.mark.parametrize(("rule", "old", "new", "level"), CASES, ids=[c[0] for c in CASES])
def test_rule_reported_with_level(
    diff: Differ, rule: str, old: Any, new: Any, level: Level
) -> None:
    result = diff(old, new)
    found = by_rule(result).get(rule, [])
    assert found, f"{rule} not in {[c.id for c in result.changes]}"
    assert found[0].level == level
    assert found[0].reason.endswith(".")
    assert found[0].path.startswith("$")


def test_every_rule_id_is_kebab_case(diff: Differ) -> None:
    for _, old, new, _ in CASES:
        for change in diff(old, new).changes:
            assert change.id == change.id.lower()
            assert " " not in change.id


def test_identical_schemas_have_no_changes(diff: Differ) -> None:
    schema = obj({"a": {"$ref": "#/$defs/A"}}, **{"$defs": {"A": {"type": "string"}}})
    assert diff(schema, schema).changes == []


def test_change_inside_ref_target_reported_once(diff: Differ) -> None:
    defs_old = {
        "Address": {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 10}}}
    }
    defs_new = {
        "Address": {"type": "object", "properties": {"zip": {"type": "string", "maxLength": 5}}}
    }
    props = {"billing": {"$ref": "#/$defs/Address"}, "shipping": {"$ref": "#/$defs/Address"}}
    result = diff(obj(props, **{"$defs": defs_old}), obj(props, **{"$defs": defs_new}))
    changes = by_rule(result)["max-length-lowered"]
    assert len(changes) == 1
    assert changes[0].path == "$['$defs'].Address.properties.zip"
    fields = {usage.field for usage in changes[0].usages}
    assert fields == {("billing", "zip"), ("shipping", "zip")}


def test_ref_chain_followed(diff: Differ) -> None:
    defs = {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/C"}}
    old = obj({"x": {"$ref": "#/$defs/A"}}, **{"$defs": {**defs, "C": {"type": "string"}}})
    new = obj({"x": {"$ref": "#/$defs/A"}}, **{"$defs": {**defs, "C": {"type": "integer"}}})
    assert "type-narrowed" in by_rule(diff(old, new))


def test_recursive_schema_compared(diff: Differ) -> None:
    def tree(leaf: dict[str, Any]) -> dict[str, Any]:
        node = {
            "type": "object",
            "properties": {
                "name": leaf,
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
            },
        }
        return {"$schema": D2020, "$ref": "#/$defs/Node", "$defs": {"Node": node}}

    same = diff(tree({"type": "string"}), tree({"type": "string"}))
    assert same.changes == []
    changed = by_rule(diff(tree({"type": "string"}), tree({"type": "string", "maxLength": 3})))
    assert changed["max-length-lowered"][0].level == Level.BREAKING


def test_all_of_merged_before_comparing(diff: Differ) -> None:
    old = {"allOf": [{"type": "number"}, {"maximum": 100}]}
    new = {"type": "number", "maximum": 100}
    assert [c for c in diff(old, new).changes if c.level == Level.BREAKING] == []


def test_type_list_and_any_of_null_are_equivalent(diff: Differ) -> None:
    old = {"type": ["string", "null"]}
    new = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    result = diff(old, new)
    assert [c.id for c in result.changes] == []
    assert [c.id for c in diff(new, old).changes] == []


def test_unevaluated_properties_close_the_object(diff: Differ) -> None:
    base = {"allOf": [{"properties": {"a": {"type": "string"}}}]}
    closed = {**base, "unevaluatedProperties": False}
    result = by_rule(diff(base, closed))
    assert result["additional-properties-narrowed"][0].level == Level.BREAKING
    assert "additional-properties-beside-all-of" not in result


def test_draft4_exclusive_minimum_boolean(diff: Differ) -> None:
    old = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "number",
        "minimum": 10,
        "exclusiveMinimum": True,
    }
    new = {"$schema": DRAFT7, "type": "number", "exclusiveMinimum": 10}
    assert diff(old, new).changes == []


def test_integer_bounds_compared_as_integers(diff: Differ) -> None:
    old = {"type": "integer", "exclusiveMinimum": 0}
    new = {"type": "integer", "minimum": 1}
    assert diff(old, new).changes == []


def test_format_change_is_breaking_both_ways(diff: Differ) -> None:
    result = by_rule(
        diff({"type": "string", "format": "date-time"}, {"type": "string", "format": "date"})
    )
    assert result["format-added"][0].level == Level.BREAKING
    assert result["format-removed"][0].level == Level.WARNING


def test_enum_values_checked_against_new_constraints(diff: Differ) -> None:
    old = {"enum": ["EUR", "USD"]}
    assert diff(old, {"type": "string", "maxLength": 3}).breaking == []
    result = by_rule(diff(old, {"type": "string", "pattern": "^E"}))
    assert "USD" in result["enum-value-removed"][0].reason


def test_sibling_file_ref_resolved_locally(tmp_path: Any) -> None:
    from opsconsole.review.diff import diff_sources

    for version, length in (("old", 10), ("new", 5)):
        folder = tmp_path / version
        folder.mkdir()
        money = {
            "$id": "https://schemas.example.com/money.json",
            "type": "string",
            "maxLength": length,
        }
        order = {
            "$schema": D2020,
            "$id": "https://schemas.example.com/order.json",
            "type": "object",
            "properties": {"total": {"$ref": "money.json"}},
        }
        (folder / "money.json").write_text(__import__("json").dumps(money))
        (folder / "order.json").write_text(__import__("json").dumps(order))
    result = diff_sources(str(tmp_path / "old/order.json"), str(tmp_path / "new/order.json"))
    assert [c.id for c in result.breaking] == ["max-length-lowered"]


def test_true_and_one_are_different_values(diff: Differ) -> None:
    result = by_rule(diff({"const": True}, {"const": 1}))
    assert result["enum-value-removed"][0].level == Level.BREAKING


def test_identical_components_behind_refs_skip_comparison(diff: Differ) -> None:
    defs = {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}}
    old = obj({"a": {"$ref": "#/$defs/A"}}, **{"$defs": {**defs, "B": {"enum": [1, 2]}}})
    new = obj({"a": {"$ref": "#/$defs/A"}}, **{"$defs": {**defs, "B": {"enum": [1]}}})
    change = by_rule(diff(old, new))["enum-value-removed"][0]
    assert change.path == "$['$defs'].B"
    assert {usage.field for usage in change.usages} == {("a", "b")}


NARROWING_RULES = {narrow for narrow, _, _ in RULES.values()}
REVERSIBLE = [c for c in CASES if c[0] in NARROWING_RULES and c[3] == Level.BREAKING]


@pytest.mark.parametrize(
    ("rule", "old", "new", "level"), REVERSIBLE, ids=[c[0] for c in REVERSIBLE]
)
def test_reverse_change_uses_widening_rule(
    diff: Differ, rule: str, old: Any, new: Any, level: Level
) -> None:
    widening = {narrow: wide for narrow, wide, _ in RULES.values()}[rule]
    assert widening in by_rule(diff(new, old))


def test_title_change_is_info(diff: Differ) -> None:
    change = by_rule(diff({"title": "Order"}, {"title": "Sales order"}))["title-changed"][0]
    assert change.level == Level.INFO


def test_false_schema_accepts_again(diff: Differ) -> None:
    result = by_rule(diff(obj({"a": False}), obj({"a": {"type": "string"}})))
    assert result["schema-accepts-again"][0].level == Level.WARNING


def test_contains_needs_every_item_including_prefix(diff: Differ) -> None:
    old = {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "number"}}
    old["minItems"] = 1
    result = by_rule(diff(old, {"type": "array", "contains": {"type": "number"}}))
    assert result["contains-narrowed"][0].level == Level.BREAKING
    every_number = {"type": "array", "items": {"type": "number"}, "minItems": 1}
    assert diff(every_number, {"type": "array", "contains": {"type": "number"}}).breaking == []
