"""`opsconsole engine serve`: input checks that fail before anything starts."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from opsconsole.cli import engine
from opsconsole.cli._errors import ErrorReportingGroup

runner = CliRunner()


def _root() -> typer.Typer:
    root = typer.Typer(cls=ErrorReportingGroup)
    root.add_typer(engine.app, name="engine")
    return root


REQUIRED = [
    "--crm-client-secret",
    "c",
    "--erp-client-secret",
    "e",
    "--crm-webhook-secret",
    "w",
    "--erp-event-secret",
    "v",
]


def test_serve_rejects_non_loopback_host() -> None:
    result = runner.invoke(_root(), ["engine", "serve", "--host", "0.0.0.0", *REQUIRED])

    assert result.exit_code == 2
    assert "not a loopback address" in result.output


def test_serve_requires_client_secrets() -> None:
    result = runner.invoke(_root(), ["engine", "serve"], env={})

    assert result.exit_code == 2
    assert "--crm-client-secret" in result.output


def test_serve_help_names_every_option() -> None:
    result = runner.invoke(_root(), ["engine", "serve", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for option in ("--database-url", "--crm-ca-file", "--crm-webhook-secret", "--max-attempts"):
        assert option in result.output
