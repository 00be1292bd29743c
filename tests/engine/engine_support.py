"""Helpers for engine tests: a harness around a served engine, waits, and event builders."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from engine_fakes import FakeSystem

from opsconsole import wire
from opsconsole.engine.identity import to_18
from opsconsole.engine.settings import EngineSettings
from opsconsole.store.db import sqlite_url

CRM_SECRET = "crm-webhook-secret"
ERP_SECRET = "erp-event-secret"
WAIT_SECONDS = 15.0


@dataclass
class Harness:
    """An engine served on loopback with fake CRM and ERP systems behind it."""

    url: str
    crm: FakeSystem
    erp: FakeSystem
    settings: EngineSettings

    def post_event(
        self, path: str, event: wire.CloudEvent, secret: str | None = None
    ) -> httpx.Response:
        """Sign `event` and POST it to the engine."""
        default = CRM_SECRET if path.startswith("/webhooks") else ERP_SECRET
        body, headers = wire.signed_headers(event, secret or default)
        return httpx.post(f"{self.url}{path}", content=body, headers=headers, timeout=10)

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET a path of the engine."""
        return httpx.get(f"{self.url}{path}", params=params, timeout=10)


def wait_until(check: Callable[[], Any], description: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `description` after a while."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"Timed out waiting for {description}.")


def make_settings(tmp_path: Path, crm_url: str, erp_url: str, **overrides: Any) -> EngineSettings:
    """Return engine settings for a SQLite file under `tmp_path`."""
    values: dict[str, Any] = {
        "database_url": sqlite_url(tmp_path / "engine.db"),
        "crm_base_url": crm_url,
        "crm_client_secret": "crm-client-secret",
        "erp_base_url": erp_url,
        "erp_client_secret": "erp-client-secret",
        "crm_webhook_secrets": [CRM_SECRET],
        "erp_event_secrets": [ERP_SECRET],
        "retry_base_seconds": 0.05,
        "retry_max_seconds": 0.2,
        "max_attempts": 3,
    }
    values.update(overrides)
    return EngineSettings(**values)


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


def handled_messages(harness: Harness, correlation_id: str | None) -> list[dict[str, Any]]:
    body = harness.get("/ops/messages", correlation_id=correlation_id).json()
    inbox = body["inbox"]
    return inbox if inbox and all(m["status"] != "pending" for m in inbox) else []


def order_event(
    *, status: str = "Activated", author: str = HUMAN_USER_ID, event_id: str | None = None
) -> wire.CloudEvent:
    record = {
        "Id": ORDER_ID,
        "AccountId": ACCOUNT_ID,
        "EffectiveDate": "2026-03-02",
        "Status": status,
        "CurrencyIsoCode": "EUR",
        "OrderNumber": "00000101",
        "Description": None,
        "SystemModstamp": "2026-03-02T10:00:00.000+0000",
    }
    event = wire.CloudEvent(
        source="/sandbox/crm",
        type=wire.CRM_ORDER_UPDATED,
        subject=ORDER_ID,
        data={
            "sobject": "Order",
            "id": ORDER_ID,
            "fields": record,
            "changedFields": ["Status"],
            "lastModifiedById": author,
        },
        correlationid=wire.new_correlation_id(),
    )
    if event_id:
        event.id = event_id
    return event


def seed_order(harness: Harness) -> None:
    harness.crm.records.setdefault("Order", {})[ORDER_ID] = dict(
        order_event().data["fields"], TotalAmount=5230.4
    )
    items = harness.crm.records.setdefault("OrderItem", {})
    items[to_18("802000000000001")] = {
        "Id": to_18("802000000000001"),
        "OrderId": ORDER_ID,
        "Quantity": 2,
        "UnitPrice": 2615.2,
        "Description": "Pump 200",
        "SKU__c": "PUMP-200",
    }


def erp_event(kind: str, record_type: str, record: dict[str, Any]) -> wire.CloudEvent:
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


def sync_account(harness: Harness) -> str:
    seed_account(harness)
    harness.post_event("/webhooks/crm", account_event())
    return str(
        wait_until(
            lambda: harness.crm.records["Account"][ACCOUNT_ID].get("ERP_Customer_Id__c"),
            "the account sync",
        )
    )
