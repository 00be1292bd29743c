"""Turn what teams already keep into catalog entities: Backstage files, OpenAPI, CSV sheets.

Each importer returns plain entity documents (dicts) ready to dump as YAML; the caller checks
them against the schema and writes them under catalog/.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from opsconsole.catalog.loader import parse_text
from opsconsole.errors import ConfigError

BACKSTAGE_KINDS = ("System", "Component", "API", "Group")
TOUCHPOINT_API_VERSION = "opsconsole.dev/v1alpha1"
_METADATA_KEYS = ("name", "namespace", "title", "description", "labels", "annotations", "tags")


class CatalogImportError(ConfigError):
    """A file to import is missing, unreadable or not the expected kind of document."""


class ImportResult(BaseModel):
    """Entities made by an importer, and the input it left out with the reason."""

    entities: list[dict[str, Any]] = []
    skipped: list[str] = []


def to_yaml(entities: Iterable[dict[str, Any]]) -> str:
    """Dump entities as one multi-document YAML text, keys in their natural order."""
    return yaml.safe_dump_all(list(entities), sort_keys=False, allow_unicode=True, width=100)


def slug(text: str) -> str:
    """Make an entity name: lower case, words joined by single hyphens, at most 63 characters.

    Accented letters keep their base letter ("Über Größe" becomes "uber-groe"), because entity
    names allow only ASCII and dropping the whole letter would change the word.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:63].strip("-") or "unnamed"


def import_backstage(paths: list[Path]) -> ImportResult:
    """Keep the System, Component, API and Group entities of Backstage catalog-info files.

    Location entities are followed to the local files they list. URL targets and missing
    files are skipped and reported.
    """
    result = ImportResult()
    queue = [path.resolve() for path in paths]
    seen: set[Path] = set()
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        for document in parse_text(_read(path), path.as_posix()):
            queue.extend(_keep_backstage(document.data, f"{path}:{document.line}", path, result))
    return result


def _keep_backstage(data: Any, label: str, path: Path, result: ImportResult) -> list[Path]:
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind == "Location":
        return _location_targets(data, label, path, result)
    if kind not in BACKSTAGE_KINDS:
        result.skipped.append(f"{label}: kind {kind!r} is not kept in the catalog.")
        return []
    result.entities.append(_backstage_entity(data))
    return []


def _location_targets(
    data: dict[str, Any], label: str, path: Path, result: ImportResult
) -> list[Path]:
    spec = data.get("spec") or {}
    targets = [*spec.get("targets", []), *([spec["target"]] if "target" in spec else [])]
    local = []
    for target in targets:
        if "://" in str(target):
            result.skipped.append(f"{label}: Location target {target} is a URL, not followed.")
            continue
        file = (path.parent / str(target)).resolve()
        if not file.is_file():
            result.skipped.append(f"{label}: Location target {file} not found.")
            continue
        local.append(file)
    return local


def _backstage_entity(data: dict[str, Any]) -> dict[str, Any]:
    metadata = {k: v for k, v in data.get("metadata", {}).items() if k in _METADATA_KEYS}
    spec = dict(data.get("spec") or {})
    if data["kind"] == "Group":
        spec.setdefault("children", [])
    return {
        "apiVersion": data.get("apiVersion", "backstage.io/v1alpha1"),
        "kind": data["kind"],
        "metadata": metadata,
        "spec": spec,
    }


def import_openapi(
    paths: list[Path], root: Path, system: str, owner: str, lifecycle: str = "production"
) -> ImportResult:
    """Make one API entity per OpenAPI document; its definition points to the file."""
    result = ImportResult()
    for path in paths:
        document = _openapi_document(path)
        info = document.get("info") or {}
        title = str(info.get("title") or path.stem)
        metadata: dict[str, Any] = {"name": slug(title), "title": title}
        description = str(info.get("description") or "").strip()
        if description:
            metadata["description"] = description.splitlines()[0]
        if info.get("version"):
            metadata["labels"] = {"version": str(info["version"])}
        result.entities.append(
            {
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "API",
                "metadata": metadata,
                "spec": {
                    "type": "openapi",
                    "lifecycle": lifecycle,
                    "owner": owner,
                    "system": system,
                    "definition": {"$text": _relative(path, root)},
                },
            }
        )
    return result


def _openapi_document(path: Path) -> dict[str, Any]:
    text = _read(path)
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise CatalogImportError(f"{path} is not valid JSON or YAML: {exc}") from exc
    if not isinstance(data, dict) or not ("openapi" in data or "swagger" in data):
        raise CatalogImportError(
            f"{path} is not an OpenAPI document: it has no top-level 'openapi' field."
        )
    return data


class CsvMapping(BaseModel):
    """Mapping from the columns of an inventory spreadsheet to touchpoint fields.

    `columns` maps a touchpoint field to the header of the column that contains it; `values` maps a
    field's spreadsheet values to catalog values (e.g. mode: {SFTP: file-transfer});
    `defaults` fills fields the sheet lacks.
    """

    columns: dict[str, str] = Field(default_factory=dict)
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    defaults: dict[str, str] = Field(default_factory=dict)
    list_separator: str = ";"


