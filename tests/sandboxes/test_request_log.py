"""The sandboxes' request log: what a client sent, with its trace headers and the status."""

from __future__ import annotations

import httpx
import requests

from opsconsole import wire
from opsconsole.sandboxes.request_log import LoggedRequest, RequestLog
from opsconsole.serve import RunningServer

RECORDS = "/services/rest/record/v1"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_erp_logs_headers_and_status(erp: httpx.Client) -> None:
    headers = {
        wire.CORRELATION_HEADER: "corr-1",
        wire.TRACEPARENT_HEADER: TRACEPARENT,
        wire.IDEMPOTENCY_HEADER: "customer:c-1:erp.customer.upsert:1",
    }
    erp.delete("/sandbox/requests")

    erp.put(f"{RECORDS}/customer/eid:A-1", json={"companyName": "A"}, headers=headers)
    erp.get(f"{RECORDS}/customer", params={"limit": 5})
    logged = erp.get("/sandbox/requests").json()

    put, listing = logged["requests"]
    assert put["method"] == "PUT"
    assert put["path"] == f"{RECORDS}/customer/eid:A-1"
    assert put["status"] == 204
    assert put["correlation_id"] == "corr-1"
    assert put["traceparent"] == TRACEPARENT
    assert put["idempotency_key"] == "customer:c-1:erp.customer.upsert:1"
    assert listing["query"] == "limit=5"
    assert listing["correlation_id"] is None
    assert logged["dropped"] == 0


def test_injected_fault_is_logged_with_its_status(erp: httpx.Client) -> None:
    erp.post("/sandbox/faults", json={"method": "PUT", "status": 429, "count": 1})
    erp.delete("/sandbox/requests")

    erp.put(f"{RECORDS}/customer/eid:A-1", json={"companyName": "A"})
    erp.put(f"{RECORDS}/customer/eid:A-1", json={"companyName": "A"})

    statuses = [entry["status"] for entry in erp.get("/sandbox/requests").json()["requests"]]
    assert statuses == [429, 204]


def test_sandbox_paths_are_not_logged(erp: httpx.Client) -> None:
    erp.delete("/sandbox/requests")

    erp.get("/sandbox/faults")
    erp.get("/sandbox/deliveries")

    assert erp.get("/sandbox/requests").json()["requests"] == []


def test_crm_logs_token_and_data_calls(
    crm_server: RunningServer, crm_session: requests.Session
) -> None:
    url = crm_server.url
    crm_session.delete(f"{url}/sandbox/requests")

    token = crm_session.post(
        f"{url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "opsconsole-engine",
            "client_secret": "engine-secret",
        },
    ).json()["access_token"]
    crm_session.get(
        f"{url}/services/data/v60.0/sobjects/Account/001000000000000AAA",
        headers={"Authorization": "Bearer nope", wire.CORRELATION_HEADER: "corr-2"},
    )
    logged = crm_session.get(f"{url}/sandbox/requests").json()["requests"]

    assert token
    assert [(e["method"], e["status"]) for e in logged] == [("POST", 200), ("GET", 401)]
    assert logged[0]["path"] == "/services/oauth2/token"
    assert logged[1]["correlation_id"] == "corr-2"


def test_log_keeps_latest_entries_and_counts_dropped() -> None:
    log = RequestLog(limit=2)
    for number in range(3):
        log.add(_entry(f"/p{number}"))

    snapshot = log.snapshot()

    assert [entry.path for entry in snapshot.requests] == ["/p1", "/p2"]
    assert snapshot.dropped == 1


def _entry(path: str) -> LoggedRequest:
    return LoggedRequest.model_validate(
        {
            "method": "GET",
            "path": path,
            "query": "",
            "status": 200,
            "received_at": "2026-03-02T12:00:00Z",
            "correlation_id": None,
            "traceparent": None,
            "idempotency_key": None,
        }
    )
