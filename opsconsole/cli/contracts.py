"""`opsconsole contracts`: schema checks, Pact verification and fuzzing as CI gates."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Contract gates: schemas, pacts, can-i-deploy, fuzzing.", no_args_is_help=True
)
