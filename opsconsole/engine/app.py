"""The engine's FastAPI app: event intake, system API, ops API, metrics and the worker."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from sqlmodel import Session

from opsconsole import wire
from opsconsole.engine.api import customers, events, ops
from opsconsole.engine.canonical.schemas import SchemaSet
from opsconsole.engine.clients.crm import CrmClient
from opsconsole.engine.clients.erp import ErpClient
from opsconsole.engine.deliveries import Systems
from opsconsole.engine.flows import FlowContext
from opsconsole.engine.logs import get_logger
from opsconsole.engine.metrics import EngineMetrics
from opsconsole.engine.outbox import RetryPolicy
from opsconsole.engine.problems import add_problem_schemas, install_problem_handlers
from opsconsole.engine.settings import EngineSettings
from opsconsole.engine.state import EngineState
from opsconsole.engine.worker import Worker
from opsconsole.store.db import create_store_engine

log = get_logger()

WORKER_STOP_TIMEOUT_SECONDS = 10.0


def create_app(settings: EngineSettings) -> FastAPI:
    """Build an engine app whose lifespan runs the worker when `settings.run_worker` is set."""
    state = build_state(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread = _start_worker(state, stop) if settings.run_worker else None
        log.info("engine started", worker=settings.run_worker, store=state.engine.dialect.name)
        try:
            yield
        finally:
            log.info("engine stopping")
            stop.set()
            if thread is not None:
                thread.join(timeout=WORKER_STOP_TIMEOUT_SECONDS)
            state.worker.systems.close()
            state.engine.dispose()

    app = FastAPI(title="opsconsole reference sync engine", version="1", lifespan=lifespan)
    app.state.engine = state
    install_problem_handlers(app)
    app.middleware("http")(_correlate)
    app.include_router(events.router)
    app.include_router(customers.router)
    app.include_router(ops.router)
    _add_health_and_metrics(app, state)
    _describe_problems(app)
    return app


def _describe_problems(app: FastAPI) -> None:
    """Make the app's OpenAPI document define the Problem schema its error responses use."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = add_problem_schemas(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_state(settings: EngineSettings) -> EngineState:
    """Open the store and build the clients, schemas, metrics and worker of one engine."""
    engine = create_store_engine(settings.database_url, schema=settings.database_schema)
    crm = CrmClient(
        settings.crm_base_url,
        settings.crm_client_id,
        settings.crm_client_secret,
        ca_file=settings.crm_ca_file,
        api_version=settings.crm_api_version,
    )
    erp = ErpClient(settings.erp_base_url, settings.erp_client_id, settings.erp_client_secret)
    schemas = SchemaSet(settings.schema_dir)
    metrics = EngineMetrics()
    context = FlowContext(
        crm_user_id=lambda: settings.crm_user_id or crm.user_id(), schemas=schemas
    )
    policy = RetryPolicy(
        settings.max_attempts, settings.retry_base_seconds, settings.retry_max_seconds
    )
    worker = Worker(engine, Systems(crm, erp), context, policy, metrics)
    return EngineState(settings, engine, schemas, metrics, worker)


def _start_worker(state: EngineState, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(
        target=state.worker.run_until_stopped,
        args=(stop, state.settings.worker_poll_seconds),
        name="engine-worker",
        daemon=True,
    )
    thread.start()
    return thread


async def _correlate(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    correlation_id = request.headers.get(wire.CORRELATION_HEADER) or wire.new_correlation_id()
    with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
        response = await call_next(request)
    response.headers.setdefault(wire.CORRELATION_HEADER, correlation_id)
    return response


class Health(BaseModel):
    """Liveness answer of `GET /health`."""

    status: str


_METRICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Prometheus text exposition format 0.0.4.",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


def _add_health_and_metrics(app: FastAPI, state: EngineState) -> None:
    @app.get("/health", tags=["ops"])
    def health() -> Health:
        """Report that the app is up."""
        return Health(status="ok")

    @app.get("/metrics", tags=["ops"], response_class=Response, responses=_METRICS_RESPONSE)
    def metrics() -> Response:
        """Return Prometheus metrics, with queue gauges read from the store now."""
        _refresh_gauges(state)
        return Response(state.metrics.render(), media_type="text/plain; version=0.0.4")


def _refresh_gauges(state: EngineState) -> None:
    with Session(state.engine) as session:
        stats: dict[str, Any] = ops.collect_stats(session)
    for queue in ("inbox", "outbox"):
        for status, count in stats[queue].items():
            state.metrics.queue_depth.labels(queue, status).set(count)
    state.metrics.dead_letters.set(stats["dlq"])
