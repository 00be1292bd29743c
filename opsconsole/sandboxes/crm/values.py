"""Conversion of CRM field values between JSON and the Python values the store keeps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from opsconsole.sandboxes.crm.errors import SalesforceApiError
from opsconsole.sandboxes.crm.schema import FieldDef

_TEXT_TYPES = {"string", "textarea", "phone", "url", "email", "picklist"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def coerce(definition: FieldDef, value: Any) -> Any:
    """Convert a JSON value written to `definition` into the stored Python value.

    References are only checked for form here; the store checks that they exist.

    Raises:
        SalesforceApiError: the value has the wrong type, is too long or is not allowed.
    """
    if value is None:
        return None
    if definition.type in _TEXT_TYPES:
        return _text(definition, value)
    if definition.type in {"currency", "double"}:
        return _number(definition, value)
    if definition.type == "date":
        return _date(definition, value)
    if definition.type == "boolean" and isinstance(value, bool):
        return value
    if definition.type == "reference" and isinstance(value, str):
        return value
    raise _parse_error(definition, value)


def _text(definition: FieldDef, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _parse_error(definition, value)
    text = str(value)
    if definition.length and len(text) > definition.length:
        raise SalesforceApiError(
            400,
            "STRING_TOO_LONG",
            f"{definition.name}: data value too large: {text[:40]} "
            f"(max length={definition.length})",
            [definition.name],
        )
    if definition.type == "picklist" and text not in definition.picklist:
        raise SalesforceApiError(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{definition.name}: bad value for restricted picklist field: {text}",
            [definition.name],
        )
    if definition.type == "email" and text and not _EMAIL.match(text):
        raise SalesforceApiError(
            400, "INVALID_EMAIL_ADDRESS", f"Email: invalid email address: {text}", [definition.name]
        )
    return text


def _number(definition: FieldDef, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _parse_error(definition, value)
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise _parse_error(definition, value) from exc
    if not number.is_finite():
        raise _parse_error(definition, value)
    return number


def _date(definition: FieldDef, value: Any) -> date:
    if not isinstance(value, str):
        raise _parse_error(definition, value)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _parse_error(definition, value) from exc


def _parse_error(definition: FieldDef, value: Any) -> SalesforceApiError:
    json_type = "VALUE_STRING" if isinstance(value, str) else f"VALUE_{type(value).__name__}"
    return SalesforceApiError(
        400,
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {definition.type} from {json_type.upper()} value "
        f"{value} or request may be missing a required field at [field {definition.name}]",
        [definition.name],
    )


def render(value: Any) -> Any:
    """Convert a stored value to JSON the way Salesforce writes it."""
    if isinstance(value, Decimal):
        # Salesforce sends numbers, not strings; float() keeps up to 15 significant digits.
        return float(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def format_datetime(value: datetime) -> str:
    """Format a datetime like Salesforce: 2026-12-04T15:46:28.000+0000."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def now() -> datetime:
    """Return the current time in UTC, truncated to milliseconds as Salesforce keeps it."""
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)
