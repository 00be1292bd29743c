from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Form, Header, HTTPException, Response

from opsconsole.serve import RunningServer, serve_in_thread


class ShopState:
    """A tiny order service whose orders become ready after a few reads, like an async sync."""

    def __init__(self) -> None:
        self.orders: dict[str, dict[str, Any]] = {}
        self.created = 0
        self.reads: dict[str, int] = {}
        self.deleted: list[str] = []
        self.headers_seen: list[dict[str, str]] = []
        self.lock = threading.Lock()


def build_shop(state: ShopState) -> FastAPI:
    app = FastAPI()

    @app.post("/token")
    def token(client_id: str = Form(), client_secret: str = Form()) -> dict[str, str]:
        if (client_id, client_secret) != ("runner", "s3cret"):
            raise HTTPException(401, "bad credentials")
        return {"access_token": "tok-1", "token_type": "Bearer"}

    @app.post("/orders", status_code=201)
    def create(
        body: dict[str, Any],
        authorization: str = Header(""),
        x_correlation_id: str = Header(""),
        traceparent: str = Header(""),
    ) -> dict[str, Any]:
        if authorization != "Bearer tok-1":
            raise HTTPException(401, "missing token")
        with state.lock:
            state.created += 1
            order_id = f"o-{state.created}"
            state.orders[order_id] = {"id": order_id, "status": "new", **body}
            state.headers_seen.append({"correlation": x_correlation_id, "trace": traceparent})
        return {"id": order_id}

    @app.get("/orders/{order_id}")
    def read(order_id: str) -> dict[str, Any]:
        with state.lock:
            if order_id not in state.orders:
                raise HTTPException(404, "no such order")
            state.reads[order_id] = state.reads.get(order_id, 0) + 1
            if state.reads[order_id] >= 3:
                state.orders[order_id]["status"] = "ready"
            return dict(state.orders[order_id])

    @app.get("/orders")
    def search(ref: str) -> dict[str, Any]:
        with state.lock:
            hits = [o for o in state.orders.values() if o.get("ref") == ref]
        return {"totalResults": len(hits), "items": hits}

    @app.delete("/orders/{order_id}", status_code=204)
    def delete(order_id: str) -> Response:
        with state.lock:
            state.deleted.append(order_id)
            state.orders.pop(order_id, None)
        return Response(status_code=204)

    return app


@pytest.fixture
def shop() -> Iterator[tuple[RunningServer, ShopState]]:
    state = ShopState()
    with serve_in_thread(build_shop(state), name="shop") as server:
        yield server, state
