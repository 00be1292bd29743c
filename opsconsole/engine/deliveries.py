"""Deliver outbox messages: one function per operation, each ending in one transaction.

Every ERP write is an upsert by external ID (`PUT .../eid:<id>`), so a retry after a timeout
whose outcome is unknown finds the record the first attempt may have created instead of
creating a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session

from opsconsole import wire
from opsconsole.engine import identity
from opsconsole.engine.canonical.sales_order import SCHEMA_ID as SALES_ORDER_SCHEMA_ID
from opsconsole.engine.canonical.sales_order import OrderStatus
from opsconsole.engine.canonical.schemas import SchemaSet
from opsconsole.engine.clients.crm import CrmClient
from opsconsole.engine.clients.erp import ErpClient
from opsconsole.engine.clients.failures import DeliveryError, FailureClass
from opsconsole.engine.flows import (
    CRM_INVOICE_UPSERT,
    CRM_RECORD_UPDATE,
    CUSTOMER,
    ERP_CUSTOMER_UPSERT,
    ERP_SALES_ORDER_UPSERT,
    INVOICE,
    SALES_ORDER,
)
from opsconsole.engine.identity import CRM, ERP
from opsconsole.engine.mapping import crm as crm_mapping
from opsconsole.engine.mapping import erp as erp_mapping
from opsconsole.engine.outbox import Trace, enqueue, mark_delivered
from opsconsole.store.db import transaction
from opsconsole.store.tables import OutboxMessage, SalesOrderState, utcnow

ORDER_ITEM_FIELDS = "Id, OrderId, Quantity, UnitPrice, Description, SKU__c, TotalPrice"


@dataclass
class Systems:
    """Clients of the systems the engine writes to."""

    crm: CrmClient
    erp: ErpClient

    def close(self) -> None:
        """Close both clients."""
        self.crm.close()
        self.erp.close()


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an outbox message."""

    engine: Engine
    message: OutboxMessage
    systems: Systems
    schemas: SchemaSet

    @property
    def payload(self) -> dict[str, Any]:
        """The stored payload of the message."""
        return self.message.payload

    @property
    def headers(self) -> Mapping[str, str]:
        """Headers for every outbound call: correlation, a child span and the message's key."""
        return {
            wire.CORRELATION_HEADER: self.message.correlation_id,
            wire.TRACEPARENT_HEADER: wire.child_traceparent(self.message.traceparent),
            wire.IDEMPOTENCY_HEADER: self.message.idempotency_key,
        }

    @property
    def trace(self) -> Trace:
        """The trace follow-up messages inherit."""
        return Trace(self.message.correlation_id, self.message.traceparent, self.message.inbox_id)


def deliver(delivery: Delivery) -> None:
    """Make the call of an outbox message and commit its result.

    Raises:
        DeliveryError: the call failed; its failure class says whether to retry.
    """
    handler = _DELIVERIES.get(delivery.message.operation)
    if handler is None:
        raise DeliveryError(
            f"No delivery handles operation {delivery.message.operation!r}.", FailureClass.MAPPING
        )
    handler(delivery)


def _erp_customer_upsert(delivery: Delivery) -> None:
    payload = delivery.payload
    erp_id = delivery.systems.erp.upsert(
        "customer", payload["external_id"], payload["body"], delivery.headers
    )
    with transaction(delivery.engine) as session:
        identity.link(session, CUSTOMER, ERP, erp_id, payload["customer_id"])
        _complete(session, delivery)
        if payload.get("crm_account_id"):
            enqueue(
                session,
                target=CRM,
                operation=CRM_RECORD_UPDATE,
                entity_key=f"{CUSTOMER}:{payload['customer_id']}",
                version=f"erp-id-{erp_id}",
                payload={
                    "sobject": "Account",
                    "id": payload["crm_account_id"],
                    "fields": {"ERP_Customer_Id__c": erp_id},
                },
                trace=delivery.trace,
            )


