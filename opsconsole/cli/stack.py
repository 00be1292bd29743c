"""`opsconsole demo` and `opsconsole up`: the embedded stack."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the stack commands to the root app."""
