"""Provider verification with pact-python's Verifier, reported as a gate.

The verifier replays each HTTP interaction against the running provider and fetches each
message from the relay, after setting up the interaction's provider states through the
relay. Every interaction becomes one check: passed, failed (a mismatch) or errored (the
provider state, the message producer or the request could not run). A run that verifies no
interaction at all is an error, never a pass.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pact import Verifier

from opsconsole.contracts.pact.files import pacts_for_provider
from opsconsole.contracts.pact.relay import MESSAGE_PATH, STATE_PATH, Relay, create_relay_app
from opsconsole.errors import ConfigError
from opsconsole.reports import CheckResult, CheckStatus, GateReport
from opsconsole.serve import serve_in_thread

GATE_NAME = "contracts verify"


@dataclass(frozen=True)
class BrokerSource:
    """Fetch pacts from a broker with consumer version selectors, and maybe publish results."""

    url: str
    selectors: Sequence[dict[str, Any]] = ()
    provider_branch: str | None = None
    token: str | None = None


@dataclass(frozen=True)
class PublishOptions:
    """The provider version (and branch and tags) to record verification results under."""

    provider_version: str
    branch: str | None = None
    tags: Sequence[str] = ()
    build_url: str | None = None


@dataclass
class VerificationRequest:
    """A verification run: the provider at `base_url`, its relay, and the pact source."""

    provider: str
    base_url: str
    relay: Relay
    pact_paths: Sequence[Path] = ()
    broker: BrokerSource | None = None
    publish: PublishOptions | None = None
    consumers: Sequence[str] = ()
    headers: dict[str, str] = field(default_factory=dict)
    request_timeout_ms: int = 10_000


def verify_provider(request: VerificationRequest) -> GateReport:
    """Verify the pacts of `request.provider` and return one check per interaction.

    Raises:
        ConfigError: no pact source is given, a pact path does not exist, or the base URL
            is not an http(s) URL.
    """
    _check_request(request)
    # The Rust verifier sends anonymous usage events to pact.io unless this is set; a gate
    # run on loopback must not reach any other host.
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    report = GateReport(gate=f"{GATE_NAME} --provider {request.provider}")
    started = time.perf_counter()
    with serve_in_thread(create_relay_app(request.relay), name="pact relay") as relay_server:
        verifier = _build_verifier(request, relay_server.url, relay_server.port)
        # The verifier raises whenever an interaction fails; the results list which.
        with contextlib.suppress(RuntimeError):
            verifier.verify()
        results = verifier.results
    report.duration_seconds = time.perf_counter() - started
    for check in checks_from_results(results, request.relay):
        report.add(check)
    return report


def _check_request(request: VerificationRequest) -> None:
    if not request.pact_paths and request.broker is None:
        raise ConfigError(
            f"No pacts to verify for {request.provider}: pass pact files or folders, or a "
            "broker URL with --broker-url."
        )
    parts = urlsplit(request.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"Provider base URL {request.base_url!r} is invalid; give an http:// or https:// "
            "URL such as http://127.0.0.1:8400."
        )


def _build_verifier(request: VerificationRequest, relay_url: str, relay_port: int) -> Verifier:
    host = urlsplit(request.base_url).hostname or "127.0.0.1"
    verifier = Verifier(request.provider, host=host)
    verifier.add_transport(url=request.base_url)
    verifier.add_transport(protocol="message", port=relay_port, path=MESSAGE_PATH)
    verifier.state_handler(f"{relay_url}{STATE_PATH}", teardown=True, body=True)
    verifier.set_coloured_output(enabled=False)
    verifier.set_error_on_empty_pact(enabled=True)
    verifier.set_request_timeout(request.request_timeout_ms)
    verifier.add_custom_headers(request.headers)
    if request.consumers:
        verifier.filter_consumers(*request.consumers)
    if request.pact_paths:
        for pact in pacts_for_provider(request.pact_paths, request.provider):
            verifier.add_source(pact.path)
    if request.broker is not None:
        _add_broker(verifier, request.broker)
    if request.publish is not None:
        verifier.set_publish_options(
            version=request.publish.provider_version,
            url=request.publish.build_url,
            branch=request.publish.branch,
            tags=list(request.publish.tags),
        )
    return verifier


def _add_broker(verifier: Verifier, broker: BrokerSource) -> None:
    builder = verifier.broker_source(broker.url, token=broker.token, selector=True, use_env=False)
    for selector in broker.selectors:
        builder.consumer_version(**_selector_kwargs(selector))
    if broker.provider_branch:
        builder.provider_branch(broker.provider_branch)
    builder.build()


_SELECTOR_KEYS = {
    "consumer": "consumer",
    "tag": "tag",
    "latest": "latest",
    "branch": "branch",
    "mainBranch": "main_branch",
    "matchingBranch": "matching_branch",
    "deployed": "deployed",
    "released": "released",
    "deployedOrReleased": "deployed_or_released",
    "environment": "environment",
}


def _selector_kwargs(selector: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(selector) - set(_SELECTOR_KEYS))
    if unknown:
        raise ConfigError(
            f"Consumer version selector keys {unknown} are not supported; use "
            f"{', '.join(sorted(_SELECTOR_KEYS))}."
        )
    return {_SELECTOR_KEYS[key]: value for key, value in selector.items()}


def checks_from_results(results: dict[str, Any], relay: Relay) -> list[CheckResult]:
    """Turn the verifier's JSON results into one check per interaction, plus load errors."""
    items = results.get("interactionResults", [])
    checks = [_interaction_check(item, relay) for item in items]
    descriptions = [str(item.get("description", "")) for item in items]
    for error in results.get("errors", []):
        interaction = str(error.get("interaction", ""))
        # Failed interactions appear in both lists; only errors outside them are added.
        if any(d and d in interaction for d in descriptions):
            continue
        checks.append(_load_error_check(error))
    if not checks:
        checks.append(
            CheckResult(
                suite="verification",
                name="pacts",
                status=CheckStatus.ERRORED,
                message="No interaction was verified; check the pact source and provider name.",
            )
        )
    return checks


