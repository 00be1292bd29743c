"""Load contract documents from files or git revisions and resolve their `$ref`s locally.

A document is JSON Schema (draft-04 to 2020-12), OpenAPI 3.0/3.1 or AsyncAPI 3, in JSON or
YAML. A source is a file path or `REV:path` (`main:contracts/schemas/order.v1.json`), read with
`git show`. References to other files resolve against the folder of the referencing file in the
same revision, also when a schema's `$id` is a web URL: no reference ever reaches the network.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import yaml

from opsconsole.review.errors import DocumentReadError

Kind = Literal["schema", "openapi", "asyncapi"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_MAX_REF_HOPS = 64


def child_path(path: str, key: str | int) -> str:
    """Append `key` to a JSONPath such as `$.properties.name`, bracketing keys that need it."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}"
    quoted = key.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{quoted}']"


@dataclass(frozen=True)
class Source:
    """The origin of a document: a file on disk, or a path inside a git revision."""

    path: str
    revision: str | None = None
    repo: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.revision}:{self.path}" if self.revision else self.path

    def sibling(self, relative: str) -> Source:
        """Return the source of `relative`, resolved against this document's folder."""
        parent = PurePosixPath(self.path).parent
        joined = _normalise(str(parent / relative))
        return Source(joined, self.revision, self.repo)

    def read_text(self) -> str:
        """Read the raw text, from disk or with `git show`."""
        if self.revision is None:
            try:
                return Path(self.path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise DocumentReadError(f"Cannot read {self.path}: {exc}.") from exc
        return _git_show(self.revision, self.path, self.repo)


def parse_source(spec: str, repo: Path | None = None) -> Source:
    """Turn a command-line argument into a source: `REV:path` when it is no existing file."""
    if Path(spec).exists() or ":" not in spec:
        return Source(spec, None, repo)
    revision, _, path = spec.partition(":")
    if not revision or not path:
        raise DocumentReadError(
            f"'{spec}' is neither a file nor a git revision and path. Pass a file path or "
            "REV:path, for example main:contracts/schemas/order.v1.json."
        )
    return Source(path, revision, repo)


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(path).parts:
        if part == ".." and parts and parts[-1] not in ("..", "/"):
            parts.pop()
        elif part != ".":
            parts.append(part)
    return str(PurePosixPath(*parts)) if parts else "."


def _git_show(revision: str, path: str, repo: Path | None) -> str:
    toplevel = _git_toplevel(repo)
    relative = _repo_relative(path, toplevel, repo)
    result = subprocess.run(
        ["git", "show", f"{revision}:{relative}"],
        cwd=toplevel,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "unknown"
        raise DocumentReadError(
            f"Cannot read {path} at git revision {revision}: {detail}. Check the revision "
            "name and that the path exists in it."
        )
    return result.stdout


def _git_toplevel(repo: Path | None) -> Path:
    result = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"],
        cwd=repo or Path.cwd(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DocumentReadError(
            f"{(repo or Path.cwd())} is not inside a git repository, so REV:path sources "
            "cannot be read. Run the command inside the repository or pass files."
        )
    return Path(result.stdout.strip())


def _repo_relative(path: str, toplevel: Path, repo: Path | None) -> str:
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = (repo or Path.cwd()) / candidate
    try:
        return candidate.resolve().relative_to(toplevel.resolve()).as_posix()
    except ValueError:
        return path


def parse_text(text: str, label: str) -> Any:
    """Parse JSON, falling back to YAML, and reject anything that is not a document."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise DocumentReadError(f"{label} is neither valid JSON nor YAML: {exc}.") from exc
    if not isinstance(data, dict | bool):
        raise DocumentReadError(
            f"{label} does not contain a JSON Schema, OpenAPI or AsyncAPI document "
            "(the top level must be an object)."
        )
    return data


def detect_kind(data: Any) -> Kind:
    """Tell OpenAPI and AsyncAPI documents from plain JSON Schema."""
    if isinstance(data, dict):
        if "openapi" in data:
            return "openapi"
        if "asyncapi" in data:
            return "asyncapi"
    return "schema"


def detect_dialect(data: Any, kind: Kind) -> str:
    """Name the schema dialect: draft4, draft6, draft7, 2019-09, 2020-12, oas30 or asyncapi."""
    if kind == "openapi":
        return "oas30" if str(data.get("openapi", "")).startswith("3.0") else "2020-12"
    if kind == "asyncapi":
        return "draft7"
    declared = data.get("$schema", "") if isinstance(data, dict) else ""
    for marker, dialect in (
        ("draft-04", "draft4"),
        ("draft-06", "draft6"),
        ("draft-07", "draft7"),
        ("2019-09", "2019-09"),
        ("2020-12", "2020-12"),
    ):
        if marker in declared:
            return dialect
    return "2020-12"


@dataclass(eq=False)
class Document:
    """One parsed document with an index of its `$id`s and anchors for reference lookup."""

    source: Source
    data: Any
    kind: Kind
    dialect: str
    uri: str
    loader: Loader
    index: dict[str, tuple[Any, str, str]] = field(default_factory=dict)

    @property
    def refs_ignore_siblings(self) -> bool:
        """Whether keywords beside `$ref` are ignored (draft-07 and older, OpenAPI 3.0)."""
        return self.dialect in ("draft4", "draft6", "draft7", "oas30", "asyncapi")

    def root(self) -> Node:
        base = self.uri
        if isinstance(self.data, dict) and self.kind == "schema":
            declared = self.data.get("$id")
            if declared is None and self.dialect == "draft4":
                declared = self.data.get("id")
            if isinstance(declared, str) and not declared.startswith("#"):
                base = urldefrag(urljoin(self.uri, declared))[0]
        return Node(self.data, self, base, "$")

    def pointer(self, pointer: str, base: str) -> Node:
        """Return the node at JSON pointer `pointer` (without the leading `#`)."""
        node: Any = self.data
        path = "$"
        for raw in pointer.split("/")[1:] if pointer else []:
            token = unquote(raw).replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node, path = node[int(token)], child_path(path, int(token))
            elif isinstance(node, dict) and token in node:
                node, path = node[token], child_path(path, token)
            else:
                raise DocumentReadError(
                    f"{self.source.label}: reference target #{pointer} does not exist."
                )
        return Node(node, self, base, path)


@dataclass(frozen=True, eq=False, slots=True)
class Node:
    """A schema value with the document, base URI and JSONPath location it was found at."""

    value: Any
    doc: Document
    base: str
    path: str

    def child(self, key: str | int, value: Any) -> Node:
        base = self.base
        if isinstance(value, dict) and self.doc.kind == "schema":
            declared = value.get("$id")
            if isinstance(declared, str) and not declared.startswith("#"):
                base = urldefrag(urljoin(self.base, declared))[0]
        return Node(value, self.doc, base, child_path(self.path, key))


class Loader:
    """Load documents by source, cache them, and resolve `$ref`s across them."""

    def __init__(self) -> None:
        self._by_uri: dict[str, Document] = {}
        self._ref_cache: dict[tuple[int, str, str], Node] = {}

    def load(self, source: Source) -> Document:
        """Read, parse and index `source`."""
        uri = _source_uri(source)
        if uri in self._by_uri:
            return self._by_uri[uri]
        data = parse_text(source.read_text(), source.label)
        return self.add(source, data)

    def add(self, source: Source, data: Any) -> Document:
        """Index an already parsed document under `source`."""
        kind = detect_kind(data)
        doc = Document(source, data, kind, detect_dialect(data, kind), _source_uri(source), self)
        self._by_uri[doc.uri] = doc
        _index(doc)
        return doc

    def follow(self, node: Node) -> Node:
        """Return the node that `node`'s `$ref` names, one hop only."""
        ref = node.value["$ref"]
        key = (id(node.doc), node.base, ref)
        cached = self._ref_cache.get(key)
        if cached is None:
            cached = self._lookup(node, ref)
            self._ref_cache[key] = cached
        return cached

    def resolve(self, node: Node) -> Node:
        """Follow `node`'s `$ref` (and the chain behind it) to the schema it names."""
        ref = node.value.get("$ref") if isinstance(node.value, dict) else None
        hops = 0
        while isinstance(ref, str):
            node = self.follow(node)
            hops += 1
            if hops > _MAX_REF_HOPS:
                raise DocumentReadError(
                    f"{node.doc.source.label}: $ref chain at {node.path} loops without "
                    "reaching a schema."
                )
            ref = node.value.get("$ref") if isinstance(node.value, dict) else None
        return node

    def _lookup(self, node: Node, ref: str) -> Node:
        target = urljoin(node.base, ref)
        resource, fragment = urldefrag(target)
        doc = self._document_for(node.doc, resource, ref)
        if fragment and not fragment.startswith("/"):
            found = doc.index.get(f"{resource}#{fragment}")
            if found is None:
                raise DocumentReadError(
                    f"{node.doc.source.label}: $ref '{ref}' at {node.path} names anchor "
                    f"'{fragment}', which is not defined."
                )
            value, path, base = found
            return Node(value, doc, base, path)
        if resource in doc.index and resource != doc.uri:
            value, path, base = doc.index[resource]
            start = Node(value, doc, base, path)
            return _walk_pointer(start, fragment) if fragment else start
        return doc.pointer(fragment, doc.root().base)

    def _document_for(self, current: Document, resource: str, ref: str) -> Document:
        # Two versions of a contract often share their `$id`s, so a web URI is looked up in
        # the referencing document and then beside its file, never in a global table.
        if not resource or resource == current.uri or resource in current.index:
            return current
        name = PurePosixPath(urlsplit(resource).path).name
        relative = urlsplit(ref).path or name
        for candidate in (relative, name):
            if not candidate:
                continue
            sibling = current.source.sibling(candidate)
            try:
                doc = self.load(sibling)
            except DocumentReadError:
                continue
            return doc
        raise DocumentReadError(
            f"{current.source.label}: $ref '{ref}' points to {resource}, which is neither in "
            "this document nor a file beside it. Place the referenced schema next to this "
            "file; references are resolved locally, never over the network."
        )


def _walk_pointer(start: Node, pointer: str) -> Node:
    node = start
    for raw in pointer.split("/")[1:]:
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        container = node.value
        if isinstance(container, list) and token.isdigit():
            node = node.child(int(token), container[int(token)])
        elif isinstance(container, dict) and token in container:
            node = node.child(token, container[token])
        else:
            raise DocumentReadError(f"{start.doc.source.label}: #{pointer} does not exist.")
    return node


def _source_uri(source: Source) -> str:
    prefix = f"git+{source.revision}/" if source.revision else "file://"
    path = source.path if source.path.startswith("/") else "/" + source.path
    if source.revision is None:
        path = Path(source.path).resolve().as_posix()
    return f"{prefix}{path.lstrip('/') if source.revision else path}"


def _index(doc: Document) -> None:
    """Record every `$id`, `id` (draft-04), `$anchor` and plain-name `$id` of a schema."""
    if doc.kind != "schema":
        return
    root = doc.root()
    doc.index[root.base] = (root.value, root.path, root.base)
    stack = [root]
    while stack:
        node = stack.pop()
        value = node.value
        if isinstance(value, dict):
            _index_names(doc, node)
            for key, child in value.items():
                if key in ("enum", "const", "examples", "default"):
                    continue
                if isinstance(child, dict | list):
                    stack.append(node.child(key, child))
        elif isinstance(value, list):
            stack.extend(node.child(i, child) for i, child in enumerate(value))


def _index_names(doc: Document, node: Node) -> None:
    value = node.value
    declared = value.get("$id")
    if declared is None and doc.dialect == "draft4":
        declared = value.get("id")
    if isinstance(declared, str):
        if declared.startswith("#"):
            doc.index[f"{node.base}{declared}"] = (value, node.path, node.base)
        else:
            doc.index[node.base] = (value, node.path, node.base)
    for anchor_key in ("$anchor", "$dynamicAnchor"):
        anchor = value.get(anchor_key)
        if isinstance(anchor, str):
            doc.index[f"{node.base}#{anchor}"] = (value, node.path, node.base)
