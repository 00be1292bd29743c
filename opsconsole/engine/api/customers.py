"""System API for customers: `/api/v1/customers`, every write idempotent by Idempotency-Key."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field
from sqlmodel import Session

from opsconsole import wire
from opsconsole.engine import idempotency, identity
from opsconsole.engine.canonical import customer as canonical
from opsconsole.engine.flows import CUSTOMER, ERP_CUSTOMER_UPSERT
from opsconsole.engine.idempotency import StoredResponse
from opsconsole.engine.identity import CRM, ERP
from opsconsole.engine.mapping import erp as erp_mapping
from opsconsole.engine.outbox import Trace, enqueue
from opsconsole.engine.problems import NotFound, problem_responses
from opsconsole.engine.state import EngineState, engine_state
from opsconsole.errors import SystemOfRecordError
from opsconsole.store.tables import CustomerState, utcnow

router = APIRouter(prefix="/api/v1/customers", tags=["customers"])

API = "api"
_KEY_HEADER = Header(
    default=None,
    alias=wire.IDEMPOTENCY_HEADER,
    max_length=255,
    description="Client-chosen key. A retry with the same key and body replays the response.",
)
_CORRELATION = Header(default=None, alias=wire.CORRELATION_HEADER)
_TRACEPARENT = Header(default=None, alias=wire.TRACEPARENT_HEADER)


class CustomerCreate(canonical.CustomerChange):
    """Body of a customer create: a change whose name is required."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)


class CustomerView(canonical.Customer):
    """A canonical customer with the ID each system knows it by (null: not linked yet)."""

    links: dict[str, str | None]


@router.post(
    "", status_code=201, response_model=CustomerView, responses=problem_responses(400, 422)
)
def create_customer(
    body: CustomerCreate,
    key: str | None = _KEY_HEADER,
    correlation_id: str | None = _CORRELATION,
    traceparent: str | None = _TRACEPARENT,
    state: EngineState = Depends(engine_state),
) -> JSONResponse:
    """Create a canonical customer and queue its upsert into the ERP."""
    trace = _trace(correlation_id, traceparent)

    def work(session: Session) -> StoredResponse:
        customer_id = str(uuid.uuid4())
        document = _save(session, state, customer_id, body.present_fields(), version=1)
        _queue_erp_upsert(session, customer_id, customer_id, document, 1, trace)
        return StoredResponse(201, _view(session, document))

    payload = body.model_dump(mode="json", exclude_unset=True)
    return idempotency.run(
        state.engine, "POST /api/v1/customers", key, payload, trace.correlation_id, work
    )


@router.patch(
    "/{customer_id}", response_model=CustomerView, responses=problem_responses(400, 404, 409, 422)
)
def update_customer(
    body: canonical.CustomerChange,
    customer_id: str = Path(description="Canonical customer ID."),
    key: str | None = _KEY_HEADER,
    correlation_id: str | None = _CORRELATION,
    traceparent: str | None = _TRACEPARENT,
    state: EngineState = Depends(engine_state),
) -> JSONResponse:
    """Change fields of a customer the API owns: absent keeps, null clears, "" empties."""
    trace = _trace(correlation_id, traceparent)

    def work(session: Session) -> StoredResponse:
        stored = _owned_by_api(session, customer_id)
        merged = canonical.apply_change(stored.data, body)
        version = stored.version + 1
        document = _save(session, state, customer_id, merged, version=version)
        _queue_erp_upsert(session, customer_id, customer_id, document, version, trace)
        return StoredResponse(200, _view(session, document))

    payload = body.model_dump(mode="json", exclude_unset=True)
    scope = f"PATCH /api/v1/customers/{customer_id}"
    return idempotency.run(state.engine, scope, key, payload, trace.correlation_id, work)


@router.get(
    "/{customer_id}",
    response_model=CustomerView,
    response_model_exclude_unset=True,
    responses=problem_responses(404, 422),
)
def get_customer(
    customer_id: str = Path(description="Canonical customer ID."),
    state: EngineState = Depends(engine_state),
) -> dict[str, Any]:
    """Return a canonical customer with the IDs the CRM and ERP know it by."""
    with Session(state.engine) as session:
        stored = session.get(CustomerState, customer_id)
        if stored is None:
            raise NotFound(f"Customer {customer_id!r} does not exist.")
        return _view(session, _document(stored))


def _trace(correlation_id: str | None, traceparent: str | None) -> Trace:
    return Trace(correlation_id or wire.new_correlation_id(), wire.child_traceparent(traceparent))


def _owned_by_api(session: Session, customer_id: str) -> CustomerState:
    stored = session.get(CustomerState, customer_id)
    if stored is None:
        raise NotFound(f"Customer {customer_id!r} does not exist.")
    crm_id = identity.system_id_for(session, CUSTOMER, customer_id, CRM)
    if crm_id is not None:
        raise SystemOfRecordError(
            f"Customer {customer_id} is owned by the CRM (Account {crm_id}). "
            "Change it in the CRM, and the engine copies the change to the ERP."
        )
    return stored


def _save(
    session: Session, state: EngineState, customer_id: str, data: dict[str, Any], *, version: int
) -> dict[str, Any]:
    document = {**data, "id": customer_id, "source_system": API, "source_id": customer_id}
    document["version"] = version
    state.schemas.validate(canonical.SCHEMA_ID, document)
    stored = session.get(CustomerState, customer_id) or CustomerState(canonical_id=customer_id)
    stored.data = data
    stored.version = version
    stored.updated_at = utcnow()
    session.add(stored)
    return document


def _queue_erp_upsert(
    session: Session,
    customer_id: str,
    external_id: str,
    document: dict[str, Any],
    version: int,
    trace: Trace,
) -> None:
    data = {key: value for key, value in document.items() if key in _CUSTOMER_FIELDS}
    enqueue(
        session,
        target=ERP,
        operation=ERP_CUSTOMER_UPSERT,
        entity_key=f"{CUSTOMER}:{customer_id}",
        version=version,
        payload={
            "customer_id": customer_id,
            "external_id": external_id,
            "body": erp_mapping.customer_to_erp(data),
        },
        trace=trace,
    )


_CUSTOMER_FIELDS = frozenset(canonical.CustomerChange.model_fields)


def _document(stored: CustomerState) -> dict[str, Any]:
    return {
        **stored.data,
        "id": stored.canonical_id,
        "source_system": API,
        "source_id": stored.canonical_id,
        "version": stored.version,
    }


def _view(session: Session, document: dict[str, Any]) -> dict[str, Any]:
    links = {
        system: identity.system_id_for(session, CUSTOMER, document["id"], system)
        for system in (CRM, ERP)
    }
    return {**document, "links": links}
