"""The ops API the console reads: cross-references, message trails, dead letters, stats."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from opsconsole.engine import idempotency, identity
from opsconsole.engine.idempotency import StoredResponse
from opsconsole.engine.problems import NotFound, problem_responses
from opsconsole.engine.replay import DeadLetterFilter, replay_dead_letter, replay_matching
from opsconsole.engine.state import EngineState, engine_state
from opsconsole.store.tables import (
    AuditEntry,
    CrossReference,
    DeadLetter,
    InboxMessage,
    OutboxMessage,
)
from opsconsole.wire import CORRELATION_HEADER, IDEMPOTENCY_HEADER, new_correlation_id

router = APIRouter(prefix="/ops", tags=["ops"])

# Larger offsets and IDs overflow the store's INTEGER columns and can never match a row anyway.
MAX_OFFSET = 2**31 - 1
MAX_PAGE = 500

_INVALID = problem_responses(422)


class XrefLink(BaseModel):
    """One system's ID of a canonical object."""

    system: str
    object: str
    id: str


class Xref(BaseModel):
    """A canonical object and every system ID linked to it."""

    canonical_id: str
    object: str
    links: list[XrefLink]


class _Message(BaseModel):
    """Fields the inbox and outbox share."""

    id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    failure_class: str | None
    correlation_id: str
    traceparent: str | None


class InboxEntry(_Message):
    """An inbound event as the inbox holds it, without its payload."""

    event_id: str
    source: str
    type: str
    subject: str | None
    duplicates: int
    received_at: datetime
    processed_at: datetime | None


class OutboxEntry(_Message):
    """An outbound call to a target system and its delivery state."""

    target_system: str
    operation: str
    entity_key: str
    idempotency_key: str
    payload: dict[str, Any]
    inbox_id: int | None
    created_at: datetime
    delivered_at: datetime | None


class MessageTrail(BaseModel):
    """Inbox and outbox messages of one correlation ID, oldest first."""

    correlation_id: str
    inbox: list[InboxEntry]
    outbox: list[OutboxEntry]


class DeadLetterEntry(BaseModel):
    """A message that is no longer retried, with what is needed to replay it."""

    id: int
    origin: str
    message_id: int
    target_system: str | None
    operation: str
    payload: dict[str, Any]
    error_class: str
    error: str
    attempts: int
    correlation_id: str
    traceparent: str | None
    status: str
    created_at: datetime


class DeadLetterPage(BaseModel):
    """One page of dead letters and how many match in total."""

    total: int
    items: list[DeadLetterEntry]


class PayloadEdit(BaseModel):
    """One difference between a stored payload and the edited one."""

    path: str
    old: Any
    new: Any


class ReplayOutcome(BaseModel):
    """What a replay changed and the message it queued (empty on a dry run)."""

    dead_letter_id: int
    dry_run: bool
    changes: list[PayloadEdit]
    message: dict[str, Any]


class BulkReplayOutcome(BaseModel):
    """The dead letters a bulk replay requeued (or would requeue, on a dry run)."""

    dry_run: bool
    replayed: list[int]


