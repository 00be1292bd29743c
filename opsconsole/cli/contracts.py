"""`opsconsole contracts`: schema checks, Pact verification and fuzzing as CI gates."""

from __future__ import annotations

import typer

from opsconsole.cli import contracts_openapi, contracts_pact, contracts_schemas

app = typer.Typer(
    help="Contract gates: schemas, pacts, can-i-deploy, fuzzing.", no_args_is_help=True
)

contracts_schemas.register(app)
contracts_pact.register(app)
contracts_openapi.register(app)
