"""Persistent state of the sync engine: SQLModel tables and sessions."""

from __future__ import annotations

from opsconsole.store.db import create_store_engine, sqlite_url, transaction
from opsconsole.store.tables import (
    AuditEntry,
    CrossReference,
    CustomerState,
    DeadLetter,
    IdempotencyRecord,
    InboxMessage,
    InvoiceState,
    OutboxMessage,
    SalesOrderState,
    utcnow,
)

__all__ = [
    "AuditEntry",
    "CrossReference",
    "CustomerState",
    "DeadLetter",
    "IdempotencyRecord",
    "InboxMessage",
    "InvoiceState",
    "OutboxMessage",
    "SalesOrderState",
    "create_store_engine",
    "sqlite_url",
    "transaction",
    "utcnow",
]
