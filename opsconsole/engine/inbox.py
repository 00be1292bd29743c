"""The inbox: every inbound event stored once by event id, before anything acts on it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from opsconsole.store.atomic import insert_if_absent
from opsconsole.store.tables import DeadLetter, InboxMessage, utcnow


@dataclass(frozen=True)
class Receipt:
    """Result of storing an inbound event: the inbox row, and whether it was seen before."""

    inbox_id: int
    duplicate: bool
    payload_differs: bool = False


def store_event(
    engine: Engine,
    envelope: dict[str, Any],
    *,
    correlation_id: str,
    traceparent: str | None,
) -> Receipt:
    """Insert the event unless its id is in the inbox already (one atomic statement).

    A duplicate changes nothing but the row's duplicate counter.
    """
    row = InboxMessage(
        event_id=envelope["id"],
        source=envelope["source"],
        type=envelope["type"],
        subject=envelope.get("subject"),
        payload=envelope,
        correlation_id=correlation_id,
        traceparent=traceparent,
    )
    with Session(engine) as session, session.begin():
        inserted = insert_if_absent(session, row, ("event_id",))
        if not inserted:
            session.execute(
                update(InboxMessage)
                .where(col(InboxMessage.event_id) == envelope["id"])
                .values(duplicates=InboxMessage.duplicates + 1)
            )
        stored_id, stored_payload = session.exec(
            select(InboxMessage.id, InboxMessage.payload).where(
                InboxMessage.event_id == envelope["id"]
            )
        ).one()
    assert stored_id is not None
    differs = not inserted and stored_payload != envelope
    return Receipt(inbox_id=stored_id, duplicate=not inserted, payload_differs=differs)


def next_pending(session: Session) -> InboxMessage | None:
    """Lock and return the oldest due inbox message, or None."""
    statement = (
        select(InboxMessage)
        .where(InboxMessage.status == "pending")
        .where(InboxMessage.next_attempt_at <= utcnow())
        .order_by(col(InboxMessage.id))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.exec(statement).first()


def finish(message: InboxMessage, status: str, note: str | None = None) -> None:
    """Mark an inbox message as handled with `status` (done, ignored or skipped_stale)."""
    message.status = status
    message.attempts += 1
    message.last_error = note
    message.processed_at = utcnow()


def postpone(message: InboxMessage, delay_seconds: float, reason: str, failure: str) -> None:
    """Leave an inbox message pending and try it again after `delay_seconds`."""
    message.attempts += 1
    message.last_error = reason
    message.failure_class = failure
    message.next_attempt_at = utcnow() + timedelta(seconds=delay_seconds)


def dead_letter(session: Session, message: InboxMessage, failure: str, error: str) -> None:
    """Mark an inbox message failed and keep it in the dead-letter queue for replay."""
    assert message.id is not None
    finish(message, "failed", error[:2000])
    message.failure_class = failure
    session.add(
        DeadLetter(
            origin="inbox",
            message_id=message.id,
            operation=message.type,
            payload=message.payload,
            error_class=failure,
            error=error[:2000],
            attempts=message.attempts,
            correlation_id=message.correlation_id,
            traceparent=message.traceparent,
        )
    )
