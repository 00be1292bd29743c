"""Helpers for engine tests: the engine between the real CRM and ERP sandboxes, and waits.

Tests act as people working in the CRM, through the `opsconsole-synthetic` OAuth client, which
is a user other than the engine's. They read state back through the sandboxes' APIs and the
engine's ops API, and what the engine sent from the sandboxes' request logs
(`GET /sandbox/requests`).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from opsconsole import wire
from opsconsole.engine.settings import EngineSettings
from opsconsole.sandboxes.delivery import RetryPolicy
from opsconsole.store.db import sqlite_url

CRM_SECRET = "crm-webhook-secret"
ERP_SECRET = "erp-event-secret"
ENGINE_CLIENT = ("opsconsole-engine", "engine-client-secret")
USER_CLIENT = ("opsconsole-synthetic", "user-client-secret")
SANDBOX_CLIENTS = dict([ENGINE_CLIENT, USER_CLIENT])
# Sandbox event delivery retries quickly, so a test never waits long for an event.
FAST_DELIVERY = RetryPolicy(initial_backoff_seconds=0.02, max_backoff_seconds=0.2)
WAIT_SECONDS = 20.0
API = "/services/data/v60.0"
RECORDS = "/services/rest/record/v1"
ACCOUNT_FIELDS: dict[str, Any] = {
    "Name": "Nordwerk AG",
    "Phone": "+49 30 1234",
    "BillingStreet": "Hafenstraße 12",
    "BillingCity": "Hamburg",
    "BillingPostalCode": "20457",
    "BillingCountry": "DE",
    "CurrencyIsoCode": "EUR",
}


def wait_until(check: Callable[[], Any], description: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `description` after a while."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"Timed out after {WAIT_SECONDS:.0f} s waiting for {description}.")


class SandboxClient:
    """A client of one sandbox, logged in as `USER_CLIENT`, with the sandbox-only endpoints."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def calls(self, method: str, fragment: str) -> list[dict[str, Any]]:
        """Return the logged requests with `method` whose path contains `fragment`."""
        logged = self.http.get("/sandbox/requests").json()["requests"]
        return [r for r in logged if r["method"] == method and fragment in r["path"]]

    def add_fault(self, **rule: Any) -> None:
        """Make the sandbox respond to matching requests with the rule's status and body."""
        response = self.http.post("/sandbox/faults", json=rule)
        assert response.status_code == 201, response.text

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.http.delete("/sandbox/faults")


