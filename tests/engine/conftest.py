"""Fixtures that run the engine against fake CRM and ERP servers on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_fakes import FakeSystem, crm_app, erp_app

from opsconsole import wire
from opsconsole.engine.app import create_app
from opsconsole.engine.settings import EngineSettings
from opsconsole.serve import RunningServer, serve_in_thread
from opsconsole.store.db import sqlite_url

CRM_SECRET = "crm-webhook-secret"
ERP_SECRET = "erp-event-secret"
WAIT_SECONDS = 15.0


@dataclass
class Harness:
    """An engine served on loopback with fake CRM and ERP systems behind it."""

    url: str
    crm: FakeSystem
    erp: FakeSystem
    settings: EngineSettings

    def post_event(
        self, path: str, event: wire.CloudEvent, secret: str | None = None
    ) -> httpx.Response:
        """Sign `event` and POST it to the engine."""
        default = CRM_SECRET if path.startswith("/webhooks") else ERP_SECRET
        body, headers = wire.signed_headers(event, secret or default)
        return httpx.post(f"{self.url}{path}", content=body, headers=headers, timeout=10)

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET a path of the engine."""
        return httpx.get(f"{self.url}{path}", params=params, timeout=10)


def wait_until(check: Callable[[], Any], what: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after a while."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"Timed out waiting for {what}.")


def make_settings(tmp_path: Path, crm_url: str, erp_url: str, **overrides: Any) -> EngineSettings:
    """Return engine settings for a SQLite file under `tmp_path`."""
    values: dict[str, Any] = {
        "database_url": sqlite_url(tmp_path / "engine.db"),
        "crm_base_url": crm_url,
        "crm_client_secret": "crm-client-secret",
        "erp_base_url": erp_url,
        "erp_client_secret": "erp-client-secret",
        "crm_webhook_secrets": [CRM_SECRET],
        "erp_event_secrets": [ERP_SECRET],
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.2,
        "max_attempts": 3,
    }
    values.update(overrides)
    return EngineSettings(**values)


@pytest.fixture
def fake_crm() -> Iterator[tuple[FakeSystem, RunningServer]]:
    system = FakeSystem()
    with serve_in_thread(crm_app(system), name="fake-crm") as server:
        yield system, server


@pytest.fixture
def fake_erp() -> Iterator[tuple[FakeSystem, RunningServer]]:
    system = FakeSystem()
    with serve_in_thread(erp_app(system), name="fake-erp") as server:
        yield system, server


@pytest.fixture
def harness_factory(
    tmp_path: Path,
    fake_crm: tuple[FakeSystem, RunningServer],
    fake_erp: tuple[FakeSystem, RunningServer],
) -> Iterator[Callable[..., Harness]]:
    servers: list[RunningServer] = []

    def start(**overrides: Any) -> Harness:
        settings = make_settings(tmp_path, fake_crm[1].url, fake_erp[1].url, **overrides)
        server = serve_in_thread(create_app(settings), name="engine")
        servers.append(server)
        return Harness(server.url, fake_crm[0], fake_erp[0], settings)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def harness(harness_factory: Callable[..., Harness]) -> Harness:
    return harness_factory()
