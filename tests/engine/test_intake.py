"""Event intake over HTTP: signatures, envelope validation, dedupe and Problem Details."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from engine_support import (
    CRM_SECRET,
    Harness,
    create_order,
    crm_event,
    erp_sales_order,
    outbox_of,
    sync_account_by_hand,
)

from opsconsole import wire
from opsconsole.engine.flows import ERP_SALES_ORDER_UPSERT
from opsconsole.engine.identity import to_18

PROBLEM = "application/problem+json"
ACCOUNT_ID = to_18("0015g00000QxYzA")


def account_event(account_id: str = ACCOUNT_ID) -> wire.CloudEvent:
    """Return an account event; these tests never get as far as handling it."""
    record = {"Id": account_id, "Name": "Nordwerk AG"}
    return crm_event("Account", record, wire.CRM_ACCOUNT_CREATED, record_id=account_id)


def test_bad_signature_gets_401_problem(harness: Harness) -> None:
    response = harness.post_event("/webhooks/crm", account_event(), secret="wrong-secret")

    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 401
    assert problem["type"].endswith("/invalid-signature")
    assert "does not match" in problem["detail"]


def test_missing_signature_gets_401(harness: Harness) -> None:
    body = account_event().to_json_bytes()

    response = httpx.post(f"{harness.url}/webhooks/crm", content=body)

    assert response.status_code == 401


def test_rotated_second_secret_is_accepted(harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = harness_factory(crm_webhook_secrets=["new-secret", CRM_SECRET])

    response = harness.post_event("/webhooks/crm", account_event(), secret="new-secret")

    assert response.status_code == 202


def test_invalid_envelope_names_each_field(harness: Harness) -> None:
    envelope = {
        "specversion": "0.3",
        "id": "",
        "source": "/sandbox/crm",
        "type": "crm.account.created",
        "time": "last tuesday",
        "data": {"sobject": "Account", "id": "001-not-an-id", "fields": {}},
    }
    body = json.dumps(envelope).encode()
    headers = {wire.SIGNATURE_HEADER: wire.sign(body, CRM_SECRET)}

    response = httpx.post(f"{harness.url}/webhooks/crm", content=body, headers=headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    paths = {error["path"] for error in response.json()["errors"]}
    assert paths == {"/specversion", "/id", "/time"}


def test_invalid_data_is_reported_under_data(harness: Harness) -> None:
    event = account_event()
    event.data["id"] = "001-not-an-id"

    response = harness.post_event("/webhooks/crm", event)

    assert response.status_code == 422
    assert [error["path"] for error in response.json()["errors"]] == ["/data/id"]


def test_malformed_salesforce_id_is_rejected(harness: Harness) -> None:
    # Mixed case that disagrees with the suffix cannot be repaired.
    event = account_event("0015g00000QxYzAAAB")

    response = harness.post_event("/webhooks/crm", event)

    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["path"] == "/data/id"
    assert "case-checksum" in error["message"]


def test_erp_type_on_crm_endpoint_is_rejected(harness: Harness) -> None:
    event = account_event()
    event.type = wire.ERP_CUSTOMER_CREATED

    response = harness.post_event("/webhooks/crm", event)

    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "/type"


def test_body_that_is_not_json_gets_422(harness: Harness) -> None:
    body = b"not json"
    headers = {wire.SIGNATURE_HEADER: wire.sign(body, CRM_SECRET)}

    response = httpx.post(f"{harness.url}/webhooks/crm", content=body, headers=headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "/"


def test_same_webhook_three_times_is_applied_once(harness_factory: Callable[..., Harness]) -> None:
    harness = harness_factory(crm_events=False)
    account_id = sync_account_by_hand(harness)
    order_id = create_order(harness, account_id, wire.new_correlation_id())
    record = harness.crm.record("Order", order_id)
    event = crm_event("Order", record, wire.CRM_ORDER_UPDATED, event_id="wh-9001")
    body, headers = wire.signed_headers(event, CRM_SECRET)

    def deliver() -> httpx.Response:
        return httpx.post(f"{harness.url}/webhooks/crm", content=body, headers=headers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        concurrent = list(pool.map(lambda _: deliver(), range(2)))
    erp_sales_order(harness, order_id)
    late = deliver()

    statuses = sorted(response.status_code for response in [*concurrent, late])
    assert statuses == [200, 200, 202]
    duplicates = [r for r in [*concurrent, late] if r.status_code == 200]
    assert all(r.json()["duplicate"] is True for r in duplicates)
    assert len(harness.erp.calls("PUT", "salesOrder")) == 1
    assert harness.erp.count("salesOrder") == 1
    assert harness.get("/ops/stats").json()["duplicates_ignored"] == 2
    messages = harness.messages(event.correlationid)
    assert [m["type"] for m in messages["inbox"] if m["source"] == "/sandbox/crm"] == [
        wire.CRM_ORDER_UPDATED
    ]
    assert len(outbox_of(harness, event.correlationid, ERP_SALES_ORDER_UPSERT)) == 1


def test_health_and_metrics(harness: Harness) -> None:
    harness.post_event("/webhooks/crm", account_event(), secret="wrong-secret")

    assert harness.get("/health").json() == {"status": "ok"}
    metrics = harness.get("/metrics").text
    assert 'opsconsole_events_received_total{endpoint="crm",result="rejected_signature"} 1.0' in (
        metrics
    )


def test_unknown_path_gets_problem(harness: Harness) -> None:
    response = harness.get("/nowhere")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["status"] == 404


def test_deeply_nested_body_gets_422(harness: Harness) -> None:
    body = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    headers = {wire.SIGNATURE_HEADER: wire.sign(body, CRM_SECRET)}

    response = httpx.post(f"{harness.url}/webhooks/crm", content=body, headers=headers)

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_oversized_event_gets_413(harness: Harness) -> None:
    body = b'{"padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    headers = {wire.SIGNATURE_HEADER: wire.sign(body, CRM_SECRET)}

    response = httpx.post(f"{harness.url}/webhooks/crm", content=body, headers=headers)

    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM
    assert "accepts at most 1048576 bytes" in response.json()["detail"]


def test_reused_event_id_with_other_payload_is_flagged(harness: Harness) -> None:
    first = account_event()
    second = first.model_copy(
        update={"data": {**first.data, "fields": {**first.data["fields"], "Name": "Other AG"}}}
    )
    lines: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("opsconsole.engine")
    logger.addHandler(handler)
    sent = []
    try:
        for event in (first, second):
            body, headers = wire.signed_headers(event, CRM_SECRET)
            sent.append(httpx.post(f"{harness.url}/webhooks/crm", content=body, headers=headers))
    finally:
        logger.removeHandler(handler)

    assert sent[0].status_code == 202
    assert sent[1].status_code == 200
    assert sent[1].json()["duplicate"] is True
    assert any("different payload" in line for line in lines)
