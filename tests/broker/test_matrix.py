"""can-i-deploy answers from the verification matrix, in both directions, with reasons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsconsole.broker.matrix import can_i_deploy, matrix
from opsconsole.broker.store import BrokerStore, NotFoundError

MakePact = Callable[..., dict[str, Any]]


@pytest.fixture
def published(store: BrokerStore, make_pact: MakePact) -> str:
    store.create_environment("production", production=True)
    pact, _ = store.publish_pact("console", "engine", "c1", make_pact("console", "engine"))
    return pact.sha


def test_consumer_blocked_when_provider_not_deployed(store: BrokerStore, published: str) -> None:
    decision = can_i_deploy(store, "console", "c1", "production")

    assert not decision.deployable
    assert "No version of provider engine is deployed to production" in decision.reasons[0].message


def test_consumer_allowed_when_deployed_provider_verified(
    store: BrokerStore, published: str
) -> None:
    store.record_verification("engine", "console", published, "e1", success=True)
    store.record_deployment("engine", "e1", "production")

    decision = can_i_deploy(store, "console", "c1", "production")

    assert decision.deployable
    assert decision.matrix[0].provider_version == "e1"
    assert decision.matrix[0].success is True


def test_consumer_blocked_by_failed_verification(store: BrokerStore, published: str) -> None:
    store.record_verification("engine", "console", published, "e1", success=False)
    store.record_deployment("engine", "e1", "production")

    decision = can_i_deploy(store, "console", "c1", "production")

    assert not decision.deployable
    assert "failed" in decision.reasons[0].message


def test_provider_blocked_until_it_verifies_deployed_consumer(
    store: BrokerStore, published: str
) -> None:
    store.record_deployment("console", "c1", "production")
    store.ensure_version("engine", "e2")

    before = can_i_deploy(store, "engine", "e2", "production")
    store.record_verification("engine", "console", published, "e2", success=True)
    after = can_i_deploy(store, "engine", "e2", "production")

    assert not before.deployable
    assert "has not been verified" in before.reasons[0].message
    assert after.deployable


def test_unknown_version_is_not_deployable(store: BrokerStore, published: str) -> None:
    decision = can_i_deploy(store, "console", "nope", "production")

    assert not decision.deployable
    assert "unknown to the broker" in decision.reasons[0].message


def test_unknown_environment_is_an_error(store: BrokerStore, published: str) -> None:
    with pytest.raises(NotFoundError, match="Environment 'staging' is unknown"):
        can_i_deploy(store, "console", "c1", "staging")


def test_matrix_lists_unverified_and_verified_rows(store: BrokerStore, published: str) -> None:
    assert [r.provider_version for r in matrix(store, "console")] == [None]

    store.record_verification("engine", "console", published, "e1", success=True)

    rows = matrix(store, "engine", "e1")
    assert [(r.consumer_version, r.provider_version, r.success) for r in rows] == [
        ("c1", "e1", True)
    ]
