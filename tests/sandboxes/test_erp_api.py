from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sandbox_helpers import ENGINE

from opsconsole.serve import RunningServer

RECORDS = "/services/rest/record/v1"


def _create(erp: httpx.Client, record_type: str, body: dict[str, Any]) -> str:
    response = erp.post(f"{RECORDS}/{record_type}", json=body)
    assert response.status_code == 204, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def _customer(erp: httpx.Client, name: str = "Nordwerk AG", **fields: Any) -> str:
    return _create(erp, "customer", {"companyName": name, **fields})


def _order_body(entity: str, *lines: tuple[str, Any, Any]) -> dict[str, Any]:
    items = [{"item": {"refName": sku}, "quantity": qty, "rate": rate} for sku, qty, rate in lines]
    return {"entity": {"id": entity}, "item": {"items": items}}


def _details(response: httpx.Response) -> list[dict[str, Any]]:
    body = response.json()
    assert set(body) == {"type", "title", "status", "o:errorDetails"}
    assert body["status"] == response.status_code
    details: list[dict[str, Any]] = body["o:errorDetails"]
    return details


def test_token_requires_known_client(erp_server: RunningServer) -> None:
    with httpx.Client(base_url=erp_server.url, trust_env=False) as http:
        good = http.post(
            "/services/rest/auth/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": ENGINE[0],
                "client_secret": ENGINE[1],
            },
        )
        bad = http.post(
            "/services/rest/auth/oauth2/v1/token",
            data={"grant_type": "client_credentials", "client_id": ENGINE[0], "client_secret": "x"},
        )
        anonymous = http.get(f"{RECORDS}/customer")

    assert good.status_code == 200
    assert good.json()["token_type"] == "Bearer"
    assert good.json()["expires_in"] > 0
    assert bad.status_code == 401
    assert _details(bad)[0]["o:errorCode"] == "INVALID_LOGIN"
    assert anonymous.status_code == 401


def test_create_answers_204_with_location(erp: httpx.Client, erp_server: RunningServer) -> None:
    response = erp.post(f"{RECORDS}/customer", json={"companyName": "Nordwerk AG"})

    assert response.status_code == 204
    assert response.content == b""
    location = response.headers["Location"]
    assert location.startswith(f"{erp_server.url}{RECORDS}/customer/")
    assert location.rsplit("/", 1)[1].isdigit()


def test_read_by_id_and_external_id(erp: httpx.Client, erp_server: RunningServer) -> None:
    customer_id = _customer(erp, externalId="0015g00000QxYzAAAV", currency={"refName": "EUR"})

    by_id = erp.get(f"{RECORDS}/customer/{customer_id}").json()
    by_eid = erp.get(f"{RECORDS}/customer/eid:0015g00000QxYzAAAV").json()

    assert by_id == by_eid
    assert by_id["id"] == customer_id
    assert by_id["companyName"] == "Nordwerk AG"
    assert by_id["currency"] == {"id": "4", "refName": "EUR"}
    assert by_id["subsidiary"] == {"id": "1"}
    assert by_id["links"] == [
        {
            "rel": "self",
            "href": f"{erp.base_url}{RECORDS}/customer/{customer_id}".replace(
                "//services", "/services"
            ),
        }
    ]


def test_patch_updates_given_fields(erp: httpx.Client) -> None:
    customer_id = _customer(erp, email="a@example.com", phone="+49 30 1")

    response = erp.patch(
        f"{RECORDS}/customer/{customer_id}", json={"phone": None, "city": "Berlin"}
    )
    record = erp.get(f"{RECORDS}/customer/{customer_id}").json()

    assert response.status_code == 204
    assert record["city"] == "Berlin"
    assert record["email"] == "a@example.com"
    assert "phone" not in record


