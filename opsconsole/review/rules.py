"""Turn subsumption facts into named changes with stable rule IDs and one-line reasons.

A fact found while checking old ⊆ new means the new version narrows, because it rejects
something the old one accepted. A fact found while checking new ⊆ old means it widens. Each
keyword family has one rule ID per direction, listed in `RULES`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from opsconsole.review.model import Effect
from opsconsole.review.subsume import Fact
from opsconsole.review.views import canonical


@dataclass(frozen=True)
class Finding:
    """A rule hit before it is tied to a contract and its usages."""

    id: str
    path: str
    reason: str
    effect: Effect
    detail: str
    field: tuple[str, ...]


# kind: (rule when narrowing, rule when widening, what the keyword is called in reasons)
RULES: dict[str, tuple[str, str, str]] = {
    "type": ("type-narrowed", "type-widened", "type"),
    "values": ("enum-value-removed", "enum-value-added", "allowed values"),
    "enum": ("enum-added", "enum-removed", "enum"),
    "minimum": ("minimum-raised", "minimum-lowered", "minimum"),
    "maximum": ("maximum-lowered", "maximum-raised", "maximum"),
    "multipleOf": ("multiple-of-changed", "multiple-of-changed", "multipleOf"),
    "minLength": ("min-length-raised", "min-length-lowered", "minLength"),
    "maxLength": ("max-length-lowered", "max-length-raised", "maxLength"),
    "minItems": ("min-items-raised", "min-items-lowered", "minItems"),
    "maxItems": ("max-items-lowered", "max-items-raised", "maxItems"),
    "minProperties": ("min-properties-raised", "min-properties-lowered", "minProperties"),
    "maxProperties": ("max-properties-lowered", "max-properties-raised", "maxProperties"),
    "uniqueItems": ("unique-items-added", "unique-items-removed", "uniqueItems"),
    "pattern": ("pattern-added", "pattern-removed", "pattern"),
    "format": ("format-added", "format-removed", "format"),
    "contentEncoding": ("content-encoding-changed", "content-encoding-changed", "contentEncoding"),
    "contentMediaType": ("content-media-type-changed", "content-media-type-changed", "media type"),
    "required": ("required-added", "required-removed", "required"),
    "property-only-in-sub": ("property-removed", "property-added", "property"),
    "property-only-in-sup": ("property-added", "property-removed", "property"),
    "property-declared": ("property-added-to-open-model", "property-removed", "property"),
    "property-constrained": ("property-narrowed", "property-widened", "property"),
    "additionalProperties": (
        "additional-properties-narrowed",
        "additional-properties-widened",
        "undeclared properties",
    ),
    "patternProperties": (
        "pattern-properties-narrowed",
        "pattern-properties-widened",
        "patternProperties",
    ),
    "dependentRequired": (
        "dependent-required-added",
        "dependent-required-removed",
        "dependentRequired",
    ),
    "dependentSchemas": (
        "dependent-schema-narrowed",
        "dependent-schema-widened",
        "dependentSchemas",
    ),
    "propertyNames": ("property-names-narrowed", "property-names-widened", "propertyNames"),
    "contains": ("contains-narrowed", "contains-widened", "contains"),
    "not": ("not-narrowed", "not-widened", "not"),
    "if": ("conditional-narrowed", "conditional-widened", "if/then/else"),
    "anyOf": ("any-of-narrowed", "any-of-widened", "anyOf"),
    "oneOf": ("one-of-ambiguous", "one-of-ambiguous", "oneOf"),
    "false": ("schema-rejects-all", "schema-accepts-again", "schema"),
}

_FLATTENED = {"anyOf", "oneOf"}


def findings(facts: list[Fact], effect: Effect) -> Iterator[Finding]:
    """Yield one finding per fact, opening `anyOf`/`oneOf` facts into what decided them."""
    for fact in facts:
        inner = fact.sub if isinstance(fact.sub, list) else []
        if fact.kind in _FLATTENED and inner and all(isinstance(f, Fact) for f in inner):
            nested = [f for f in inner if f.kind != fact.kind or f.sub]
            if nested:
                shifted = [Fact(**{**f.__dict__, "field": fact.field + f.field}) for f in nested]
                yield from findings(shifted, effect)
                continue
        yield _finding(fact, effect)


def _finding(fact: Fact, effect: Effect) -> Finding:
    narrowing, widening, label = RULES.get(fact.kind, ("schema-narrowed", "schema-widened", ""))
    rule = narrowing if effect == Effect.NARROWING else widening
    old, new = (fact.sub, fact.sup) if effect == Effect.NARROWING else (fact.sup, fact.sub)
    reason = _reason(fact, rule, label, old, new, effect)
    reason = reason[0].upper() + reason[1:]
    detail = canonical([fact.name, _jsonable(old), _jsonable(new)])
    return Finding(rule, fact.location, reason, effect, detail, fact.field)


def _reason(fact: Fact, rule: str, label: str, old: Any, new: Any, effect: Effect) -> str:
    narrows = effect == Effect.NARROWING
    where = f"'{field_text(fact.field)}'" if fact.field else "the value"
    if fact.kind == "type":
        kinds = _kinds(fact.sub)
        if narrows:
            return f"{where} must now be {_kinds(fact.sup)} (it no longer accepts {kinds})."
        return f"{where} now also accepts {kinds}."
    if fact.kind == "values":
        shown = ", ".join(_short(v) for v in fact.sub)
        return f"{where} {'no longer accepts' if narrows else 'now accepts'} {shown}."
    if fact.kind == "enum":
        limit = _short(fact.sup)
        if narrows:
            return f"{where} is now limited to {limit}."
        return f"{where} is no longer limited to {limit}."
    if fact.kind == "required":
        state = "now required" if narrows else "no longer required"
        return f"Property '{fact.name}' is {state}."
    if fact.kind.startswith("property-"):
        return _property_reason(fact, rule, effect)
    if fact.kind in ("additionalProperties", "patternProperties", "dependentSchemas"):
        first = _first_inner(fact, effect)
        extra = f" ({fact.name})" if fact.name else ""
        return f"The rule for {label}{extra} changed: {first}"
    if fact.kind == "false":
        return f"{where} " + ("is now rejected entirely." if narrows else "is accepted again.")
    if fact.kind == "dependentRequired":
        names = ", ".join(fact.sub)
        verb = "now requires" if narrows else "no longer requires"
        return f"Property '{fact.name}' {verb} {names}."
    if fact.kind == "oneOf":
        return f"{where} may match several oneOf alternatives, or none, where it matched one."
    return _keyword_reason(label, where, old, new)


def _keyword_reason(label: str, where: str, old: Any, new: Any) -> str:
    if old is None:
        return f"{where} now has {label} {_short(new)}."
    if new is None:
        return f"{where} no longer has {label} {_short(old)}."
    return f"The {label} of {where} changed from {_short(old)} to {_short(new)}."


def _property_reason(fact: Fact, rule: str, effect: Effect) -> str:
    verbs = {
        "property-removed": "was removed",
        "property-added": "was added",
        "property-added-to-open-model": "was added to an open object",
    }
    verb = verbs.get(rule, "changed")
    inner = [f for f in (fact.sub or []) if isinstance(f, Fact)]
    if not inner:
        return f"Property '{fact.name}' {verb}."
    first = Fact(**{**inner[0].__dict__, "field": fact.field + inner[0].field})
    if rule == "property-removed" and effect == Effect.WIDENING and first.kind == "type":
        return (
            f"Property '{fact.name}' was removed, so readers that expect "
            f"{_kinds(first.sup)} may now get any value or none."
        )
    if rule == "property-removed" and first.kind == "false":
        return f"Property '{fact.name}' was removed and is now rejected where it was allowed."
    return f"Property '{fact.name}' {verb}: {_finding(first, effect).reason}"


def field_text(field: tuple[str, ...]) -> str:
    """Show an instance path as `lines[].sku`."""
    text = ""
    for step in field:
        text += step if step.startswith("[") or not text else f".{step}"
    return text


def _first_inner(fact: Fact, effect: Effect) -> str:
    inner = [f for f in (fact.sub or []) if isinstance(f, Fact)]
    if not inner:
        return "its schema changed."
    return _finding(inner[0], effect).reason


def _kinds(kinds: Any) -> str:
    names = set(kinds or [])
    if {"integer", "nonint"} <= names:
        names = (names - {"integer", "nonint"}) | {"number"}
    names = {"non-integer number" if n == "nonint" else n for n in names}
    return ", ".join(sorted(names)) or "nothing"


def _short(value: Any) -> str:
    text = "none" if value is None else json.dumps(_jsonable(value), sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, Fact):
        return value.kind
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    return value
