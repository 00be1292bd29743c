"""`opsconsole broker`: a local contract broker."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from opsconsole.broker.app import BrokerSettings, create_app
from opsconsole.broker.client import BrokerClient
from opsconsole.cli.contracts_pact import DEFAULT_BROKER_URL
from opsconsole.errors import ConfigError, WorkspaceError
from opsconsole.serve import serve_in_thread
from opsconsole.wire import DEFAULT_BROKER_PORT, DEFAULT_HOST
from opsconsole.workspace import find_workspace

app = typer.Typer(help="Run a local Pact broker for small teams.", no_args_is_help=True)

_LOOPBACK = {"127.0.0.1", "::1", "localhost"}


@app.command("serve")
def serve(
    host: str = typer.Option(DEFAULT_HOST, "--host", help="Loopback address to listen on."),
    port: int = typer.Option(DEFAULT_BROKER_PORT, "--port", help="TCP port (0 picks a free one)."),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="SQLAlchemy URL of the broker database, e.g. postgresql+psycopg://user@host/db. "
        "Default: a SQLite file in the workspace's .opsconsole folder.",
    ),
    schema: str | None = typer.Option(
        None, "--schema", help="PostgreSQL schema for the broker's tables (created if missing)."
    ),
    workspace: Path | None = typer.Option(None, "--workspace", help="Workspace folder."),
) -> None:
    """Serve the broker's HTTP API until Ctrl-C.

    Pact tools use it like a Pact Broker: publish pacts (`PUT /pacts/...` or
    `POST /contracts/publish`), fetch pacts for verification, publish verification results,
    record deployments and ask `can-i-deploy`.
    """
    if host not in _LOOPBACK:
        raise ConfigError(
            f"--host {host} is not a loopback address; the local broker has no authentication, "
            "so it listens on 127.0.0.1 or ::1 only."
        )
    url = database_url or _default_database(workspace)
    settings = BrokerSettings(database_url=url, schema_name=schema)
    with serve_in_thread(create_app(settings), name="broker", host=host, port=port) as server:
        typer.echo(f"Broker listening on {server.url} (database: {url}). Press Ctrl-C to stop.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("Stopping the broker.")


def _default_database(workspace: Path | None) -> str:
    try:
        folder = find_workspace(workspace).state_dir
    except WorkspaceError:
        folder = Path.cwd() / ".opsconsole"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'broker.sqlite'}"


@app.command("create-environment")
def create_environment(
    name: str = typer.Argument(..., help="Environment name, e.g. production."),
    production: bool = typer.Option(
        False, "--production", help="Mark it as a production environment."
    ),
    broker_url: str = typer.Option(
        DEFAULT_BROKER_URL, "--broker-url", help="Base URL of the broker."
    ),
) -> None:
    """Create an environment that deployments can be recorded to."""
    with BrokerClient(broker_url) as client:
        created = client.create_environment(name, production=production)
    typer.echo(f"Environment {created['name']} ({created['uuid']}) is ready.")
