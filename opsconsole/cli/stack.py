"""`opsconsole demo` and `opsconsole up`: the embedded stack.

The root command imports this module on every run, so the stack, the synthetic runner and
their web frameworks are imported inside the commands: `opsconsole catalog validate` would
otherwise spend half a second loading uvicorn and httpx it never uses.
"""

from __future__ import annotations

import json
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from opsconsole.errors import WorkspaceError
from opsconsole.logs import configure_logging
from opsconsole.wire import DEFAULT_CRM_PORT, DEFAULT_ENGINE_PORT, DEFAULT_ERP_PORT, DEFAULT_HOST
from opsconsole.workspace import find_workspace

if TYPE_CHECKING:
    from opsconsole.stack import StackInfo


class LogLevel(StrEnum):
    """Log levels `up` accepts."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def register(app: typer.Typer) -> None:
    """Add the stack commands to the root app."""
    app.command("demo")(demo)
    app.command("up")(up)


def demo(
    orders: int = typer.Option(20, "--orders", min=1, help="Number of lead-to-cash orders to run."),
    concurrency: int = typer.Option(
        4, "--concurrency", min=1, max=64, help="Orders in flight at once."
    ),
    json_file: Path | None = typer.Option(
        None, "--json", help="Also write the report as JSON to this file."
    ),
    junit_file: Path | None = typer.Option(
        None, "--junit", help="Also write one JUnit test case per order to this file."
    ),
    state_dir: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Keep the engine's SQLite database and the local CA here. "
        "Default: a temporary folder removed afterwards.",
    ),
    scenario: Path | None = typer.Option(
        None,
        "--scenario",
        help="Scenario file to run. Default: synthetic/lead-to-cash.yaml of the workspace, "
        "or the one that ships with opsconsole.",
    ),
) -> None:
    """Run the engine and the CRM and ERP sandboxes here, push orders through lead to cash,
    and report timings, API success rate, duplicates and failures.

    Everything runs in this process on free loopback ports with SQLite. The exit status is 0
    only when every order met every assertion of the scenario.
    """
    from opsconsole.cli._synthetic_view import print_summary, progress_bar, report_console
    from opsconsole.cli.synthetic import run_embedded_batch
    from opsconsole.stack import EmbeddedStack, StackOptions
    from opsconsole.synthetic.model import load_scenario

    configure_logging("WARNING")
    console = report_console()
    loaded = load_scenario(scenario or _default_scenario())
    with _state_folder(state_dir) as folder:
        options = StackOptions(state_dir=folder, engine_port=0, crm_port=0, erp_port=0)
        console.print(f"Starting the engine and the sandboxes (state in {folder}) ...")
        with EmbeddedStack(options) as stack:
            assert stack.info is not None
            _print_urls(console, stack.info)
            try:
                with progress_bar(console, orders, "lead-to-cash") as on_event:
                    summary = run_embedded_batch(
                        stack, loaded, orders, concurrency, on_event, json_file, junit_file
                    )
            except KeyboardInterrupt:
                console.print("Interrupted: stopping the engine and the sandboxes.")
                raise typer.Exit(130) from None
            engine_stats = stack.engine_stats()
        print_summary(console, summary, engine_stats)
    if not summary.ok:
        raise typer.Exit(1)


def up(
    host: str = typer.Option(
        DEFAULT_HOST, help="Loopback address to listen on (127.0.0.1 or ::1); others are rejected."
    ),
    engine_port: int = typer.Option(
        DEFAULT_ENGINE_PORT,
        min=0,
        max=65535,
        help="Port of the engine (http); 0 picks a free port.",
    ),
    crm_port: int = typer.Option(
        DEFAULT_CRM_PORT,
        min=0,
        max=65535,
        help="Port of the CRM sandbox (https); 0 picks a free port.",
    ),
    erp_port: int = typer.Option(
        DEFAULT_ERP_PORT,
        min=0,
        max=65535,
        help="Port of the ERP sandbox (http); 0 picks a free port.",
    ),
    state_dir: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Folder for the engine database and the local CA. "
        "Default: .opsconsole/ in the workspace, or in the current folder.",
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="SQLAlchemy URL of the engine store. Default: SQLite."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object with URLs and credentials once ready."
    ),
    log_level: LogLevel = typer.Option(
        "INFO", "--log-level", help="Lowest level of log lines written to standard error."
    ),
) -> None:
    """Run the engine and the CRM and ERP sandboxes in the foreground until Ctrl-C.

    Prints each service's URL, the sandbox client credentials and the CA file that the CRM's
    TLS certificate chains to.
    """
    from opsconsole.stack import EmbeddedStack, StackOptions

    folder = state_dir or _default_state_dir()
    options = StackOptions(
        state_dir=folder,
        host=host,
        engine_port=engine_port,
        crm_port=crm_port,
        erp_port=erp_port,
        database_url=database_url,
    )
    configure_logging(log_level.value)
    console = Console(stderr=as_json)
    with EmbeddedStack(options) as stack:
        assert stack.info is not None
        if as_json:
            typer.echo(json.dumps(stack.info.to_dict()), nl=True)
        else:
            _print_urls(console, stack.info, credentials=True)
            console.print("Press Ctrl-C to stop.")
        # SIGTERM (from a service manager or `kill`) stops the stack the same way as Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            if not as_json:
                console.print("Stopping ...")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _print_urls(console: Console, info: StackInfo, *, credentials: bool = False) -> None:
    console.print(f"  engine       {info.engine_url}")
    console.print(f"  CRM sandbox  {info.crm_url}  (CA: {info.crm_ca_file})")
    console.print(f"  ERP sandbox  {info.erp_url}")
    if credentials:
        console.print(
            f"  CRM client   {info.crm_client.client_id} / {info.crm_client.client_secret}"
        )
        console.print(
            f"  ERP client   {info.erp_client.client_id} / {info.erp_client.client_secret}"
        )
        console.print(f"  database     {info.database_url}")


def _default_scenario() -> Path:
    from opsconsole.synthetic.scenarios import LEAD_TO_CASH

    try:
        candidate = find_workspace().synthetic_dir / "lead-to-cash.yaml"
    except WorkspaceError:
        return LEAD_TO_CASH
    return candidate if candidate.is_file() else LEAD_TO_CASH


def _default_state_dir() -> Path:
    try:
        return find_workspace().state_dir
    except WorkspaceError:
        return Path.cwd() / ".opsconsole"


@contextmanager
def _state_folder(explicit: Path | None) -> Iterator[Path]:
    if explicit is not None:
        explicit.mkdir(parents=True, exist_ok=True)
        yield explicit
        return
    with tempfile.TemporaryDirectory(prefix="opsconsole-demo-") as folder:
        yield Path(folder)
