"""The contract gates run green on the repository's own example workspace."""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsconsole.contracts.fuzz import FuzzOptions, fuzz_api
from opsconsole.contracts.fuzz_targets import open_target, workspace_openapi
from opsconsole.contracts.lint import lint_workspace
from opsconsole.contracts.pact.files import find_pacts
from opsconsole.contracts.pact.openapi import check_against_openapi
from opsconsole.contracts.pact.openapi import load_openapi as load_pact_openapi
from opsconsole.contracts.validation import validate_workspace
from opsconsole.reports import CheckStatus, GateReport
from opsconsole.workspace import Workspace

EXAMPLE = Workspace(Path(__file__).resolve().parents[2])
APP_MODULES = {
    "engine": "opsconsole.engine.app",
    "crm": "opsconsole.sandboxes.crm.app",
    "erp": "opsconsole.sandboxes.erp.app",
}


def _require_schemas() -> None:
    if not any(EXAMPLE.schemas_dir.rglob("*.json")):
        pytest.skip(f"no canonical schemas in {EXAMPLE.schemas_dir} in this checkout")


def _failures(report: GateReport) -> list[str]:
    return [f"{c.suite} / {c.name}: {c.message} {c.details}" for c in report.failures()]


@pytest.fixture
def quiet_server_errors() -> Iterator[None]:
    # A 5xx found by the fuzzer is reported in the gate result; the traceback adds nothing.
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def test_example_payloads_are_valid() -> None:
    _require_schemas()

    report = validate_workspace(EXAMPLE)

    assert report.passed, _failures(report)


def test_example_schemas_pass_lint() -> None:
    _require_schemas()

    report = lint_workspace(EXAMPLE)

    assert report.passed, _failures(report)


@pytest.mark.parametrize("api", sorted(APP_MODULES))
@pytest.mark.usefixtures("quiet_server_errors")
def test_embedded_api_survives_fuzzing(api: str) -> None:
    if importlib.util.find_spec(APP_MODULES[api]) is None:
        pytest.skip(f"{APP_MODULES[api]} is not in this checkout")
    document = workspace_openapi(EXAMPLE.openapi_dir, api)
    options = FuzzOptions(max_examples=10, seed=20261204)

    with open_target(api, base_url=None, document_path=document, headers={}) as target:
        options = dataclasses.replace(options, headers=target.headers)
        report = fuzz_api(target.document, target.base_url, name=api, options=options)

    assert report.passed, _failures(report)


@pytest.mark.parametrize("api", sorted(APP_MODULES))
@pytest.mark.usefixtures("quiet_server_errors")
def test_api_answers_documented_statuses_only(api: str) -> None:
    checks = ("status_code_conformance", "content_type_conformance")
    options = FuzzOptions(max_examples=5, seed=20261204, extra_checks=checks)

    with open_target(api, base_url=None, document_path=None, headers={}) as target:
        options = dataclasses.replace(options, headers=target.headers)
        report = fuzz_api(target.document, target.base_url, name=api, options=options)

    assert report.passed, _failures(report)


@pytest.mark.parametrize(
    ("provider", "api"), [("sync-engine", "engine"), ("crm", "crm"), ("erp", "erp")]
)
def test_workspace_pacts_match_openapi_documents(provider: str, api: str) -> None:
    document = load_pact_openapi(EXAMPLE.openapi_dir / f"{api}.yaml")

    report = check_against_openapi(find_pacts([EXAMPLE.pacts_dir]), document, provider)

    assert report.passed, _failures(report)
    assert any(check.status is CheckStatus.PASSED for check in report.checks)