def test_put_eid_upserts(erp: httpx.Client) -> None:
    created = erp.put(f"{RECORDS}/customer/eid:001A", json={"companyName": "First"})
    updated = erp.put(f"{RECORDS}/customer/eid:001A", json={"companyName": "Second"})
    listing = erp.get(f"{RECORDS}/customer").json()

    assert created.status_code == 204
    assert updated.status_code == 204
    assert created.headers["Location"] == updated.headers["Location"]
    assert listing["totalResults"] == 1
    assert erp.get(f"{RECORDS}/customer/eid:001A").json()["companyName"] == "Second"


def test_put_without_eid_is_rejected(erp: httpx.Client) -> None:
    response = erp.put(f"{RECORDS}/customer/1001", json={"companyName": "X"})

    assert response.status_code == 400
    assert _details(response)[0]["o:errorCode"] == "INVALID_PARAMETER"


def test_delete_then_read_is_not_found(erp: httpx.Client) -> None:
    customer_id = _customer(erp)

    deleted = erp.delete(f"{RECORDS}/customer/{customer_id}")
    missing = erp.get(f"{RECORDS}/customer/{customer_id}")

    assert deleted.status_code == 204
    assert missing.status_code == 404
    assert _details(missing)[0]["o:errorCode"] == "NONEXISTENT_ID"


def test_list_pages_with_links(erp: httpx.Client) -> None:
    ids = [_customer(erp, f"Customer {i}") for i in range(5)]

    first = erp.get(f"{RECORDS}/customer", params={"limit": 2}).json()
    last = erp.get(f"{RECORDS}/customer", params={"limit": 2, "offset": 4}).json()

    assert first["count"] == 2
    assert first["hasMore"] is True
    assert first["offset"] == 0
    assert first["totalResults"] == 5
    assert [item["id"] for item in first["items"]] == ids[:2]
    assert {link["rel"] for link in first["links"]} == {"self", "first", "next", "last"}
    assert last["hasMore"] is False
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert {link["rel"] for link in last["links"]} == {"self", "first", "previous", "last"}
    assert first["items"][0]["links"][0]["href"].endswith(f"/customer/{ids[0]}")


def test_list_filters_with_q(erp: httpx.Client) -> None:
    nord = _customer(erp, "Nordwerk AG", externalId="A-1")
    _customer(erp, "Sudhafen KG", externalId="A-2")
    nordic = _customer(erp, "Nordic Oy")

    contain = erp.get(f"{RECORDS}/customer", params={"q": 'companyName CONTAIN "nord"'}).json()
    exact = erp.get(f"{RECORDS}/customer", params={"q": 'externalId IS "A-1"'}).json()
    either = erp.get(
        f"{RECORDS}/customer",
        params={"q": 'externalId IS "A-1" OR companyName START_WITH "Nordic"'},
    ).json()
    both = erp.get(
        f"{RECORDS}/customer", params={"q": 'companyName CONTAIN "nord" AND externalId EMPTY'}
    ).json()

    assert [i["id"] for i in contain["items"]] == [nord, nordic]
    assert [i["id"] for i in exact["items"]] == [nord]
    assert [i["id"] for i in either["items"]] == [nord, nordic]
    assert [i["id"] for i in both["items"]] == [nordic]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": 'nope IS "x"'}, "INVALID_PARAMETER"),
        ({"q": 'companyName LIKE "x"'}, "INVALID_PARAMETER"),
        ({"q": 'companyName IS "x" AND'}, "INVALID_PARAMETER"),
        ({"limit": 0}, "INVALID_CONTENT"),
        ({"limit": 1001}, "INVALID_CONTENT"),
        ({"offset": -1}, "INVALID_CONTENT"),
    ],
)
def test_list_rejects_bad_parameters(erp: httpx.Client, params: dict[str, Any], code: str) -> None:
    response = erp.get(f"{RECORDS}/customer", params=params)

    assert response.status_code == 400
    assert _details(response)[0]["o:errorCode"] == code


