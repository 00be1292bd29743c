from __future__ import annotations

import httpx
import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceRefusedRequest

from opsconsole.serve import RunningServer

RECORDS = "/services/rest/record/v1"
LIMIT_EXCEEDED = [
    {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
]


def test_crm_answers_403_for_next_n_requests(
    crm_server: RunningServer, crm_session: requests.Session, sf: Salesforce
) -> None:
    rule = {
        "method": "GET",
        "path_pattern": "/query",
        "count": 2,
        "status": 403,
        "body": LIMIT_EXCEEDED,
    }
    added = crm_session.post(f"{crm_server.url}/sandbox/faults", json=rule)

    errors = []
    for _ in range(2):
        with pytest.raises(SalesforceRefusedRequest) as exc:
            sf.query("SELECT Id FROM Account")
        errors.append(exc.value.content)
    created = sf.Account.create({"Name": "Not affected"})
    after = sf.query("SELECT Id FROM Account")
    remaining = crm_session.get(f"{crm_server.url}/sandbox/faults").json()

    assert added.status_code == 201
    assert errors == [LIMIT_EXCEEDED, LIMIT_EXCEEDED]
    assert created["success"] is True
    assert after["totalSize"] == 1
    assert remaining == {"faults": []}


def test_erp_answers_429_with_retry_after(erp: httpx.Client) -> None:
    body = {
        "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
        "title": "Too Many Requests",
        "status": 429,
        "o:errorDetails": [
            {"detail": "Concurrency limit exceeded.", "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED"}
        ],
    }
    erp.post(
        "/sandbox/faults",
        json={
            "method": "PUT",
            "path_pattern": "^/services/rest/record/v1/customer/",
            "status": 429,
            "body": body,
            "headers": {"Retry-After": "40"},
        },
    )

    limited = erp.put(f"{RECORDS}/customer/eid:A-1", json={"companyName": "A"})
    retried = erp.put(f"{RECORDS}/customer/eid:A-1", json={"companyName": "A"})

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "40"
    assert limited.json() == body
    assert retried.status_code == 204
    assert erp.get(f"{RECORDS}/customer").json()["totalResults"] == 1


def test_fault_rules_apply_in_order_and_clear(erp: httpx.Client) -> None:
    erp.post("/sandbox/faults", json={"status": 500, "count": 1})
    erp.post("/sandbox/faults", json={"status": 502, "count": 1, "path_pattern": "customer"})
    listed = erp.get("/sandbox/faults").json()

    first = erp.get(f"{RECORDS}/customer")
    second = erp.get(f"{RECORDS}/customer")
    erp.post("/sandbox/faults", json={"status": 503, "count": 5})
    erp.delete("/sandbox/faults")
    third = erp.get(f"{RECORDS}/customer")

    assert [f["rule"]["status"] for f in listed["faults"]] == [500, 502]
    assert first.status_code == 500
    assert first.content == b""
    assert second.status_code == 502
    assert third.status_code == 200


def test_sandbox_paths_are_never_faulted(erp: httpx.Client) -> None:
    erp.post("/sandbox/faults", json={"status": 500, "path_pattern": ".*", "count": 1})

    listing = erp.get("/sandbox/faults")

    assert listing.status_code == 200
    assert listing.json()["faults"][0]["remaining"] == 1


@pytest.mark.parametrize(
    "rule",
    [
        {"status": 99},
        {"status": 500, "count": 0},
        {"status": 500, "path_pattern": "("},
        {"path_pattern": "x"},
    ],
)
def test_invalid_fault_rule_is_rejected(erp: httpx.Client, rule: dict[str, object]) -> None:
    response = erp.post("/sandbox/faults", json=rule)

    assert response.status_code == 422
    assert erp.get("/sandbox/faults").json() == {"faults": []}
