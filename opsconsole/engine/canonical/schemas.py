"""Validate payloads against the canonical JSON Schemas, resolving `$ref` only from disk.

Every schema file in the schema directory is registered under its `$id`. A `$ref` to any
other URI fails instead of being fetched, so validation never reaches the network.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaViolation
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from opsconsole.errors import ConfigError, FieldError, ValidationError

SCHEMA_BASE = "https://opsconsole.dev/schemas/"
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[3] / "contracts" / "schemas"


def _refuse_retrieval(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def load_registry(directory: Path) -> Registry[Any]:
    """Register every `*.json` schema in `directory` under its `$id` (2020-12 unless stated).

    Raises:
        ConfigError: the directory has no schemas, or a schema has no `$id`.
    """
    resources = []
    for path in sorted(directory.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        if "$id" not in contents:
            raise ConfigError(f"Schema {path} has no $id. Add one, e.g. {SCHEMA_BASE}{path.name}.")
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((contents["$id"], resource))
    if not resources:
        raise ConfigError(f"No JSON Schema files found in {directory}.")
    return Registry(retrieve=_refuse_retrieval).with_resources(resources)  # type: ignore[call-arg]


class SchemaSet:
    """The canonical schemas of one directory, with a validator per schema `$id`."""

    def __init__(self, directory: Path = DEFAULT_SCHEMA_DIR) -> None:
        self.directory = directory
        self.registry = load_registry(directory)
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, schema_id: str) -> Draft202012Validator:
        """Return a format-checking validator for the schema with `$id` `schema_id`."""
        if schema_id not in self._validators:
            schema = self.registry.contents(schema_id)
            self._validators[schema_id] = Draft202012Validator(
                schema,
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return self._validators[schema_id]

    def field_errors(self, schema_id: str, instance: Any) -> list[FieldError]:
        """Return one `FieldError` per violation of the schema, in path order."""
        errors = self.validator(schema_id).iter_errors(instance)
        return [_field_error(error) for error in sorted(errors, key=lambda e: list(e.path))]

    def validate(self, schema_id: str, instance: Any) -> None:
        """Raise `ValidationError` listing every field of `instance` that breaks the schema."""
        errors = self.field_errors(schema_id, instance)
        if errors:
            name = schema_id.removeprefix(SCHEMA_BASE)
            raise ValidationError(f"Payload does not match {name}.", errors)


def _field_error(error: SchemaViolation) -> FieldError:
    path = "/" + "/".join(str(part) for part in error.absolute_path)
    return FieldError(path=path, message=error.message, rule=str(error.validator))


@cache
def default_schemas() -> SchemaSet:
    """Return the schemas shipped in the repository's `contracts/schemas`, loaded once."""
    return SchemaSet(DEFAULT_SCHEMA_DIR)