def _erp_sales_order_upsert(delivery: Delivery) -> None:
    payload = delivery.payload
    crm_order_id = payload["crm_order_id"]
    order = delivery.systems.crm.get_record("Order", crm_order_id, delivery.headers)
    soql = f"SELECT {ORDER_ITEM_FIELDS} FROM OrderItem WHERE OrderId = '{crm_order_id}'"
    items = delivery.systems.crm.query(soql, delivery.headers)
    customer_id, erp_customer_id = _erp_customer_of(delivery.engine, order)
    sales_order = crm_mapping.order_to_sales_order(
        order,
        items,
        canonical_id=payload["sales_order_id"],
        customer_id=customer_id,
        version=payload["version"],
    )
    document = sales_order.model_dump(mode="json")
    delivery.schemas.validate(SALES_ORDER_SCHEMA_ID, document)
    body = erp_mapping.sales_order_to_erp(sales_order, erp_customer_id=erp_customer_id)

    erp_id = delivery.systems.erp.upsert("salesOrder", crm_order_id, body, delivery.headers)
    with transaction(delivery.engine) as session:
        identity.link(session, SALES_ORDER, ERP, erp_id, payload["sales_order_id"])
        _store_sales_order(session, payload["sales_order_id"], document)
        _complete(session, delivery)


def _erp_customer_of(engine: Engine, order: dict[str, Any]) -> tuple[str, str]:
    account_id = identity.to_18(str(order.get("AccountId") or ""))
    with Session(engine) as session:
        customer_id = identity.resolve(session, CUSTOMER, CRM, account_id)
        erp_id = (
            identity.system_id_for(session, CUSTOMER, customer_id, ERP) if customer_id else None
        )
    if customer_id is None or erp_id is None:
        # The account's own sync may still be on its way, so this order waits for it.
        raise DeliveryError(
            f"Account {account_id} has no ERP customer yet, so the sales order waits for it.",
            FailureClass.DEPENDENCY,
        )
    return customer_id, erp_id


def _store_sales_order(session: Session, sales_order_id: str, document: dict[str, Any]) -> None:
    state = session.get(SalesOrderState, sales_order_id, with_for_update=True) or SalesOrderState(
        canonical_id=sales_order_id
    )
    # An ERP event handled meanwhile may have moved the status on. Keep the later status.
    stored = OrderStatus(state.data.get("status", OrderStatus.DRAFT))
    if stored.rank > OrderStatus(document["status"]).rank:
        document = {**document, "status": stored.value, "erp_status": state.data.get("erp_status")}
    state.data = document
    state.updated_at = utcnow()
    session.add(state)


def _crm_record_update(delivery: Delivery) -> None:
    payload = delivery.payload
    delivery.systems.crm.update(
        payload["sobject"], payload["id"], payload["fields"], delivery.headers
    )
    with transaction(delivery.engine) as session:
        _complete(session, delivery)


def _crm_invoice_upsert(delivery: Delivery) -> None:
    payload = delivery.payload
    crm_id = delivery.systems.crm.upsert(
        "Invoice__c",
        "ERP_Invoice_Id__c",
        payload["external_id"],
        payload["fields"],
        delivery.headers,
    )
    with transaction(delivery.engine) as session:
        if crm_id:
            identity.link(session, INVOICE, CRM, crm_id, payload["invoice_id"])
        _complete(session, delivery)


def _complete(session: Session, delivery: Delivery) -> None:
    assert delivery.message.id is not None
    mark_delivered(session, delivery.message.id)


_DELIVERIES: dict[str, Callable[[Delivery], None]] = {
    ERP_CUSTOMER_UPSERT: _erp_customer_upsert,
    ERP_SALES_ORDER_UPSERT: _erp_sales_order_upsert,
    CRM_RECORD_UPDATE: _crm_record_update,
    CRM_INVOICE_UPSERT: _crm_invoice_upsert,
}
