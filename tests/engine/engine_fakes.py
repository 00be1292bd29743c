"""Small CRM and ERP apps that speak just enough Salesforce and NetSuite REST for the engine.

They record every request, so tests can check headers and bodies, and can be told to answer
the next calls with given failures.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from opsconsole.engine.identity import to_18

ENGINE_USER_ID = to_18("005000000000001")
ORG_ID = to_18("00D000000000001")


@dataclass
class Recorded:
    """One request a fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeSystem:
    """State and request log of one fake system, shared between the app and the test."""

    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))

    def calls(self, method: str, fragment: str) -> list[Recorded]:
        """Return the recorded calls with `method` whose path contains `fragment`."""
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def fail_next(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Answer the next data call with `status` and `body` instead of serving it."""
        self.failures.append((status, headers or {}, body))


async def _record(system: FakeSystem, request: Request) -> Response | None:
    raw = await request.body()
    body: Any = None
    if raw and request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
    with system.lock:
        system.requests.append(
            Recorded(request.method, request.url.path, dict(request.headers), body)
        )
        if system.failures and "token" not in request.url.path:
            status, headers, failure = system.failures.pop(0)
            return JSONResponse(failure, status_code=status, headers=headers)
    return None


def crm_app(system: FakeSystem) -> FastAPI:
    """Build a fake CRM with OAuth, sobject reads and writes, OrderItem queries and upserts."""
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        injected = await _record(system, request)
        return injected if injected is not None else await call_next(request)

    @app.post("/services/oauth2/token")
    def token(request: Request) -> dict[str, str]:
        base = str(request.base_url).rstrip("/")
        return {
            "access_token": "crm-token",
            "instance_url": base,
            "token_type": "Bearer",
            "id": f"{base}/id/{ORG_ID}/{ENGINE_USER_ID}",
        }

    @app.get("/services/data/{version}/sobjects/{sobject}/{record_id}")
    def get_record(sobject: str, record_id: str) -> Response:
        record = system.records.get(sobject, {}).get(to_18(record_id))
        if record is None:
            return JSONResponse([{"errorCode": "NOT_FOUND", "message": "gone"}], 404)
        return JSONResponse(record)

    @app.patch("/services/data/{version}/sobjects/{sobject}/{record_id}")
    async def update(sobject: str, record_id: str, request: Request) -> Response:
        record = system.records.setdefault(sobject, {}).get(to_18(record_id))
        if record is None:
            return JSONResponse([{"errorCode": "NOT_FOUND", "message": "gone"}], 404)
        record.update(await request.json())
        return Response(status_code=204)

    @app.patch("/services/data/{version}/sobjects/{sobject}/{field_name}/{value}")
    async def upsert(sobject: str, field_name: str, value: str, request: Request) -> Response:
        table = system.records.setdefault(sobject, {})
        fields = await request.json()
        for record in table.values():
            if record.get(field_name) == value:
                record.update(fields)
                return Response(status_code=204)
        record_id = to_18(f"a01{next(system.ids):012d}")
        table[record_id] = {"Id": record_id, field_name: value, **fields}
        return JSONResponse({"id": record_id, "success": True, "errors": []}, 201)

    @app.get("/services/data/{version}/query")
    def query(q: str) -> dict[str, Any]:
        order_id = q.rsplit("'", 2)[-2]
        items = [
            item
            for item in system.records.get("OrderItem", {}).values()
            if item["OrderId"] == order_id
        ]
        return {"totalSize": len(items), "done": True, "records": items}

    return app


def erp_app(system: FakeSystem) -> FastAPI:
    """Build a fake ERP with OAuth and upsert by external ID."""
    app = FastAPI()

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Response:
        injected = await _record(system, request)
        return injected if injected is not None else await call_next(request)

    @app.post("/services/rest/auth/oauth2/v1/token")
    def token() -> dict[str, Any]:
        return {"access_token": "erp-token", "token_type": "Bearer", "expires_in": 3600}

    @app.put("/services/rest/record/v1/{record_type}/eid:{external_id}")
    async def upsert(record_type: str, external_id: str, request: Request) -> Response:
        table = system.records.setdefault(record_type, {})
        body = await request.json()
        existing = [key for key, value in table.items() if value["externalId"] == external_id]
        internal_id = existing[0] if existing else str(next(system.ids))
        table[internal_id] = {**table.get(internal_id, {}), **body, "externalId": external_id}
        location = f"{request.base_url}services/rest/record/v1/{record_type}/{internal_id}"
        return Response(status_code=204, headers={"Location": location})

    return app
