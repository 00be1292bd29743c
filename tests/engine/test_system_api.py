"""System API writes: Idempotency-Key replay and conflicts, system-of-record checks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from engine_support import Harness, sync_account, wait_until

from opsconsole import wire


def create(harness: Harness, body: dict[str, Any], key: str | None = None) -> httpx.Response:
    headers = {wire.IDEMPOTENCY_HEADER: key} if key else {}
    return httpx.post(f"{harness.url}/api/v1/customers", json=body, headers=headers)


def test_same_key_same_body_replays_stored_response(harness: Harness) -> None:
    body = {"name": "Sudhafen KG", "email": "info@sudhafen.example", "currency": "EUR"}

    first = create(harness, body, key="create-sudhafen")
    second = create(harness, body, key="create-sudhafen")

    assert first.status_code == 201
    assert second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    customer = wait_until(
        lambda: harness.erp.record("customer", first.json()["id"]), "the ERP customer"
    )
    assert customer["companyName"] == "Sudhafen KG"
    assert harness.erp.count("customer") == 1
    assert len(harness.erp.calls("PUT", "/customer/")) == 1


def test_reused_key_with_other_body_rejected(harness: Harness) -> None:
    body = {"name": "Sudhafen KG", "currency": "EUR"}
    first = create(harness, body, key="create-sudhafen")

    retry = create(harness, {**body, "website": "https://sudhafen.example"}, key="create-sudhafen")

    assert retry.status_code == 422
    assert retry.headers["content-type"] == "application/problem+json"
    problem = retry.json()
    assert problem["idempotency_key"] == "create-sudhafen"
    assert "create-sudhafen" in problem["detail"]
    assert problem["errors"][0]["path"] == "/headers/Idempotency-Key"
    created = harness.get(f"/api/v1/customers/{first.json()['id']}").json()
    assert "website" not in created
    stats = harness.get("/ops/stats").json()
    assert sum(stats["outbox"].values()) == 1


def test_concurrent_same_key_creates_one_customer(harness: Harness) -> None:
    body = {"name": "Nordwerk AG"}

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _: create(harness, body, key="k-1"), range(4)))

    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["id"] for response in responses}) == 1


def test_create_without_key_is_not_deduplicated(harness: Harness) -> None:
    first = create(harness, {"name": "Nordwerk AG"})
    second = create(harness, {"name": "Nordwerk AG"})

    assert first.json()["id"] != second.json()["id"]


def test_invalid_create_lists_each_bad_field(harness: Harness) -> None:
    response = create(harness, {"email": "not-an-email", "currency": "euro", "colour": "red"})

    assert response.status_code == 422
    paths = {error["path"] for error in response.json()["errors"]}
    assert paths == {"/body/name", "/body/currency", "/body/colour"}


def test_invalid_email_is_rejected_by_the_schema(harness: Harness) -> None:
    response = create(harness, {"name": "Nordwerk AG", "email": "not-an-email"})

    assert response.status_code == 422
    assert [error["path"] for error in response.json()["errors"]] == ["/email"]


def test_patch_tells_absent_null_and_empty_apart(harness: Harness) -> None:
    created = create(harness, {"name": "C-7", "phone": "+49 30 1234", "website": "w"}).json()
    url = f"{harness.url}/api/v1/customers/{created['id']}"

    cleared = httpx.patch(url, json={"phone": None, "website": ""}).json()
    untouched = httpx.patch(url, json={"name": "C-7 GmbH"}).json()

    assert cleared["phone"] is None
    assert cleared["website"] == ""
    assert untouched["phone"] is None
    assert untouched["website"] == ""
    assert untouched["version"] == 3


def test_patch_of_crm_owned_customer_is_refused(harness: Harness) -> None:
    account_id = sync_account(harness).account_id
    xref = harness.get("/ops/xref", system="crm", object="customer", id=account_id).json()

    response = httpx.patch(
        f"{harness.url}/api/v1/customers/{xref['canonical_id']}", json={"phone": None}
    )

    assert response.status_code == 409
    assert account_id in response.json()["detail"]


def test_unknown_customer_gets_404_problem(harness: Harness) -> None:
    response = harness.get("/api/v1/customers/nope")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/not-found")


def test_ops_paging_rejects_offset_beyond_range(harness: Harness) -> None:
    response = httpx.get(f"{harness.url}/ops/audit", params={"limit": 1, "offset": 2**63})
    assert response.status_code == 422
    assert "offset" in response.text