def test_address_limits_give_field_errors(erp: httpx.Client) -> None:
    response = erp.post(
        f"{RECORDS}/customer",
        json={
            "companyName": "Nordwerk AG",
            "addr1": "S" * 183,
            "state": "Mecklenburg-Vorpommern, Landkreis Rostock",
        },
    )

    details = _details(response)
    assert response.status_code == 400
    assert [(d["o:errorPath"], d["o:errorCode"]) for d in details] == [
        ("addr1", "INVALID_FLD_VALUE"),
        ("state", "INVALID_FLD_VALUE"),
    ]
    assert "183" in details[0]["detail"]
    assert "150" in details[0]["detail"]
    assert erp.get(f"{RECORDS}/customer").json()["totalResults"] == 0


def test_limit_counts_characters_not_bytes(erp: httpx.Client) -> None:
    line = "B" * 149 + "\N{DELIVERY TRUCK}"

    customer_id = _customer(erp, addr1=line)

    assert erp.get(f"{RECORDS}/customer/{customer_id}").json()["addr1"] == line


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({}, "companyName", "USER_ERROR"),
        ({"companyName": "A", "nope": 1}, "nope", "INVALID_CONTENT"),
        ({"companyName": "A", "id": "7"}, "id", "INVALID_CONTENT"),
        ({"companyName": "A", "currency": {"refName": "XXX"}}, "currency", "INVALID_KEY_OR_REF"),
        ({"companyName": "A", "currency": {"refName": {}}}, "currency", "INVALID_KEY_OR_REF"),
        ({"companyName": 5}, "companyName", "INVALID_FLD_VALUE"),
    ],
)
def test_invalid_customer_is_rejected(
    erp: httpx.Client, body: dict[str, Any], path: str, code: str
) -> None:
    response = erp.post(f"{RECORDS}/customer", json=body)

    assert response.status_code == 400
    assert (_details(response)[0]["o:errorPath"], _details(response)[0]["o:errorCode"]) == (
        path,
        code,
    )


def test_duplicate_external_id_is_rejected(erp: httpx.Client) -> None:
    _customer(erp, externalId="A-1")

    response = erp.post(f"{RECORDS}/customer", json={"companyName": "B", "externalId": "A-1"})

    assert response.status_code == 400
    assert _details(response)[0]["o:errorCode"] == "DUP_RCRD"


def test_sales_order_needs_existing_entity(erp: httpx.Client) -> None:
    response = erp.post(f"{RECORDS}/salesOrder", json=_order_body("999", ("SKU-1", 1, "1.00")))

    assert response.status_code == 400
    assert _details(response)[0]["o:errorPath"] == "entity"
    assert _details(response)[0]["o:errorCode"] == "INVALID_KEY_OR_REF"


def test_sales_order_needs_lines(erp: httpx.Client) -> None:
    customer_id = _customer(erp)

    response = erp.post(f"{RECORDS}/salesOrder", json=_order_body(customer_id))

    assert response.status_code == 400
    assert _details(response)[0]["o:errorPath"] == "item"


def test_sales_order_totals_are_decimal(erp: httpx.Client) -> None:
    customer_id = _customer(erp, currency={"refName": "EUR"})
    order_id = _create(
        erp,
        "salesOrder",
        _order_body(
            customer_id, ("SKU-1", 1, "5230.40"), ("SKU-2", 1, "-5119.10"), ("SKU-3", 3, "0.1")
        ),
    )

    order = erp.get(f"{RECORDS}/salesOrder/{order_id}").json()

    assert order["status"] == "Pending Fulfillment"
    assert order["entity"] == {"id": customer_id, "refName": "Nordwerk AG"}
    assert order["currency"]["refName"] == "EUR"
    assert Decimal(str(order["total"])) == Decimal("111.60")
    lines = order["item"]["items"]
    assert [line["rate"] for line in lines] == ["5230.40", "-5119.10", "0.1"]
    assert [line["amount"] for line in lines] == [5230.4, -5119.1, 0.3]


