"""The unmodified simple-salesforce client drives lead to cash through the embedded stack."""

from __future__ import annotations

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


def _wait_for(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"Timed out after {WAIT_SECONDS:.0f} s waiting for {what}.")


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackInfo]:
    options = StackOptions(state_dir=tmp_path, engine_port=0, crm_port=0, erp_port=0)
    with EmbeddedStack(options) as running:
        assert running.info is not None
        yield running.info


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
    erp_customer = _wait_for(
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
    _wait_for(
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
    sales_order = _wait_for(
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
    invoices = _wait_for(
        lambda: sf.query_all(
            f"SELECT Id, Amount__c, Account__c FROM Invoice__c WHERE Order__c = '{order_id}'"
        )["records"],
        "the invoice in the CRM",
    )
    assert len(invoices) == 1
    assert invoices[0]["Amount__c"] == 1230.0
    assert invoices[0]["Account__c"] == account_id
    assert _erp_customers(erp, account_id) == 1
