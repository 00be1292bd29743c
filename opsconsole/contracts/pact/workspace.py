"""The workspace's consumer pacts, written with pact-python (Pact specification V4).

Three consumers read three providers:

- the sync engine calls the CRM's Salesforce REST subset and reads its change events;
- the sync engine calls the ERP's NetSuite REST record subset and reads its record events;
- the ops console reads the engine's ops API.

The interactions follow what the engine's CRM and ERP clients send (token, record reads,
SOQL, updates and upserts by external ID) and the fields its flows read from events. Record
IDs that a provider assigns come from provider-state values (``${accountId}``), so a
verification against a fresh provider uses the IDs its state setup created.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pact import Pact, generate, match

CONSOLE = "ops-console"
ENGINE = "sync-engine"
CRM = "crm"
ERP = "erp"

# Secrets the embedded providers are configured with during verification. They are sample
# values for loopback sandboxes, never credentials of a real system.
CRM_CLIENT_ID = "opsconsole-engine"
CRM_CLIENT_SECRET = "pact-crm-secret"
ERP_CLIENT_ID = "opsconsole-engine"
ERP_CLIENT_SECRET = "pact-erp-secret"

CRM_DATA = "/services/data/v60.0"
ERP_RECORDS = "/services/rest/record/v1"
SALESFORCE_ID = r"^[a-zA-Z0-9]{15}([A-Z0-5]{3})?$"
ISO_DATE = "%Y-%m-%d"

ACCOUNT_ID = "0015g00000QxYzAAAV"
ORDER_ID = "8015g00000AbCdEAAV"
ENGINE_USER_ID = "0055g00000EnGiNAAV"
ORDER_ITEM_FIELDS = "Id, OrderId, Quantity, UnitPrice, Description, SKU__c, TotalPrice"


def _from_state(example: str, expression: str) -> Any:
    """Match any string like `example`; during verification take it from the provider state."""
    return match.type(example, generator=generate.provider_state(expression))


def _example_event_id(event_type: str) -> str:
    """Return a fixed example event ID per event type; the engine drops repeated IDs."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:opsconsole:pact-example:{event_type}"))


def _bearer() -> Any:
    return match.regex("Bearer pact-token", regex=r"^Bearer \S+$")


# The engine as consumer of the CRM


def engine_crm_pact(*, messages: bool = True) -> Pact:
    """Return the sync engine's pact with the CRM: REST calls and (unless off) change events.

    pact-python's mock server fails on pacts that mix HTTP and message interactions, so
    consumer tests of the HTTP calls build the pact without messages.
    """
    pact = Pact(ENGINE, CRM)
    _crm_token(pact)
    _crm_account_update(pact)
    _crm_order_read(pact)
    _crm_order_items_query(pact)
    _crm_order_update(pact)
    _crm_invoice_upsert(pact)
    if messages:
        _crm_account_event(pact)
        _crm_order_event(pact)
    return pact


def _crm_token(pact: Pact) -> None:
    form = (
        f"grant_type=client_credentials&client_id={CRM_CLIENT_ID}&client_secret={CRM_CLIENT_SECRET}"
    )
    (
        pact.upon_receiving("a client-credentials token request to the CRM")
        .with_request("POST", "/services/oauth2/token")
        .with_body(form, "application/x-www-form-urlencoded")
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.str("00D5g000004Pact!token"),
                # The engine sends its later calls to instance_url, so a consumer test's
                # mock server puts its own URL here.
                "instance_url": match.type(
                    "https://127.0.0.1:8401",
                    generator=generate.mock_server_url(
                        regex=r"^https?://[^/]+(.*)$", example="https://127.0.0.1:8401"
                    ),
                ),
                "id": match.regex(
                    f"https://127.0.0.1:8401/id/00D5g00000OrGaNAAV/{ENGINE_USER_ID}",
                    regex=r"^https?://.+/id/[a-zA-Z0-9]{15,18}/005[a-zA-Z0-9]{12,15}$",
                ),
                "token_type": "Bearer",
            },
            "application/json",
        )
    )


