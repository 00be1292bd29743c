"""Canonical customer, version 1: the party that buys, independent of CRM and ERP shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "https://opsconsole.dev/schemas/customer.v1.json"


class Address(BaseModel):
    """A postal address whose lines are free text as the source system stores them."""

    model_config = ConfigDict(extra="forbid")

    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class CustomerChange(BaseModel):
    """A set of customer fields from one source event.

    A field that is absent leaves the stored value unchanged, None clears it, and "" sets it
    to the empty string: `model_fields_set` keeps the three apart.
    """

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    account_number: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    billing_address: Address | None = None
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")

    def present_fields(self) -> dict[str, Any]:
        """Return the fields the source sent, with None for the ones it cleared."""
        return self.model_dump(mode="json", exclude_unset=True)


class Customer(BaseModel):
    """Canonical customer state, as stored and as validated by customer.v1.json."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    account_number: str | None = None
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    billing_address: Address | None = None
    currency: str | None = None
    source_system: str
    source_id: str
    source_modified_at: datetime | None = None
    version: int = Field(ge=1)


def apply_change(state: dict[str, Any], change: CustomerChange) -> dict[str, Any]:
    """Return `state` with the fields of `change` applied (absent fields stay as they were)."""
    merged = dict(state)
    merged.update(change.present_fields())
    return merged
