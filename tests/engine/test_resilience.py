"""Retries, failure classes, dead letters and ordering, between the real CRM and ERP sandboxes.

Failures come from the sandboxes' fault injection (`POST /sandbox/faults`), and what the engine
sent, with what result, from their request logs (`GET /sandbox/requests`). A test delivers
events itself where the case needs something the CRM sandbox never sends: events out of order,
a 15-character Id, a record without one of its fields, or Ids that differ only in case.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import httpx
import pytest
from engine_support import (
    ACCOUNT_FIELDS,
    Harness,
    create_account,
    crm_event,
    crm_link,
    outbox_of,
    sync_account,
    wait_handled,
    wait_until,
)

from opsconsole import wire
from opsconsole.engine.flows import CRM_RECORD_UPDATE, ERP_CUSTOMER_UPSERT
from opsconsole.engine.identity import to_18

SERVER_ERROR = {"title": "Internal Server Error", "status": 500}
LIMIT_EXCEEDED = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]
SESSION_EXPIRED = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
TOO_MANY_REQUESTS = {
    "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
    "title": "Too Many Requests",
    "status": 429,
    "o:errorDetails": [
        {"detail": "Concurrency limit exceeded.", "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}
    ],
}


def _statuses(calls: list[dict[str, Any]]) -> list[int]:
    return [call["status"] for call in calls]


def _dead_letters(harness: Harness, count: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = harness.get("/ops/dlq").json()["items"]
    return items if len(items) == count else []


def _received(call: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(call["received_at"])


def test_downstream_errors_retry_then_succeed(harness: Harness) -> None:
    harness.erp.add_fault(method="PUT", path_pattern="/customer/", status=503, count=2)
    correlation_id = wire.new_correlation_id()

    account_id = create_account(harness, correlation_id)

    wait_until(lambda: crm_link(harness, account_id), "the account sync after two 503s")
    puts = harness.erp.calls("PUT", "/customer/")
    assert _statuses(puts) == [503, 503, 204]
    assert len({put["idempotency_key"] for put in puts}) == 1
    (upsert,) = outbox_of(harness, correlation_id, ERP_CUSTOMER_UPSERT)
    assert upsert["status"] == "done"
    assert upsert["attempts"] == 3
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_exhausted_retries_go_to_dead_letter_queue(harness: Harness) -> None:
    harness.erp.add_fault(method="PUT", path_pattern="/customer/", status=500, count=3)
    correlation_id = wire.new_correlation_id()
    traceparent = wire.new_traceparent()
    headers = {wire.CORRELATION_HEADER: correlation_id, wire.TRACEPARENT_HEADER: traceparent}
    created = harness.crm.http.post(
        "/services/data/v60.0/sobjects/Account", json=ACCOUNT_FIELDS, headers=headers
    )
    account_id = created.json()["id"]

    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")

    assert entry["error_class"] == "downstream"
    assert entry["attempts"] == 3
    assert entry["correlation_id"] == correlation_id
    assert entry["traceparent"].split("-")[1] == traceparent.split("-")[1]
    assert entry["payload"]["external_id"] == account_id
    assert entry["payload"]["body"]["companyName"] == "Nordwerk AG"
    assert _statuses(harness.erp.calls("PUT", "/customer/")) == [500, 500, 500]
    assert harness.erp.record("customer", account_id) is None
    assert crm_link(harness, account_id) is None


def test_validation_error_dead_letters_at_once(harness: Harness) -> None:
    body = {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        "title": "Bad Request",
        "status": 400,
        "o:errorDetails": [{"detail": "Invalid email", "o:errorCode": "INVALID_FLD_VALUE"}],
    }
    harness.erp.add_fault(method="PUT", path_pattern="/customer/", status=400, body=body)

    account_id = create_account(harness, wire.new_correlation_id())

    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    assert entry["error_class"] == "validation"
    assert entry["attempts"] == 1
    assert "INVALID_FLD_VALUE" in entry["error"]
    assert _statuses(harness.erp.calls("PUT", "/customer/")) == [400]
    assert harness.erp.record("customer", account_id) is None


def test_retry_after_seconds_is_honoured(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="opsconsole.engine")
    harness.erp.add_fault(
        method="PUT",
        path_pattern="/customer/",
        status=429,
        count=2,
        body=TOO_MANY_REQUESTS,
        headers={"Retry-After": "1"},
    )

    account_id = create_account(harness, wire.new_correlation_id())

    wait_until(lambda: crm_link(harness, account_id), "the account sync after two 429s")
    puts = harness.erp.calls("PUT", "/customer/")
    assert _statuses(puts) == [429, 429, 204]
    # Lower bounds only: the engine must not call before the ERP allowed it.
    assert _received(puts[1]) - _received(puts[0]) >= timedelta(seconds=1)
    assert _received(puts[2]) - _received(puts[1]) >= timedelta(seconds=1)
    assert harness.get("/ops/stats").json()["dlq"] == 0
    delays = [r.getMessage() for r in caplog.records if "event='delivery failed'" in r.getMessage()]
    assert len(delays) == 2
    assert all("retry_after=1.0" in line for line in delays)
    assert all("failure_class='rate_limit'" in line for line in delays)


def test_retry_after_http_date_is_honoured(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="opsconsole.engine")
    # HTTP dates have whole seconds, so the dates are 2 and 3 seconds ahead, at least 1 s away.
    now = datetime.now(UTC)
    for seconds in (2, 3):
        date = format_datetime(now + timedelta(seconds=seconds), usegmt=True)
        harness.erp.add_fault(
            method="PUT",
            path_pattern="/customer/",
            status=429,
            body=TOO_MANY_REQUESTS,
            headers={"Retry-After": date},
        )
    rules = harness.erp.http.get("/sandbox/faults").json()["faults"]
    allowed = [parsedate_to_datetime(rule["rule"]["headers"]["Retry-After"]) for rule in rules]
    correlation_id = wire.new_correlation_id()

    account_id = create_account(harness, correlation_id)

    wait_until(lambda: crm_link(harness, account_id), "the account sync after two 429s")
    puts = harness.erp.calls("PUT", "/customer/")
    assert _statuses(puts) == [429, 429, 204]
    assert _received(puts[1]) >= allowed[0]
    assert _received(puts[2]) >= allowed[1]
    delays = [r.getMessage() for r in caplog.records if "event='delivery failed'" in r.getMessage()]
    assert len(delays) == 2
    assert all("retry_after=None" not in line for line in delays)
    (upsert,) = outbox_of(harness, correlation_id, ERP_CUSTOMER_UPSERT)
    assert upsert["attempts"] == 3
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_crm_session_expiry_refreshes_token_once(harness: Harness) -> None:
    harness.crm.add_fault(
        method="PATCH", path_pattern="/sobjects/Account/", status=401, body=SESSION_EXPIRED
    )
    correlation_id = wire.new_correlation_id()
    account_id = create_account(harness, correlation_id)

    wait_until(lambda: crm_link(harness, account_id), "the CRM update after a token refresh")

    assert _statuses(harness.crm.calls("POST", "/oauth2/token")) == [200, 200]
    assert _statuses(harness.crm.calls("PATCH", account_id)) == [401, 204]
    # The refresh happens inside one attempt, so no retry with backoff was needed.
    (update,) = outbox_of(harness, correlation_id, CRM_RECORD_UPDATE)
    assert update["attempts"] == 1


def test_crm_request_limit_backs_off_without_token_refresh(harness: Harness) -> None:
    harness.crm.add_fault(
        method="PATCH", path_pattern="/sobjects/Account/", status=403, body=LIMIT_EXCEEDED
    )
    correlation_id = wire.new_correlation_id()
    account_id = create_account(harness, correlation_id)

    wait_until(lambda: crm_link(harness, account_id), "the CRM update after the request limit")

    assert _statuses(harness.crm.calls("POST", "/oauth2/token")) == [200]
    assert _statuses(harness.crm.calls("PATCH", account_id)) == [403, 204]
    (update,) = outbox_of(harness, correlation_id, CRM_RECORD_UPDATE)
    assert update["attempts"] == 2
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_stale_account_event_does_not_overwrite_newer(
    harness_factory: Callable[..., Harness],
) -> None:
    harness = harness_factory(crm_events=False)
    account_id = create_account(harness, wire.new_correlation_id())
    created = harness.crm.record("Account", account_id)
    harness.post_event("/webhooks/crm", crm_event("Account", created, wire.CRM_ACCOUNT_CREATED))
    wait_until(lambda: crm_link(harness, account_id), "the account sync")
    harness.crm.update("Account", account_id, {"Phone": "+49 30 0000"})
    older = crm_event("Account", harness.crm.record("Account", account_id), "crm.account.updated")
    harness.crm.update("Account", account_id, {"Phone": "+49 30 9999"})
    newer = crm_event("Account", harness.crm.record("Account", account_id), "crm.account.updated")
    assert newer.data["fields"]["SystemModstamp"] > older.data["fields"]["SystemModstamp"]

    harness.post_event("/webhooks/crm", newer)
    harness.post_event("/webhooks/crm", older)

    (stale,) = wait_handled(harness, older.correlationid, wire.CRM_ACCOUNT_UPDATED)
    assert stale["status"] == "skipped_stale"
    wait_handled(harness, newer.correlationid, wire.CRM_ACCOUNT_UPDATED)
    (upsert,) = wait_until(
        lambda: [
            m
            for m in outbox_of(harness, newer.correlationid, ERP_CUSTOMER_UPSERT)
            if m["status"] == "done"
        ],
        "the newer phone in the ERP",
    )
    customer = harness.erp.record("customer", account_id)
    assert customer is not None
    assert customer["phone"] == "+49 30 9999"
    assert outbox_of(harness, older.correlationid, ERP_CUSTOMER_UPSERT) == []
    assert upsert["idempotency_key"].endswith(f"{ERP_CUSTOMER_UPSERT}:2")


def test_15_and_18_char_ids_share_customer(harness_factory: Callable[..., Harness]) -> None:
    harness = harness_factory(crm_events=False)
    account_id = create_account(harness, wire.new_correlation_id())
    created = harness.crm.record("Account", account_id)
    short = crm_event("Account", created, wire.CRM_ACCOUNT_CREATED, record_id=account_id[:15])
    harness.post_event("/webhooks/crm", short)
    wait_until(lambda: crm_link(harness, account_id), "the first sync")

    harness.crm.update("Account", account_id[:15], {"Phone": None})
    cleared = harness.crm.record("Account", account_id)
    harness.post_event("/webhooks/crm", crm_event("Account", cleared, wire.CRM_ACCOUNT_UPDATED))

    wait_until(
        lambda: (harness.erp.record("customer", account_id) or {}).get("phone") == "",
        "the cleared phone in the ERP",
    )
    assert harness.erp.count("customer") == 1
    assert len(harness.erp.calls("PUT", f"/customer/eid:{account_id}")) == 2


def test_cleared_field_clears_erp_value(harness: Harness) -> None:
    account = sync_account(harness)
    correlation_id = wire.new_correlation_id()

    harness.crm.update("Account", account.account_id, {"Phone": None}, correlation_id)

    wait_until(lambda: outbox_of(harness, correlation_id, ERP_CUSTOMER_UPSERT), "the second upsert")
    wait_until(
        lambda: (harness.erp.record("customer", account.account_id) or {}).get("phone") == "",
        "the cleared phone in the ERP",
    )
    customer = harness.erp.record("customer", account.account_id)
    assert customer is not None
    assert customer["companyName"] == "Nordwerk AG"


def test_ids_differing_only_in_case_stay_two_customers(harness: Harness) -> None:
    # The CRM sandbox assigns Ids itself, so two accounts whose Ids differ only in case cannot
    # be created there. Their events are posted here, and the engine's write of the ERP id
    # back to those accounts fails with the CRM's NOT_FOUND, which is dead-lettered.
    first, second = to_18("0015g00000QxYzA"), to_18("0015g00000Qxyza")
    for account_id, name in ((first, "Nordwerk AG"), (second, "Sudhafen KG")):
        record = {**ACCOUNT_FIELDS, "Id": account_id, "Name": name}
        record["SystemModstamp"] = "2026-03-02T09:15:00.000+0000"
        harness.post_event("/webhooks/crm", crm_event("Account", record, wire.CRM_ACCOUNT_CREATED))

    dead = wait_until(lambda: _dead_letters(harness, 2), "both back-links to fail")
    names = {}
    for account_id in (first, second):
        customer = harness.erp.record("customer", account_id)
        assert customer is not None
        names[account_id] = customer["companyName"]
    assert names == {first: "Nordwerk AG", second: "Sudhafen KG"}
    assert harness.erp.count("customer") == 2
    canonical = {
        harness.get("/ops/xref", system="crm", object="customer", id=account_id).json()[
            "canonical_id"
        ]
        for account_id in (first, second)
    }
    assert len(canonical) == 2
    assert {entry["payload"]["id"] for entry in dead} == {first, second}
    assert all("NOT_FOUND" in entry["error"] for entry in dead)


def test_absent_field_leaves_erp_value_unchanged(harness: Harness) -> None:
    # The CRM sandbox always sends whole records, so the event without Phone is posted here,
    # as a change by the person who created the account (the engine wrote the record last).
    account = sync_account(harness)
    record = harness.crm.record("Account", account.account_id)
    record["LastModifiedById"] = record["CreatedById"]
    record["Name"] = "Nordwerk SE"
    record["SystemModstamp"] = "2099-01-01T00:00:00.000+0000"
    del record["Phone"]
    event = crm_event("Account", record, wire.CRM_ACCOUNT_UPDATED)

    harness.post_event("/webhooks/crm", event)

    wait_until(
        lambda: [
            m
            for m in outbox_of(harness, event.correlationid, ERP_CUSTOMER_UPSERT)
            if m["status"] == "done"
        ],
        "the second customer upsert",
    )
    customer = harness.erp.record("customer", account.account_id)
    assert customer is not None
    assert customer["companyName"] == "Nordwerk SE"
    assert customer["phone"] == "+49 30 1234"
    assert len(harness.erp.calls("PUT", "/customer/")) == 2


def test_unmappable_state_goes_to_dead_letter_queue(harness: Harness) -> None:
    street = " ".join(["Hafenstraße 12, Gebäude C, Anlieferung über Tor 4"] * 4)
    state = "Mecklenburg-Vorpommern-Nord-West-Ost"
    correlation_id = wire.new_correlation_id()

    account_id = create_account(harness, correlation_id, BillingStreet=street, BillingState=state)

    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    assert entry["origin"] == "inbox"
    assert entry["error_class"] == "mapping"
    assert entry["correlation_id"] == correlation_id
    assert "/billing_address/state" in entry["error"]
    assert harness.erp.calls("PUT", "/customer/") == []
    assert harness.erp.record("customer", account_id) is None


def _dead_letter(harness: Harness) -> tuple[str, dict[str, Any]]:
    harness.erp.add_fault(method="PUT", path_pattern="/customer/", status=500, count=3)
    account_id = create_account(harness, wire.new_correlation_id())
    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    return account_id, dict(entry)


def _replay(harness: Harness, entry_id: int, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{harness.url}/ops/dlq/{entry_id}/replay",
        json=body,
        headers={"X-Opsconsole-Actor": "oncall@example.com"},
    )


def test_replay_sends_stored_payload(harness: Harness) -> None:
    account_id, entry = _dead_letter(harness)

    response = _replay(harness, entry["id"])

    assert response.status_code == 200
    assert response.json()["changes"] == []
    wait_until(lambda: crm_link(harness, account_id), "the replayed upsert")
    customer = harness.erp.record("customer", account_id)
    assert customer is not None
    stored = entry["payload"]["body"]
    text_fields = {name: value for name, value in stored.items() if isinstance(value, str)}
    assert len(text_fields) >= 8
    for name, value in text_fields.items():
        assert customer[name] == value, name
    assert customer["currency"]["refName"] == stored["currency"]["refName"]
    last_put = harness.erp.calls("PUT", "/customer/")[-1]
    assert last_put["status"] == 204
    assert last_put["idempotency_key"] == response.json()["message"]["idempotency_key"]
    assert last_put["idempotency_key"].endswith(f":replay-{entry['id']}")
    assert harness.get("/ops/dlq").json()["items"] == []


def test_edited_replay_is_diffed_and_audited(harness: Harness) -> None:
    account_id, entry = _dead_letter(harness)
    edited = json.loads(json.dumps(entry["payload"]))
    edited["body"]["companyName"] = "Nordwerk AG (Hamburg)"

    response = _replay(harness, entry["id"], payload=edited, reason="name fixed by hand")

    change = {"path": "/body/companyName", "old": "Nordwerk AG", "new": "Nordwerk AG (Hamburg)"}
    assert response.json()["changes"] == [change]
    wait_until(lambda: crm_link(harness, account_id), "the replayed upsert")
    customer = harness.erp.record("customer", account_id)
    assert customer is not None
    assert customer["companyName"] == "Nordwerk AG (Hamburg)"
    (audit,) = harness.get("/ops/audit", entity=f"dlq/{entry['id']}").json()["items"]
    assert audit["actor"] == "oncall@example.com"
    assert audit["action"] == "dlq.replay"
    assert audit["detail"]["changes"] == [change]
    assert audit["detail"]["reason"] == "name fixed by hand"


def test_dry_run_replay_changes_nothing(harness: Harness) -> None:
    account_id, entry = _dead_letter(harness)
    puts_before = len(harness.erp.calls("PUT", "/customer/"))

    response = _replay(harness, entry["id"], dry_run=True)

    assert response.json()["dry_run"] is True
    assert len(harness.get("/ops/dlq").json()["items"]) == 1
    (audit,) = harness.get("/ops/audit", entity=f"dlq/{entry['id']}").json()["items"]
    assert audit["action"] == "dlq.replay.dry_run"
    assert len(harness.erp.calls("PUT", "/customer/")) == puts_before
    assert harness.erp.record("customer", account_id) is None


def test_second_replay_is_a_conflict(harness: Harness) -> None:
    _, entry = _dead_letter(harness)
    _replay(harness, entry["id"])

    response = _replay(harness, entry["id"])

    assert response.status_code == 409
    assert "replayed already" in response.json()["detail"]


def test_bulk_replay_takes_matching_entries(harness: Harness) -> None:
    account_id, entry = _dead_letter(harness)

    dry = httpx.post(
        f"{harness.url}/ops/dlq/replay", json={"error_class": "downstream", "dry_run": True}
    )
    other = httpx.post(f"{harness.url}/ops/dlq/replay", json={"error_class": "validation"})
    real = httpx.post(f"{harness.url}/ops/dlq/replay", json={"error_class": "downstream"})

    assert dry.json() == {"dry_run": True, "replayed": [entry["id"]]}
    assert other.json() == {"dry_run": False, "replayed": []}
    assert real.json() == {"dry_run": False, "replayed": [entry["id"]]}
    wait_until(lambda: crm_link(harness, account_id), "the replayed upsert")
    actions = [a["action"] for a in harness.get("/ops/audit").json()["items"]]
    assert actions == ["dlq.replay", "dlq.replay.dry_run"]
