"""Validate payloads against their canonical schemas, with format checking on.

Each schema is compiled once into a JSON Schema 2020-12 validator bound to the local schema
registry and reused for every payload. Formats (`uuid`, `date-time`, `email`, ...) are
asserted, not just annotated, so ``{"event_id": "42"}`` fails a ``format: uuid`` field.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as JsonSchemaError
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing.exceptions import Unresolvable

from opsconsole.contracts.fast import FastValidators
from opsconsole.contracts.payloads import PayloadCase, file_payloads, schema_examples
from opsconsole.contracts.registry import SchemaEntry, SchemaSet, UnresolvableRefError, load_schemas
from opsconsole.errors import ConfigError
from opsconsole.reports import CheckResult, CheckStatus, GateReport
from opsconsole.workspace import Workspace

GATE_NAME = "contracts validate"
PROGRESS_EVERY = 1000

# Formats whose checkers come from the jsonschema[format] extra; without them those formats
# pass silently, which would hide bad timestamps and URIs.
_REQUIRED_FORMATS = ("date-time", "uri", "duration", "uri-reference")


@dataclass(frozen=True)
class Violation:
    """One way a payload breaks its schema: where, why, the rule and the offending value."""

    path: str
    message: str
    keyword: str
    expected: Any
    actual: Any


def require_format_support() -> None:
    """Raise unless the format checkers that need extra packages are installed."""
    available = Draft202012Validator.FORMAT_CHECKER.checkers
    missing = [name for name in _REQUIRED_FORMATS if name not in available]
    if missing:
        raise ConfigError(
            f"Format checking for {', '.join(missing)} is unavailable, so such fields would "
            f"pass unchecked. Install the format extras: pip install 'jsonschema[format]'."
        )


class PayloadValidator:
    """Compiled validators for the schemas of one `SchemaSet`, built once and reused.

    With `fast`, each payload is first checked by jsonschema-rs (compiled Rust, same local
    registry, formats asserted). A payload it accepts is reported valid without the Python
    validator, and only rejected payloads are run through `jsonschema` for the detailed errors.
    The two libraries implement some formats differently (for example `email`), so a payload
    only jsonschema would reject can pass in fast mode.
    """

    def __init__(self, schemas: SchemaSet, *, fast: bool = False) -> None:
        require_format_support()
        self._schemas = schemas
        self._compiled: dict[str, Validator] = {}
        self._fast = FastValidators(schemas) if fast else None

    def schema_errors(self, entry: SchemaEntry) -> list[str]:
        """Return why `entry` is not a valid schema for its dialect; empty when it is valid."""
        cls = validator_for(entry.contents, default=Draft202012Validator)
        try:
            cls.check_schema(entry.contents)
        except SchemaError as exc:
            location = "/" + "/".join(str(part) for part in exc.absolute_path)
            return [f"{location}: {exc.message}"]
        return []

    def violations(self, entry: SchemaEntry, instance: Any) -> list[Violation]:
        """Return every way `instance` breaks `entry`, ordered by path; empty when valid.

        Raises:
            UnresolvableRefError: the schema reaches a `$ref` missing from the registry.
        """
        if self._fast is not None and self._fast.is_valid(entry, instance):
            return []
        validator = self._validator(entry)
        try:
            errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        except Unresolvable as exc:
            raise UnresolvableRefError(
                f"Schema {entry.name} ({entry.path}) refers to {exc.ref!r}, which is not in "
                f"the local schema registry. Add a schema with that $id under "
                f"contracts/schemas/, or fix the reference. Schemas are never fetched over the "
                f"network."
            ) from exc
        found = [_violation(error) for error in errors]
        if not found and self._fast is not None:
            return [_fast_violation(error) for error in self._fast.errors(entry, instance)]
        return found

    def _validator(self, entry: SchemaEntry) -> Validator:
        compiled = self._compiled.get(entry.uri)
        if compiled is None:
            cls = validator_for(entry.contents, default=Draft202012Validator)
            resolver_registry = self._schemas.registry
            compiled = cls(
                entry.contents, registry=resolver_registry, format_checker=cls.FORMAT_CHECKER
            )
            self._compiled[entry.uri] = compiled
        return compiled


def _violation(error: JsonSchemaError) -> Violation:
    keyword = str(error.validator)
    return Violation(
        path=error.json_path,
        message=error.message,
        keyword=keyword,
        expected={keyword: error.validator_value},
        actual=_summarise(error.instance),
    )


def _fast_violation(error: Any) -> Violation:
    """Convert a jsonschema-rs error, used when only jsonschema-rs rejects a payload."""
    path = "$" + "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path
    )
    keyword = type(error.kind).__name__.lower()
    return Violation(
        path, error.message, keyword, {"jsonschema-rs": keyword}, _summarise(error.instance)
    )


def _summarise(instance: Any) -> Any:
    """Keep scalars as they are; show only the keys of an object, the size of an array."""
    if isinstance(instance, dict):
        return {"object with keys": sorted(instance)}
    if isinstance(instance, list):
        return {"array of length": len(instance)}
    return instance


def check_payload(validator: PayloadValidator, case: PayloadCase) -> CheckResult:
    """Validate one payload case and describe the outcome as a gate check."""
    started = time.perf_counter()
    if case.schema is None:
        return CheckResult(
            suite=case.suite, name=case.source, status=CheckStatus.FAILED, message=case.problem
        )
    found = validator.violations(case.schema, case.instance)
    elapsed = time.perf_counter() - started
    if not found:
        return CheckResult(
            suite=case.suite, name=case.source, status=CheckStatus.PASSED, duration_seconds=elapsed
        )
    return _failed_check(case, found, elapsed)


def _failed_check(case: PayloadCase, found: list[Violation], elapsed: float) -> CheckResult:
    first = found[0]
    summary = f"{first.path}: {first.message}"
    if len(found) > 1:
        summary += f" (and {len(found) - 1} more)"
    return CheckResult(
        suite=case.suite,
        name=case.source,
        status=CheckStatus.FAILED,
        message=summary,
        expected={v.path: v.expected for v in found},
        actual={v.path: v.actual for v in found},
        details=[f"{v.path}: {v.message} [{v.keyword}]" for v in found],
        duration_seconds=elapsed,
    )


@dataclass(frozen=True)
class PayloadsChecked:
    """Progress of a validation run: `done` of `total` payloads checked, `failed` of them bad."""

    done: int
    total: int
    failed: int


def validate_workspace(
    workspace: Workspace,
    *,
    fast: bool = False,
    on_progress: Callable[[PayloadsChecked], None] | None = None,
) -> GateReport:
    """Check every schema example and stored payload of `workspace` against its schema.

    `on_progress` receives a `PayloadsChecked` every `PROGRESS_EVERY` payloads and at the end.

    Raises:
        SchemaLoadError: a schema file cannot be read.
        UnresolvableRefError: a `$ref` does not resolve in the local schema registry.
        ConfigError: format checking is not fully installed.
    """
    started = time.perf_counter()
    schemas = load_schemas(workspace.schemas_dir)
    schemas.require_resolvable()
    report = GateReport(gate=GATE_NAME)
    validator = PayloadValidator(schemas, fast=fast)

    invalid = _check_schemas(validator, schemas, report)
    cases = [*schema_examples(schemas), *file_payloads(workspace.contracts_dir, schemas)]
    failed = 0
    for done, result in enumerate(_check_cases(validator, cases, invalid), start=1):
        report.add(result)
        failed += result.is_failure
        if on_progress is not None and (done % PROGRESS_EVERY == 0 or done == len(cases)):
            on_progress(PayloadsChecked(done, len(cases), failed))
    report.duration_seconds = time.perf_counter() - started
    return report


def _check_schemas(validator: PayloadValidator, schemas: SchemaSet, report: GateReport) -> set[str]:
    """Add one check per schema for its own validity; return the URIs of invalid schemas."""
    invalid: set[str] = set()
    for entry in schemas.entries:
        problems = validator.schema_errors(entry)
        status = CheckStatus.FAILED if problems else CheckStatus.PASSED
        message = f"Schema is not valid JSON Schema: {problems[0]}" if problems else ""
        report.add(CheckResult(suite=entry.name, name="schema", status=status, message=message))
        if problems:
            invalid.add(entry.uri)
    return invalid


def _check_cases(
    validator: PayloadValidator, cases: Iterable[PayloadCase], invalid: set[str]
) -> Iterable[CheckResult]:
    for case in cases:
        if case.schema is not None and case.schema.uri in invalid:
            yield CheckResult(
                suite=case.suite,
                name=case.source,
                status=CheckStatus.ERRORED,
                message=f"Not checked because schema {case.schema.name} is invalid.",
            )
        else:
            yield check_payload(validator, case)
