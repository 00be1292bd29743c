"""The lead-to-cash flow through the engine app, against fake CRM and ERP servers."""

from __future__ import annotations

import logging

import pytest
from engine_fakes import ENGINE_USER_ID
from engine_support import (
    ACCOUNT_ID,
    ORDER_ID,
    Harness,
    account_event,
    erp_customers,
    erp_event,
    handled_messages,
    order_event,
    seed_account,
    seed_order,
    sync_account,
    wait_until,
)

from opsconsole import wire


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


def test_outbound_calls_carry_trace_and_keys(harness: Harness) -> None:
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
    erp_key = harness.erp.calls("PUT", "/customer/")[0].headers["idempotency-key"]
    crm_key = harness.crm.calls("PATCH", ACCOUNT_ID)[0].headers["idempotency-key"]
    assert erp_key.startswith("customer:")
    assert erp_key.endswith(":erp.customer.upsert:1")
    assert ":crm.record.update:" in crm_key
    assert erp_key.split(":")[1] == crm_key.split(":")[1]


def test_echo_of_engine_write_is_ignored(harness: Harness) -> None:
    seed_account(harness)
    event = account_event(author=ENGINE_USER_ID, Name="Changed by the engine")

    assert harness.post_event("/webhooks/crm", event).status_code == 202

    messages = wait_until(
        lambda: handled_messages(harness, event.correlationid), "the echo to be handled"
    )
    assert messages[0]["status"] == "ignored"
    assert harness.erp.calls("PUT", "/customer/") == []


def test_activated_order_becomes_erp_sales_order(harness: Harness) -> None:
    erp_customer_id = sync_account(harness)
    seed_order(harness)

    assert harness.post_event("/webhooks/crm", order_event()).status_code == 202

    orders = wait_until(lambda: harness.erp.records.get("salesOrder"), "the ERP sales order")
    assert len(orders) == 1
    order = next(iter(orders.values()))
    assert order["externalId"] == ORDER_ID
    assert order["entity"] == {"id": erp_customer_id}
    assert order["item"]["items"] == [
        {
            "item": {"refName": "PUMP-200"},
            "description": "Pump 200",
            "quantity": 2,
            "rate": "2615.20",
            "amount": "5230.40",
        }
    ]


def test_draft_order_is_not_sent(harness: Harness) -> None:
    event = order_event(status="Draft")

    harness.post_event("/webhooks/crm", event)

    messages = wait_until(lambda: handled_messages(harness, event.correlationid), "the draft")
    assert messages[0]["status"] == "ignored"
    assert harness.erp.calls("PUT", "salesOrder") == []


def test_order_waits_for_its_customer(harness: Harness) -> None:
    seed_order(harness)
    event = order_event()
    harness.post_event("/webhooks/crm", event)
    wait_until(
        lambda: _outbox_failed_with(harness, event.correlationid, "dependency"),
        "the order to wait for its customer",
    )
    assert harness.erp.calls("PUT", "salesOrder") == []

    sync_account(harness)

    orders = wait_until(lambda: harness.erp.records.get("salesOrder"), "the ERP sales order")
    assert len(orders) == 1
    assert harness.get("/ops/stats").json()["dlq"] == 0


def _outbox_failed_with(harness: Harness, correlation_id: str | None, failure: str) -> bool:
    body = harness.get("/ops/messages", correlation_id=correlation_id).json()
    return any(message["failure_class"] == failure for message in body["outbox"])


def test_erp_events_update_crm_order_and_create_invoice(harness: Harness) -> None:
    sync_account(harness)
    seed_order(harness)
    harness.post_event("/webhooks/crm", order_event())
    orders = wait_until(lambda: harness.erp.records.get("salesOrder"), "the ERP sales order")
    erp_order_id = next(iter(orders))
    accepted = {"id": erp_order_id, "externalId": ORDER_ID, "status": "Pending Fulfillment"}

    harness.post_event(
        "/events/erp", erp_event(wire.ERP_SALES_ORDER_ACCEPTED, "salesOrder", accepted)
    )
    fulfilled = {**accepted, "status": "Pending Billing"}
    harness.post_event(
        "/events/erp", erp_event(wire.ERP_SALES_ORDER_FULFILLED, "salesOrder", fulfilled)
    )
    invoice = {
        "id": "77",
        "externalId": f"INV-{erp_order_id}",
        "tranId": "INV-2026-0107",
        "createdFrom": {"id": erp_order_id},
        "total": 5230.4,
        "currency": {"refName": "EUR"},
        "status": "Open",
        "tranDate": "2026-03-05",
    }
    harness.post_event("/events/erp", erp_event(wire.ERP_INVOICE_CREATED, "invoice", invoice))

    invoices = wait_until(lambda: harness.crm.records.get("Invoice__c"), "the CRM invoice")
    crm_order = harness.crm.records["Order"][ORDER_ID]
    wait_until(lambda: crm_order.get("ERP_Status__c") == "Pending Billing", "the ERP status")
    assert crm_order["ERP_Sales_Order_Id__c"] == erp_order_id
    (crm_invoice,) = invoices.values()
    assert crm_invoice["ERP_Invoice_Id__c"] == f"INV-{erp_order_id}"
    assert crm_invoice["Order__c"] == ORDER_ID
    assert crm_invoice["Account__c"] == ACCOUNT_ID
    assert crm_invoice["Amount__c"] == "5230.40"
    assert crm_invoice["CurrencyIsoCode"] == "EUR"
    assert crm_invoice["Status__c"] == "Open"
    assert crm_invoice["InvoiceDate__c"] == "2026-03-05"


