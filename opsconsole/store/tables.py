"""SQLModel tables of the sync engine: inbox, outbox, cross-reference, canonical state and logs.

External IDs are stored in `ExactText` columns, which compare bytes on every backend: two
Salesforce IDs that differ only in letter case are two different records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Dialect, String, UniqueConstraint
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class ExactText(TypeDecorator[str]):
    """A string column with a binary collation, so no index or comparison folds case."""

    impl = String
    cache_ok = True

    _COLLATIONS: ClassVar[dict[str, str]] = {
        "postgresql": "C",
        "sqlite": "BINARY",
        "mysql": "utf8mb4_bin",
    }

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        collation = self._COLLATIONS.get(dialect.name)
        return dialect.type_descriptor(String(255, collation=collation))


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"Naive datetime {value!r} has no time zone. Pass an aware one.")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _when(*, now: bool = True, index: bool = False) -> Any:
    if now:
        return Field(default_factory=utcnow, sa_type=UtcDateTime, nullable=False, index=index)
    return Field(default=None, sa_type=UtcDateTime, nullable=True, index=index)


def _exact(*, index: bool = False, unique: bool = False) -> Any:
    return Field(sa_type=ExactText, nullable=False, index=index, unique=unique)


def _json() -> Any:
    return Field(default_factory=dict, sa_type=JSON, nullable=False)


class InboxMessage(SQLModel, table=True):
    """An inbound event, stored once per event id before it is processed."""

    __tablename__ = "inbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = _exact(unique=True)
    source: str
    type: str = Field(index=True)
    subject: str | None = None
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime = _when(index=True)
    last_error: str | None = None
    failure_class: str | None = None
    duplicates: int = 0
    correlation_id: str = Field(index=True)
    traceparent: str | None = None
    received_at: datetime = _when()
    processed_at: datetime | None = _when(now=False)


class OutboxMessage(SQLModel, table=True):
    """An outbound call to a target system, written in the transaction of its state change."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    target_system: str = Field(index=True)
    operation: str
    entity_key: str = _exact(index=True)
    idempotency_key: str = _exact(unique=True)
    payload: dict[str, Any] = _json()
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime = _when(index=True)
    last_error: str | None = None
    failure_class: str | None = None
    correlation_id: str = Field(index=True)
    traceparent: str | None = None
    inbox_id: int | None = None
    created_at: datetime = _when()
    delivered_at: datetime | None = _when(now=False)


class CrossReference(SQLModel, table=True):
    """One system's ID of a business object, linked to the object's canonical ID."""

    __tablename__ = "xref"
    __table_args__ = (UniqueConstraint("system", "object_type", "system_id"),)

    id: int | None = Field(default=None, primary_key=True)
    object_type: str
    system: str
    system_id: str = _exact()
    canonical_id: str = _exact(index=True)
    created_at: datetime = _when()


class _CanonicalState(SQLModel):
    canonical_id: str = Field(primary_key=True)
    version: int = 1
    source_modified_at: datetime | None = _when(now=False)
    data: dict[str, Any] = _json()
    updated_at: datetime = _when()


class CustomerState(_CanonicalState, table=True):
    """Latest canonical customer, with its version and the source's modification time."""

    __tablename__ = "canonical_customer"


class SalesOrderState(_CanonicalState, table=True):
    """Latest canonical sales order, with its version and the source's modification time."""

    __tablename__ = "canonical_sales_order"


class InvoiceState(_CanonicalState, table=True):
    """Latest canonical invoice, with its version and the source's modification time."""

    __tablename__ = "canonical_invoice"


class IdempotencyRecord(SQLModel, table=True):
    """A write request seen under an Idempotency-Key, with the response it produced."""

    __tablename__ = "idempotency"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = _exact()
    scope: str
    request_hash: str
    status_code: int
    body: dict[str, Any] = _json()
    created_at: datetime = _when()


class DeadLetter(SQLModel, table=True):
    """A message that will not be retried any more, kept with everything needed to replay it."""

    __tablename__ = "dlq"

    id: int | None = Field(default=None, primary_key=True)
    origin: str
    message_id: int
    target_system: str | None = None
    operation: str
    payload: dict[str, Any] = _json()
    error_class: str
    error: str
    attempts: int
    correlation_id: str = Field(index=True)
    traceparent: str | None = None
    status: str = Field(default="open", index=True)
    created_at: datetime = _when()


class AuditEntry(SQLModel, table=True):
    """Who did what to which record, and with what result."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when()
    actor: str
    action: str
    entity: str
    detail: dict[str, Any] = _json()
    correlation_id: str | None = Field(default=None, index=True)
