"""Two workers sharing one PostgreSQL store apply events for one account in a safe order."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from engine_support import ACCOUNT_FIELDS, crm_event, make_settings
from sqlalchemy import create_engine
from sqlmodel import Session, select

from opsconsole import wire
from opsconsole.engine.app import build_state
from opsconsole.engine.identity import to_18
from opsconsole.engine.inbox import store_event
from opsconsole.engine.state import EngineState
from opsconsole.store.tables import CustomerState, DeadLetter, InboxMessage

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
EVENTS = 30
ACCOUNT_ID = to_18("0015g00000QxYzA")
HUMAN_USER_ID = to_18("005000000000777")


@pytest.fixture
def two_engines(tmp_path: Path) -> Iterator[tuple[EngineState, EngineState]]:
    try:
        psycopg.connect("host=127.0.0.1 user=postgres dbname=test", connect_timeout=2).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 (user postgres, db test) unreachable: {exc}")
    schema = f"t_{uuid.uuid4().hex}"
    settings = make_settings(
        tmp_path,
        "https://127.0.0.1:9",
        "http://127.0.0.1:9",
        database_url=POSTGRES_URL,
        database_schema=schema,
        crm_user_id="005000000000001AAA",
    )
    states = (build_state(settings), build_state(settings))
    yield states
    for state in states:
        state.engine.dispose()
    cleanup = create_engine(POSTGRES_URL)
    with cleanup.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    cleanup.dispose()


def _drain(state: EngineState) -> None:
    # Messages postponed after a write conflict become due again within a second.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state.worker.process_inbox()
        with Session(state.engine) as session:
            pending = session.exec(select(InboxMessage).where(InboxMessage.status == "pending"))
            if pending.first() is None:
                return
        time.sleep(0.05)
    pytest.fail("Inbox messages were still pending after 30 s.")


def test_two_workers_keep_newest_state(two_engines: tuple[EngineState, EngineState]) -> None:
    first, second = two_engines
    for second_of_minute in range(EVENTS):
        record = {
            **ACCOUNT_FIELDS,
            "Id": ACCOUNT_ID,
            "Phone": f"+49 30 {second_of_minute:04d}",
            "SystemModstamp": f"2026-03-02T12:00:{second_of_minute:02d}.000+0000",
            "LastModifiedById": HUMAN_USER_ID,
        }
        event = crm_event("Account", record, wire.CRM_ACCOUNT_CREATED)
        store_event(
            first.engine,
            event.model_dump(mode="json", exclude_none=True),
            correlation_id=str(uuid.uuid4()),
            traceparent=None,
        )

    workers = [threading.Thread(target=state.worker.process_inbox) for state in two_engines]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    _drain(first)

    with Session(first.engine) as session:
        statuses = session.exec(select(InboxMessage.status)).all()
        (customer,) = session.exec(select(CustomerState)).all()
        dead = session.exec(select(DeadLetter)).all()
    assert dead == []
    assert set(statuses) <= {"done", "skipped_stale", "ignored"}
    assert customer.data["phone"] == f"+49 30 {EVENTS - 1:04d}"
    assert customer.version == statuses.count("done")
    assert second is not first
