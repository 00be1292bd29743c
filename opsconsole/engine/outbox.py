"""The outbox: outbound calls written with their state change, delivered later with retries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from opsconsole.engine.clients.failures import FailureClass
from opsconsole.store.atomic import insert_if_absent
from opsconsole.store.tables import DeadLetter, OutboxMessage, utcnow
from opsconsole.wire import child_traceparent

IN_FLIGHT_LEASE_SECONDS = 120.0
DEPENDENCY_MAX_DELAY_SECONDS = 30.0
UNFINISHED = ("pending", "in_flight")


@dataclass(frozen=True)
class Trace:
    """Correlation ID and W3C traceparent carried from an inbound event to its effects."""

    correlation_id: str
    traceparent: str | None
    inbox_id: int | None = None


def idempotency_key(entity_key: str, operation: str, version: object) -> str:
    """Return the deterministic key of one side effect: `<entity>:<operation>:<version>`."""
    return f"{entity_key}:{operation}:{version}"


def enqueue(
    session: Session,
    *,
    target: str,
    operation: str,
    entity_key: str,
    version: object,
    payload: dict[str, Any],
    trace: Trace,
) -> bool:
    """Add an outbound call in the caller's transaction. Returns False when the key exists."""
    row = OutboxMessage(
        target_system=target,
        operation=operation,
        entity_key=entity_key,
        idempotency_key=idempotency_key(entity_key, operation, version),
        payload=payload,
        correlation_id=trace.correlation_id,
        traceparent=child_traceparent(trace.traceparent),
        inbox_id=trace.inbox_id,
    )
    return insert_if_absent(session, row, ("idempotency_key",))


def claim_due(engine: Engine, limit: int) -> list[OutboxMessage]:
    """Lease up to `limit` due messages, skipping any entity with an earlier unfinished one.

    The lease (status in_flight until a deadline) keeps the HTTP call outside any database
    transaction. When a worker dies mid-call, its lease expires and the message is claimed again.
    """
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        statement = (
            select(OutboxMessage)
            .where(col(OutboxMessage.status).in_(UNFINISHED))
            .where(OutboxMessage.next_attempt_at <= now)
            .order_by(col(OutboxMessage.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = [row for row in session.exec(statement) if _is_next_for_entity(session, row)]
        for row in claimed:
            row.status = "in_flight"
            row.next_attempt_at = now + timedelta(seconds=IN_FLIGHT_LEASE_SECONDS)
            session.add(row)
    return claimed


def _is_next_for_entity(session: Session, row: OutboxMessage) -> bool:
    earlier = select(func.count()).where(
        OutboxMessage.entity_key == row.entity_key,
        col(OutboxMessage.status).in_(UNFINISHED),
        col(OutboxMessage.id) < row.id,
    )
    return session.exec(earlier).one() == 0


def mark_delivered(session: Session, row_id: int) -> OutboxMessage:
    """Record a successful delivery in the caller's transaction."""
    row = session.get_one(OutboxMessage, row_id)
    row.status = "done"
    row.attempts += 1
    row.delivered_at = utcnow()
    row.last_error = None
    row.failure_class = None
    session.add(row)
    return row


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between attempts and when to give up."""

    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempts: int, failure: FailureClass, retry_after: float | None) -> float:
        """Return the wait before the next attempt, honouring the target's Retry-After."""
        ceiling = self.max_seconds
        if failure is FailureClass.DEPENDENCY:
            ceiling = min(ceiling, DEPENDENCY_MAX_DELAY_SECONDS)
        growth = float(2 ** max(attempts - 1, 0))
        backoff = min(self.base_seconds * growth, ceiling)
        backoff *= random.uniform(0.8, 1.2)
        return max(backoff, retry_after or 0.0)

    def gives_up(self, attempts: int, failure: FailureClass) -> bool:
        """Tell whether a message that failed `attempts` times goes to the dead-letter queue."""
        if not failure.retryable:
            return True
        # A message waiting for an object that does not exist yet waits as long as it takes.
        return failure is not FailureClass.DEPENDENCY and attempts >= self.max_attempts


def record_failure(
    session: Session,
    row_id: int,
    failure: FailureClass,
    error: str,
    *,
    policy: RetryPolicy,
    retry_after: float | None = None,
) -> OutboxMessage:
    """Schedule a retry of a failed message, or move it to the dead-letter queue."""
    row = session.get_one(OutboxMessage, row_id)
    row.attempts += 1
    row.last_error = error[:2000]
    row.failure_class = failure.value
    if policy.gives_up(row.attempts, failure):
        row.status = "dead"
        session.add(_dead_letter_of(row))
    else:
        row.status = "pending"
        delay = policy.delay(row.attempts, failure, retry_after)
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
    session.add(row)
    return row


def _dead_letter_of(row: OutboxMessage) -> DeadLetter:
    assert row.id is not None
    return DeadLetter(
        origin="outbox",
        message_id=row.id,
        target_system=row.target_system,
        operation=row.operation,
        payload=row.payload,
        error_class=row.failure_class or FailureClass.DOWNSTREAM.value,
        error=row.last_error or "",
        attempts=row.attempts,
        correlation_id=row.correlation_id,
        traceparent=row.traceparent,
    )


def next_due(engine: Engine) -> datetime | None:
    """Return when the earliest pending message is due, or None when none is pending."""
    with Session(engine) as session:
        statement = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "pending"
        )
        return session.exec(statement).one()
