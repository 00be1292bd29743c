"""`opsconsole contracts validate|lint|fuzz`: schema and property-based API gates."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the schema and fuzzing commands to the contracts group."""
