"""Money, canonical schemas and the CRM and ERP mappings."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from opsconsole.engine.canonical import customer as canonical_customer
from opsconsole.engine.canonical.money import (
    THREE_DECIMAL_CURRENCIES,
    ZERO_DECIMAL_CURRENCIES,
    Money,
)
from opsconsole.engine.canonical.schemas import (
    DEFAULT_SCHEMA_DIR,
    SCHEMA_BASE,
    SchemaSet,
    default_schemas,
)
from opsconsole.engine.mapping import MappingError
from opsconsole.engine.mapping import crm as crm_mapping
from opsconsole.engine.mapping import erp as erp_mapping
from opsconsole.errors import ValidationError

MONEY = SCHEMA_BASE + "money.v1.json"
CUSTOMER = SCHEMA_BASE + "customer.v1.json"


def test_money_subtraction_is_exact() -> None:
    total = Money(amount=Decimal("5230.40"), currency="EUR")
    paid = Money(amount=Decimal("5119.10"), currency="EUR")

    assert (total - paid).model_dump(mode="json") == {"amount": "111.30", "currency": "EUR"}


def test_money_is_quantised_to_the_minor_unit() -> None:
    assert Money(amount=Decimal("2"), currency="EUR").amount == Decimal("2.00")
    assert Money(amount=Decimal("4200.5"), currency="JPY").amount == Decimal("4201")
    assert Money(amount=Decimal("1.2345"), currency="KWD").amount == Decimal("1.235")


def test_money_rejects_binary_float() -> None:
    with pytest.raises(ValueError, match="decimal string"):
        Money.model_validate({"amount": 0.1, "currency": "EUR"})


def test_money_of_two_currencies_does_not_add() -> None:
    with pytest.raises(ValidationError, match="Convert one of them first"):
        Money(amount=Decimal(1), currency="EUR") + Money(amount=Decimal(1), currency="USD")


@pytest.mark.parametrize(
    ("amount", "currency", "valid"),
    [
        ("111.30", "EUR", True),
        ("111.3", "EUR", False),
        ("111.300", "EUR", False),
        ("4200", "JPY", True),
        ("4200.00", "JPY", False),
        ("1.235", "KWD", True),
        ("1.23", "KWD", False),
        ("-5.00", "USD", True),
    ],
)
def test_money_schema_checks_minor_units(amount: str, currency: str, valid: bool) -> None:
    errors = default_schemas().field_errors(MONEY, {"amount": amount, "currency": currency})

    assert (errors == []) is valid


def test_money_schema_currency_lists_match_the_code() -> None:
    schema = json.loads((DEFAULT_SCHEMA_DIR / "money.v1.json").read_text())
    zero, three, _ = schema["allOf"]

    assert set(zero["if"]["properties"]["currency"]["enum"]) == ZERO_DECIMAL_CURRENCIES
    assert set(three["if"]["properties"]["currency"]["enum"]) == THREE_DECIMAL_CURRENCIES


def test_every_schema_example_is_valid() -> None:
    schemas = default_schemas()
    for path in sorted(DEFAULT_SCHEMA_DIR.glob("*.json")):
        schema = json.loads(path.read_text())
        assert schema["$id"] == SCHEMA_BASE + path.name
        assert schema["examples"], path.name
        for example in schema["examples"]:
            assert schemas.field_errors(schema["$id"], example) == [], path.name


def test_schemas_never_use_additional_properties_false() -> None:
    for path in sorted(DEFAULT_SCHEMA_DIR.glob("*.json")):
        text = path.read_text()
        assert '"additionalProperties": false' not in text, path.name
        assert '"unevaluatedProperties": false' in text, path.name


def test_format_checking_rejects_bad_uuid_and_date_time() -> None:
    document = {
        "id": "42",
        "name": "Nordwerk AG",
        "source_system": "crm",
        "source_id": "0015g00000QxYzAAAV",
        "source_modified_at": "last tuesday",
        "version": 1,
    }

    errors = default_schemas().field_errors(CUSTOMER, document)

    assert {error.path for error in errors} == {"/id", "/source_modified_at"}
    assert {error.rule for error in errors} == {"format"}


def test_unknown_customer_field_is_rejected() -> None:
    example = json.loads((DEFAULT_SCHEMA_DIR / "customer.v1.json").read_text())["examples"][0]

    errors = default_schemas().field_errors(CUSTOMER, {**example, "colour": "red"})

    assert [error.rule for error in errors] == ["unevaluatedProperties"]


def test_web_ref_resolves_from_local_files(tmp_path: Path) -> None:
    base = "https://schemas.example.invalid/"
    (tmp_path / "party.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": base + "party.json",
                "type": "object",
                "properties": {"name": {"type": "string"}},
            }
        )
    )
    (tmp_path / "buyer.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "$id": base + "buyer.json",
                "allOf": [{"$ref": "party.json"}],
                "properties": {"credit": {"type": "integer"}},
                "unevaluatedProperties": False,
            }
        )
    )
    schemas = SchemaSet(tmp_path)

    assert schemas.field_errors(base + "buyer.json", {"name": "N", "credit": 5}) == []
    bad_name = schemas.field_errors(base + "buyer.json", {"name": 5})
    assert "/name" in {error.path for error in bad_name}


def test_ref_to_unknown_uri_fails_instead_of_fetching(tmp_path: Path) -> None:
    from referencing.exceptions import Unresolvable

    (tmp_path / "remote.json").write_text(
        json.dumps({"$id": "https://x.invalid/a.json", "$ref": "https://x.invalid/b.json"})
    )

    with pytest.raises(Unresolvable):
        SchemaSet(tmp_path).field_errors("https://x.invalid/a.json", {})


def test_crm_change_tells_absent_null_and_empty_apart() -> None:
    state = {"name": "C-7", "phone": "+49 30 1234", "website": "w"}

    cleared = canonical_customer.apply_change(
        state, crm_mapping.account_to_customer_change({"Phone": None, "Website": ""})
    )
    untouched = canonical_customer.apply_change(
        cleared, crm_mapping.account_to_customer_change({"Name": "C-7"})
    )

    assert cleared == {"name": "C-7", "phone": None, "website": ""}
    assert untouched == cleared


def test_crm_timestamp_with_offset_without_colon_parses() -> None:
    parsed = crm_mapping.parse_timestamp("2026-03-02T09:15:00.000+0000")

    assert parsed is not None
    assert parsed.isoformat() == "2026-03-02T09:15:00+00:00"


def test_long_street_flows_over_at_word_boundaries() -> None:
    street = "Große Elbstraße 145, Gebäude C, " + "Anlieferung über Tor 4 " * 8

    lines = erp_mapping.split_address_lines(street.strip())

    assert len(street) > 150
    assert all(len(line) <= 150 for line in lines)
    assert " ".join(line for line in lines if line) == " ".join(street.split())


def test_truncation_never_splits_an_emoji() -> None:
    street = "B" * 149 + " 🚚"

    lines = erp_mapping.split_address_lines(street)

    assert lines == ("B" * 149, "🚚", "")
    assert json.loads(json.dumps(lines, ensure_ascii=False)) == list(lines)


def test_overlong_street_is_mapping_error() -> None:
    with pytest.raises(MappingError) as caught:
        erp_mapping.split_address_lines("word " * 100)

    assert caught.value.errors[0].path == "/billing_address/street"


def test_state_that_fits_is_sent_as_is() -> None:
    assert erp_mapping.fit_state("Mecklenburg-Vorpommern") == "Mecklenburg-Vorpommern"


def test_long_state_with_known_code_becomes_the_code() -> None:
    name = "Comunidad Autónoma de la Región de Murcia"

    assert len(name) == 41
    assert erp_mapping.fit_state(name) == "MC"


def test_long_state_without_code_is_a_mapping_error() -> None:
    with pytest.raises(MappingError) as caught:
        erp_mapping.fit_state("Mecklenburg-Vorpommern-Nord-West-Ost")

    assert caught.value.errors[0].path == "/billing_address/state"


def test_order_line_without_sku_is_a_mapping_error() -> None:
    order = {
        "Id": "8015g00000AbCdEAAZ",
        "Status": "Activated",
        "EffectiveDate": "2026-03-02",
        "CurrencyIsoCode": "EUR",
    }
    items = [{"Quantity": 1, "UnitPrice": "10.00"}]
    sales_order = crm_mapping.order_to_sales_order(
        order,
        items,
        canonical_id="9d7e3f52-1c4b-4e0a-8f6d-3b2a1c0e9f87",
        customer_id="5b0f7c1e-8a43-4d6e-9a51-2f0c7d3e9b10",
        version=1,
    )

    with pytest.raises(MappingError) as caught:
        erp_mapping.sales_order_to_erp(sales_order, erp_customer_id="1001")

    assert caught.value.errors[0].path == "/lines/0/sku"


def test_order_total_sums_lines_exactly() -> None:
    order = {"Id": "8015g00000AbCdEAAZ", "Status": "Activated", "EffectiveDate": "2026-03-02"}
    items = [
        {"Quantity": 3, "UnitPrice": 0.1, "SKU__c": "A"},
        {"Quantity": "2.5", "UnitPrice": "19.99", "SKU__c": "B"},
    ]

    sales_order = crm_mapping.order_to_sales_order(
        order,
        items,
        canonical_id="9d7e3f52-1c4b-4e0a-8f6d-3b2a1c0e9f87",
        customer_id="5b0f7c1e-8a43-4d6e-9a51-2f0c7d3e9b10",
        version=1,
    )

    assert sales_order.total.model_dump(mode="json") == {"amount": "50.28", "currency": "EUR"}
    assert [line.line_total.amount for line in sales_order.lines] == [
        Decimal("0.30"),
        Decimal("49.98"),
    ]
