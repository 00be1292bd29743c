from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from opsconsole.sandboxes.crm import soql
from opsconsole.sandboxes.crm.errors import SalesforceApiError


def _names(result: dict[str, object]) -> list[str]:
    records = result["records"]
    assert isinstance(records, list)
    return [r["Name"] for r in records]


@pytest.fixture
def accounts(sf: Salesforce) -> list[str]:
    rows = [
        {"Name": "Nordwerk AG", "BillingCity": "Berlin", "AccountNumber": "A-1"},
        {"Name": "Sudhafen KG", "BillingCity": "Hamburg", "AccountNumber": "A-2"},
        {"Name": "Acme Corp", "BillingCity": "Berlin"},
        {"Name": "Zeta GmbH"},
        {"Name": "O'Brien Ltd", "BillingCity": "Dublin"},
    ]
    return [sf.Account.create(row)["id"] for row in rows]


def test_parse_full_query() -> None:
    query = soql.parse(
        "select Id, Name from Account where (Name = 'A' or Name != null) and "
        "BillingCity in ('x', 'y') and not Phone like '%1' "
        "order by Name desc nulls first, Id limit 5 offset 2"
    )

    assert query.sobject == "Account"
    assert query.fields == ["Id", "Name"]
    assert query.limit == 5
    assert query.offset == 2
    assert query.order_by == [
        soql.OrderKey("Name", descending=True, nulls_last=False),
        soql.OrderKey("Id", descending=False, nulls_last=False),
    ]
    assert isinstance(query.where, soql.BoolOp)
    assert query.where.op == "AND"


def test_parse_literals() -> None:
    query = soql.parse(
        "SELECT Id FROM Order WHERE EffectiveDate >= 2026-01-31 AND TotalAmount > 10.50 "
        "AND Description = 'it\\'s' AND ERP_Status__c = null"
    )

    assert isinstance(query.where, soql.BoolOp)
    values = [c.value for c in query.where.operands if isinstance(c, soql.Comparison)]
    assert values == [date(2026, 1, 31), Decimal("10.50"), "it's", None]


def test_parse_count() -> None:
    assert soql.parse("SELECT COUNT() FROM Account").fields is None


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FROM Account",
        "SELECT Id Account",
        "SELECT Id FROM Account WHERE",
        "SELECT Id FROM Account WHERE Name = ",
        "SELECT Id FROM Account WHERE Name ~ 'x'",
        "SELECT Id FROM Account LIMIT -1",
        "SELECT Id FROM Account WHERE Name = 'open",
        "SELECT Id FROM Account extra",
    ],
)
def test_parse_rejects_malformed_query(text: str) -> None:
    with pytest.raises(SalesforceApiError) as exc:
        soql.parse(text)

    assert exc.value.error_code == "MALFORMED_QUERY"
    assert "ERROR at Row:1:Column:" in exc.value.message or "unexpected" in exc.value.message


def test_where_equality_is_case_insensitive(sf: Salesforce, accounts: list[str]) -> None:
    result = sf.query("SELECT Id, Name FROM Account WHERE BillingCity = 'BERLIN' ORDER BY Name")

    assert _names(result) == ["Acme Corp", "Nordwerk AG"]


def test_where_and_or_not(sf: Salesforce, accounts: list[str]) -> None:
    result = sf.query(
        "SELECT Name FROM Account WHERE (BillingCity = 'Berlin' AND AccountNumber != null) "
        "OR NOT (BillingCity != 'Hamburg') ORDER BY Name"
    )

    assert _names(result) == ["Nordwerk AG", "Sudhafen KG"]


def test_where_null_in_like(sf: Salesforce, accounts: list[str]) -> None:
    nulls = sf.query("SELECT Name FROM Account WHERE BillingCity = null")
    in_list = sf.query(
        "SELECT Name FROM Account WHERE BillingCity IN ('Dublin', 'Hamburg') ORDER BY Name"
    )
    not_in = sf.query("SELECT Name FROM Account WHERE BillingCity NOT IN ('Berlin') ORDER BY Name")
    like = sf.query("SELECT Name FROM Account WHERE Name LIKE '%g' ORDER BY Name")
    quoted = sf.query("SELECT Name FROM Account WHERE Name = 'O\\'Brien Ltd'")

    assert _names(nulls) == ["Zeta GmbH"]
    assert _names(in_list) == ["O'Brien Ltd", "Sudhafen KG"]
    assert _names(not_in) == ["O'Brien Ltd", "Sudhafen KG", "Zeta GmbH"]
    assert _names(like) == ["Nordwerk AG", "Sudhafen KG"]
    assert _names(quoted) == ["O'Brien Ltd"]


