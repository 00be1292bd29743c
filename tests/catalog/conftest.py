"""Small workspaces written into tmp_path: a CRM, an ERP, a hub, and touchpoints between them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

# Tests are imported by path (importlib mode), so the helper module next to this file is put
# on sys.path once for every test module in this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalog_fixtures import BASE_ENTITIES, WriteWorkspace


@pytest.fixture
def write_workspace(tmp_path: Path) -> WriteWorkspace:
    """Write base entities plus `touchpoints` (dicts) and `extra_files` (path → text)."""

    def write(*touchpoints: dict[str, Any], extra_files: dict[str, str] | None = None) -> Path:
        root = tmp_path / "workspace"
        (root / "catalog").mkdir(parents=True, exist_ok=True)
        (root / "contracts").mkdir(exist_ok=True)
        (root / "contracts" / "customer.json").write_text("{}", encoding="utf-8")
        (root / "catalog" / "base.yaml").write_text(
            yaml.safe_dump_all(BASE_ENTITIES, sort_keys=False), encoding="utf-8"
        )
        (root / "catalog" / "touchpoints.yaml").write_text(
            yaml.safe_dump_all(list(touchpoints), sort_keys=False), encoding="utf-8"
        )
        for relative, text in (extra_files or {}).items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return root

    return write
