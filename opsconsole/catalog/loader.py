"""Read catalog YAML files into documents that remember the line of every value.

Validation messages name a file and a line, so the loader builds plain Python values from
libyaml's parser events (which carry marks) itself, recording the line of each JSON path on the
way. Reading events directly skips PyYAML's node objects and its per-node tag resolution, which
took about half of the load time of a 5,000-touchpoint catalog.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

JsonPath = tuple[str | int, ...]
# The line table a builder fills, or None when only values are wanted.
_Lines = dict[JsonPath, int] | None

# libyaml parses about ten times faster than the pure-Python parser; both keep marks.
_PARSER: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_IMPLICIT_TAGS = yaml.SafeLoader.yaml_implicit_resolvers
_SCALAR_CONSTRUCTOR = yaml.SafeLoader("")
_CONSTRUCTORS: dict[str, Callable[[yaml.ScalarNode], Any]] = {
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
    # Reads the full line table on first use, for a document loaded with its start line only.
    read_lines: Callable[[], dict[JsonPath, int]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def line(self) -> int:
        """Line where the document starts."""
        return self.lines.get((), 1)

    def line_of(self, path: JsonPath) -> int:
        """Line of `path`, or of its nearest ancestor that exists in the file."""
        if self.read_lines is not None:
            self.lines, self.read_lines = self.read_lines(), None
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
            documents.extend(_parse_without_lines(path.read_text(encoding="utf-8"), name))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else 1
            problems.append(SyntaxProblem(name, line, f"{exc.problem or exc.context}"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(SyntaxProblem(name, 1, f"cannot be read: {exc}"))
    return documents, problems


def parse_text(text: str, file: str) -> Iterator[Document]:
    """Yield one `Document` per YAML document in `text`.

    Raises:
        yaml.MarkedYAMLError: the text is not valid YAML; documents before the error are yielded.
    """
    for data, lines in _parse(text, with_lines=True):
        yield Document(data, file, lines)


def _parse_without_lines(text: str, file: str) -> Iterator[Document]:
    # Most documents never need a line below their start, and recording every path's line is
    # a quarter of the parse. A document that needs one parses its file again, once.
    source = _LineSource(text)
    for index, (data, lines) in enumerate(_parse(text, with_lines=False)):
        yield Document(data, file, lines, functools.partial(source.lines, index))


def _parse(text: str, *, with_lines: bool) -> Iterator[tuple[Any, dict[JsonPath, int]]]:
    # Each document comes with its line table, or with its start line only.
    parser = _PARSER(text)
    try:
        next_event = parser.get_event
        next_event()  # the stream start
        while isinstance(next_event(), DocumentStartEvent):
            root = next_event()
            lines: dict[JsonPath, int] = {(): root.start_mark.line + 1}
            builder = _DocumentBuilder(next_event)
            data = builder.node(root, (), lines if with_lines else None)
            next_event()  # the document end
            yield data, lines
    finally:
        parser.dispose()


class _LineSource:
    """The text of a catalog file, parsed again for line tables when a document needs one."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._tables: list[dict[JsonPath, int]] | None = None

    def lines(self, index: int) -> dict[JsonPath, int]:
        """Return the line table of the file's document number `index` (from 0)."""
        if self._tables is None:
            self._tables = []
            # The first parse stopped at the same error, after the same documents.
            with contextlib.suppress(yaml.MarkedYAMLError):
                self._tables.extend(lines for _, lines in _parse(self._text, with_lines=True))
        return self._tables[index]


class _Anchored(NamedTuple):
    """A value defined with an anchor (&name), for the aliases (*name) that repeat it."""

    value: Any
    line: int
    # Lines of the paths inside the value, relative to the value itself.
    lines: dict[JsonPath, int]


