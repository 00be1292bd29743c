"""Find the payloads a workspace keeps for its schemas and decide which schema checks each.

Layout, relative to the workspace's ``contracts/`` folder:

- ``schemas/<name>.json``: a schema; its `examples` keyword lists example payloads.
- ``examples/<name>/*.json``: hand-written example payloads for schema ``<name>``.
- ``recorded/<name>/*.json`` and ``recorded/<name>/*.jsonl``: payloads captured from real
  traffic (one per ``.json`` file, one per line in ``.jsonl``).

``<name>`` is the schema's path under ``schemas/`` without ``.json`` (``customer.v1`` or
``events/order-created.v1``), or just its file stem when that stem is unique.

A payload can also name its schema itself. A top-level ``"$schema"`` field contains the
schema's `$id` and is removed before validation. A CloudEvent's ``dataschema`` checks the
event's ``data``, in addition to any schema that the folder names for the whole envelope.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opsconsole.contracts.registry import SchemaEntry, SchemaSet

EXAMPLES_FOLDER = "examples"
RECORDED_FOLDER = "recorded"
PAYLOAD_SUFFIXES = (".json", ".jsonl")


@dataclass(frozen=True)
class PayloadCase:
    """One payload to check: where it came from, the schema it must meet, and the value.

    `problem` is set instead of `schema` when the payload cannot be checked, because it is not
    valid JSON or no schema was found for it. Such a case fails the gate.
    """

    source: str
    suite: str
    instance: Any = None
    schema: SchemaEntry | None = None
    problem: str = ""


def schema_examples(schemas: SchemaSet) -> Iterator[PayloadCase]:
    """Yield each entry of each schema's top-level `examples` keyword."""
    for entry in schemas.entries:
        examples = entry.contents.get("examples")
        if not isinstance(examples, list):
            continue
        for index, example in enumerate(examples):
            yield PayloadCase(f"examples[{index}]", entry.name, example, entry)


def payload_files(contracts_dir: Path) -> Iterator[tuple[Path, Path]]:
    """Yield (folder root, file) for every payload file under examples/ and recorded/."""
    for folder in (EXAMPLES_FOLDER, RECORDED_FOLDER):
        root = contracts_dir / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in PAYLOAD_SUFFIXES:
                yield root, path


def file_payloads(contracts_dir: Path, schemas: SchemaSet) -> Iterator[PayloadCase]:
    """Yield one case per payload found in the example and recorded folders."""
    for root, path in payload_files(contracts_dir):
        source = path.relative_to(contracts_dir).as_posix()
        folder_name = path.parent.relative_to(root).as_posix()
        for label, document, parse_problem in _documents(path, source):
            if parse_problem:
                yield PayloadCase(label, folder_name, problem=parse_problem)
                continue
            yield from _cases_for(label, folder_name, document, schemas)


def _documents(path: Path, source: str) -> Iterator[tuple[str, Any, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield source, None, f"Cannot read payload {source}: {exc}."
        return
    if path.suffix == ".json":
        yield _parsed(source, text)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield _parsed(f"{source}:{number}", line)


def _parsed(label: str, text: str) -> tuple[str, Any, str]:
    try:
        return label, json.loads(text), ""
    except json.JSONDecodeError as exc:
        return (
            label,
            None,
            (
                f"Payload {label} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}."
            ),
        )


def _cases_for(
    label: str, folder_name: str, document: Any, schemas: SchemaSet
) -> Iterator[PayloadCase]:
    named = _named_schema(document)
    if named is not None:
        yield _by_uri_case(label, named, _without_schema_field(document), schemas)
        return

    folder_schema = schemas.by_name(folder_name) if folder_name != "." else None
    if folder_schema is not None:
        yield PayloadCase(label, folder_schema.name, document, folder_schema)
    dataschema = _cloudevent_dataschema(document)
    if dataschema is not None:
        yield _by_uri_case(f"{label} data", dataschema, document.get("data"), schemas)
    elif folder_schema is None:
        yield PayloadCase(label, folder_name, problem=_no_schema_message(label, folder_name))


def _named_schema(document: Any) -> str | None:
    if isinstance(document, dict) and isinstance(document.get("$schema"), str):
        return str(document["$schema"])
    return None


def _without_schema_field(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "$schema"}


def _cloudevent_dataschema(document: Any) -> str | None:
    if not isinstance(document, dict) or "specversion" not in document:
        return None
    dataschema = document.get("dataschema")
    return dataschema if isinstance(dataschema, str) else None


def _by_uri_case(label: str, uri: str, instance: Any, schemas: SchemaSet) -> PayloadCase:
    entry = schemas.by_uri(uri)
    if entry is None:
        problem = (
            f"Payload {label} names schema {uri!r}, which is not in the local schema registry. "
            f"Add a schema with that $id under contracts/schemas/ or correct the payload."
        )
        return PayloadCase(label, uri, problem=problem)
    return PayloadCase(label, entry.name, instance, entry)


def _no_schema_message(label: str, folder_name: str) -> str:
    where = "the folder root" if folder_name == "." else f"folder {folder_name!r}"
    return (
        f"No schema found for payload {label}: {where} names no schema in contracts/schemas/ "
        f'and the payload has no "$schema" or CloudEvents "dataschema" field. Move it to '
        f"examples/<schema name>/ or recorded/<schema name>/, or add one of those fields."
    )