def test_jpy_amounts_have_no_minor_unit(erp: httpx.Client) -> None:
    customer_id = _customer(erp, currency={"refName": "JPY"})
    order_id = _create(erp, "salesOrder", _order_body(customer_id, ("SKU-1", 3, "333.4")))

    order = erp.get(f"{RECORDS}/salesOrder/{order_id}").json()

    assert order["total"] == 1000


def test_line_amount_must_match_quantity_times_rate(erp: httpx.Client) -> None:
    body = _order_body(_customer(erp), ("SKU-1", 2, "10.00"))
    body["item"]["items"][0]["amount"] = 25

    response = erp.post(f"{RECORDS}/salesOrder", json=body)

    assert response.status_code == 400
    assert _details(response)[0]["o:errorPath"] == "item.items[0].amount"


def test_fulfil_then_invoice(erp: httpx.Client, erp_server: RunningServer) -> None:
    customer_id = _customer(erp)
    erp.put(
        f"{RECORDS}/salesOrder/eid:8015g0000abcdeAAA",
        json=_order_body(customer_id, ("SKU-1", 2, "10.50")),
    )
    order_id = erp.get(f"{RECORDS}/salesOrder/eid:8015g0000abcdeAAA").json()["id"]

    early = erp.post(f"/sandbox/control/salesOrder/{order_id}/invoice")
    fulfilled = erp.post(f"/sandbox/control/salesOrder/{order_id}/fulfil")
    invoice = erp.post(f"/sandbox/control/salesOrder/{order_id}/invoice")
    again = erp.post(f"/sandbox/control/salesOrder/{order_id}/invoice")
    order = erp.get(f"{RECORDS}/salesOrder/{order_id}").json()

    assert early.status_code == 400
    assert fulfilled.json()["status"] == "Pending Billing"
    assert invoice.status_code == 200
    body = invoice.json()
    assert body["createdFrom"] == {"id": order_id}
    assert body["externalId"] == f"INV-{order_id}"
    assert body["status"] == "Open"
    assert body["total"] == 21.0
    assert body["entity"]["id"] == customer_id
    assert again.status_code == 400
    assert order["status"] == "Billed"
    assert erp.get(f"{RECORDS}/invoice/eid:INV-{order_id}").json()["id"] == body["id"]


def test_lines_frozen_after_fulfilment(erp: httpx.Client) -> None:
    customer_id = _customer(erp)
    order_id = _create(erp, "salesOrder", _order_body(customer_id, ("SKU-1", 1, "1")))
    erp.post(f"/sandbox/control/salesOrder/{order_id}/fulfil")

    lines = erp.patch(
        f"{RECORDS}/salesOrder/{order_id}",
        json={"item": {"items": [{"item": {"refName": "X"}, "quantity": 1, "rate": "2"}]}},
    )
    memo = erp.patch(f"{RECORDS}/salesOrder/{order_id}", json={"memo": "rush"})

    assert lines.status_code == 400
    assert memo.status_code == 204


def test_invoices_cannot_be_written(erp: httpx.Client) -> None:
    response = erp.post(f"{RECORDS}/invoice", json={"entity": {"id": "1"}})

    assert response.status_code == 400
    assert _details(response)[0]["o:errorCode"] == "USER_ERROR"


def test_customer_with_orders_cannot_be_deleted(erp: httpx.Client) -> None:
    customer_id = _customer(erp)
    _create(erp, "salesOrder", _order_body(customer_id, ("SKU-1", 1, "1")))

    response = erp.delete(f"{RECORDS}/customer/{customer_id}")

    assert response.status_code == 400


def test_unknown_record_type_and_route(erp: httpx.Client) -> None:
    unknown_type = erp.get(f"{RECORDS}/vendor/1")
    unknown_route = erp.get("/services/rest/query/v1/suiteql")

    assert unknown_type.status_code == 404
    assert _details(unknown_type)[0]["o:errorCode"] == "INVALID_RCRD_TYPE"
    assert unknown_route.status_code == 404
    assert _details(unknown_route)[0]["o:errorCode"] == "NONEXISTENT_ID"
