from __future__ import annotations

from typing import Any

import httpx
from sandbox_helpers import EventReceiver, wait_for

from opsconsole.wire import (
    ERP_CUSTOMER_CREATED,
    ERP_CUSTOMER_UPDATED,
    ERP_INVOICE_CREATED,
    ERP_SALES_ORDER_ACCEPTED,
    ERP_SALES_ORDER_FULFILLED,
)

RECORDS = "/services/rest/record/v1"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


def _order(entity: str) -> dict[str, Any]:
    line = {"item": {"refName": "SKU-1"}, "quantity": 2, "rate": "10.50"}
    return {"entity": {"id": entity}, "item": {"items": [line]}}


def _location_id(response: httpx.Response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def test_customer_upsert_sends_created_then_updated(
    erp: httpx.Client, receiver: EventReceiver
) -> None:
    erp.put(f"{RECORDS}/customer/eid:0015g00000QxYzAAAV", json={"companyName": "Nordwerk AG"})
    response = erp.put(f"{RECORDS}/customer/eid:0015g00000QxYzAAAV", json={"phone": "+49 30 1"})

    created = wait_for(lambda: receiver.of_type(ERP_CUSTOMER_CREATED))[0]
    updated = wait_for(lambda: receiver.of_type(ERP_CUSTOMER_UPDATED))[0]

    customer_id = _location_id(response)
    assert created.path == "/events/erp"
    assert created.body["source"] == "/sandbox/erp"
    assert created.body["subject"] == customer_id
    assert created.body["data"]["recordType"] == "customer"
    assert created.body["data"]["id"] == customer_id
    assert created.body["data"]["externalId"] == "0015g00000QxYzAAAV"
    assert created.body["data"]["record"]["companyName"] == "Nordwerk AG"
    assert updated.body["data"]["record"]["phone"] == "+49 30 1"
    assert receiver.rejected_signatures == 0


def test_sales_order_lifecycle_events(erp: httpx.Client, receiver: EventReceiver) -> None:
    customer = _location_id(erp.post(f"{RECORDS}/customer", json={"companyName": "Acme"}))
    order = _location_id(
        erp.put(f"{RECORDS}/salesOrder/eid:8015g0000abcdeAAA", json=_order(customer))
    )
    erp.post(f"/sandbox/control/salesOrder/{order}/fulfil")
    invoice = erp.post(f"/sandbox/control/salesOrder/{order}/invoice").json()

    accepted = wait_for(lambda: receiver.of_type(ERP_SALES_ORDER_ACCEPTED))[0]
    fulfilled = wait_for(lambda: receiver.of_type(ERP_SALES_ORDER_FULFILLED))[0]
    invoiced = wait_for(lambda: receiver.of_type(ERP_INVOICE_CREATED))[0]

    assert accepted.body["data"]["externalId"] == "8015g0000abcdeAAA"
    assert accepted.body["data"]["record"]["status"] == "Pending Fulfillment"
    assert accepted.body["data"]["record"]["item"]["items"][0]["rate"] == "10.50"
    assert fulfilled.body["data"]["record"]["status"] == "Pending Billing"
    assert invoiced.body["data"]["recordType"] == "invoice"
    assert invoiced.body["data"]["id"] == invoice["id"]
    assert invoiced.body["data"]["externalId"] == f"INV-{order}"
    assert invoiced.body["data"]["record"]["createdFrom"] == {"id": order}
    assert invoiced.body["data"]["record"]["total"] == 21.0


def test_events_follow_request_trace(erp: httpx.Client, receiver: EventReceiver) -> None:
    erp.post(
        f"{RECORDS}/customer",
        json={"companyName": "Traced"},
        headers={
            "X-Correlation-ID": "corr-erp-1",
            "traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01",
        },
    )

    event = wait_for(lambda: receiver.of_type(ERP_CUSTOMER_CREATED))[0]

    assert event.body["correlationid"] == "corr-erp-1"
    assert event.body["traceparent"].split("-")[1] == TRACE_ID


def test_failed_write_sends_no_event(erp: httpx.Client, receiver: EventReceiver) -> None:
    erp.post(f"{RECORDS}/customer", json={"companyName": "A", "state": "x" * 31})
    erp.post(f"{RECORDS}/customer", json={"companyName": "Marker"})

    wait_for(lambda: receiver.of_type(ERP_CUSTOMER_CREATED))
    stats = erp.get("/sandbox/deliveries").json()

    assert [e.body["data"]["record"]["companyName"] for e in receiver.events] == ["Marker"]
    assert stats["enqueued"] == 1


def test_erp_retries_after_503(erp: httpx.Client, receiver: EventReceiver) -> None:
    receiver.fail_next = 3
    erp.post(f"{RECORDS}/customer", json={"companyName": "Retried"})

    wait_for(lambda: receiver.of_type(ERP_CUSTOMER_CREATED))
    stats = wait_for(lambda: (s := erp.get("/sandbox/deliveries").json())["delivered"] and s)

    assert receiver.failures_sent == 3
    assert stats["retries"] == 3
    assert stats["recent"][0]["attempts"] == 4
