"""Retries, failure classes, dead letters and ordering of the engine's outbound side."""

from __future__ import annotations

import json
from typing import Any

import httpx
from engine_support import ACCOUNT_ID, Harness, account_event, seed_account, wait_until

from opsconsole.engine.identity import to_18


def _crm_link(harness: Harness) -> Any:
    return harness.crm.records["Account"][ACCOUNT_ID].get("ERP_Customer_Id__c")


def test_downstream_errors_retry_then_succeed(harness: Harness) -> None:
    seed_account(harness)
    harness.erp.fail_next(503, {"title": "Service Unavailable"})
    harness.erp.fail_next(503, {"title": "Service Unavailable"})

    harness.post_event("/webhooks/crm", account_event())

    wait_until(lambda: _crm_link(harness), "the account sync after two 503s")
    assert len(harness.erp.calls("PUT", "/customer/")) == 3
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_exhausted_retries_go_to_dead_letter_queue(harness: Harness) -> None:
    seed_account(harness)
    for _ in range(3):
        harness.erp.fail_next(500, {"title": "Internal Server Error"})
    event = account_event()

    harness.post_event("/webhooks/crm", event)

    dlq = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    (entry,) = dlq
    assert entry["error_class"] == "downstream"
    assert entry["attempts"] == 3
    assert entry["correlation_id"] == event.correlationid
    assert entry["traceparent"]
    assert entry["payload"]["external_id"] == ACCOUNT_ID
    assert entry["payload"]["body"]["companyName"] == "Nordwerk AG"


def test_validation_error_dead_letters_at_once(harness: Harness) -> None:
    seed_account(harness)
    body = {
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        "title": "Bad Request",
        "status": 400,
        "o:errorDetails": [{"detail": "Invalid email", "o:errorCode": "INVALID_FLD_VALUE"}],
    }
    harness.erp.fail_next(400, body)

    harness.post_event("/webhooks/crm", account_event())

    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    assert entry["error_class"] == "validation"
    assert entry["attempts"] == 1


def test_rate_limit_honours_retry_after_without_exhausting_attempts(harness: Harness) -> None:
    seed_account(harness)
    for _ in range(2):
        harness.erp.fail_next(429, {"title": "Too Many Requests"}, {"Retry-After": "1"})

    harness.post_event("/webhooks/crm", account_event())

    wait_until(lambda: _crm_link(harness), "the account sync after two 429s")
    puts = harness.erp.calls("PUT", "/customer/")
    assert len(puts) == 3
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_crm_session_expiry_refreshes_token_once(harness: Harness) -> None:
    seed_account(harness)
    expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    harness.crm.fail_next(401, expired)

    harness.post_event("/webhooks/crm", account_event())

    wait_until(lambda: _crm_link(harness), "the CRM update after a token refresh")
    assert len(harness.crm.calls("POST", "/oauth2/token")) == 2


def test_crm_request_limit_backs_off_without_token_refresh(harness: Harness) -> None:
    seed_account(harness)
    limit = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    harness.crm.fail_next(403, limit)

    harness.post_event("/webhooks/crm", account_event())

    wait_until(lambda: _crm_link(harness), "the CRM update after the request limit")
    assert len(harness.crm.calls("POST", "/oauth2/token")) == 1
    assert len(harness.crm.calls("PATCH", ACCOUNT_ID)) == 2


def test_stale_account_event_does_not_overwrite_newer(harness: Harness) -> None:
    seed_account(harness)
    newer = account_event(modified="2026-03-02T12:30:07.000+0000", Phone="+49 30 9999")
    older = account_event(modified="2026-03-02T12:30:02.000+0000", Phone="+49 30 0000")

    harness.post_event("/webhooks/crm", newer)
    harness.post_event("/webhooks/crm", older)

    messages = wait_until(
        lambda: [
            m
            for m in harness.get("/ops/messages", correlation_id=older.correlationid).json()[
                "inbox"
            ]
            if m["status"] != "pending"
        ],
        "the stale event to be handled",
    )
    assert messages[0]["status"] == "skipped_stale"
    wait_until(lambda: _crm_link(harness), "the account sync")
    (customer,) = harness.erp.records["customer"].values()
    assert customer["phone"] == "+49 30 9999"


def test_15_and_18_char_ids_share_customer(harness: Harness) -> None:
    seed_account(harness)
    harness.post_event("/webhooks/crm", account_event("0015g00000QxYzA"))
    wait_until(lambda: _crm_link(harness), "the first sync")

    later = account_event(ACCOUNT_ID, modified="2026-03-02T10:00:00.000+0000", Phone=None)
    harness.post_event("/webhooks/crm", later)

    wait_until(
        lambda: next(iter(harness.erp.records["customer"].values()))["phone"] == "",
        "the cleared phone in the ERP",
    )
    assert len(harness.erp.records["customer"]) == 1


def test_ids_differing_only_in_case_stay_two_customers(harness: Harness) -> None:
    other = to_18("0015g00000Qxyza")
    seed_account(harness)
    seed_account(harness, other)

    harness.post_event("/webhooks/crm", account_event("0015g00000QxYzA", Name="Nordwerk AG"))
    harness.post_event("/webhooks/crm", account_event("0015g00000Qxyza", Name="Sudhafen KG"))

    wait_until(
        lambda: harness.crm.records["Account"][other].get("ERP_Customer_Id__c"), "both syncs"
    )
    wait_until(lambda: _crm_link(harness), "both syncs")
    names = {c["externalId"]: c["companyName"] for c in harness.erp.records["customer"].values()}
    assert names == {ACCOUNT_ID: "Nordwerk AG", other: "Sudhafen KG"}


