"""Publishing, recording deployments and can-i-deploy from the command line."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from typer.testing import CliRunner

from opsconsole.broker.store import BrokerStore
from opsconsole.cli.main import app
from opsconsole.serve import RunningServer

runner = CliRunner()


def _pact_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "pacts"
    folder.mkdir()
    document = {
        "consumer": {"name": "console"},
        "provider": {"name": "engine"},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": "a health check",
                "request": {"method": "GET", "path": "/health"},
                "response": {"status": 200},
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    (folder / "console-engine.json").write_text(json.dumps(document))
    return folder


def test_can_i_deploy_follows_the_matrix(
    broker: RunningServer, store: BrokerStore, tmp_path: Path
) -> None:
    url = ["--broker-url", broker.url]
    published = runner.invoke(
        app,
        [
            "contracts",
            "publish",
            str(_pact_folder(tmp_path)),
            "--consumer-version",
            "c1",
            "--branch",
            "main",
            "--tag",
            "dev",
            *url,
        ],
    )
    created = runner.invoke(
        app, ["broker", "create-environment", "production", "--production", *url]
    )
    ask = [
        "contracts",
        "can-i-deploy",
        "--pacticipant",
        "console",
        "--version",
        "c1",
        "--to-environment",
        "production",
        *url,
    ]

    before = runner.invoke(app, [*ask, "--junit", str(tmp_path / "before.xml")])
    sha = store.pact_for_version("engine", "console", "c1").sha
    store.record_verification("engine", "console", sha, "e1", success=True)
    deployed = runner.invoke(
        app,
        [
            "contracts",
            "record-deployment",
            "--pacticipant",
            "engine",
            "--version",
            "e1",
            "--environment",
            "production",
            *url,
        ],
    )
    after = runner.invoke(app, [*ask, "--json", str(tmp_path / "after.json")])

    assert published.exit_code == 0, published.output
    assert "Created console version c1 pact with engine" in published.output
    assert created.exit_code == 0, created.output
    assert before.exit_code == 1
    assert "No version of provider engine is deployed to production" in before.output
    assert ET.parse(tmp_path / "before.xml").getroot().get("failures") == "1"
    assert deployed.exit_code == 0, deployed.output
    assert after.exit_code == 0, after.output
    messages = [c["message"] for c in json.loads((tmp_path / "after.json").read_text())["checks"]]
    assert messages == ["The pact between console c1 and engine e1 was verified successfully."]


def test_unreachable_broker_is_input_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "contracts",
            "can-i-deploy",
            "--pacticipant",
            "p",
            "--version",
            "1",
            "--to-environment",
            "e",
            "--broker-url",
            "http://127.0.0.1:9",
        ],
    )

    assert result.exit_code == 2
    assert "could not be reached" in result.output
