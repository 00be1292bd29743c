"""The workspace's own pacts: written by code, committed as written, verified by providers."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from opsconsole.contracts.pact.providers import EMBEDDED_PROVIDERS, embedded_provider
from opsconsole.contracts.pact.verify import VerificationRequest, verify_provider
from opsconsole.contracts.pact.workspace import write_workspace_pacts

REPOSITORY = Path(__file__).resolve().parents[2]
COMMITTED = REPOSITORY / "contracts" / "pacts"

PROVIDER_MODULES = {
    "crm": "opsconsole.sandboxes.crm.app",
    "erp": "opsconsole.sandboxes.erp.app",
    "sync-engine": "opsconsole.engine.app",
}


def _interactions(path: Path) -> list[object]:
    document = json.loads(path.read_text())
    return sorted(document["interactions"], key=lambda i: str(i["description"]))


def test_committed_pacts_match_the_code(tmp_path: Path) -> None:
    written = write_workspace_pacts(tmp_path)

    for path in written:
        committed = COMMITTED / path.name
        assert committed.is_file(), (
            f"{committed} is missing; run `opsconsole contracts write-pacts`"
        )
        assert _interactions(path) == _interactions(committed), (
            f"{committed.name} is stale; run `opsconsole contracts write-pacts`"
        )


def test_every_pact_has_an_embedded_provider() -> None:
    providers = {json.loads(p.read_text())["provider"]["name"] for p in COMMITTED.glob("*.json")}

    assert providers == set(EMBEDDED_PROVIDERS)


@pytest.mark.parametrize("provider", sorted(PROVIDER_MODULES))
def test_workspace_provider_verifies_its_pacts(provider: str, tmp_path: Path) -> None:
    if importlib.util.find_spec(PROVIDER_MODULES[provider]) is None:
        pytest.skip(f"{PROVIDER_MODULES[provider]} is not in this checkout yet")

    with embedded_provider(provider, tmp_path) as running:
        report = verify_provider(
            VerificationRequest(
                provider=provider,
                base_url=running.base_url,
                relay=running.relay,
                pact_paths=[COMMITTED],
                headers=running.headers,
            )
        )

    assert report.passed, [(c.name, c.message) for c in report.failures()]
    assert len(report.checks) >= 5
