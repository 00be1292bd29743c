"""The engine's real CRM and ERP clients send exactly what the workspace pacts record.

Each test serves one pact with pact-python's mock server and drives the engine's client and
mapping code against it. The mock server fails the test on any request the pact does not
describe, and on any described request that was never sent.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from pact import Pact

from opsconsole import wire
from opsconsole.contracts.pact import workspace
from opsconsole.serve import serve_in_thread

SECRET = "pact-consumer-test-secret"

crm_client = pytest.importorskip(
    "opsconsole.engine.clients.crm", reason="the engine is not in this checkout yet"
)
erp_client = pytest.importorskip("opsconsole.engine.clients.erp")
crm_mapping = pytest.importorskip("opsconsole.engine.mapping.crm")
erp_mapping = pytest.importorskip("opsconsole.engine.mapping.erp")
deliveries = pytest.importorskip("opsconsole.engine.deliveries")
invoice_model = pytest.importorskip("opsconsole.engine.canonical.invoice")
money_model = pytest.importorskip("opsconsole.engine.canonical.money")
sales_order_model = pytest.importorskip("opsconsole.engine.canonical.sales_order")

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


def test_engine_crm_client_matches_pact() -> None:
    pact = workspace.engine_crm_pact(messages=False)

    with pact.serve(addr="127.0.0.1") as server:
        client = crm_client.CrmClient(
            str(server.url), workspace.CRM_CLIENT_ID, workspace.CRM_CLIENT_SECRET
        )
        try:
            _drive_crm(client)
        finally:
            client.close()


def _drive_crm(client: object) -> None:
    order_id, account_id = workspace.ORDER_ID, workspace.ACCOUNT_ID
    assert client.user_id() == workspace.ENGINE_USER_ID  # type: ignore[attr-defined]
    client.update("Account", account_id, {"ERP_Customer_Id__c": "1001"}, {})  # type: ignore[attr-defined]
    order = client.get_record("Order", order_id, {})  # type: ignore[attr-defined]
    soql = f"SELECT {deliveries.ORDER_ITEM_FIELDS} FROM OrderItem WHERE OrderId = '{order_id}'"
    items = client.query(soql, {})  # type: ignore[attr-defined]
    status = crm_mapping.erp_status_fields("2001", "Pending Fulfillment")
    client.update("Order", order_id, status, {})  # type: ignore[attr-defined]
    fields = crm_mapping.invoice_to_crm_fields(
        _invoice(), crm_order_id=order_id, crm_account_id=account_id
    )
    created = client.upsert("Invoice__c", "ERP_Invoice_Id__c", "INV-2001", fields, {})  # type: ignore[attr-defined]
    assert order["Status"] == "Activated"
    assert len(items) == 1
    assert created == "a015g00000InVoIAAV"


def _invoice() -> object:
    return invoice_model.Invoice(
        id="inv-1",
        sales_order_id="so-1",
        number="INV-2001",
        status=invoice_model.InvoiceStatus.OPEN,
        invoice_date=date(2026, 12, 4),
        total=money_model.Money(amount=Decimal("500.00"), currency="EUR"),
        source_system="erp",
        source_id="3001",
        external_id="INV-2001",
        version=1,
    )


def test_engine_erp_client_matches_pact() -> None:
    pact = workspace.engine_erp_pact(messages=False)

    with pact.serve(addr="127.0.0.1") as server:
        client = erp_client.ErpClient(
            str(server.url), workspace.ERP_CLIENT_ID, workspace.ERP_CLIENT_SECRET
        )
        try:
            customer_body = erp_mapping.customer_to_erp(
                {
                    "name": "Nordwerk AG",
                    "email": "einkauf@nordwerk.example",
                    "currency": "EUR",
                    "billing_address": {
                        "street": "Am Sandtorkai 1",
                        "city": "Hamburg",
                        "state": "HH",
                        "postal_code": "20457",
                        "country": "DE",
                    },
                }
            )
            customer_id = client.upsert("customer", workspace.ACCOUNT_ID, customer_body, {})
            read = client.request("GET", f"customer/eid:{workspace.ACCOUNT_ID}", headers={})
            order_body = erp_mapping.sales_order_to_erp(_sales_order(), erp_customer_id="1001")
            order_id = client.upsert("salesOrder", workspace.ORDER_ID, order_body, {})
        finally:
            client.close()

    assert customer_id == "1001"
    assert read.json()["externalId"] == workspace.ACCOUNT_ID
    assert order_id == "2001"


def _sales_order() -> object:
    return sales_order_model.SalesOrder.model_validate(
        {
            "id": "so-1",
            "customer_id": "cust-1",
            "order_number": "00000101",
            "status": "activated",
            "order_date": "2026-12-04",
            "currency": "EUR",
            "lines": [
                {
                    "sku": "PUMP-200",
                    "quantity": "2",
                    "unit_price": {"amount": "250.00", "currency": "EUR"},
                    "line_total": {"amount": "500.00", "currency": "EUR"},
                }
            ],
            "total": {"amount": "500.00", "currency": "EUR"},
            "source_system": "crm",
            "source_id": workspace.ORDER_ID,
            "version": 1,
        }
    )


@pytest.fixture
def engine_url(tmp_path: Path) -> Iterator[str]:
    """The engine with its worker off, accepting events signed with `SECRET`."""
    app_module = pytest.importorskip("opsconsole.engine.app")
    settings_module = pytest.importorskip("opsconsole.engine.settings")
    settings = settings_module.EngineSettings(
        database_url=f"sqlite:///{tmp_path / 'engine.sqlite'}",
        crm_base_url="http://127.0.0.1:9",
        crm_client_secret="unused",
        erp_base_url="http://127.0.0.1:9",
        erp_client_secret="unused",
        crm_webhook_secrets=[SECRET],
        erp_event_secrets=[SECRET],
        run_worker=False,
    )
    with serve_in_thread(app_module.create_app(settings), name="engine") as server:
        yield server.url


@pytest.mark.parametrize(
    ("build", "endpoint"),
    [(workspace.engine_crm_pact, "/webhooks/crm"), (workspace.engine_erp_pact, "/events/erp")],
)
def test_engine_accepts_pact_messages(
    engine_url: str, build: Callable[[], Pact], endpoint: str
) -> None:
    accepted: list[int] = []

    def deliver(body: object, metadata: dict[str, object]) -> None:
        raw = body if isinstance(body, bytes) else str(body).encode()
        headers = {"Content-Type": "application/cloudevents+json"}
        headers[wire.SIGNATURE_HEADER] = wire.sign(raw, SECRET)
        response = httpx.post(f"{engine_url}{endpoint}", content=raw, headers=headers)
        assert response.status_code == 202, response.text
        accepted.append(response.status_code)

    build().verify(deliver, "Async")

    assert len(accepted) >= 2