def _interaction_check(item: dict[str, Any], relay: Relay) -> CheckResult:
    states = [str(s) for s in item.get("providerStates") or []]
    name = str(item.get("description", "?"))
    if states:
        name = f"{name} (given {'; '.join(states)})"
    suite = f"{item.get('consumer', '?')} -> {item.get('provider', '?')}"
    duration = _seconds(str(item.get("duration", "")))
    mismatch = item.get("mismatch")
    if item.get("result") == "OK" or not mismatch:
        return CheckResult(
            suite=suite, name=name, status=CheckStatus.PASSED, duration_seconds=duration
        )
    pending = bool(item.get("pending"))
    description = str(item.get("description", ""))
    # A failed message producer responds to the verifier with an error body, which the verifier
    # then compares as if it were the message; the producer's own failure is the real cause.
    if mismatch.get("type") == "error" or description in relay.log.message_failures:
        return CheckResult(
            suite=suite,
            name=name,
            status=CheckStatus.SKIPPED if pending else CheckStatus.ERRORED,
            message=_error_message(mismatch, states, description, relay),
            duration_seconds=duration,
        )
    return _mismatch_check(suite, name, mismatch.get("mismatches") or [], pending, duration)


def _error_message(
    mismatch: dict[str, Any], states: list[str], description: str, relay: Relay
) -> str:
    failed = [s for s in states if s in relay.log.state_failures]
    if failed:
        return "; ".join(
            f"Provider state {s!r} could not be set up: {relay.log.state_failures[s]}"
            for s in failed
        )
    if description in relay.log.message_failures:
        return (
            f"The message for {description!r} could not be produced: "
            f"{relay.log.message_failures[description]}"
        )
    return str(mismatch.get("message") or "The interaction could not be verified.")


def _mismatch_check(
    suite: str, name: str, mismatches: list[dict[str, Any]], pending: bool, duration: float
) -> CheckResult:
    expected: dict[str, Any] = {}
    actual: dict[str, Any] = {}
    details: list[str] = []
    for mismatch in mismatches:
        key = _mismatch_key(mismatch)
        details.append(f"{key}: {mismatch.get('mismatch', '')}")
        if "expected" in mismatch or "actual" in mismatch:
            expected[key] = _json_or_text(mismatch.get("expected"))
            actual[key] = _json_or_text(mismatch.get("actual"))
    first = details[0] if details else "The provider's response does not match the pact."
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return CheckResult(
        suite=suite,
        name=name,
        status=CheckStatus.SKIPPED if pending else CheckStatus.FAILED,
        message=("pending: " if pending else "") + first + more,
        expected=expected or None,
        actual=actual or None,
        details=details[1:],
        duration_seconds=duration,
    )


def _mismatch_key(mismatch: dict[str, Any]) -> str:
    kind = str(mismatch.get("type", "Mismatch"))
    where = mismatch.get("path") or mismatch.get("key") or mismatch.get("parameter")
    if kind == "StatusMismatch":
        return "status"
    if kind == "HeaderMismatch":
        return f"header {mismatch.get('key', '')}"
    if kind == "MetadataMismatch":
        return f"metadata {mismatch.get('key', '')}"
    return str(where) if where else kind


def _json_or_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _load_error_check(error: dict[str, Any]) -> CheckResult:
    mismatch = error.get("mismatch") or {}
    interaction = str(error.get("interaction", "")) or "load"
    message = str(mismatch.get("message") or interaction)
    return CheckResult(
        suite="verification", name=interaction, status=CheckStatus.ERRORED, message=message
    )


def _seconds(text: str) -> float:
    """Parse the verifier's duration text ("47ms", "1.2s", "2m 7s 29ms") into seconds."""
    total = 0.0
    for part in text.split():
        for suffix, factor in (("ms", 0.001), ("m", 60.0), ("s", 1.0)):
            if part.endswith(suffix):
                with contextlib.suppress(ValueError):
                    total += float(part[: -len(suffix)]) * factor
                break
    return total
