"""The Pact gates as CI runs them: exit codes, JUnit XML, JSON and the readable table."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI, Request
from typer.testing import CliRunner

from opsconsole.broker.app import BrokerSettings, create_app
from opsconsole.cli.main import app
from opsconsole.serve import RunningServer, serve_in_thread

runner = CliRunner()


@pytest.fixture
def state_callback(provider: RunningServer) -> Iterator[str]:
    """The provider's own state-change endpoint, creating records through its API."""
    callback = FastAPI()

    @callback.post("/pact-states")
    async def change(request: Request) -> dict[str, Any]:
        body = await request.json()
        if body["action"] != "setup" or body["state"] != "a customer exists":
            return {}
        created = httpx.post(
            f"{provider.url}/customers", json={"name": body["params"]["name"], "credit_limit": 5000}
        )
        return {"id": created.json()["id"]}

    with serve_in_thread(callback, name="state callback") as server:
        yield f"{server.url}/pact-states"


def _verify_args(
    provider: RunningServer, pact_file: Path, tmp_path: Path, *extra: str
) -> list[str]:
    return [
        "contracts",
        "verify",
        "--provider",
        "customer-service",
        "--base-url",
        provider.url,
        "--pacts",
        str(pact_file),
        "--junit",
        str(tmp_path / "junit.xml"),
        "--json",
        str(tmp_path / "results.json"),
        *extra,
    ]


def test_verify_gate_passes_with_state_callback(
    provider: RunningServer, pact_file: Path, tmp_path: Path, state_callback: str
) -> None:
    # The message interaction needs a producer, which only an embedded provider has.
    pact = json.loads(pact_file.read_text())
    pact["interactions"] = [i for i in pact["interactions"] if i["type"] == "Synchronous/HTTP"]
    pact_file.write_text(json.dumps(pact))

    result = runner.invoke(
        app, _verify_args(provider, pact_file, tmp_path, "--state-url", state_callback)
    )

    assert result.exit_code == 0, result.output
    suite = ET.parse(tmp_path / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "1"
    assert suite.get("failures") == "0"
    assert json.loads((tmp_path / "results.json").read_text())["passed"] is True


def test_verify_gate_fails_on_removed_field_with_diff(
    service: Any, provider: RunningServer, pact_file: Path, tmp_path: Path, state_callback: str
) -> None:
    service.drop_field = "credit_limit"

    result = runner.invoke(
        app, _verify_args(provider, pact_file, tmp_path, "--state-url", state_callback)
    )

    assert result.exit_code == 1
    assert "credit_limit" in result.output
    failures = ET.parse(tmp_path / "junit.xml").getroot().iter("failure")
    assert any("credit_limit" in (f.text or "") for f in failures)
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["counts"]["failed"] >= 1


def test_verify_gate_errors_without_state_setup(
    provider: RunningServer, pact_file: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, _verify_args(provider, pact_file, tmp_path))

    assert result.exit_code == 1
    errors = list(ET.parse(tmp_path / "junit.xml").getroot().iter("error"))
    assert len(errors) == 2


def test_publish_without_provider_version_is_input_error(
    provider: RunningServer, pact_file: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, [*_verify_args(provider, pact_file, tmp_path), "--publish"])

    assert result.exit_code == 2
    assert "--publish needs --provider-version" in result.output


def test_check_openapi_gate_fails_on_changed_type(pact_file: Path, tmp_path: Path) -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Customers", "version": "1"},
        "paths": {
            "/customers/{id}": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "A customer",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "id": {"type": "string"},
                                            "name": {"type": "string"},
                                            "credit_limit": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        }
                    }
                }
            }
        },
    }
    openapi = tmp_path / "customers.yaml"
    openapi.write_text(yaml.safe_dump(document))
    junit = tmp_path / "openapi.xml"

    result = runner.invoke(
        app,
        [
            "contracts",
            "check-openapi",
            "--provider",
            "customer-service",
            "--openapi",
            str(openapi),
            "--pacts",
            str(pact_file),
            "--junit",
            str(junit),
        ],
    )

    assert result.exit_code == 1
    assert "credit_limit" in result.output
    root = ET.parse(junit).getroot()
    assert [s.get("failures") for s in root.iter("testsuite")] == ["1"]
    assert [s.get("skipped") for s in root.iter("testsuite")] == ["1"]


def test_ci_flow_through_broker(
    provider: RunningServer, pact_file: Path, tmp_path: Path, state_callback: str
) -> None:
    pact = json.loads(pact_file.read_text())
    pact["interactions"] = [i for i in pact["interactions"] if i["type"] == "Synchronous/HTTP"]
    pact_file.write_text(json.dumps(pact))
    settings = BrokerSettings(database_url=f"sqlite:///{tmp_path / 'broker.sqlite'}")
    with serve_in_thread(create_app(settings), name="broker") as broker:
        url = ["--broker-url", broker.url]
        steps = [
            [
                "contracts",
                "publish",
                str(pact_file),
                "--consumer-version",
                "c1",
                "--branch",
                "main",
                *url,
            ],
            ["broker", "create-environment", "production", *url],
            [
                "contracts",
                "verify",
                "--provider",
                "customer-service",
                "--base-url",
                provider.url,
                "--state-url",
                state_callback,
                "--from-broker",
                "--selector",
                '{"branch": "main"}',
                "--provider-version",
                "p1",
                "--provider-branch",
                "main",
                "--publish",
                *url,
            ],
            [
                "contracts",
                "record-deployment",
                "--pacticipant",
                "customer-service",
                "--version",
                "p1",
                "--environment",
                "production",
                *url,
            ],
            [
                "contracts",
                "can-i-deploy",
                "--pacticipant",
                "billing-ui",
                "--version",
                "c1",
                "--to-environment",
                "production",
                *url,
            ],
        ]
        results = [runner.invoke(app, step) for step in steps]

    for step, result in zip(steps, results, strict=True):
        assert result.exit_code == 0, (step[:2], result.output)


def test_publish_rejects_empty_consumer_version() -> None:
    from typer.testing import CliRunner

    from opsconsole.cli.main import app

    result = CliRunner().invoke(app, ["contracts", "publish", "--consumer-version", " "])
    assert result.exit_code == 2
    assert "--consumer-version is empty" in result.output
