"""What travels between the engine and the systems around it.

The CRM and ERP sandboxes (and real adapters) deliver state changes to the engine as
CloudEvents 1.0 in structured JSON mode, signed with HMAC-SHA256 over the timestamp and the
raw body. The header format follows the common ``t=<unix>,v1=<hex>`` convention so that
two secrets can be valid at once while one is rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opsconsole.errors import SignatureError

SIGNATURE_HEADER = "X-Opsconsole-Signature"
CORRELATION_HEADER = "X-Correlation-ID"
TRACEPARENT_HEADER = "traceparent"
IDEMPOTENCY_HEADER = "Idempotency-Key"

SIGNATURE_TOLERANCE_SECONDS = 300

DEFAULT_HOST = "127.0.0.1"
DEFAULT_ENGINE_PORT = 8400
DEFAULT_CRM_PORT = 8401
DEFAULT_ERP_PORT = 8402
DEFAULT_BROKER_PORT = 8410

# Standard event names: <system>.<object>.<what happened>. Payload versions travel in
# `dataschema`, so a name never changes when its payload gains a version.
CRM_ACCOUNT_CREATED = "crm.account.created"
CRM_ACCOUNT_UPDATED = "crm.account.updated"
CRM_ACCOUNT_DELETED = "crm.account.deleted"
CRM_ORDER_CREATED = "crm.order.created"
CRM_ORDER_UPDATED = "crm.order.updated"
CRM_ORDER_DELETED = "crm.order.deleted"
ERP_CUSTOMER_CREATED = "erp.customer.created"
ERP_CUSTOMER_UPDATED = "erp.customer.updated"
ERP_SALES_ORDER_ACCEPTED = "erp.salesorder.accepted"
ERP_SALES_ORDER_FULFILLED = "erp.salesorder.fulfilled"
ERP_INVOICE_CREATED = "erp.invoice.created"

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event in structured JSON mode, with our two extension attributes."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str | None = None
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    correlationid: str | None = None
    traceparent: str | None = None

    def to_json_bytes(self) -> bytes:
        """Serialise the event as compact JSON, leaving out attributes that are unset."""
        return self.model_dump_json(exclude_none=True).encode()


def new_correlation_id() -> str:
    """Return a fresh correlation ID."""
    return str(uuid.uuid4())


def new_traceparent(trace_id: str | None = None) -> str:
    """Return a W3C traceparent with a new span ID, continuing `trace_id` when given."""
    trace = trace_id or secrets.token_hex(16)
    return f"00-{trace}-{secrets.token_hex(8)}-01"


def child_traceparent(parent: str | None) -> str:
    """Return a traceparent for a new span in the same trace as `parent`.

    An absent or malformed parent starts a new trace, as the W3C spec requires.
    """
    match = _TRACEPARENT.match(parent or "")
    if match is None:
        return new_traceparent()
    return new_traceparent(match.group(1))


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """Return the signature header value for `body` signed with `secret`."""
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def verify_signature(
    body: bytes,
    header: str | None,
    secrets_: Iterable[str],
    *,
    now: int | None = None,
    tolerance: int = SIGNATURE_TOLERANCE_SECONDS,
) -> None:
    """Check a signature header against every currently valid secret.

    Raises:
        SignatureError: the header is missing or malformed, its timestamp is outside the
            tolerance, or no secret produces its digest.
    """
    if not header:
        raise SignatureError(f"Missing {SIGNATURE_HEADER} header. Sign the body with HMAC-SHA256.")

    parts = _parse_signature_header(header)
    ts_text = parts.get("t", [""])[0]
    if not ts_text.isdigit():
        raise SignatureError(f"{SIGNATURE_HEADER} has no valid t= timestamp: {header!r}.")
    ts = int(ts_text)
    current = int(time.time()) if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureError(
            f"{SIGNATURE_HEADER} timestamp {ts} is {abs(current - ts)} s away from now; "
            f"the tolerance is {tolerance} s. Check the sender's clock or resend."
        )

    signed = f"{ts}.".encode() + body
    for secret in secrets_:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, given) for given in parts.get("v1", [])):
            return
    raise SignatureError(f"{SIGNATURE_HEADER} does not match any configured secret.")


def _parse_signature_header(header: str) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    return parts


def signed_headers(
    event: CloudEvent, secret: str, extra: Mapping[str, str] | None = None
) -> tuple[bytes, dict[str, str]]:
    """Return the body and headers to POST `event` to the engine."""
    body = event.to_json_bytes()
    headers = {
        "Content-Type": "application/cloudevents+json",
        SIGNATURE_HEADER: sign(body, secret),
    }
    if event.correlationid:
        headers[CORRELATION_HEADER] = event.correlationid
    if event.traceparent:
        headers[TRACEPARENT_HEADER] = event.traceparent
    headers.update(extra or {})
    return body, headers


def canonical_json(value: Any) -> bytes:
    """Serialise `value` with sorted keys and no spaces, for hashing request bodies."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()
