"""Classify failed calls to other systems, and decide whether and when to retry them."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import httpx

from opsconsole.errors import DownstreamError

RETRY_AFTER_MAX_SECONDS = 300.0


class FailureClass(StrEnum):
    """Why a call failed. The class decides whether a retry can succeed."""

    VALIDATION = "validation"
    AUTH = "auth"
    RATE_LIMIT = "rate_limit"
    CONFLICT = "conflict"
    TIMEOUT = "timeout"
    DOWNSTREAM = "downstream"
    MAPPING = "mapping"
    DEPENDENCY = "dependency"

    @property
    def retryable(self) -> bool:
        """Tell whether another attempt can succeed without anyone changing anything."""
        return self in _RETRYABLE


_RETRYABLE = frozenset(
    {
        FailureClass.RATE_LIMIT,
        FailureClass.CONFLICT,
        FailureClass.TIMEOUT,
        FailureClass.DOWNSTREAM,
        FailureClass.DEPENDENCY,
    }
)
_CONFLICT_CODES = frozenset(
    {"RCRD_HAS_BEEN_CHANGED", "UNABLE_TO_LOCK_ROW", "CONCURRENCY_LIMIT_EXCEEDED", "DUPLICATE_VALUE"}
)
_RATE_LIMIT_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "CONCURRENCY_LIMIT_EXCEEDED"})


class DeliveryError(DownstreamError):
    """A call to a target system failed, with its class and any delay the target asked for."""

    def __init__(
        self, message: str, failure_class: FailureClass, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message, failure_class.value, retryable=failure_class.retryable)
        self.failure_class_enum = failure_class
        self.retry_after = retry_after


def error_codes(response: httpx.Response) -> set[str]:
    """Return the error codes in a Salesforce or NetSuite error body."""
    try:
        body: Any = response.json()
    except ValueError:
        return set()
    codes: set[str] = set()
    if isinstance(body, list):
        codes.update(str(item.get("errorCode")) for item in body if isinstance(item, dict))
    elif isinstance(body, dict):
        for detail in body.get("o:errorDetails") or []:
            if isinstance(detail, dict):
                codes.add(str(detail.get("o:errorCode")))
    return codes


def classify_response(response: httpx.Response) -> FailureClass:
    """Classify an unsuccessful HTTP response by status and vendor error code."""
    status = response.status_code
    codes = error_codes(response)
    if status == 429 or codes & _RATE_LIMIT_CODES:
        return FailureClass.RATE_LIMIT
    if status in (401, 403):
        return FailureClass.AUTH
    if status in (409, 412, 423) or codes & _CONFLICT_CODES:
        return FailureClass.CONFLICT
    if status in (408, 504):
        return FailureClass.TIMEOUT
    if status >= 500:
        return FailureClass.DOWNSTREAM
    return FailureClass.VALIDATION


def retry_after_seconds(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Read `Retry-After` as seconds or an HTTP date, clamped to 0..300 seconds."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        seconds = float(value.strip())
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_SECONDS)


def response_error(system: str, action: str, response: httpx.Response) -> DeliveryError:
    """Build the `DeliveryError` for an unsuccessful response."""
    failure = classify_response(response)
    text = response.text[:500]
    return DeliveryError(
        f"{system} {action} failed with HTTP {response.status_code}: {text}",
        failure,
        retry_after=retry_after_seconds(response),
    )


def transport_error(system: str, action: str, exc: httpx.TransportError) -> DeliveryError:
    """Build the `DeliveryError` for a call that got no response."""
    if isinstance(exc, httpx.TimeoutException):
        # The target may have committed the write: the outcome is unknown.
        return DeliveryError(f"{system} {action} timed out: {exc}", FailureClass.TIMEOUT)
    return DeliveryError(f"{system} {action} failed: {exc!r}", FailureClass.DOWNSTREAM)
