"""The lead-to-cash flow: what each inbound event changes and which calls it queues.

Each handler runs in the transaction that marks its inbox message handled, so the canonical
state, the cross-reference and the outbox rows commit together or not at all. Canonical state
rows are read FOR UPDATE, so two workers on PostgreSQL change one entity one after the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from opsconsole import wire
from opsconsole.engine import identity
from opsconsole.engine.canonical import customer as canonical_customer
from opsconsole.engine.canonical.invoice import SCHEMA_ID as INVOICE_SCHEMA_ID
from opsconsole.engine.canonical.sales_order import OrderStatus
from opsconsole.engine.canonical.schemas import SchemaSet
from opsconsole.engine.identity import CRM, ERP
from opsconsole.engine.mapping import crm as crm_mapping
from opsconsole.engine.mapping import erp as erp_mapping
from opsconsole.engine.outbox import Trace, enqueue
from opsconsole.errors import OpsconsoleError
from opsconsole.store.tables import CustomerState, InvoiceState, SalesOrderState, utcnow

CUSTOMER = "customer"
SALES_ORDER = "sales_order"
INVOICE = "invoice"

# Outbox operations, one per kind of outbound call.
ERP_CUSTOMER_UPSERT = "erp.customer.upsert"
ERP_SALES_ORDER_UPSERT = "erp.salesorder.upsert"
CRM_RECORD_UPDATE = "crm.record.update"
CRM_INVOICE_UPSERT = "crm.invoice.upsert"


class DependencyMissing(OpsconsoleError):
    """An event needs an object that is not synchronised yet, so it is retried later."""


@dataclass(frozen=True)
class Outcome:
    """Result of handling an inbox message: done, ignored or skipped_stale, with the reason."""

    status: str
    note: str | None = None


@dataclass
class FlowContext:
    """Dependencies of the handlers besides the session: the engine's CRM user and the schemas."""

    crm_user_id: Callable[[], str | None]
    schemas: SchemaSet


