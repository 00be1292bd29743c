"""Schema lint: flag known traps in canonical schemas before they reach a consumer.

Rules (each one check per schema in the gate report):

- ``invalid-schema``: the schema breaks its own dialect's meta-schema.
- ``dialect``: ``$schema`` names a dialect other than JSON Schema 2020-12.
- ``missing-id``: no ``$id``, so other schemas and payloads cannot refer to it.
- ``missing-examples``: no ``examples``, so nothing shows or tests what a valid payload is.
- ``additional-properties-beside-composition``: ``additionalProperties: false`` next to
  ``allOf``/``anyOf``/``oneOf``/``$ref``. It applies only to the properties declared beside it,
  so it rejects every property that the composed schemas declare. ``unevaluatedProperties:
  false`` takes the composed properties into account.
- ``money-as-float``: a money-named property (amount, price, total, cost, fee, tax, ...) typed
  as ``number``. Most JSON parsers read numbers as binary floats, so 5230.40 - 5119.10 becomes
  111.30000000000018; money travels as a decimal string (or integer minor units).
- ``unresolvable-ref``: a ``$ref`` that the local schema registry cannot resolve.

A schema can skip rules with ``"x-opsconsole-lint": {"ignore": ["missing-examples"]}``; skipped
rules show as skipped checks, so the exception stays visible in CI.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from opsconsole.contracts.registry import DIALECT_2020_12, SchemaEntry, SchemaSet, load_schemas
from opsconsole.contracts.validation import PayloadValidator
from opsconsole.reports import CheckResult, CheckStatus, GateReport
from opsconsole.workspace import Workspace

GATE_NAME = "contracts lint"
IGNORE_KEYWORD = "x-opsconsole-lint"

_COMPOSITION_KEYWORDS = ("allOf", "anyOf", "oneOf", "$ref")
_MONEY_WORDS = re.compile(
    r"amount|price|total|subtotal|cost|fee|tax|balance|discount|charge|money|revenue",
    re.IGNORECASE,
)
# Keywords whose values are data, not subschemas, so they are not searched for traps.
_DATA_KEYWORDS = frozenset({"examples", "const", "enum", "default", IGNORE_KEYWORD})


@dataclass(frozen=True)
class Finding:
    """One rule broken at one place in a schema."""

    pointer: str
    message: str


def _subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (JSON pointer, subschema) for `node` and every object schema below it."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _subschemas(item, f"{pointer}/{index}")
        return
    if not isinstance(node, dict):
        return
    yield pointer, node
    for key, value in node.items():
        if key not in _DATA_KEYWORDS:
            yield from _subschemas(value, f"{pointer}/{key}")


def _check_dialect(entry: SchemaEntry) -> list[Finding]:
    dialect = entry.contents.get("$schema")
    if dialect is None or str(dialect).rstrip("#") == DIALECT_2020_12:
        return []
    return [
        Finding(
            "/$schema",
            f"$schema is {dialect!r}; canonical schemas use JSON Schema 2020-12. "
            f'Set "$schema": "{DIALECT_2020_12}".',
        )
    ]


def _check_id(entry: SchemaEntry) -> list[Finding]:
    if entry.declares_id:
        return []
    return [
        Finding(
            "/",
            f'Schema has no $id. Add "$id" with a stable URI ending in {entry.path.name}, so '
            f"other schemas and payloads can refer to it.",
        )
    ]


def _check_examples(entry: SchemaEntry) -> list[Finding]:
    examples = entry.contents.get("examples")
    if isinstance(examples, list) and examples:
        return []
    return [
        Finding(
            "/",
            'Schema has no examples. Add "examples": [ ... ] with at least one valid payload; '
            "`contracts validate` checks each one.",
        )
    ]


def _check_closed_composition(entry: SchemaEntry) -> list[Finding]:
    findings = []
    for pointer, node in _subschemas(entry.contents):
        composed = [key for key in _COMPOSITION_KEYWORDS if key in node]
        if node.get("additionalProperties") is False and composed:
            findings.append(
                Finding(
                    f"{pointer}/additionalProperties",
                    f"additionalProperties: false beside {', '.join(composed)} rejects every "
                    f"property declared inside {composed[0]}. Use unevaluatedProperties: false.",
                )
            )
    return findings


def _allows_number(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared]
    return "number" in types or schema.get("format") in ("float", "double")


def _check_money(entry: SchemaEntry) -> list[Finding]:
    findings = []
    for pointer, node in _subschemas(entry.contents):
        for keyword in ("properties", "$defs"):
            findings.extend(_money_findings(node.get(keyword), f"{pointer}/{keyword}"))
    return findings


def _money_findings(named_schemas: Any, pointer: str) -> list[Finding]:
    if not isinstance(named_schemas, dict):
        return []
    findings = []
    for name, schema in named_schemas.items():
        if _MONEY_WORDS.search(name) and _allows_number(schema):
            findings.append(
                Finding(
                    f"{pointer}/{name}",
                    f"Money field {name!r} is a JSON number, which most consumers parse "
                    f'as a binary float. Use a decimal string ("type": "string" with a '
                    f"pattern) or integer minor units.",
                )
            )
    return findings


Rule = Callable[[SchemaEntry], list[Finding]]

RULES: dict[str, Rule] = {
    "dialect": _check_dialect,
    "missing-id": _check_id,
    "missing-examples": _check_examples,
    "additional-properties-beside-composition": _check_closed_composition,
    "money-as-float": _check_money,
}


def _ignored_rules(entry: SchemaEntry) -> set[str]:
    settings = entry.contents.get(IGNORE_KEYWORD)
    if not isinstance(settings, dict):
        return set()
    return {str(rule) for rule in settings.get("ignore", [])}


def _check(
    entry: SchemaEntry, rule: str, findings: list[Finding], ignored: set[str]
) -> CheckResult:
    if rule in ignored:
        message = f"Skipped by {IGNORE_KEYWORD}.ignore in the schema."
        return CheckResult(suite=entry.name, name=rule, status=CheckStatus.SKIPPED, message=message)
    if not findings:
        return CheckResult(suite=entry.name, name=rule, status=CheckStatus.PASSED)
    first = findings[0]
    return CheckResult(
        suite=entry.name,
        name=rule,
        status=CheckStatus.FAILED,
        message=f"{first.pointer}: {first.message}",
        details=[f"{f.pointer}: {f.message}" for f in findings[1:]],
    )


def lint_schemas(schemas: SchemaSet) -> GateReport:
    """Run every lint rule over every schema and return one check per schema and rule."""
    started = time.perf_counter()
    report = GateReport(gate=GATE_NAME)
    validator = PayloadValidator(schemas)
    ref_findings: dict[str, list[Finding]] = {}
    for problem in schemas.ref_problems():
        finding = Finding(problem.pointer or "/", problem.message())
        ref_findings.setdefault(problem.schema.uri, []).append(finding)

    for entry in schemas.entries:
        ignored = _ignored_rules(entry)
        invalid = [Finding("", text) for text in validator.schema_errors(entry)]
        report.add(_check(entry, "invalid-schema", invalid, ignored))
        for rule, check in RULES.items():
            report.add(_check(entry, rule, check(entry), ignored))
        refs = ref_findings.get(entry.uri, [])
        report.add(_check(entry, "unresolvable-ref", refs, ignored))
    report.duration_seconds = time.perf_counter() - started
    return report


def lint_workspace(workspace: Workspace) -> GateReport:
    """Load the workspace's schemas and lint them.

    Raises:
        SchemaLoadError: a schema file cannot be read.
    """
    return lint_schemas(load_schemas(workspace.schemas_dir))
