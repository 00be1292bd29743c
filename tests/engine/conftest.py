"""Fixtures that run the engine between the real CRM and ERP sandboxes on loopback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Tests are imported by path (importlib mode), so the helper module next to this file is put
# on sys.path once for every test module in this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_support import (
    CRM_SECRET,
    ERP_SECRET,
    FAST_DELIVERY,
    SANDBOX_CLIENTS,
    Crm,
    Erp,
    Harness,
    crm_client,
    erp_client,
    make_settings,
)

from opsconsole.engine.app import create_app
from opsconsole.sandboxes.crm.app import CrmSettings
from opsconsole.sandboxes.crm.app import create_app as create_crm
from opsconsole.sandboxes.erp.app import ErpSettings
from opsconsole.sandboxes.erp.app import create_app as create_erp
from opsconsole.sandboxes.tls import LocalTLS, local_tls
from opsconsole.serve import RunningServer, reserve_port, serve_in_thread, url_for


@pytest.fixture(scope="session")
def sandbox_tls(tmp_path_factory: pytest.TempPathFactory) -> LocalTLS:
    return local_tls(tmp_path_factory.mktemp("sandbox-tls"))


@pytest.fixture
def harness_factory(tmp_path: Path, sandbox_tls: LocalTLS) -> Iterator[Callable[..., Harness]]:
    """Start the sandboxes and an engine with engine settings overrides.

    With `crm_events=False` the CRM sends no change events, so a test can deliver them itself.
    """
    servers: list[RunningServer] = []
    harnesses: list[Harness] = []

    def start(*, crm_events: bool = True, **overrides: Any) -> Harness:
        engine_socket = reserve_port(name="engine")
        engine_url = url_for(engine_socket)
        crm_settings = CrmSettings(
            engine_webhook_url=f"{engine_url}/webhooks/crm" if crm_events else None,
            webhook_secret=CRM_SECRET,
            clients=SANDBOX_CLIENTS,
            delivery=FAST_DELIVERY,
        )
        erp_settings = ErpSettings(
            engine_event_url=f"{engine_url}/events/erp",
            event_secret=ERP_SECRET,
            clients=SANDBOX_CLIENTS,
            delivery=FAST_DELIVERY,
        )

        crm = serve_in_thread(create_crm(crm_settings), name="crm", tls=sandbox_tls.server)
        servers.append(crm)
        erp = serve_in_thread(create_erp(erp_settings), name="erp")
        servers.append(erp)

        settings = make_settings(
            tmp_path, crm.url, erp.url, crm_ca_file=str(sandbox_tls.ca_file), **overrides
        )
        # The engine stops first: it keeps idle TLS connections that would hold the CRM's stop.
        servers.insert(0, serve_in_thread(create_app(settings), name="engine", sock=engine_socket))
        harness = Harness(
            engine_url,
            Crm(crm_client(crm.url, sandbox_tls.ca_file)),
            Erp(erp_client(erp.url)),
            settings,
        )

        harnesses.append(harness)
        # The tests' own token requests are not the engine's, so the logs start empty.
        harness.crm.http.delete("/sandbox/requests")
        harness.erp.http.delete("/sandbox/requests")
        return harness

    yield start
    for harness in harnesses:
        harness.crm.http.close()
        harness.erp.http.close()
    for server in servers:
        server.stop()


@pytest.fixture
def harness(harness_factory: Callable[..., Harness]) -> Harness:
    return harness_factory()
