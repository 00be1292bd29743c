"""The lead-to-cash flow through the engine app, against fake CRM and ERP servers."""

from __future__ import annotations

from typing import Any

from conftest import Harness, wait_until
from engine_fakes import ENGINE_USER_ID

from opsconsole import wire
from opsconsole.engine.identity import to_18

ACCOUNT_ID = to_18("0015g00000QxYzA")
ORDER_ID = to_18("8015g00000AbCdE")
HUMAN_USER_ID = to_18("005000000000777")


def account_event(
    account_id: str = ACCOUNT_ID,
    *,
    event_id: str | None = None,
    modified: str = "2026-03-02T09:15:00.000+0000",
    author: str = HUMAN_USER_ID,
    **fields: Any,
) -> wire.CloudEvent:
    record = {
        "Id": account_id,
        "Name": "Nordwerk AG",
        "Phone": "+49 30 1234",
        "BillingStreet": "Hafenstraße 12",
        "BillingCity": "Hamburg",
        "BillingPostalCode": "20457",
        "BillingCountry": "DE",
        "CurrencyIsoCode": "EUR",
        "SystemModstamp": modified,
        **fields,
    }
    event = wire.CloudEvent(
        source="/sandbox/crm",
        type=wire.CRM_ACCOUNT_CREATED,
        subject=account_id,
        data={
            "sobject": "Account",
            "id": account_id,
            "fields": record,
            "changedFields": list(record),
            "lastModifiedById": author,
        },
        correlationid=wire.new_correlation_id(),
        traceparent=wire.new_traceparent(),
    )
    if event_id:
        event.id = event_id
    return event


def seed_account(harness: Harness, account_id: str = ACCOUNT_ID) -> None:
    harness.crm.records.setdefault("Account", {})[account_id] = {"Id": account_id}


def erp_customers(harness: Harness) -> dict[str, dict[str, Any]]:
    return harness.erp.records.get("customer", {})


def test_account_becomes_one_linked_erp_customer(harness: Harness) -> None:
    seed_account(harness)
    event = account_event()

    response = harness.post_event("/webhooks/crm", event)

    assert response.status_code == 202
    wait_until(
        lambda: harness.crm.records["Account"][ACCOUNT_ID].get("ERP_Customer_Id__c"),
        "the ERP customer id on the CRM account",
    )
    customers = erp_customers(harness)
    assert len(customers) == 1
    erp_id, customer = next(iter(customers.items()))
    assert customer["externalId"] == ACCOUNT_ID
    assert customer["companyName"] == "Nordwerk AG"
    assert harness.crm.records["Account"][ACCOUNT_ID]["ERP_Customer_Id__c"] == erp_id
    xref = harness.get("/ops/xref", system="erp", object="customer", id=erp_id).json()
    assert {"system": "crm", "object": "customer", "id": ACCOUNT_ID} in xref["links"]


def test_outbound_calls_carry_correlation_and_child_trace(harness: Harness) -> None:
    seed_account(harness)
    event = account_event()
    assert event.traceparent is not None
    trace_id = event.traceparent.split("-")[1]

    harness.post_event("/webhooks/crm", event)

    wait_until(lambda: harness.crm.calls("PATCH", ACCOUNT_ID), "the CRM account update")
    calls = harness.erp.calls("PUT", "/customer/") + harness.crm.calls("PATCH", ACCOUNT_ID)
    for call in calls:
        assert call.headers["x-correlation-id"] == event.correlationid
        parent = call.headers["traceparent"]
        assert parent.split("-")[1] == trace_id
        assert parent != event.traceparent
        assert call.headers["idempotency-key"]


def test_echo_of_engine_write_is_ignored(harness: Harness) -> None:
    seed_account(harness)
    event = account_event(author=ENGINE_USER_ID, Name="Changed by the engine")

    assert harness.post_event("/webhooks/crm", event).status_code == 202

    messages = wait_until(
        lambda: _handled_messages(harness, event.correlationid), "the echo to be handled"
    )
    assert messages[0]["status"] == "ignored"
    assert harness.erp.calls("PUT", "/customer/") == []


def _handled_messages(harness: Harness, correlation_id: str | None) -> list[dict[str, Any]]:
    body = harness.get("/ops/messages", correlation_id=correlation_id).json()
    inbox = body["inbox"]
    return inbox if inbox and all(m["status"] != "pending" for m in inbox) else []
