"""The provider-state and message endpoints the Pact verifier calls during verification.

The Rust verifier retries a state change that responds with 5xx with exponential backoff for about
two minutes, then reports it as an error. This relay responds to every failed setup with 422
at once, so the verification fails fast, and it keeps the cause so the gate's report can name
the state and the reason. The same server produces messages for message interactions.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

STATE_PATH = "/_pact/state"
MESSAGE_PATH = "/_pact/message"

log = structlog.get_logger("opsconsole.contracts.pact")

StateHandler = Callable[[dict[str, Any]], dict[str, Any] | None]
"""Set up one provider state from its parameters; raising means the setup failed.

The returned values (such as the ID of a record the setup created) fill the pact's
provider-state expressions like ``${accountId}``, and reach the message producers.
"""


@dataclass(frozen=True)
class ProducedMessage:
    """A message a provider produced: its bytes, content type and metadata."""

    contents: bytes
    content_type: str = "application/json"
    metadata: dict[str, Any] = field(default_factory=dict)


MessageProducer = Callable[[dict[str, Any]], ProducedMessage]
"""Produce the real message for one message interaction.

It receives the interaction's provider-state parameters merged with the values its state
setups returned.
"""


@dataclass
class RelayLog:
    """Failures seen by the relay, keyed by provider state or message description."""

    state_failures: dict[str, str] = field(default_factory=dict)
    message_failures: dict[str, str] = field(default_factory=dict)


@dataclass
class Relay:
    """Provider-state handlers and message producers for one verification run.

    `state_handlers` run in this process; `state_url` instead forwards each change to a
    provider's own callback. With neither, an interaction that needs a state fails.
    """

    state_handlers: Mapping[str, StateHandler] = field(default_factory=dict)
    teardown_handlers: Mapping[str, StateHandler] = field(default_factory=dict)
    state_url: str | None = None
    message_producers: Mapping[str, MessageProducer] = field(default_factory=dict)
    log: RelayLog = field(default_factory=RelayLog)
    values: dict[str, Any] = field(default_factory=dict)
    _http: httpx.Client | None = field(default=None, repr=False)

    def set_up(self, state: str, action: str, params: dict[str, Any]) -> dict[str, Any] | str:
        """Apply one state change; return the values it produced, or why it failed."""
        if action == "teardown":
            # Values of one interaction's states must not reach the next interaction.
            self.values = {}
        if not state:
            return {}
        try:
            produced = self._apply(state, action, params) or {}
        except Exception as exc:  # any failure of a setup is reported, not raised
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.log.state_failures[state] = reason
            log.warning("pact.state_failed", state=state, action=action, reason=reason)
            return reason
        self.values.update(produced)
        return produced

    def _apply(self, state: str, action: str, params: dict[str, Any]) -> dict[str, Any] | None:
        if self.state_url is not None:
            # One client for the run: a new one per call costs an SSL context each time.
            self._http = self._http or httpx.Client(timeout=30)
            return _forward_state(self._http, self.state_url, state, action, params)
        if action == "teardown":
            handler = self.teardown_handlers.get(state)
            return handler(params) if handler is not None else None
        setup = self.state_handlers.get(state)
        if setup is None:
            known = ", ".join(sorted(self.state_handlers)) or "none"
            raise LookupError(
                f"No provider state handler for {state!r}; add one to the provider's state "
                f"handlers (known states: {known})."
            )
        return setup(params)

    def produce(self, description: str, params: dict[str, Any]) -> ProducedMessage:
        """Produce the message for `description`, recording any failure."""
        producer = self.message_producers.get(description)
        try:
            if producer is None:
                known = ", ".join(sorted(self.message_producers)) or "none"
                raise LookupError(
                    f"No message producer for {description!r} (known messages: {known})."
                )
            return producer({**params, **self.values})
        except Exception as exc:
            self.log.message_failures[description] = f"{type(exc).__name__}: {exc}"
            raise


def _forward_state(
    http: httpx.Client, url: str, state: str, action: str, params: dict[str, Any]
) -> dict[str, Any] | None:
    body = {"state": state, "action": action, "params": params}
    try:
        response = http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise ConnectionError(f"the state callback {url} could not be reached: {exc}") from exc
    if response.is_error:
        raise RuntimeError(
            f"the state callback {url} responded with {response.status_code}: {response.text[:300]}"
        )
    try:
        values = response.json()
    except ValueError:
        return None
    return values if isinstance(values, dict) else None


def create_relay_app(relay: Relay) -> FastAPI:
    """Build the ASGI app that serves `relay` at the paths the Pact verifier calls."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(STATE_PATH)
    async def change_state(request: Request) -> Response:
        body = await request.json()
        params = body.get("params") or {}
        outcome = relay.set_up(str(body.get("state") or ""), str(body.get("action")), params)
        if isinstance(outcome, dict):
            return JSONResponse(outcome)
        return JSONResponse({"state": body.get("state"), "error": outcome}, status_code=422)

    @app.post(MESSAGE_PATH)
    async def produce_message(request: Request) -> Response:
        body = await request.json()
        description = str(body.pop("description", ""))
        params = _state_params(body)
        try:
            message = relay.produce(description, params)
        except Exception as exc:  # reported to the verifier as a failed fetch
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=422)
        metadata = {"contentType": message.content_type, **message.metadata}
        encoded = base64.b64encode(json.dumps(metadata).encode()).decode()
        headers = {"Pact-Message-Metadata": encoded}
        return Response(message.contents, media_type=message.content_type, headers=headers)

    return app


def _state_params(body: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for state in body.get("providerStates") or []:
        params.update(state.get("params") or {})
    return params
