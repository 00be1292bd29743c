"""The store on SQLite and PostgreSQL: atomic dedupe, exact ID comparison, time zones."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from opsconsole.store import CrossReference, InboxMessage, create_store_engine, transaction
from opsconsole.store.atomic import insert_if_absent
from opsconsole.store.db import sqlite_url

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _postgres_unreachable_reason() -> str | None:
    try:
        psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=2
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL on 127.0.0.1:5432 (user postgres, db test) is not reachable: {exc}"
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_store_engine(sqlite_url(tmp_path / "store.db"))
        yield engine
        engine.dispose()
        return
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    # A schema of its own keeps parallel test runs on one database apart.
    schema = f"t_{uuid.uuid4().hex}"
    engine = create_store_engine(POSTGRES_URL, schema=schema)
    yield engine
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


def _inbox(event_id: str) -> InboxMessage:
    return InboxMessage(
        event_id=event_id, source="/sandbox/crm", type="crm.order.updated", correlation_id="c-1"
    )


def test_inbox_insert_if_absent_inserts_once(store: Engine) -> None:
    with transaction(store) as session:
        first = insert_if_absent(session, _inbox("wh-9001"), ("event_id",))
    with transaction(store) as session:
        second = insert_if_absent(session, _inbox("wh-9001"), ("event_id",))

    assert first is True
    assert second is False


def test_concurrent_inbox_inserts_have_one_winner(store: Engine) -> None:
    def insert(_: int) -> bool:
        with transaction(store) as session:
            return insert_if_absent(session, _inbox("wh-9001"), ("event_id",))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(insert, range(16)))

    assert results.count(True) == 1
    with Session(store) as session:
        assert len(session.exec(select(InboxMessage)).all()) == 1


def test_event_ids_differing_in_case_are_two_events(store: Engine) -> None:
    with transaction(store) as session:
        upper = insert_if_absent(session, _inbox("WH-9001"), ("event_id",))
        lower = insert_if_absent(session, _inbox("wh-9001"), ("event_id",))

    assert (upper, lower) == (True, True)


def test_xref_unique_per_exact_id(store: Engine) -> None:
    with transaction(store) as session:
        session.add(
            CrossReference(
                object_type="customer",
                system="crm",
                system_id="0015g00000QxYzAAAV",
                canonical_id="a",
            )
        )
        session.add(
            CrossReference(
                object_type="customer",
                system="crm",
                system_id="0015g00000QxyzaAAB",
                canonical_id="b",
            )
        )

    with pytest.raises(IntegrityError), transaction(store) as session:
        session.add(
            CrossReference(
                object_type="customer",
                system="crm",
                system_id="0015g00000QxYzAAAV",
                canonical_id="c",
            )
        )

    with Session(store) as session:
        found = session.exec(
            select(CrossReference.canonical_id).where(
                CrossReference.system_id == "0015g00000qxyzaaav"
            )
        ).all()
    assert found == []


def test_timestamps_come_back_in_utc(store: Engine) -> None:
    with transaction(store) as session:
        session.add(_inbox("wh-1"))

    with Session(store) as session:
        stored = session.exec(select(InboxMessage)).one()

    assert stored.received_at.utcoffset() is not None
    assert stored.received_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_naive_timestamp_is_refused(store: Engine) -> None:
    message = _inbox("wh-1")
    message.received_at = datetime(2026, 3, 2, 9, 15)

    with pytest.raises(Exception, match="no time zone"), transaction(store) as session:
        session.add(message)


def test_sqlite_uses_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_store_engine(sqlite_url(tmp_path / "store.db"))

    with engine.connect() as connection:
        mode = connection.execute(text("PRAGMA journal_mode")).scalar()
        timeout = connection.execute(text("PRAGMA busy_timeout")).scalar()

    assert mode == "wal"
    assert timeout == 10_000
