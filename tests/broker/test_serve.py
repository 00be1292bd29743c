"""`opsconsole broker serve` as its own process, with pact-python's Verifier pointed at it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsconsole.broker.client import BrokerClient
from opsconsole.contracts.pact.files import find_pacts
from opsconsole.contracts.pact.providers import embedded_provider
from opsconsole.contracts.pact.verify import (
    BrokerSource,
    PublishOptions,
    VerificationRequest,
    verify_provider,
)

REPOSITORY = Path(__file__).resolve().parents[2]
WORKSPACE_PACTS = REPOSITORY / "contracts" / "pacts"
PROVIDER_MODULES = {
    "crm": "opsconsole.sandboxes.crm.app",
    "erp": "opsconsole.sandboxes.erp.app",
    "sync-engine": "opsconsole.engine.app",
}


@pytest.fixture
def served_broker(tmp_path: Path) -> Iterator[str]:
    """Start `opsconsole broker serve --port 0` and return its URL."""
    command = [
        sys.executable,
        "-m",
        "opsconsole",
        "broker",
        "serve",
        "--port",
        "0",
        "--database-url",
        f"sqlite:///{tmp_path / 'broker.sqlite'}",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    log_path = tmp_path / "broker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
    try:
        yield _wait_for_url(log_path, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for_url(log_path: Path, process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"listening on (http://\S+) ", log_path.read_text())
        if found:
            return found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"broker serve did not start: {log_path.read_text()!r}")


def test_served_broker_verifies_workspace_pacts(served_broker: str, tmp_path: Path) -> None:
    with BrokerClient(served_broker) as client:
        for consumer in ("sync-engine", "ops-console"):
            pacts = [p for p in find_pacts([WORKSPACE_PACTS]) if p.consumer == consumer]
            client.publish(pacts, "c-1", branch="main")
        client.create_environment("production", production=True)

    verified = []
    for provider, module in sorted(PROVIDER_MODULES.items()):
        if importlib.util.find_spec(module) is None:
            continue
        with embedded_provider(provider, tmp_path / provider) as running:
            report = verify_provider(
                VerificationRequest(
                    provider=provider,
                    base_url=running.base_url,
                    relay=running.relay,
                    broker=BrokerSource(served_broker, [{"branch": "main"}]),
                    publish=PublishOptions(provider_version="p-1", branch="main"),
                    headers=running.headers,
                )
            )
        assert report.passed, [(c.name, c.message) for c in report.failures()]
        verified.append(provider)
    if not verified:
        pytest.skip("None of the workspace providers (engine, CRM and ERP sandboxes) is here yet")

    with BrokerClient(served_broker) as client:
        for provider in verified:
            client.record_deployment(provider, "p-1", "production")
        decision = client.can_i_deploy("sync-engine", "c-1", "production")
    if set(verified) >= {"crm", "erp"}:
        assert decision.deployable, decision.reasons
