"""The lead-to-cash flow through the engine app, between the real CRM and ERP sandboxes.

Most tests work in the CRM as a person would and let the sandboxes deliver their events. Some
cases need an event order the sandboxes never produce: an update before its create, or an
invoice before its sales order. Those tests deliver the events themselves, built from records
read through the sandboxes' APIs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from engine_support import (
    Harness,
    create_account,
    create_order,
    crm_event,
    crm_link,
    erp_event,
    erp_sales_order,
    handled,
    outbox_of,
    sync_account,
    sync_account_by_hand,
    wait_handled,
    wait_until,
)

from opsconsole import wire
from opsconsole.engine.flows import CRM_RECORD_UPDATE, ERP_CUSTOMER_UPSERT, ERP_SALES_ORDER_UPSERT


def test_account_becomes_one_linked_erp_customer(harness: Harness) -> None:
    account_id = create_account(harness, wire.new_correlation_id())

    erp_id = wait_until(lambda: crm_link(harness, account_id), "the ERP id on the CRM account")

    customer = harness.erp.record("customer", account_id)
    assert customer is not None
    assert customer["id"] == erp_id
    assert customer["externalId"] == account_id
    assert customer["companyName"] == "Nordwerk AG"
    assert customer["phone"] == "+49 30 1234"
    assert harness.erp.count("customer") == 1
    xref = harness.get("/ops/xref", system="erp", object="customer", id=erp_id).json()
    assert {"system": "crm", "object": "customer", "id": account_id} in xref["links"]


def test_outbound_calls_carry_trace_and_keys(harness: Harness) -> None:
    correlation_id = wire.new_correlation_id()
    traceparent = wire.new_traceparent()
    trace_id = traceparent.split("-")[1]
    headers = {wire.CORRELATION_HEADER: correlation_id, wire.TRACEPARENT_HEADER: traceparent}
    created = harness.crm.http.post(
        "/services/data/v60.0/sobjects/Account", json={"Name": "Nordwerk AG"}, headers=headers
    )
    account_id = created.json()["id"]

    erp_id = wait_until(lambda: crm_link(harness, account_id), "the account sync")

    (put,) = harness.erp.calls("PUT", "/customer/")
    (patch,) = harness.crm.calls("PATCH", account_id)
    for call in (put, patch):
        assert call["correlation_id"] == correlation_id
        assert call["traceparent"].split("-")[1] == trace_id
        assert call["traceparent"] != traceparent
    canonical_id = harness.get("/ops/xref", system="crm", object="customer", id=account_id)
    customer_key = f"customer:{canonical_id.json()['canonical_id']}"
    assert put["idempotency_key"] == f"{customer_key}:{ERP_CUSTOMER_UPSERT}:1"
    assert patch["idempotency_key"] == f"{customer_key}:{CRM_RECORD_UPDATE}:erp-id-{erp_id}"


def test_every_outbound_call_has_its_own_key(harness: Harness) -> None:
    account = sync_account(harness)
    order_correlation = wire.new_correlation_id()
    order_id = create_order(harness, account.account_id, order_correlation)
    sales_order = erp_sales_order(harness, order_id)
    wait_until(
        lambda: harness.crm.record("Order", order_id)["ERP_Sales_Order_Id__c"],
        "the ERP sales order id on the CRM order",
    )

    engine_writes = harness.erp.calls("PUT", "/") + harness.crm.calls("PATCH", "/")
    keys = [call["idempotency_key"] for call in engine_writes if call["idempotency_key"]]
    assert len(keys) == 4
    assert len(set(keys)) == 4
    assert any(key.endswith(f":{ERP_SALES_ORDER_UPSERT}:1") for key in keys)
    assert any(key.endswith(":crm.record.update:accepted") for key in keys)
    assert sales_order["externalId"] == order_id


def test_echo_of_engine_write_is_ignored(harness: Harness) -> None:
    account = sync_account(harness)

    (echo,) = wait_handled(harness, account.correlation_id, wire.CRM_ACCOUNT_UPDATED)

    assert echo["status"] == "ignored"
    assert echo["last_error"] == "Echo of the engine's own CRM write."
    (patch,) = harness.crm.calls("PATCH", account.account_id)
    assert patch["correlation_id"] == account.correlation_id
    assert len(harness.erp.calls("PUT", "/customer/")) == 1
    (upsert,) = outbox_of(harness, account.correlation_id, ERP_CUSTOMER_UPSERT)
    assert upsert["status"] == "done"


def test_engine_authored_change_is_not_sent(harness: Harness) -> None:
    account = sync_account(harness)
    record = harness.crm.record("Account", account.account_id)
    # The engine's write of the ERP id made it the last author of the record. A name change
    # by the engine must not travel back to the ERP either.
    record["Name"] = "Changed by the engine"
    record["SystemModstamp"] = "2099-01-01T00:00:00.000+0000"
    event = crm_event("Account", record, wire.CRM_ACCOUNT_UPDATED)

    assert harness.post_event("/webhooks/crm", event).status_code == 202

    (message,) = wait_handled(harness, event.correlationid, wire.CRM_ACCOUNT_UPDATED)
    assert message["status"] == "ignored"
    assert len(harness.erp.calls("PUT", "/customer/")) == 1
    customer = harness.erp.record("customer", account.account_id)
    assert customer is not None
    assert customer["companyName"] == "Nordwerk AG"


def test_activated_order_becomes_erp_sales_order(harness: Harness) -> None:
    account = sync_account(harness)

    order_id = create_order(harness, account.account_id, wire.new_correlation_id())

    order = erp_sales_order(harness, order_id)
    assert order["externalId"] == order_id
    assert order["entity"]["id"] == account.erp_customer_id
    (line,) = order["item"]["items"]
    assert line["item"] == {"refName": "PUMP-200"}
    assert line["description"] == "Pump 200"
    assert line["quantity"] == 2
    assert line["rate"] == "2615.20"
    assert line["amount"] == 5230.4
    assert order["total"] == 5230.4
    assert harness.erp.count("salesOrder") == 1


def test_draft_order_is_not_sent(harness: Harness) -> None:
    account = sync_account(harness)
    correlation_id = wire.new_correlation_id()
    fields = {"AccountId": account.account_id, "EffectiveDate": "2026-03-02"}

    order_id = harness.crm.create("Order", fields, correlation_id)

    (message,) = wait_handled(harness, correlation_id, wire.CRM_ORDER_CREATED)
    assert message["status"] == "ignored"
    assert harness.erp.calls("PUT", "salesOrder") == []
    assert harness.erp.record("salesOrder", order_id) is None


def test_order_waits_for_its_customer(harness_factory: Callable[..., Harness]) -> None:
    # Enough attempts that the customer keeps retrying until the ERP recovers.
    harness = harness_factory(max_attempts=10_000)
    harness.erp.add_fault(method="PUT", path_pattern="/customer/", status=503, count=10_000)
    account_id = create_account(harness, wire.new_correlation_id())
    correlation_id = wire.new_correlation_id()
    order_id = create_order(harness, account_id, correlation_id)
    wait_until(
        lambda: any(
            m["failure_class"] == "dependency"
            for m in outbox_of(harness, correlation_id, ERP_SALES_ORDER_UPSERT)
        ),
        "the sales order to wait for its customer",
    )
    assert harness.erp.calls("PUT", "salesOrder") == []

    harness.erp.clear_faults()

    order = erp_sales_order(harness, order_id)
    assert order["entity"]["id"] == wait_until(lambda: crm_link(harness, account_id), "the link")
    assert harness.erp.count("salesOrder") == 1
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_erp_events_update_crm_order_and_create_invoice(harness: Harness) -> None:
    account = sync_account(harness)
    order_id = create_order(harness, account.account_id, wire.new_correlation_id())
    erp_order_id = erp_sales_order(harness, order_id)["id"]
    wait_until(
        lambda: harness.crm.record("Order", order_id)["ERP_Status__c"] == "Pending Fulfillment",
        "the accepted status on the CRM order",
    )

    harness.erp.control(erp_order_id, "fulfil")
    wait_until(
        lambda: harness.crm.record("Order", order_id)["ERP_Status__c"] == "Pending Billing",
        "the fulfilled status on the CRM order",
    )
    invoice = harness.erp.control(erp_order_id, "invoice")

    soql = (
        "SELECT Id, ERP_Invoice_Id__c, Order__c, Account__c, Amount__c, CurrencyIsoCode, "
        f"Status__c, InvoiceDate__c FROM Invoice__c WHERE Order__c = '{order_id}'"
    )
    (crm_invoice,) = wait_until(lambda: harness.crm.query(soql), "the CRM invoice")
    assert harness.crm.record("Order", order_id)["ERP_Sales_Order_Id__c"] == erp_order_id
    assert crm_invoice["ERP_Invoice_Id__c"] == f"INV-{erp_order_id}"
    assert crm_invoice["Order__c"] == order_id
    assert crm_invoice["Account__c"] == account.account_id
    assert crm_invoice["Amount__c"] == 5230.4
    assert crm_invoice["CurrencyIsoCode"] == "EUR"
    assert crm_invoice["Status__c"] == "Open"
    assert crm_invoice["InvoiceDate__c"] == invoice["tranDate"][:10]
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_account_sync_runs_on_postgresql(harness_factory: Callable[..., Harness]) -> None:
    import uuid

    import psycopg
    from sqlalchemy import create_engine

    try:
        psycopg.connect("host=127.0.0.1 user=postgres dbname=test", connect_timeout=2).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 (user postgres, db test) unreachable: {exc}")
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    schema = f"t_{uuid.uuid4().hex}"
    harness = harness_factory(database_url=url, database_schema=schema)
    try:
        account = sync_account(harness)
        record = harness.crm.record("Account", account.account_id)
        event = crm_event("Account", record, wire.CRM_ACCOUNT_UPDATED, event_id="wh-pg-1")
        statuses = [harness.post_event("/webhooks/crm", event).status_code for _ in range(2)]
        wait_handled(harness, event.correlationid, wire.CRM_ACCOUNT_UPDATED)
        assert statuses == [202, 200]
        assert harness.erp.count("customer") == 1
        assert harness.get("/ops/stats").json()["duplicates_ignored"] == 1
    finally:
        cleanup = create_engine(url)
        with cleanup.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        cleanup.dispose()


def test_late_create_does_not_undo_update(harness_factory: Callable[..., Harness]) -> None:
    harness = harness_factory(crm_events=False)
    account_id = sync_account_by_hand(harness)
    fields = {"AccountId": account_id, "EffectiveDate": "2026-03-02", "CurrencyIsoCode": "EUR"}
    order_id = harness.crm.create("Order", fields)
    draft = harness.crm.record("Order", order_id)
    item = {"OrderId": order_id, "Quantity": 1, "UnitPrice": "99.90", "SKU__c": "SEAL-7"}
    harness.crm.create("OrderItem", item)
    harness.crm.update("Order", order_id, {"Status": "Activated"})
    activated = harness.crm.record("Order", order_id)
    update = crm_event("Order", activated, wire.CRM_ORDER_UPDATED)
    create = crm_event("Order", draft, wire.CRM_ORDER_CREATED)

    harness.post_event("/webhooks/crm", update)
    harness.post_event("/webhooks/crm", create)

    order = erp_sales_order(harness, order_id)
    (message,) = wait_handled(harness, create.correlationid, wire.CRM_ORDER_CREATED)
    assert message["status"] == "ignored"
    assert order["externalId"] == order_id
    assert harness.erp.count("salesOrder") == 1
    assert len(harness.erp.calls("PUT", "salesOrder")) == 1


def test_invoice_before_its_order_waits(harness: Harness) -> None:
    # A fresh ERP sandbox numbers its sales orders from 5001, so the invoice can name the
    # sales order before it exists.
    expected_order_id = "5001"
    invoice = {
        "id": "9001",
        "externalId": f"INV-{expected_order_id}",
        "tranId": "INV-2026-0108",
        "createdFrom": {"id": expected_order_id},
        "total": 5230.4,
        "currency": {"refName": "EUR"},
        "status": "Open",
        "tranDate": "2026-03-05",
    }
    early = erp_event(wire.ERP_INVOICE_CREATED, "invoice", invoice)
    harness.post_event("/events/erp", early)
    wait_until(
        lambda: [
            m
            for m in harness.messages(early.correlationid)["inbox"]
            if m["failure_class"] == "dependency" and m["status"] == "pending"
        ],
        "the invoice to wait for its sales order",
    )

    account = sync_account(harness)
    order_id = create_order(harness, account.account_id, wire.new_correlation_id())

    assert erp_sales_order(harness, order_id)["id"] == expected_order_id
    soql = (
        f"SELECT Id, Order__c, Account__c, Amount__c FROM Invoice__c WHERE Order__c = '{order_id}'"
    )
    (crm_invoice,) = wait_until(lambda: harness.crm.query(soql), "the CRM invoice")
    assert crm_invoice["Account__c"] == account.account_id
    assert crm_invoice["Amount__c"] == 5230.4
    assert harness.get("/ops/stats").json()["dlq"] == 0


def test_logs_carry_the_correlation_id(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="opsconsole.engine")

    account = sync_account(harness)

    assert handled(harness, account.correlation_id, wire.CRM_ACCOUNT_CREATED)
    lines = [record.getMessage() for record in caplog.records]
    tagged = [line for line in lines if f"correlation_id='{account.correlation_id}'" in line]
    assert any("event='event accepted'" in line for line in tagged)
    assert any("event='event handled'" in line for line in tagged)
    assert any("event='message delivered'" in line for line in tagged)
