"""Validation rules run over a loaded catalog: references, ownership and operational gaps."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from opsconsole.catalog.catalog import LoadResult
from opsconsole.catalog.findings import Finding, Severity
from opsconsole.catalog.gc import gc_paused
from opsconsole.catalog.loader import JsonPath
from opsconsole.catalog.model import Entity, EntityRef, Touchpoint

_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-?LW#]+$")
_EXPECTED_KIND = {
    "owner": "group",
    "system": "system",
    "source": "system",
    "target": "system",
    "api": "api",
    "parent": "group",
}


class _Context:
    """Catalog and parsed documents shared by the rules, so findings can carry line numbers."""

    def __init__(self, result: LoadResult) -> None:
        self.catalog = result.catalog
        self._documents = {(doc.file, doc.line): doc for doc in result.documents}

    def finding(
        self, entity: Entity, rule: str, severity: Severity, message: str, path: JsonPath = ()
    ) -> Finding:
        document = self._documents.get((entity.file, entity.line))
        line = document.line_of(("spec", *path)) if document and path else entity.line
        return Finding(
            rule=rule,
            severity=severity,
            message=message,
            file=entity.file,
            line=line,
            entity=str(entity.ref),
        )


Rule = Callable[[_Context], Iterator[Finding]]


def validate(result: LoadResult) -> list[Finding]:
    """Run every rule and return the loading findings plus the rules' findings, sorted."""
    context = _Context(result)
    findings = list(result.findings)
    with gc_paused():
        for rule in RULES:
            findings.extend(rule(context))
    return sorted(findings, key=lambda f: (f.file, f.line, f.rule))


def _duplicates(context: _Context) -> Iterator[Finding]:
    first: dict[EntityRef, Entity] = {}
    for entity in context.catalog.entities:
        earlier = first.setdefault(entity.ref, entity)
        if earlier is not entity:
            yield context.finding(
                entity,
                "duplicate-entity",
                "error",
                f"{entity.ref} is already defined at {earlier.file}:{earlier.line}. "
                "Rename one of them or delete the copy.",
            )


def _references(context: _Context) -> Iterator[Finding]:
    for entity in context.catalog.entities:
        for path, text, kind in _refs_of(entity):
            yield from _check_reference(context, entity, path, text, kind)


def _refs_of(entity: Entity) -> Iterator[tuple[JsonPath, str, str]]:
    spec = entity.spec
    for key, kind in _EXPECTED_KIND.items():
        if isinstance(spec.get(key), str):
            yield (key,), spec[key], kind
    for key, kind in (
        ("providesApis", "api"),
        ("consumesApis", "api"),
        ("children", "group"),
        ("replacedBy", "touchpoint"),
    ):
        for index, text in enumerate(spec.get(key) or []):
            yield (key, index), text, kind
    for index, claim in enumerate(spec.get("systemOfRecord") or []):
        yield ("systemOfRecord", index, "system"), claim["system"], "system"
    for index, contract in enumerate(spec.get("contracts") or []):
        if "api" in contract:
            yield ("contracts", index, "api"), contract["api"], "api"


def _check_reference(
    context: _Context, entity: Entity, path: JsonPath, text: str, kind: str
) -> Iterator[Finding]:
    ref = EntityRef.parse(text, kind)
    field = "spec." + ".".join(str(part) for part in path)
    if ref in context.catalog.invalid_refs:
        return
    target = context.catalog.get(ref)
    if target is None:
        yield context.finding(
            entity,
            "unresolved-reference",
            "error",
            f"{field} of {entity.ref} points to {ref}, which is not in the catalog. "
            f"Add an entity of kind {ref.kind} named '{ref.name}' or correct the reference.",
            path,
        )
    elif ref.kind != kind:
        yield context.finding(
            entity,
            "unresolved-reference",
            "error",
            f"{field} of {entity.ref} points to {ref}, but it must point to a {kind}.",
            path,
        )


def _system_of_record(context: _Context) -> Iterator[Finding]:
    claims: dict[tuple[str, str | None], dict[str, tuple[Touchpoint, int]]] = defaultdict(dict)
    for touchpoint in context.catalog.touchpoints:
        for index, claim in enumerate(touchpoint.touchpoint.system_of_record):
            system = context.catalog.system_name(claim.system)
            claims[(claim.object, claim.status)].setdefault(system, (touchpoint, index))
    for (obj, status), by_system in sorted(claims.items(), key=lambda item: str(item[0])):
        if len(by_system) < 2:
            continue
        subject = f"status '{status}' of {obj}" if status else f"object '{obj}'"
        systems = ", ".join(
            f"{name} ({tp.file}:{tp.line})" for name, (tp, _) in sorted(by_system.items())
        )
        for touchpoint, index in by_system.values():
            yield context.finding(
                touchpoint,
                "system-of-record-conflict",
                "error",
                f"Several systems claim to be the system of record for {subject}: {systems}. "
                "Keep one system of record and correct the other claims.",
                ("systemOfRecord", index),
            )


