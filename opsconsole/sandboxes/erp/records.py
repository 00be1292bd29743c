"""Validation of ERP request bodies into stored records, and rendering records back to JSON."""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from opsconsole.sandboxes.erp.errors import ErrorDetail, NetSuiteApiError

CUSTOMER = "customer"
SALES_ORDER = "salesOrder"
INVOICE = "invoice"
RECORD_TYPES = (CUSTOMER, SALES_ORDER, INVOICE)

# NetSuite's internal IDs of the currencies the sandbox supports.
CURRENCY_IDS = {"USD": "1", "GBP": "2", "CAD": "3", "EUR": "4", "JPY": "5", "CHF": "6"}
_CURRENCY_CODES = {value: key for key, value in CURRENCY_IDS.items()}
MINOR_UNITS = {"JPY": 0}
DEFAULT_CURRENCY = "USD"
# Quantities, rates and amounts must stay below this; an estimate of NetSuite's limit.
MAX_AMOUNT = Decimal(10) ** 15

Record = dict[str, Any]


@dataclass(frozen=True)
class TextField:
    """A text field and its maximum length in characters."""

    max_length: int
    required: bool = False


CUSTOMER_TEXT = {
    "companyName": TextField(83, required=True),
    "externalId": TextField(255),
    "email": TextField(254),
    "phone": TextField(32),
    "defaultAddress": TextField(999),
    "addr1": TextField(150),
    "addr2": TextField(150),
    "addr3": TextField(150),
    "city": TextField(50),
    "state": TextField(30),
    "zip": TextField(36),
    "country": TextField(60),
}
SALES_ORDER_TEXT = {
    "externalId": TextField(255),
    "otherRefNum": TextField(45),
    "memo": TextField(999),
}
LINE_TEXT = {"description": TextField(999)}
READ_ONLY = {"id", "links", "status", "total", "tranId", "dateCreated", "lastModifiedDate"}


class _Collector:
    """Gathers every field error of a request, so one response names them all."""

    def __init__(self) -> None:
        self.details: list[ErrorDetail] = []

    def add(self, path: str, code: str, detail: str) -> None:
        self.details.append(ErrorDetail(detail, code, path))

    def raise_if_any(self) -> None:
        if self.details:
            raise NetSuiteApiError(400, self.details)


def parse_customer(body: dict[str, Any], *, partial: bool) -> Record:
    """Validate a customer body and return the fields it sets.

    Raises:
        NetSuiteApiError: one detail per invalid, unknown, read-only or too long field.
    """
    errors = _Collector()
    fields: Record = {}
    for name, value in body.items():
        if name in CUSTOMER_TEXT:
            fields[name] = _text(errors, name, value, CUSTOMER_TEXT[name])
        elif name == "currency":
            fields[name] = _currency(errors, name, value)
        elif name == "subsidiary":
            fields[name] = _reference_id(errors, name, value)
        else:
            _unknown(errors, CUSTOMER, name)
    if not partial:
        _require(errors, fields, [n for n, f in CUSTOMER_TEXT.items() if f.required])
    errors.raise_if_any()
    return fields


def parse_sales_order(body: dict[str, Any], *, partial: bool) -> Record:
    """Validate a sales order body and return the fields it sets; the store checks the entity."""
    errors = _Collector()
    fields: Record = {}
    for name, value in body.items():
        if name in SALES_ORDER_TEXT:
            fields[name] = _text(errors, name, value, SALES_ORDER_TEXT[name])
        elif name == "currency":
            fields[name] = _currency(errors, name, value)
        elif name in {"entity", "subsidiary"}:
            fields[name] = _reference_id(errors, name, value)
        elif name == "tranDate":
            fields[name] = _date(errors, name, value)
        elif name == "item":
            fields["items"] = _items(errors, value)
        else:
            _unknown(errors, SALES_ORDER, name)
    if not partial:
        _require(errors, fields, ["entity", "items"])
    errors.raise_if_any()
    return fields


def _text(errors: _Collector, path: str, value: Any, spec: TextField) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        errors.add(path, "INVALID_FLD_VALUE", f"Invalid value for field {path}: expected a string.")
        return None
    # Limits count characters (code points), so a 150-character line ending in an emoji fits.
    if len(value) > spec.max_length:
        errors.add(
            path,
            "INVALID_FLD_VALUE",
            f"Invalid field value for {path}: {len(value)} characters is over the limit of "
            f"{spec.max_length}.",
        )
    return value


def _currency(errors: _Collector, path: str, value: Any) -> str | None:
    if value is None:
        return None
    code = None
    if isinstance(value, dict):
        code = value.get("refName") or _CURRENCY_CODES.get(str(value.get("id", "")))
    # A refName that is an object or a list cannot be a currency code (nor a dict key).
    if not isinstance(code, str) or code not in CURRENCY_IDS:
        errors.add(
            path,
            "INVALID_KEY_OR_REF",
            f'Invalid currency reference {value!r}. Use {{"refName": <ISO code>}} with one of '
            f"{', '.join(CURRENCY_IDS)}.",
        )
        return None
    return str(code)


def _reference_id(errors: _Collector, path: str, value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str | int):
        key = str(value["id"])
        if key.isdigit():
            return key
    errors.add(path, "INVALID_KEY_OR_REF", f"Invalid {path} reference key {value!r}.")
    return None


