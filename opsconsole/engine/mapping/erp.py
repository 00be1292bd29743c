"""Mapping between canonical objects and NetSuite-style ERP records.

The ERP limits address lines to 150 characters and the state to 30. A longer street flows
over into the next address lines at word boundaries; a long state name becomes its code
when the code is known. Anything that still does not fit is a mapping error naming the field,
so it reaches the dead-letter queue instead of being cut silently or retried forever.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from opsconsole.engine.canonical.invoice import Invoice, InvoiceStatus
from opsconsole.engine.canonical.money import Money
from opsconsole.engine.canonical.sales_order import OrderLine, OrderStatus, SalesOrder
from opsconsole.engine.mapping import FieldError, MappingError

ADDRESS_LINE_MAX = 150
ADDRESS_LINES = ("addr1", "addr2", "addr3")
STATE_MAX = 30
DEFAULT_SUBSIDIARY_ID = "1"

# Region names longer than the ERP's state field, mapped to their ISO 3166-2 subdivision codes.
STATE_CODES = {
    "Comunidad Autónoma de la Región de Murcia": "MC",
    "Provincia Autonoma di Bolzano - Alto Adige": "BZ",
    "Région Provence-Alpes-Côte d'Azur": "PAC",
    "Freie und Hansestadt Hamburg (Stadtstaat)": "HH",
    "Land Mecklenburg-Vorpommern (Bundesland)": "MV",
}

_ERP_ORDER_STATUSES = {
    "Pending Approval": OrderStatus.ACTIVATED,
    "Pending Fulfillment": OrderStatus.ACCEPTED,
    "Pending Billing": OrderStatus.FULFILLED,
    "Billed": OrderStatus.BILLED,
}
_ERP_INVOICE_STATUSES = {"Open": InvoiceStatus.OPEN, "Paid In Full": InvoiceStatus.PAID}


def customer_to_erp(customer: dict[str, Any]) -> dict[str, Any]:
    """Map stored canonical customer fields to an ERP customer body.

    Only fields the canonical state has are sent. The ERP has no null for text fields, so a
    field cleared at the source (None) is sent as "".
    """
    body: dict[str, Any] = {"subsidiary": {"id": DEFAULT_SUBSIDIARY_ID}}
    simple = {"name": "companyName", "email": "email", "phone": "phone"}
    for canonical, erp in simple.items():
        if canonical in customer:
            body[erp] = _text(customer[canonical])
    if customer.get("currency"):
        body["currency"] = {"refName": customer["currency"]}
    if "billing_address" in customer:
        body.update(address_to_erp(customer["billing_address"] or {}))
    return body


def _text(value: str | None) -> str:
    return "" if value is None else value


def address_to_erp(address: dict[str, Any]) -> dict[str, Any]:
    """Map a canonical address to ERP address fields within the ERP's length limits."""
    body: dict[str, Any] = dict(
        zip(ADDRESS_LINES, split_address_lines(address.get("street")), strict=True)
    )
    body["city"] = _text(address.get("city"))
    body["state"] = fit_state(address.get("state"))
    body["zip"] = _text(address.get("postal_code"))
    body["country"] = _text(address.get("country"))
    return body


def split_address_lines(street: str | None) -> tuple[str, str, str]:
    """Split a street into three address lines of at most 150 characters, at word boundaries.

    Raises:
        MappingError: the street needs more than three lines, or has a word longer than a line.
    """
    lines = ["", "", ""]
    index = 0
    for word in (street or "").split():
        candidate = f"{lines[index]} {word}" if lines[index] else word
        if len(candidate) <= ADDRESS_LINE_MAX:
            lines[index] = candidate
            continue
        index += 1
        if index == len(lines) or len(word) > ADDRESS_LINE_MAX:
            raise _street_too_long(street or "")
        lines[index] = word
    return lines[0], lines[1], lines[2]


