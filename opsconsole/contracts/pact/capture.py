"""An event sink in the engine's place, so that providers' real events can be verified.

The CRM and ERP sandboxes POST their signed CloudEvents to the engine. During verification
they POST them here instead; a message producer then waits for the event its interaction
describes and hands the exact bytes the provider sent to the verifier.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response

from opsconsole.contracts.pact.relay import ProducedMessage
from opsconsole.errors import OpsconsoleError, SignatureError
from opsconsole.wire import SIGNATURE_HEADER, verify_signature

DEFAULT_WAIT_SECONDS = 10.0


class EventNotReceivedError(OpsconsoleError):
    """The provider did not send the event a message interaction describes in time."""


@dataclass(frozen=True)
class CapturedEvent:
    """One event as the provider sent it."""

    body: bytes
    content_type: str
    event: dict[str, Any]


@dataclass
class EventCapture:
    """Events received so far, with a condition to wait for the next one."""

    secret: str
    events: list[CapturedEvent] = field(default_factory=list)
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def add(self, captured: CapturedEvent) -> None:
        """Store an event and wake the waiting producers."""
        with self._condition:
            self.events.append(captured)
            self._condition.notify_all()

    def wait_for(
        self,
        matches: Callable[[dict[str, Any]], bool],
        description: str,
        timeout: float = DEFAULT_WAIT_SECONDS,
    ) -> CapturedEvent:
        """Return the newest event `matches` accepts, waiting up to `timeout` seconds.

        Raises:
            EventNotReceivedError: no such event arrived in time.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [e for e in self.events if matches(e.event)]
                if found:
                    return found[-1]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = ", ".join(str(e.event.get("type")) for e in self.events) or "none"
                    raise EventNotReceivedError(
                        f"The provider sent no {description} within {timeout:.0f} s "
                        f"(events seen: {seen})."
                    )
                self._condition.wait(left)

    def produce(
        self,
        event_type: str,
        subject: str | None,
        where: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = DEFAULT_WAIT_SECONDS,
    ) -> ProducedMessage:
        """Return the newest `event_type` event about `subject` (that `where` accepts)."""

        def matches(event: dict[str, Any]) -> bool:
            if event.get("type") != event_type:
                return False
            if subject is not None and event.get("subject") != subject:
                return False
            return where is None or where(event)

        description = f"{event_type} event" + (f" for {subject}" if subject else "")
        captured = self.wait_for(matches, description, timeout)
        return ProducedMessage(captured.body, "application/json", {"ce-type": event_type})


def create_capture_app(capture: EventCapture) -> FastAPI:
    """Build the sink; it accepts signed events on any path, as the engine's two endpoints."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/{path:path}")
    async def receive(request: Request, path: str) -> Response:
        body = await request.body()
        # An unsigned or wrongly signed event would be refused by the engine, so it is
        # refused here too and never becomes a message that passes verification.
        try:
            verify_signature(body, request.headers.get(SIGNATURE_HEADER), [capture.secret])
        except SignatureError as exc:
            return Response(str(exc), status_code=401)
        capture.add(
            CapturedEvent(
                body=body,
                content_type=request.headers.get("content-type", "application/json"),
                event=json.loads(body),
            )
        )
        return Response(status_code=202)

    return app
