from __future__ import annotations

import socket
from pathlib import Path

import requests
from sandbox_helpers import (
    ENGINE,
    EventReceiver,
    crm_settings,
    crm_token,
    requests_session,
    salesforce_client,
    wait_for,
)
from simple_salesforce import Salesforce

from opsconsole.sandboxes import salesforce_ids
from opsconsole.sandboxes.crm.app import create_app
from opsconsole.sandboxes.tls import LocalTLS
from opsconsole.serve import RunningServer, serve_in_thread
from opsconsole.wire import CRM_ACCOUNT_CREATED, CRM_ACCOUNT_UPDATED, CRM_ORDER_UPDATED

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def _deliveries(server: RunningServer, session: requests.Session) -> dict[str, object]:
    stats: dict[str, object] = session.get(f"{server.url}/sandbox/deliveries").json()
    return stats


def test_account_create_sends_signed_event(receiver: EventReceiver, sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Nordwerk AG", "BillingCity": "Berlin"})["id"]

    event = wait_for(lambda: receiver.of_type(CRM_ACCOUNT_CREATED))[0]

    assert event.path == "/webhooks/crm"
    assert event.body["source"] == "/sandbox/crm"
    assert event.body["subject"] == account_id
    assert event.body["specversion"] == "1.0"
    data = event.body["data"]
    assert data["sobject"] == "Account"
    assert data["id"] == account_id
    assert data["fields"]["Name"] == "Nordwerk AG"
    assert data["fields"]["Id"] == account_id
    assert sorted(data["changedFields"]) == ["BillingCity", "CurrencyIsoCode", "Name"]
    assert data["lastModifiedById"] == salesforce_ids.stable_id("005", "opsconsole-synthetic")
    assert receiver.rejected_signatures == 0


def test_update_event_lists_changed_fields_and_writer(
    receiver: EventReceiver, crm_server: RunningServer, tls: LocalTLS, sf: Salesforce
) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    engine = salesforce_client(crm_server, tls.ca_file, ENGINE)
    engine.Account.update(account_id, {"ERP_Customer_Id__c": "1001", "Name": "Acme"})
    engine.session.close()

    event = wait_for(lambda: receiver.of_type(CRM_ACCOUNT_UPDATED))[0]

    assert event.body["data"]["changedFields"] == ["ERP_Customer_Id__c"]
    assert event.body["data"]["lastModifiedById"] == salesforce_ids.stable_id("005", ENGINE[0])
    assert event.body["data"]["fields"]["LastModifiedById"] == salesforce_ids.stable_id(
        "005", ENGINE[0]
    )


def test_order_item_change_sends_order_updated(receiver: EventReceiver, sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    order_id = sf.Order.create({"AccountId": account_id, "EffectiveDate": "2026-12-01"})["id"]
    sf.OrderItem.create({"OrderId": order_id, "Quantity": 2, "UnitPrice": 115.65})
    sf.Order.update(order_id, {"Status": "Activated"})

    updates = wait_for(
        lambda: (
            len(receiver.of_type(CRM_ORDER_UPDATED)) >= 2 and receiver.of_type(CRM_ORDER_UPDATED)
        )
    )

    assert [u.body["subject"] for u in updates] == [order_id, order_id]
    assert updates[0].body["data"]["sobject"] == "Order"
    assert updates[0].body["data"]["changedFields"] == ["TotalAmount"]
    assert updates[0].body["data"]["fields"]["TotalAmount"] == 231.3
    assert updates[1].body["data"]["changedFields"] == ["Status"]
    assert updates[1].body["data"]["fields"]["Status"] == "Activated"


def test_event_carries_correlation_and_child_trace(
    receiver: EventReceiver, crm_server: RunningServer, crm_session: requests.Session
) -> None:
    token = crm_token(crm_server, crm_session, ENGINE)
    crm_session.post(
        f"{crm_server.url}/services/data/v60.0/sobjects/Account",
        json={"Name": "Traced"},
        headers={
            "Authorization": f"Bearer {token}",
            "X-Correlation-ID": "corr-4410",
            "traceparent": PARENT,
        },
    )

    event = wait_for(lambda: receiver.of_type(CRM_ACCOUNT_CREATED))[0]

    assert event.body["correlationid"] == "corr-4410"
    assert event.headers["x-correlation-id"] == "corr-4410"
    trace = event.body["traceparent"].split("-")
    assert trace[1] == TRACE_ID
    assert trace[2] != "00f067aa0ba902b7"


def test_event_without_trace_headers_gets_new_ones(receiver: EventReceiver, sf: Salesforce) -> None:
    sf.Account.create({"Name": "Untraced"})

    event = wait_for(lambda: receiver.of_type(CRM_ACCOUNT_CREATED))[0]

    assert event.body["correlationid"]
    assert event.body["traceparent"].startswith("00-")


def test_contact_and_invoice_changes_send_no_events(
    receiver: EventReceiver,
    crm_server: RunningServer,
    crm_session: requests.Session,
    sf: Salesforce,
) -> None:
    sf.Contact.create({"LastName": "Ng"})
    sf.Invoice__c.upsert("ERP_Invoice_Id__c/INV-1", {"Amount__c": 1})
    sf.Account.create({"Name": "Marker"})

    wait_for(lambda: receiver.of_type(CRM_ACCOUNT_CREATED))
    stats = _deliveries(crm_server, crm_session)

    assert len(receiver.events) == 1
    assert stats["delivered"] == 1


def test_retries_when_engine_answers_503(
    receiver: EventReceiver,
    crm_server: RunningServer,
    crm_session: requests.Session,
    sf: Salesforce,
) -> None:
    receiver.fail_next = 2
    sf.Account.create({"Name": "Retried"})

    wait_for(lambda: receiver.of_type(CRM_ACCOUNT_CREATED))
    stats = wait_for(lambda: (s := _deliveries(crm_server, crm_session))["delivered"] == 1 and s)

    assert receiver.failures_sent == 2
    assert stats["retries"] == 2
    assert stats["recent"][0]["attempts"] == 3
    assert stats["recent"][0]["outcome"] == "delivered"
    assert len(receiver.of_type(CRM_ACCOUNT_CREATED)) == 1


def test_write_succeeds_while_engine_is_down(tmp_path: Path, tls: LocalTLS) -> None:
    # A bound socket that never listens refuses connections and keeps its port reserved.
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    app = create_app(crm_settings(f"http://127.0.0.1:{closed.getsockname()[1]}"))

    with closed, serve_in_thread(app, name="crm", tls=tls.server) as server:
        sf = salesforce_client(server, tls.ca_file)
        created = sf.Account.create({"Name": "Offline"})
        session = requests_session(tls.ca_file)
        stats = wait_for(lambda: (s := _deliveries(server, session))["failed"] == 1 and s)
        session.close()
        sf.session.close()

    assert created["success"] is True
    assert stats["recent"][0]["attempts"] == 5
    assert stats["recent"][0]["outcome"] == "failed"
    assert "ConnectError" in stats["recent"][0]["error"]


def test_rejected_signature_is_not_retried(
    tmp_path: Path, tls: LocalTLS, receiver: EventReceiver
) -> None:
    app = create_app(crm_settings(receiver.url, webhook_secret="wrong-secret"))

    with serve_in_thread(app, name="crm", tls=tls.server) as server:
        sf = salesforce_client(server, tls.ca_file)
        sf.Account.create({"Name": "Badly signed"})
        session = requests_session(tls.ca_file)
        stats = wait_for(lambda: (s := _deliveries(server, session))["rejected"] == 1 and s)
        session.close()
        sf.session.close()

    assert receiver.rejected_signatures == 1
    assert stats["recent"][0]["status_code"] == 401
    assert stats["retries"] == 0


def test_no_events_without_engine_url(tls: LocalTLS, receiver: EventReceiver) -> None:
    app = create_app(crm_settings(None))

    with serve_in_thread(app, name="crm", tls=tls.server) as server:
        sf = salesforce_client(server, tls.ca_file)
        sf.Account.create({"Name": "Quiet"})
        session = requests_session(tls.ca_file)
        stats = _deliveries(server, session)
        session.close()
        sf.session.close()

    assert stats["enqueued"] == 0
    assert stats["target_url"] is None
