"""`opsconsole sandbox`: the vendor-compatible CRM and ERP emulators."""

from __future__ import annotations

import typer

app = typer.Typer(help="Serve the CRM or ERP sandbox on its own.", no_args_is_help=True)
