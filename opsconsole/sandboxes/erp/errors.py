"""NetSuite REST error responses: Problem Details with an `o:errorDetails` list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsconsole.errors import OpsconsoleError

_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
_PROBLEM_TYPES = {
    400: (f"{_RFC9110}15.5.1", "Bad Request"),
    401: (f"{_RFC9110}15.5.2", "Unauthorized"),
    403: (f"{_RFC9110}15.5.4", "Forbidden"),
    404: (f"{_RFC9110}15.5.5", "Not Found"),
    405: (f"{_RFC9110}15.5.6", "Method Not Allowed"),
    409: (f"{_RFC9110}15.5.10", "Conflict"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
}


@dataclass(frozen=True)
class ErrorDetail:
    """One problem in a request, optionally tied to a field path."""

    detail: str
    code: str
    path: str | None = None


class ErrorDetailModel(BaseModel):
    """An entry of `o:errorDetails`."""

    model_config = ConfigDict(populate_by_name=True)

    detail: str
    error_code: str = Field(alias="o:errorCode")
    error_path: str | None = Field(None, alias="o:errorPath")


class NetSuiteErrorBody(BaseModel):
    """NetSuite's error response body."""

    model_config = ConfigDict(populate_by_name=True)

    type: str
    title: str
    status: int
    error_details: list[ErrorDetailModel] = Field(alias="o:errorDetails")


class NetSuiteApiError(OpsconsoleError):
    """A request to the ERP sandbox failed; rendered as NetSuite's error body."""

    def __init__(self, status: int, details: Sequence[ErrorDetail]) -> None:
        super().__init__("; ".join(d.detail for d in details))
        self.status = status
        self.details = list(details)

    def body(self) -> dict[str, Any]:
        """Return the JSON body NetSuite sends for this error."""
        problem_type, title = _PROBLEM_TYPES.get(self.status, (f"{_RFC9110}15.6.1", "Error"))
        items = []
        for detail in self.details:
            item = {"detail": detail.detail, "o:errorCode": detail.code}
            if detail.path is not None:
                item["o:errorPath"] = detail.path
            items.append(item)
        return {
            "type": problem_type,
            "title": title,
            "status": self.status,
            "o:errorDetails": items,
        }


def error(status: int, code: str, detail: str, path: str | None = None) -> NetSuiteApiError:
    """Return an error with a single detail."""
    return NetSuiteApiError(status, [ErrorDetail(detail, code, path)])


def nonexistent(record_type: str, key: str) -> NetSuiteApiError:
    """Return the error for a record that does not exist."""
    return error(
        404,
        "NONEXISTENT_ID",
        f"The record instance does not exist. Provide a valid record instance ID "
        f"({record_type} {key}).",
    )


def invalid_login() -> NetSuiteApiError:
    """Return the error for a missing or unknown token or client."""
    return error(
        401,
        "INVALID_LOGIN",
        "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite "
        "UI at Setup > Users/Roles > User Management > View Login Audit Trail.",
    )
