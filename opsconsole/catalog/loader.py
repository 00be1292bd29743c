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
_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")
_CONSTRUCTORS = {
    "tag:yaml.org,2002:int": _SCALAR_CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _SCALAR_CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _SCALAR_CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:null": _SCALAR_CONSTRUCTOR.construct_yaml_null,
}


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
        lines: dict[JsonPath, int] = {(): node.start_mark.line + 1}
        data = _build(node, (), lines)
        yield Document(data, file, lines)


def _build(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
            child = (*path, key)
            # Record the key's line, not the value's. A block collection starts on the line
            # after its key, and authors look for the key.
            lines[child] = key_node.start_mark.line + 1
            result[key] = _build_value(value_node, child, lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            items.append(_build_value(item, (*path, index), lines))
        return items
    return _scalar(node)


def _build_value(node: yaml.Node, path: JsonPath, lines: dict[JsonPath, int]) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    return _build(node, path, lines)


def _scalar(node: yaml.Node) -> Any:
    # Dates and timestamps stay strings: the schema and the reports treat them as text.
    constructor = _CONSTRUCTORS.get(node.tag)
    if constructor is None or not isinstance(node, yaml.ScalarNode):
        return node.value
    return constructor(node)


def _display_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