def handle_event(
    session: Session, envelope: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    """Apply one inbound CloudEvent to the canonical state and queue its outbound calls."""
    handler = _HANDLERS.get(envelope["type"])
    if handler is None:
        return Outcome("ignored", f"No flow handles events of type {envelope['type']}.")
    return handler(session, envelope.get("data") or {}, trace, context)


def _is_echo(data: dict[str, Any], context: FlowContext) -> bool:
    author = data.get("lastModifiedById")
    if not author:
        return False
    own = context.crm_user_id()
    return own is not None and identity.to_18(author) == identity.to_18(own)


def _is_stale(stored: datetime | None, incoming: datetime | None) -> bool:
    return stored is not None and incoming is not None and incoming < stored


# --- 1. CRM account → canonical customer → ERP customer ---------------------------------


def _on_crm_account(
    session: Session, data: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    if _is_echo(data, context):
        return Outcome("ignored", "Echo of the engine's own CRM write.")
    account_id = identity.to_18(data["id"])
    fields = data.get("fields") or {}
    customer_id = identity.resolve_or_create(session, CUSTOMER, CRM, account_id)
    state = session.get(CustomerState, customer_id, with_for_update=True)
    modified = crm_mapping.source_modified_at(fields)
    if state is not None and _is_stale(state.source_modified_at, modified):
        return Outcome("skipped_stale", f"Account {account_id} has newer state already.")

    change = crm_mapping.account_to_customer_change(fields)
    merged = canonical_customer.apply_change(state.data if state else {}, change)
    if state is not None and merged == state.data:
        return Outcome("ignored", "No customer field changed.")
    version = state.version + 1 if state else 1
    _save_customer(session, customer_id, account_id, merged, modified, version, context)

    body = erp_mapping.customer_to_erp(merged)
    payload = {"customer_id": customer_id, "external_id": account_id, "body": body}
    payload["crm_account_id"] = account_id
    enqueue(
        session,
        target=ERP,
        operation=ERP_CUSTOMER_UPSERT,
        entity_key=f"{CUSTOMER}:{customer_id}",
        version=version,
        payload=payload,
        trace=trace,
    )
    return Outcome("done")


def _save_customer(
    session: Session,
    customer_id: str,
    account_id: str,
    data: dict[str, Any],
    modified: datetime | None,
    version: int,
    context: FlowContext,
) -> None:
    document = {
        **data,
        "id": customer_id,
        "source_system": CRM,
        "source_id": account_id,
        "source_modified_at": modified.isoformat() if modified else None,
        "version": version,
    }
    context.schemas.validate(canonical_customer.SCHEMA_ID, document)
    state = session.get(CustomerState, customer_id, with_for_update=True) or CustomerState(
        canonical_id=customer_id
    )
    state.data = data
    state.version = version
    state.source_modified_at = modified
    state.updated_at = utcnow()
    session.add(state)


# --- 2. activated CRM order → ERP sales order --------------------------------------------


def _on_crm_order(
    session: Session, data: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    if _is_echo(data, context):
        return Outcome("ignored", "Echo of the engine's own CRM write.")
    fields = data.get("fields") or {}
    if fields.get("Status") != "Activated":
        return Outcome("ignored", "Only activated orders go to the ERP.")
    order_id = identity.to_18(data["id"])
    sales_order_id = identity.resolve_or_create(session, SALES_ORDER, CRM, order_id)
    state = session.get(SalesOrderState, sales_order_id, with_for_update=True)
    modified = crm_mapping.source_modified_at(fields)
    if state is not None and _is_stale(state.source_modified_at, modified):
        return Outcome("skipped_stale", f"Order {order_id} has newer state already.")

    version = state.version + 1 if state else 1
    state = state or SalesOrderState(canonical_id=sales_order_id, data={"status": "activated"})
    state.version = version
    state.source_modified_at = modified
    state.updated_at = utcnow()
    session.add(state)
    account_id = fields.get("AccountId")
    enqueue(
        session,
        target=ERP,
        operation=ERP_SALES_ORDER_UPSERT,
        entity_key=f"{SALES_ORDER}:{sales_order_id}",
        version=version,
        payload={
            "sales_order_id": sales_order_id,
            "crm_order_id": order_id,
            "crm_account_id": identity.to_18(account_id) if account_id else None,
            "version": version,
        },
        trace=trace,
    )
    return Outcome("done")


# --- 3 and 4. ERP sales order accepted or fulfilled → CRM order status --------------------


def _on_erp_sales_order(
    session: Session, data: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    record = data.get("record") or {}
    erp_id = str(data["id"])
    sales_order_id = _sales_order_of(session, erp_id, data.get("externalId"))
    if sales_order_id is None:
        return Outcome("ignored", f"ERP sales order {erp_id} did not come from the CRM.")
    identity.link(session, SALES_ORDER, ERP, erp_id, sales_order_id)
    crm_order_id = identity.system_id_for(session, SALES_ORDER, sales_order_id, CRM)
    erp_status = str(record.get("status") or "")
    status = erp_mapping.order_status(erp_status)
    state = session.get(SalesOrderState, sales_order_id, with_for_update=True) or SalesOrderState(
        canonical_id=sales_order_id
    )
    current = OrderStatus(state.data.get("status", OrderStatus.ACTIVATED))
    if status.rank <= current.rank:
        return Outcome("skipped_stale", f"Sales order is {current} already, event says {status}.")

    state.data = {**state.data, "status": status.value, "erp_status": erp_status}
    state.updated_at = utcnow()
    session.add(state)
    enqueue(
        session,
        target=CRM,
        operation=CRM_RECORD_UPDATE,
        entity_key=f"{SALES_ORDER}:{sales_order_id}",
        version=status.value,
        payload={
            "sobject": "Order",
            "id": crm_order_id,
            "fields": crm_mapping.erp_status_fields(erp_id, erp_status),
        },
        trace=trace,
    )
    return Outcome("done")


def _sales_order_of(session: Session, erp_id: str, external_id: str | None) -> str | None:
    linked = identity.resolve(session, SALES_ORDER, ERP, erp_id)
    if linked is not None or not external_id:
        return linked
    # The ERP event may overtake the commit that links the ERP id. The external ID is the
    # CRM Order Id, which was linked when the order event was handled.
    try:
        return identity.resolve(session, SALES_ORDER, CRM, external_id)
    except identity.MalformedSalesforceId:
        return None


# --- 5. ERP invoice → CRM Invoice__c -----------------------------------------------------


def _on_erp_invoice(
    session: Session, data: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    record = data.get("record") or {}
    created_from = str((record.get("createdFrom") or {}).get("id") or "")
    sales_order_id = identity.resolve(session, SALES_ORDER, ERP, created_from)
    if sales_order_id is None:
        raise DependencyMissing(f"ERP sales order {created_from!r} is not linked yet.")
    crm_order_id = identity.system_id_for(session, SALES_ORDER, sales_order_id, CRM)
    if crm_order_id is None:
        return Outcome("ignored", f"ERP sales order {created_from} has no CRM order.")
    order_state = session.get(SalesOrderState, sales_order_id, with_for_update=True)
    customer_id = order_state.data.get("customer_id") if order_state else None
    account_id = (
        identity.system_id_for(session, CUSTOMER, customer_id, CRM) if customer_id else None
    )

    invoice_id = identity.resolve_or_create(session, INVOICE, ERP, str(data["id"]))
    invoice = erp_mapping.invoice_from_erp(
        {**record, "id": data["id"], "externalId": data.get("externalId")},
        canonical_id=invoice_id,
        sales_order_id=sales_order_id,
        customer_id=customer_id,
    )
    document = invoice.model_dump(mode="json")
    context.schemas.validate(INVOICE_SCHEMA_ID, document)
    state = session.get(InvoiceState, invoice_id, with_for_update=True) or InvoiceState(
        canonical_id=invoice_id
    )
    state.data = document
    session.add(state)
    enqueue(
        session,
        target=CRM,
        operation=CRM_INVOICE_UPSERT,
        entity_key=f"{INVOICE}:{invoice_id}",
        version=state.version,
        payload={
            "invoice_id": invoice_id,
            "external_id": invoice.external_id,
            "fields": crm_mapping.invoice_to_crm_fields(
                invoice, crm_order_id=crm_order_id, crm_account_id=account_id
            ),
        },
        trace=trace,
    )
    return Outcome("done")


def _on_erp_customer(
    session: Session, data: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    # The CRM is the system of record for customers, so ERP changes are never copied back.
    # An ERP id whose external ID is a known account is still linked. That heals a delivery
    # that stopped between the ERP write and its commit.
    external_id = data.get("externalId")
    if not external_id:
        return Outcome("ignored", "ERP customer without external ID. The CRM owns customers.")
    try:
        customer_id = identity.resolve(session, CUSTOMER, CRM, external_id)
    except identity.MalformedSalesforceId:
        customer_id = None
    if customer_id is not None:
        identity.link(session, CUSTOMER, ERP, str(data["id"]), customer_id)
    return Outcome("ignored", "The CRM is the system of record for customers.")


def _on_delete(
    session: Session, data: dict[str, Any], trace: Trace, context: FlowContext
) -> Outcome:
    return Outcome("ignored", "Deletes are not synchronised, so the record stays in the ERP.")


_Handler = Callable[[Session, dict[str, Any], Trace, FlowContext], Outcome]
_HANDLERS: dict[str, _Handler] = {
    wire.CRM_ACCOUNT_CREATED: _on_crm_account,
    wire.CRM_ACCOUNT_UPDATED: _on_crm_account,
    wire.CRM_ACCOUNT_DELETED: _on_delete,
    wire.CRM_ORDER_CREATED: _on_crm_order,
    wire.CRM_ORDER_UPDATED: _on_crm_order,
    wire.CRM_ORDER_DELETED: _on_delete,
    wire.ERP_CUSTOMER_CREATED: _on_erp_customer,
    wire.ERP_CUSTOMER_UPDATED: _on_erp_customer,
    wire.ERP_SALES_ORDER_ACCEPTED: _on_erp_sales_order,
    wire.ERP_SALES_ORDER_FULFILLED: _on_erp_sales_order,
    wire.ERP_INVOICE_CREATED: _on_erp_invoice,
}
