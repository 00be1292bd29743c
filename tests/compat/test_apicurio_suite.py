"""Accuracy against the Apicurio Registry JSON Schema compatibility cases.

The cases live outside the repository, in `../shared/compat/` beside the repository root; the
test skips when that folder is absent, as in a plain clone. Each case gives an original and an
updated schema and whether the change is backward compatible (B: every instance of the
original is valid under the updated schema) and forward compatible (F: the reverse).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from opsconsole.review.documents import Loader, Source
from opsconsole.review.subsume import Subsumption

SUITE_FILE = "apicurio-jsonschema-compat.json"
EXPECTED = {"both": (True, True), "backward": (True, False), "none": (False, False)}

# Cases where the suite's expected result is arguable, keyed by position because ids repeat in
# the suite, with the reason the analysis returns something else.
ARGUABLE = {
    96: "Both schemas accept no instance at all (the const is an array but type is string), "
    "so each is trivially compatible with the other; the suite expects none.",
    108: "Both schemas accept every instance: {maxLength: 5} accepts all non-strings and "
    "`type: string` all strings, so the anyOf is always true and nothing changed; the suite "
    "expects backward only.",
    117: "The suite says backward, but a 7-character string is valid under the original "
    "(only `type: string` matches) and invalid under the updated schema (both alternatives "
    "match, which oneOf rejects). The change is in fact forward compatible only; the analysis "
    "cannot prove that half because it needs oneOf alternatives to be disjoint.",
    119: 'The suite says backward, but "abc" is valid under the original (one alternative) '
    "and invalid under the updated schema (both `type: string` and maxLength 5 match).",
}

# Instances that prove the suite wrong where it claims backward compatibility.
WITNESSES = {117: "abcdefg", 119: "abc"}


def suite_path() -> Path | None:
    """Find ../shared/compat beside the repository root, also from a git worktree."""
    root = Path(__file__).resolve().parents[2]
    candidates = [root.parent / "shared" / "compat" / SUITE_FILE]
    common = subprocess.run(
        ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if common.returncode == 0 and common.stdout.strip():
        main_root = Path(common.stdout.strip()).parent
        candidates.append(main_root.parent / "shared" / "compat" / SUITE_FILE)
    return next((path for path in candidates if path.is_file()), None)


@dataclass(frozen=True)
class Outcome:
    index: int
    name: str
    expected: tuple[bool, bool]
    actual: tuple[bool, bool]


def judge(index: int, case: dict[str, Any]) -> Outcome:
    loader = Loader()
    old = loader.add(Source(f"/suite/{index}/original.json"), case["original"])
    new = loader.add(Source(f"/suite/{index}/updated.json"), case["updated"])
    backward = Subsumption(loader, new_is_sup=True).check([old.root()], [new.root()], ("$", "$"))
    forward = Subsumption(loader, new_is_sup=False).check([new.root()], [old.root()], ("$", "$"))
    actual = (not backward, not forward)
    return Outcome(index, case["id"], EXPECTED[case["compatibility"]], actual)


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    path = suite_path()
    if path is None:
        pytest.skip("../shared/compat/ is not beside the repository root; the suite is not copied")
    return list(json.loads(path.read_text(encoding="utf-8"))["tests"])


def test_suite_agreement(
    cases: list[dict[str, Any]], record_property: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    outcomes = [judge(index, case) for index, case in enumerate(cases) if case["enabled"]]
    disagreements = [o for o in outcomes if o.expected != o.actual]
    agreed = len(outcomes) - len(disagreements)
    lines = [f"agreement {agreed}/{len(outcomes)} = {agreed / len(outcomes):.1%}"]
    for outcome in disagreements:
        lines.append(
            f"  case {outcome.index} '{outcome.name}': suite (B, F) = {outcome.expected}, "
            f"review = {outcome.actual}. {ARGUABLE.get(outcome.index, 'Not explained.')}"
        )
    report = "\n".join(lines)
    record_property("compat_agreement", report)
    with capsys.disabled():
        print("\n" + report)
    assert {o.index for o in disagreements} == set(ARGUABLE)


@pytest.mark.parametrize("index", sorted(WITNESSES))
def test_witness_refutes_suite_answer(cases: list[dict[str, Any]], index: int) -> None:
    case = cases[index]
    assert case["compatibility"] == "backward"
    witness = WITNESSES[index]
    assert Draft7Validator(case["original"]).is_valid(witness)
    assert not Draft7Validator(case["updated"]).is_valid(witness)


def test_arguable_equal_schemas_accept_same_samples(cases: list[dict[str, Any]]) -> None:
    samples = [None, True, 0, 2.5, -7, "", "abc", "a" * 12, [], [1], {}, {"a": 1}]
    for index in (96, 108):
        original = Draft7Validator(cases[index]["original"])
        updated = Draft7Validator(cases[index]["updated"])
        for sample in samples:
            assert original.is_valid(sample) == updated.is_valid(sample), (index, sample)
