"""Changes, levels and the contexts that decide whether a change breaks anyone."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Level(StrEnum):
    """Severity of a change: it breaks someone, deserves a look, or is for the record."""

    BREAKING = "breaking"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "breaking": 2}[self.value]


class Effect(StrEnum):
    """Effect of a change on the set of valid instances."""

    NARROWING = "narrowing"  # the new version rejects some instances the old one accepted
    WIDENING = "widening"  # the new version accepts some instances the old one rejected
    BOTH = "both"
    NONE = "none"


class Context(StrEnum):
    """Who reads the data at a schema position, which decides which effect breaks them.

    INPUT data is sent to the provider (requests, received messages, and a plain schema read
    under BACKWARD compatibility): narrowing breaks the senders. OUTPUT data is sent by the
    provider (responses, sent messages): widening breaks the readers. BOTH is both, DATA is a
    plain schema diffed without a mode, where narrowing breaks and widening is a warning.
    UNREACHED is an OpenAPI component no operation uses: any change there is a warning.
    """

    INPUT = "input"
    OUTPUT = "output"
    BOTH = "both"
    DATA = "data"
    UNREACHED = "unreached"


def level_for(effect: Effect, context: Context) -> Level:
    """Return the level of a change with `effect` at a position read in `context`."""
    if effect == Effect.NONE:
        return Level.INFO
    if context == Context.UNREACHED:
        return Level.WARNING
    narrows = effect in (Effect.NARROWING, Effect.BOTH)
    widens = effect in (Effect.WIDENING, Effect.BOTH)
    if context == Context.BOTH and (narrows or widens):
        return Level.BREAKING
    if context in (Context.INPUT, Context.DATA) and narrows:
        return Level.BREAKING
    if context == Context.OUTPUT and widens:
        return Level.BREAKING
    return Level.WARNING if context == Context.DATA else Level.INFO


# Declaring a property on an open object narrows it, but only for instances that already used
# the name with another type, which a client of the old contract had no reason to send.
LEVEL_CAPS: dict[str, Level] = {"property-added-to-open-model": Level.WARNING}


@dataclass(frozen=True)
class Usage:
    """Where a change is reached from: an operation or channel, the part of it, and the field.

    `part` is `request`, `response:<status>`, `parameter:<in>`, `message` or `schema`. `field`
    is the instance path below that part: property names, `[]` for array items and `*` for any
    undeclared property.
    """

    operation: str
    part: str
    field: tuple[str, ...]


@dataclass
class Change:
    """One difference between two versions of a contract, with its rule and level."""

    id: str
    path: str
    reason: str
    effect: Effect
    detail: str = ""
    level: Level = Level.INFO
    contract: str = ""
    contexts: set[Context] = field(default_factory=set)
    usages: set[Usage] = field(default_factory=set)
    fixed_level: Level | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.id, self.path, self.detail)

    @property
    def fingerprint(self) -> str:
        """Identify the change by what changed, never by where it sits in the file."""
        text = json.dumps([self.contract, self.id, self.path, self.detail])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def settle_level(self, mapping: Callable[[Context], Context] | None = None) -> None:
        """Set `level` from the contexts the change is reached in, mapped by a mode if given."""
        if self.fixed_level is not None:
            self.level = self.fixed_level
            return
        contexts = self.contexts or {Context.DATA}
        if mapping is not None:
            contexts = {mapping(context) for context in contexts}
        levels = [level_for(self.effect, context) for context in contexts]
        level = max(levels, key=lambda level: level.rank)
        cap = LEVEL_CAPS.get(self.id)
        self.level = cap if cap is not None and cap.rank < level.rank else level

    def as_json(self) -> dict[str, Any]:
        """Return the four fields machines read: id, level, path and reason."""
        return {"id": self.id, "level": self.level.value, "path": self.path, "reason": self.reason}


def merge_effect(first: Effect, second: Effect) -> Effect:
    """Combine the effects of two findings of one change."""
    if first == second or second == Effect.NONE:
        return first
    if first == Effect.NONE:
        return second
    return Effect.BOTH
