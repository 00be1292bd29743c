"""Replay of dead letters: as stored, or with an operator's edit that is diffed and audited.

A replayed outbox message becomes a new outbox message with its own idempotency key, so the
dead letter keeps its history. A replayed inbox message goes back to pending. Every replay,
dry runs included, writes an audit entry naming the actor, the edit and the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from opsconsole.engine.problems import Conflict, NotFound
from opsconsole.store.tables import (
    AuditEntry,
    DeadLetter,
    InboxMessage,
    OutboxMessage,
    utcnow,
)
from opsconsole.wire import child_traceparent


class AlreadyReplayed(Conflict):
    """A dead letter was replayed or discarded before."""


@dataclass(frozen=True)
class PayloadChange:
    """One difference between the stored payload and the edited one."""

    path: str
    old: Any
    new: Any


@dataclass
class ReplayResult:
    """Outcome of a replay: the edit it found and the message it queued (none on a dry run)."""

    dead_letter_id: int
    dry_run: bool
    changes: list[PayloadChange] = field(default_factory=list)
    message: dict[str, Any] = field(default_factory=dict)


def diff_payloads(old: Any, new: Any, path: str = "") -> list[PayloadChange]:
    """List the JSON paths where `new` differs from `old`, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[PayloadChange] = []
        for key in sorted(set(old) | set(new), key=str):
            changes += diff_payloads(old.get(key), new.get(key), f"{path}/{key}")
        return changes
    if old != new:
        return [PayloadChange(path or "/", old, new)]
    return []


def replay_dead_letter(
    session: Session,
    dead_letter_id: int,
    *,
    actor: str,
    payload: dict[str, Any] | None = None,
    dry_run: bool = False,
    reason: str | None = None,
) -> ReplayResult:
    """Queue a dead letter again, with `payload` in place of the stored one when given.

    Raises:
        NotFound: no dead letter has that id.
        AlreadyReplayed: the dead letter is not open any more.
    """
    entry = session.get(DeadLetter, dead_letter_id)
    if entry is None:
        raise NotFound(f"Dead letter {dead_letter_id} does not exist.")
    if entry.status != "open":
        raise AlreadyReplayed(f"Dead letter {dead_letter_id} is {entry.status} already.")
    new_payload = entry.payload if payload is None else payload
    result = ReplayResult(dead_letter_id, dry_run, diff_payloads(entry.payload, new_payload))
    if not dry_run:
        result.message = _requeue(session, entry, new_payload)
        entry.status = "replayed"
        session.add(entry)
    session.add(_audit(entry, actor, result, reason))
    return result


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which open dead letters a bulk replay takes; unset fields match everything."""

    error_class: str | None = None
    operation: str | None = None
    correlation_id: str | None = None
    limit: int = 100


def replay_matching(
    session: Session, selection: DeadLetterFilter, *, actor: str, dry_run: bool = False
) -> list[ReplayResult]:
    """Replay every open dead letter that matches `selection`, oldest first, as stored."""
    statement = select(DeadLetter).where(DeadLetter.status == "open")
    for column, value in (
        (DeadLetter.error_class, selection.error_class),
        (DeadLetter.operation, selection.operation),
        (DeadLetter.correlation_id, selection.correlation_id),
    ):
        if value is not None:
            statement = statement.where(column == value)
    statement = statement.order_by(col(DeadLetter.id)).limit(selection.limit)
    entry_ids = [entry.id for entry in session.exec(statement) if entry.id is not None]
    return [
        replay_dead_letter(session, entry_id, actor=actor, dry_run=dry_run, reason="bulk replay")
        for entry_id in entry_ids
    ]


def _requeue(session: Session, entry: DeadLetter, payload: dict[str, Any]) -> dict[str, Any]:
    if entry.origin == "inbox":
        message = session.get_one(InboxMessage, entry.message_id)
        message.payload = payload
        message.status = "pending"
        message.next_attempt_at = utcnow()
        session.add(message)
        return {"inbox_id": message.id, "status": message.status}
    original = session.get_one(OutboxMessage, entry.message_id)
    replayed = OutboxMessage(
        target_system=original.target_system,
        operation=original.operation,
        entity_key=original.entity_key,
        idempotency_key=f"{original.idempotency_key}:replay-{entry.id}",
        payload=payload,
        correlation_id=original.correlation_id,
        traceparent=child_traceparent(original.traceparent),
        inbox_id=original.inbox_id,
    )
    session.add(replayed)
    session.flush()
    return {"outbox_id": replayed.id, "idempotency_key": replayed.idempotency_key}


def _audit(entry: DeadLetter, actor: str, result: ReplayResult, reason: str | None) -> AuditEntry:
    return AuditEntry(
        actor=actor,
        action="dlq.replay.dry_run" if result.dry_run else "dlq.replay",
        entity=f"dlq/{entry.id}",
        detail={
            "origin": entry.origin,
            "operation": entry.operation,
            "edited": bool(result.changes),
            "changes": [change.__dict__ for change in result.changes],
            "reason": reason,
            "result": result.message,
        },
        correlation_id=entry.correlation_id,
    )
