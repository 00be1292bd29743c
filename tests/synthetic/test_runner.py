from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from opsconsole.errors import ConfigError, ScenarioError
from opsconsole.serve import RunningServer
from opsconsole.synthetic.events import RunEvent, StepFinished, TransactionFinished
from opsconsole.synthetic.model import parse_scenario
from opsconsole.synthetic.report import percentile, summarise, write_junit
from opsconsole.synthetic.runner import ScenarioRunner, Target


def _scenario(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "order-flow",
        "targets": {"shop": {"auth": "oauth2-client-credentials", "token_path": "/token"}},
        "variables": {"ref": "ref-{{ run_id }}"},
        "steps": [
            {
                "name": "create order",
                "target": "shop",
                "request": {
                    "method": "POST",
                    "path": "/orders",
                    "json": {"ref": "{{ ref }}", "qty": 2},
                },
                "expect": {"status": 201},
                "extract": {"order_id": "$.id"},
            },
            {
                "name": "order ready",
                "target": "shop",
                "request": {"path": "/orders/{{ order_id }}"},
                "expect": {"status": 200, "body": {"$.status": "ready", "$.ref": "{{ ref }}"}},
                "poll": {"timeout_s": 5, "interval_s": 0.01},
            },
            {
                "name": "exactly one order",
                "target": "shop",
                "request": {"path": "/orders", "params": {"ref": "{{ ref }}"}},
                "expect": {"status": 200},
                "record_count": "$.totalResults",
            },
        ],
        "cleanup": [
            {
                "name": "delete order",
                "target": "shop",
                "request": {"method": "DELETE", "path": "/orders/{{ order_id }}"},
                "expect": {"status": 204},
            }
        ],
        "spans": [
            {"name": "order to ready", "from_step": "create order", "to_step": "order ready"}
        ],
    }
    raw.update(overrides)
    return raw


def _targets(server: RunningServer) -> dict[str, Target]:
    return {"shop": Target(server.url, client_id="runner", client_secret="s3cret")}


def test_transaction_passes_with_polling_and_extraction(
    shop: tuple[RunningServer, Any],
) -> None:
    server, state = shop
    scenario = parse_scenario(_scenario())
    with ScenarioRunner(scenario, _targets(server)) as runner:
        result = runner.run_transaction()

    assert result.passed, result.failure
    ready = result.step("order ready")
    assert ready is not None
    assert ready.attempts == 3
    assert result.variables["order_id"] == "o-1"
    assert state.deleted == ["o-1"]


def test_every_request_carries_correlation_and_trace(shop: tuple[RunningServer, Any]) -> None:
    server, state = shop
    with ScenarioRunner(parse_scenario(_scenario()), _targets(server)) as runner:
        result = runner.run_transaction()

    seen = state.headers_seen[0]
    assert seen["correlation"] == result.correlation_id
    assert seen["trace"].startswith("00-")


def test_cleanup_runs_after_failed_step(shop: tuple[RunningServer, Any]) -> None:
    server, state = shop
    raw = _scenario()
    raw["steps"][1]["expect"]["body"]["$.status"] = "shipped"
    raw["steps"][1]["poll"] = {"timeout_s": 0.2, "interval_s": 0.02}
    with ScenarioRunner(parse_scenario(raw), _targets(server)) as runner:
        result = runner.run_transaction()

    assert not result.passed
    failure = result.failure
    assert failure is not None
    assert failure.name == "order ready"
    assert "'ready' at $.status, expected 'shipped'" in failure.message
    assert [s.name for s in result.steps] == ["create order", "order ready"]
    assert state.deleted == ["o-1"]


def test_duplicates_are_counted_and_fail(shop: tuple[RunningServer, Any]) -> None:
    server, _ = shop
    raw = _scenario(variables={"ref": "same-ref"})
    raw["cleanup"] = []
    with ScenarioRunner(parse_scenario(raw), _targets(server)) as runner:
        first = runner.run_transaction(0)
        second = runner.run_transaction(1)

    assert first.passed
    assert not second.passed
    check = second.step("exactly one order")
    assert check is not None
    assert check.duplicates == 1
    assert "2 records found" in check.message


def test_batch_summary_and_events(shop: tuple[RunningServer, Any], tmp_path: Path) -> None:
    server, _ = shop
    scenario = parse_scenario(_scenario())
    events: list[RunEvent] = []
    with ScenarioRunner(scenario, _targets(server), on_event=events.append) as runner:
        results = runner.run_batch(6, concurrency=3)
    summary = summarise(scenario, results, wall_s=1.0)

    assert [r.index for r in results] == list(range(6))
    assert summary.ok
    assert summary.passed == 6
    assert summary.duplicates == 0
    assert summary.api_success_rate == 1.0
    assert [t.name for t in summary.steps] == ["create order", "order ready", "exactly one order"]
    assert summary.spans[0].count == 6
    assert sum(isinstance(e, TransactionFinished) for e in events) == 6
    assert sum(isinstance(e, StepFinished) for e in events) == 18

    junit = tmp_path / "synthetic.xml"
    write_junit(scenario, results, junit)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "6"
    assert suite.get("failures") == "0"


