"""`opsconsole contracts verify|publish|can-i-deploy|...`: Pact gates and the broker client."""

from __future__ import annotations

import json
import tempfile
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from opsconsole.broker.client import BrokerClient
from opsconsole.broker.matrix import DeployDecision
from opsconsole.contracts.pact.files import find_pacts
from opsconsole.contracts.pact.openapi import check_against_openapi, load_openapi
from opsconsole.contracts.pact.providers import EmbeddedProvider, embedded_provider
from opsconsole.contracts.pact.relay import Relay
from opsconsole.contracts.pact.verify import (
    BrokerSource,
    PublishOptions,
    VerificationRequest,
    verify_provider,
)
from opsconsole.contracts.pact.workspace import write_workspace_pacts
from opsconsole.errors import ConfigError, WorkspaceError
from opsconsole.reports import CheckResult, CheckStatus, GateReport, finish_gate
from opsconsole.wire import DEFAULT_BROKER_PORT, DEFAULT_HOST
from opsconsole.workspace import find_workspace

DEFAULT_BROKER_URL = f"http://{DEFAULT_HOST}:{DEFAULT_BROKER_PORT}"

_WORKSPACE = typer.Option(
    None, "--workspace", help="Workspace folder; found from the current folder when omitted."
)
_JUNIT = typer.Option(None, "--junit", help="Write JUnit XML to this file (one case per check).")
_JSON = typer.Option(None, "--json", help="Write the results as JSON to this file.")
_BROKER_URL = typer.Option(
    DEFAULT_BROKER_URL,
    "--broker-url",
    help="Base URL of the Pact broker.",
    envvar="PACT_BROKER_BASE_URL",
)
_BROKER_TOKEN = typer.Option(
    None, "--broker-token", help="Bearer token for the broker.", envvar="PACT_BROKER_TOKEN"
)


def register(app: typer.Typer) -> None:
    """Add the Pact commands to the contracts group."""
    app.command("verify")(verify)
    app.command("check-openapi")(check_openapi)
    app.command("publish")(publish)
    app.command("can-i-deploy")(can_i_deploy)
    app.command("record-deployment")(record_deployment)
    app.command("write-pacts")(write_pacts)


def _pact_sources(pacts: list[Path] | None, workspace: Path | None) -> list[Path]:
    if pacts:
        return pacts
    return [find_workspace(workspace).pacts_dir]


def verify(
    provider: str = typer.Option(
        ..., "--provider", help="Name of the provider to verify, e.g. crm."
    ),
    pacts: list[Path] | None = typer.Option(
        None,
        "--pacts",
        help="Pact file or folder (repeatable); default: the workspace's contracts/pacts.",
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="URL of a running provider. Without it, the provider runs embedded on loopback.",
    ),
    state_url: str | None = typer.Option(
        None,
        "--state-url",
        help="The provider's state-change callback (POST {state, action, params}); "
        "used with --base-url.",
    ),
    broker: bool = typer.Option(
        False, "--from-broker", help="Fetch the pacts from the broker instead of files."
    ),
    broker_url: str = _BROKER_URL,
    broker_token: str | None = _BROKER_TOKEN,
    selectors: list[str] | None = typer.Option(
        None,
        "--selector",
        help='Consumer version selector as JSON (repeatable), e.g. \'{"branch": "main"}\'.',
    ),
    provider_version: str | None = typer.Option(
        None, "--provider-version", help="Version of the provider; needed with --publish."
    ),
    provider_branch: str | None = typer.Option(
        None, "--provider-branch", help="Branch the provider version was built from."
    ),
    publish_results: bool = typer.Option(
        False, "--publish", help="Publish the verification results to the broker."
    ),
    junit: Path | None = _JUNIT,
    json_path: Path | None = _JSON,
    workspace: Path | None = _WORKSPACE,
) -> None:
    """Verify a provider against its consumers' pacts, one check per interaction.

    HTTP interactions are replayed against the provider; message interactions are checked
    against the events the provider really produces. Each interaction's provider states are
    set up first; a state that cannot be set up makes the interaction an error, never a pass.
    Exits 0 when every interaction passed, 1 when any failed or errored, 2 on bad input.
    """
    if publish_results and not provider_version:
        raise ConfigError("--publish needs --provider-version to record the results under.")
    if state_url and not base_url:
        raise ConfigError("--state-url belongs to a running provider; give --base-url as well.")
    source = None
    if broker:
        parsed = [_selector(text) for text in selectors or []]
        source = BrokerSource(broker_url, parsed, provider_branch, broker_token)
    paths = [] if broker else _pact_sources(pacts, workspace)
    publish = None
    if publish_results and provider_version:
        publish = PublishOptions(provider_version, provider_branch)
    with _provider(provider, base_url, state_url, workspace) as running:
        request = VerificationRequest(
            provider=provider,
            base_url=running.base_url,
            relay=running.relay,
            pact_paths=paths,
            broker=source,
            publish=publish,
            headers=running.headers,
        )
        report = verify_provider(request)
    _finish(report, junit, json_path)


def _provider(
    name: str, base_url: str | None, state_url: str | None, workspace: Path | None
) -> AbstractContextManager[EmbeddedProvider]:
    if base_url is not None:
        return nullcontext(EmbeddedProvider(base_url, Relay(state_url=state_url)))
    state_dir = _state_dir(workspace)
    return embedded_provider(name, state_dir)


def _state_dir(workspace: Path | None) -> Path:
    try:
        return find_workspace(workspace).state_dir
    except WorkspaceError:
        # Outside a workspace the embedded provider's files go to the temp folder.
        return Path(tempfile.gettempdir()) / "opsconsole"


