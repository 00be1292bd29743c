"""Salesforce REST error responses: a JSON list of `{message, errorCode, fields}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from opsconsole.errors import OpsconsoleError


class SalesforceErrorItem(BaseModel):
    """One entry of a Salesforce error response."""

    message: str
    errorCode: str
    fields: list[str] = Field(default_factory=list)


class SalesforceApiError(OpsconsoleError):
    """A request to the CRM sandbox failed; rendered as Salesforce's error list."""

    def __init__(
        self, status: int, error_code: str, message: str, fields: Sequence[str] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = list(fields)

    def body(self) -> list[dict[str, Any]]:
        """Return the JSON body Salesforce sends for this error."""
        item = SalesforceErrorItem(message=self.message, errorCode=self.error_code)
        item.fields = self.fields
        return [item.model_dump()]


def not_found() -> SalesforceApiError:
    """Return the error for a record or resource that does not exist."""
    return SalesforceApiError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> SalesforceApiError:
    """Return the error for a missing, unknown or expired bearer token."""
    return SalesforceApiError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def malformed_query(message: str) -> SalesforceApiError:
    """Return the error for SOQL that cannot be parsed."""
    return SalesforceApiError(400, "MALFORMED_QUERY", message)
