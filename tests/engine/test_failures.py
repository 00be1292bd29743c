"""Failure classes and Retry-After handling of outbound calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from opsconsole.engine.clients.failures import (
    RETRY_AFTER_MAX_SECONDS,
    FailureClass,
    classify_response,
    retry_after_seconds,
)
from opsconsole.engine.outbox import RetryPolicy


def _response(
    status: int, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            403,
            [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "limit"}],
            FailureClass.RATE_LIMIT,
        ),
        (401, [{"errorCode": "INVALID_SESSION_ID", "message": "expired"}], FailureClass.AUTH),
        (429, {"title": "Too Many Requests"}, FailureClass.RATE_LIMIT),
        (
            400,
            {"o:errorDetails": [{"o:errorCode": "RCRD_HAS_BEEN_CHANGED"}]},
            FailureClass.CONFLICT,
        ),
        (409, None, FailureClass.CONFLICT),
        (
            400,
            [{"errorCode": "REQUIRED_FIELD_MISSING", "message": "Name"}],
            FailureClass.VALIDATION,
        ),
        (404, None, FailureClass.VALIDATION),
        (504, None, FailureClass.TIMEOUT),
        (502, None, FailureClass.DOWNSTREAM),
    ],
)
def test_response_is_classified(status: int, body: Any, expected: FailureClass) -> None:
    assert classify_response(_response(status, body)) is expected


def test_only_transient_classes_are_retryable() -> None:
    retryable = {failure for failure in FailureClass if failure.retryable}

    assert retryable == {
        FailureClass.RATE_LIMIT,
        FailureClass.CONFLICT,
        FailureClass.TIMEOUT,
        FailureClass.DOWNSTREAM,
        FailureClass.DEPENDENCY,
    }


def test_retry_after_in_seconds() -> None:
    assert retry_after_seconds(_response(429, headers={"Retry-After": "40"})) == 40.0


def test_retry_after_as_http_date() -> None:
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=40), usegmt=True)

    assert retry_after_seconds(_response(429, headers={"Retry-After": header}), now=now) == 40.0


def test_retry_after_is_clamped() -> None:
    far = _response(429, headers={"Retry-After": "86400"})

    assert retry_after_seconds(far) == RETRY_AFTER_MAX_SECONDS


def test_retry_after_garbage_is_ignored() -> None:
    assert retry_after_seconds(_response(429, headers={"Retry-After": "soon"})) is None


def test_delay_honours_retry_after_over_backoff() -> None:
    policy = RetryPolicy(max_attempts=6, base_seconds=0.5, max_seconds=60)

    assert policy.delay(1, FailureClass.RATE_LIMIT, 40.0) == 40.0
    assert policy.delay(1, FailureClass.DOWNSTREAM, None) <= 0.6


def test_dependency_never_gives_up() -> None:
    policy = RetryPolicy(max_attempts=3, base_seconds=0.5, max_seconds=60)

    assert not policy.gives_up(1000, FailureClass.DEPENDENCY)
    assert policy.gives_up(3, FailureClass.DOWNSTREAM)
    assert policy.gives_up(1, FailureClass.VALIDATION)
