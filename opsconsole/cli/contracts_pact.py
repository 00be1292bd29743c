"""`opsconsole contracts verify|publish|can-i-deploy|...`: Pact gates and the broker client."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the Pact commands to the contracts group."""
