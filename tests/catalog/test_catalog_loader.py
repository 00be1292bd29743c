"""The loader builds the same values PyYAML's safe loader does, and the line of every path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opsconsole.catalog.loader import Document, load_documents, parse_text

TOUCHPOINTS = """\
# two touchpoints in one file
apiVersion: opsconsole.dev/v1alpha1
kind: Touchpoint
metadata:
  name: first
spec:
  objects:
    - customer
    - "order"
  latency:
    target: 1h
---

apiVersion: opsconsole.dev/v1alpha1
kind: Touchpoint
metadata: {name: second}
spec:
  kpis:
  - name: lag
    threshold: 60
"""

SCALARS = """\
plain: text
quoted: 'true'
yes-word: yes
on-word: on
octal: 0777
underscored: 1_000
sexagesimal: 1:20
float: 1.5e3
infinity: .inf
nothing: ~
empty:
date: 2024-01-31
timestamp: 2024-01-31T10:00:00Z
literal: |
  kept
explicit-int: !!int "12"
explicit-str: !!str 12
2: integer key
true: boolean key
"""


def _documents(text: str) -> list[Document]:
    return list(parse_text(text, "catalog/test.yaml"))


def test_line_per_key_and_list_item() -> None:
    first, second = _documents(TOUCHPOINTS)

    assert (first.line, second.line) == (2, 14)
    assert first.line_of(("spec", "objects")) == 7
    assert first.line_of(("spec", "objects", 1)) == 9
    assert first.line_of(("spec", "latency", "target")) == 11
    assert second.line_of(("metadata", "name")) == 16
    assert second.line_of(("spec", "kpis", 0, "threshold")) == 20


def test_line_of_missing_path_is_ancestors() -> None:
    [_, second] = _documents(TOUCHPOINTS)

    assert second.line_of(("spec", "kpis", 0, "metric")) == 19
    assert second.line_of(("status",)) == 14


def test_scalar_types_match_safe_loader() -> None:
    [document] = _documents(SCALARS)
    expected = yaml.safe_load(SCALARS)
    # Keys become text, and dates stay text, because the schema reads them as strings.
    expected = {str(key): value for key, value in expected.items()}
    expected["date"], expected["timestamp"] = "2024-01-31", "2024-01-31T10:00:00Z"

    assert document.data == expected


def test_unknown_tag_stays_text() -> None:
    [document] = _documents("threshold: !local 5\n")

    assert document.data == {"threshold": "5"}


def test_alias_copies_anchor_value_and_lines() -> None:
    text = "base: &hub\n  system: hub\n  modes: [api]\ncopy: *hub\nitems:\n  - *hub\n"
    [document] = _documents(text)

    assert document.data["copy"] == document.data["base"] == document.data["items"][0]
    assert document.data["copy"] is not document.data["base"]
    assert document.line_of(("copy",)) == 4
    assert document.line_of(("copy", "system")) == 2
    assert document.line_of(("items", 0)) == 1
    assert document.line_of(("items", 0, "modes", 0)) == 3


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("a: *missing\n", "found undefined alias 'missing'", 0),
        ("a: &x 1\nb: &x 2\n", "found duplicate anchor 'x', first defined on line 1", 1),
        ("a: 1\nb: [2,\n", "did not find expected node content", 2),
    ],
)
def test_yaml_error_names_problem_and_line(text: str, message: str, line: int) -> None:
    with pytest.raises(yaml.MarkedYAMLError) as caught:
        _documents(text)

    assert caught.value.problem == message
    assert caught.value.problem_mark is not None
    assert caught.value.problem_mark.line == line


def test_documents_before_yaml_error_kept() -> None:
    documents: list[Document] = []

    with pytest.raises(yaml.MarkedYAMLError):
        documents.extend(parse_text("a: 1\n---\nb: [\n", "catalog/test.yaml"))

    assert [document.data for document in documents] == [{"a": 1}]


def test_loaded_documents_read_lines_on_demand(tmp_path: Path) -> None:
    # load_documents keeps only start lines and parses a file again when a finding needs a
    # deeper line: the lines must be the ones parse_text records.
    (tmp_path / "touchpoints.yaml").write_text(TOUCHPOINTS + "---\nbroken: [\n", "utf-8")
    paths: list[tuple[str | int, ...]] = [
        ("spec",),
        ("spec", "objects", 1),
        ("metadata", "name"),
        ("spec", "kpis", 0, "name"),
    ]

    loaded, [problem] = load_documents([tmp_path / "touchpoints.yaml"], tmp_path)
    parsed = _documents(TOUCHPOINTS)

    assert problem.line == 23
    assert [document.line for document in loaded] == [2, 14]
    for lazy, eager in zip(loaded, parsed, strict=True):
        for path in paths:
            assert lazy.line_of(path) == eager.line_of(path)
        assert lazy.lines == eager.lines
