from __future__ import annotations

from pathlib import Path

import pytest

from opsconsole.errors import WorkspaceError
from opsconsole.workspace import find_workspace


def test_found_by_walking_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSCONSOLE_WORKSPACE", raising=False)
    (tmp_path / "catalog").mkdir()
    deep = tmp_path / "contracts" / "schemas"
    deep.mkdir(parents=True)
    assert find_workspace(start=deep).root == tmp_path.resolve()


def test_environment_variable_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSCONSOLE_WORKSPACE", str(tmp_path))
    assert find_workspace(start=Path("/")).root == tmp_path.resolve()


def test_missing_workspace_names_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSCONSOLE_WORKSPACE", raising=False)
    with pytest.raises(WorkspaceError, match="--workspace"):
        find_workspace(start=tmp_path)


def test_explicit_path_must_be_folder(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="is not a folder"):
        find_workspace(tmp_path / "nope")