def test_account_sync_runs_on_postgresql(harness_factory) -> None:  # type: ignore[no-untyped-def]
    import uuid

    import psycopg
    import pytest
    from sqlalchemy import create_engine

    try:
        psycopg.connect("host=127.0.0.1 user=postgres dbname=test", connect_timeout=2).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 (user postgres, db test) unreachable: {exc}")
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"t_{uuid.uuid4().hex}"
    harness = harness_factory(database_url=url, database_schema=schema)
    try:
        seed_account(harness)
        event = account_event(event_id="wh-pg-1")
        statuses = [harness.post_event("/webhooks/crm", event).status_code for _ in range(2)]
        wait_until(
            lambda: harness.crm.records["Account"][ACCOUNT_ID].get("ERP_Customer_Id__c"),
            "the account sync on PostgreSQL",
        )
        assert statuses == [202, 200]
        assert len(erp_customers(harness)) == 1
    finally:
        cleanup = create_engine(url)
        with cleanup.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        cleanup.dispose()


def test_late_create_does_not_undo_update(harness: Harness) -> None:
    sync_account(harness)
    seed_order(harness)
    update = order_event()
    create = order_event(status="Draft")
    create.type = wire.CRM_ORDER_CREATED
    create.data["fields"]["SystemModstamp"] = "2026-03-02T09:00:00.000+0000"

    harness.post_event("/webhooks/crm", update)
    harness.post_event("/webhooks/crm", create)

    wait_until(lambda: harness.erp.records.get("salesOrder"), "the ERP sales order")
    messages = wait_until(lambda: handled_messages(harness, create.correlationid), "the create")
    assert messages[0]["status"] == "ignored"
    assert len(harness.erp.records["salesOrder"]) == 1
    assert len(harness.erp.calls("PUT", "salesOrder")) == 1


def test_invoice_before_its_order_waits(harness: Harness) -> None:
    invoice = {
        "id": "78",
        "externalId": "INV-1002",
        "tranId": "INV-2026-0108",
        # The fake ERP numbers records from 1001: the customer, then this sales order.
        "createdFrom": {"id": "1002"},
        "total": "99.90",
        "currency": {"refName": "EUR"},
        "status": "Open",
        "tranDate": "2026-03-05",
    }
    early = erp_event(wire.ERP_INVOICE_CREATED, "invoice", invoice)
    harness.post_event("/events/erp", early)
    wait_until(
        lambda: [
            m
            for m in harness.get("/ops/messages", correlation_id=early.correlationid).json()[
                "inbox"
            ]
            if m["failure_class"] == "dependency" and m["status"] == "pending"
        ],
        "the invoice to wait for its sales order",
    )

    sync_account(harness)
    seed_order(harness)
    harness.post_event("/webhooks/crm", order_event())

    invoices = wait_until(lambda: harness.crm.records.get("Invoice__c"), "the CRM invoice")
    (crm_invoice,) = invoices.values()
    assert crm_invoice["Order__c"] == ORDER_ID
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_logs_carry_the_correlation_id(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="opsconsole.engine")
    seed_account(harness)
    event = account_event()

    harness.post_event("/webhooks/crm", event)

    wait_until(lambda: handled_messages(harness, event.correlationid), "the event")
    lines = [record.getMessage() for record in caplog.records]
    tagged = [line for line in lines if f"correlation_id='{event.correlationid}'" in line]
    assert any("event='event accepted'" in line for line in tagged)
    assert any("event='event handled'" in line for line in tagged)
