"""Publishing pacts, selecting them for verification and recording results and deployments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from opsconsole.broker.store import BrokerStore, ConsumerVersionSelector, NotFoundError

MakePact = Callable[..., dict[str, Any]]


def test_publish_records_version_branch_and_tags(store: BrokerStore, make_pact: MakePact) -> None:
    pact, created = store.publish_pact(
        "console", "engine", "c1", make_pact("console", "engine"), branch="main", tags=["dev"]
    )

    info = store.version_info("console", "c1")
    assert created
    assert pact.consumer_version == "c1"
    assert info["branch"] == "main"
    assert info["tags"] == ["dev"]


def test_republish_replaces_the_versions_pact(store: BrokerStore, make_pact: MakePact) -> None:
    store.publish_pact("console", "engine", "c1", make_pact("console", "engine", "old"))

    pact, created = store.publish_pact(
        "console", "engine", "c1", make_pact("console", "engine", "new")
    )

    assert not created
    fetched = store.pact_for_version("engine", "console", "c1")
    assert fetched.sha == pact.sha
    assert fetched.content["interactions"][0]["description"] == "new"


def test_same_content_shares_one_sha(store: BrokerStore, make_pact: MakePact) -> None:
    first, _ = store.publish_pact("console", "engine", "c1", make_pact("console", "engine"))
    second, _ = store.publish_pact("console", "engine", "c2", make_pact("console", "engine"))

    assert first.sha == second.sha
    selected = store.pacts_for_verification(
        "engine", [ConsumerVersionSelector(consumer="console", latest=True)]
    )
    assert len(selected) == 1
    assert selected[0].consumer_versions == ["c2"]


def test_selectors_pick_branch_tag_and_deployed(store: BrokerStore, make_pact: MakePact) -> None:
    store.publish_pact(
        "console", "engine", "c1", make_pact("console", "engine", "one"), branch="main"
    )
    store.publish_pact(
        "console", "engine", "c2", make_pact("console", "engine", "two"), branch="feat", tags=["rc"]
    )
    store.create_environment("production", production=True)
    store.record_deployment("console", "c1", "production")

    def versions(**selector: Any) -> list[str]:
        chosen = store.pacts_for_verification("engine", [ConsumerVersionSelector(**selector)])
        return [v for s in chosen for v in s.consumer_versions]

    assert versions(branch="main") == ["c1"]
    assert versions(tag="rc", latest=True) == ["c2"]
    assert versions(deployed=True, environment="production") == ["c1"]
    assert versions(mainBranch=True) == []
    store.ensure_pacticipant("console", main_branch="main")
    assert versions(mainBranch=True) == ["c1"]
    assert [v for s in store.pacts_for_verification("engine", []) for v in s.consumer_versions] == [
        "c2"
    ]


def test_verification_of_unknown_pact_is_rejected(store: BrokerStore) -> None:
    with pytest.raises(NotFoundError, match="verification results need a published pact"):
        store.record_verification("engine", "console", "0" * 64, "e1", success=True)


def test_deployment_replaces_previous_version(store: BrokerStore, make_pact: MakePact) -> None:
    store.create_environment("test")
    store.publish_pact("console", "engine", "c1", make_pact("console", "engine"))
    store.publish_pact("console", "engine", "c2", make_pact("console", "engine", "two"))

    store.record_deployment("console", "c1", "test")
    store.record_deployment("console", "c2", "test")

    current = store.currently_deployed("test", "console")
    assert [d.version for d in current] == ["c2"]


def test_deployment_to_unknown_environment_is_rejected(
    store: BrokerStore, make_pact: MakePact
) -> None:
    store.publish_pact("console", "engine", "c1", make_pact("console", "engine"))

    with pytest.raises(NotFoundError, match="Environment 'nowhere' is unknown"):
        store.record_deployment("console", "c1", "nowhere")
