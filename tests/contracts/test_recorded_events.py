"""Events the CRM and ERP sandboxes really send validate against the canonical schemas."""

from __future__ import annotations

import importlib.util
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from opsconsole.contracts.validation import validate_workspace
from opsconsole.serve import RunningServer, serve_in_thread
from opsconsole.workspace import Workspace

REPOSITORY = Workspace(Path(__file__).resolve().parents[2])
CLIENT_ID, CLIENT_SECRET = "recorder", "recorder-secret"
EXPECTED_EVENTS = 8
# Enough for eight asynchronous deliveries on a busy CI machine; the test fails, not hangs.
DELIVERY_WAIT_SECONDS = 30.0

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("opsconsole.sandboxes.crm.app") is None
    or importlib.util.find_spec("opsconsole.sandboxes.erp.app") is None
    or not any(REPOSITORY.schemas_dir.glob("cloudevent.v1.json")),
    reason="the sandboxes or the canonical schemas are not in this checkout",
)


class EventRecorder:
    """An engine stand-in that stores every CloudEvent it receives."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.app = FastAPI()
        self.app.post("/webhooks/crm", status_code=202)(self._receiver("crm"))
        self.app.post("/events/erp", status_code=202)(self._receiver("erp"))

    def _receiver(self, system: str) -> Any:
        async def receive(request: Request) -> dict[str, bool]:
            event = await request.json()
            with self._lock:
                self.events.append((system, event))
            return {"accepted": True}

        return receive

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture
def recorder() -> Iterator[tuple[EventRecorder, RunningServer]]:
    recording = EventRecorder()
    with serve_in_thread(recording.app, name="recorder") as server:
        yield recording, server


def _token(base_url: str, path: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID}
    form["client_secret"] = CLIENT_SECRET
    response = httpx.post(f"{base_url}{path}", data=form)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _drive_crm(base_url: str) -> None:
    """Create an account and an activated order with one item: four change events."""
    headers = _token(base_url, "/services/oauth2/token")
    data = f"{base_url}/services/data/v60.0/sobjects"
    account = httpx.post(f"{data}/Account", json={"Name": "ACME GmbH"}, headers=headers)
    order_body = {"AccountId": account.json()["id"], "EffectiveDate": "2026-12-04"}
    order = httpx.post(f"{data}/Order", json=order_body, headers=headers).json()
    item = {"OrderId": order["id"], "Quantity": 2, "UnitPrice": 125.5}
    httpx.post(f"{data}/OrderItem", json=item, headers=headers).raise_for_status()
    activate = {"Status": "Activated"}
    httpx.patch(f"{data}/Order/{order['id']}", json=activate, headers=headers).raise_for_status()


def _drive_erp(base_url: str) -> None:
    """Upsert a customer and a sales order, then fulfil and invoice it: four events."""
    headers = _token(base_url, "/services/rest/auth/oauth2/v1/token")
    records = f"{base_url}/services/rest/record/v1"
    customer = {"companyName": "ACME GmbH", "currency": {"refName": "EUR"}}
    created = httpx.put(f"{records}/customer/eid:C-1", json=customer, headers=headers)
    customer_id = created.headers["Location"].rsplit("/", 1)[1]
    line = {"item": {"refName": "PUMP-200"}, "quantity": 2, "rate": "125.50"}
    order = {"entity": {"id": customer_id}, "item": {"items": [line]}}
    placed = httpx.put(f"{records}/salesOrder/eid:SO-1", json=order, headers=headers)
    order_id = placed.headers["Location"].rsplit("/", 1)[1]
    control = f"{base_url}/sandbox/control/salesOrder/{order_id}"
    httpx.post(f"{control}/fulfil", headers=headers).raise_for_status()
    httpx.post(f"{control}/invoice", headers=headers).raise_for_status()


def _record(workspace: Workspace, events: list[tuple[str, dict[str, Any]]]) -> None:
    """Store each envelope for cloudevent.v1 and its data for the payload schema."""
    data_schemas = {"crm": "crm-record-change.v1", "erp": "erp-record-event.v1"}
    for index, (system, event) in enumerate(events):
        name = f"{index:02d}-{event['type']}.json"
        for schema, payload in (("cloudevent.v1", event), (data_schemas[system], event["data"])):
            folder = workspace.contracts_dir / "recorded" / schema
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(json.dumps(payload), encoding="utf-8")


def test_sandbox_events_match_schemas(
    tmp_path: Path, recorder: tuple[EventRecorder, RunningServer]
) -> None:
    from opsconsole.sandboxes.crm.app import CrmSettings
    from opsconsole.sandboxes.crm.app import create_app as create_crm
    from opsconsole.sandboxes.erp.app import ErpSettings
    from opsconsole.sandboxes.erp.app import create_app as create_erp

    recording, receiver = recorder
    crm = create_crm(
        CrmSettings(
            engine_webhook_url=f"{receiver.url}/webhooks/crm",
            webhook_secret="recorder-webhook",
            clients={CLIENT_ID: CLIENT_SECRET},
        )
    )
    erp = create_erp(
        ErpSettings(
            engine_event_url=f"{receiver.url}/events/erp",
            event_secret="recorder-events",
            clients={CLIENT_ID: CLIENT_SECRET},
        )
    )
    with (
        serve_in_thread(crm, name="crm") as crm_server,
        serve_in_thread(erp, name="erp") as erp_server,
    ):
        _drive_crm(crm_server.url)
        _drive_erp(erp_server.url)
        recording.wait_for(EXPECTED_EVENTS)
    workspace = Workspace(tmp_path)
    shutil.copytree(REPOSITORY.schemas_dir, workspace.schemas_dir)
    _record(workspace, recording.events)

    report = validate_workspace(workspace)

    assert len(recording.events) == EXPECTED_EVENTS
    recorded = [c for c in report.checks if c.name.startswith("recorded/")]
    assert len(recorded) == 2 * EXPECTED_EVENTS
    assert report.passed, [f"{c.name}: {c.message} {c.details}" for c in report.failures()]
