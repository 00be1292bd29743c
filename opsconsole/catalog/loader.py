"""Read catalog YAML files into documents that remember the line of every value.

Validation messages name a file and a line, so the loader composes YAML nodes (which carry
marks) and builds plain Python values itself, recording the line of each JSON path on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

JsonPath = tuple[str | int, ...]

# libyaml parses about ten times faster than the pure-Python parser; both keep marks.
_LOADER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")


@dataclass
class Document:
    """One YAML document from a catalog file, with the line (1-based) of each JSON path."""

    data: Any
    file: str
    lines: dict[JsonPath, int] = field(default_factory=dict)

    @property
    def line(self) -> int:
        """Line where the document starts."""
        return self.lines.get((), 1)

    def line_of(self, path: JsonPath) -> int:
        """Line of `path`, or of its nearest ancestor that exists in the file."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, self.line)


@dataclass(frozen=True)
class SyntaxProblem:
    """A YAML file that cannot be parsed, with where the parser stopped."""

    file: str
    line: int
    message: str


def catalog_files(catalog_dir: Path) -> list[Path]:
    """List the YAML files under `catalog_dir`, sorted so reports are stable."""
    files = [*catalog_dir.rglob("*.yaml"), *catalog_dir.rglob("*.yml")]
    return sorted(path for path in files if path.is_file())


def load_documents(paths: list[Path], root: Path) -> tuple[list[Document], list[SyntaxProblem]]:
    """Parse every file in `paths`; file names in the result are relative to `root`."""
    documents: list[Document] = []
    problems: list[SyntaxProblem] = []
    for path in paths:
        name = _display_name(path, root)
        try:
            documents.extend(parse_text(path.read_text(encoding="utf-8"), name))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            problems.append(SyntaxProblem(name, line, f"{exc.problem or exc.context}"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(SyntaxProblem(name, 1, f"cannot be read: {exc}"))
    return documents, problems


def parse_text(text: str, file: str) -> Iterator[Document]:
    """Yield one `Document` per YAML document in `text`, skipping empty ones."""
    for node in yaml.compose_all(text, Loader=_LOADER):
        if node is None:
            continue
        lines: dict[JsonPath, int] = {}
        data = _build(node, (), lines)
        yield Document(data, file, lines)


def _build(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
            result[key] = _build(value_node, (*path, key), lines)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), lines) for index, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Dates and timestamps stay strings: the schema and the reports treat them as text.
    if node.tag in (_INT, _FLOAT, _BOOL, _NULL):
        return _SCALAR_CONSTRUCTOR.construct_object(node)
    return node.value


def _display_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