def _crm_account_update(pact: Pact) -> None:
    (
        pact.upon_receiving("an update of an account's ERP customer ID")
        .given("an account exists", name="Nordwerk AG")
        .with_request(
            "PATCH",
            _from_state(
                f"{CRM_DATA}/sobjects/Account/{ACCOUNT_ID}",
                f"{CRM_DATA}/sobjects/Account/${{accountId}}",
            ),
        )
        .with_header("Authorization", _bearer())
        .with_body({"ERP_Customer_Id__c": "1001"}, "application/json")
        .will_respond_with(204)
    )


def _crm_order_read(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for an activated order")
        .given(
            "an activated order with one item exists", sku="PUMP-200", quantity=2, unitPrice=250.0
        )
        .with_request(
            "GET",
            _from_state(
                f"{CRM_DATA}/sobjects/Order/{ORDER_ID}", f"{CRM_DATA}/sobjects/Order/${{orderId}}"
            ),
        )
        .with_header("Authorization", _bearer())
        .will_respond_with(200)
        .with_body(
            {
                "attributes": {
                    "type": "Order",
                    "url": match.str(f"{CRM_DATA}/sobjects/Order/{ORDER_ID}"),
                },
                "Id": match.regex(ORDER_ID, regex=SALESFORCE_ID),
                "AccountId": match.regex(ACCOUNT_ID, regex=SALESFORCE_ID),
                "EffectiveDate": match.date("2026-12-04", ISO_DATE),
                "Status": "Activated",
                "CurrencyIsoCode": match.str("EUR"),
                "OrderNumber": match.str("00000101"),
                "TotalAmount": match.number(500.0),
                "LastModifiedById": match.regex(ENGINE_USER_ID, regex=SALESFORCE_ID),
            },
            "application/json",
        )
    )


def _crm_order_items_query(pact: Pact) -> None:
    soql = f"SELECT {ORDER_ITEM_FIELDS} FROM OrderItem WHERE OrderId = '{ORDER_ID}'"
    soql_template = f"SELECT {ORDER_ITEM_FIELDS} FROM OrderItem WHERE OrderId = '${{orderId}}'"
    item = {
        "attributes": {
            "type": "OrderItem",
            "url": match.str(f"{CRM_DATA}/sobjects/OrderItem/8025g00000LiNeAAAV"),
        },
        "Id": match.regex("8025g00000LiNeAAAV", regex=SALESFORCE_ID),
        "OrderId": match.regex(ORDER_ID, regex=SALESFORCE_ID),
        "Quantity": match.number(2.0),
        "UnitPrice": match.number(250.0),
        "SKU__c": match.str("PUMP-200"),
        "TotalPrice": match.number(500.0),
    }
    (
        pact.upon_receiving("a SOQL query for the items of an order")
        .given(
            "an activated order with one item exists", sku="PUMP-200", quantity=2, unitPrice=250.0
        )
        .with_request("GET", f"{CRM_DATA}/query")
        .with_query_parameter("q", _from_state(soql, soql_template))
        .with_header("Authorization", _bearer())
        .will_respond_with(200)
        .with_body(
            {"totalSize": match.int(1), "done": True, "records": match.each_like(item)},
            "application/json",
        )
    )


def _crm_order_update(pact: Pact) -> None:
    (
        pact.upon_receiving("an update of an order's ERP sales order ID and status")
        .given(
            "an activated order with one item exists", sku="PUMP-200", quantity=2, unitPrice=250.0
        )
        .with_request(
            "PATCH",
            _from_state(
                f"{CRM_DATA}/sobjects/Order/{ORDER_ID}", f"{CRM_DATA}/sobjects/Order/${{orderId}}"
            ),
        )
        .with_header("Authorization", _bearer())
        .with_body(
            {"ERP_Sales_Order_Id__c": "2001", "ERP_Status__c": "Pending Fulfillment"},
            "application/json",
        )
        .will_respond_with(204)
    )


