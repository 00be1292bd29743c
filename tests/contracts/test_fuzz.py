from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from opsconsole.contracts.fuzz import FuzzOptions, OperationFinished, fuzz_api
from opsconsole.reports import CheckResult, CheckStatus, GateReport
from opsconsole.serve import serve_in_thread

OPTIONS = FuzzOptions(max_examples=15, seed=20261204)


class Item(BaseModel):
    name: str
    qty: int


class Created(BaseModel):
    id: str


def _items_app(
    *, crash_on_negative: bool = False, qty_as_text: bool = False, drop_qty: bool = False
) -> FastAPI:
    """Build a small item API; the flags plant the bugs the gate must find."""
    app = FastAPI()
    items: dict[str, Item] = {}

    @app.post("/items", response_model=Created, status_code=201)
    def create_item(item: Item) -> dict[str, str]:
        if crash_on_negative and item.qty < 0:
            raise RuntimeError("negative stock is not handled")
        item_id = str(len(items) + 1)
        items[item_id] = item
        return {"id": item_id}

    @app.get("/items/{item_id}", response_model=Item, responses={404: {"description": "None"}})
    def read_item(item_id: str) -> Any:
        if item_id not in items:
            raise HTTPException(404)
        if qty_as_text:
            return JSONResponse({"name": items[item_id].name, "qty": str(items[item_id].qty)})
        if drop_qty:
            return JSONResponse({"name": items[item_id].name})
        return items[item_id]

    return app


def _with_links(document: dict[str, Any]) -> dict[str, Any]:
    created = document["paths"]["/items"]["post"]["responses"]["201"]
    created["links"] = {
        "ReadItem": {
            "operationId": document["paths"]["/items/{item_id}"]["get"]["operationId"],
            "parameters": {"item_id": "$response.body#/id"},
        }
    }
    return document


@pytest.fixture(autouse=True)
def quiet_server_errors() -> Iterator[None]:
    # The planted 500s log a traceback each; they are expected here.
    logger = logging.getLogger("uvicorn.error")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def _fuzz(app: FastAPI, options: FuzzOptions = OPTIONS) -> GateReport:
    with serve_in_thread(app, name="items") as server:
        return fuzz_api(_with_links(app.openapi()), server.url, name="items", options=options)


def _check(report: GateReport, name: str) -> CheckResult:
    [check] = [c for c in report.checks if c.name == name]
    return check


def test_healthy_api_passes_with_stateful_run() -> None:
    report = _fuzz(_items_app())

    assert report.passed, [(c.name, c.message, c.details) for c in report.failures()]
    assert _check(report, "POST /items (positive)").status is CheckStatus.PASSED
    assert _check(report, "stateful (links)").status is CheckStatus.PASSED


def test_server_error_goes_red_with_request() -> None:
    report = _fuzz(_items_app(crash_on_negative=True))

    failure = _check(report, "POST /items (positive)")
    assert failure.status is CheckStatus.FAILED
    assert failure.message == "Server error"
    assert failure.expected == {"status": "below 500"}
    assert failure.actual == {"status": 500}
    assert failure.details[0].startswith("request: curl -X POST")
    assert '"qty": -' in failure.details[0]
    assert f"seed: {OPTIONS.seed}" in failure.details
    assert report.exit_code == 1


def test_schema_breaking_response_found_by_links() -> None:
    report = _fuzz(_items_app(qty_as_text=True))

    failure = _check(report, "stateful (links)")
    assert failure.status is CheckStatus.FAILED
    assert "Response violates schema" in failure.message
    assert failure.expected == {"body['qty']": {"title": "Qty", "type": "integer"}}
    assert isinstance(failure.actual, dict)
    assert isinstance(failure.actual["body['qty']"], str)


def test_removed_response_field_goes_red() -> None:
    report = _fuzz(_items_app(drop_qty=True))

    failure = _check(report, "stateful (links)")
    assert failure.status is CheckStatus.FAILED
    assert "Response violates schema" in failure.message
    assert isinstance(failure.actual, dict)
    [body] = failure.actual.values()
    assert "qty" not in body
    assert any('"qty" is a required property' in line for line in failure.details)


def test_events_report_each_operation() -> None:
    seen: list[str] = []
    app = _items_app()
    with serve_in_thread(app, name="items") as server:
        fuzz_api(
            app.openapi(),
            server.url,
            name="items",
            options=FuzzOptions(max_examples=3, seed=1, stateful=False),
            on_event=lambda e: (
                seen.append(e.result.name) if isinstance(e, OperationFinished) else None
            ),
        )

    assert seen == [
        "POST /items (positive)",
        "POST /items (negative)",
        "GET /items/{item_id} (positive)",
        "GET /items/{item_id} (negative)",
    ]
