"""Load a workspace's catalog: parse, check each document against the schema, index entities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from opsconsole.catalog.findings import Finding
from opsconsole.catalog.gc import gc_paused
from opsconsole.catalog.loader import Document, catalog_files, load_documents
from opsconsole.catalog.model import Entity, EntityRef, Touchpoint, entity_from_document
from opsconsole.catalog.schema import check_document
from opsconsole.errors import WorkspaceError


@dataclass
class Catalog:
    """The valid entities of a workspace, indexed by reference."""

    root: Path
    entities: list[Entity] = field(default_factory=list)
    # References of documents that failed the schema: other entities may still point at them.
    invalid_refs: set[EntityRef] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._index: dict[EntityRef, Entity] = {}
        self._by_kind: dict[str, list[Entity]] = {}
        for entity in self.entities:
            self._index.setdefault(entity.ref, entity)
            self._by_kind.setdefault(entity.kind.lower(), []).append(entity)
        self._touchpoints = [e for e in self.entities if isinstance(e, Touchpoint)]
        self._middleware = [
            system for system in self.of_kind("system") if system.spec.get("type") == "middleware"
        ]
        self._middleware_refs = {system.ref for system in self._middleware}

    def get(self, ref: EntityRef) -> Entity | None:
        """Return the entity with reference `ref`, or None."""
        return self._index.get(ref)

    def resolve(self, text: str, default_kind: str) -> Entity | None:
        """Return the entity a reference string such as 'system:erp' points to, or None."""
        return self._index.get(EntityRef.parse(text, default_kind))

    def of_kind(self, kind: str) -> list[Entity]:
        """Return the entities of `kind` (case-insensitive), in file order."""
        return list(self._by_kind.get(kind.lower(), []))

    @property
    def touchpoints(self) -> list[Touchpoint]:
        """Every touchpoint, in file order."""
        return self._touchpoints

    @property
    def systems(self) -> list[Entity]:
        """Every system, in file order."""
        return self.of_kind("system")

    def system_name(self, ref: str) -> str:
        """Short name of the system that `ref` points to, or `ref` itself if unresolved."""
        return EntityRef.parse(ref, "system").name

    def is_middleware(self, ref: str) -> bool:
        """Tell whether `ref` points to a system of type middleware."""
        return EntityRef.parse(ref, "system") in self._middleware_refs

    def middleware(self) -> list[Entity]:
        """Systems of type middleware, the hubs touchpoints should run through."""
        return list(self._middleware)


@dataclass
class LoadResult:
    """A loaded catalog and the findings made while loading it."""

    catalog: Catalog
    documents: list[Document]
    findings: list[Finding]


def load_catalog(root: Path, catalog_dir: Path | None = None) -> LoadResult:
    """Load every YAML file under `catalog_dir` (default: `root`/catalog).

    Raises:
        WorkspaceError: the catalog folder does not exist.
    """
    folder = catalog_dir or root / "catalog"
    if not folder.is_dir():
        raise WorkspaceError(
            f"Catalog folder {folder} not found. Create it, or pass --workspace DIR pointing to "
            "a folder that contains catalog/."
        )
    with gc_paused():
        documents, problems = load_documents(catalog_files(folder), root)
        catalog, schema_findings = build_catalog(root, documents)
    findings = [
        Finding(rule="yaml-syntax", severity="error", message=p.message, file=p.file, line=p.line)
        for p in problems
    ]
    return LoadResult(catalog, documents, findings + schema_findings)


def build_catalog(root: Path, documents: Iterable[Document]) -> tuple[Catalog, list[Finding]]:
    """Check `documents` against the schema and index the ones that pass."""
    entities: list[Entity] = []
    invalid: set[EntityRef] = set()
    findings: list[Finding] = []
    for document in documents:
        problems = check_document(document)
        if problems:
            findings.extend(problems)
            invalid.update(_ref_of_invalid(document))
            continue
        entities.append(entity_from_document(document.data, document.file, document.line))
    return Catalog(root, entities, invalid), findings


def _ref_of_invalid(document: Document) -> list[EntityRef]:
    data = document.data
    if not isinstance(data, dict) or not isinstance(data.get("metadata"), dict):
        return []
    name, kind = data["metadata"].get("name"), data.get("kind")
    if not isinstance(name, str) or not isinstance(kind, str):
        return []
    namespace = data["metadata"].get("namespace", "default")
    return [EntityRef(kind.lower(), str(namespace), name)]
