"""Canonical sales order, version 1: what was ordered, by whom, and how far it has come."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from opsconsole.engine.canonical.money import Money

SCHEMA_ID = "https://opsconsole.dev/schemas/sales-order.v1.json"


class OrderStatus(StrEnum):
    """Lifecycle of an order across systems, in the order the states are reached."""

    DRAFT = "draft"
    ACTIVATED = "activated"
    ACCEPTED = "accepted"
    FULFILLED = "fulfilled"
    BILLED = "billed"

    @property
    def rank(self) -> int:
        """Position in the lifecycle. A lower rank never overwrites a higher one."""
        return list(OrderStatus).index(self)


class OrderLine(BaseModel):
    """One ordered item."""

    model_config = ConfigDict(extra="forbid")

    sku: str | None = None
    description: str | None = None
    quantity: Decimal
    unit_price: Money
    line_total: Money

    @field_serializer("quantity")
    def _quantity_text(self, quantity: Decimal) -> str:
        return f"{quantity.normalize():f}"


class SalesOrder(BaseModel):
    """Canonical sales order state, as validated by sales-order.v1.json."""

    model_config = ConfigDict(extra="forbid")

    id: str
    customer_id: str
    order_number: str | None = None
    status: OrderStatus
    order_date: date
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    description: str | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    total: Money
    source_system: str
    source_id: str
    source_modified_at: datetime | None = None
    version: int = Field(ge=1)
