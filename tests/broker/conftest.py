"""Broker stores on SQLite and on PostgreSQL (own schema per test), and a served broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from opsconsole.broker.app import BrokerSettings, create_app
from opsconsole.broker.store import BrokerStore
from opsconsole.serve import RunningServer, serve_in_thread

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2
        ):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL at 127.0.0.1:5432 (user postgres, db test) is unreachable: {exc}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BrokerStore]:
    """A fresh broker store; the PostgreSQL one lives in its own schema, dropped afterwards."""
    if request.param == "sqlite":
        yield BrokerStore.open(f"sqlite:///{tmp_path / 'broker.sqlite'}")
        return
    reason = _postgres_reachable()
    if reason is not None:
        pytest.skip(reason)
    schema = f"broker_test_{uuid.uuid4().hex[:12]}"
    opened = BrokerStore.open(POSTGRES_URL, schema)
    try:
        yield opened
    finally:
        opened.engine.dispose()
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def broker(store: BrokerStore) -> Iterator[RunningServer]:
    app = create_app(BrokerSettings(database_url="unused://"), store=store)
    with serve_in_thread(app, name="broker") as server:
        yield server


def pact_document(
    consumer: str, provider: str, description: str = "a request"
) -> dict[str, object]:
    """Return a minimal V4 pact with one HTTP interaction."""
    return {
        "consumer": {"name": consumer},
        "provider": {"name": provider},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": description,
                "request": {"method": "GET", "path": "/stats"},
                "response": {"status": 200},
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


@pytest.fixture
def make_pact() -> object:
    return pact_document
