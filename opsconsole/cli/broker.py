"""`opsconsole broker`: a local contract broker."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run a local Pact broker for small teams.", no_args_is_help=True)
