"""The CI gate: review every contract changed since a git revision.

`check` diffs each contract under `contracts/` that changed between REV and the working tree,
finds the consumers of each breaking change, and fails when a breaking change is not covered
by an approved review record. `junit` and `markdown` render the result for CI and for a
pull-request comment. `open_review` writes a new review record for the same change set.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from opsconsole.review import consumers, records
from opsconsole.review.diff import diff_documents
from opsconsole.review.documents import Loader, Source
from opsconsole.review.errors import DocumentReadError, ReviewError
from opsconsole.review.model import Change, Effect, Level
from opsconsole.workspace import Workspace

_CONTRACT_SUFFIXES = (".json", ".yaml", ".yml")
_SKIPPED_FOLDERS = ("contracts/pacts/", "contracts/reviews/")


@dataclass
class ContractReview:
    """One changed contract: the versions compared, the changes and their consumers."""

    path: str
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)
    impacts: list[consumers.Impact] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.level == Level.BREAKING]


@dataclass
class GateReport:
    """The gate's result over every changed contract."""

    base: str
    contracts: list[ContractReview]
    approved: set[str]

    @property
    def unapproved(self) -> list[Change]:
        return [
            change
            for review in self.contracts
            for change in review.breaking
            if change.fingerprint not in self.approved
        ]

    @property
    def passed(self) -> bool:
        return not self.unapproved


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or f"git {' '.join(args)} failed"
        raise DocumentReadError(f"git {' '.join(args)} failed in {repo}: {message}.")
    return result.stdout


def _toplevel(workspace: Workspace) -> Path:
    try:
        return Path(_git(workspace.root, "rev-parse", "--show-toplevel").strip())
    except DocumentReadError as exc:
        raise ReviewError(
            f"{workspace.root} is not inside a git repository; the review gate compares "
            "contracts with a git revision. Run it inside the repository."
        ) from exc


def changed_contracts(workspace: Workspace, base: str) -> list[tuple[str, str | None, str | None]]:
    """List (status, old repo path, new repo path) of contracts changed since `base`."""
    repo = _toplevel(workspace)
    try:
        _git(repo, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}")
    except DocumentReadError as exc:
        raise DocumentReadError(
            f"Git revision '{base}' does not exist in {repo}. Pass an existing branch, tag or "
            "commit with --base, and fetch it first in a shallow CI clone."
        ) from exc
    contracts_dir = workspace.contracts_dir.resolve().relative_to(repo.resolve()).as_posix()
    output = _git(repo, "diff", "--name-status", "-M", base, "--", contracts_dir)
    found: list[tuple[str, str | None, str | None]] = []
    for line in output.splitlines():
        parts = line.split("\t")
        status = parts[0][:1]
        if status == "R":
            found.append(("R", parts[1], parts[2]))
        elif status == "D":
            found.append(("D", parts[1], None))
        elif status in ("A", "M", "T"):
            found.append((status, parts[1] if status != "A" else None, parts[1]))
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "--", contracts_dir)
    found.extend(("A", None, path) for path in untracked.splitlines() if path)
    return [entry for entry in found if _is_contract(entry[2] or entry[1] or "")]


def _is_contract(path: str) -> bool:
    relative = path.replace("\\", "/")
    if any(f"/{folder}" in f"/{relative}" for folder in _SKIPPED_FOLDERS):
        return False
    return relative.endswith(_CONTRACT_SUFFIXES)


def review_changes(
    workspace: Workspace, base: str, only: list[str] | None = None
) -> list[ContractReview]:
    """Diff every contract changed since `base` and find the consumers of its breaking changes."""
    repo = _toplevel(workspace)
    touchpoints = consumers.load_touchpoints(workspace.root)
    pacts = consumers.load_pacts(workspace.root)
    wanted = {consumers.normalise(p) for p in only} if only else None
    reviews = []
    for status, old_path, new_path in changed_contracts(workspace, base):
        name = _workspace_path(workspace, repo, new_path or old_path or "")
        if wanted is not None and name not in wanted:
            continue
        review = _review_one(workspace, repo, base, status, old_path, new_path, name)
        review.impacts = consumers.assess(name, review.changes, touchpoints, pacts)
        reviews.append(review)
    return reviews


def _workspace_path(workspace: Workspace, repo: Path, repo_path: str) -> str:
    absolute = (repo / repo_path).resolve()
    try:
        return absolute.relative_to(workspace.root.resolve()).as_posix()
    except ValueError:
        return repo_path


def _review_one(
    workspace: Workspace,
    repo: Path,
    base: str,
    status: str,
    old_path: str | None,
    new_path: str | None,
    name: str,
) -> ContractReview:
    old_label = f"{base}:{old_path}" if old_path else "(absent)"
    new_label = new_path or "(deleted)"
    review = ContractReview(name, old_label, new_label)
    if old_path is None or new_path is None:
        review.changes = [_whole_contract_change(name, added=old_path is None)]
        return review
    loader = Loader()
    old = loader.load(Source(old_path, base, repo))
    new = loader.load(Source(str(repo / new_path)))
    review.changes = diff_documents(loader, old, new, contract=name).changes
    return review


