"""Start a CRM or ERP sandbox on its own, as `opsconsole sandbox serve` does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from opsconsole.sandboxes.crm.app import CrmSettings
from opsconsole.sandboxes.crm.app import create_app as create_crm_app
from opsconsole.sandboxes.erp.app import ErpSettings
from opsconsole.sandboxes.erp.app import create_app as create_erp_app
from opsconsole.sandboxes.tls import local_tls
from opsconsole.serve import RunningServer, serve_in_thread
from opsconsole.wire import DEFAULT_CRM_PORT, DEFAULT_ERP_PORT

DEFAULT_CLIENT_IDS = ("opsconsole-engine", "opsconsole-synthetic")
CRM_WEBHOOK_PATH = "/webhooks/crm"
ERP_EVENTS_PATH = "/events/erp"


class SandboxKind(StrEnum):
    """Which sandbox to serve."""

    CRM = "crm"
    ERP = "erp"


DEFAULT_PORTS = {SandboxKind.CRM: DEFAULT_CRM_PORT, SandboxKind.ERP: DEFAULT_ERP_PORT}


@dataclass
class SandboxOptions:
    """How to serve one sandbox; secrets left empty are generated."""

    kind: SandboxKind
    host: str
    port: int
    engine_url: str | None
    state_dir: Path
    event_secret: str = ""
    clients: dict[str, str] = field(default_factory=dict)


@dataclass
class StartedSandbox:
    """A running sandbox and what a client needs to reach it."""

    server: RunningServer
    event_url: str | None
    event_secret: str
    clients: dict[str, str]
    ca_file: Path | None


def start_sandbox(options: SandboxOptions) -> StartedSandbox:
    """Serve the sandbox in a background thread and return once it accepts requests.

    Raises:
        ConfigError: the port is taken or the server did not start.
    """
    secret = options.event_secret or secrets.token_urlsafe(24)
    clients = options.clients or {cid: secrets.token_urlsafe(24) for cid in DEFAULT_CLIENT_IDS}
    engine = options.engine_url.rstrip("/") if options.engine_url else None
    if options.kind is SandboxKind.CRM:
        event_url = f"{engine}{CRM_WEBHOOK_PATH}" if engine else None
        tls = local_tls(options.state_dir)
        app = create_crm_app(
            CrmSettings(engine_webhook_url=event_url, webhook_secret=secret, clients=clients)
        )
        server = serve_in_thread(
            app, name="CRM sandbox", host=options.host, port=options.port, tls=tls.server
        )
        return StartedSandbox(server, event_url, secret, clients, tls.ca_file)
    event_url = f"{engine}{ERP_EVENTS_PATH}" if engine else None
    app = create_erp_app(
        ErpSettings(engine_event_url=event_url, event_secret=secret, clients=clients)
    )
    server = serve_in_thread(app, name="ERP sandbox", host=options.host, port=options.port)
    return StartedSandbox(server, event_url, secret, clients, None)
