from __future__ import annotations

import pytest

from opsconsole.errors import SignatureError
from opsconsole.wire import (
    CloudEvent,
    child_traceparent,
    sign,
    signed_headers,
    verify_signature,
)


def test_signature_round_trip() -> None:
    header = sign(b'{"a":1}', "s3cret", timestamp=1_000)
    verify_signature(b'{"a":1}', header, ["s3cret"], now=1_010)


def test_signature_accepts_either_rotated_secret() -> None:
    header = sign(b"{}", "new", timestamp=1_000)
    verify_signature(b"{}", header, ["old", "new"], now=1_000)


def test_signature_rejects_tampered_body() -> None:
    header = sign(b'{"amount":"10.00"}', "s3cret", timestamp=1_000)
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(b'{"amount":"99.00"}', header, ["s3cret"], now=1_000)


def test_signature_rejects_stale_timestamp() -> None:
    header = sign(b"{}", "s3cret", timestamp=1_000)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(b"{}", header, ["s3cret"], now=1_000 + 301)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=soon,v1=abc"])
def test_signature_rejects_malformed_header(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify_signature(b"{}", header, ["s3cret"], now=1_000)


def test_child_traceparent_keeps_trace_id() -> None:
    parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    child = child_traceparent(parent)
    assert child.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert child.split("-")[2] != "00f067aa0ba902b7"


def test_child_traceparent_starts_new_trace_for_garbage() -> None:
    assert len(child_traceparent("not-a-traceparent").split("-")[1]) == 32


def test_signed_headers_carry_correlation_and_trace() -> None:
    event = CloudEvent(
        source="/crm",
        type="crm.account.created",
        correlationid="c-1",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    body, headers = signed_headers(event, "s3cret")
    verify_signature(body, headers["X-Opsconsole-Signature"], ["s3cret"])
    assert headers["X-Correlation-ID"] == "c-1"
    assert headers["traceparent"].startswith("00-aaaa")
    assert b'"subject"' not in body