def _crm_invoice_upsert(pact: Pact) -> None:
    body = {
        "Name": "INV-2001",
        "Order__c": _from_state(ORDER_ID, "${orderId}"),
        "Account__c": _from_state(ACCOUNT_ID, "${accountId}"),
        "Amount__c": "500.00",
        "CurrencyIsoCode": "EUR",
        "Status__c": "Open",
        "InvoiceDate__c": "2026-12-04",
    }
    (
        pact.upon_receiving("an upsert of a new invoice by its ERP invoice ID")
        .given(
            "an activated order with one item exists", sku="PUMP-200", quantity=2, unitPrice=250.0
        )
        .with_request("PATCH", f"{CRM_DATA}/sobjects/Invoice__c/ERP_Invoice_Id__c/INV-2001")
        .with_header("Authorization", _bearer())
        .with_body(body, "application/json")
        .will_respond_with(201)
        .with_body(
            {
                "id": match.regex("a015g00000InVoIAAV", regex=SALESFORCE_ID),
                "success": True,
                "errors": [],
            },
            "application/json",
        )
    )


def _crm_change_event(event_type: str, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": match.str(_example_event_id(event_type)),
        "source": "/sandbox/crm",
        "type": event_type,
        "subject": match.regex(fields["Id"], regex=SALESFORCE_ID),
        "data": {
            "sobject": sobject,
            "id": match.regex(fields["Id"], regex=SALESFORCE_ID),
            "fields": {
                **{k: (match.like(v) if k != "Status" else v) for k, v in fields.items()},
                "LastModifiedById": match.regex(ENGINE_USER_ID, regex=SALESFORCE_ID),
            },
            "changedFields": match.each_like("Name"),
            "lastModifiedById": match.regex(ENGINE_USER_ID, regex=SALESFORCE_ID),
        },
        "correlationid": match.str("c0ffee00-0000-4000-8000-000000000001"),
        "traceparent": match.regex(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            regex=r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        ),
    }


def _crm_account_event(pact: Pact) -> None:
    fields = {"Id": ACCOUNT_ID, "Name": "Nordwerk AG", "BillingCity": "Hamburg"}
    (
        pact.upon_receiving("a crm.account.created event", "Async")
        .given("an account is created", name="Nordwerk AG", city="Hamburg")
        .with_body(_crm_change_event("crm.account.created", "Account", fields), "application/json")
    )


def _crm_order_event(pact: Pact) -> None:
    fields = {"Id": ORDER_ID, "AccountId": ACCOUNT_ID, "Status": "Activated"}
    (
        pact.upon_receiving("a crm.order.updated event for an activated order", "Async")
        .given("an order is activated")
        .with_body(_crm_change_event("crm.order.updated", "Order", fields), "application/json")
    )


# The engine as consumer of the ERP


def engine_erp_pact(*, messages: bool = True) -> Pact:
    """Return the sync engine's pact with the ERP: record calls and (unless off) events."""
    pact = Pact(ENGINE, ERP)
    _erp_token(pact)
    _erp_customer_upsert(pact)
    _erp_customer_read(pact)
    _erp_sales_order_upsert(pact)
    if messages:
        _erp_events(pact)
    return pact