def _street_too_long(street: str) -> MappingError:
    limit = ADDRESS_LINE_MAX * len(ADDRESS_LINES)
    return MappingError(
        f"Street of {len(street)} characters does not fit the ERP's {len(ADDRESS_LINES)} "
        f"address lines of {ADDRESS_LINE_MAX} characters.",
        [FieldError("/billing_address/street", f"longer than {limit} characters", "maxLength")],
    )


def fit_state(state: str | None) -> str:
    """Return `state` when it fits the ERP, else its known code.

    Raises:
        MappingError: the state is longer than 30 characters and has no known code.
    """
    if state is None or len(state) <= STATE_MAX:
        return _text(state)
    if state in STATE_CODES:
        return STATE_CODES[state]
    raise MappingError(
        f"State {state!r} has {len(state)} characters, the ERP allows {STATE_MAX}, and no "
        "code is known for it. Add it to STATE_CODES or shorten it at the source.",
        [FieldError("/billing_address/state", f"longer than {STATE_MAX} characters", "maxLength")],
    )


def sales_order_to_erp(order: SalesOrder, *, erp_customer_id: str) -> dict[str, Any]:
    """Map a canonical sales order to an ERP salesOrder body for that ERP customer."""
    body: dict[str, Any] = {
        "entity": {"id": erp_customer_id},
        "tranDate": order.order_date.isoformat(),
        "currency": {"refName": order.currency},
        "item": {"items": [_erp_line(line, i) for i, line in enumerate(order.lines)]},
    }
    if order.order_number:
        body["otherRefNum"] = order.order_number
    if order.description is not None:
        body["memo"] = order.description
    return body


def _erp_line(line: OrderLine, index: int) -> dict[str, Any]:
    if not line.sku:
        raise MappingError(
            f"Order line {index + 1} has no SKU, but the ERP needs an item on every line.",
            [FieldError(f"/lines/{index}/sku", "missing. Set SKU__c on the OrderItem", "required")],
        )
    item: dict[str, Any] = {
        "item": {"refName": line.sku},
        "quantity": _number(line.quantity),
        "rate": f"{line.unit_price.amount:f}",
        "amount": f"{line.line_total.amount:f}",
    }
    if line.description is not None:
        item["description"] = line.description
    return item


def _number(value: Decimal) -> int | str:
    return int(value) if value == value.to_integral_value() else f"{value:f}"


def order_status(erp_status: str) -> OrderStatus:
    """Map an ERP salesOrder status to the canonical order status."""
    if erp_status not in _ERP_ORDER_STATUSES:
        raise MappingError(
            f"ERP sales order status {erp_status!r} has no canonical meaning.",
            [
                FieldError(
                    "/record/status", f"expected one of {sorted(_ERP_ORDER_STATUSES)}", "enum"
                )
            ],
        )
    return _ERP_ORDER_STATUSES[erp_status]


def invoice_from_erp(
    record: dict[str, Any], *, canonical_id: str, sales_order_id: str, customer_id: str | None
) -> Invoice:
    """Build the canonical invoice from an ERP invoice record."""
    currency = _ref_name(record.get("currency")) or "EUR"
    status = _ERP_INVOICE_STATUSES.get(str(record.get("status")), InvoiceStatus.OPEN)
    return Invoice(
        id=canonical_id,
        sales_order_id=sales_order_id,
        customer_id=customer_id,
        number=str(record.get("tranId") or record.get("externalId") or record["id"]),
        status=status,
        invoice_date=date.fromisoformat(str(record.get("tranDate") or date.today())[:10]),
        total=Money(amount=Decimal(str(record.get("total", "0"))), currency=currency),
        source_system="erp",
        source_id=str(record["id"]),
        external_id=str(record.get("externalId") or f"INV-{record['id']}"),
        version=1,
    )


def _ref_name(value: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("refName") or value.get("id")
        return str(name) if name else None
    return str(value) if value else None
