"""The committed OpenAPI documents are what the code generates."""

from __future__ import annotations

from pathlib import Path

import yaml

from opsconsole.contracts.openapi_export import check_documents, export_documents
from opsconsole.workspace import Workspace

EXAMPLE = Workspace(Path(__file__).resolve().parents[2])


def test_committed_documents_match_the_code() -> None:
    states = check_documents(EXAMPLE.openapi_dir)

    stale = [f"{state.path.name}: {state.status}" for state in states]
    assert all(state.status == "unchanged" for state in states), (
        f"{stale}; run `opsconsole contracts export-openapi` and commit the result"
    )


def test_export_writes_yaml_per_app(tmp_path: Path) -> None:
    states = export_documents(tmp_path, ("engine",))

    document = yaml.safe_load((tmp_path / "engine.yaml").read_text(encoding="utf-8"))
    assert [state.status for state in states] == ["written"]
    assert document["paths"]["/webhooks/crm"]["post"]["responses"]["401"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }


def test_check_reports_edited_document(tmp_path: Path) -> None:
    export_documents(tmp_path, ("erp",))
    path = tmp_path / "erp.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "x-edited: true\n", encoding="utf-8")

    states = check_documents(tmp_path, ("erp", "crm"))

    assert [(state.api, state.status) for state in states] == [
        ("erp", "differs"),
        ("crm", "missing"),
    ]
