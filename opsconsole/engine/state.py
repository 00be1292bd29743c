"""Everything one engine app holds at run time, shared by its routes and its worker."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine

from opsconsole.engine.canonical.schemas import SchemaSet
from opsconsole.engine.metrics import EngineMetrics
from opsconsole.engine.settings import EngineSettings
from opsconsole.engine.worker import Worker


@dataclass
class EngineState:
    """The store, schemas, metrics and worker of one engine app."""

    settings: EngineSettings
    engine: Engine
    schemas: SchemaSet
    metrics: EngineMetrics
    worker: Worker


def engine_state(request: Request) -> EngineState:
    """Return the state of the app serving `request` (a FastAPI dependency)."""
    state: EngineState = request.app.state.engine
    return state