CSV_FIELDS = (
    "name",
    "title",
    "description",
    "mode",
    "source",
    "target",
    "objects",
    "direction",
    "criticality",
    "latency",
    "schedule",
    "impact_category",
    "impact",
    "owner",
    "runbook",
    "contracts",
    "monitors",
    "system_of_record",
    "data_classification",
    "residency",
    "process",
)
CSV_REQUIRED = ("name", "mode", "source", "target", "objects", "criticality")


def load_mapping(path: Path | None) -> CsvMapping:
    """Read a YAML column mapping; without one, columns are named like the fields."""
    if path is None:
        return CsvMapping()
    data = yaml.safe_load(_read(path)) or {}
    unknown = set(data.get("columns", {})) - set(CSV_FIELDS)
    if unknown:
        raise CatalogImportError(
            f"Mapping {path} names unknown fields: {', '.join(sorted(unknown))}. "
            f"Known fields: {', '.join(CSV_FIELDS)}."
        )
    return CsvMapping.model_validate(data)


def import_csv(path: Path, mapping: CsvMapping) -> ImportResult:
    """Make one Touchpoint per spreadsheet row, using `mapping` to find and translate values."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        headers = list(reader.fieldnames or [])
        _check_columns(path, headers, mapping)
        result = ImportResult()
        for number, row in enumerate(reader, start=2):
            values = _mapped_values(row, mapping)
            missing = [field for field in CSV_REQUIRED if not values.get(field)]
            if missing:
                result.skipped.append(f"{path}:{number}: empty {', '.join(missing)}; row skipped.")
                continue
            result.entities.append(_touchpoint_from_row(values, mapping.list_separator))
    return result


def _check_columns(path: Path, headers: Sequence[str], mapping: CsvMapping) -> None:
    for field in CSV_REQUIRED:
        column = mapping.columns.get(field, field)
        if column not in headers and field not in mapping.defaults:
            raise CatalogImportError(
                f"{path} has no column {column!r} for the touchpoint field '{field}'. Columns "
                f"found: {', '.join(headers)}. Map it in the mapping file under columns.{field}."
            )


def _mapped_values(row: dict[str, str], mapping: CsvMapping) -> dict[str, str]:
    values: dict[str, str] = {}
    for field in CSV_FIELDS:
        raw = (row.get(mapping.columns.get(field, field)) or "").strip()
        raw = raw or mapping.defaults.get(field, "")
        values[field] = mapping.values.get(field, {}).get(raw, raw)
    return values


def _touchpoint_from_row(values: dict[str, str], separator: str) -> dict[str, Any]:
    def items(field: str) -> list[str]:
        return [item.strip() for item in values[field].split(separator) if item.strip()]

    spec: dict[str, Any] = {
        "mode": values["mode"],
        "source": values["source"],
        "target": values["target"],
        "objects": [slug(item) for item in items("objects")],
        "direction": values["direction"] or "one-way",
        "criticality": values["criticality"],
        "latency": {"target": values["latency"] or "24h"},
        "failureImpact": {
            "category": values["impact_category"] or "internal",
            "description": values["impact"] or "Not stated in the inventory spreadsheet.",
        },
    }
    optional = {
        "process": values["process"],
        "schedule": values["schedule"],
        "owner": values["owner"],
        "runbook": values["runbook"],
        "dataClassification": values["data_classification"],
    }
    spec.update({key: value for key, value in optional.items() if value})
    if values["contracts"]:
        spec["contracts"] = [{"type": _contract_type(p), "path": p} for p in items("contracts")]
    if values["monitors"]:
        spec["monitors"] = [{"name": slug(m), "type": "metric"} for m in items("monitors")]
    if values["residency"]:
        spec["residency"] = items("residency")
    if values["system_of_record"]:
        spec["systemOfRecord"] = [_claim(item) for item in items("system_of_record")]
    metadata = {"name": slug(values["name"]), "title": values["title"] or values["name"]}
    if values["description"]:
        metadata["description"] = values["description"]
    return {
        "apiVersion": TOUCHPOINT_API_VERSION,
        "kind": "Touchpoint",
        "metadata": metadata,
        "spec": spec,
    }


def _contract_type(path: str) -> str:
    lowered = path.lower()
    if "pact" in lowered:
        return "pact"
    if "asyncapi" in lowered:
        return "asyncapi"
    if "openapi" in lowered:
        return "openapi"
    return "json-schema"


def _claim(text: str) -> dict[str, str]:
    # "invoice=erp" or "sales-order/shipped=wms": object, optional status, owning system.
    subject, _, system = text.partition("=")
    obj, _, status = subject.partition("/")
    claim = {"object": slug(obj), "system": system.strip()}
    if status:
        claim["status"] = status.strip()
    return claim


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogImportError(f"Cannot read {path}: {exc.strerror}. Check the path.") from exc


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