def _erp_events(pact: Pact) -> None:
    _erp_event(
        pact,
        "an erp.customer.created event",
        "a customer is created",
        "erp.customer.created",
        "customer",
        {"companyName": match.str("Nordwerk AG")},
    )
    _erp_event(
        pact,
        "an erp.salesorder.accepted event",
        "a sales order is accepted",
        "erp.salesorder.accepted",
        "salesOrder",
        {"status": "Pending Fulfillment", "entity": {"id": match.str("1001")}},
    )
    _erp_event(
        pact,
        "an erp.salesorder.fulfilled event",
        "a sales order is fulfilled",
        "erp.salesorder.fulfilled",
        "salesOrder",
        {"status": "Pending Billing"},
    )
    _erp_event(
        pact,
        "an erp.invoice.created event",
        "a sales order is invoiced",
        "erp.invoice.created",
        "invoice",
        {
            "createdFrom": {"id": match.str("2001")},
            "tranId": match.str("INV-2001"),
            "total": match.number(500.0),
            "currency": {"refName": match.str("EUR")},
            "status": "Open",
            "tranDate": match.date("2026-12-04", ISO_DATE),
        },
    )


def _erp_token(pact: Pact) -> None:
    form = (
        f"grant_type=client_credentials&client_id={ERP_CLIENT_ID}&client_secret={ERP_CLIENT_SECRET}"
    )
    (
        pact.upon_receiving("a client-credentials token request to the ERP")
        .with_request("POST", "/services/rest/auth/oauth2/v1/token")
        .with_body(form, "application/x-www-form-urlencoded")
        .will_respond_with(200)
        .with_body(
            {
                "access_token": match.str("pact-erp-token"),
                "token_type": "Bearer",
                "expires_in": match.int(3600),
            },
            "application/json",
        )
    )


def _erp_customer_upsert(pact: Pact) -> None:
    body = {
        "subsidiary": {"id": "1"},
        "companyName": "Nordwerk AG",
        "email": "einkauf@nordwerk.example",
        "currency": {"refName": "EUR"},
        "addr1": "Am Sandtorkai 1",
        "addr2": "",
        "addr3": "",
        "city": "Hamburg",
        "state": "HH",
        "zip": "20457",
        "country": "DE",
    }
    (
        pact.upon_receiving("an upsert of a customer by the CRM account ID")
        .with_request("PUT", f"{ERP_RECORDS}/customer/eid:{ACCOUNT_ID}")
        .with_header("Authorization", _bearer())
        .with_body(body, "application/json")
        .will_respond_with(204)
        .with_header(
            "Location",
            match.regex(
                f"http://127.0.0.1:8402{ERP_RECORDS}/customer/1001",
                regex=r"^https?://.+/customer/\d+$",
            ),
        )
    )


def _erp_customer_read(pact: Pact) -> None:
    (
        pact.upon_receiving("a request for a customer by external ID")
        .given("a customer exists", externalId=ACCOUNT_ID, companyName="Nordwerk AG")
        .with_request("GET", f"{ERP_RECORDS}/customer/eid:{ACCOUNT_ID}")
        .with_header("Authorization", _bearer())
        .will_respond_with(200)
        .with_body(
            {
                "id": match.regex("1001", regex=r"^\d+$"),
                "externalId": ACCOUNT_ID,
                "companyName": match.str("Nordwerk AG"),
                "links": match.each_like(
                    {"rel": "self", "href": match.str(f"{ERP_RECORDS}/customer/1001")}
                ),
            },
            "application/json",
        )
    )


def _erp_sales_order_upsert(pact: Pact) -> None:
    body = {
        "entity": {"id": _from_state("1001", "${customerId}")},
        "tranDate": "2026-12-04",
        "currency": {"refName": "EUR"},
        "item": {
            "items": [
                {
                    "item": {"refName": "PUMP-200"},
                    "quantity": 2,
                    "rate": "250.00",
                    "amount": "500.00",
                }
            ]
        },
        "otherRefNum": "00000101",
    }
    (
        pact.upon_receiving("an upsert of a sales order by the CRM order ID")
        .given("a customer exists", externalId=ACCOUNT_ID, companyName="Nordwerk AG")
        .with_request("PUT", f"{ERP_RECORDS}/salesOrder/eid:{ORDER_ID}")
        .with_header("Authorization", _bearer())
        .with_body(body, "application/json")
        .will_respond_with(204)
        .with_header(
            "Location",
            match.regex(
                f"http://127.0.0.1:8402{ERP_RECORDS}/salesOrder/2001",
                regex=r"^https?://.+/salesOrder/\d+$",
            ),
        )
    )


