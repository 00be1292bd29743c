"""Canonical invoice, version 1: a bill the ERP raised for a sales order."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from opsconsole.engine.canonical.money import Money

SCHEMA_ID = "https://opsconsole.dev/schemas/invoice.v1.json"


class InvoiceStatus(StrEnum):
    """Payment state of an invoice."""

    OPEN = "open"
    PAID = "paid"
    VOIDED = "voided"


class Invoice(BaseModel):
    """Canonical invoice state, as validated by invoice.v1.json."""

    model_config = ConfigDict(extra="forbid")

    id: str
    sales_order_id: str
    customer_id: str | None = None
    number: str
    status: InvoiceStatus
    invoice_date: date
    total: Money
    source_system: str
    source_id: str
    external_id: str
    source_modified_at: datetime | None = None
    version: int = Field(ge=1)
