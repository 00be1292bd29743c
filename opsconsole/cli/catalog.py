"""`opsconsole catalog`: the touchpoint inventory."""

from __future__ import annotations

import typer

app = typer.Typer(help="Validate, list and report the touchpoint catalog.", no_args_is_help=True)
