from __future__ import annotations

from pathlib import Path

import pytest

from opsconsole.contracts.fuzz import FuzzInputError, load_openapi
from opsconsole.contracts.fuzz_targets import workspace_openapi


def test_workspace_document_found_by_api_name(tmp_path: Path) -> None:
    (tmp_path / "engine.v1.yaml").write_text("openapi: 3.1.0\n", encoding="utf-8")
    (tmp_path / "crm.json").write_text("{}", encoding="utf-8")
    (tmp_path / "engine-notes.md").write_text("", encoding="utf-8")

    assert workspace_openapi(tmp_path, "engine") == tmp_path / "engine.v1.yaml"
    assert workspace_openapi(tmp_path, "crm") == tmp_path / "crm.json"
    assert workspace_openapi(tmp_path, "erp") is None
    assert workspace_openapi(tmp_path / "missing", "engine") is None


def test_several_documents_need_openapi_option(tmp_path: Path) -> None:
    (tmp_path / "engine.yaml").write_text("openapi: 3.1.0\n", encoding="utf-8")
    (tmp_path / "engine.v2.json").write_text("{}", encoding="utf-8")

    with pytest.raises(FuzzInputError, match="Pick one with --openapi FILE"):
        workspace_openapi(tmp_path, "engine")


def test_document_without_openapi_field_rejected(tmp_path: Path) -> None:
    path = tmp_path / "engine.yaml"
    path.write_text("swagger: '2.0'\n", encoding="utf-8")

    with pytest.raises(FuzzInputError, match="no top-level 'openapi' field"):
        load_openapi(path)
