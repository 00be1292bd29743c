"""Fault injection: make the next N matching requests to a sandbox get a set response.

Rules are added through the sandbox-only endpoint `POST /sandbox/faults`. A rule matches on
the HTTP method and a regular expression searched in the request path; the first rule that
matches and has answers left is used, so rules apply in the order they were added.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from pydantic import BaseModel, Field, field_validator
from starlette.types import ASGIApp, Receive, Scope, Send

SANDBOX_PATH_PREFIX = "/sandbox/"


class FaultRule(BaseModel):
    """One injected response and the requests it replaces."""

    method: str | None = Field(None, description="HTTP method to match; any when absent.")
    path_pattern: str = Field(
        ".*",
        description="Regular expression searched in the path.",
        json_schema_extra={"format": "regex"},
    )
    count: int = Field(1, ge=1, le=10_000, description="How many requests get this response.")
    status: int = Field(..., ge=100, le=599, description="HTTP status of the response.")
    body: Any = Field(None, description="JSON body of the response; none when null.")
    headers: dict[str, str] = Field(default_factory=dict, description="Extra headers.")

    @field_validator("path_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"path_pattern is not a valid regular expression: {exc}") from exc
        return value


class FaultState(BaseModel):
    """A rule and how many responses it has left."""

    rule: FaultRule
    remaining: int


class FaultInjector:
    """Thread-safe list of fault rules."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultState] = []

    def add(self, rule: FaultRule) -> None:
        """Append `rule` after the rules already set."""
        with self._lock:
            self._rules.append(FaultState(rule=rule, remaining=rule.count))

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def active(self) -> list[FaultState]:
        """Return the rules that have responses left."""
        with self._lock:
            return [state.model_copy() for state in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """Return the first rule matching the request and use up one of its responses."""
        with self._lock:
            for state in self._rules:
                if _matches(state.rule, method, path):
                    state.remaining -= 1
                    if state.remaining == 0:
                        self._rules.remove(state)
                    return state.rule
        return None


def _matches(rule: FaultRule, method: str, path: str) -> bool:
    if rule.method is not None and rule.method.upper() != method.upper():
        return False
    return re.search(rule.path_pattern, path) is not None


class FaultMiddleware:
    """ASGI middleware that responds to matching requests from the injector's rules."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(SANDBOX_PATH_PREFIX):
            await self.app(scope, receive, send)
            return
        rule = self.injector.take(scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        await _send_rule(rule, send)


async def _send_rule(rule: FaultRule, send: Send) -> None:
    body = b"" if rule.body is None else json.dumps(rule.body).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    if rule.body is not None:
        headers.append((b"content-type", b"application/json"))
    headers += [(name.lower().encode(), value.encode()) for name, value in rule.headers.items()]
    await send({"type": "http.response.start", "status": rule.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
