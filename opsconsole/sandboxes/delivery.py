"""Asynchronous delivery of signed CloudEvents from a sandbox to the engine.

A write in a sandbox only puts its event on a queue. One background thread sends the events
in order, retrying connection failures, 429 and 5xx responses with exponential backoff up to a
bounded number of attempts. A slow or absent engine therefore never blocks or fails a write.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from opsconsole.wire import CloudEvent, signed_headers

log = logging.getLogger("opsconsole.sandboxes.delivery")

Outcome = Literal["delivered", "rejected", "failed", "abandoned"]

_RECENT_LIMIT = 200


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one event is sent before it counts as failed."""

    max_attempts: int = 8
    initial_backoff_seconds: float = 0.1
    max_backoff_seconds: float = 5.0
    timeout_seconds: float = 5.0

    def backoff(self, attempt: int) -> float:
        """Return the wait in seconds after failed attempt number `attempt` (from 1)."""
        delay = self.initial_backoff_seconds * 2.0 ** (attempt - 1)
        return min(delay, self.max_backoff_seconds)


class DeliveryRecord(BaseModel):
    """The delivery outcome of one event."""

    event_id: str
    type: str
    subject: str | None
    attempts: int
    outcome: Outcome
    status_code: int | None = None
    error: str | None = None


class DeliveryStats(BaseModel):
    """Counts of delivery outcomes since the sandbox started, and the latest records."""

    target_url: str | None
    pending: int
    enqueued: int
    delivered: int
    rejected: int
    failed: int
    abandoned: int
    retries: int
    recent: list[DeliveryRecord]


class _Stop:
    """Queue sentinel that ends the worker thread."""


class EventDelivery:
    """A queue of events and the thread that sends them to one URL."""

    def __init__(self, target_url: str | None, secret: str, policy: RetryPolicy) -> None:
        self.target_url = target_url
        self._secret = secret
        self._policy = policy
        self._queue: queue.Queue[CloudEvent | _Stop] = queue.Queue()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._counts = {"enqueued": 0, "delivered": 0, "rejected": 0, "failed": 0}
        self._counts.update({"abandoned": 0, "retries": 0})
        self._recent: deque[DeliveryRecord] = deque(maxlen=_RECENT_LIMIT)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the sending thread; without a target URL events are dropped on enqueue."""
        if self.target_url is None or self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the event in flight; events still queued are counted as abandoned."""
        if self._thread is None:
            return
        self._stopping.set()
        self._queue.put(_Stop())
        self._thread.join(timeout)
        self._thread = None
        self._abandon_queued()

    def enqueue(self, event: CloudEvent) -> None:
        """Queue `event` for delivery and return at once."""
        if self.target_url is None:
            return
        with self._lock:
            self._counts["enqueued"] += 1
        self._queue.put(event)

    def stats(self) -> DeliveryStats:
        """Return the outcome counts and the latest delivery records."""
        with self._lock:
            return DeliveryStats(
                target_url=self.target_url,
                pending=self._queue.qsize(),
                recent=list(self._recent),
                **self._counts,
            )

    def _run(self) -> None:
        with httpx.Client(trust_env=False, timeout=self._policy.timeout_seconds) as client:
            while True:
                item = self._queue.get()
                if isinstance(item, _Stop):
                    return
                self._record(self._deliver(client, item))

    def _deliver(self, client: httpx.Client, event: CloudEvent) -> DeliveryRecord:
        status: int | None = None
        error: str | None = None
        for attempt in range(1, self._policy.max_attempts + 1):
            status, error = self._attempt(client, event)
            if status is not None and status < 300:
                return _record(event, attempt, "delivered", status, None)
            if status is not None and status < 500 and status != 429:
                return _record(event, attempt, "rejected", status, error)
            if attempt == self._policy.max_attempts:
                break
            self._count("retries")
            log.info("retrying event %s after %s (attempt %d)", event.id, error, attempt)
            if self._stopping.wait(self._policy.backoff(attempt)):
                return _record(event, attempt, "abandoned", status, error)
        return _record(event, self._policy.max_attempts, "failed", status, error)

    def _attempt(self, client: httpx.Client, event: CloudEvent) -> tuple[int | None, str | None]:
        # Sign on every attempt, so a retry after a long backoff is not outside the tolerance.
        body, headers = signed_headers(event, self._secret)
        assert self.target_url is not None
        try:
            response = client.post(self.target_url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}: {response.text[:200]}"

    def _record(self, record: DeliveryRecord) -> None:
        if record.outcome != "delivered":
            log.warning(
                "event %s %s after %d attempts: %s",
                record.event_id,
                record.outcome,
                record.attempts,
                record.error,
            )
        with self._lock:
            self._counts[record.outcome] += 1
            self._recent.append(record)

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] += 1

    def _abandon_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, CloudEvent):
                self._record(_record(item, 0, "abandoned", None, "sandbox stopped"))


def _record(
    event: CloudEvent, attempts: int, outcome: Outcome, status: int | None, error: str | None
) -> DeliveryRecord:
    return DeliveryRecord(
        event_id=event.id,
        type=event.type,
        subject=event.subject,
        attempts=attempts,
        outcome=outcome,
        status_code=status,
        error=error,
    )


def delivery_lifespan(
    delivery: EventDelivery,
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """Return an ASGI lifespan that runs `delivery` for as long as the app is served."""

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        delivery.start()
        try:
            yield
        finally:
            delivery.stop()

    return lifespan
