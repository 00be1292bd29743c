"""Event intake: `POST /webhooks/crm` and `POST /events/erp`.

Each request is verified (HMAC), validated (CloudEvents envelope and payload schema) and
stored in the inbox with one atomic insert-if-absent; the worker acts on it later.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from opsconsole import wire
from opsconsole.engine import identity, inbox
from opsconsole.engine.canonical.schemas import SCHEMA_BASE
from opsconsole.engine.logs import get_logger
from opsconsole.engine.problems import problem_responses
from opsconsole.engine.state import EngineState, engine_state
from opsconsole.errors import FieldError, SignatureError, ValidationError

router = APIRouter(tags=["events"])
log = get_logger()

ENVELOPE_SCHEMA = SCHEMA_BASE + "cloudevent.v1.json"
CRM_DATA_SCHEMA = SCHEMA_BASE + "crm-record-change.v1.json"
ERP_DATA_SCHEMA = SCHEMA_BASE + "erp-record-event.v1.json"


class EventAccepted(BaseModel):
    """The event is stored in the inbox; the worker acts on it later."""

    accepted: bool
    event_id: str
    inbox_id: int


class EventDuplicate(BaseModel):
    """An event with this id was stored before; this copy is ignored."""

    duplicate: bool
    event_id: str
    inbox_id: int


def _intake_openapi(system: str) -> dict[str, Any]:
    """Describe the signed CloudEvent body and header that FastAPI cannot see in the route."""
    data_schema = CRM_DATA_SCHEMA if system == "crm" else ERP_DATA_SCHEMA
    body_schema = {
        "type": "object",
        "description": f"A CloudEvents 1.0 envelope in structured JSON mode ({ENVELOPE_SCHEMA}) "
        f"with a {system}.* type and data per {data_schema}.",
        "required": ["specversion", "id", "source", "type", "data"],
    }
    signature = {
        "name": wire.SIGNATURE_HEADER,
        "in": "header",
        "required": True,
        "description": "HMAC-SHA256 of the raw body with a shared secret (see opsconsole.wire).",
        "schema": {"type": "string"},
    }
    return {
        "parameters": [signature],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
    }


_INTAKE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": EventDuplicate, "description": "A repeated event id, ignored."},
    **problem_responses(401, 413, 422),
}

# An event is one record change; a body this large is a fault upstream, not a bigger record.
MAX_EVENT_BYTES = 1024 * 1024


@router.post(
    "/webhooks/crm",
    status_code=202,
    response_model=EventAccepted,
    responses=_INTAKE_RESPONSES,
    openapi_extra=_intake_openapi("crm"),
)
async def receive_crm_event(
    request: Request, state: EngineState = Depends(engine_state)
) -> JSONResponse:
    """Accept a signed CloudEvent from the CRM."""
    return await _receive(request, state, "crm", state.settings.crm_webhook_secrets)


@router.post(
    "/events/erp",
    status_code=202,
    response_model=EventAccepted,
    responses=_INTAKE_RESPONSES,
    openapi_extra=_intake_openapi("erp"),
)
async def receive_erp_event(
    request: Request, state: EngineState = Depends(engine_state)
) -> JSONResponse:
    """Accept a signed CloudEvent from the ERP."""
    return await _receive(request, state, "erp", state.settings.erp_event_secrets)


async def _receive(
    request: Request, state: EngineState, system: str, secrets: list[str]
) -> JSONResponse:
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        state.metrics.events_received.labels(system, "too_large").inc()
        raise HTTPException(
            413,
            f"The event is {len(body)} bytes; this endpoint accepts at most {MAX_EVENT_BYTES} "
            "bytes. Send one record change per event.",
        )
    try:
        wire.verify_signature(body, request.headers.get(wire.SIGNATURE_HEADER), secrets)
    except SignatureError:
        state.metrics.events_received.labels(system, "rejected_signature").inc()
        raise
    envelope = _parse_envelope(body, state, system)
    correlation_id = (
        envelope.get("correlationid")
        or request.headers.get(wire.CORRELATION_HEADER)
        or wire.new_correlation_id()
    )
    traceparent = envelope.get("traceparent") or request.headers.get(wire.TRACEPARENT_HEADER)
    receipt = await run_in_threadpool(
        inbox.store_event,
        state.engine,
        envelope,
        correlation_id=correlation_id,
        traceparent=traceparent or wire.new_traceparent(),
    )
    return _answer(state, system, envelope, receipt, correlation_id)


def _answer(
    state: EngineState,
    system: str,
    envelope: dict[str, Any],
    receipt: inbox.Receipt,
    correlation_id: str,
) -> JSONResponse:
    bound = log.bind(correlation_id=correlation_id, event_id=envelope["id"], system=system)
    headers = {wire.CORRELATION_HEADER: correlation_id}
    if receipt.duplicate:
        state.metrics.events_received.labels(system, "duplicate").inc()
        if receipt.payload_differs:
            # Same id, other content: the sender reused an id. The first version stays applied.
            bound.warning(
                "duplicate event id with a different payload ignored; the first one is kept",
                event_type=envelope["type"],
                inbox_id=receipt.inbox_id,
            )
        else:
            bound.info("duplicate event ignored", event_type=envelope["type"])
        body = {"duplicate": True, "event_id": envelope["id"], "inbox_id": receipt.inbox_id}
        return JSONResponse(body, status_code=200, headers=headers)
    state.metrics.events_received.labels(system, "accepted").inc()
    bound.info("event accepted", event_type=envelope["type"], inbox_id=receipt.inbox_id)
    body = {"accepted": True, "event_id": envelope["id"], "inbox_id": receipt.inbox_id}
    return JSONResponse(body, status_code=202, headers=headers)


def _parse_envelope(body: bytes, state: EngineState, system: str) -> dict[str, Any]:
    try:
        envelope = json.loads(body)
    except (ValueError, RecursionError) as exc:
        state.metrics.events_received.labels(system, "invalid").inc()
        raise ValidationError(
            "The body is not valid JSON. Send a CloudEvent in structured JSON mode.",
            [FieldError("/", f"not JSON: {exc}")],
        ) from exc
    errors = _envelope_errors(envelope, state, system)
    if errors:
        state.metrics.events_received.labels(system, "invalid").inc()
        raise ValidationError("The event is not a valid CloudEvent for this endpoint.", errors)
    assert isinstance(envelope, dict)
    return envelope


def _envelope_errors(envelope: Any, state: EngineState, system: str) -> list[FieldError]:
    errors = state.schemas.field_errors(ENVELOPE_SCHEMA, envelope)
    if errors or not isinstance(envelope, dict):
        return errors or [FieldError("/", "expected a JSON object")]
    if not str(envelope["type"]).startswith(f"{system}."):
        errors.append(FieldError("/type", f"expected a {system}.* event type on this endpoint"))
    data_schema = CRM_DATA_SCHEMA if system == "crm" else ERP_DATA_SCHEMA
    for error in state.schemas.field_errors(data_schema, envelope.get("data")):
        errors.append(FieldError("/data" + error.path.rstrip("/"), error.message, error.rule))
    if system == "crm" and not errors:
        errors.extend(_crm_id_errors(envelope["data"]))
    return errors


def _crm_id_errors(data: dict[str, Any]) -> list[FieldError]:
    # Reject a malformed ID here, so it never becomes "not found" and a duplicate later.
    errors = []
    for field in ("id", "lastModifiedById"):
        value = data.get(field)
        if value is None:
            continue
        try:
            identity.to_18(value)
        except identity.MalformedSalesforceId as exc:
            errors.append(FieldError(f"/data/{field}", str(exc)))
    return errors
