from __future__ import annotations

from decimal import Decimal

import pytest
import requests
from sandbox_helpers import ENGINE, SYNTHETIC, crm_token, salesforce_client
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from opsconsole.sandboxes import salesforce_ids
from opsconsole.sandboxes.tls import LocalTLS
from opsconsole.serve import RunningServer


def _error(exc: pytest.ExceptionInfo[Exception]) -> dict[str, object]:
    content = exc.value.content  # type: ignore[attr-defined]
    assert isinstance(content, list)
    assert len(content) == 1
    item: dict[str, object] = dict(content[0])
    return item


def test_token_response_has_salesforce_shape(
    crm_server: RunningServer, crm_session: requests.Session
) -> None:
    session = crm_session
    response = session.post(
        f"{crm_server.url}/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": ENGINE[0],
            "client_secret": ENGINE[1],
        },
    )
    body = response.json()

    assert response.status_code == 200
    assert body["token_type"] == "Bearer"
    assert body["instance_url"] == crm_server.url
    assert set(body) >= {"access_token", "issued_at", "id", "signature"}
    assert body["id"].rsplit("/", 1)[1].startswith("005")


def test_token_rejects_wrong_secret(
    crm_server: RunningServer, crm_session: requests.Session
) -> None:
    session = crm_session
    response = session.post(
        f"{crm_server.url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": ENGINE[0], "client_secret": "no"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_bad_token_gets_invalid_session(
    crm_server: RunningServer, crm_session: requests.Session
) -> None:
    session = crm_session
    client = Salesforce(
        instance_url=crm_server.url, session_id="nope", session=session, version="60.0"
    )

    with pytest.raises(SalesforceExpiredSession) as exc:
        client.query("SELECT Id FROM Account")

    assert _error(exc) == {
        "message": "Session expired or invalid",
        "errorCode": "INVALID_SESSION_ID",
        "fields": [],
    }


def test_create_get_update_delete_round_trip(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Nordwerk AG", "BillingCity": "Berlin"})
    account_id = created["id"]
    sf.Account.update(account_id, {"Phone": "+49 30 1234", "BillingCity": None})
    record = sf.Account.get(account_id)
    sf.Account.delete(account_id)

    assert created["success"] is True
    assert record["Name"] == "Nordwerk AG"
    assert record["Phone"] == "+49 30 1234"
    assert record["BillingCity"] is None
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v60.0/sobjects/Account/{account_id}",
    }
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(account_id)


def test_new_ids_are_valid_18_char_ids(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    contact_id = sf.Contact.create({"LastName": "Ng", "AccountId": account_id})["id"]

    for record_id, prefix in ((account_id, "001"), (contact_id, "003")):
        assert len(record_id) == 18
        assert record_id.startswith(prefix)
        assert salesforce_ids.to_18(record_id[:15]) == record_id


def test_short_and_lowercased_ids_resolve(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Sudhafen KG"})["id"]

    assert sf.Account.get(account_id[:15])["Id"] == account_id
    assert sf.Account.get(account_id.lower())["Id"] == account_id


def test_audit_fields_name_the_writing_user(
    crm_server: RunningServer, tls: LocalTLS, sf: Salesforce
) -> None:
    engine = salesforce_client(crm_server, tls.ca_file, ENGINE)
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    engine.Account.update(account_id, {"ERP_Customer_Id__c": "1001"})
    engine.session.close()
    record = sf.Account.get(account_id)

    assert record["CreatedById"] == salesforce_ids.stable_id("005", SYNTHETIC[0])
    assert record["LastModifiedById"] == salesforce_ids.stable_id("005", ENGINE[0])
    assert record["CreatedDate"].endswith("+0000")
    assert record["LastModifiedDate"] >= record["CreatedDate"]
    assert record["SystemModstamp"] == record["LastModifiedDate"]


def test_order_totals_use_decimal_arithmetic(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    order_id = sf.Order.create({"AccountId": account_id, "EffectiveDate": "2026-12-01"})["id"]
    first = sf.OrderItem.create({"OrderId": order_id, "Quantity": 1, "UnitPrice": 5230.40})["id"]
    sf.OrderItem.create({"OrderId": order_id, "Quantity": 3, "UnitPrice": 0.1})
    sf.OrderItem.update(first, {"UnitPrice": 0.2})
    order = sf.Order.get(order_id)
    item = sf.OrderItem.get(first)

    assert order["Status"] == "Draft"
    assert order["OrderNumber"].isdigit()
    assert Decimal(str(order["TotalAmount"])) == Decimal("0.50")
    assert Decimal(str(item["TotalPrice"])) == Decimal("0.20")


def test_upsert_creates_then_updates(sf: Salesforce) -> None:
    created = sf.Invoice__c.upsert("ERP_Invoice_Id__c/INV-5001", {"Amount__c": 59.97})
    updated = sf.Invoice__c.upsert("ERP_Invoice_Id__c/INV-5001", {"Status__c": "Open"})
    record = sf.Invoice__c.get_by_custom_id("ERP_Invoice_Id__c", "INV-5001")

    assert created == 201
    assert updated == 204
    assert record["Amount__c"] == 59.97
    assert record["Status__c"] == "Open"
    assert sf.query("SELECT Id FROM Invoice__c")["totalSize"] == 1


def test_upsert_on_non_external_field_is_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf.Account.upsert("Name/Acme", {"Phone": "1"})

    assert _error(exc)["errorCode"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({}, "REQUIRED_FIELD_MISSING", ["Name"]),
        ({"Name": "A", "Nope__c": 1}, "INVALID_FIELD", []),
        ({"Name": "A", "Id": "001000000000000AAA"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["Id"]),
        ({"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
        (
            {"Name": "A", "CurrencyIsoCode": "XXX"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["CurrencyIsoCode"],
        ),
    ],
)
def test_invalid_account_is_rejected(
    sf: Salesforce, body: dict[str, object], code: str, fields: list[str]
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create(body)

    error = _error(exc)
    assert error["errorCode"] == code
    assert error["fields"] == fields


@pytest.mark.parametrize(
    ("account_ref", "code"),
    [
        ("not-an-id", "MALFORMED_ID"),
        ("003000000000000", "FIELD_INTEGRITY_EXCEPTION"),
        ("001000000000000", "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY"),
    ],
)
def test_bad_reference_is_rejected(sf: Salesforce, account_ref: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Order.create({"AccountId": account_ref, "EffectiveDate": "2026-12-01"})

    assert _error(exc)["errorCode"] == code
    assert _error(exc)["fields"] == ["AccountId"]


def test_invalid_date_is_json_parser_error(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]

    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Order.create({"AccountId": account_id, "EffectiveDate": "31.12.2026"})

    assert _error(exc)["errorCode"] == "JSON_PARSER_ERROR"


def test_duplicate_external_id_is_rejected(sf: Salesforce) -> None:
    sf.Account.create({"Name": "A", "ERP_Customer_Id__c": "1001"})

    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.create({"Name": "B", "ERP_Customer_Id__c": "1001"})

    assert _error(exc)["errorCode"] == "DUPLICATE_VALUE"


def test_unknown_sobject_and_record_are_not_found(sf: Salesforce) -> None:
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.create({"LastName": "X"})
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get("001000000000000AAA")
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get("definitely-not-an-id")


def test_deleting_order_deletes_its_items(sf: Salesforce) -> None:
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    order_id = sf.Order.create({"AccountId": account_id, "EffectiveDate": "2026-12-01"})["id"]
    sf.OrderItem.create({"OrderId": order_id, "Quantity": 1, "UnitPrice": 10})

    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.Account.delete(account_id)
    sf.Order.delete(order_id)
    sf.Account.delete(account_id)

    assert _error(exc)["errorCode"] == "DELETE_FAILED"
    assert sf.query("SELECT COUNT() FROM OrderItem")["totalSize"] == 0


def test_describe_lists_fields_with_external_ids(sf: Salesforce) -> None:
    fields = {f["name"]: f for f in sf.Invoice__c.describe()["fields"]}

    assert fields["ERP_Invoice_Id__c"]["externalId"] is True
    assert fields["ERP_Invoice_Id__c"]["type"] == "string"
    assert fields["ERP_Invoice_Id__c"]["length"] == 40
    assert fields["Id"]["nillable"] is False
    assert fields["Order__c"]["referenceTo"] == ["Order"]
    prefixes = {s["name"]: s["keyPrefix"] for s in sf.describe()["sobjects"]}
    assert prefixes == {
        "Account": "001",
        "Contact": "003",
        "Order": "801",
        "OrderItem": "802",
        "Invoice__c": "a01",
    }


def test_version_index_resources(crm_server: RunningServer, crm_session: requests.Session) -> None:
    session = crm_session
    token = crm_token(crm_server, session, ENGINE)
    headers = {"Authorization": f"Bearer {token}"}

    versions = session.get(f"{crm_server.url}/services/data/").json()
    resources = session.get(f"{crm_server.url}/services/data/v59.0/", headers=headers).json()
    missing = session.get(f"{crm_server.url}/services/data/v19.0/", headers=headers)

    assert {"label": "v60.0", "url": "/services/data/v60.0", "version": "60.0"} in versions
    assert resources["query"] == "/services/data/v59.0/query"
    assert missing.status_code == 404
    assert missing.json()[0]["errorCode"] == "NOT_FOUND"


def test_trailing_slash_and_plain_paths_are_same(
    crm_server: RunningServer, crm_session: requests.Session
) -> None:
    session = crm_session
    headers = {"Authorization": f"Bearer {crm_token(crm_server, session, ENGINE)}"}
    base = f"{crm_server.url}/services/data/v60.0/sobjects/Account"

    created = session.post(base + "/", json={"Name": "A"}, headers=headers)
    plain = session.post(base, json={"Name": "B"}, headers=headers)

    assert created.status_code == 201
    assert plain.status_code == 201


def test_invalid_json_gets_parser_error(
    crm_server: RunningServer, crm_session: requests.Session
) -> None:
    session = crm_session
    headers = {"Authorization": f"Bearer {crm_token(crm_server, session, ENGINE)}"}

    response = session.post(
        f"{crm_server.url}/services/data/v60.0/sobjects/Account",
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_tls_rejects_clients_without_sandbox_ca(crm_server: RunningServer) -> None:
    with requests.Session() as session, pytest.raises(requests.exceptions.SSLError):
        session.trust_env = False
        session.get(f"{crm_server.url}/services/data")
