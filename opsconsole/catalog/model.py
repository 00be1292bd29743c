"""Typed catalog entities: systems, components, APIs, groups and touchpoints.

Documents are checked against `entity.schema.json` first. These models are built only from
documents that passed, so validation rules and reports can trust their fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["api", "event", "webhook", "batch", "file-transfer", "manual-reconciliation"]
Criticality = Literal["critical", "high", "medium", "low"]

MODES: tuple[str, ...] = (
    "api",
    "event",
    "webhook",
    "batch",
    "file-transfer",
    "manual-reconciliation",
)
CRITICALITIES: tuple[str, ...] = ("critical", "high", "medium", "low")
IMPACT_CATEGORIES: tuple[str, ...] = (
    "revenue",
    "fulfilment",
    "cash-collection",
    "customer-experience",
    "financial-reporting",
    "compliance",
    "internal",
)
DEFAULT_NAMESPACE = "default"
_REF = re.compile(r"^(?:(?P<kind>[A-Za-z]+):)?(?:(?P<namespace>[a-z0-9-]+)/)?(?P<name>[a-z0-9-]+)$")


@dataclass(frozen=True, order=True)
class EntityRef:
    """A parsed Backstage entity reference, `kind:namespace/name`, with kind in lower case."""

    kind: str
    namespace: str
    name: str

    @classmethod
    def parse(cls, text: str, default_kind: str) -> EntityRef:
        """Parse `name`, `kind:name` or `kind:namespace/name`, filling in defaults."""
        return _parse_ref(text, default_kind)

    def __str__(self) -> str:
        if self.namespace == DEFAULT_NAMESPACE:
            return f"{self.kind}:{self.name}"
        return f"{self.kind}:{self.namespace}/{self.name}"


# Reports parse the same few hundred references tens of thousands of times.
@lru_cache(maxsize=65536)
def _parse_ref(text: str, default_kind: str) -> EntityRef:
    match = _REF.match(text.strip())
    if match is None:
        return EntityRef(default_kind, DEFAULT_NAMESPACE, text.strip())
    kind = (match["kind"] or default_kind).lower()
    return EntityRef(kind, match["namespace"] or DEFAULT_NAMESPACE, match["name"])


class _Spec(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class Latency(_Spec):
    """Latency target: the maximum delay before a change reaches the target system."""

    target: str
    description: str | None = None


class FailureImpact(_Spec):
    """Business consequence of a touchpoint failure, with its category."""

    category: str
    description: str


class SystemOfRecordClaim(_Spec):
    """A statement that `system` owns `object` (or one `status` of it)."""

    object: str
    system: str
    status: str | None = None


class Contract(_Spec):
    """A contract that pins the touchpoint's payloads: a file, or an API entity."""

    type: str
    path: str | None = None
    api: str | None = None


class Monitor(_Spec):
    """A check that alerts operators when the touchpoint fails."""

    name: str
    type: str
    path: str | None = None
    query: str | None = None
    schedule: str | None = None


class Kpi(_Spec):
    """A KPI with the threshold that raises an alert."""

    name: str
    metric: str
    threshold: float
    comparison: str = ">"
    unit: str | None = None
    window: str | None = None


class TouchpointSpec(_Spec):
    """The `spec` of a Touchpoint entity."""

    mode: Mode
    source: str
    target: str
    objects: list[str]
    direction: str
    criticality: Criticality
    latency: Latency
    failure_impact: FailureImpact = Field(alias="failureImpact")
    api: str | None = None
    process: str | None = None
    schedule: str | None = None
    system_of_record: list[SystemOfRecordClaim] = Field(default=[], alias="systemOfRecord")
    owner: str | None = None
    runbook: str | None = None
    contracts: list[Contract] = []
    monitors: list[Monitor] = []
    kpis: list[Kpi] = []
    data_classification: str | None = Field(default=None, alias="dataClassification")
    residency: list[str] = []
    lifecycle: str = "production"
    replaced_by: list[str] = Field(default=[], alias="replacedBy")


class Entity(BaseModel):
    """A catalog entity of any kind, with the file and line it was read from."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    namespace: str = DEFAULT_NAMESPACE
    title: str | None = None
    description: str | None = None
    spec: dict[str, Any]
    file: str
    line: int

    @property
    def ref(self) -> EntityRef:
        """This entity's own reference."""
        return EntityRef(self.kind.lower(), self.namespace, self.name)

    @property
    def display_name(self) -> str:
        """Title if the entity has one, else its name."""
        return self.title or self.name


class Touchpoint(Entity):
    """An Entity of kind Touchpoint with its spec parsed."""

    touchpoint: TouchpointSpec

    @property
    def latency_class(self) -> str:
        """Latency class derived from the latency target."""
        return latency_class(self.touchpoint.latency.target)


_DURATION = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
LATENCY_CLASSES: tuple[tuple[str, float], ...] = (
    ("real-time", 10.0),
    ("near-real-time", 15 * 60.0),
    ("intraday", 4 * 3600.0),
    ("daily-or-slower", float("inf")),
)


def duration_seconds(text: str) -> float:
    """Convert a duration such as '2s', '15m' or '24h' to seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"Invalid duration {text!r}; write a number and ms, s, m, h or d.")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


@lru_cache(maxsize=1024)
def latency_class(target: str) -> str:
    """Name the latency class of a target: real-time (≤ 10 s) up to daily-or-slower (> 4 h)."""
    seconds = duration_seconds(target)
    for name, limit in LATENCY_CLASSES:
        if seconds <= limit:
            return name
    return LATENCY_CLASSES[-1][0]


def entity_from_document(data: dict[str, Any], file: str, line: int) -> Entity:
    """Build the typed entity for a document that passed the schema."""
    metadata = data["metadata"]
    fields = {
        "kind": data["kind"],
        "name": metadata["name"],
        "namespace": metadata.get("namespace", DEFAULT_NAMESPACE),
        "title": metadata.get("title"),
        "description": metadata.get("description"),
        "spec": data["spec"],
        "file": file,
        "line": line,
    }
    if data["kind"] == "Touchpoint":
        return Touchpoint(**fields, touchpoint=TouchpointSpec.model_validate(data["spec"]))
    return Entity(**fields)
