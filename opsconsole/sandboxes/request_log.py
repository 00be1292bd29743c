"""A bounded log of the requests a sandbox responded to, read at `GET /sandbox/requests`.

Tests and operators use it to see what a client sent: which calls, in which order, with
which correlation ID, traceparent and idempotency key, and what the sandbox responded (injected
faults included). Bodies, tokens and other headers are not kept. Requests to /sandbox/ paths
are not logged.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import UTC, datetime

from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opsconsole.sandboxes.faults import SANDBOX_PATH_PREFIX
from opsconsole.wire import CORRELATION_HEADER, IDEMPOTENCY_HEADER, TRACEPARENT_HEADER

REQUEST_LOG_LIMIT = 1000


class LoggedRequest(BaseModel):
    """One request: its method, path, trace and idempotency headers, and the response status."""

    method: str
    path: str
    query: str = Field(description="Raw query string, empty when there was none.")
    status: int | None = Field(description="Response status; null when the app raised.")
    received_at: datetime = Field(description="When the request arrived (UTC).")
    correlation_id: str | None = Field(description=f"The {CORRELATION_HEADER} header.")
    traceparent: str | None = Field(description=f"The {TRACEPARENT_HEADER} header.")
    idempotency_key: str | None = Field(description=f"The {IDEMPOTENCY_HEADER} header.")


class RequestList(BaseModel):
    """The logged requests, oldest first, and how many older ones were dropped."""

    limit: int
    dropped: int
    requests: list[LoggedRequest]


class RequestLog:
    """Thread-safe ring buffer of the latest `limit` requests that got a response."""

    def __init__(self, limit: int = REQUEST_LOG_LIMIT) -> None:
        self._lock = threading.Lock()
        self._limit = limit
        self._dropped = 0
        self._entries: deque[LoggedRequest] = deque(maxlen=limit)

    def add(self, entry: LoggedRequest) -> None:
        """Append `entry`, dropping the oldest entry when the log is full."""
        with self._lock:
            if len(self._entries) == self._limit:
                self._dropped += 1
            self._entries.append(entry)

    def snapshot(self) -> RequestList:
        """Return the logged requests in the order their responses were sent."""
        with self._lock:
            return RequestList(
                limit=self._limit, dropped=self._dropped, requests=list(self._entries)
            )

    def clear(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._entries.clear()
            self._dropped = 0


class RequestLogMiddleware:
    """ASGI middleware that adds every request outside /sandbox/ to a `RequestLog`."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SANDBOX_PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        received_at = datetime.now(UTC)
        status: int | None = None
        logged = False

        async def send_and_log(message: Message) -> None:
            nonlocal status, logged
            if message["type"] == "http.response.start":
                status = int(message["status"])
            if message["type"] == "http.response.body" and not message.get("more_body"):
                # Log before the last byte goes out, because background tasks run after it
                # and a client that has the response must find its request in the log.
                self.log.add(_entry(scope, received_at, status))
                logged = True
            await send(message)

        try:
            await self.app(scope, receive, send_and_log)
        finally:
            if not logged:
                self.log.add(_entry(scope, received_at, status))


def _entry(scope: Scope, received_at: datetime, status: int | None) -> LoggedRequest:
    headers = Headers(scope=scope)
    return LoggedRequest(
        method=scope["method"],
        path=scope["path"],
        query=scope.get("query_string", b"").decode("latin-1"),
        status=status,
        received_at=received_at,
        correlation_id=headers.get(CORRELATION_HEADER),
        traceparent=headers.get(TRACEPARENT_HEADER),
        idempotency_key=headers.get(IDEMPOTENCY_HEADER),
    )
