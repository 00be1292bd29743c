"""Compatibility modes as schema registries define them, checked over a chain of versions.

With versions v1..vN (oldest first), the newest version vN is checked the way a registry checks
a schema being registered:

- BACKWARD: readers on vN can read data written with vN-1 (every vN-1 instance is valid
  under vN). FORWARD: readers on vN-1 can read data written with vN. FULL: both.
- The TRANSITIVE forms check vN against every earlier version, not only vN-1.
- NONE checks nothing and always passes, but still lists the changes.

For OpenAPI and AsyncAPI documents BACKWARD means the new version still serves the old
clients (the direction-aware levels of `review diff`); FORWARD swaps requests and responses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from opsconsole.review.diff import ContextMapping, DiffResult, diff_documents
from opsconsole.review.documents import Loader, parse_source
from opsconsole.review.errors import ReviewError
from opsconsole.review.model import Change, Context, Level


class Mode(StrEnum):
    """A compatibility mode, named as in Confluent and Apicurio schema registries."""

    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def base(self) -> str:
        return self.value.removesuffix("_TRANSITIVE")


_SWAP = {
    Context.INPUT: Context.OUTPUT,
    Context.OUTPUT: Context.INPUT,
    Context.DATA: Context.OUTPUT,
    Context.BOTH: Context.BOTH,
    Context.UNREACHED: Context.UNREACHED,
}


def context_mapping(mode: Mode) -> ContextMapping:
    """Return how a mode reinterprets who reads each schema position."""
    if mode.base == "FORWARD":
        return lambda context: _SWAP[context]
    if mode.base == "FULL":
        return lambda context: context if context == Context.UNREACHED else Context.BOTH
    if mode == Mode.NONE:
        return lambda context: context
    return lambda context: Context.INPUT if context == Context.DATA else context


@dataclass
class PairCheck:
    """The newest version checked against one earlier version."""

    old: str
    new: str
    result: DiffResult

    @property
    def deciding(self) -> list[Change]:
        return [change for change in self.result.changes if change.level == Level.BREAKING]

    @property
    def compatible(self) -> bool:
        return not self.deciding


@dataclass
class Verdict:
    """The outcome of a compatibility check over a chain of versions."""

    mode: Mode
    versions: list[str]
    checks: list[PairCheck] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return self.mode == Mode.NONE or all(check.compatible for check in self.checks)

    @property
    def deciding(self) -> list[Change]:
        if self.mode == Mode.NONE:
            return []
        return [change for check in self.checks for change in check.deciding]

    def as_json(self) -> dict[str, Any]:
        """Return the verdict and the changes that decide it, for machines."""
        return {
            "mode": self.mode.value,
            "verdict": "compatible" if self.compatible else "incompatible",
            "compatible": self.compatible,
            "versions": self.versions,
            "checks": [
                {
                    "old": check.old,
                    "new": check.new,
                    "compatible": self.mode == Mode.NONE or check.compatible,
                    "changes": [change.as_json() for change in check.result.changes],
                }
                for check in self.checks
            ],
            "changes": [change.as_json() for change in self.deciding],
        }


def check_chain(specs: list[str], mode: Mode) -> Verdict:
    """Check the newest of `specs` (oldest first) against the earlier ones under `mode`."""
    if len(specs) < 2:
        raise ReviewError(
            f"A compatibility check needs at least two versions, got {len(specs)}. Pass the "
            "versions oldest first, for example order.v1.json order.v2.json."
        )
    loader = Loader()
    documents = [loader.load(parse_source(spec)) for spec in specs]
    newest = documents[-1]
    earlier = documents[:-1] if mode.transitive else documents[-2:-1]
    verdict = Verdict(mode, [doc.source.label for doc in documents])
    mapping = context_mapping(mode)
    for old in reversed(earlier):
        result = diff_documents(loader, old, newest, mapping)
        verdict.checks.append(PairCheck(old.source.label, newest.source.label, result))
    return verdict
