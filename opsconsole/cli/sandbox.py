"""`opsconsole sandbox`: the vendor-compatible CRM and ERP emulators."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opsconsole.errors import ConfigError, WorkspaceError
from opsconsole.sandboxes.launch import (
    DEFAULT_PORTS,
    SandboxKind,
    SandboxOptions,
    StartedSandbox,
    start_sandbox,
)
from opsconsole.serve import require_loopback
from opsconsole.wire import DEFAULT_ENGINE_PORT, DEFAULT_HOST
from opsconsole.workspace import find_workspace

app = typer.Typer(help="Serve the CRM or ERP sandbox on its own.", no_args_is_help=True)

_DEFAULT_ENGINE_URL = f"http://{DEFAULT_HOST}:{DEFAULT_ENGINE_PORT}"


@app.command("serve")
def serve(
    kind: SandboxKind = typer.Argument(
        ..., help="crm: Salesforce REST subset over HTTPS. erp: NetSuite REST subset over HTTP."
    ),
    host: str = typer.Option(DEFAULT_HOST, help="Loopback address to listen on: 127.0.0.1 or ::1."),
    port: int | None = typer.Option(
        None,
        min=0,
        max=65535,
        help=f"TCP port; 0 picks a free one. Default: {DEFAULT_PORTS[SandboxKind.CRM]} for "
        f"the CRM, {DEFAULT_PORTS[SandboxKind.ERP]} for the ERP.",
    ),
    engine_url: str = typer.Option(
        _DEFAULT_ENGINE_URL,
        help="Base URL of the sync engine that receives change events (POST /webhooks/crm "
        "or /events/erp). An empty string sends no events.",
    ),
    secret: str = typer.Option(
        "",
        envvar="OPSCONSOLE_SANDBOX_SECRET",
        help="HMAC secret that signs the change events; give the engine the same one. "
        "Generated and printed when empty.",
    ),
    client: list[str] = typer.Option(
        [],
        help="OAuth client as ID=SECRET; repeat for several. Default: opsconsole-engine and "
        "opsconsole-synthetic with generated secrets, printed at start.",
    ),
    state_dir: Path | None = typer.Option(
        None,
        help="Folder for the CRM's local CA and certificate, reused on the next start. "
        "Default: .opsconsole/ in the workspace, else in the current folder.",
    ),
) -> None:
    """Serve a sandbox on loopback until Ctrl-C, printing its URL and credentials."""
    options = SandboxOptions(
        kind=kind,
        host=require_loopback(host, "The sandbox"),
        port=DEFAULT_PORTS[kind] if port is None else port,
        engine_url=_engine_url(engine_url),
        state_dir=state_dir or _default_state_dir(),
        event_secret=secret,
        clients=_parse_clients(client),
    )
    started = start_sandbox(options)
    _print_started(kind, started)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        typer.echo("Stopping the sandbox.")
    finally:
        started.server.stop()


def _engine_url(value: str) -> str | None:
    if not value:
        return None
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"--engine-url {value!r} is not an http:// or https:// URL.")
    return value


def _parse_clients(values: list[str]) -> dict[str, str]:
    clients = {}
    for value in values:
        client_id, sep, client_secret = value.partition("=")
        if not sep or not client_id or not client_secret:
            raise ConfigError(f"--client {value!r} is not ID=SECRET, e.g. my-app=s3cret.")
        clients[client_id] = client_secret
    return clients


def _default_state_dir() -> Path:
    try:
        return find_workspace().state_dir
    except WorkspaceError:
        return Path.cwd() / ".opsconsole"


def _print_started(kind: SandboxKind, started: StartedSandbox) -> None:
    console = Console()
    table = Table(title=f"{kind.value.upper()} sandbox", show_header=False)
    table.add_row("URL", started.server.url)
    if started.ca_file is not None:
        table.add_row("CA file", str(started.ca_file))
    table.add_row("events to", started.event_url or "(none)")
    table.add_row("event secret", started.event_secret)
    for client_id, client_secret in started.clients.items():
        table.add_row(f"client {client_id}", client_secret)
    console.print(table)
    console.print("Press Ctrl-C to stop.")
