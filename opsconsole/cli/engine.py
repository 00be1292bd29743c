"""`opsconsole engine`: run the reference sync engine on its own."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from pydantic import ValidationError as PydanticValidationError

from opsconsole.engine.app import create_app
from opsconsole.engine.settings import EngineSettings
from opsconsole.errors import ConfigError, WorkspaceError
from opsconsole.logs import configure_logging
from opsconsole.serve import require_loopback, serve_in_thread
from opsconsole.store.db import sqlite_url
from opsconsole.wire import DEFAULT_CRM_PORT, DEFAULT_ENGINE_PORT, DEFAULT_ERP_PORT, DEFAULT_HOST
from opsconsole.workspace import find_workspace

app = typer.Typer(help="Run the reference sync engine on its own.", no_args_is_help=True)


@app.command("serve")
def serve(
    host: str = typer.Option(DEFAULT_HOST, help="Loopback address to listen on: 127.0.0.1 or ::1."),
    port: int = typer.Option(
        DEFAULT_ENGINE_PORT, min=0, max=65535, help="TCP port. 0 picks a free one."
    ),
    database_url: str = typer.Option(
        "",
        envvar="OPSCONSOLE_DATABASE_URL",
        help="SQLAlchemy URL of the store, e.g. postgresql+psycopg://user@host/db. "
        "Default: a SQLite file engine.sqlite in the state folder.",
    ),
    crm_url: str = typer.Option(
        f"https://{DEFAULT_HOST}:{DEFAULT_CRM_PORT}", help="Base URL of the CRM (Salesforce REST)."
    ),
    crm_client_id: str = typer.Option("opsconsole-engine", help="OAuth client ID at the CRM."),
    crm_client_secret: str = typer.Option(
        ..., envvar="OPSCONSOLE_CRM_CLIENT_SECRET", help="OAuth client secret at the CRM."
    ),
    crm_ca_file: Path | None = typer.Option(
        None,
        exists=True,
        dir_okay=False,
        help="PEM CA bundle to trust for the CRM's TLS, e.g. the sandbox's "
        ".opsconsole/tls/sandbox-ca.pem. Default: the system's trust store.",
    ),
    erp_url: str = typer.Option(
        f"http://{DEFAULT_HOST}:{DEFAULT_ERP_PORT}", help="Base URL of the ERP (NetSuite REST)."
    ),
    erp_client_id: str = typer.Option("opsconsole-engine", help="OAuth client ID at the ERP."),
    erp_client_secret: str = typer.Option(
        ..., envvar="OPSCONSOLE_ERP_CLIENT_SECRET", help="OAuth client secret at the ERP."
    ),
    crm_webhook_secret: list[str] = typer.Option(
        ...,
        envvar="OPSCONSOLE_CRM_WEBHOOK_SECRET",
        help="HMAC secret of CRM webhooks. Repeat to accept an old and a new one while rotating.",
    ),
    erp_event_secret: list[str] = typer.Option(
        ...,
        envvar="OPSCONSOLE_ERP_EVENT_SECRET",
        help="HMAC secret of ERP events. Repeat to accept an old and a new one while rotating.",
    ),
    max_attempts: int = typer.Option(
        6, min=1, help="Delivery attempts before an outbound call goes to the dead-letter queue."
    ),
    worker: bool = typer.Option(
        True, help="Process the inbox and outbox in this process; --no-worker only takes events."
    ),
    state_dir: Path | None = typer.Option(
        None,
        help="Folder for the default SQLite store. Default: .opsconsole/ in the workspace, "
        "else in the current folder.",
    ),
) -> None:
    """Serve the engine on loopback until Ctrl-C: webhooks, system API, ops API, metrics."""
    configure_logging("INFO")
    folder = state_dir or _default_state_dir()
    settings = _settings(
        database_url=database_url or sqlite_url(folder / "engine.sqlite"),
        crm_base_url=crm_url,
        crm_client_id=crm_client_id,
        crm_client_secret=crm_client_secret,
        crm_ca_file=str(crm_ca_file) if crm_ca_file else None,
        erp_base_url=erp_url,
        erp_client_id=erp_client_id,
        erp_client_secret=erp_client_secret,
        crm_webhook_secrets=crm_webhook_secret,
        erp_event_secrets=erp_event_secret,
        max_attempts=max_attempts,
        run_worker=worker,
    )
    server = serve_in_thread(
        create_app(settings), name="engine", host=require_loopback(host, "The engine"), port=port
    )
    typer.echo(f"Engine listening on {server.url} (store: {settings.database_url}).")
    typer.echo(f"CRM webhooks: {server.url}/webhooks/crm  ERP events: {server.url}/events/erp")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        typer.echo("Stopping the engine.")
    finally:
        server.stop()


def _settings(**values: object) -> EngineSettings:
    try:
        return EngineSettings.model_validate(values)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"Engine setting {field!r} is invalid: {first['msg']}.") from exc


def _default_state_dir() -> Path:
    try:
        return find_workspace().state_dir
    except WorkspaceError:
        return Path.cwd() / ".opsconsole"
