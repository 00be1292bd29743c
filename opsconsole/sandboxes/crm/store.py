"""In-memory CRM records, guarded by one lock so concurrent requests see consistent state."""

from __future__ import annotations

import decimal
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from opsconsole.sandboxes import salesforce_ids
from opsconsole.sandboxes.crm import values
from opsconsole.sandboxes.crm.errors import SalesforceApiError, not_found
from opsconsole.sandboxes.crm.schema import (
    AUDIT_FIELDS,
    PREFIXES,
    SYSTEM_FIELDS,
    FieldDef,
    SObjectDef,
    find_sobject,
)

ChangeKind = Literal["created", "updated", "deleted"]
Record = dict[str, Any]

_CENT = Decimal("0.01")
_MONEY_INTEGER_DIGITS = 16
# Multiplying the record counter by a number coprime to 62 spreads consecutive records over
# the whole ID space, so IDs mix digits with upper- and lower-case letters like real ones.
_ID_SPREAD = 25_214_903_917
_FIRST_ORDER_NUMBER = 100


@dataclass(frozen=True)
class Change:
    """One committed change to a record, with the record as it is afterwards."""

    sobject: str
    record_id: str
    kind: ChangeKind
    record: Record
    changed_fields: list[str]


@dataclass
class WriteResult:
    """The record a write touched and every change it caused, in order."""

    record_id: str
    created: bool
    changes: list[Change] = field(default_factory=list)