def _whole_contract_change(name: str, *, added: bool) -> Change:
    if added:
        change = Change("contract-added", "$", f"Contract {name} was added.", Effect.NONE)
        change.fixed_level = Level.INFO
    else:
        reason = f"Contract {name} was removed; everything that uses it loses it."
        change = Change("contract-removed", "$", reason, Effect.NONE)
        change.fixed_level = Level.BREAKING
    change.contract = name
    change.settle_level()
    return change


def check(workspace: Workspace, base: str) -> GateReport:
    """Run the gate: review every changed contract and compare with approved reviews."""
    reviews = review_changes(workspace, base)
    return GateReport(base, reviews, records.approved_fingerprints(workspace))


def open_review(
    workspace: Workspace,
    base: str,
    title: str,
    only: list[str] | None = None,
    review_id: str | None = None,
) -> records.ReviewRecord:
    """Create and save a review record for the contracts changed since `base`."""
    reviews = review_changes(workspace, base, only)
    if not reviews:
        raise ReviewError(
            f"No contract under {workspace.contracts_dir} changed since {base}; there is "
            "nothing to review."
        )
    changes = [change for review in reviews for change in review.changes]
    fingerprints = [change.fingerprint for change in changes]
    record = records.ReviewRecord(
        id=review_id or records.new_id(title, fingerprints),
        title=title,
        created=records.now_text(),
        base=base,
        verdict="breaking" if any(r.breaking for r in reviews) else "compatible",
        contracts=[records.RecordedContract(path=r.path, old=r.old, new=r.new) for r in reviews],
        changes=[_recorded(change) for change in changes],
        affected_consumers=[_recorded_impact(i) for r in reviews for i in r.impacts],
        required_approvers=_approvers(reviews),
    )
    record.settle_status()
    records.save(workspace, record)
    return record


def _recorded(change: Change) -> records.RecordedChange:
    return records.RecordedChange(
        fingerprint=change.fingerprint,
        contract=change.contract,
        id=change.id,
        level=change.level.value,
        path=change.path,
        reason=change.reason,
    )


def _recorded_impact(impact: consumers.Impact) -> records.RecordedImpact:
    data = impact.as_dict()
    return records.RecordedImpact.model_validate(data)


def _approvers(reviews: list[ContractReview]) -> list[str]:
    owners = {
        consumer.owner
        for review in reviews
        for impact in review.impacts
        for consumer in impact.affected
        if consumer.kind == "touchpoint" and consumer.owner
    }
    return sorted(owners)


def junit(report: GateReport) -> str:
    """Render the gate as JUnit XML: one test case per changed contract."""
    suite = ET.Element("testsuite", name="opsconsole review check")
    failures = 0
    for review in report.contracts:
        case = ET.SubElement(suite, "testcase", classname="review", name=review.path)
        missing = [c for c in review.breaking if c.fingerprint not in report.approved]
        if missing:
            failures += 1
            message = f"{len(missing)} breaking change(s) without an approved review"
            failure = ET.SubElement(case, "failure", message=message, type="breaking-change")
            failure.text = "\n".join(
                f"[{c.fingerprint}] {c.id} at {c.path}: {c.reason}" for c in missing
            )
        if review.changes:
            output = ET.SubElement(case, "system-out")
            output.text = "\n".join(
                f"{c.level.value} {c.id} {c.path}: {c.reason}" for c in review.changes
            )
    suite.set("tests", str(len(report.contracts)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def markdown(report: GateReport) -> str:
    """Render the gate as a Markdown summary for a pull-request comment."""
    state = "passed" if report.passed else "failed"
    lines = [f"## Schema-change review: {state}", ""]
    if not report.contracts:
        lines.append(f"No contract changed since `{report.base}`.")
        return "\n".join(lines) + "\n"
    lines += ["| contract | breaking | warning | info | unapproved |", "|---|---|---|---|---|"]
    for review in report.contracts:
        levels = [c.level for c in review.changes]
        unapproved = sum(1 for c in review.breaking if c.fingerprint not in report.approved)
        lines.append(
            f"| `{review.path}` | {levels.count(Level.BREAKING)} | "
            f"{levels.count(Level.WARNING)} | {levels.count(Level.INFO)} | {unapproved} |"
        )
    for review in report.contracts:
        lines += _markdown_contract(review, report.approved)
    if not report.passed:
        lines += [
            "",
            "Open a review with `opsconsole review open --base "
            f"{report.base} --title '...'`, then have the required approvers run "
            "`opsconsole review approve ID --name NAME`.",
        ]
    return "\n".join(lines) + "\n"


def _markdown_contract(review: ContractReview, approved: set[str]) -> list[str]:
    if not review.breaking:
        return []
    lines = ["", f"### `{review.path}`", ""]
    impacts = {impact.change.fingerprint: impact for impact in review.impacts}
    for change in review.breaking:
        mark = "approved" if change.fingerprint in approved else "**needs approval**"
        lines.append(
            f"- `{change.id}` at `{change.path}`: {change.reason} "
            f"({mark}, fingerprint `{change.fingerprint}`)"
        )
        impact = impacts.get(change.fingerprint)
        if impact is None:
            continue
        for consumer in impact.affected:
            owner = f", owner {consumer.owner}" if consumer.owner else ""
            lines.append(f"  - affects {consumer.kind} `{consumer.name}`{owner}: {consumer.reason}")
        for consumer in impact.safe:
            lines.append(f"  - safe for {consumer.kind} `{consumer.name}`: {consumer.reason}")
    return lines