def test_failed_transaction_shows_in_junit(shop: tuple[RunningServer, Any], tmp_path: Path) -> None:
    server, _ = shop
    raw = _scenario()
    raw["steps"][0]["expect"]["status"] = 200
    scenario = parse_scenario(raw)
    with ScenarioRunner(scenario, _targets(server)) as runner:
        results = [runner.run_transaction()]
    junit = tmp_path / "synthetic.xml"
    write_junit(scenario, results, junit)

    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None
    assert "create order: POST /orders returned HTTP 201, expected 200" in failure.get(
        "message", ""
    )
    assert results[0].correlation_id in (failure.text or "")


def test_time_budget_fails_slow_step(shop: tuple[RunningServer, Any]) -> None:
    server, _ = shop
    raw = _scenario()
    raw["steps"][1]["expect"]["max_ms"] = 1
    raw["steps"][1]["poll"] = {"timeout_s": 5, "interval_s": 0.05}
    with ScenarioRunner(parse_scenario(raw), _targets(server)) as runner:
        result = runner.run_transaction()

    failure = result.failure
    assert failure is not None
    assert "over its budget of 1 ms" in failure.message


def test_wrong_client_secret_is_config_error(shop: tuple[RunningServer, Any]) -> None:
    server, _ = shop
    targets = {"shop": Target(server.url, client_id="runner", client_secret="wrong")}
    with (
        ScenarioRunner(parse_scenario(_scenario()), targets) as runner,
        pytest.raises(ConfigError, match="refused the client credentials"),
    ):
        runner.run_transaction()


def test_missing_target_is_config_error() -> None:
    with pytest.raises(ConfigError, match="needs targets shop"):
        ScenarioRunner(parse_scenario(_scenario()), {})


def test_undefined_variable_rejected_before_requests(shop: tuple[RunningServer, Any]) -> None:
    server, state = shop
    raw = _scenario()
    raw["steps"][1]["request"]["path"] = "/orders/{{ order_idd }}"
    with pytest.raises(ScenarioError, match=r"step 'order ready' uses \{\{ order_idd \}\}"):
        ScenarioRunner(parse_scenario(raw), _targets(server))
    assert state.orders == {}


def test_invalid_jsonpath_rejected_before_requests(shop: tuple[RunningServer, Any]) -> None:
    server, state = shop
    raw = _scenario()
    raw["steps"][0]["extract"] = {"order_id": "$.id[?("}
    with pytest.raises(ScenarioError, match="invalid JSONPath"):
        ScenarioRunner(parse_scenario(raw), _targets(server))
    assert state.orders == {}


def test_unreachable_target_fails_before_first_write(shop: tuple[RunningServer, Any]) -> None:
    server, state = shop
    raw = _scenario()
    raw["targets"]["erp"] = {"auth": "oauth2-client-credentials", "token_path": "/token"}
    targets = {
        **_targets(server),
        "erp": Target("http://127.0.0.1:9", client_id="runner", client_secret="s3cret"),
    }
    with (
        ScenarioRunner(parse_scenario(raw), targets) as runner,
        pytest.raises(ConfigError, match=r"Target 'erp' could not be reached for a token at"),
    ):
        runner.run_batch(2)
    assert state.orders == {}


def test_unreadable_ca_file_is_config_error(
    shop: tuple[RunningServer, Any], tmp_path: Path
) -> None:
    server, _ = shop
    targets = {"shop": Target(server.url, "runner", "s3cret", ca_file=str(tmp_path / "none.pem"))}
    with (
        ScenarioRunner(parse_scenario(_scenario()), targets) as runner,
        pytest.raises(ConfigError, match="cannot be read as PEM certificates"),
    ):
        runner.run_transaction()


def test_scenario_rejects_unknown_target_and_span() -> None:
    raw = _scenario()
    raw["steps"][0]["target"] = "warehouse"
    raw["spans"][0]["to_step"] = "never"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw)
    assert "uses target 'warehouse'" in str(info.value)


def test_scenario_rejects_non_jsonpath_extract() -> None:
    raw = _scenario()
    raw["steps"][0]["extract"] = {"order_id": "id"}
    with pytest.raises(ScenarioError, match=r"steps\.0\.extract"):
        parse_scenario(raw)


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([], 0.5, 0.0), ([3.0], 0.95, 3.0), ([1, 2, 3, 4], 0.5, 2), (list(range(1, 101)), 0.95, 95)],
)
def test_percentile_nearest_rank(values: list[float], fraction: float, expected: float) -> None:
    assert percentile(values, fraction) == expected


def test_cleanup_skips_step_missing_variable(shop: tuple[RunningServer, Any]) -> None:
    server, state = shop
    raw = _scenario()
    raw["steps"][0]["expect"]["status"] = 200
    with ScenarioRunner(parse_scenario(raw), _targets(server)) as runner:
        result = runner.run_transaction()

    assert not result.passed
    assert result.cleanup[0].skipped
    assert "order_id" in result.cleanup[0].message
    assert state.deleted == []
