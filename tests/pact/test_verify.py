"""Provider verification goes red on each real kind of break, and green on a kept contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from opsconsole.contracts.pact.relay import ProducedMessage, Relay
from opsconsole.contracts.pact.verify import VerificationRequest, verify_provider
from opsconsole.errors import ConfigError
from opsconsole.reports import CheckResult, CheckStatus, GateReport
from opsconsole.serve import RunningServer, serve_in_thread

PROVIDER = "customer-service"


def _verify(provider: RunningServer, pact_file: Path, relay: Relay) -> GateReport:
    request = VerificationRequest(
        provider=PROVIDER,
        base_url=provider.url,
        relay=relay,
        pact_paths=[pact_file],
    )
    return verify_provider(request)


def _check(report: GateReport, starts_with: str) -> CheckResult:
    found = [c for c in report.checks if c.name.startswith(starts_with)]
    assert len(found) == 1, [c.name for c in report.checks]
    return found[0]


def test_kept_contract_passes(provider: RunningServer, pact_file: Path, relay: Relay) -> None:
    report = _verify(provider, pact_file, relay)

    assert report.passed, [c.message for c in report.checks]
    assert len(report.checks) == 2
    assert report.exit_code == 0


def test_removed_response_field_fails(
    service: Any, provider: RunningServer, pact_file: Path, relay: Relay
) -> None:
    service.drop_field = "name"

    report = _verify(provider, pact_file, relay)

    check = _check(report, "a request for customer C-300")
    assert check.status is CheckStatus.FAILED
    assert "name" in check.message
    assert report.exit_code == 1


def test_changed_type_fails_with_diff(
    service: Any, provider: RunningServer, pact_file: Path, relay: Relay
) -> None:
    service.credit_limit_as_text = True

    report = _verify(provider, pact_file, relay)

    check = _check(report, "a request for customer C-300")
    assert check.status is CheckStatus.FAILED
    assert check.expected == {"$.credit_limit": 5000}
    assert check.actual == {"$.credit_limit": "5000"}


def test_raising_state_setup_is_an_error(
    provider: RunningServer, pact_file: Path, relay: Relay
) -> None:
    def broken(params: dict[str, Any]) -> None:
        raise RuntimeError(f"database is read-only, cannot create {params['name']}")

    relay.state_handlers = {"a customer exists": broken}

    report = _verify(provider, pact_file, relay)

    assert not report.passed
    for check in report.checks:
        assert check.status is CheckStatus.ERRORED
        assert "Provider state 'a customer exists'" in check.message
        assert "database is read-only" in check.message


def test_state_callback_answering_500_is_an_error(provider: RunningServer, pact_file: Path) -> None:
    callback = FastAPI()

    @callback.post("/pact-states")
    def fail() -> JSONResponse:
        return JSONResponse({"error": "seed script crashed"}, status_code=500)

    with serve_in_thread(callback, name="state callback") as server:
        callback_relay = Relay(state_url=f"{server.url}/pact-states")
        report = _verify(provider, pact_file, callback_relay)

    http = _check(report, "a request for customer C-300")
    assert http.status is CheckStatus.ERRORED
    assert "responded with 500" in http.message
    assert "a customer exists" in http.message


def test_missing_state_handler_is_an_error(
    provider: RunningServer, pact_file: Path, relay: Relay
) -> None:
    relay.state_handlers = {}

    report = _verify(provider, pact_file, relay)

    assert {c.status for c in report.checks} == {CheckStatus.ERRORED}
    assert "No provider state handler" in report.checks[0].message


def test_malformed_message_fails(provider: RunningServer, pact_file: Path, relay: Relay) -> None:
    def malformed(params: dict[str, Any]) -> ProducedMessage:
        event = {"type": "customer.created", "data": {"id": 300}}
        return ProducedMessage(json.dumps(event).encode())

    relay.message_producers = {"a customer.created event": malformed}

    report = _verify(provider, pact_file, relay)

    check = _check(report, "a customer.created event")
    assert check.status is CheckStatus.FAILED
    assert "$.data.id" in check.message or "$.data.id" in " ".join(check.details)
    assert _check(report, "a request for customer C-300").status is CheckStatus.PASSED


def test_message_that_is_not_json_fails(
    provider: RunningServer, pact_file: Path, relay: Relay
) -> None:
    relay.message_producers = {
        "a customer.created event": lambda params: ProducedMessage(b'{"type": "customer.cr')
    }

    report = _verify(provider, pact_file, relay)

    assert _check(report, "a customer.created event").is_failure


def test_pact_for_another_provider_is_rejected(
    provider: RunningServer, pact_file: Path, relay: Relay
) -> None:
    request = VerificationRequest(
        provider="someone-else", base_url=provider.url, relay=relay, pact_paths=[pact_file]
    )

    with pytest.raises(ConfigError, match=r"No pact in .* names provider 'someone-else'"):
        verify_provider(request)


def test_missing_pact_source_is_a_config_error(provider: RunningServer, tmp_path: Path) -> None:
    request = VerificationRequest(
        provider=PROVIDER,
        base_url=provider.url,
        relay=Relay(),
        pact_paths=[tmp_path / "absent.json"],
    )

    with pytest.raises(ConfigError, match="does not exist"):
        verify_provider(request)
