"""The background worker: handle inbox messages, then deliver due outbox messages."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from opsconsole.engine import inbox, outbox
from opsconsole.engine.clients.failures import DeliveryError, FailureClass
from opsconsole.engine.deliveries import Delivery, Systems, deliver
from opsconsole.engine.flows import DependencyMissing, FlowContext, handle_event
from opsconsole.engine.logs import get_logger
from opsconsole.engine.metrics import EngineMetrics
from opsconsole.engine.outbox import RetryPolicy, Trace
from opsconsole.errors import IdentityError, ValidationError
from opsconsole.store.db import transaction
from opsconsole.store.tables import OutboxMessage

log = get_logger()

INBOX_BATCH = 50
OUTBOX_BATCH = 20


@dataclass
class Worker:
    """Moves messages through the inbox and the outbox. `run_once` is one pass over both."""

    engine: Engine
    systems: Systems
    context: FlowContext
    policy: RetryPolicy
    metrics: EngineMetrics

    def run_once(self) -> int:
        """Handle due inbox messages, deliver due outbox messages, and return how many."""
        return self.process_inbox() + self.deliver_outbox()

    def run_until_stopped(self, stop: threading.Event, poll_seconds: float) -> None:
        """Run passes until `stop` is set, sleeping `poll_seconds` after a pass with no work."""
        log.info("worker started")
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                # A failing database must not end the worker, so the next pass tries again.
                log.exception("worker pass failed")
                busy = 0
            if not busy:
                stop.wait(poll_seconds)
        log.info("worker stopped")

    def process_inbox(self, limit: int = INBOX_BATCH) -> int:
        """Handle up to `limit` due inbox messages, each in its own transaction."""
        for handled in range(limit):
            if not self._process_next():
                return handled
        return limit

    def _process_next(self) -> bool:
        with transaction(self.engine) as session:
            message = inbox.next_pending(session)
            if message is None:
                return False
            trace = Trace(message.correlation_id, message.traceparent, message.id)
            bound = log.bind(
                correlation_id=message.correlation_id,
                event_id=message.event_id,
                event_type=message.type,
            )
            try:
                with session.begin_nested():
                    outcome = handle_event(session, message.payload, trace, self.context)
            except DependencyMissing as exc:
                delay = self.policy.delay(message.attempts + 1, FailureClass.DEPENDENCY, None)
                inbox.postpone(message, delay, str(exc), FailureClass.DEPENDENCY.value)
                bound.info("event waits for a dependency", reason=str(exc), retry_in=delay)
                outcome_name = "waiting"
            except DeliveryError as exc:
                delay = self.policy.delay(message.attempts + 1, exc.failure_class_enum, None)
                inbox.postpone(message, delay, str(exc), exc.failure_class)
                bound.warning("event postponed", error=str(exc), retry_in=delay)
                outcome_name = "postponed"
            except (IntegrityError, OperationalError) as exc:
                # Another worker wrote the same entity first; the savepoint is rolled back.
                delay = self.policy.delay(message.attempts + 1, FailureClass.CONFLICT, None)
                inbox.postpone(message, delay, str(exc.orig), FailureClass.CONFLICT.value)
                bound.warning("event postponed after a write conflict", error=str(exc.orig))
                outcome_name = "postponed"
            except (ValidationError, IdentityError) as exc:
                inbox.dead_letter(session, message, FailureClass.MAPPING.value, _describe(exc))
                bound.warning("event dead-lettered", error=_describe(exc))
                outcome_name = "failed"
            except Exception as exc:
                inbox.dead_letter(session, message, FailureClass.MAPPING.value, repr(exc))
                bound.exception("event handler raised")
                outcome_name = "failed"
            else:
                inbox.finish(message, outcome.status, outcome.note)
                bound.info("event handled", outcome=outcome.status, note=outcome.note)
                outcome_name = outcome.status
            session.add(message)
        self.metrics.events_handled.labels(message.type, outcome_name).inc()
        return True

    def deliver_outbox(self, limit: int = OUTBOX_BATCH) -> int:
        """Deliver up to `limit` due outbox messages, one entity's messages in order."""
        claimed = outbox.claim_due(self.engine, limit)
        for message in claimed:
            self._deliver(message)
        return len(claimed)

    def _deliver(self, message: OutboxMessage) -> None:
        assert message.id is not None
        bound = log.bind(
            correlation_id=message.correlation_id,
            operation=message.operation,
            idempotency_key=message.idempotency_key,
        )
        labels = (message.target_system, message.operation)
        try:
            deliver(Delivery(self.engine, message, self.systems, self.context.schemas))
        except DeliveryError as exc:
            self._fail(message, exc.failure_class_enum, str(exc), exc.retry_after, bound)
        except (ValidationError, IdentityError) as exc:
            self._fail(message, FailureClass.MAPPING, _describe(exc), None, bound)
        except Exception as exc:
            bound.exception("delivery raised")
            self._fail(message, FailureClass.MAPPING, repr(exc), None, bound)
        else:
            self.metrics.deliveries.labels(*labels, "delivered").inc()
            bound.info("message delivered", attempts=message.attempts + 1)

    def _fail(
        self,
        message: OutboxMessage,
        failure: FailureClass,
        error: str,
        retry_after: float | None,
        bound: Any,
    ) -> None:
        assert message.id is not None
        with transaction(self.engine) as session:
            row = outbox.record_failure(
                session, message.id, failure, error, policy=self.policy, retry_after=retry_after
            )
        result = "dead_lettered" if row.status == "dead" else "retry"
        self.metrics.deliveries.labels(message.target_system, message.operation, result).inc()
        bound.warning(
            "delivery failed",
            failure_class=failure.value,
            attempts=row.attempts,
            result=result,
            retry_after=retry_after,
            error=error,
        )


def _describe(exc: ValidationError | IdentityError) -> str:
    if isinstance(exc, ValidationError) and exc.errors:
        fields = "; ".join(f"{error.path}: {error.message}" for error in exc.errors)
        return f"{exc} {fields}"
    return str(exc)
