"""The compiled schema check is cached per schema and still works where it cannot be cached."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from opsconsole.catalog.checkcache import CACHE_ENV, cached_check, default_cache_dir

SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
}
STRICTER = {**SCHEMA, "required": ["name", "size"]}


def _passes(check: Any, document: dict[str, Any]) -> bool:
    try:
        check(document)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def test_check_follows_the_schema(tmp_path: Path) -> None:
    check = cached_check(SCHEMA, tmp_path)

    assert _passes(check, {"name": "erp"})
    assert not _passes(check, {"name": 5})
    assert not _passes(check, {"size": 1})


def test_second_check_reads_cache_without_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached_check(SCHEMA, tmp_path)
    [cached] = tmp_path.iterdir()
    written = cached.read_bytes()

    def no_compiling(*args: object, **kwargs: object) -> str:
        raise AssertionError("the cached check was compiled again")

    monkeypatch.setattr(fastjsonschema, "compile_to_code", no_compiling)
    check = cached_check(SCHEMA, tmp_path)

    assert _passes(check, {"name": "erp"})
    assert not _passes(check, {"name": 5})
    assert cached.read_bytes() == written


def test_changed_schema_compiles_new_check(tmp_path: Path) -> None:
    loose = cached_check(SCHEMA, tmp_path)
    strict = cached_check(STRICTER, tmp_path)

    assert len(list(tmp_path.iterdir())) == 2
    assert _passes(loose, {"name": "erp"})
    assert not _passes(strict, {"name": "erp"})
    assert _passes(strict, {"name": "erp", "size": 3})


def test_unwritable_cache_folder_still_checks(tmp_path: Path) -> None:
    # A file where the folder should be: mkdir fails as it does on a read-only home.
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder", encoding="utf-8")

    check = cached_check(SCHEMA, blocked)

    assert _passes(check, {"name": "erp"})
    assert not _passes(check, {"name": 5})
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_damaged_cache_file_is_replaced(tmp_path: Path) -> None:
    cached_check(SCHEMA, tmp_path)
    [cached] = tmp_path.iterdir()
    cached.write_bytes(b"\x00 damaged")

    check = cached_check(SCHEMA, tmp_path)

    assert _passes(check, {"name": "erp"})
    assert not _passes(check, {"name": 5})
    assert cached.read_bytes() != b"\x00 damaged"
    assert [path.name for path in tmp_path.iterdir()] == [cached.name]


def test_cache_folder_comes_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"

    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "opsconsole"