class Crm(SandboxClient):
    """The CRM sandbox through its Salesforce REST API."""

    def create(
        self, sobject: str, fields: dict[str, Any], correlation_id: str | None = None
    ) -> str:
        """Create a record and return its Id; `correlation_id` goes into X-Correlation-ID."""
        headers = {wire.CORRELATION_HEADER: correlation_id} if correlation_id else {}
        response = self.http.post(f"{API}/sobjects/{sobject}", json=fields, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def update(
        self,
        sobject: str,
        record_id: str,
        fields: dict[str, Any],
        correlation_id: str | None = None,
    ) -> None:
        """Update fields of a record."""
        headers = {wire.CORRELATION_HEADER: correlation_id} if correlation_id else {}
        url = f"{API}/sobjects/{sobject}/{record_id}"
        response = self.http.patch(url, json=fields, headers=headers)
        assert response.status_code == 204, response.text

    def record(self, sobject: str, record_id: str) -> dict[str, Any]:
        """Return a record without its `attributes`."""
        response = self.http.get(f"{API}/sobjects/{sobject}/{record_id}")
        assert response.status_code == 200, response.text
        record: dict[str, Any] = response.json()
        record.pop("attributes", None)
        return record

    def query(self, soql: str) -> list[dict[str, Any]]:
        """Run a SOQL query and return the records of its first page."""
        response = self.http.get(f"{API}/query", params={"q": soql})
        assert response.status_code == 200, response.text
        records: list[dict[str, Any]] = response.json()["records"]
        return records


class Erp(SandboxClient):
    """The ERP sandbox through its NetSuite REST record API."""

    def record(self, record_type: str, external_id: str) -> dict[str, Any] | None:
        """Return the record with `external_id`, or None when there is none."""
        response = self.http.get(f"{RECORDS}/{record_type}/eid:{external_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        record: dict[str, Any] = response.json()
        return record

    def count(self, record_type: str) -> int:
        """Return how many records of `record_type` exist."""
        response = self.http.get(f"{RECORDS}/{record_type}")
        assert response.status_code == 200, response.text
        return int(response.json()["totalResults"])

    def control(self, sales_order_id: str, action: str) -> dict[str, Any]:
        """Fulfil or invoice a sales order through the sandbox control endpoint."""
        response = self.http.post(f"/sandbox/control/salesOrder/{sales_order_id}/{action}")
        assert response.status_code == 200, response.text
        record: dict[str, Any] = response.json()
        return record


@dataclass
class Harness:
    """An engine served on loopback between the real CRM and ERP sandboxes."""

    url: str
    crm: Crm
    erp: Erp
    settings: EngineSettings

    def post_event(
        self, path: str, event: wire.CloudEvent, secret: str | None = None
    ) -> httpx.Response:
        """Sign `event` and POST it to the engine, as a sandbox's event delivery does."""
        default = CRM_SECRET if path.startswith("/webhooks") else ERP_SECRET
        body, headers = wire.signed_headers(event, secret or default)
        return httpx.post(f"{self.url}{path}", content=body, headers=headers, timeout=10)

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET a path of the engine."""
        return httpx.get(f"{self.url}{path}", params=params, timeout=10)

    def messages(self, correlation_id: str | None) -> dict[str, Any]:
        """Return the inbox and outbox messages of one correlation ID."""
        body: dict[str, Any] = self.get("/ops/messages", correlation_id=correlation_id).json()
        return body


def make_settings(tmp_path: Path, crm_url: str, erp_url: str, **overrides: Any) -> EngineSettings:
    """Return engine settings for a SQLite file under `tmp_path`, with quick retries."""
    values: dict[str, Any] = {
        "database_url": sqlite_url(tmp_path / "engine.db"),
        "crm_base_url": crm_url,
        "crm_client_id": ENGINE_CLIENT[0],
        "crm_client_secret": ENGINE_CLIENT[1],
        "erp_base_url": erp_url,
        "erp_client_id": ENGINE_CLIENT[0],
        "erp_client_secret": ENGINE_CLIENT[1],
        "crm_webhook_secrets": [CRM_SECRET],
        "erp_event_secrets": [ERP_SECRET],
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.2,
        "max_attempts": 3,
    }
    values.update(overrides)
    return EngineSettings(**values)


def crm_client(url: str, ca_file: Path) -> httpx.Client:
    """Return a client of the CRM sandbox with a token for `USER_CLIENT`."""
    verify = ssl.create_default_context(cafile=str(ca_file))
    http = httpx.Client(base_url=url, verify=verify, trust_env=False, timeout=10)
    form = {"grant_type": "client_credentials", "client_id": USER_CLIENT[0]}
    response = http.post("/services/oauth2/token", data={**form, "client_secret": USER_CLIENT[1]})
    response.raise_for_status()
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return http


def erp_client(url: str) -> httpx.Client:
    """Return a client of the ERP sandbox with a token for `USER_CLIENT`."""
    http = httpx.Client(base_url=url, trust_env=False, timeout=10)
    form = {"grant_type": "client_credentials", "client_id": USER_CLIENT[0]}
    response = http.post(
        "/services/rest/auth/oauth2/v1/token", data={**form, "client_secret": USER_CLIENT[1]}
    )
    response.raise_for_status()
    http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
    return http


# --- events the tests deliver themselves --------------------------------------------------


def crm_event(
    sobject: str,
    record: dict[str, Any],
    event_type: str,
    *,
    record_id: str | None = None,
    event_id: str | None = None,
    correlation_id: str | None = None,
    traceparent: str | None = None,
) -> wire.CloudEvent:
    """Build the change event the CRM sandbox sends for `record`, as read from its API.

    Tests use it where they play the delivery channel: to deliver events late, out of order,
    more than once, or with a 15-character Id.
    """
    record_id = record_id or str(record["Id"])
    event = wire.CloudEvent(
        source="/sandbox/crm",
        type=event_type,
        subject=record_id,
        data={
            "sobject": sobject,
            "id": record_id,
            "fields": record,
            "changedFields": sorted(record),
            "lastModifiedById": record.get("LastModifiedById"),
        },
        correlationid=correlation_id or wire.new_correlation_id(),
        traceparent=traceparent or wire.new_traceparent(),
    )
    if event_id:
        event.id = event_id
    return event


def erp_event(kind: str, record_type: str, record: dict[str, Any]) -> wire.CloudEvent:
    """Build the change event the ERP sandbox sends for `record`."""
    return wire.CloudEvent(
        source="/sandbox/erp",
        type=kind,
        subject=record["id"],
        data={
            "recordType": record_type,
            "id": record["id"],
            "externalId": record.get("externalId"),
            "record": record,
        },
        correlationid=wire.new_correlation_id(),
    )


# --- waits on engine state ----------------------------------------------------------------


def handled(harness: Harness, correlation_id: str | None, event_type: str) -> list[dict[str, Any]]:
    """Return the inbox messages of `event_type` when all are handled, else an empty list."""
    inbox = harness.messages(correlation_id)["inbox"]
    matching = [m for m in inbox if m["type"] == event_type]
    return matching if matching and all(m["status"] != "pending" for m in matching) else []


def wait_handled(
    harness: Harness, correlation_id: str | None, event_type: str
) -> list[dict[str, Any]]:
    """Wait until the inbox messages of `event_type` for `correlation_id` are handled."""
    messages: list[dict[str, Any]] = wait_until(
        lambda: handled(harness, correlation_id, event_type),
        f"the {event_type} event of correlation {correlation_id} to be handled",
    )
    return messages


def outbox_of(harness: Harness, correlation_id: str | None, operation: str) -> list[dict[str, Any]]:
    """Return the outbox messages of `operation` for `correlation_id`."""
    outbox = harness.messages(correlation_id)["outbox"]
    return [m for m in outbox if m["operation"] == operation]


def crm_link(harness: Harness, account_id: str) -> Any:
    """Return the account's ERP customer id as the CRM shows it (None until synced)."""
    return harness.crm.record("Account", account_id).get("ERP_Customer_Id__c")


@dataclass(frozen=True)
class SyncedAccount:
    """A CRM account the engine has synchronised to an ERP customer."""

    account_id: str
    erp_customer_id: str
    correlation_id: str


def create_account(harness: Harness, correlation_id: str, **fields: Any) -> str:
    """Create an account in the CRM as a person would, with `ACCOUNT_FIELDS` as defaults."""
    return harness.crm.create("Account", {**ACCOUNT_FIELDS, **fields}, correlation_id)


def sync_account(harness: Harness, **fields: Any) -> SyncedAccount:
    """Create an account in the CRM and wait until its sync and the echo of it have settled.

    The engine's write of `ERP_Customer_Id__c` comes back from the CRM as an update event in
    the same correlation, and the ERP customer's creation as an ERP event. Both are waited
    for, so nothing of this sync is still moving when the test goes on.
    """
    correlation_id = wire.new_correlation_id()
    account_id = create_account(harness, correlation_id, **fields)
    erp_id = wait_until(lambda: crm_link(harness, account_id), "the account sync")
    wait_handled(harness, correlation_id, wire.ERP_CUSTOMER_CREATED)
    wait_handled(harness, correlation_id, wire.CRM_ACCOUNT_UPDATED)
    return SyncedAccount(account_id, str(erp_id), correlation_id)


def sync_account_by_hand(harness: Harness) -> str:
    """Create an account in a CRM that sends no events and deliver its created event."""
    account_id = create_account(harness, wire.new_correlation_id())
    record = harness.crm.record("Account", account_id)
    harness.post_event("/webhooks/crm", crm_event("Account", record, wire.CRM_ACCOUNT_CREATED))
    wait_until(lambda: crm_link(harness, account_id), "the account sync")
    return account_id


def create_order(harness: Harness, account_id: str, correlation_id: str) -> str:
    """Create a draft order with one line (2 x PUMP-200 at 2615.20 EUR) and activate it."""
    order_id = harness.crm.create(
        "Order",
        {"AccountId": account_id, "EffectiveDate": "2026-03-02", "CurrencyIsoCode": "EUR"},
    )
    item = {
        "OrderId": order_id,
        "Quantity": 2,
        "UnitPrice": "2615.20",
        "Description": "Pump 200",
        "SKU__c": "PUMP-200",
    }
    harness.crm.create("OrderItem", item)
    harness.crm.update("Order", order_id, {"Status": "Activated"}, correlation_id)
    return order_id


def erp_sales_order(harness: Harness, order_id: str) -> dict[str, Any]:
    """Wait for the ERP sales order of a CRM order and return it."""
    record: dict[str, Any] = wait_until(
        lambda: harness.erp.record("salesOrder", order_id), "the ERP sales order"
    )
    return record
