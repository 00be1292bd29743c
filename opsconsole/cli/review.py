"""`opsconsole review`: schema-change review."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Diff schemas, judge compatibility and track approvals.", no_args_is_help=True
)
