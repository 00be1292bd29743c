"""The core must not depend on the CLI or the TUI, so both stay thin shells."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "opsconsole"
SHELLS = ("opsconsole.cli", "opsconsole.console")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_cli_or_tui() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).parts
        if relative[0] in {"cli", "console", "__main__.py"}:
            continue
        for name in _imported_modules(path):
            if name.startswith(SHELLS):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []
