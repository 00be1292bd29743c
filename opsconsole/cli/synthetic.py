"""`opsconsole synthetic`: scheduled synthetic business transactions."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run synthetic transactions such as lead-to-cash.", no_args_is_help=True)
