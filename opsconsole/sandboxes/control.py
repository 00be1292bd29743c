"""Sandbox-only endpoints shared by every sandbox: fault rules, delivery counts, request log."""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from opsconsole.sandboxes.delivery import DeliveryStats, EventDelivery
from opsconsole.sandboxes.faults import FaultInjector, FaultRule, FaultState
from opsconsole.sandboxes.request_log import RequestList, RequestLog

SANDBOX_TAG = "sandbox control (not part of the vendor API)"


class TokenForm(BaseModel):
    """Form fields of an OAuth 2.0 client-credentials token request."""

    model_config = ConfigDict(extra="forbid")

    grant_type: Literal["client_credentials"]
    client_id: str = Field(min_length=1)
    client_secret: str = Field(min_length=1)


class FaultList(BaseModel):
    """The fault rules that still have responses left."""

    faults: list[FaultState]


def sandbox_router(
    injector: FaultInjector,
    delivery: EventDelivery,
    requests: RequestLog,
    bad_request: dict[str, Any] | None = None,
) -> APIRouter:
    """Return the routes under /sandbox/ for fault injection, delivery counts and requests.

    `bad_request` documents the 400 the app answers for a body it cannot parse, in the
    error format of the system it imitates.
    """
    faults_responses: dict[int | str, dict[str, Any]] = {400: bad_request} if bad_request else {}
    router = APIRouter(prefix="/sandbox", tags=[SANDBOX_TAG])

    @router.get("/deliveries", response_model=DeliveryStats)
    def get_deliveries() -> DeliveryStats:
        """Count the change events sent to the engine, by outcome."""
        return delivery.stats()

    @router.post("/faults", response_model=FaultList, status_code=201, responses=faults_responses)
    def add_fault(rule: FaultRule) -> FaultList:
        """Respond to the next `count` requests matching the rule with its status and body."""
        injector.add(rule)
        return FaultList(faults=injector.active())

    @router.get("/faults", response_model=FaultList)
    def list_faults() -> FaultList:
        """List the fault rules that have responses left."""
        return FaultList(faults=injector.active())

    @router.delete("/faults", status_code=204)
    def clear_faults() -> None:
        """Remove every fault rule."""
        injector.clear()

    @router.get("/requests", response_model=RequestList)
    def list_requests() -> RequestList:
        """List the latest requests with their trace and idempotency headers."""
        return requests.snapshot()

    @router.delete("/requests", status_code=204)
    def clear_requests() -> None:
        """Forget every logged request."""
        requests.clear()

    return router


@dataclass(frozen=True)
class TokenGrant:
    """An issued access token and the client it belongs to."""

    token: str
    client_id: str


class TokenIssuer:
    """Issues opaque bearer tokens for configured OAuth clients and resolves them."""

    def __init__(self, clients: dict[str, str]) -> None:
        self._clients = dict(clients)
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}

    def issue(self, client_id: str, client_secret: str) -> TokenGrant | None:
        """Return a new token when the client credentials match, else None."""
        expected = self._clients.get(client_id)
        if expected is None or not hmac.compare_digest(expected, client_secret):
            return None
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = client_id
        return TokenGrant(token, client_id)

    def client_for(self, authorization: str | None) -> str | None:
        """Return the client ID of a `Bearer` authorization header, or None when invalid."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        with self._lock:
            return self._tokens.get(token.strip())