class _DocumentBuilder:
    """Builder of one document's plain values from parser events, with the line of each path.

    A mapping entry's line is its key's, and a list item's line is the item's. A value repeated
    by an alias keeps the lines where its anchor defined it, because that is the text to edit.
    """

    def __init__(self, next_event: Callable[[], Any]) -> None:
        self._next_event = next_event
        self._anchors: dict[str, _Anchored] = {}

    def node(self, event: Any, path: JsonPath, lines: _Lines) -> Any:
        """Build the value that starts with `event`, recording lines under `path` if asked."""
        if isinstance(event, AliasEvent):
            return self._alias(event, path, lines)
        if event.anchor is not None:
            return self._anchor(event, path, lines)
        return self._value(event, path, lines)

    def _value(self, event: Any, path: JsonPath, lines: _Lines) -> Any:
        kind = event.__class__
        if kind is ScalarEvent:
            return _scalar(event)
        if kind is MappingStartEvent:
            return self._mapping(path, lines)
        if kind is SequenceStartEvent:
            return self._sequence(path, lines)
        raise AssertionError(f"unexpected {event} inside a YAML document")

    def _mapping(self, path: JsonPath, lines: _Lines) -> dict[str, Any]:
        result: dict[str, Any] = {}
        next_event = self._next_event
        child = path
        while (event := next_event()).__class__ is not MappingEndEvent:
            # Plain keys and values are the common case: handle them here, with fewer calls.
            key = _plain_key(event.value) if _is_plain(event) else self._key(event)
            if lines is not None:
                child = (*path, key)
                # Record the key's line, not the value's. A block collection starts on the line
                # after its key, and authors look for the key.
                lines[child] = self._line(event)
            value = next_event()
            if value.__class__ is ScalarEvent and value.anchor is None and value.tag is None:
                result[key] = _plain_scalar(value.value) if value.implicit[0] else value.value
            else:
                result[key] = self.node(value, child, lines)
        return result

    def _sequence(self, path: JsonPath, lines: _Lines) -> list[Any]:
        items: list[Any] = []
        next_event = self._next_event
        child = path
        while (event := next_event()).__class__ is not SequenceEndEvent:
            if lines is not None:
                child = (*path, len(items))
                lines[child] = self._line(event)
            items.append(self.node(event, child, lines))
        return items

    def _key(self, event: Any) -> str:
        if event.__class__ is ScalarEvent and event.anchor is None:
            return str(_scalar(event))
        # A key that is a list or a mapping has no JSON path; its own lines are not kept.
        key = self.node(event, (), None)
        return "?" if isinstance(key, (dict, list)) else str(key)

    def _line(self, event: Any) -> int:
        if event.__class__ is AliasEvent and event.anchor in self._anchors:
            return self._anchors[event.anchor].line
        line: int = event.start_mark.line + 1
        return line

    def _anchor(self, event: Any, path: JsonPath, lines: _Lines) -> Any:
        anchor = event.anchor
        if anchor in self._anchors:
            first = self._anchors[anchor].line
            raise ComposerError(
                problem=f"found duplicate anchor {anchor!r}, first defined on line {first}",
                problem_mark=event.start_mark,
            )
        inner: _Lines = {} if lines is not None else None
        value = self._value(event, (), inner)
        self._anchors[anchor] = _Anchored(value, event.start_mark.line + 1, inner or {})
        if lines is not None:
            _graft(self._anchors[anchor].lines, path, lines)
        return value

    def _alias(self, event: Any, path: JsonPath, lines: _Lines) -> Any:
        anchored = self._anchors.get(event.anchor)
        if anchored is None:
            raise ComposerError(
                problem=f"found undefined alias {event.anchor!r}", problem_mark=event.start_mark
            )
        if lines is not None:
            _graft(anchored.lines, path, lines)
        # A copy, as if the text were repeated: checks and reports may not share one object.
        return copy.deepcopy(anchored.value)


def _graft(inner: dict[JsonPath, int], path: JsonPath, lines: dict[JsonPath, int]) -> None:
    for relative, line in inner.items():
        if relative:
            lines[(*path, *relative)] = line


def _scalar(event: Any) -> Any:
    # Dates and timestamps stay strings: the schema and the reports treat them as text.
    tag = event.tag
    if tag is None or tag == "!":
        return _plain_scalar(event.value) if event.implicit[0] else event.value
    return _construct(tag, event.value)


def _is_plain(event: Any) -> bool:
    return (
        event.__class__ is ScalarEvent
        and event.anchor is None
        and event.tag is None
        and event.implicit[0]
    )


@lru_cache(maxsize=4096)
def _plain_key(value: str) -> str:
    return str(_plain_scalar(value))


@lru_cache(maxsize=8192)
def _plain_scalar(value: str) -> Any:
    # A catalog repeats the same keys and values thousands of times, so each distinct text is
    # resolved once. Only immutable values (str, int, float, bool, None) come out to be shared.
    for tag, pattern in _IMPLICIT_TAGS.get(value[:1], ()):
        if pattern.match(value):
            return _construct(tag, value)
    return value


def _construct(tag: str, value: str) -> Any:
    constructor = _CONSTRUCTORS.get(tag)
    if constructor is None:
        return value
    return constructor(yaml.ScalarNode(tag, value))


def _display_name(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
