"""A small real provider (a customer service) and pacts written against it with pact-python."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pact import Pact, generate, match

from opsconsole.contracts.pact.relay import ProducedMessage, Relay
from opsconsole.serve import RunningServer, serve_in_thread

# The Rust verifier reports usage to pact.io unless PACT_DO_NOT_TRACK is set, and tests
# stay on loopback.
os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

CONSUMER = "billing-ui"
PROVIDER = "customer-service"


@dataclass
class CustomerService:
    """Behaviour switches that make the provider break its contract in one way each."""

    drop_field: str | None = None
    credit_limit_as_text: bool = False
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


def customer_app(service: CustomerService) -> FastAPI:
    """Build the provider: customers are created by POST and read by GET."""
    app = FastAPI()

    @app.post("/customers", status_code=201)
    def create(body: dict[str, Any]) -> dict[str, Any]:
        record = {"id": f"C-{701 + len(service.records)}", **body}
        service.records[record["id"]] = record
        return record

    @app.get("/customers/{customer_id}")
    def read(customer_id: str) -> dict[str, Any]:
        record = service.records.get(customer_id)
        if record is None:
            raise HTTPException(status_code=404, detail=f"customer {customer_id} not found")
        shown = dict(record)
        if service.credit_limit_as_text:
            shown["credit_limit"] = str(shown["credit_limit"])
        if service.drop_field:
            shown.pop(service.drop_field, None)
        return shown

    return app


def customer_event(record: dict[str, Any]) -> dict[str, Any]:
    """Build the provider's customer.created event from a stored record."""
    return {
        "type": "customer.created",
        "data": {"id": record["id"], "credit_limit": record["credit_limit"]},
    }


@pytest.fixture
def service() -> CustomerService:
    return CustomerService()


@pytest.fixture
def provider(service: CustomerService) -> Iterator[RunningServer]:
    with serve_in_thread(customer_app(service), name=PROVIDER) as server:
        yield server


def state_handlers(base_url: str) -> dict[str, Callable[[dict[str, Any]], None]]:
    """Provider states that create real records through the provider's own API."""

    def customer_exists(params: dict[str, Any]) -> dict[str, Any]:
        body = {"name": params["name"], "credit_limit": 5000}
        created = httpx.post(f"{base_url}/customers", json=body)
        created.raise_for_status()
        return {"id": created.json()["id"]}

    return {"a customer exists": customer_exists}


def event_producer(base_url: str) -> Callable[[dict[str, Any]], ProducedMessage]:
    """Produce the real event: read the record from the provider and build the event."""

    def produce(params: dict[str, Any]) -> ProducedMessage:
        record = httpx.get(f"{base_url}/customers/{params['id']}").json()
        return ProducedMessage(json.dumps(customer_event(record)).encode())

    return produce


def relay_for(base_url: str) -> Relay:
    return Relay(
        state_handlers=state_handlers(base_url),
        message_producers={"a customer.created event": event_producer(base_url)},
    )


def write_customer_pact(folder: Path) -> Path:
    """Write the consumer's pact: one HTTP read and one event, both needing a customer."""
    pact = Pact(CONSUMER, PROVIDER)
    (
        pact.upon_receiving("a request for customer C-300")
        .given("a customer exists", name="Nordwerk AG")
        .with_request(
            "GET",
            match.type("/customers/C-300", generator=generate.provider_state("/customers/${id}")),
        )
        .will_respond_with(200)
        .with_body(
            {
                "id": match.str("C-300"),
                "name": match.str("Nordwerk AG"),
                "credit_limit": match.int(5000),
            }
        )
    )
    (
        pact.upon_receiving("a customer.created event", "Async")
        .given("a customer exists", name="Nordwerk AG")
        .with_body(
            {
                "type": "customer.created",
                "data": {"id": match.str("C-300"), "credit_limit": match.int(5000)},
            },
            "application/json",
        )
    )
    pact.write_file(folder, overwrite=True)
    return folder / f"{CONSUMER}-{PROVIDER}.json"


@pytest.fixture
def pact_file(tmp_path: Path) -> Path:
    return write_customer_pact(tmp_path / "pacts")


@pytest.fixture
def relay(provider: RunningServer) -> Relay:
    """A relay with the provider's real state handlers and event producer."""
    return relay_for(provider.url)
