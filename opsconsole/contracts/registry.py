"""The local schema registry: every JSON Schema of a workspace, keyed by its `$id`.

Schemas are read from ``contracts/schemas/**/*.json``. A `$ref` resolves only against these
files: the registry's retrieve hook raises instead of fetching, so validation never opens a
network connection, even when `$id` values are https URLs. A schema without `$id` is
registered under its ``file:`` URI, so relative references between such files still work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from opsconsole.errors import ConfigError, WorkspaceError

DIALECT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Keywords whose values are data, not subschemas, so a "$ref" key inside them is not a reference.
_DATA_KEYWORDS = frozenset({"examples", "const", "enum", "default"})


class SchemaLoadError(WorkspaceError):
    """A schema file cannot be read, is not JSON, or repeats another schema's `$id`."""


class UnresolvableRefError(ConfigError):
    """A `$ref` points to a schema that is not in the local schema registry."""


@dataclass(frozen=True)
class SchemaEntry:
    """One schema file: its name (path under the schemas folder without .json) and contents."""

    name: str
    path: Path
    uri: str
    contents: dict[str, Any]

    @property
    def declares_id(self) -> bool:
        """Whether the schema has its own `$id` rather than a file URI."""
        return "$id" in self.contents


@dataclass(frozen=True)
class RefProblem:
    """A `$ref` that does not resolve locally, with where it sits and why it failed."""

    schema: SchemaEntry
    pointer: str
    ref: str
    reason: str

    def message(self) -> str:
        """Describe the broken reference and how to fix it."""
        return (
            f"Schema {self.schema.name} ({self.schema.path}) has $ref {self.ref!r} at "
            f"{self.pointer or '/'}, which is not in the local schema registry ({self.reason}). "
            f'Add a schema with "$id" matching that URI under contracts/schemas/, or fix the '
            f"reference. Schemas are never fetched over the network."
        )


def _refuse_retrieval(uri: str) -> Resource[Any]:
    # Raising here is what keeps every lookup local: referencing calls this hook only for
    # URIs that no loaded schema declares.
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs init that mypy cannot see


class SchemaSet:
    """All schemas of a workspace and the `referencing.Registry` built from them."""

    def __init__(self, entries: list[SchemaEntry]) -> None:
        self.entries = entries
        self._by_uri = {entry.uri: entry for entry in entries}
        self._by_name = {entry.name: entry for entry in entries}
        resources = [
            (entry.uri, Resource.from_contents(entry.contents, default_specification=DRAFT202012))
            for entry in entries
        ]
        # `retrieve` is an attrs field with a private name, which mypy does not map to __init__.
        empty: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]
        self.registry = empty.with_resources(resources).crawl()

    def by_uri(self, uri: str) -> SchemaEntry | None:
        """Return the schema whose `$id` (or file URI) is `uri`, ignoring an empty fragment."""
        return self._by_uri.get(_normalise_uri(uri))

    def by_name(self, name: str) -> SchemaEntry | None:
        """Return the schema named `name`, or the only schema whose file stem is `name`."""
        if name in self._by_name:
            return self._by_name[name]
        matches = [entry for entry in self.entries if entry.path.stem == name]
        return matches[0] if len(matches) == 1 else None

    def ref_problems(self) -> list[RefProblem]:
        """Return every `$ref` in every schema that does not resolve in this registry."""
        problems: list[RefProblem] = []
        for entry in self.entries:
            for pointer, base, ref in _iter_refs(entry.contents, entry.uri, ""):
                reason = self._lookup_failure(base, ref)
                if reason:
                    problems.append(RefProblem(entry, pointer, ref, reason))
        return problems

    def require_resolvable(self) -> None:
        """Raise if any `$ref` fails to resolve locally, naming every broken reference."""
        problems = self.ref_problems()
        if problems:
            raise UnresolvableRefError("\n".join(problem.message() for problem in problems))

    def _lookup_failure(self, base: str, ref: str) -> str:
        try:
            self.registry.resolver(base_uri=base).lookup(ref)
        except Unresolvable as exc:
            return type(exc).__name__ + (f": {exc}" if str(exc) else "")
        return ""


def _normalise_uri(uri: str) -> str:
    base, fragment = urldefrag(uri)
    return uri if fragment else base


def _iter_refs(node: Any, base: str, pointer: str) -> Iterator[tuple[str, str, str]]:
    """Yield (JSON pointer, base URI, ref) for each `$ref` below `node`."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _iter_refs(item, base, f"{pointer}/{index}")
        return
    if not isinstance(node, dict):
        return
    if isinstance(node.get("$id"), str):
        base = urljoin(base, node["$id"])
    if isinstance(node.get("$ref"), str):
        yield pointer, base, node["$ref"]
    for key, value in node.items():
        if key not in _DATA_KEYWORDS:
            escaped = key.replace("~", "~0").replace("/", "~1")
            yield from _iter_refs(value, base, f"{pointer}/{escaped}")


def load_schemas(schemas_dir: Path) -> SchemaSet:
    """Read every ``*.json`` under `schemas_dir` (recursively) into a `SchemaSet`.

    Raises:
        SchemaLoadError: a file is not valid JSON, is not a JSON object, or repeats an `$id`.
    """
    entries: list[SchemaEntry] = []
    seen: dict[str, Path] = {}
    if schemas_dir.is_dir():
        for path in sorted(schemas_dir.rglob("*.json")):
            entry = _read_entry(path, schemas_dir)
            if entry.uri in seen:
                raise SchemaLoadError(
                    f"Schemas {seen[entry.uri]} and {path} both declare $id {entry.uri!r}. "
                    f"Give each schema its own $id, for example with a version suffix."
                )
            seen[entry.uri] = path
            entries.append(entry)
    return SchemaSet(entries)


def _read_entry(path: Path, schemas_dir: Path) -> SchemaEntry:
    try:
        contents = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaLoadError(f"Cannot read schema {path}: {exc}.") from exc
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(
            f"Schema {path} is not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}. Fix the file or move it out of contracts/schemas/."
        ) from exc
    if not isinstance(contents, dict):
        raise SchemaLoadError(
            f"Schema {path} is a JSON {type(contents).__name__}, not an object. "
            f"A schema file holds one JSON object with $schema, $id and type."
        )
    for keyword in ("$id", "$schema"):
        if keyword in contents and not isinstance(contents[keyword], str):
            raise SchemaLoadError(
                f"Schema {path} has a non-string {keyword} ({contents[keyword]!r}). "
                f"Make {keyword} a URI string."
            )
    declared = contents.get("$id")
    uri = _normalise_uri(declared) if isinstance(declared, str) else path.resolve().as_uri()
    name = path.relative_to(schemas_dir).with_suffix("").as_posix()
    return SchemaEntry(name=name, path=path, uri=uri, contents=contents)
