"""Pieces of HTTP plumbing the sandbox apps share."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from opsconsole.wire import (
    CORRELATION_HEADER,
    TRACEPARENT_HEADER,
    child_traceparent,
    new_correlation_id,
)


@dataclass(frozen=True)
class TraceContext:
    """Correlation ID and traceparent for the events a request causes."""

    correlation_id: str
    parent_traceparent: str | None

    def child(self) -> str:
        """Return a traceparent for one event, in the request's trace when it had one."""
        return child_traceparent(self.parent_traceparent)


def trace_context(request: Request) -> TraceContext:
    """Read the correlation ID and traceparent of `request`, inventing what is absent."""
    correlation = request.headers.get(CORRELATION_HEADER) or new_correlation_id()
    return TraceContext(correlation, request.headers.get(TRACEPARENT_HEADER))


class StripTrailingSlash:
    """ASGI middleware that serves `/a/b/` as `/a/b` under a path prefix.

    Salesforce answers both forms and `simple-salesforce` sends some calls with a trailing
    slash, for example `POST .../sobjects/Account/` and `GET .../query/?q=`.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(self.prefix) and path.endswith("/"):
            scope = dict(scope)
            scope["path"] = path.rstrip("/") or "/"
            if "raw_path" in scope:
                scope["raw_path"] = scope["raw_path"].rstrip(b"/") or b"/"
        await self.app(scope, receive, send)