def _gaps(context: _Context) -> Iterator[Finding]:
    for touchpoint in context.catalog.touchpoints:
        yield from _gaps_of(context, touchpoint)


def _gaps_of(context: _Context, touchpoint: Touchpoint) -> Iterator[Finding]:
    spec = touchpoint.touchpoint
    name = f"Touchpoint '{touchpoint.name}'"
    where = touchpoint.file
    if not spec.owner:
        yield context.finding(
            touchpoint,
            "missing-owner",
            "warning",
            f"{name} has no owner. Add spec.owner (a Group) to {where}.",
        )
    if not spec.contracts and not spec.api:
        yield context.finding(
            touchpoint,
            "missing-contract",
            "warning",
            f"{name} has no contract. Add spec.contracts (a schema, OpenAPI, AsyncAPI or pact "
            f"file) or spec.api to {where}.",
        )
    if not spec.monitors:
        yield context.finding(
            touchpoint,
            "missing-monitor",
            "warning",
            f"{name} has no monitor. Add spec.monitors to {where}.",
        )
    if not spec.runbook:
        yield context.finding(
            touchpoint,
            "missing-runbook",
            "warning",
            f"{name} has no runbook. Add spec.runbook (a URL or a file) to {where}.",
        )
    synthetic = [monitor for monitor in spec.monitors if monitor.type == "synthetic"]
    if spec.criticality == "critical" and not synthetic:
        yield context.finding(
            touchpoint,
            "missing-synthetic-check",
            "error",
            f"{name} is critical but has no synthetic check. Add a monitor of type 'synthetic' "
            f"whose path names a scenario under synthetic/ to {where}.",
            ("monitors",),
        )


def _files(context: _Context) -> Iterator[Finding]:
    root = context.catalog.root
    # Thousands of touchpoints name the same few contract and scenario files: check each once.
    exists: dict[str, bool] = {}
    for entity in context.catalog.entities:
        for path, relative in _file_refs(entity):
            if relative not in exists:
                exists[relative] = (root / relative).is_file()
            if not exists[relative]:
                yield context.finding(
                    entity,
                    "missing-file",
                    "warning",
                    f"spec.{'.'.join(str(p) for p in path)} of {entity.ref} names {relative}, "
                    "which does not exist in the workspace. Add the file or correct the path.",
                    path,
                )


def _file_refs(entity: Entity) -> Iterator[tuple[JsonPath, str]]:
    spec = entity.spec
    for key in ("contracts", "monitors"):
        for index, item in enumerate(spec.get(key) or []):
            if isinstance(item.get("path"), str):
                yield (key, index, "path"), item["path"]
    runbook = spec.get("runbook")
    if isinstance(runbook, str) and not _is_url(runbook):
        yield ("runbook",), runbook
    definition = spec.get("definition")
    if isinstance(definition, dict) and not _is_url(definition["$text"]):
        yield ("definition", "$text"), definition["$text"]


# The top-level key that marks an inline definition as a document of its API type.
_DOCUMENT_KEYS = {"openapi": ("openapi", "swagger"), "asyncapi": ("asyncapi",)}


def _definitions(context: _Context) -> Iterator[Finding]:
    for entity in context.catalog.entities:
        if entity.kind.lower() != "api":
            continue
        api_type = str(entity.spec.get("type", ""))
        definition = entity.spec.get("definition")
        if api_type not in _DOCUMENT_KEYS or not isinstance(definition, str):
            continue
        if not _is_document(definition, _DOCUMENT_KEYS[api_type]):
            yield context.finding(
                entity,
                "missing-definition",
                "warning",
                f"{entity.ref} has no {api_type} document: spec.definition is prose. "
                "Capture the API's document under contracts/ and point spec.definition "
                "at it with {$text: PATH}.",
                ("definition",),
            )


def _is_document(text: str, keys: tuple[str, ...]) -> bool:
    try:
        parsed: Any = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return isinstance(parsed, dict) and any(key in parsed for key in keys)


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def _schedules(context: _Context) -> Iterator[Finding]:
    for touchpoint in context.catalog.touchpoints:
        schedule = touchpoint.touchpoint.schedule
        if schedule is None or _is_cron(schedule):
            continue
        yield context.finding(
            touchpoint,
            "invalid-schedule",
            "error",
            f"spec.schedule of {touchpoint.ref} is {schedule!r}, not a cron expression. Write "
            "five fields (minute hour day-of-month month day-of-week), e.g. '0 2 * * *'.",
            ("schedule",),
        )


def _is_cron(text: str) -> bool:
    fields = text.split()
    return len(fields) == 5 and all(_CRON_FIELD.match(field) for field in fields)


RULES: tuple[Rule, ...] = (
    _duplicates,
    _references,
    _system_of_record,
    _gaps,
    _files,
    _definitions,
    _schedules,
)
