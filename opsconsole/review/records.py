"""Review records: one YAML file per change set in `contracts/reviews/`.

A record lists the changes with their fingerprints, the verdict, the consumers each breaking
change affects, the approvers it needs (owners of the affected touchpoints) and the approvals
and rejections given. Fingerprints depend on the contract, rule, JSONPath and values involved,
never on line numbers, so an approval still covers its changes after a rebase.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from opsconsole.review.errors import ReviewRecordError
from opsconsole.workspace import Workspace

Status = Literal["open", "approved", "rejected"]
_SLUG = re.compile(r"[^a-z0-9]+")


class Decision(BaseModel):
    """An approval or rejection: who gave it, when, and why."""

    name: str
    time: str
    comment: str = ""


class RecordedChange(BaseModel):
    """A change as the record keeps it."""

    fingerprint: str
    contract: str
    id: str
    level: str
    path: str
    reason: str


class RecordedContract(BaseModel):
    """One contract of the change set and the two versions compared."""

    path: str
    old: str
    new: str


class RecordedConsumer(BaseModel):
    """A consumer affected by, or safe from, one change."""

    name: str
    kind: str
    owner: str = ""
    source: str = ""
    reason: str = ""


class RecordedImpact(BaseModel):
    """The consumers of one breaking change."""

    fingerprint: str
    id: str
    path: str
    affected: list[RecordedConsumer] = Field(default_factory=list)
    safe: list[RecordedConsumer] = Field(default_factory=list)


class ReviewRecord(BaseModel):
    """A schema-change review of one change set."""

    id: str
    title: str
    created: str
    base: str
    status: Status = "open"
    verdict: Literal["breaking", "compatible"]
    contracts: list[RecordedContract] = Field(default_factory=list)
    changes: list[RecordedChange] = Field(default_factory=list)
    affected_consumers: list[RecordedImpact] = Field(default_factory=list)
    required_approvers: list[str] = Field(default_factory=list)
    approvals: list[Decision] = Field(default_factory=list)
    rejections: list[Decision] = Field(default_factory=list)

    @property
    def breaking_fingerprints(self) -> set[str]:
        return {c.fingerprint for c in self.changes if c.level == "breaking"}

    @property
    def missing_approvers(self) -> list[str]:
        given = {matched_approver(a.name, self.required_approvers) for a in self.approvals}
        return [name for name in self.required_approvers if name not in given]

    def settle_status(self) -> None:
        """Set the status: rejected on any rejection, approved once every approver agreed."""
        if self.rejections:
            self.status = "rejected"
        elif self.approvals and not self.missing_approvers:
            self.status = "approved"
        else:
            self.status = "open"


def matched_approver(name: str, required: list[str]) -> str | None:
    """Return the required approver that `name` matches, or None when it matches none.

    A name matches an approver written the same way. A name without a kind prefix also matches
    the one approver whose part after `kind:` it equals (`order-desk` for `group:order-desk`),
    and a prefixed name matches an approver written without one. A bare name that fits two
    approvers (`group:crm` and `user:crm`) matches neither, so one approval never counts twice.
    """
    if name in required:
        return name
    kind, _, bare = name.rpartition(":")
    candidates = [
        approver
        for approver in required
        if approver.rpartition(":")[2] == bare and (not kind or ":" not in approver)
    ]
    return candidates[0] if len(candidates) == 1 else None


def approver_spellings(required: list[str]) -> list[str]:
    """List the names that count for each required approver, for messages and help."""
    spellings = []
    for approver in required:
        bare = approver.rpartition(":")[2]
        unique = matched_approver(bare, required) == approver
        spelling = f"'{approver}' (or '{bare}')" if unique and bare != approver else f"'{approver}'"
        spellings.append(spelling)
    return spellings


def now_text() -> str:
    """Return the current UTC time as ISO 8601 with a Z suffix."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_id(title: str, fingerprints: list[str]) -> str:
    """Make a record ID from the title and the change fingerprints: `order-status-1a2b3c`."""
    slug = _SLUG.sub("-", title.lower()).strip("-")[:40].strip("-") or "review"
    digest = hashlib.sha256("".join(sorted(fingerprints)).encode()).hexdigest()[:6]
    return f"{slug}-{digest}"


def record_path(workspace: Workspace, review_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", review_id):
        raise ReviewRecordError(
            f"Review ID '{review_id}' is invalid; IDs use letters, digits, '.', '_' and '-'."
        )
    return workspace.reviews_dir / f"{review_id}.yaml"


def save(workspace: Workspace, record: ReviewRecord) -> Path:
    """Write `record` to `contracts/reviews/<id>.yaml`."""
    path = record_path(workspace, record.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = record.model_dump(mode="json")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def load(workspace: Workspace, review_id: str) -> ReviewRecord:
    """Read one record by ID."""
    path = record_path(workspace, review_id)
    if not path.is_file():
        known = ", ".join(r.id for r in load_all(workspace)) or "none"
        raise ReviewRecordError(
            f"No review '{review_id}' in {workspace.reviews_dir}. Known reviews: {known}."
        )
    return _parse(path)


def _parse(path: Path) -> ReviewRecord:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        record = ReviewRecord.model_validate(data)
        # The status is derived from the decisions, so a hand-edited status cannot approve.
        record.settle_status()
        return record
    except (OSError, yaml.YAMLError) as exc:
        raise ReviewRecordError(f"Cannot read review record {path}: {exc}.") from exc
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ReviewRecordError(
            f"Review record {path} is invalid at '{where}': {first['msg']}. Fix the file or "
            "open a new review."
        ) from exc


def load_all(workspace: Workspace) -> list[ReviewRecord]:
    """Read every record, oldest first by creation time."""
    if not workspace.reviews_dir.is_dir():
        return []
    records = [_parse(path) for path in sorted(workspace.reviews_dir.glob("*.yaml"))]
    return sorted(records, key=lambda r: (r.created, r.id))


def decide(
    workspace: Workspace,
    review_id: str,
    name: str,
    comment: str,
    *,
    approve: bool,
    time: str | None = None,
) -> ReviewRecord:
    """Add an approval or rejection by `name` and save the record with its new status."""
    if not name.strip():
        raise ReviewRecordError(
            "An approval needs the approver's name. Pass --name or set git config user.name."
        )
    record = load(workspace, review_id)
    decision = Decision(name=name.strip(), time=time or now_text(), comment=comment)
    target = record.approvals if approve else record.rejections
    target[:] = [d for d in target if d.name != decision.name] + [decision]
    if approve:
        record.rejections = [d for d in record.rejections if d.name != decision.name]
    record.settle_status()
    save(workspace, record)
    return record


def approved_fingerprints(workspace: Workspace) -> set[str]:
    """Return the fingerprints of every change covered by an approved review."""
    covered: set[str] = set()
    for record in load_all(workspace):
        if record.status == "approved":
            covered |= {change.fingerprint for change in record.changes}
    return covered
