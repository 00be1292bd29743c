"""Imports from Backstage files, OpenAPI documents and CSV spreadsheets yield valid entities."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsconsole.catalog.importers import (
    CatalogImportError,
    CsvMapping,
    import_backstage,
    import_csv,
    import_openapi,
    load_mapping,
    to_yaml,
)
from opsconsole.catalog.loader import Document
from opsconsole.catalog.schema import check_document

BACKSTAGE = """\
apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: erp
  uid: 3f2c0b8e
  annotations: {backstage.io/managed-by-location: "url:https://git.example.test/erp"}
spec:
  owner: group:finance
  type: erp
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: finance}
spec: {type: team}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: {name: jdoe}
spec: {memberOf: [finance]}
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: erp-records, description: Record API}
spec:
  type: openapi
  lifecycle: production
  owner: group:finance
  system: erp
  definition: {$text: ./openapi.yaml}
"""

OPENAPI = """\
openapi: 3.1.0
info:
  title: ERP Record Service
  version: 2.4.0
  description: |
    Sales orders, invoices and customers.
    Second line.
paths: {}
"""

SHEET = """\
Interface ID,Type,From,To,Data,Priority,Team,Max delay,Runs,Owner of data
SO-01,REST,crm,erp,Sales Order;Customer,P1,integration-team,10s,,Sales Order=erp
PAY-02,SFTP,bank,erp,Payment,P2,finance,24h,0 6 * * 1-5,
BAD-03,REST,,erp,Invoice,P3,finance,1h,,
"""

MAPPING = """\
columns:
  name: Interface ID
  mode: Type
  source: From
  target: To
  objects: Data
  criticality: Priority
  owner: Team
  latency: Max delay
  schedule: Runs
  system_of_record: Owner of data
values:
  mode: {REST: api, SFTP: file-transfer}
  criticality: {P1: critical, P2: high, P3: medium}
defaults:
  impact_category: revenue
"""


def _schema_problems(entities: list[dict[str, object]]) -> list[str]:
    return [f.message for e in entities for f in check_document(Document(e, "(test)"))]


def test_backstage_import_keeps_supported_kinds(tmp_path: Path) -> None:
    source = tmp_path / "catalog-info.yaml"
    source.write_text(BACKSTAGE, encoding="utf-8")

    result = import_backstage([source])

    assert [e["kind"] for e in result.entities] == ["System", "Group", "API"]
    assert len(result.skipped) == 1
    assert "'User'" in result.skipped[0]
    assert _schema_problems(result.entities) == []


def test_backstage_import_follows_locations(tmp_path: Path) -> None:
    (tmp_path / "teams").mkdir()
    (tmp_path / "teams" / "erp.yaml").write_text(BACKSTAGE, encoding="utf-8")
    root = tmp_path / "catalog-info.yaml"
    root.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: {name: all}\n"
        "spec:\n  targets: [./teams/erp.yaml, ./catalog-info.yaml, "
        "https://git.example.test/x.yaml]\n",
        encoding="utf-8",
    )

    result = import_backstage([root])

    assert [e["kind"] for e in result.entities] == ["System", "Group", "API"]
    assert any("is a URL, not followed" in note for note in result.skipped)


def test_backstage_import_drops_server_fields(tmp_path: Path) -> None:
    source = tmp_path / "catalog-info.yaml"
    source.write_text(BACKSTAGE, encoding="utf-8")

    system = import_backstage([source]).entities[0]

    assert "uid" not in system["metadata"]
    assert system["metadata"]["annotations"]


def test_openapi_import_makes_one_api_per_document(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    first = tmp_path / "contracts" / "erp.yaml"
    first.write_text(OPENAPI, encoding="utf-8")
    second = tmp_path / "contracts" / "crm.json"
    second.write_text('{"openapi": "3.0.3", "info": {"title": "CRM", "version": "1"}}', "utf-8")

    result = import_openapi([first, second], tmp_path, system="erp", owner="group:finance")
    api = result.entities[0]

    assert [e["metadata"]["name"] for e in result.entities] == ["erp-record-service", "crm"]
    assert api["metadata"]["description"] == "Sales orders, invoices and customers."
    assert api["metadata"]["labels"] == {"version": "2.4.0"}
    assert api["spec"]["definition"] == {"$text": "contracts/erp.yaml"}
    assert _schema_problems(result.entities) == []


def test_openapi_import_rejects_other_documents(tmp_path: Path) -> None:
    source = tmp_path / "notes.yaml"
    source.write_text("title: not an API\n", encoding="utf-8")

    with pytest.raises(CatalogImportError, match="no top-level 'openapi' field"):
        import_openapi([source], tmp_path, system="erp", owner="finance")


def test_csv_import_applies_column_and_value_mapping(tmp_path: Path) -> None:
    sheet = tmp_path / "inventory.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")

    result = import_csv(sheet, load_mapping(mapping))
    order, payment = result.entities

    assert order["metadata"]["name"] == "so-01"
    assert order["spec"]["mode"] == "api"
    assert order["spec"]["criticality"] == "critical"
    assert order["spec"]["objects"] == ["sales-order", "customer"]
    assert order["spec"]["systemOfRecord"] == [{"object": "sales-order", "system": "erp"}]
    assert payment["spec"]["mode"] == "file-transfer"
    assert payment["spec"]["schedule"] == "0 6 * * 1-5"
    assert _schema_problems(result.entities) == []


def test_csv_import_skips_rows_missing_required_values(tmp_path: Path) -> None:
    sheet = tmp_path / "inventory.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")

    result = import_csv(sheet, load_mapping(mapping))

    assert result.skipped == [f"{sheet}:4: empty source; row skipped."]


def test_csv_import_names_missing_column(tmp_path: Path) -> None:
    sheet = tmp_path / "inventory.csv"
    sheet.write_text(SHEET, encoding="utf-8")

    with pytest.raises(CatalogImportError, match="no column 'name'"):
        import_csv(sheet, CsvMapping())


def test_imported_yaml_loads_back(tmp_path: Path) -> None:
    source = tmp_path / "catalog-info.yaml"
    source.write_text(BACKSTAGE, encoding="utf-8")

    text = to_yaml(import_backstage([source]).entities)

    assert [doc["kind"] for doc in yaml.safe_load_all(text)] == ["System", "Group", "API"]


def test_slug_keeps_base_letters_of_accented_names() -> None:
    from opsconsole.catalog.importers import slug

    assert slug("ünï code") == "uni-code"
    assert slug("Nordwerk AG / Lager") == "nordwerk-ag-lager"