def _selector(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ConfigError(
            f'--selector {text!r} is not JSON; write it like \'{{"branch": "main"}}\'.'
        ) from exc
    if not isinstance(value, dict):
        raise ConfigError(f"--selector {text!r} must be a JSON object.")
    return value


def check_openapi(
    provider: str = typer.Option(..., "--provider", help="Name of the provider in the pacts."),
    openapi: Path = typer.Option(
        ..., "--openapi", help="The provider's OpenAPI 3.0 or 3.1 document."
    ),
    pacts: list[Path] | None = typer.Option(
        None,
        "--pacts",
        help="Pact file or folder (repeatable); default: the workspace's contracts/pacts.",
    ),
    junit: Path | None = _JUNIT,
    json_path: Path | None = _JSON,
    workspace: Path | None = _WORKSPACE,
) -> None:
    """Check consumers' pacts against a provider's OpenAPI document, without running it.

    Each HTTP interaction must name a documented operation, send a valid request, and expect
    a documented status whose schema validates the expected body and declares every field
    the consumer relies on. Exits 0 when all passed, 1 on any failure, 2 on bad input.
    """
    found = find_pacts(_pact_sources(pacts, workspace))
    report = check_against_openapi(found, load_openapi(openapi), provider)
    _finish(report, junit, json_path)


def publish(
    pacts: list[Path] | None = typer.Argument(
        None, help="Pact files or folders; default: the workspace's contracts/pacts."
    ),
    consumer_version: str = typer.Option(
        ..., "--consumer-version", help="Version of the consumer, usually the git commit."
    ),
    consumer: str | None = typer.Option(
        None, "--consumer", help="Publish only this consumer's pacts (a folder may hold several)."
    ),
    branch: str | None = typer.Option(None, "--branch", help="Branch the consumer was built from."),
    tags: list[str] | None = typer.Option(
        None, "--tag", help="Tag for the consumer version (repeatable)."
    ),
    broker_url: str = _BROKER_URL,
    broker_token: str | None = _BROKER_TOKEN,
    workspace: Path | None = _WORKSPACE,
) -> None:
    """Publish pacts to the broker as one consumer version, with its branch and tags."""
    if not consumer_version.strip():
        raise ConfigError(
            "--consumer-version is empty. Pass the consumer's version, e.g. a git SHA."
        )
    found = find_pacts(_pact_sources(pacts, workspace))
    if consumer is not None:
        found = [p for p in found if p.consumer == consumer]
    if not found:
        raise ConfigError("No pact files to publish; check the paths and --consumer.")
    by_consumer: dict[str, list[Any]] = {}
    for pact in found:
        by_consumer.setdefault(pact.consumer, []).append(pact)
    with BrokerClient(broker_url, broker_token) as client:
        for group in by_consumer.values():
            for notice in client.publish(group, consumer_version, branch=branch, tags=tags or []):
                typer.echo(notice)


def can_i_deploy(
    pacticipant: str = typer.Option(..., "--pacticipant", help="Application to deploy."),
    version: str = typer.Option(..., "--version", help="Version of the application to deploy."),
    environment: str = typer.Option(
        ..., "--to-environment", help="Environment to deploy to, e.g. production."
    ),
    broker_url: str = _BROKER_URL,
    broker_token: str | None = _BROKER_TOKEN,
    junit: Path | None = _JUNIT,
    json_path: Path | None = _JSON,
) -> None:
    """Ask the broker whether a version may be deployed, and print its reasons.

    The decision comes from the verification matrix: every pact between this version and the
    versions deployed to the environment, in both directions, must have been verified
    successfully. Exits 0 when it may be deployed, 1 when not, 2 on bad input.
    """
    with BrokerClient(broker_url, broker_token) as client:
        decision = client.can_i_deploy(pacticipant, version, environment)
    _finish(_decision_report(decision), junit, json_path)


def _decision_report(decision: DeployDecision) -> GateReport:
    gate = (
        f"contracts can-i-deploy --pacticipant {decision.pacticipant} "
        f"--version {decision.version} --to-environment {decision.environment}"
    )
    report = GateReport(gate=gate)
    suite = f"{decision.pacticipant} {decision.version} -> {decision.environment}"
    for index, reason in enumerate(decision.reasons, start=1):
        status = CheckStatus.PASSED if reason.ok else CheckStatus.FAILED
        report.add(
            CheckResult(suite=suite, name=f"reason {index}", status=status, message=reason.message)
        )
    return report


def record_deployment(
    pacticipant: str = typer.Option(..., "--pacticipant", help="Application that was deployed."),
    version: str = typer.Option(..., "--version", help="Version that was deployed."),
    environment: str = typer.Option(..., "--environment", help="Environment it was deployed to."),
    broker_url: str = _BROKER_URL,
    broker_token: str | None = _BROKER_TOKEN,
) -> None:
    """Record a deployment, replacing the version previously recorded in that environment."""
    with BrokerClient(broker_url, broker_token) as client:
        client.record_deployment(pacticipant, version, environment)
    typer.echo(f"Recorded {pacticipant} {version} as deployed to {environment}.")


def write_pacts(
    output: Path | None = typer.Option(
        None, "--output", help="Folder to write to; default: the workspace's contracts/pacts."
    ),
    workspace: Path | None = _WORKSPACE,
) -> None:
    """Write the workspace's consumer pacts (engine with CRM and ERP, console with engine)."""
    folder = output or find_workspace(workspace).pacts_dir
    for path in write_workspace_pacts(folder):
        typer.echo(f"Wrote {path}")


def _finish(report: GateReport, junit: Path | None, json_path: Path | None) -> None:
    code = finish_gate(report, junit=junit, json_path=json_path, console=Console())
    if code:
        raise typer.Exit(code)
