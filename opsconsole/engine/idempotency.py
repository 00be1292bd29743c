"""Stripe-style idempotency for the system API: one stored response per key and scope."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from opsconsole.engine.problems import ReusedIdempotencyKey
from opsconsole.store.atomic import insert_if_absent
from opsconsole.store.tables import IdempotencyRecord
from opsconsole.wire import canonical_json


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
