"""Atomic insert-if-absent, the primitive behind inbox dedupe and cross-reference links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel


def insert_if_absent(session: Session, row: SQLModel, conflict: Sequence[str]) -> bool:
    """Insert `row` unless a row with the same `conflict` column values exists.

    Returns True when this call inserted the row. The database decides in one statement
    (INSERT ... ON CONFLICT DO NOTHING), so two concurrent callers never both insert.
    """
    dialect = session.get_bind().dialect.name
    target = type(row).__table__  # type: ignore[attr-defined]
    values = row.model_dump(exclude_none=True)
    if dialect == "postgresql":
        statement: Any = postgresql.insert(target).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    elif dialect == "sqlite":
        statement = sqlite.insert(target).values(**values)
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    else:
        return _insert_in_savepoint(session, target, values)
    # RETURNING shows whether the row was inserted, because psycopg reports rowcount -1 here.
    inserted = session.execute(statement.returning(target.c[conflict[0]])).first()
    return inserted is not None


def _insert_in_savepoint(session: Session, target: Any, values: dict[str, Any]) -> bool:
    # Backends without ON CONFLICT: the unique constraint still decides, inside a savepoint
    # so that losing the race does not abort the caller's transaction.
    try:
        with session.begin_nested():
            session.execute(insert(target).values(**values))
    except IntegrityError:
        return False
    return True
