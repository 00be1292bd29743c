"""Compatibility modes over version chains, through the library and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from opsconsole.cli.main import app
from opsconsole.review.compat import Mode, check_chain
from opsconsole.review.errors import ReviewError

D2020 = "https://json-schema.org/draft/2020-12/schema"


def versions(tmp_path: Path, *schemas: dict[str, Any]) -> list[str]:
    paths = []
    for number, schema in enumerate(schemas, start=1):
        path = tmp_path / f"order.v{number}.json"
        path.write_text(json.dumps({"$schema": D2020, **schema}), encoding="utf-8")
        paths.append(str(path))
    return paths


NARROW = {"type": "string", "maxLength": 5}
WIDE = {"type": "string", "maxLength": 10}


@pytest.mark.parametrize(
    ("mode", "old", "new", "compatible"),
    [
        (Mode.BACKWARD, NARROW, WIDE, True),
        (Mode.BACKWARD, WIDE, NARROW, False),
        (Mode.FORWARD, NARROW, WIDE, False),
        (Mode.FORWARD, WIDE, NARROW, True),
        (Mode.FULL, NARROW, WIDE, False),
        (Mode.FULL, WIDE, NARROW, False),
        (Mode.FULL, WIDE, {**WIDE, "description": "same set"}, True),
        (Mode.NONE, WIDE, {"type": "integer"}, True),
    ],
)
def test_mode_on_two_versions(
    tmp_path: Path, mode: Mode, old: dict[str, Any], new: dict[str, Any], compatible: bool
) -> None:
    verdict = check_chain(versions(tmp_path, old, new), mode)
    assert verdict.compatible is compatible
    assert bool(verdict.deciding) is (not compatible)


def transitive_chain(tmp_path: Path) -> list[str]:
    # v2 broke v1 (registered under NONE); v3 only widens v2, so it is BACKWARD compatible
    # with v2 but still cannot read v1's strings.
    return versions(
        tmp_path,
        {"type": "object", "properties": {"qty": {"type": "string"}}},
        {"type": "object", "properties": {"qty": {"type": "integer", "maximum": 10}}},
        {"type": "object", "properties": {"qty": {"type": "integer"}}},
    )


def test_transitive_checks_every_earlier_version(tmp_path: Path) -> None:
    chain = transitive_chain(tmp_path)
    assert check_chain(chain, Mode.BACKWARD).compatible
    verdict = check_chain(chain, Mode.BACKWARD_TRANSITIVE)
    assert not verdict.compatible
    assert [check.old for check in verdict.checks] == [chain[1], chain[0]]
    assert [check.compatible for check in verdict.checks] == [True, False]
    assert verdict.deciding[0].id == "type-narrowed"


def test_forward_transitive_and_full_transitive(tmp_path: Path) -> None:
    chain = versions(tmp_path, {"type": "integer"}, {"type": "integer", "maximum": 10}, NARROW)
    assert not check_chain(chain, Mode.FORWARD_TRANSITIVE).compatible
    assert not check_chain(chain, Mode.FULL_TRANSITIVE).compatible
    same = versions(tmp_path, WIDE, WIDE, WIDE)
    assert check_chain(same, Mode.FULL_TRANSITIVE).compatible


def test_single_version_rejected(tmp_path: Path) -> None:
    with pytest.raises(ReviewError, match="at least two versions"):
        check_chain(versions(tmp_path, WIDE), Mode.BACKWARD)


def test_compat_cli_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    chain = transitive_chain(tmp_path)
    passed = runner.invoke(app, ["review", "compat", "--mode", "BACKWARD", *chain])
    assert passed.exit_code == 0, passed.output
    failed = runner.invoke(
        app, ["review", "compat", "--mode", "backward_transitive", "--json", *chain]
    )
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert report["verdict"] == "incompatible"
    assert report["mode"] == "BACKWARD_TRANSITIVE"
    assert set(report["changes"][0]) == {"id", "level", "path", "reason"}
    unreadable = runner.invoke(app, ["review", "compat", chain[0], str(tmp_path / "gone.json")])
    assert unreadable.exit_code == 2


def test_diff_cli_exit_codes_and_json(tmp_path: Path) -> None:
    runner = CliRunner()
    old, new = versions(tmp_path, WIDE, NARROW)
    breaking = runner.invoke(app, ["review", "diff", "--json", old, new])
    assert breaking.exit_code == 1
    changes = json.loads(breaking.stdout)
    assert changes == [
        {
            "id": "max-length-lowered",
            "level": "breaking",
            "path": "$",
            "reason": "The maxLength of the value changed from 10 to 5.",
        }
    ]
    assert runner.invoke(app, ["review", "diff", new, old]).exit_code == 0
    broken = tmp_path / "broken.json"
    broken.write_text("{not json: [", encoding="utf-8")
    unreadable = runner.invoke(app, ["review", "diff", old, str(broken)])
    assert unreadable.exit_code == 2
    assert "neither valid JSON nor YAML" in unreadable.output