def _date(errors: _Collector, path: str, value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        pass
    errors.add(path, "INVALID_FLD_VALUE", f"Invalid date {value!r} for {path}; use YYYY-MM-DD.")
    return None


def _items(errors: _Collector, value: Any) -> list[Record]:
    lines = value.get("items") if isinstance(value, dict) else None
    if not isinstance(lines, list) or not lines:
        errors.add(
            "item", "USER_ERROR", "You must enter at least one line item for this transaction."
        )
        return []
    return [_line(errors, f"item.items[{i}]", line) for i, line in enumerate(lines)]


def _line(errors: _Collector, path: str, line: Any) -> Record:
    if not isinstance(line, dict):
        errors.add(path, "INVALID_CONTENT", f"{path} must be an object.")
        return {}
    parsed: Record = {}
    for name, value in line.items():
        if name == "item":
            parsed["item"] = _item_ref(errors, f"{path}.item", value)
        elif name in LINE_TEXT:
            parsed[name] = _text(errors, f"{path}.{name}", value, LINE_TEXT[name])
        elif name in {"quantity", "rate", "amount"}:
            parsed[name] = _decimal(errors, f"{path}.{name}", value)
        elif name != "line":
            errors.add(f"{path}.{name}", "INVALID_CONTENT", f"Unknown line field '{name}'.")
    _require(errors, parsed, ["item", "quantity", "rate"], prefix=f"{path}.")
    return parsed


def _item_ref(errors: _Collector, path: str, value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("refName"), str) and value["refName"]:
        return str(value["refName"])
    errors.add(path, "INVALID_KEY_OR_REF", f'{path} needs {{"refName": <SKU>}}.')
    return None


def _decimal(errors: _Collector, path: str, value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors.add(path, "INVALID_FLD_VALUE", f"{path} must be a decimal number, got {value!r}.")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        errors.add(path, "INVALID_FLD_VALUE", f"{path} must be a decimal number, got {value!r}.")
        return None
    if abs(number) >= MAX_AMOUNT:
        errors.add(path, "INVALID_FLD_VALUE", f"{path} {number} is outside the valid range.")
        return None
    return number


def _require(errors: _Collector, fields: Record, names: list[str], prefix: str = "") -> None:
    for name in names:
        if fields.get(name) in (None, "", []) and not any(
            d.path == f"{prefix}{name}" for d in errors.details
        ):
            errors.add(f"{prefix}{name}", "USER_ERROR", f"Please enter value(s) for: {name}.")


def _unknown(errors: _Collector, record_type: str, name: str) -> None:
    if name in READ_ONLY:
        errors.add(name, "INVALID_CONTENT", f"Field '{name}' is read-only on {record_type}.")
    else:
        errors.add(name, "INVALID_CONTENT", f"Field '{name}' does not exist on {record_type}.")


def price_lines(lines: list[Record], currency: str) -> tuple[list[Record], Decimal]:
    """Compute each line's amount as quantity * rate and the order total, in the currency's unit.

    Raises:
        NetSuiteApiError: a line gives an amount that differs from quantity * rate.
    """
    unit = Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))
    errors = _Collector()
    priced = []
    for index, line in enumerate(lines):
        # Both factors are below MAX_AMOUNT, so 60 digits hold the product and quantize cannot fail.
        with decimal.localcontext(prec=60):
            amount = (line["quantity"] * line["rate"]).quantize(unit)
        if abs(amount) >= MAX_AMOUNT:
            errors.add(
                f"item.items[{index}].amount",
                "INVALID_FLD_VALUE",
                f"Line {index + 1} amount {amount} is outside the valid range.",
            )
            continue
        given = line.get("amount")
        if given is not None and given != amount:
            errors.add(
                f"item.items[{index}].amount",
                "INVALID_FLD_VALUE",
                f"Line {index + 1} amount {given} is not quantity * rate = {amount}.",
            )
        priced.append({**line, "amount": amount, "line": index + 1})
    errors.raise_if_any()
    return priced, sum((line["amount"] for line in priced), Decimal(0).quantize(unit))


def now() -> datetime:
    """Return the current time in UTC, to the second as NetSuite shows it."""
    return datetime.now(UTC).replace(microsecond=0)


def render(record_type: str, record: Record, base_url: str, names: dict[str, str]) -> Record:
    """Return `record` as NetSuite's JSON, leaving out empty fields; `names` maps entity IDs."""
    rendered: Record = {"links": [self_link(base_url, record_type, record["id"])]}
    for name, value in record.items():
        if value is not None and name != "items":
            rendered[name] = _render_value(name, value, names)
    if "items" in record:
        rendered["item"] = render_items(record["items"])
    return rendered


def _render_value(name: str, value: Any, names: dict[str, str]) -> Any:
    if name == "currency":
        return {"id": CURRENCY_IDS[value], "refName": value}
    if name in {"subsidiary", "createdFrom"}:
        return {"id": value}
    if name == "entity":
        return {"id": value, "refName": names.get(value, "")}
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def render_items(lines: list[Record]) -> Record:
    """Return the `item` sublist of a transaction with its lines expanded."""
    items = []
    for line in lines:
        rendered = {
            "line": line["line"],
            "item": {"refName": line["item"]},
            "description": line.get("description"),
            "quantity": float(line["quantity"]),
            "rate": str(line["rate"]),
            "amount": float(line["amount"]),
        }
        items.append({name: value for name, value in rendered.items() if value is not None})
    return {
        "items": items,
        "count": len(items),
        "hasMore": False,
        "offset": 0,
        "totalResults": len(items),
    }


def self_link(base_url: str, record_type: str, record_id: str) -> dict[str, str]:
    """Return the `self` link of a record."""
    return {"rel": "self", "href": f"{base_url}/services/rest/record/v1/{record_type}/{record_id}"}