class CrmStore:
    """Records of every CRM object type, keyed by 18-character ID."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._records: dict[str, dict[str, Record]] = {name: {} for name in PREFIXES.values()}
        self._counter = itertools.count(1)
        self._order_numbers = itertools.count(_FIRST_ORDER_NUMBER)

    def get(self, sobject: SObjectDef, record_id: str) -> Record:
        """Return a copy of the record with ID `record_id` (15 or 18 characters).

        Raises:
            SalesforceApiError: NOT_FOUND when the ID is malformed, of another type or absent.
        """
        with self._lock:
            return dict(self._find(sobject, record_id))

    def snapshot(self, sobject: SObjectDef) -> list[Record]:
        """Return copies of all records of `sobject`, in creation order."""
        with self._lock:
            return [dict(record) for record in self._records[sobject.name].values()]

    def find_by(self, sobject: SObjectDef, definition: FieldDef, value: str) -> list[Record]:
        """Return the records whose `definition` field equals `value`, ignoring case."""
        with self._lock:
            return [dict(record) for record in self._matching(sobject, definition, value)]

    def create(self, sobject: SObjectDef, body: dict[str, Any], user_id: str) -> WriteResult:
        """Insert a record from a request body written by `user_id`."""
        with self._lock:
            fields = self._coerce_body(sobject, body, creating=True)
            record = self._new_record(sobject, fields, user_id)
            self._records[sobject.name][record["Id"]] = record
            result = WriteResult(record["Id"], created=True)
            changed = [name for name, value in fields.items() if value is not None]
            result.changes.append(
                Change(sobject.name, record["Id"], "created", dict(record), changed)
            )
            result.changes += self._after_write(sobject, record, user_id)
            return result

    def update(
        self, sobject: SObjectDef, record_id: str, body: dict[str, Any], user_id: str
    ) -> WriteResult:
        """Apply a partial update from a request body written by `user_id`."""
        with self._lock:
            record = self._find(sobject, record_id)
            fields = self._coerce_body(sobject, body, creating=False, current=record)
            changed = [name for name, value in fields.items() if record.get(name) != value]
            record.update(fields)
            _touch(record, user_id)
            result = WriteResult(record["Id"], created=False)
            result.changes.append(
                Change(sobject.name, record["Id"], "updated", dict(record), changed)
            )
            result.changes += self._after_write(sobject, record, user_id)
            return result

    def upsert(
        self,
        sobject: SObjectDef,
        definition: FieldDef,
        value: str,
        body: dict[str, Any],
        user_id: str,
    ) -> WriteResult:
        """Update the record whose external ID field equals `value`, or create it."""
        with self._lock:
            _check_upsert_body(sobject, definition, value, body)
            if definition.name == "Id":
                return self.update(sobject, value, body, user_id)
            matches = list(self._matching(sobject, definition, value))
            if len(matches) > 1:
                raise _multiple_matches(sobject, matches)
            if matches:
                return self.update(sobject, matches[0]["Id"], body, user_id)
            return self.create(sobject, {**body, definition.name: value}, user_id)

    def delete(self, sobject: SObjectDef, record_id: str, user_id: str) -> WriteResult:
        """Delete a record and the records that cannot exist without it."""
        with self._lock:
            record = self._find(sobject, record_id)
            self._check_deletable(sobject, record)
            self._cascade(sobject, record["Id"])
            del self._records[sobject.name][record["Id"]]
            record["IsDeleted"] = True
            _touch(record, user_id)
            result = WriteResult(record["Id"], created=False)
            result.changes.append(Change(sobject.name, record["Id"], "deleted", dict(record), []))
            result.changes += self._after_write(sobject, record, user_id)
            return result

    def _find(self, sobject: SObjectDef, record_id: str) -> Record:
        try:
            canonical = salesforce_ids.to_18(record_id)
        except salesforce_ids.MalformedIdError as exc:
            raise not_found() from exc
        record = self._records[sobject.name].get(canonical)
        if record is None:
            raise not_found()
        return record

    def _matching(self, sobject: SObjectDef, definition: FieldDef, value: str) -> Iterator[Record]:
        wanted = value.casefold()
        for record in self._records[sobject.name].values():
            stored = record.get(definition.name)
            if isinstance(stored, str) and stored.casefold() == wanted:
                yield record

    def _coerce_body(
        self,
        sobject: SObjectDef,
        body: dict[str, Any],
        *,
        creating: bool,
        current: Record | None = None,
    ) -> Record:
        fields: Record = {}
        for name, raw in body.items():
            if name == "attributes":
                continue
            definition = _writable_field(sobject, name, creating)
            fields[definition.name] = self._coerce_value(definition, raw)
        merged = {**(current or {}), **fields}
        if creating:
            merged = {**_defaults(sobject), **merged}
            fields = {**_defaults(sobject), **fields}
        _check_required(sobject, merged)
        self._check_unique(sobject, fields, current)
        return fields

    def _coerce_value(self, definition: FieldDef, raw: Any) -> Any:
        value = values.coerce(definition, raw)
        if definition.type == "reference" and value is not None:
            return self._reference(definition, value)
        return value

    def _reference(self, definition: FieldDef, value: str) -> str:
        try:
            canonical = salesforce_ids.to_18(value)
        except salesforce_ids.MalformedIdError as exc:
            raise SalesforceApiError(
                400,
                "MALFORMED_ID",
                f"{definition.name}: id value of incorrect type: {value}",
                [definition.name],
            ) from exc
        target = definition.reference_to or ""
        if PREFIXES.get(canonical[:3]) != target:
            raise SalesforceApiError(
                400,
                "FIELD_INTEGRITY_EXCEPTION",
                f"{definition.name}: id value of incorrect type: {value}",
                [definition.name],
            )
        if canonical not in self._records[target]:
            raise SalesforceApiError(
                400,
                "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
                f"insufficient access rights on cross-reference id: {value}",
                [definition.name],
            )
        return canonical

    def _check_unique(self, sobject: SObjectDef, fields: Record, current: Record | None) -> None:
        for name, value in fields.items():
            definition = sobject.field(name)
            if definition is None or not definition.unique or value is None:
                continue
            for other in self._matching(sobject, definition, value):
                if current is None or other["Id"] != current["Id"]:
                    raise SalesforceApiError(
                        400,
                        "DUPLICATE_VALUE",
                        f"duplicate value found: {name} duplicates value on record with id: "
                        f"{other['Id']}",
                        [],
                    )

    def _new_record(self, sobject: SObjectDef, fields: Record, user_id: str) -> Record:
        number = next(self._counter) * _ID_SPREAD % 62**9
        stamp = values.now()
        record: Record = {definition.name: None for definition in sobject.fields}
        record.update(fields)
        record.update(
            Id=salesforce_ids.make_id(sobject.key_prefix, number),
            IsDeleted=False,
            CreatedDate=stamp,
            CreatedById=user_id,
            LastModifiedDate=stamp,
            LastModifiedById=user_id,
            SystemModstamp=stamp,
        )
        if sobject.name == "Order":
            record["OrderNumber"] = f"{next(self._order_numbers):08d}"
            record["TotalAmount"] = Decimal("0.00")
        if sobject.name == "OrderItem":
            record["TotalPrice"] = _line_total(record)
        return record

    def _after_write(self, sobject: SObjectDef, record: Record, user_id: str) -> list[Change]:
        if sobject.name != "OrderItem":
            return []
        record["TotalPrice"] = _line_total(record)
        return [self._roll_up_order(record["OrderId"], user_id)]

    def _roll_up_order(self, order_id: str, user_id: str) -> Change:
        order = self._records["Order"][order_id]
        items = self._records["OrderItem"].values()
        total = sum(
            (item["TotalPrice"] for item in items if item["OrderId"] == order_id), Decimal("0.00")
        )
        changed = [] if total == order["TotalAmount"] else ["TotalAmount"]
        if changed:
            order["TotalAmount"] = total
            _touch(order, user_id)
        return Change("Order", order_id, "updated", dict(order), changed)

    def _check_deletable(self, sobject: SObjectDef, record: Record) -> None:
        if sobject.name != "Account":
            return
        orders = [
            o["Id"] for o in self._records["Order"].values() if o["AccountId"] == record["Id"]
        ]
        if orders:
            raise SalesforceApiError(
                400,
                "DELETE_FAILED",
                f"Your attempt to delete {record['Name']} could not be completed because it is "
                f"associated with the following orders: {', '.join(orders)}",
            )

    def _cascade(self, sobject: SObjectDef, record_id: str) -> None:
        # Order items and contacts are deleted with their parent, as in Salesforce; other
        # lookups to the deleted record are cleared.
        owned = {"Order": ("OrderItem", "OrderId"), "Account": ("Contact", "AccountId")}
        if sobject.name in owned:
            child, link = owned[sobject.name]
            children = self._records[child]
            for child_id in [i for i, r in children.items() if r[link] == record_id]:
                del children[child_id]
        for records in self._records.values():
            for other in records.values():
                for name, value in other.items():
                    if value == record_id and name != "Id":
                        other[name] = None


def _writable_field(sobject: SObjectDef, name: str, creating: bool) -> FieldDef:
    definition = sobject.field(name)
    if definition is None:
        raise SalesforceApiError(
            400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject.name}", []
        )
    allowed = definition.createable if creating else definition.updateable
    if not allowed:
        raise SalesforceApiError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {definition.name}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.",
            [definition.name],
        )
    return definition


def _defaults(sobject: SObjectDef) -> Record:
    return {d.name: d.default for d in sobject.fields if d.default is not None and d.createable}


def _check_required(sobject: SObjectDef, merged: Record) -> None:
    missing = [
        d.name
        for d in sobject.fields
        if d.required and d.name not in SYSTEM_FIELDS and merged.get(d.name) in (None, "")
    ]
    if missing:
        raise SalesforceApiError(
            400,
            "REQUIRED_FIELD_MISSING",
            f"Required fields are missing: [{', '.join(missing)}]",
            missing,
        )


def _check_upsert_body(
    sobject: SObjectDef, definition: FieldDef, value: str, body: dict[str, Any]
) -> None:
    for name, given in body.items():
        if name.lower() == definition.name.lower() and str(given).casefold() != value.casefold():
            raise SalesforceApiError(
                400,
                "INVALID_FIELD",
                f"The {definition.name} in the request body ({given}) must match the value "
                f"in the URL ({value}) when upserting {sobject.name}.",
                [definition.name],
            )


def _multiple_matches(sobject: SObjectDef, matches: list[Record]) -> SalesforceApiError:
    urls = ", ".join(f"/sobjects/{sobject.name}/{m['Id']}" for m in matches)
    return SalesforceApiError(300, "MULTIPLE_CHOICES", f"More than one record found: {urls}")


def _line_total(item: Record) -> Decimal:
    # values.coerce keeps both factors below 10**16, so 60 digits hold the product and quantize
    # cannot fail.
    with decimal.localcontext(prec=60):
        total = (Decimal(item["Quantity"]) * Decimal(item["UnitPrice"])).quantize(_CENT)
    values.check_range("TotalPrice", total, _MONEY_INTEGER_DIGITS)
    return total


def _touch(record: Record, user_id: str) -> None:
    stamp = values.now()
    record.update(LastModifiedDate=stamp, LastModifiedById=user_id, SystemModstamp=stamp)


def changed_business_fields(change: Change) -> list[str]:
    """Return the changed fields of `change` without the audit fields."""
    return [name for name in change.changed_fields if name not in AUDIT_FIELDS]


def resolve_sobject(name: str) -> SObjectDef:
    """Return the object type called `name`, or raise NOT_FOUND like Salesforce."""
    sobject = find_sobject(name)
    if sobject is None:
        raise SalesforceApiError(
            404, "NOT_FOUND", f"The requested resource does not exist: sObject type '{name}'"
        )
    return sobject