class AuditRecord(BaseModel):
    """Who did what to which record, and with what result."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    detail: dict[str, Any]
    correlation_id: str | None


class AuditPage(BaseModel):
    """One page of audit entries, newest first."""

    items: list[AuditRecord]


class Stats(BaseModel):
    """Message counts by status, open dead letters, ignored duplicates and xref counts."""

    inbox: dict[str, int]
    outbox: dict[str, int]
    dlq: int
    duplicates_ignored: int
    xref: dict[str, int]


@router.get("/xref", response_model=Xref, responses=problem_responses(404, 422))
def get_xref(
    system: Literal["crm", "erp"] = Query(description="System that issued the ID."),
    object: Literal["customer", "sales_order", "invoice"] = Query(description="Object type."),
    id: str = Query(min_length=1, description="The system's ID of the object."),
    state: EngineState = Depends(engine_state),
) -> dict[str, Any]:
    """Return the canonical ID of an object and every system ID linked to it."""
    with Session(state.engine) as session:
        canonical_id = identity.resolve(session, object, system, id)
        if canonical_id is None:
            raise NotFound(f"No cross-reference for {system} {object} {id!r}.")
        links = session.exec(
            select(CrossReference).where(CrossReference.canonical_id == canonical_id)
        ).all()
    return {
        "canonical_id": canonical_id,
        "object": object,
        "links": [
            {"system": link.system, "object": link.object_type, "id": link.system_id}
            for link in links
        ],
    }


@router.get("/messages", response_model=MessageTrail, responses=_INVALID)
def get_messages(
    correlation_id: str = Query(min_length=1, description="Correlation ID to trace."),
    state: EngineState = Depends(engine_state),
) -> dict[str, Any]:
    """Return the inbox and outbox messages of one correlation ID, oldest first."""
    with Session(state.engine) as session:
        inbound = session.exec(
            select(InboxMessage)
            .where(InboxMessage.correlation_id == correlation_id)
            .order_by(col(InboxMessage.id))
        ).all()
        outbound = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.correlation_id == correlation_id)
            .order_by(col(OutboxMessage.id))
        ).all()
    return {
        "correlation_id": correlation_id,
        "inbox": [_inbox_view(message) for message in inbound],
        "outbox": [_outbox_view(message) for message in outbound],
    }


def _inbox_view(message: InboxMessage) -> dict[str, Any]:
    return message.model_dump(mode="json", exclude={"payload"})


def _outbox_view(message: OutboxMessage) -> dict[str, Any]:
    return message.model_dump(mode="json")


@router.get("/dlq", response_model=DeadLetterPage, responses=_INVALID)
def get_dead_letters(
    status: str = Query(default="open", description="open, replayed or discarded."),
    correlation_id: str | None = Query(default=None),
    limit: int = Query(default=100, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    state: EngineState = Depends(engine_state),
) -> dict[str, Any]:
    """Return a page of dead-letter entries, newest first."""
    statement = select(DeadLetter).where(DeadLetter.status == status)
    if correlation_id:
        statement = statement.where(DeadLetter.correlation_id == correlation_id)
    with Session(state.engine) as session:
        total = session.exec(select(func.count()).select_from(statement.subquery())).one()
        page = session.exec(
            statement.order_by(col(DeadLetter.id).desc()).offset(offset).limit(limit)
        ).all()
    return {"total": total, "items": [entry.model_dump(mode="json") for entry in page]}


class ReplayRequest(BaseModel):
    """How to replay a dead letter."""

    payload: dict[str, Any] | None = Field(
        default=None, description="Edited payload to send instead of the stored one."
    )
    dry_run: bool = Field(default=False, description="Report the edit, change nothing.")
    reason: str | None = Field(default=None, max_length=500, description="Why, for the audit.")


@router.post(
    "/dlq/{dead_letter_id}/replay",
    response_model=ReplayOutcome,
    responses=problem_responses(400, 404, 409, 422),
)
def replay(
    dead_letter_id: int = Path(ge=1, le=MAX_OFFSET),
    request: ReplayRequest = Body(default_factory=ReplayRequest),
    actor: str = Header(default="ops-api", alias="X-Opsconsole-Actor", max_length=200),
    key: str | None = Header(default=None, alias=IDEMPOTENCY_HEADER, max_length=255),
    correlation_id: str | None = Header(default=None, alias=CORRELATION_HEADER),
    state: EngineState = Depends(engine_state),
) -> JSONResponse:
    """Replay one dead letter as stored or edited; every replay is audited."""

    def work(session: Session) -> StoredResponse:
        result = replay_dead_letter(
            session,
            dead_letter_id,
            actor=actor,
            payload=request.payload,
            dry_run=request.dry_run,
            reason=request.reason,
        )
        body = {
            "dead_letter_id": result.dead_letter_id,
            "dry_run": result.dry_run,
            "changes": [change.__dict__ for change in result.changes],
            "message": result.message,
        }
        return StoredResponse(200, body)

    scope = f"POST /ops/dlq/{dead_letter_id}/replay"
    payload = request.model_dump(mode="json")
    return idempotency.run(
        state.engine, scope, key, payload, correlation_id or new_correlation_id(), work
    )


class BulkReplayRequest(BaseModel):
    """Which open dead letters to replay as stored; unset filters match everything."""

    error_class: str | None = None
    operation: str | None = None
    correlation_id: str | None = None
    limit: int = Field(default=100, ge=1, le=MAX_PAGE)
    dry_run: bool = False


@router.post("/dlq/replay", response_model=BulkReplayOutcome, responses=problem_responses(400, 422))
def replay_bulk(
    request: BulkReplayRequest,
    actor: str = Header(default="ops-api", alias="X-Opsconsole-Actor", max_length=200),
    key: str | None = Header(default=None, alias=IDEMPOTENCY_HEADER, max_length=255),
    correlation_id: str | None = Header(default=None, alias=CORRELATION_HEADER),
    state: EngineState = Depends(engine_state),
) -> JSONResponse:
    """Replay every open dead letter that matches the filter, each one audited."""
    selection = DeadLetterFilter(
        request.error_class, request.operation, request.correlation_id, request.limit
    )

    def work(session: Session) -> StoredResponse:
        results = replay_matching(session, selection, actor=actor, dry_run=request.dry_run)
        body = {
            "dry_run": request.dry_run,
            "replayed": [result.dead_letter_id for result in results],
        }
        return StoredResponse(200, body)

    payload = request.model_dump(mode="json")
    return idempotency.run(
        state.engine,
        "POST /ops/dlq/replay",
        key,
        payload,
        correlation_id or new_correlation_id(),
        work,
    )


@router.get("/audit", response_model=AuditPage, responses=_INVALID)
def get_audit(
    entity: str | None = Query(default=None, description="e.g. dlq/12"),
    limit: int = Query(default=100, ge=1, le=MAX_PAGE),
    offset: int = Query(default=0, ge=0, le=MAX_OFFSET),
    state: EngineState = Depends(engine_state),
) -> dict[str, Any]:
    """Return a page of audit entries, newest first."""
    statement = select(AuditEntry)
    if entity:
        statement = statement.where(AuditEntry.entity == entity)
    with Session(state.engine) as session:
        page = session.exec(
            statement.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit)
        ).all()
    return {"items": [entry.model_dump(mode="json") for entry in page]}


@router.get("/stats", response_model=Stats)
def get_stats(state: EngineState = Depends(engine_state)) -> dict[str, Any]:
    """Return message counts by status, dead letters, ignored duplicates and xref counts."""
    with Session(state.engine) as session:
        return collect_stats(session)


def collect_stats(session: Session) -> dict[str, Any]:
    """Count inbox and outbox messages by status, open dead letters and cross-references."""
    return {
        "inbox": _count_by(session, InboxMessage, InboxMessage.status),
        "outbox": _count_by(session, OutboxMessage, OutboxMessage.status),
        "dlq": session.exec(select(func.count()).where(DeadLetter.status == "open")).one(),
        "duplicates_ignored": session.exec(
            select(func.coalesce(func.sum(InboxMessage.duplicates), 0))
        ).one(),
        "xref": _count_by(
            session, CrossReference, CrossReference.object_type, CrossReference.system
        ),
    }


def _count_by(session: Session, table: Any, *columns: Any) -> dict[str, int]:
    statement = sa_select(*columns, func.count()).select_from(table).group_by(*columns)
    rows = session.execute(statement).all()
    return {".".join(str(part) for part in row[:-1]): int(row[-1]) for row in rows}
