"""Time provider verification of a pact with 200 interactions against a small real provider.

The provider is a FastAPI item service served on loopback. The pact, written with
pact-python, contains 100 reads that need a provider state (the state handler creates the item
through the provider's API, and the path takes the new ID from the state), 50 list reads
without a state, and 50 message interactions produced from the provider's records. The
verification runs through `verify_provider` (pact-python's Rust verifier, the state and
message relay and the report), first from the pact file, then from a broker.

Run from the repository root:  python -m bench.pact_verify [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, HTTPException
from pact import Pact, generate, match

from opsconsole.broker.app import BrokerSettings, create_app
from opsconsole.broker.client import BrokerClient
from opsconsole.contracts.pact.files import load_pact
from opsconsole.contracts.pact.relay import ProducedMessage, Relay
from opsconsole.contracts.pact.verify import BrokerSource, VerificationRequest, verify_provider
from opsconsole.serve import serve_in_thread

STATEFUL_READS = 100
LIST_READS = 50
MESSAGES = 50


def item_service() -> FastAPI:
    """Build the provider: items are created by POST and read singly or by page."""
    app = FastAPI()
    items: dict[str, dict[str, Any]] = {}

    @app.post("/items", status_code=201)
    def create(body: dict[str, Any]) -> dict[str, Any]:
        item = {"id": f"I-{1000 + len(items)}", **body}
        items[item["id"]] = item
        return item

    @app.get("/items/{item_id}")
    def read(item_id: str) -> dict[str, Any]:
        if item_id not in items:
            raise HTTPException(status_code=404, detail="no such item")
        return items[item_id]

    @app.get("/items")
    def page(page: int = 1) -> dict[str, Any]:
        return {"page": page, "items": list(items.values())[:5], "total": len(items)}

    return app


def write_pact(folder: Path) -> Path:
    """Write the consumer's pact with 200 interactions."""
    pact = Pact("bench-consumer", "item-service")
    item = {"id": match.str("I-1"), "name": match.str("pump"), "price": match.number(250.0)}
    for n in range(STATEFUL_READS):
        path = match.type(f"/items/I-{n}", generator=generate.provider_state("/items/${id}"))
        (
            pact.upon_receiving(f"a read of item {n}")
            .given("an item exists", name=f"pump {n}")
            .with_request("GET", path)
            .will_respond_with(200)
            .with_body(item, "application/json")
        )
    for n in range(LIST_READS):
        (
            pact.upon_receiving(f"a read of page {n + 1}")
            .with_request("GET", "/items")
            .with_query_parameter("page", str(n + 1))
            .will_respond_with(200)
            .with_body(
                {"page": match.int(1), "items": match.like([]), "total": match.int(0)},
                "application/json",
            )
        )
    for n in range(MESSAGES):
        (
            pact.upon_receiving(f"an item.created event {n}", "Async")
            .given("an item exists", name=f"valve {n}")
            .with_body({"type": "item.created", "item": item}, "application/json")
        )
    pact.write_file(folder, overwrite=True)
    return folder / "bench-consumer-item-service.json"


def relay_for(base_url: str) -> Relay:
    """Return the provider's state handler and message producers."""
    api = httpx.Client(base_url=base_url)

    def item_exists(params: dict[str, Any]) -> dict[str, Any]:
        created = api.post("/items", json={"name": params["name"], "price": 250.0})
        created.raise_for_status()
        return {"id": created.json()["id"]}

    def produce(values: dict[str, Any]) -> ProducedMessage:
        item = api.get(f"/items/{values['id']}").json()
        return ProducedMessage(json.dumps({"type": "item.created", "item": item}).encode())

    producers: dict[str, Callable[[dict[str, Any]], ProducedMessage]] = {
        f"an item.created event {n}": produce for n in range(MESSAGES)
    }
    return Relay(state_handlers={"an item exists": item_exists}, message_producers=producers)


def timed_run(base_url: str, **source: Any) -> tuple[float, int, bool]:
    """Verify once; return seconds, checks and whether all passed."""
    started = time.perf_counter()
    report = verify_provider(
        VerificationRequest(
            provider="item-service", base_url=base_url, relay=relay_for(base_url), **source
        )
    )
    return time.perf_counter() - started, len(report.checks), report.passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Verification runs per source.")
    args = parser.parse_args()
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

    with tempfile.TemporaryDirectory() as folder:
        pact_file = write_pact(Path(folder))
        store_url = f"sqlite:///{Path(folder) / 'broker.sqlite'}"
        with (
            serve_in_thread(item_service(), name="item-service") as provider,
            serve_in_thread(
                create_app(BrokerSettings(database_url=store_url)), name="broker"
            ) as broker,
        ):
            with BrokerClient(broker.url) as client:
                client.publish([load_pact(pact_file)], "c-1", branch="main")
            sources = {
                "pact file": {"pact_paths": [pact_file]},
                "broker (fetch pacts, no publish)": {
                    "broker": BrokerSource(broker.url, [{"branch": "main"}])
                },
            }
            for name, source in sources.items():
                runs = [timed_run(provider.url, **source) for _ in range(args.runs)]
                seconds = [r[0] for r in runs]
                checks, passed = runs[-1][1], all(r[2] for r in runs)
                print(
                    f"{name}: {checks} interactions, passed={passed}, "
                    f"median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s, "
                    f"{1000 * statistics.median(seconds) / checks:.1f} ms per interaction"
                )
    print(
        f"machine: {platform.processor() or platform.machine()}, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()}, pact-python {version('pact-python')}, "
        f"pact-python-ffi {version('pact-python-ffi')}"
    )


if __name__ == "__main__":
    main()
