"""In-memory ERP records: customers, sales orders and invoices, guarded by one lock."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from opsconsole import wire
from opsconsole.sandboxes.erp import records
from opsconsole.sandboxes.erp.errors import error, nonexistent
from opsconsole.sandboxes.erp.query import Filter, matches
from opsconsole.sandboxes.erp.records import CUSTOMER, INVOICE, SALES_ORDER, Record

PENDING_FULFILLMENT = "Pending Fulfillment"
PENDING_BILLING = "Pending Billing"
BILLED = "Billed"
INVOICE_OPEN = "Open"

_FIRST_IDS = {CUSTOMER: 1001, SALES_ORDER: 5001, INVOICE: 9001}
_EID_PREFIX = "eid:"


@dataclass(frozen=True)
class ErpChange:
    """A committed change and the event type it produces, if any."""

    record_type: str
    record_id: str
    event_type: str | None
    record: Record


@dataclass
class WriteResult:
    """The record a write touched and the changes it caused."""

    record_id: str
    created: bool
    changes: list[ErpChange] = field(default_factory=list)


class ErpStore:
    """Records of each type keyed by internal ID, a decimal string."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Record]] = {t: {} for t in records.RECORD_TYPES}
        self._counters = {t: itertools.count(first) for t, first in _FIRST_IDS.items()}

    def get(self, record_type: str, key: str) -> Record:
        """Return a copy of the record named by internal ID or `eid:<externalId>`."""
        with self._lock:
            return _copy(self._find(record_type, key))

    def customer_names(self) -> dict[str, str]:
        """Return customer internal IDs mapped to company names, for entity references."""
        with self._lock:
            return {cid: c["companyName"] for cid, c in self._records[CUSTOMER].items()}

    def list_ids(self, record_type: str, where: Filter | None) -> list[str]:
        """Return the IDs of records matching `where`, in creation order."""
        with self._lock:
            rows = self._records[record_type].items()
            return [rid for rid, record in rows if where is None or matches(where, record)]

    def create(self, record_type: str, body: dict[str, Any]) -> WriteResult:
        """Insert a customer or sales order from a request body."""
        with self._lock:
            _check_writable(record_type)
            fields = self._parse(record_type, body, partial=False)
            self._check_external_id_free(record_type, fields.get("externalId"), None)
            return self._insert(record_type, fields)

    def update(self, record_type: str, key: str, body: dict[str, Any]) -> WriteResult:
        """Apply a partial update to the record named by `key`."""
        with self._lock:
            _check_writable(record_type)
            record = self._find(record_type, key)
            fields = self._parse(record_type, body, partial=True)
            self._check_external_id_free(record_type, fields.get("externalId"), record["id"])
            return self._apply(record_type, record, fields)

    def upsert(self, record_type: str, key: str, body: dict[str, Any]) -> WriteResult:
        """Update the record with external ID `key` (`eid:<value>`), or create it."""
        with self._lock:
            _check_writable(record_type)
            if not key.startswith(_EID_PREFIX):
                raise error(400, "INVALID_PARAMETER", "Upsert needs an eid:<externalId> key.")
            external_id = key.removeprefix(_EID_PREFIX)
            given = body.get("externalId")
            if given is not None and given != external_id:
                raise error(
                    400,
                    "INVALID_CONTENT",
                    f"externalId {given!r} in the body differs from {external_id!r} in the URL.",
                    "externalId",
                )
            existing = self._by_external_id(record_type, external_id)
            if existing is None:
                return self.create(record_type, {**body, "externalId": external_id})
            return self.update(record_type, existing["id"], body)

    def delete(self, record_type: str, key: str) -> WriteResult:
        """Delete a customer without transactions or a sales order that is not billed."""
        with self._lock:
            record = self._find(record_type, key)
            self._check_deletable(record_type, record)
            del self._records[record_type][record["id"]]
            if record_type == INVOICE:
                self._reopen_billing(record)
            return WriteResult(record["id"], created=False)

    def _reopen_billing(self, invoice: Record) -> None:
        # As in NetSuite, deleting the invoice of a billed order makes the order billable again.
        order = self._records[SALES_ORDER].get(invoice["createdFrom"])
        if order is not None and order["status"] == BILLED:
            order.update(status=PENDING_BILLING, lastModifiedDate=records.now())

    def fulfil(self, order_id: str) -> WriteResult:
        """Mark a sales order fulfilled: Pending Fulfillment becomes Pending Billing."""
        with self._lock:
            order = self._find(SALES_ORDER, order_id)
            _check_status(order, PENDING_FULFILLMENT, "fulfil")
            order.update(status=PENDING_BILLING, lastModifiedDate=records.now())
            change = ErpChange(
                SALES_ORDER, order["id"], wire.ERP_SALES_ORDER_FULFILLED, _copy(order)
            )
            return WriteResult(order["id"], created=False, changes=[change])

    def bill(self, order_id: str) -> WriteResult:
        """Create the invoice of a fulfilled sales order and mark the order Billed."""
        with self._lock:
            order = self._find(SALES_ORDER, order_id)
            _check_status(order, PENDING_BILLING, "invoice")
            stamp = records.now()
            invoice_fields: Record = {
                "externalId": f"INV-{order['id']}",
                "createdFrom": order["id"],
                "entity": order["entity"],
                "currency": order["currency"],
                "tranDate": stamp.date(),
                "status": INVOICE_OPEN,
                "total": order["total"],
                "items": [dict(line) for line in order["items"]],
            }
            result = self._insert(INVOICE, invoice_fields)
            order.update(status=BILLED, lastModifiedDate=stamp)
            return result

    def _insert(self, record_type: str, fields: Record) -> WriteResult:
        record_id = str(next(self._counters[record_type]))
        stamp = records.now()
        record: Record = {
            "id": record_id,
            **fields,
            "dateCreated": stamp,
            "lastModifiedDate": stamp,
        }
        if record_type == SALES_ORDER:
            self._prepare_order(record)
            record.update(tranId=f"SO{record_id}", status=PENDING_FULFILLMENT)
        if record_type == INVOICE:
            record["tranId"] = f"INV{record_id}"
        self._records[record_type][record_id] = record
        event_type = {
            CUSTOMER: wire.ERP_CUSTOMER_CREATED,
            SALES_ORDER: wire.ERP_SALES_ORDER_ACCEPTED,
            INVOICE: wire.ERP_INVOICE_CREATED,
        }[record_type]
        change = ErpChange(record_type, record_id, event_type, _copy(record))
        return WriteResult(record_id, created=True, changes=[change])

    def _apply(self, record_type: str, record: Record, fields: Record) -> WriteResult:
        if record_type == SALES_ORDER:
            if "items" in fields and record["status"] != PENDING_FULFILLMENT:
                raise error(
                    400,
                    "USER_ERROR",
                    f"Sales order {record['id']} is {record['status']}; its lines can no "
                    "longer change.",
                    "item",
                )
            candidate = {**record, **fields}
            self._prepare_order(candidate)
            fields = candidate
        record.update(fields)
        record["lastModifiedDate"] = records.now()
        event_type = wire.ERP_CUSTOMER_UPDATED if record_type == CUSTOMER else None
        change = ErpChange(record_type, record["id"], event_type, _copy(record))
        return WriteResult(record["id"], created=False, changes=[change])

    def _prepare_order(self, order: Record) -> None:
        customer = self._records[CUSTOMER].get(order["entity"])
        if customer is None:
            raise error(
                400,
                "INVALID_KEY_OR_REF",
                f"Invalid entity reference key {order['entity']}.",
                "entity",
            )
        order["currency"] = (
            order.get("currency") or customer.get("currency") or records.DEFAULT_CURRENCY
        )
        order["tranDate"] = order.get("tranDate") or records.now().date()
        order["items"], order["total"] = records.price_lines(order["items"], order["currency"])

    def _parse(self, record_type: str, body: dict[str, Any], *, partial: bool) -> Record:
        if record_type == CUSTOMER:
            fields = records.parse_customer(body, partial=partial)
            if not partial:
                fields.setdefault("subsidiary", "1")
            return fields
        return records.parse_sales_order(body, partial=partial)

    def _find(self, record_type: str, key: str) -> Record:
        if key.startswith(_EID_PREFIX):
            record = self._by_external_id(record_type, key.removeprefix(_EID_PREFIX))
        else:
            record = self._records[record_type].get(key)
        if record is None:
            raise nonexistent(record_type, key)
        return record

    def _by_external_id(self, record_type: str, external_id: str) -> Record | None:
        for record in self._records[record_type].values():
            if record.get("externalId") == external_id:
                return record
        return None

    def _check_external_id_free(
        self, record_type: str, external_id: str | None, own_id: str | None
    ) -> None:
        if external_id is None:
            return
        other = self._by_external_id(record_type, external_id)
        if other is not None and other["id"] != own_id:
            raise error(
                400,
                "DUP_RCRD",
                f"A {record_type} with external ID {external_id!r} already exists "
                f"(internal ID {other['id']}).",
                "externalId",
            )

    def _check_deletable(self, record_type: str, record: Record) -> None:
        if record_type == CUSTOMER:
            orders = [o for o in self._records[SALES_ORDER].values() if o["entity"] == record["id"]]
            if orders:
                raise error(
                    400,
                    "USER_ERROR",
                    f"Customer {record['id']} has sales orders and cannot be deleted.",
                )
        if record_type == SALES_ORDER and record["status"] == BILLED:
            raise error(400, "USER_ERROR", f"Sales order {record['id']} is billed.")


def _check_writable(record_type: str) -> None:
    if record_type == INVOICE:
        raise error(
            400,
            "USER_ERROR",
            "Invoices are created by the ERP when a sales order is billed; they cannot be "
            "written through this API.",
        )


def _check_status(order: Record, expected: str, action: str) -> None:
    if order["status"] != expected:
        raise error(
            400,
            "USER_ERROR",
            f"Cannot {action} sales order {order['id']}: its status is {order['status']}, "
            f"not {expected}.",
            "status",
        )


def _copy(record: Record) -> Record:
    copied = dict(record)
    if "items" in copied:
        copied["items"] = [dict(line) for line in copied["items"]]
    return copied
