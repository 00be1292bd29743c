"""Lead to cash end to end: the engine between the real CRM and ERP sandboxes on loopback.

One test drives the CRM with httpx, the other with the unmodified simple-salesforce client.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import requests
from simple_salesforce import Salesforce

from opsconsole.stack import EmbeddedStack, StackInfo, StackOptions

WAIT_SECONDS = 30.0
API = "/services/data/v60.0"


def wait_for(check: Callable[[], Any], description: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `description` after a while."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"Timed out after {WAIT_SECONDS:.0f} s waiting for {description}.")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackInfo]:
    options = StackOptions(state_dir=tmp_path, engine_port=0, crm_port=0, erp_port=0)
    with EmbeddedStack(options) as running:
        assert running.info is not None
        yield running.info


def _crm(info: StackInfo) -> httpx.Client:
    verify = ssl.create_default_context(cafile=info.crm_ca_file)
    client = httpx.Client(base_url=info.crm_url, verify=verify, trust_env=False, timeout=10)
    token = client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info.crm_client.client_id,
            "client_secret": info.crm_client.client_secret,
        },
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _erp(info: StackInfo) -> httpx.Client:
    client = httpx.Client(base_url=info.erp_url, trust_env=False, timeout=10)
    token = client.post(
        "/services/rest/auth/oauth2/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info.erp_client.client_id,
            "client_secret": info.erp_client.client_secret,
        },
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _create(crm: httpx.Client, sobject: str, fields: dict[str, Any]) -> str:
    response = crm.post(f"{API}/sobjects/{sobject}", json=fields)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _field(crm: httpx.Client, sobject: str, record_id: str, name: str) -> Any:
    return crm.get(f"{API}/sobjects/{sobject}/{record_id}").json().get(name)


def _erp_record(erp: httpx.Client, record_type: str, external_id: str) -> dict[str, Any] | None:
    response = erp.get(f"/services/rest/record/v1/{record_type}/eid:{external_id}")
    return response.json() if response.status_code == 200 else None


@pytest.fixture
def clients(stack: StackInfo) -> Iterator[tuple[httpx.Client, httpx.Client, httpx.Client]]:
    crm, erp = _crm(stack), _erp(stack)
    engine = httpx.Client(base_url=stack.engine_url, trust_env=False, timeout=10)
    yield crm, erp, engine
    for client in (crm, erp, engine):
        client.close()


def test_lead_to_cash_through_both_sandboxes(
    clients: tuple[httpx.Client, httpx.Client, httpx.Client],
) -> None:
    crm, erp, engine = clients

    account_id = _create(
        crm,
        "Account",
        {"Name": "Nordwerk AG", "BillingCity": "Hamburg", "CurrencyIsoCode": "EUR"},
    )
    erp_customer_id = wait_for(
        lambda: _field(crm, "Account", account_id, "ERP_Customer_Id__c"),
        "the ERP customer id on the CRM account",
    )
    matches = erp.get(
        "/services/rest/record/v1/customer", params={"q": f'externalId IS "{account_id}"'}
    ).json()
    assert matches["totalResults"] == 1
    assert matches["items"][0]["id"] == erp_customer_id
    xref = engine.get(
        "/ops/xref", params={"system": "crm", "object": "customer", "id": account_id}
    ).json()
    assert {"system": "erp", "object": "customer", "id": erp_customer_id} in xref["links"]

    order_id = _create(
        crm,
        "Order",
        {"AccountId": account_id, "EffectiveDate": "2026-03-02", "CurrencyIsoCode": "EUR"},
    )
    for sku, quantity, price in (("PUMP-200", 2, "2615.20"), ("SEAL-7", 1, "99.90")):
        item = {"OrderId": order_id, "SKU__c": sku, "Quantity": quantity, "UnitPrice": price}
        _create(crm, "OrderItem", item)
    activated = crm.patch(f"{API}/sobjects/Order/{order_id}", json={"Status": "Activated"})
    assert activated.status_code == 204, activated.text
    sales_order = wait_for(lambda: _erp_record(erp, "salesOrder", order_id), "the ERP sales order")
    assert sales_order["entity"]["id"] == erp_customer_id
    assert str(sales_order["total"]) in ("5330.3", "5330.30")
    erp_order_id = str(sales_order["id"])
    wait_for(
        lambda: _field(crm, "Order", order_id, "ERP_Sales_Order_Id__c") == erp_order_id,
        "the ERP sales order id on the CRM order",
    )

    assert erp.post(f"/sandbox/control/salesOrder/{erp_order_id}/fulfil").status_code == 200
    wait_for(
        lambda: _field(crm, "Order", order_id, "ERP_Status__c") == "Pending Billing",
        "the fulfilled status on the CRM order",
    )
    invoice = erp.post(f"/sandbox/control/salesOrder/{erp_order_id}/invoice").json()

    soql = (
        "SELECT Id, ERP_Invoice_Id__c, Order__c, Account__c, Amount__c, Status__c "
        f"FROM Invoice__c WHERE Order__c = '{order_id}'"
    )
    records = wait_for(
        lambda: crm.get(f"{API}/query", params={"q": soql}).json()["records"],
        "the invoice in the CRM",
    )
    assert len(records) == 1
    (crm_invoice,) = records
    assert crm_invoice["ERP_Invoice_Id__c"] == invoice["externalId"]
    assert crm_invoice["Account__c"] == account_id
    assert str(crm_invoice["Amount__c"]) in ("5330.3", "5330.30")
    assert crm_invoice["Status__c"] == "Open"
    stats = engine.get("/ops/stats").json()
    assert stats["dlq"] == 0


# The same flow driven by the unmodified simple-salesforce client.


def _salesforce(info: StackInfo) -> Salesforce:
    session = requests.Session()
    # REQUESTS_CA_BUNDLE would otherwise override verify for every request.
    session.trust_env = False
    session.verify = info.crm_ca_file
    token = session.post(
        f"{info.crm_url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": info.crm_client.client_id,
            "client_secret": info.crm_client.client_secret,
        },
    ).json()["access_token"]
    return Salesforce(instance_url=info.crm_url, session_id=token, session=session, version="60.0")


def _erp_customers(erp: httpx.Client, account_id: str) -> int:
    response = erp.get(
        "/services/rest/record/v1/customer", params={"q": f'externalId IS "{account_id}"'}
    )
    return int(response.json()["totalResults"])


@pytest.fixture
def sf(stack: StackInfo) -> Iterator[Salesforce]:
    client = _salesforce(stack)
    yield client
    client.session.close()


@pytest.fixture
def erp(stack: StackInfo) -> Iterator[httpx.Client]:
    client = _erp(stack)
    yield client
    client.close()


def test_simple_salesforce_lead_to_cash(
    stack: StackInfo, sf: Salesforce, erp: httpx.Client
) -> None:
    account_id = sf.Account.create({"Name": "Kesselbau Nord GmbH", "CurrencyIsoCode": "EUR"})["id"]
    erp_customer = wait_for(
        lambda: (
            (r := erp.get(f"/services/rest/record/v1/customer/eid:{account_id}")).status_code == 200
            and r.json()
        ),
        "the ERP customer",
    )
    assert erp_customer["companyName"] == "Kesselbau Nord GmbH"
    assert _erp_customers(erp, account_id) == 1
    xref = httpx.get(
        f"{stack.engine_url}/ops/xref",
        params={"system": "crm", "object": "customer", "id": account_id},
        trust_env=False,
    ).json()
    links = {(link["system"], link["id"]) for link in xref["links"]}
    assert links == {("crm", account_id), ("erp", erp_customer["id"])}
    wait_for(
        lambda: sf.Account.get(account_id).get("ERP_Customer_Id__c") == erp_customer["id"],
        "the ERP customer ID on the CRM account",
    )

    order_id = sf.Order.create(
        {"AccountId": account_id, "EffectiveDate": "2026-12-04", "CurrencyIsoCode": "EUR"}
    )["id"]
    sf.OrderItem.create(
        {"OrderId": order_id, "Quantity": 3, "UnitPrice": 410.0, "SKU__c": "VALVE-9"}
    )
    sf.Order.update(order_id, {"Status": "Activated"})
    sales_order = wait_for(
        lambda: (
            (r := erp.get(f"/services/rest/record/v1/salesOrder/eid:{order_id}")).status_code == 200
            and r.json()
        ),
        "the ERP sales order",
    )
    assert sales_order["entity"]["id"] == erp_customer["id"]
    assert sales_order["total"] == 1230.0

    erp.post(f"/sandbox/control/salesOrder/{sales_order['id']}/fulfil").raise_for_status()
    erp.post(f"/sandbox/control/salesOrder/{sales_order['id']}/invoice").raise_for_status()
    invoices = wait_for(
        lambda: sf.query_all(
            f"SELECT Id, Amount__c, Account__c FROM Invoice__c WHERE Order__c = '{order_id}'"
        )["records"],
        "the invoice in the CRM",
    )
    assert len(invoices) == 1
    assert invoices[0]["Amount__c"] == 1230.0
    assert invoices[0]["Account__c"] == account_id
    assert _erp_customers(erp, account_id) == 1
