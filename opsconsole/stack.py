"""The embedded stack: the engine and the CRM and ERP sandboxes in one process on loopback.

Each service reads the others' URLs from its settings, and those URLs are only known once
ports are bound, so the stack reserves every socket first, then builds settings and apps,
then serves them. The engine starts first so that sandbox events find it.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import httpx

from opsconsole.errors import ConfigError
from opsconsole.serve import (
    RunningServer,
    require_loopback,
    reserve_port,
    serve_in_thread,
    url_for,
)
from opsconsole.synthetic.runner import Target
from opsconsole.wire import (
    DEFAULT_CRM_PORT,
    DEFAULT_ENGINE_PORT,
    DEFAULT_ERP_PORT,
    DEFAULT_HOST,
)

ENGINE_CLIENT_ID = "opsconsole-engine"
SYNTHETIC_CLIENT_ID = "opsconsole-synthetic"


@dataclass(frozen=True)
class StackOptions:
    """Listening address, ports and state folder of the embedded stack."""

    state_dir: Path
    host: str = DEFAULT_HOST
    engine_port: int = DEFAULT_ENGINE_PORT
    crm_port: int = DEFAULT_CRM_PORT
    erp_port: int = DEFAULT_ERP_PORT
    database_url: str | None = None


@dataclass(frozen=True)
class ClientCredentials:
    """An OAuth2 client-credentials pair."""

    client_id: str
    client_secret: str


@dataclass(frozen=True)
class StackInfo:
    """Everything a user or a script needs to talk to a running stack."""

    engine_url: str
    crm_url: str
    erp_url: str
    crm_ca_file: str
    database_url: str
    state_dir: str
    crm_client: ClientCredentials
    erp_client: ClientCredentials

    def to_dict(self) -> dict[str, Any]:
        """Return the info as JSON-ready data (client secrets included: they are local)."""
        return {
            "engine": {"url": self.engine_url, "database_url": self.database_url},
            "crm": {
                "url": self.crm_url,
                "ca_file": self.crm_ca_file,
                "client_id": self.crm_client.client_id,
                "client_secret": self.crm_client.client_secret,
                "token_url": f"{self.crm_url}/services/oauth2/token",
            },
            "erp": {
                "url": self.erp_url,
                "client_id": self.erp_client.client_id,
                "client_secret": self.erp_client.client_secret,
                "token_url": f"{self.erp_url}/services/rest/auth/oauth2/v1/token",
            },
            "state_dir": self.state_dir,
        }

    def synthetic_targets(self) -> dict[str, Target]:
        """Return the targets a synthetic scenario needs to reach this stack."""
        return {
            "crm": Target(
                self.crm_url,
                client_id=self.crm_client.client_id,
                client_secret=self.crm_client.client_secret,
                ca_file=self.crm_ca_file,
            ),
            "erp": Target(
                self.erp_url,
                client_id=self.erp_client.client_id,
                client_secret=self.erp_client.client_secret,
            ),
            "engine": Target(self.engine_url),
        }


@dataclass
class EmbeddedStack:
    """Start and stop the engine and both sandboxes together."""

    options: StackOptions
    servers: list[RunningServer] = field(default_factory=list)
    info: StackInfo | None = None
    _lock: TextIO | None = None

    def start(self) -> StackInfo:
        """Bind every port, then serve the engine, the CRM sandbox and the ERP sandbox.

        Raises:
            ConfigError: the host is not loopback, the state folder is in use, a port is
                taken, the store cannot be opened or a service did not start.
        """
        opts = self.options
        require_loopback(opts.host, "The embedded stack")
        opts.state_dir.mkdir(parents=True, exist_ok=True)
        self._lock = _lock_state_dir(opts.state_dir)
        sockets: list[socket.socket] = []
        try:
            for port, name in [
                (opts.engine_port, "engine"),
                (opts.crm_port, "CRM sandbox"),
                (opts.erp_port, "ERP sandbox"),
            ]:
                sockets.append(reserve_port(opts.host, port, name=name))
            return self._serve(*sockets)
        except BaseException:
            self.stop()
            for sock in sockets:
                sock.close()
            raise

    def _serve(
        self, engine_sock: socket.socket, crm_sock: socket.socket, erp_sock: socket.socket
    ) -> StackInfo:
        from opsconsole.engine.app import create_app as create_engine
        from opsconsole.engine.settings import EngineSettings
        from opsconsole.sandboxes.crm.app import CrmSettings
        from opsconsole.sandboxes.crm.app import create_app as create_crm
        from opsconsole.sandboxes.erp.app import ErpSettings
        from opsconsole.sandboxes.erp.app import create_app as create_erp
        from opsconsole.sandboxes.tls import local_tls

        opts = self.options
        engine_url = url_for(engine_sock)
        crm_url = url_for(crm_sock, tls=True)
        erp_url = url_for(erp_sock)
        tls = local_tls(opts.state_dir)

        engine_crm = _new_client(ENGINE_CLIENT_ID)
        engine_erp = _new_client(ENGINE_CLIENT_ID)
        synthetic_crm = _new_client(SYNTHETIC_CLIENT_ID)
        synthetic_erp = _new_client(SYNTHETIC_CLIENT_ID)
        crm_secret = secrets.token_urlsafe(24)
        erp_secret = secrets.token_urlsafe(24)
        database_url = opts.database_url or f"sqlite:///{opts.state_dir / 'engine.sqlite'}"

        engine = create_engine(
            EngineSettings(
                database_url=database_url,
                crm_base_url=crm_url,
                crm_client_id=engine_crm.client_id,
                crm_client_secret=engine_crm.client_secret,
                crm_ca_file=str(tls.ca_file),
                erp_base_url=erp_url,
                erp_client_id=engine_erp.client_id,
                erp_client_secret=engine_erp.client_secret,
                crm_webhook_secrets=[crm_secret],
                erp_event_secrets=[erp_secret],
            )
        )
        crm = create_crm(
            CrmSettings(
                engine_webhook_url=f"{engine_url}/webhooks/crm",
                webhook_secret=crm_secret,
                clients=_client_table(engine_crm, synthetic_crm),
            )
        )
        erp = create_erp(
            ErpSettings(
                engine_event_url=f"{engine_url}/events/erp",
                event_secret=erp_secret,
                clients=_client_table(engine_erp, synthetic_erp),
            )
        )
        self.servers.append(serve_in_thread(engine, name="engine", sock=engine_sock))
        self.servers.append(serve_in_thread(crm, name="CRM sandbox", sock=crm_sock, tls=tls.server))
        self.servers.append(serve_in_thread(erp, name="ERP sandbox", sock=erp_sock))
        self.info = StackInfo(
            engine_url=engine_url,
            crm_url=crm_url,
            erp_url=erp_url,
            crm_ca_file=str(tls.ca_file),
            database_url=database_url,
            state_dir=str(opts.state_dir),
            crm_client=synthetic_crm,
            erp_client=synthetic_erp,
        )
        return self.info

    def stop(self) -> None:
        """Stop the engine first, then the sandboxes.

        The engine keeps idle TLS connections to the CRM sandbox; stopping the sandbox first
        would make its server wait for them until its stop timeout.
        """
        while self.servers:
            self.servers.pop(0).stop()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def engine_stats(self) -> dict[str, Any]:
        """Return the engine's ops statistics (inbox, outbox, DLQ, duplicates ignored)."""
        if self.info is None:
            return {}
        response = httpx.get(f"{self.info.engine_url}/ops/stats", timeout=10, trust_env=False)
        response.raise_for_status()
        stats: dict[str, Any] = response.json()
        return stats

    def __enter__(self) -> EmbeddedStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _lock_state_dir(state_dir: Path) -> TextIO:
    """Hold an exclusive lock on the state folder for as long as the stack runs.

    Two engines on one SQLite file would each deliver the other's outbox to their own
    sandboxes, so a second stack on the same folder is stopped before it starts.

    Raises:
        ConfigError: another process holds the lock.
    """
    handle = (state_dir / "stack.lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise ConfigError(
            f"State folder {state_dir} is in use by another opsconsole stack (pid {owner}). "
            "Stop it, or pass --state-dir with another folder."
        ) from exc
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _new_client(client_id: str) -> ClientCredentials:
    return ClientCredentials(client_id, secrets.token_urlsafe(18))


def _client_table(*clients: ClientCredentials) -> dict[str, str]:
    return {client.client_id: client.client_secret for client in clients}
