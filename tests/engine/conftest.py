"""Fixtures that run the engine against fake CRM and ERP servers on loopback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Tests are imported by path (importlib mode), so the helper modules next to this file are
# put on sys.path once for every test module in this folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_fakes import FakeSystem, crm_app, erp_app
from engine_support import Harness, make_settings

from opsconsole.engine.app import create_app
from opsconsole.serve import RunningServer, serve_in_thread


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