def test_where_id_accepts_15_char_form(sf: Salesforce, accounts: list[str]) -> None:
    short = [record_id[:15] for record_id in accounts[:2]]
    result = sf.query(
        f"SELECT Id FROM Account WHERE Id IN ('{short[0]}', '{short[1]}') ORDER BY Id"
    )
    single = sf.query(f"SELECT Id FROM Account WHERE Id = '{accounts[3][:15]}'")

    assert sorted(r["Id"] for r in result["records"]) == sorted(accounts[:2])
    assert [r["Id"] for r in single["records"]] == [accounts[3]]


def test_where_dates_and_numbers(sf: Salesforce, accounts: list[str]) -> None:
    for effective, price in (("2026-01-15", 10), ("2026-02-01", 20), ("2026-03-01", 30)):
        order_id = sf.Order.create({"AccountId": accounts[0], "EffectiveDate": effective})["id"]
        sf.OrderItem.create({"OrderId": order_id, "Quantity": 1, "UnitPrice": price})

    result = sf.query(
        "SELECT EffectiveDate, TotalAmount FROM Order WHERE EffectiveDate >= 2026-02-01 "
        "AND TotalAmount < 25.5"
    )

    assert [(r["EffectiveDate"], r["TotalAmount"]) for r in result["records"]] == [
        ("2026-02-01", 20.0)
    ]


def test_quoted_date_is_rejected(sf: Salesforce, accounts: list[str]) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query("SELECT Id FROM Order WHERE EffectiveDate = '2026-01-01'")

    assert exc.value.content[0]["errorCode"] == "INVALID_QUERY_FILTER_OPERATOR"


def test_order_by_nulls_and_limit_offset(sf: Salesforce, accounts: list[str]) -> None:
    ascending = sf.query_all("SELECT Name FROM Account ORDER BY BillingCity, Name")
    descending = sf.query("SELECT Name FROM Account ORDER BY BillingCity DESC, Name LIMIT 2")
    offset = sf.query("SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1")

    assert _names(ascending) == [
        "Zeta GmbH",
        "Acme Corp",
        "Nordwerk AG",
        "O'Brien Ltd",
        "Sudhafen KG",
    ]
    assert _names(descending) == ["Sudhafen KG", "O'Brien Ltd"]
    assert _names(offset) == ["Nordwerk AG", "O'Brien Ltd"]


def test_count_returns_total_size(sf: Salesforce, accounts: list[str]) -> None:
    result = sf.query("SELECT COUNT() FROM Account WHERE BillingCity = 'Berlin'")

    assert result == {"totalSize": 2, "done": True, "records": []}


def test_query_pages_with_next_records_url(sf: Salesforce, accounts: list[str]) -> None:
    first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    second = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)

    assert first["totalSize"] == 5
    assert first["done"] is False
    assert len(first["records"]) == 3
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/query/")
    assert second["done"] is True
    assert "nextRecordsUrl" not in second
    assert _names(first) + _names(second) == sorted(
        ["Nordwerk AG", "Sudhafen KG", "Acme Corp", "Zeta GmbH", "O'Brien Ltd"]
    )


def test_query_all_follows_every_page(sf: Salesforce) -> None:
    created = {sf.Contact.create({"LastName": f"Contact {i:02d}"})["id"] for i in range(11)}

    result = sf.query_all("SELECT Id, LastName FROM Contact")

    assert result["totalSize"] == 11
    assert {r["Id"] for r in result["records"]} == created


def test_records_carry_attributes_and_selected_fields(sf: Salesforce, accounts: list[str]) -> None:
    record = sf.query(f"SELECT name, ID FROM account WHERE Id = '{accounts[0]}'")["records"][0]

    assert list(record) == ["attributes", "Name", "Id"]
    assert record["attributes"] == {
        "type": "Account",
        "url": f"/services/data/v60.0/sobjects/Account/{accounts[0]}",
    }


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT Nope FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE Nope = 'x'", "INVALID_FIELD"),
        ("SELECT Id FROM Lead", "INVALID_TYPE"),
        ("SELECT Id FROM", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Id = 'bogus'", "INVALID_QUERY_FILTER_OPERATOR"),
    ],
)
def test_bad_query_maps_to_error_code(sf: Salesforce, text: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query(text)

    assert exc.value.content[0]["errorCode"] == code


def test_unknown_locator_is_rejected(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf.query_more("01g000000000000AAA-2000")

    assert exc.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
