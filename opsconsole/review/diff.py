"""Diff two versions of a contract: JSON Schema, OpenAPI 3.0/3.1 or AsyncAPI 3.

Schema positions are compared by subsumption in both directions (see `subsume`). The document
structure around them (operations, parameters, media types, channels, messages) is compared by
the rules in `structure`. Every change ends up with a level that depends on who
reads the position: requests and received messages break on narrowing, responses and sent
messages on widening.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from opsconsole.review import annotation_rules, structure
from opsconsole.review.documents import Document, Loader, Node, Source, parse_source
from opsconsole.review.errors import DocumentReadError
from opsconsole.review.model import Change, Context, Effect, Level, Usage, merge_effect
from opsconsole.review.rules import Finding, findings
from opsconsole.review.subsume import Subsumption

ContextMapping = Callable[[Context], Context]


@dataclass
class DiffResult:
    """The changes between two documents, in a stable order."""

    old: Document
    new: Document
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.level == Level.BREAKING]


class Differ:
    """Collect changes for one pair of documents, merging repeats of one change."""

    def __init__(self, loader: Loader, old: Document, new: Document, contract: str) -> None:
        self.loader = loader
        self.old = old
        self.new = new
        self.contract = contract
        self._narrowing = Subsumption(loader, new_is_sup=True)
        self._widening = Subsumption(loader, new_is_sup=False)
        self._changes: dict[tuple[str, str, str], Change] = {}

    def compare_schemas(
        self,
        old: Node | None,
        new: Node | None,
        usage: Usage,
        context: Context,
        *,
        only_unseen: bool = False,
    ) -> None:
        """Compare two schema positions reached through `usage`, read in `context`.

        With `only_unseen`, findings already recorded through another usage are left alone,
        so a second pass over shared components does not change their levels.
        """
        if old is None or new is None:
            return
        where = (old.path, new.path)
        narrowing = self._narrowing.check([old], [new], where)
        widening = self._widening.check([new], [old], (new.path, old.path))
        found = [
            *findings(narrowing, Effect.NARROWING),
            *findings(widening, Effect.WIDENING),
        ]
        for finding in found:
            if only_unseen and (finding.id, finding.path, finding.detail) in self._changes:
                continue
            self.add(finding, usage, context)

    def add(self, finding: Finding, usage: Usage, context: Context) -> None:
        """Record a finding, merging it with an earlier one of the same rule, path and detail."""
        change = Change(finding.id, finding.path, finding.reason, finding.effect, finding.detail)
        change.contract = self.contract
        existing = self._changes.setdefault(change.key, change)
        existing.effect = merge_effect(existing.effect, finding.effect)
        existing.contexts.add(context)
        existing.usages.add(Usage(usage.operation, usage.part, usage.field + finding.field))

    def add_structural(
        self,
        rule: str,
        path: str,
        reason: str,
        level: Level,
        usage: Usage | None = None,
        detail: str = "",
    ) -> None:
        """Record a change of the document's structure, whose level does not depend on context."""
        change = Change(rule, path, reason, Effect.NONE, detail, contract=self.contract)
        change.fixed_level = level
        existing = self._changes.setdefault(change.key, change)
        if usage is not None:
            existing.usages.add(usage)

    def result(self, mapping: ContextMapping | None = None) -> DiffResult:
        changes = list(self._changes.values())
        for change in changes:
            change.settle_level(mapping)
        changes.sort(key=lambda c: (-c.level.rank, c.path, c.id, c.detail))
        return DiffResult(self.old, self.new, changes)


def load_pair(old_spec: str, new_spec: str) -> tuple[Loader, Document, Document]:
    """Load the old and the new version named on the command line."""
    loader = Loader()
    old = loader.load(parse_source(old_spec))
    new = loader.load(parse_source(new_spec))
    return loader, old, new


def diff_documents(
    loader: Loader,
    old: Document,
    new: Document,
    mapping: ContextMapping | None = None,
    contract: str | None = None,
) -> DiffResult:
    """Diff two versions of one contract and return the changes with their levels.

    `mapping` reinterprets who reads each position (see `compat.context_mapping`); `contract`
    names the contract in fingerprints and defaults to the new version's path.
    """
    if old.kind != new.kind:
        raise DocumentReadError(
            f"{old.source.label} is {_article(old.kind)} document but {new.source.label} is "
            f"{_article(new.kind)} document; compare two versions of the same kind."
        )
    differ = Differ(loader, old, new, contract or contract_name(new.source))
    if new.kind == "schema":
        usage = Usage("", "schema", ())
        differ.compare_schemas(old.root(), new.root(), usage, Context.DATA)
    else:
        structure.compare(differ)
    annotation_rules.compare(differ)
    return differ.result(mapping)


def diff_sources(old_spec: str, new_spec: str, mapping: ContextMapping | None = None) -> DiffResult:
    """Load and diff two versions named as files or `REV:path`."""
    loader, old, new = load_pair(old_spec, new_spec)
    return diff_documents(loader, old, new, mapping)


def contract_name(source: Source) -> str:
    """Name a contract by its path, without the revision it was read from."""
    return source.path.removeprefix("./")


def _article(kind: str) -> str:
    names = {"schema": "a JSON Schema", "openapi": "an OpenAPI", "asyncapi": "an AsyncAPI"}
    return names[kind]


def counts(changes: Iterable[Change]) -> dict[str, int]:
    """Count changes per level."""
    result = {level.value: 0 for level in Level}
    for change in changes:
        result[change.level.value] += 1
    return result
