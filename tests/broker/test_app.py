"""pact-python's own Verifier fetches pacts from the broker and publishes results back."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from opsconsole.broker.client import BrokerClient, BrokerRequestError
from opsconsole.contracts.pact.files import load_pact
from opsconsole.contracts.pact.relay import Relay
from opsconsole.contracts.pact.verify import (
    BrokerSource,
    PublishOptions,
    VerificationRequest,
    verify_provider,
)
from opsconsole.serve import RunningServer, serve_in_thread

MakePact = Callable[..., dict[str, Any]]


def _stats_provider(answer: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/stats")
    def stats() -> dict[str, Any]:
        return answer

    return app


@pytest.fixture
def stats_pact(tmp_path: Path) -> Path:
    document = {
        "consumer": {"name": "console"},
        "provider": {"name": "engine"},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": "a request for stats",
                "request": {"method": "GET", "path": "/stats"},
                "response": {
                    "status": 200,
                    "headers": {"Content-Type": ["application/json"]},
                    "body": {
                        "content": {"dlq": 3},
                        "contentType": "application/json",
                        "encoded": False,
                    },
                    "matchingRules": {
                        "body": {"$.dlq": {"combine": "AND", "matchers": [{"match": "integer"}]}}
                    },
                },
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }
    path = tmp_path / "console-engine.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def client(broker: RunningServer) -> Iterator[BrokerClient]:
    with BrokerClient(broker.url) as opened:
        yield opened


def _verify_from_broker(broker: RunningServer, answer: dict[str, Any], version: str) -> bool:
    with serve_in_thread(_stats_provider(answer), name="engine") as provider:
        report = verify_provider(
            VerificationRequest(
                provider="engine",
                base_url=provider.url,
                relay=Relay(),
                broker=BrokerSource(broker.url, selectors=[{"branch": "main"}]),
                publish=PublishOptions(provider_version=version, branch="main"),
            )
        )
    return report.passed


def test_verifier_fetches_pacts_and_publishes_results(
    broker: RunningServer, client: BrokerClient, stats_pact: Path
) -> None:
    client.publish([load_pact(stats_pact)], "c1", branch="main", tags=["dev"])
    client.create_environment("production", production=True)

    passed = _verify_from_broker(broker, {"dlq": 0}, "e1")
    client.record_deployment("engine", "e1", "production")
    decision = client.can_i_deploy("console", "c1", "production")

    assert passed
    assert decision.deployable, decision.reasons
    assert decision.matrix[0].provider_version == "e1"


def test_failed_verification_blocks_deployment(
    broker: RunningServer, client: BrokerClient, stats_pact: Path
) -> None:
    client.publish([load_pact(stats_pact)], "c1", branch="main")
    client.create_environment("production")

    passed = _verify_from_broker(broker, {"dlq": "three"}, "e2")
    client.record_deployment("engine", "e2", "production")
    decision = client.can_i_deploy("console", "c1", "production")

    assert not passed
    assert not decision.deployable
    assert "failed" in decision.reasons[0].message


def test_standard_put_endpoint_accepts_pacts(broker: RunningServer, stats_pact: Path) -> None:
    url = f"{broker.url}/pacts/provider/engine/consumer/console/version/c9"
    content = json.loads(stats_pact.read_text())

    created = httpx.put(url, json=content)
    again = httpx.put(url, json=content)
    fetched = httpx.get(url).json()

    assert created.status_code == 201
    assert again.status_code == 200
    assert fetched["interactions"] == content["interactions"]
    assert "pb:publish-verification-results" in fetched["_links"]


def test_index_links_what_verifiers_follow(broker: RunningServer) -> None:
    links = httpx.get(broker.url).json()["_links"]

    for name in (
        "pb:provider-pacts-for-verification",
        "pb:publish-pact",
        "pb:publish-contracts",
        "pb:environments",
        "pb:can-i-deploy-pacticipant-version-to-environment",
    ):
        assert name in links


def test_unknown_environment_deployment_is_rejected(client: BrokerClient, stats_pact: Path) -> None:
    client.publish([load_pact(stats_pact)], "c1")

    with pytest.raises(BrokerRequestError, match="Environment 'moon' is unknown"):
        client.record_deployment("console", "c1", "moon")


def test_contracts_publish_rejects_content_that_is_not_base64(broker: RunningServer) -> None:
    body = {
        "pacticipantName": "console",
        "pacticipantVersionNumber": "c1",
        "contracts": [
            {"consumerName": "console", "providerName": "engine", "content": "{not base64"}
        ],
    }

    answer = httpx.post(f"{broker.url}/contracts/publish", json=body)

    assert answer.status_code == 400
    assert "not base64-encoded JSON" in answer.text


def test_matrix_answers_broker_client_query(
    broker: RunningServer, client: BrokerClient, stats_pact: Path
) -> None:
    client.publish([load_pact(stats_pact)], "c1", branch="main")
    client.create_environment("production")
    query = "q[][pacticipant]=console&q[][version]=c1&latestby=cvp&environment=production"

    answer = httpx.get(f"{broker.url}/matrix?{query}").json()

    assert answer["summary"]["deployable"] is False
    assert answer["summary"]["unknown"] == 1
    assert "No version of provider engine" in answer["notices"][0]["text"]
