"""The JSON Schema for catalog entities that ships with opsconsole, and checks against it."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import fastjsonschema

from opsconsole.catalog.checkcache import cached_check, default_cache_dir
from opsconsole.catalog.findings import Finding
from opsconsole.catalog.loader import Document

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaViolation

SCHEMA_RESOURCE = "entity.schema.json"


@cache
def entity_schema() -> dict[str, Any]:
    """Load the catalog entity schema (JSON Schema 2020-12)."""
    text = resources.files("opsconsole.catalog").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    # Imported here: jsonschema takes about 0.1 s to import and a clean catalog never needs it.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(entity_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def _fast_check() -> Callable[[Any], Any]:
    # fastjsonschema compiles the schema to Python that passes a valid document about ten times
    # faster than jsonschema, but it stops at the first error with a terse message, so it only
    # decides whether jsonschema needs to run. The compiled code is cached per user.
    # It supports drafts up to 7; the schema uses no keyword that draft 2020-12 added, and its
    # `$defs` are plain JSON pointers, which resolve the same way.
    schema = {**entity_schema(), "$schema": "http://json-schema.org/draft-07/schema#"}
    return cached_check(schema, default_cache_dir())


def check_document(document: Document) -> list[Finding]:
    """Return one `schema` finding per violation in `document`, deepest cause first."""
    try:
        _fast_check()(document.data)
        return []
    except fastjsonschema.JsonSchemaException:
        pass  # jsonschema below lists every violation with its path
    errors = sorted(_validator().iter_errors(document.data), key=lambda error: error.path)
    return [_finding(document, leaf) for error in errors for leaf in _leaves(error)]


def _leaves(error: SchemaViolation) -> list[SchemaViolation]:
    # A failed if/then or oneOf yields a vague parent error, and its sub-errors name the fix.
    if not error.context:
        return [error]
    best = [leaf for sub in error.context for leaf in _leaves(sub)]
    deepest = max(len(leaf.absolute_path) for leaf in best)
    return [leaf for leaf in best if len(leaf.absolute_path) == deepest][:3]


def _finding(document: Document, error: SchemaViolation) -> Finding:
    path = tuple(error.absolute_path)
    where = "/".join(str(part) for part in path) or "(document)"
    return Finding(
        rule="schema",
        severity="error",
        message=f"{where}: {error.message}.",
        file=document.file,
        line=document.line_of(path),
        entity=_entity_label(document.data),
    )


def _entity_label(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    kind = data.get("kind")
    if not isinstance(name, str):
        return None
    return f"{str(kind).lower()}:{name}" if isinstance(kind, str) else name
