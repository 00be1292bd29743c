from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opsconsole.review.diff import DiffResult, diff_sources
from opsconsole.review.model import Change

Differ = Callable[[Any, Any], DiffResult]


@pytest.fixture
def diff(tmp_path: Path) -> Differ:
    """Write two documents to files and diff them."""
    counter = iter(range(1000))

    def run(old: Any, new: Any) -> DiffResult:
        number = next(counter)
        old_path = tmp_path / f"old{number}.json"
        new_path = tmp_path / f"new{number}.json"
        old_path.write_text(json.dumps(old), encoding="utf-8")
        new_path.write_text(json.dumps(new), encoding="utf-8")
        return diff_sources(str(old_path), str(new_path))

    return run


def by_rule(result: DiffResult) -> dict[str, list[Change]]:
    """Group changes by rule ID."""
    grouped: dict[str, list[Change]] = {}
    for change in result.changes:
        grouped.setdefault(change.id, []).append(change)
    return grouped
