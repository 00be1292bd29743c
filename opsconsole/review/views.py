"""Conjunctions of schema nodes and the keyword facts that subsumption reads from them.

A `View` is what one schema position demands of an instance: the nodes that all apply there
once `$ref`s are followed and `allOf`s flattened. Accessors combine the nodes' keywords into the
tightest constraint, so `View.lower()` is the highest `minimum` of all of them, and so on.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from fractions import Fraction
from functools import cached_property
from typing import Any

from opsconsole.review.documents import Loader, Node

ALL_KINDS = frozenset({"null", "boolean", "integer", "nonint", "string", "array", "object"})
_TYPE_KINDS: dict[str, frozenset[str]] = {
    "null": frozenset({"null"}),
    "boolean": frozenset({"boolean"}),
    "integer": frozenset({"integer"}),
    "number": frozenset({"integer", "nonint"}),
    "string": frozenset({"string"}),
    "array": frozenset({"array"}),
    "object": frozenset({"object"}),
}
ANNOTATIONS = frozenset(
    {
        "$schema", "$id", "id", "$anchor", "$dynamicAnchor", "$comment", "$defs",
        "definitions", "title", "description", "default", "examples", "example",
        "deprecated", "readOnly", "writeOnly", "externalDocs", "xml", "discriminator",
        "$vocabulary",
    }
)  # fmt: skip
_LITERAL_PREFIX = re.compile(r"^\^([A-Za-z0-9_\-/]*)")


def canonical(value: Any) -> str:
    """Serialise a JSON value so that equal values compare equal (1 == 1.0, True != 1)."""
    return json.dumps(_normalised(value), sort_keys=True, separators=(",", ":"))


def _normalised(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalised(item) for key, item in value.items()}
    return value


def value_kind(value: Any) -> str:
    """Name the instance kind of a JSON value, telling integers from other numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "nonint"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def number(value: Any) -> Fraction | None:
    """Turn a JSON number into an exact fraction (0.1 stays one tenth), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def patterns_may_overlap(first: str, second: str) -> bool:
    """Tell whether two property-name patterns might match one name (False only if proven)."""
    if first == second:
        return True
    a, b = _LITERAL_PREFIX.match(first), _LITERAL_PREFIX.match(second)
    if a is None or b is None:
        return True
    return a.group(1).startswith(b.group(1)) or b.group(1).startswith(a.group(1))


Bound = tuple[Fraction, bool]


class View:
    """The conjunction of schema nodes that apply at one position."""

    def __init__(self, nodes: tuple[Node, ...], location: str) -> None:
        self.nodes = nodes
        self.location = location
        self.key = tuple(id(node.value) for node in nodes)

    @cached_property
    def dicts(self) -> list[dict[str, Any]]:
        return [node.value for node in self.nodes if isinstance(node.value, dict)]

    @cached_property
    def is_false(self) -> bool:
        return any(node.value is False for node in self.nodes)

    @cached_property
    def unconstrained(self) -> bool:
        """Whether no node asserts anything (every instance is valid)."""
        return not self.is_false and all(set(d) <= ANNOTATIONS | {"$ref"} for d in self.dicts)

    def keyword(self, name: str) -> list[Any]:
        return [d[name] for d in self.dicts if name in d]

    def node_keyword(self, name: str) -> list[tuple[Node, Any]]:
        return [
            (n, n.value[name]) for n in self.nodes if isinstance(n.value, dict) and name in n.value
        ]

    @cached_property
    def kinds(self) -> frozenset[str]:
        kinds = ALL_KINDS
        for node in self.nodes:
            kinds = kinds & _node_kinds(node)
        return kinds

    @cached_property
    def values(self) -> list[Any] | None:
        """The finite set of allowed values from `enum` and `const`, or None when unlimited."""
        result: list[Any] | None = None
        for d in self.dicts:
            allowed = []
            if "const" in d:
                allowed = [d["const"]]
            elif isinstance(d.get("enum"), list):
                allowed = list(d["enum"])
            else:
                continue
            if result is None:
                result = _unique(allowed)
            else:
                keys = {canonical(item) for item in allowed}
                result = [item for item in result if canonical(item) in keys]
        return result

    def lower(self) -> Bound | None:
        return self._bound("minimum", "exclusiveMinimum", max)

    def upper(self) -> Bound | None:
        return self._bound("maximum", "exclusiveMaximum", min)

    def _bound(self, inclusive: str, exclusive: str, pick: Any) -> Bound | None:
        bounds: list[Bound] = []
        for d in self.dicts:
            value = number(d.get(inclusive))
            flag = d.get(exclusive)
            if value is not None:
                bounds.append((value, flag is True))
            strict = number(flag)
            if strict is not None:
                bounds.append((strict, True))
        if not bounds:
            return None
        best = pick(value for value, _ in bounds)
        return best, any(strict for value, strict in bounds if value == best)

    @cached_property
    def multiples(self) -> list[Fraction]:
        found = [number(value) for value in self.keyword("multipleOf")]
        return [value for value in found if value is not None and value > 0]

    def integral_only(self) -> bool:
        """Whether every number allowed is an integer (a whole `multipleOf` rules out fractions)."""
        return any(m.denominator == 1 for m in self.multiples)

    def most(self, name: str) -> int | None:
        found = [value for value in self.keyword(name) if isinstance(value, int)]
        return min(found) if found else None

    def least(self, name: str) -> int | None:
        found = [value for value in self.keyword(name) if isinstance(value, int)]
        return max(found) if found else None

    def strings(self, name: str) -> set[str]:
        return {value for value in self.keyword(name) if isinstance(value, str)}

    @cached_property
    def required(self) -> set[str]:
        names: set[str] = set()
        for value in self.keyword("required"):
            if isinstance(value, list):
                names.update(item for item in value if isinstance(item, str))
        return names

    @cached_property
    def defined_names(self) -> set[str]:
        names: set[str] = set()
        for value in self.keyword("properties"):
            if isinstance(value, dict):
                names.update(value)
        return names

    @cached_property
    def pattern_names(self) -> set[str]:
        names: set[str] = set()
        for value in self.keyword("patternProperties"):
            if isinstance(value, dict):
                names.update(value)
        return names

    def property_nodes(self, name: str) -> list[Node]:
        """Return the schemas an object property `name` must satisfy."""
        result: list[Node] = []
        evaluated = False
        for node in self.nodes:
            found, matched = _node_property(node, name)
            result.extend(found)
            evaluated = evaluated or matched or "additionalProperties" in _dict(node)
        if not evaluated:
            result.extend(self._unevaluated_properties())
        return result

    def pattern_nodes(self, pattern: str, *, strict: bool) -> list[Node]:
        """Return the schemas for names matching `pattern` and no defined property name.

        `strict` picks the safe side of what cannot be known about other patterns: True adds
        every schema that might apply (for the schema that must accept), False keeps only those
        that surely apply (for the schema whose instances are checked).
        """
        result: list[Node] = []
        for node in self.nodes:
            value = _dict(node)
            patterns = value.get("patternProperties")
            patterns = patterns if isinstance(patterns, dict) else {}
            if pattern in patterns:
                result.append(
                    node.child("patternProperties", patterns).child(pattern, patterns[pattern])
                )
            overlapping = [p for p in patterns if p != pattern and patterns_may_overlap(p, pattern)]
            if strict:
                holder = node.child("patternProperties", patterns)
                result.extend(holder.child(p, patterns[p]) for p in overlapping)
            if pattern not in patterns and (strict or not overlapping):
                result.extend(_additional(node))
        return result

    def other_nodes(self) -> list[Node]:
        """Return the schemas for names that are neither defined nor match any pattern."""
        result: list[Node] = []
        evaluated = False
        for node in self.nodes:
            result.extend(_additional(node))
            evaluated = evaluated or "additionalProperties" in _dict(node)
        if not evaluated:
            result.extend(self._unevaluated_properties())
        return result

    def _unevaluated_properties(self) -> list[Node]:
        return [
            node.child("unevaluatedProperties", node.value["unevaluatedProperties"])
            for node in self.nodes
            if "unevaluatedProperties" in _dict(node)
        ]

    def forbids_other_names(self) -> bool:
        return any(n.value is False for n in self.other_nodes()) and not self.pattern_names

    def item_nodes(self, index: int) -> list[Node]:
        """Return the schemas array item `index` must satisfy."""
        result: list[Node] = []
        for node in self.nodes:
            result.extend(_item(node, index))
        return result

    @cached_property
    def prefix_length(self) -> int:
        length = 0
        for node in self.nodes:
            length = max(length, len(_prefix(node)))
        return length

    def dependent_required(self) -> dict[str, set[str]]:
        result: dict[str, set[str]] = {}
        for d in self.dicts:
            for key in ("dependentRequired", "dependencies"):
                for name, names in (d.get(key) or {}).items():
                    if isinstance(names, list):
                        result.setdefault(name, set()).update(names)
        return result

    def dependent_schemas(self) -> dict[str, list[Node]]:
        result: dict[str, list[Node]] = {}
        for node in self.nodes:
            for key in ("dependentSchemas", "dependencies"):
                holder = _dict(node).get(key)
                if not isinstance(holder, dict):
                    continue
                parent = node.child(key, holder)
                for name, schema in holder.items():
                    if isinstance(schema, dict | bool):
                        result.setdefault(name, []).append(parent.child(name, schema))
        return result

    def children(self, keyword: str) -> list[Node]:
        return [node.child(keyword, value) for node, value in self.node_keyword(keyword)]


def _dict(node: Node) -> dict[str, Any]:
    return node.value if isinstance(node.value, dict) else {}


def _unique(values: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    result = []
    for value in values:
        key = canonical(value)
        if key not in seen:
            seen.add(key)
            result.append(value)
    return result


def _node_kinds(node: Node) -> frozenset[str]:
    value = node.value
    if value is False:
        return frozenset()
    if not isinstance(value, dict) or "type" not in value:
        return ALL_KINDS
    declared = value["type"]
    names = declared if isinstance(declared, list) else [declared]
    kinds: frozenset[str] = frozenset()
    for name in names:
        kinds = kinds | _TYPE_KINDS.get(name, frozenset())
    if value.get("nullable") is True and node.doc.dialect == "oas30":
        kinds = kinds | {"null"}
    return kinds


def _node_property(node: Node, name: str) -> tuple[list[Node], bool]:
    value = _dict(node)
    found: list[Node] = []
    properties = value.get("properties")
    if isinstance(properties, dict) and name in properties:
        found.append(node.child("properties", properties).child(name, properties[name]))
    patterns = value.get("patternProperties")
    if isinstance(patterns, dict):
        holder = node.child("patternProperties", patterns)
        for pattern, schema in patterns.items():
            if _search(pattern, name):
                found.append(holder.child(pattern, schema))
    if found:
        return found, True
    return _additional(node), False


def _search(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False


def _additional(node: Node) -> list[Node]:
    value = _dict(node)
    if "additionalProperties" in value:
        return [node.child("additionalProperties", value["additionalProperties"])]
    return []


def _prefix(node: Node) -> list[Any]:
    value = _dict(node)
    if isinstance(value.get("prefixItems"), list):
        return list(value["prefixItems"])
    if isinstance(value.get("items"), list):
        return list(value["items"])
    return []


def _item(node: Node, index: int) -> list[Node]:
    value = _dict(node)
    prefix_key = "prefixItems" if isinstance(value.get("prefixItems"), list) else "items"
    prefix = _prefix(node)
    if index < len(prefix):
        return [node.child(prefix_key, prefix).child(index, prefix[index])]
    for key in _rest_keys(value):
        if key in value and not isinstance(value[key], list):
            return [node.child(key, value[key])]
    return []


def _rest_keys(value: dict[str, Any]) -> tuple[str, ...]:
    if isinstance(value.get("prefixItems"), list) or not isinstance(value.get("items"), list):
        return ("items", "unevaluatedItems")
    return ("additionalItems", "unevaluatedItems")


def expand(loader: Loader, nodes: Iterable[Node]) -> tuple[Node, ...]:
    """Flatten `$ref` and `allOf` so that each returned node is one conjunct."""
    result: list[Node] = []
    seen: set[int] = set()
    stack = list(nodes)[::-1]
    while stack:
        node = stack.pop()
        if id(node.value) in seen or node.value is True:
            continue
        seen.add(id(node.value))
        value = node.value
        if not isinstance(value, dict):
            if value is False:
                result.append(node)
            continue
        followed: list[Node] = []
        if isinstance(value.get("$ref"), str):
            followed.append(loader.follow(node))
            if node.doc.refs_ignore_siblings:
                stack.extend(reversed(followed))
                continue
        if not (isinstance(value.get("$ref"), str) and set(value) <= ANNOTATIONS | {"$ref"}):
            result.append(node)
        members = value.get("allOf")
        if isinstance(members, list):
            holder = node.child("allOf", members)
            followed.extend(holder.child(i, member) for i, member in enumerate(members))
        stack.extend(reversed(followed))
    return tuple(result)