def _erp_event(
    pact: Pact,
    description: str,
    state: str,
    event_type: str,
    record_type: str,
    record: dict[str, Any],
) -> None:
    event = {
        "specversion": "1.0",
        "id": match.str(_example_event_id(event_type)),
        "source": "/sandbox/erp",
        "type": event_type,
        "data": {
            "recordType": record_type,
            "id": match.regex("2001", regex=r"^\d+$"),
            "externalId": match.str(ORDER_ID),
            "record": {"id": match.regex("2001", regex=r"^\d+$"), **record},
        },
        "correlationid": match.str("c0ffee00-0000-4000-8000-000000000002"),
        "traceparent": match.regex(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            regex=r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
        ),
    }
    pact.upon_receiving(description, "Async").given(state).with_body(event, "application/json")


# The console as consumer of the engine's ops API


def console_engine_pact() -> Pact:
    """Return the ops console's pact with the engine's health and ops API."""
    pact = Pact(CONSOLE, ENGINE)
    (
        pact.upon_receiving("a health check")
        .with_request("GET", "/health")
        .will_respond_with(200)
        .with_body({"status": "ok"}, "application/json")
    )
    (
        pact.upon_receiving("a request for the message statistics")
        .with_request("GET", "/ops/stats")
        .will_respond_with(200)
        .with_body(
            {
                "inbox": match.like({}),
                "outbox": match.like({}),
                "dlq": match.int(0),
                "duplicates_ignored": match.int(0),
                "xref": match.like({}),
            },
            "application/json",
        )
    )
    (
        pact.upon_receiving("a request for the open dead letters")
        .with_request("GET", "/ops/dlq")
        .with_query_parameter("status", "open")
        .will_respond_with(200)
        .with_body({"total": match.int(0), "items": match.like([])}, "application/json")
    )
    (
        pact.upon_receiving("a request for the messages of one correlation ID")
        .given(
            "an account event was received", correlationId="c0ffee00-0000-4000-8000-0000000000aa"
        )
        .with_request("GET", "/ops/messages")
        .with_query_parameter("correlation_id", "c0ffee00-0000-4000-8000-0000000000aa")
        .will_respond_with(200)
        .with_body(
            {
                "correlation_id": "c0ffee00-0000-4000-8000-0000000000aa",
                "inbox": match.each_like(
                    {
                        "event_id": match.str("7f1c2d7e-0d44-4a38-9a51-1f0f3c1b2a10"),
                        "type": "crm.account.created",
                        "status": match.str("processed"),
                        "correlation_id": "c0ffee00-0000-4000-8000-0000000000aa",
                    }
                ),
                "outbox": match.like([]),
            },
            "application/json",
        )
    )
    (
        pact.upon_receiving("a request for an unknown cross-reference")
        .with_request("GET", "/ops/xref")
        .with_query_parameters({"system": "crm", "object": "customer", "id": "0015g00000NoNeXAAV"})
        .will_respond_with(404)
        .with_body(
            {
                "title": match.str("Not Found"),
                "status": 404,
                "detail": match.str("No cross-reference"),
            },
            "application/problem+json",
        )
    )
    return pact


WORKSPACE_PACTS: dict[str, Callable[[], Pact]] = {
    f"{ENGINE}-{CRM}": engine_crm_pact,
    f"{ENGINE}-{ERP}": engine_erp_pact,
    f"{CONSOLE}-{ENGINE}": console_engine_pact,
}


def write_workspace_pacts(folder: Path) -> list[Path]:
    """Write every workspace pact into `folder`, replacing older files; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in WORKSPACE_PACTS.items():
        build().write_file(folder, overwrite=True)
        written.append(folder / f"{name}.json")
    return written
