"""Money as a Decimal amount quantised to its currency's minor unit, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer, model_validator

from opsconsole.errors import ValidationError

# ISO 4217 minor units that differ from the usual two decimals.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"}
    | {"XAF", "XOF", "XPF"}
)
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})


def minor_unit(currency: str) -> int:
    """Return the number of decimals of `currency` (ISO 4217 minor unit)."""
    if currency in ZERO_DECIMAL_CURRENCIES:
        return 0
    if currency in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def quantise(amount: Decimal | str | int, currency: str) -> Decimal:
    """Round `amount` half-up to the minor unit of `currency`.

    Raises:
        ValidationError: `amount` is not a finite decimal number.
    """
    try:
        value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    except InvalidOperation as exc:
        raise ValidationError(f"Amount {amount!r} is not a decimal number.") from exc
    if not value.is_finite():
        raise ValidationError(f"Amount {amount!r} is not a finite decimal number.")
    return value.quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


class Money(BaseModel):
    """An amount in a currency, serialised as `{"amount": "111.30", "currency": "EUR"}`."""

    model_config = ConfigDict(frozen=True)

    amount: Decimal
    currency: str

    @model_validator(mode="before")
    @classmethod
    def _reject_floats(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("amount"), float):
            raise ValueError("amount must be a decimal string, not a binary float")
        return value

    @model_validator(mode="after")
    def _quantise(self) -> Money:
        object.__setattr__(self, "amount", quantise(self.amount, self.currency))
        return self

    @field_serializer("amount")
    def _amount_text(self, amount: Decimal) -> str:
        return f"{amount:f}"

    def __add__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check_same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def _check_same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValidationError(
                f"Cannot combine {self.currency} and {other.currency} amounts. "
                "Convert one of them first."
            )
