"""Database engines and sessions for the store: SQLite by default, any SQLAlchemy URL by config."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, SQLModel, create_engine

from opsconsole.errors import ConfigError
from opsconsole.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def sqlite_url(path: Path) -> str:
    """Return the SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def create_store_engine(url: str, *, schema: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for `url` and create any missing tables.

    SQLite files get WAL journaling, a busy timeout and `BEGIN IMMEDIATE` transactions, so
    concurrent writers wait for each other instead of failing on a lock upgrade. On
    PostgreSQL, `schema` puts every table in that schema (created when missing).
    """
    try:
        backend = make_url(url).get_backend_name()
        if backend == "sqlite":
            engine = _sqlite_engine(url, **kwargs)
        elif backend == "postgresql":
            engine = _postgresql_engine(url, schema, **kwargs)
        else:
            engine = create_engine(url, **kwargs)
        SQLModel.metadata.create_all(engine)
    except (SQLAlchemyError, OSError) as exc:
        raise ConfigError(
            f"Cannot open the store at {_masked(url)}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}. Check --database-url: a SQLAlchemy URL such as "
            "sqlite:///state/engine.sqlite or postgresql+psycopg://user@127.0.0.1:5432/db."
        ) from exc
    return engine


def _masked(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself, instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _postgresql_engine(url: str, schema: str | None, **kwargs: Any) -> Engine:
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)
    if schema:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """Open a session in one transaction: commit when the block ends, roll back on error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