def test_absent_field_leaves_erp_value_unchanged(harness: Harness) -> None:
    seed_account(harness)
    harness.post_event("/webhooks/crm", account_event())
    wait_until(lambda: _crm_link(harness), "the first sync")
    event = account_event(modified="2026-03-02T11:00:00.000+0000", Name="Nordwerk SE")
    del event.data["fields"]["Phone"]

    harness.post_event("/webhooks/crm", event)

    wait_until(
        lambda: len(harness.erp.calls("PUT", "/customer/")) == 2, "the second customer upsert"
    )
    (customer,) = harness.erp.records["customer"].values()
    assert customer["companyName"] == "Nordwerk SE"
    assert customer["phone"] == "+49 30 1234"


def test_unmappable_state_goes_to_dead_letter_queue(harness: Harness) -> None:
    seed_account(harness)
    street = " ".join(["Hafenstraße 12, Gebäude C, Anlieferung über Tor 4"] * 4)
    harness.post_event(
        "/webhooks/crm",
        account_event(BillingStreet=street, BillingState="Mecklenburg-Vorpommern-Nord-West-Ost"),
    )

    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    assert entry["origin"] == "inbox"
    assert entry["error_class"] == "mapping"
    assert "/billing_address/state" in entry["error"]
    assert harness.erp.calls("PUT", "/customer/") == []


def _dead_letter(harness: Harness) -> dict[str, Any]:
    seed_account(harness)
    for _ in range(3):
        harness.erp.fail_next(500, {"title": "Internal Server Error"})
    harness.post_event("/webhooks/crm", account_event())
    (entry,) = wait_until(lambda: harness.get("/ops/dlq").json()["items"], "a dead letter")
    return dict(entry)


def _replay(harness: Harness, entry_id: int, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{harness.url}/ops/dlq/{entry_id}/replay",
        json=body,
        headers={"X-Opsconsole-Actor": "oncall@example.com"},
    )


def test_replay_sends_stored_payload(harness: Harness) -> None:
    entry = _dead_letter(harness)

    response = _replay(harness, entry["id"])

    assert response.status_code == 200
    assert response.json()["changes"] == []
    wait_until(lambda: _crm_link(harness), "the replayed upsert")
    assert harness.erp.calls("PUT", "/customer/")[-1].body == entry["payload"]["body"]
    assert harness.get("/ops/dlq").json()["items"] == []


def test_edited_replay_is_diffed_and_audited(harness: Harness) -> None:
    entry = _dead_letter(harness)
    edited = json.loads(json.dumps(entry["payload"]))
    edited["body"]["companyName"] = "Nordwerk AG (Hamburg)"

    response = _replay(harness, entry["id"], payload=edited, reason="name fixed by hand")

    change = {"path": "/body/companyName", "old": "Nordwerk AG", "new": "Nordwerk AG (Hamburg)"}
    assert response.json()["changes"] == [change]
    wait_until(lambda: _crm_link(harness), "the replayed upsert")
    (customer,) = harness.erp.records["customer"].values()
    assert customer["companyName"] == "Nordwerk AG (Hamburg)"
    (audit,) = harness.get("/ops/audit", entity=f"dlq/{entry['id']}").json()["items"]
    assert audit["actor"] == "oncall@example.com"
    assert audit["action"] == "dlq.replay"
    assert audit["detail"]["changes"] == [change]
    assert audit["detail"]["reason"] == "name fixed by hand"


def test_dry_run_replay_changes_nothing(harness: Harness) -> None:
    entry = _dead_letter(harness)
    puts_before = len(harness.erp.calls("PUT", "/customer/"))

    response = _replay(harness, entry["id"], dry_run=True)

    assert response.json()["dry_run"] is True
    assert len(harness.get("/ops/dlq").json()["items"]) == 1
    (audit,) = harness.get("/ops/audit", entity=f"dlq/{entry['id']}").json()["items"]
    assert audit["action"] == "dlq.replay.dry_run"
    assert len(harness.erp.calls("PUT", "/customer/")) == puts_before


def test_second_replay_is_a_conflict(harness: Harness) -> None:
    entry = _dead_letter(harness)
    _replay(harness, entry["id"])

    response = _replay(harness, entry["id"])

    assert response.status_code == 409
    assert "replayed already" in response.json()["detail"]


def test_bulk_replay_takes_matching_entries(harness: Harness) -> None:
    entry = _dead_letter(harness)

    dry = httpx.post(
        f"{harness.url}/ops/dlq/replay", json={"error_class": "downstream", "dry_run": True}
    )
    other = httpx.post(f"{harness.url}/ops/dlq/replay", json={"error_class": "validation"})
    real = httpx.post(f"{harness.url}/ops/dlq/replay", json={"error_class": "downstream"})

    assert dry.json() == {"dry_run": True, "replayed": [entry["id"]]}
    assert other.json() == {"dry_run": False, "replayed": []}
    assert real.json() == {"dry_run": False, "replayed": [entry["id"]]}
    wait_until(lambda: _crm_link(harness), "the replayed upsert")
    actions = [a["action"] for a in harness.get("/ops/audit").json()["items"]]
    assert actions == ["dlq.replay", "dlq.replay.dry_run"]
