"""Mapping between Salesforce-style CRM records and canonical objects."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from opsconsole.engine.canonical.customer import Address, CustomerChange
from opsconsole.engine.canonical.invoice import Invoice
from opsconsole.engine.canonical.money import Money
from opsconsole.engine.canonical.sales_order import OrderLine, OrderStatus, SalesOrder
from opsconsole.engine.mapping import FieldError, MappingError

_ACCOUNT_FIELDS = {
    "Name": "name",
    "AccountNumber": "account_number",
    "Phone": "phone",
    "Website": "website",
    "CurrencyIsoCode": "currency",
}
_BILLING_FIELDS = {
    "BillingStreet": "street",
    "BillingCity": "city",
    "BillingState": "state",
    "BillingPostalCode": "postal_code",
    "BillingCountry": "country",
}
_ORDER_STATUSES = {"Draft": OrderStatus.DRAFT, "Activated": OrderStatus.ACTIVATED}
_INVOICE_STATUSES = {"open": "Open", "paid": "Paid", "voided": "Voided"}
DEFAULT_CURRENCY = "EUR"


def account_to_customer_change(fields: dict[str, Any]) -> CustomerChange:
    """Map the Account fields present in `fields` to a canonical customer change.

    A field absent from `fields` stays absent in the change, so it leaves the stored value
    alone; a field that is null clears it.
    """
    values: dict[str, Any] = {
        canonical: fields[crm] for crm, canonical in _ACCOUNT_FIELDS.items() if crm in fields
    }
    billing = {
        canonical: fields[crm] for crm, canonical in _BILLING_FIELDS.items() if crm in fields
    }
    if billing:
        values["billing_address"] = Address(**billing)
    return CustomerChange(**values)


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse a Salesforce timestamp such as `2026-03-02T09:15:00.000+0000`."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def source_modified_at(fields: dict[str, Any]) -> datetime | None:
    """Return when the CRM last changed the record, from SystemModstamp or LastModifiedDate."""
    return parse_timestamp(fields.get("SystemModstamp") or fields.get("LastModifiedDate"))


def order_status(fields: dict[str, Any]) -> OrderStatus:
    """Map the CRM Order Status picklist to the canonical order status."""
    status = fields.get("Status")
    if status not in _ORDER_STATUSES:
        raise MappingError(
            f"Order status {status!r} has no canonical meaning.",
            [FieldError("/Status", f"expected one of {sorted(_ORDER_STATUSES)}", "enum")],
        )
    return _ORDER_STATUSES[status]


def order_to_sales_order(
    order: dict[str, Any],
    items: list[dict[str, Any]],
    *,
    canonical_id: str,
    customer_id: str,
    version: int,
) -> SalesOrder:
    """Build the canonical sales order from a CRM Order and its OrderItems."""
    currency = order.get("CurrencyIsoCode") or DEFAULT_CURRENCY
    lines = [_order_line(item, currency, index) for index, item in enumerate(items)]
    total = Money(amount=Decimal(0), currency=currency)
    for line in lines:
        total = total + line.line_total
    return SalesOrder(
        id=canonical_id,
        customer_id=customer_id,
        order_number=order.get("OrderNumber"),
        status=order_status(order),
        order_date=date.fromisoformat(str(order["EffectiveDate"])[:10]),
        currency=currency,
        description=order.get("Description"),
        lines=lines,
        total=total,
        source_system="crm",
        source_id=order["Id"],
        source_modified_at=source_modified_at(order),
        version=version,
    )


def _order_line(item: dict[str, Any], currency: str, index: int) -> OrderLine:
    quantity = _decimal(item, "Quantity", index)
    unit_price = Money(amount=_decimal(item, "UnitPrice", index), currency=currency)
    line_total = Money(amount=quantity * unit_price.amount, currency=currency)
    return OrderLine(
        sku=item.get("SKU__c"),
        description=item.get("Description"),
        quantity=quantity,
        unit_price=unit_price,
        line_total=line_total,
    )


def _decimal(item: dict[str, Any], field: str, index: int) -> Decimal:
    try:
        # str() first: a JSON number parsed as float must not bring binary noise along.
        return Decimal(str(item[field]))
    except (KeyError, InvalidOperation, TypeError) as exc:
        raise MappingError(
            f"OrderItem {item.get('Id', index)} has no valid {field}.",
            [FieldError(f"/items/{index}/{field}", "missing or not a decimal number", "type")],
        ) from exc


def invoice_to_crm_fields(
    invoice: Invoice, *, crm_order_id: str, crm_account_id: str | None
) -> dict[str, Any]:
    """Map a canonical invoice to the fields of the CRM's Invoice__c object."""
    fields: dict[str, Any] = {
        "Name": invoice.number,
        "Order__c": crm_order_id,
        "Amount__c": f"{invoice.total.amount:f}",
        "CurrencyIsoCode": invoice.total.currency,
        "Status__c": _INVOICE_STATUSES[invoice.status.value],
        "InvoiceDate__c": invoice.invoice_date.isoformat(),
    }
    if crm_account_id:
        fields["Account__c"] = crm_account_id
    return fields


def erp_status_fields(erp_sales_order_id: str, erp_status: str) -> dict[str, Any]:
    """Return the CRM Order fields that mirror the ERP's view of the order."""
    return {"ERP_Sales_Order_Id__c": erp_sales_order_id, "ERP_Status__c": erp_status}
