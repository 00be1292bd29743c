"""Consumers of a contract: touchpoints from the catalog and pacts from `contracts/pacts/`.

The readers here are small and tolerant and read the YAML and JSON as written. A Touchpoint
entity (`kind: Touchpoint`) lists `spec.contracts` as paths or as
`{schema|openapi|asyncapi|pact: path}` items and names `spec.owner`. A Pact V4 file names
`consumer.name`, `provider.name` and `interactions[]` with `request`/`response` (HTTP) or
`contents` (messages). A breaking change affects a pact only when one of its interactions uses
the changed operation or field, so a removed field no pact reads is reported as safe. A field
is used only when its exact key path appears in the bodies the change applies to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import yaml

from opsconsole.review.model import Change, Effect, Level, Usage

_CONTRACT_KEYS = ("schema", "openapi", "asyncapi", "pact", "path")
_HTTP_METHODS = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}
_REQUIRED_RULES = {"required-added", "request-body-became-required", "request-body-added-required"}


@dataclass(frozen=True)
class Touchpoint:
    """A catalog touchpoint with the contracts it uses and its owner."""

    name: str
    owner: str
    contracts: tuple[str, ...]
    source: str

    @property
    def pacts(self) -> tuple[str, ...]:
        return tuple(c for c in self.contracts if c.startswith("contracts/pacts/"))


@dataclass(frozen=True)
class Interaction:
    """One pact interaction reduced to what impact analysis reads."""

    description: str
    method: str
    path: str
    query: dict[str, Any]
    headers: dict[str, Any]
    request_body: Any
    status: int | None
    response_body: Any
    contents: Any


@dataclass(frozen=True)
class Pact:
    """A pact file: who consumes whom, and the interactions it relies on."""

    consumer: str
    provider: str
    interactions: tuple[Interaction, ...]
    source: str


@dataclass(frozen=True)
class Consumer:
    """A consumer named in an impact report, with the reason it is affected or safe."""

    name: str
    kind: str
    owner: str
    source: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "kind": self.kind,
            "owner": self.owner,
            "source": self.source,
            "reason": self.reason,
        }


@dataclass
class Impact:
    """The consumers one breaking change affects, and those it is known to spare."""

    change: Change
    affected: list[Consumer] = field(default_factory=list)
    safe: list[Consumer] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.change.fingerprint,
            "id": self.change.id,
            "path": self.change.path,
            "affected": [c.as_dict() for c in self.affected],
            "safe": [c.as_dict() for c in self.safe],
        }


def normalise(path: str) -> str:
    """Write a workspace-relative contract path one way: no `./`, forward slashes."""
    return path.replace("\\", "/").removeprefix("./")


def load_touchpoints(root: Path) -> list[Touchpoint]:
    """Read every Touchpoint entity under `root/catalog`; other kinds and bad files are skipped."""
    found: list[Touchpoint] = []
    for path in sorted((root / "catalog").rglob("*.y*ml")):
        for entity in _yaml_documents(path):
            if str(entity.get("kind", "")).lower() != "touchpoint":
                continue
            metadata = entity.get("metadata") or {}
            spec = entity.get("spec") or {}
            contracts = tuple(normalise(c) for c in _contract_paths(spec.get("contracts")))
            name = str(metadata.get("name") or path.stem)
            source = path.relative_to(root).as_posix()
            found.append(Touchpoint(name, str(spec.get("owner") or ""), contracts, source))
    return found


def _yaml_documents(path: Path) -> Iterator[dict[str, Any]]:
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return
    for document in documents:
        if isinstance(document, dict):
            yield document


def _contract_paths(listed: Any) -> Iterator[str]:
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key in _CONTRACT_KEYS:
                if isinstance(item.get(key), str):
                    yield item[key]


def load_pacts(root: Path) -> list[Pact]:
    """Read every pact JSON file under `root/contracts/pacts`; unreadable files are skipped."""
    pacts = []
    for path in sorted((root / "contracts" / "pacts").rglob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError):
            continue
        if isinstance(data, dict):
            pacts.append(_pact(data, path.relative_to(root).as_posix()))
    return pacts


def _pact(data: dict[str, Any], source: str) -> Pact:
    listed = data.get("interactions") or data.get("messages") or []
    interactions = tuple(_interaction(item) for item in listed if isinstance(item, dict))
    return Pact(
        str((data.get("consumer") or {}).get("name", "")),
        str((data.get("provider") or {}).get("name", "")),
        interactions,
        source,
    )


def _interaction(item: dict[str, Any]) -> Interaction:
    request = item.get("request") or {}
    response = item.get("response") or {}
    query = request.get("query") or {}
    if isinstance(query, str):
        query = parse_qs(query)
    status = response.get("status")
    return Interaction(
        description=str(item.get("description", "")),
        method=str(request.get("method", "")).upper(),
        path=str(request.get("path", "")),
        query=query if isinstance(query, dict) else {},
        headers={str(k).lower(): v for k, v in (request.get("headers") or {}).items()},
        request_body=_unwrap(request.get("body")),
        status=status if isinstance(status, int) else None,
        response_body=_unwrap(response.get("body")),
        contents=_unwrap(item.get("contents")),
    )


def _unwrap(body: Any) -> Any:
    """Return the JSON inside a Pact V4 body (`{"content": ..., "contentType": ...}`)."""
    if (
        isinstance(body, dict)
        and "content" in body
        and ("contentType" in body or "encoded" in body)
    ):
        content = body["content"]
        if isinstance(content, str):
            try:
                return json.loads(content)
            except json.JSONDecodeError:
                return content
        return content
    return body


def assess(
    contract: str,
    changes: list[Change],
    touchpoints: list[Touchpoint],
    pacts: list[Pact],
    provider_names: set[str] | None = None,
) -> list[Impact]:
    """Return the consumers each breaking change of `contract` affects or spares."""
    contract = normalise(contract)
    users = [t for t in touchpoints if contract in t.contracts]
    operations = {u.operation for c in changes for u in c.usages if _is_http(u.operation)}
    related = _related_pacts(users, pacts, provider_names or set(), operations)
    impacts = []
    for change in changes:
        if change.level != Level.BREAKING:
            continue
        impacts.append(_impact(change, users, related))
    return impacts


def _related_pacts(
    users: list[Touchpoint], pacts: list[Pact], provider_names: set[str], operations: set[str]
) -> list[Pact]:
    """Pick the pacts of this contract: linked by a touchpoint, by name, or by operation."""
    linked = {p for t in users for p in t.pacts}
    names = provider_names | {t.name for t in users}
    return [
        pact
        for pact in pacts
        if normalise(pact.source) in linked
        or pact.provider in names
        or any(_calls(interaction, operations) for interaction in pact.interactions)
    ]


def _is_http(operation: str) -> bool:
    method, _, template = operation.partition(" ")
    return method in _HTTP_METHODS and template.startswith("/")


def _calls(interaction: Interaction, operations: set[str]) -> bool:
    for operation in operations:
        method, _, template = operation.partition(" ")
        if interaction.method == method and _path_matches(template, interaction.path):
            return True
    return False


def _impact(change: Change, users: list[Touchpoint], pacts: list[Pact]) -> Impact:
    impact = Impact(change)
    verdicts: dict[str, bool] = {}
    for pact in pacts:
        hit = _pact_hit(change, pact)
        verdicts[normalise(pact.source)] = hit is not None
        if hit is not None:
            impact.affected.append(Consumer(pact.consumer, "pact", "", pact.source, hit))
        else:
            reason = f"No interaction of {pact.consumer}'s pact uses {_subject(change)}."
            impact.safe.append(Consumer(pact.consumer, "pact", "", pact.source, reason))
    for touchpoint in users:
        judged = [verdicts[p] for p in touchpoint.pacts if p in verdicts]
        consumer = Consumer(touchpoint.name, "touchpoint", touchpoint.owner, touchpoint.source, "")
        if judged and not any(judged):
            reason = f"Its pacts do not use {_subject(change)}."
            impact.safe.append(_with_reason(consumer, reason))
        else:
            impact.affected.append(_with_reason(consumer, "It uses this contract."))
    return impact


def _with_reason(consumer: Consumer, reason: str) -> Consumer:
    return Consumer(consumer.name, consumer.kind, consumer.owner, consumer.source, reason)


def _subject(change: Change) -> str:
    fields = sorted({".".join(u.field) for u in change.usages if u.field})
    operations = sorted({u.operation for u in change.usages if u.operation})
    if fields:
        return "field " + ", ".join(fields)
    if operations:
        return "operation " + ", ".join(operations)
    return change.path


def _pact_hit(change: Change, pact: Pact) -> str | None:
    """Return why `pact` is affected by `change`, or None when no interaction uses it."""
    usages = change.usages or {Usage("", "schema", ())}
    for interaction in pact.interactions:
        for usage in usages:
            if _uses(change, usage, interaction):
                what = f" field {'.'.join(usage.field)}" if usage.field else ""
                label = interaction.description or f"{interaction.method} {interaction.path}"
                return f"Interaction '{label}' uses{what or ' ' + (usage.operation or 'it')}."
    return None


def _uses(change: Change, usage: Usage, interaction: Interaction) -> bool:
    method, _, template = usage.operation.partition(" ")
    if _is_http(usage.operation):
        if interaction.method != method or not _path_matches(template, interaction.path):
            return False
        return _http_uses(change, usage, interaction)
    return _message_uses(change, usage, interaction)


def _http_uses(change: Change, usage: Usage, interaction: Interaction) -> bool:
    part = usage.part
    if part == "operation":
        return True
    if part == "request":
        return _field_used(change, interaction.request_body, usage.field)
    if part.startswith("response:"):
        status = part.split(":", 1)[1]
        if interaction.status is not None and not _status_matches(status, interaction.status):
            return False
        return _field_used(change, interaction.response_body, usage.field)
    if part == "parameter:query":
        return bool(usage.field) and usage.field[0] in interaction.query
    if part == "parameter:header":
        return bool(usage.field) and usage.field[0].lower() in interaction.headers
    return True


def _message_uses(change: Change, usage: Usage, interaction: Interaction) -> bool:
    """Check the exact key paths in the bodies of an interaction no operation ties to the change."""
    bodies = [b for b in _bodies_for(change, usage, interaction) if b is not None]
    if change.id in _REQUIRED_RULES:
        # Without an operation nothing shows that a body is an instance of the schema. So only a
        # body that contains the field's parent object (a path of two or more steps) can lack it.
        # NOTE: a new required top-level property therefore never marks an untied pact affected.
        steps = usage.field
        return len(steps) > 1 and any(_missing_below_parent(body, steps) for body in bodies)
    if any(_field_used(change, body, usage.field) for body in bodies):
        return True
    sends = usage.part == "schema" and change.effect != Effect.WIDENING
    return sends and len(usage.field) == 1 and usage.field[0] in interaction.query


def _bodies_for(change: Change, usage: Usage, interaction: Interaction) -> list[Any]:
    """Pick the bodies a change applies to: message contents, plus the side a plain schema breaks.

    A narrowing change to a plain schema breaks the senders of an instance (request bodies). A
    widening change breaks its readers (response bodies). Message contents may go either way.
    """
    if usage.part != "schema":
        return [interaction.contents]
    bodies = [interaction.contents]
    if change.effect != Effect.WIDENING:
        bodies.append(interaction.request_body)
    if change.effect != Effect.NARROWING:
        bodies.append(interaction.response_body)
    return bodies


def _missing_below_parent(body: Any, steps: tuple[str, ...]) -> bool:
    parents = list(_values_at(body, steps[:-1]))
    return any(isinstance(p, dict) and steps[-1] not in p for p in parents)


def _status_matches(status: str, actual: int) -> bool:
    if status == "default":
        return True
    if status.upper().endswith("XX"):
        return str(actual).startswith(status[0])
    return status == str(actual)


def _path_matches(template: str, path: str) -> bool:
    pattern = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)) + "/?$"
    return re.match(pattern, path.split("?")[0]) is not None


def _field_used(change: Change, body: Any, steps: tuple[str, ...]) -> bool:
    if change.id in _REQUIRED_RULES:
        return _missing(body, steps)
    values = list(_values_at(body, steps))
    if change.id == "enum-value-removed":
        removed = _removed_values(change)
        return any(json.dumps(v, sort_keys=True) in removed for v in values)
    return bool(values)


def _values_at(body: Any, steps: tuple[str, ...]) -> Iterator[Any]:
    if not steps:
        yield body
        return
    step, rest = steps[0], steps[1:]
    if step == "[]" or re.fullmatch(r"\[\d+\]", step):
        items = body if isinstance(body, list) else []
        if step != "[]":
            index = int(step[1:-1])
            items = items[index : index + 1]
        for item in items:
            yield from _values_at(item, rest)
    elif step == "*":
        for value in (body or {}).values() if isinstance(body, dict) else []:
            yield from _values_at(value, rest)
    elif isinstance(body, dict) and step in body:
        yield from _values_at(body[step], rest)


def _missing(body: Any, steps: tuple[str, ...]) -> bool:
    if not steps:
        return body is None
    parents = list(_values_at(body, steps[:-1]))
    return any(isinstance(p, dict) and steps[-1] not in p for p in parents)


def _removed_values(change: Change) -> set[str]:
    try:
        _, old, _ = json.loads(change.detail)
    except (ValueError, TypeError):
        return set()
    return {json.dumps(v, sort_keys=True) for v in old or []}
