"""Stripe-style idempotency for the system API: one stored response per key and scope."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlmodel import Session, select

from opsconsole.engine.problems import ReusedIdempotencyKey
from opsconsole.store.atomic import insert_if_absent
from opsconsole.store.db import transaction
from opsconsole.store.tables import IdempotencyRecord
from opsconsole.wire import CORRELATION_HEADER, canonical_json

REPLAYED_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class StoredResponse:
    """The response a request under an Idempotency-Key produced."""

    status_code: int
    body: dict[str, Any]


class LostRace(Exception):
    """Another request with the same key committed first, so roll back and replay its response."""


def request_hash(body: Any) -> str:
    """Return the SHA-256 of `body` serialised with sorted keys, so key order does not matter."""
    return hashlib.sha256(canonical_json(body)).hexdigest()


def lookup(session: Session, scope: str, key: str, digest: str) -> StoredResponse | None:
    """Return the stored response for `key`, or None when the key is new.

    Raises:
        ReusedIdempotencyKey: the key was stored with a different request body.
    """
    statement = select(IdempotencyRecord).where(
        IdempotencyRecord.scope == scope, IdempotencyRecord.key == key
    )
    record = session.exec(statement).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise ReusedIdempotencyKey(key)
    return StoredResponse(record.status_code, record.body)


def save(session: Session, scope: str, key: str, digest: str, response: StoredResponse) -> None:
    """Store the response of a new key in the caller's transaction.

    Raises:
        LostRace: a concurrent request stored the key first.
    """
    record = IdempotencyRecord(
        key=key,
        scope=scope,
        request_hash=digest,
        status_code=response.status_code,
        body=response.body,
    )
    if not insert_if_absent(session, record, ("scope", "key")):
        raise LostRace(key)


def run(
    engine: Engine,
    scope: str,
    key: str | None,
    payload: dict[str, Any],
    correlation_id: str,
    work: Callable[[Session], StoredResponse],
) -> JSONResponse:
    """Run a write once per Idempotency-Key, in one transaction with its stored response.

    Without a key, `work` simply runs. A repeated key with the same payload gets the stored
    response back (marked with `Idempotent-Replayed: true`) and `work` does not run.

    Raises:
        ReusedIdempotencyKey: the key was used before with a different payload.
    """
    headers = {CORRELATION_HEADER: correlation_id}
    if key is None:
        with transaction(engine) as session:
            response = work(session)
        return JSONResponse(response.body, response.status_code, headers=headers)
    digest = request_hash(payload)
    try:
        with transaction(engine) as session:
            stored = lookup(session, scope, key, digest)
            if stored is None:
                response = work(session)
                save(session, scope, key, digest, response)
                return JSONResponse(response.body, response.status_code, headers=headers)
    except LostRace:
        with Session(engine) as session:
            stored = lookup(session, scope, key, digest)
    assert stored is not None
    headers[REPLAYED_HEADER] = "true"
    return JSONResponse(stored.body, stored.status_code, headers=headers)
