"""Schema subsumption: does every instance valid under one schema validate under another?

`Subsumption.check(sub, sup)` returns the facts that stop `sub ⊆ sup` from being proven, and an
empty list means it holds. The analysis is sound for the keywords it models: when it returns no
facts, no instance of `sub` fails `sup`. Some questions are out of reach of exact reasoning:
regular expressions are compared as text, and a `oneOf` in the accepting schema needs provably
disjoint alternatives. There it reports a fact instead of guessing, so it may call a compatible
change breaking. Calling a breaking change compatible would be a bug.

Recursive schemas are compared co-inductively: a pair of positions met again while it is still
being compared is assumed to hold, which is the usual rule for recursive types.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import ValidationError as SchemaValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT4, DRAFT6, DRAFT7, DRAFT201909, DRAFT202012

from opsconsole.review.documents import Document, Loader, Node, child_path
from opsconsole.review.views import ANNOTATIONS, Bound, View, canonical, expand, value_kind

_MAX_BRANCHES = 64
_SPECS = {
    "draft4": DRAFT4,
    "draft6": DRAFT6,
    "draft7": DRAFT7,
    "2019-09": DRAFT201909,
    "2020-12": DRAFT202012,
    "oas30": DRAFT4,
}
_VALIDATORS: dict[str, Any] = {
    "draft4": validators.Draft4Validator,
    "draft6": validators.Draft6Validator,
    "draft7": validators.Draft7Validator,
    "2019-09": validators.Draft201909Validator,
    "oas30": validators.Draft4Validator,
}
_STRING_SCHEMA: dict[str, Any] = {"type": "string"}


@dataclass(frozen=True)
class Fact:
    """One reason why the checked schema accepts an instance the other schema rejects.

    `kind` names the keyword family, `location` is the JSONPath of the position in the new
    document, `field` the instance path below the checked root, `sub` and `sup` the values of the
    keyword in the checked and in the accepting schema.
    """

    kind: str
    location: str
    field: tuple[str, ...] = ()
    sub: Any = None
    sup: Any = None
    name: str = ""

    def under(self, step: str) -> Fact:
        return replace(self, field=(step, *self.field))


class Subsumption:
    """Subsumption checker for two documents; `new_is_sup` is True when `sup` is the new one."""

    def __init__(self, loader: Loader, *, new_is_sup: bool) -> None:
        self.loader = loader
        self.new_is_sup = new_is_sup
        self._memo: dict[tuple[Any, ...], list[Fact]] = {}
        self._active: set[tuple[Any, ...]] = set()
        self._validators: dict[int, Any] = {}
        self._canonical: dict[int, str] = {}
        self._stripped: dict[tuple[int, str], Node] = {}
        self._has_ref: dict[int, bool] = {}
        self._identical_memo: dict[tuple[int, int], bool] = {}
        self._identical_active: set[tuple[int, int]] = set()
        self._ref_lists: dict[int, list[str] | None] = {}
        self._registries: dict[int, Registry[Any]] = {}

    def check(self, sub: list[Node], sup: list[Node], where: tuple[str, str]) -> list[Fact]:
        """Return the facts that stop every instance of `sub` from being valid under `sup`."""
        sub_view = self.view(sub, where[0])
        sup_view = self.view(sup, where[1])
        return self.check_views(sub_view, sup_view, sub_view.kinds)

    def view(self, nodes: list[Node], fallback: str) -> View:
        conjuncts = expand(self.loader, nodes)
        return View(conjuncts, conjuncts[0].path if conjuncts else fallback)

    def check_views(self, sub: View, sup: View, kinds: frozenset[str]) -> list[Fact]:
        if sup.unconstrained or sub.is_false or not kinds or _same_constraints(sub, sup):
            return []
        key = (sub.key, sup.key, kinds, sub.location, sup.location)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            return []
        self._active.add(key)
        try:
            facts = self._compare(sub, sup, kinds)
        finally:
            self._active.discard(key)
        self._memo[key] = facts
        return facts

    @property
    def _new_index(self) -> int:
        return 1 if self.new_is_sup else 0

    def _location(self, sub: View, sup: View) -> str:
        return (sub.location, sup.location)[self._new_index]

    def _compare(self, sub: View, sup: View, kinds: frozenset[str]) -> list[Fact]:
        if self._same(sub, sup):
            return []
        if sup.is_false:
            return [Fact("false", self._location(sub, sup))]
        if sub.values is not None:
            return self._compare_values(sub, sup, kinds)
        disjunction = self._disjunction(sub)
        if disjunction is not None:
            return self._distribute(sub, sup, kinds, *disjunction)
        return self._compare_plain(sub, sup, kinds)

    def _same(self, sub: View, sup: View) -> bool:
        if len(sub.nodes) != 1 or len(sup.nodes) != 1:
            return False
        return self._identical(sub.nodes[0], sup.nodes[0])

    def _identical(self, left: Node, right: Node) -> bool:
        """Tell whether two positions are written the same, following the `$ref`s inside."""
        if left.value is right.value and left.doc is right.doc:
            return True
        key = (id(left.value), id(right.value))
        if key in self._identical_memo:
            return self._identical_memo[key]
        if key in self._identical_active:
            return True
        self._identical_active.add(key)
        try:
            result = self._identical_uncached(left, right)
        finally:
            self._identical_active.discard(key)
        self._identical_memo[key] = result
        return result

    def _identical_uncached(self, left: Node, right: Node) -> bool:
        # Python's == is fast but equates True with 1, so equal trees are confirmed by their
        # canonical text, which is only computed for trees that already compare equal.
        if left.doc.dialect != right.doc.dialect:
            return False
        plain_equal = left.value == right.value
        if not plain_equal and (self._contains_ref(left.value) or self._contains_ref(right.value)):
            return False
        if self._canonical_of(left.value) != self._canonical_of(right.value):
            return False
        refs = self._refs(left.value)
        if refs is None:
            return not self._contains_ref(left.value)
        for ref in refs:
            left_target = self.loader.follow(Node({"$ref": ref}, left.doc, left.base, left.path))
            right_target = self.loader.follow(
                Node({"$ref": ref}, right.doc, right.base, right.path)
            )
            if not self._identical(left_target, right_target):
                return False
        return True

    def _refs(self, value: Any) -> list[str] | None:
        """Return the `$ref`s inside `value`, or None when an `$id` changes their base."""
        key = id(value)
        if key in self._ref_lists:
            return self._ref_lists[key]
        found: set[str] | None = set()
        stack = [value]
        while stack and found is not None:
            item = stack.pop()
            if isinstance(item, dict):
                if "$id" in item or ("id" in item and isinstance(item.get("id"), str)):
                    found = None
                    break
                if isinstance(item.get("$ref"), str):
                    found.add(item["$ref"])
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
        result = sorted(found) if found is not None else None
        self._ref_lists[key] = result
        return result

    def _canonical_of(self, value: Any) -> str:
        key = id(value)
        if key not in self._canonical:
            self._canonical[key] = canonical(_sorted_sets(value))
        return self._canonical[key]

    # Finite value sets ------------------------------------------------------------------

    def _compare_values(self, sub: View, sup: View, kinds: frozenset[str]) -> list[Fact]:
        allowed = [v for v in sub.values or [] if _kind_of(v) in kinds and self._valid(v, sub)]
        rejected = [v for v in allowed if not self._valid(v, sup)]
        if not rejected:
            return []
        return [Fact("values", self._location(sub, sup), sub=rejected, sup=sup.values)]

    def _valid(self, value: Any, view: View) -> bool:
        return all(self._valid_node(value, node) for node in view.nodes)

    def _valid_node(self, value: Any, node: Node) -> bool:
        if isinstance(node.value, bool):
            return node.value
        validator = self._validator(node)
        try:
            return bool(validator.is_valid(value))
        except (Unresolvable, SchemaValidationError):
            return False

    def _validator(self, node: Node) -> Any:
        key = id(node.value)
        if key not in self._validators:
            registry = self._registry(node.doc)
            cls = _VALIDATORS.get(node.doc.dialect, validators.Draft202012Validator)
            self._validators[key] = cls(
                _without_nullable(node),
                registry=registry,
                format_checker=cls.FORMAT_CHECKER,
                _resolver=registry.resolver(base_uri=node.base),
            )
        return self._validators[key]

    def _strip(self, node: Node, keyword: str) -> Node:
        key = (id(node.value), keyword)
        if key not in self._stripped:
            value = {k: v for k, v in node.value.items() if k != keyword}
            self._stripped[key] = Node(value, node.doc, node.base, node.path)
        return self._stripped[key]

    def _contains_ref(self, value: Any) -> bool:
        if not isinstance(value, dict | list):
            return False
        key = id(value)
        if key not in self._has_ref:
            items = value.values() if isinstance(value, dict) else value
            found = isinstance(value, dict) and "$ref" in value
            self._has_ref[key] = found or any(self._contains_ref(v) for v in items)
        return self._has_ref[key]

    def _registry(self, doc: Document) -> Registry[Any]:
        key = id(doc)
        if key not in self._registries:
            spec = _SPECS.get(doc.dialect, DRAFT202012)
            resource = Resource.from_contents(doc.data, default_specification=spec)
            registry: Registry[Any] = Registry().with_resource(doc.uri, resource)
            if doc.root().base != doc.uri:
                registry = registry.with_resource(doc.root().base, resource)
            self._registries[key] = registry
        return self._registries[key]

    # Disjunctions in the checked schema -------------------------------------------------

    def _disjunction(self, view: View) -> tuple[Node, str] | None:
        for node in view.nodes:
            value = node.value
            for keyword in ("anyOf", "oneOf"):
                if isinstance(value, dict) and isinstance(value.get(keyword), list):
                    return node, keyword
        return None

    def _distribute(
        self, sub: View, sup: View, kinds: frozenset[str], node: Node, keyword: str
    ) -> list[Fact]:
        # A `oneOf` accepts a subset of what the same branches under `anyOf` accept, so
        # checking each branch proves the claim for `oneOf` too.
        branches = node.value[keyword]
        holder = node.child(keyword, branches)
        rest = (*tuple(n for n in sub.nodes if n is not node), self._strip(node, keyword))
        facts: list[Fact] = []
        for index, branch in enumerate(branches[:_MAX_BRANCHES]):
            branch_view = self._extended(rest, [holder.child(index, branch)], sub.location)
            facts.extend(self.check_views(branch_view, sup, kinds & branch_view.kinds))
        return _dedupe(facts)

    # Plain comparison, keyword family by keyword family ---------------------------------

    def _compare_plain(self, sub: View, sup: View, kinds: frozenset[str]) -> list[Fact]:
        location = self._location(sub, sup)
        kinds = frozenset(k for k in kinds if not self._empty(sub, k))
        facts: list[Fact] = []
        extra = kinds - sup.kinds
        if extra:
            facts.append(Fact("type", location, sub=sorted(extra), sup=sorted(sup.kinds)))
        shared = kinds & sup.kinds
        if sup.values is not None and shared:
            facts.extend(self._into_values(sub, sup, shared, location))
            return facts
        if shared & {"integer", "nonint"}:
            facts.extend(self._numbers(sub, sup, shared, location))
        if "string" in shared:
            facts.extend(_strings(sub, sup, location))
        if "array" in shared:
            facts.extend(self._arrays(sub, sup, location))
        if "object" in shared:
            facts.extend(self._objects(sub, sup, location))
        facts.extend(self._applicators(sub, sup, shared, location))
        return facts

    def _into_values(
        self, sub: View, sup: View, kinds: frozenset[str], location: str
    ) -> list[Fact]:
        if kinds - {"null", "boolean"}:
            return [Fact("enum", location, sup=sup.values)]
        candidates = [v for v in (None, True, False) if _kind_of(v) in kinds]
        rejected = [v for v in candidates if self._valid(v, sub) and not self._valid(v, sup)]
        return [Fact("values", location, sub=rejected, sup=sup.values)] if rejected else []

    def _empty(self, view: View, kind: str) -> bool:
        if kind in ("integer", "nonint"):
            if kind == "nonint" and view.integral_only():
                return True
            return _range_empty(view.lower(), view.upper(), kind == "integer")
        limits = {"string": ("minLength", "maxLength"), "array": ("minItems", "maxItems")}
        limits["object"] = ("minProperties", "maxProperties")
        if kind in limits:
            low, high = view.least(limits[kind][0]), view.most(limits[kind][1])
            if low is not None and high is not None and low > high:
                return True
        if kind == "object":
            return any(_forbidden(view.property_nodes(name)) for name in view.required)
        return False

    def _numbers(self, sub: View, sup: View, kinds: frozenset[str], location: str) -> list[Fact]:
        facts: list[Fact] = []
        integral = "nonint" not in kinds or sub.integral_only()
        lower_sub, lower_sup = sub.lower(), sup.lower()
        if not _lower_within(lower_sub, lower_sup, integral):
            facts.append(Fact("minimum", location, sub=_show(lower_sub), sup=_show(lower_sup)))
        upper_sub, upper_sup = sub.upper(), sup.upper()
        if not _upper_within(upper_sub, upper_sup, integral):
            facts.append(Fact("maximum", location, sub=_show(upper_sub), sup=_show(upper_sup)))
        for divisor in sup.multiples:
            if not _divides(divisor, sub.multiples, integral):
                shown = [float(m) if m.denominator != 1 else int(m) for m in sub.multiples]
                facts.append(Fact("multipleOf", location, sub=shown, sup=_plain(divisor)))
        return facts

    def _arrays(self, sub: View, sup: View, location: str) -> list[Fact]:
        facts = _counts(sub, sup, location, "minItems", "maxItems")
        longest = _longest(sub)
        unique_needed = True in sup.keyword("uniqueItems")
        unique_given = True in sub.keyword("uniqueItems") or (longest is not None and longest <= 1)
        if unique_needed and not unique_given:
            facts.append(Fact("uniqueItems", location, sub=False, sup=True))
        positions = max(sub.prefix_length, sup.prefix_length) + 1
        if longest is not None:
            positions = min(positions, longest)
        for index in range(positions):
            facts.extend(self._item(sub, sup, index, positions))
        facts.extend(self._contains(sub, sup, location))
        return facts

    def _item(self, sub: View, sup: View, index: int, positions: int) -> list[Fact]:
        sup_nodes = sup.item_nodes(index)
        if not sup_nodes:
            return []
        is_rest = index >= max(sub.prefix_length, sup.prefix_length)
        step = "[]" if is_rest else f"[{index}]"
        where = (child_path(sub.location, "items"), child_path(sup.location, "items"))
        found = self.check(sub.item_nodes(index), sup_nodes, where)
        return [fact.under(step) for fact in found]

    def _contains(self, sub: View, sup: View, location: str) -> list[Fact]:
        facts: list[Fact] = []
        for needed in sup.children("contains"):
            sup_view = self.view([needed], location)
            owned = [self.view([have], location) for have in sub.children("contains")]
            if any(not self.check_views(view, sup_view, view.kinds) for view in owned):
                continue
            minimum = sub.least("minItems") or 0
            if minimum >= 1 and self._all_items_within(sub, sup_view, location):
                continue
            facts.append(Fact("contains", location, sup=needed.value))
        return facts

    def _all_items_within(self, sub: View, sup_view: View, location: str) -> bool:
        """Tell whether every item of every array of `sub`, prefix or rest, fits `sup_view`."""
        for index in range(sub.prefix_length + 1):
            items = self.view(sub.item_nodes(index), location)
            if self.check_views(items, sup_view, items.kinds):
                return False
        return True

    def _objects(self, sub: View, sup: View, location: str) -> list[Fact]:
        facts = _counts(sub, sup, location, "minProperties", "maxProperties")
        for name in sorted(sub.defined_names | sup.defined_names | sup.required):
            facts.extend(self._property(sub, sup, name))
        for pattern in sorted(sub.pattern_names | sup.pattern_names):
            sub_nodes = sub.pattern_nodes(pattern, strict=False)
            sup_nodes = sup.pattern_nodes(pattern, strict=True)
            where = (child_path(sub.location, "patternProperties"), location)
            found = self.check(sub_nodes, sup_nodes, where)
            if found:
                facts.append(Fact("patternProperties", location, name=pattern, sub=found))
        facts.extend(self._other_names(sub, sup, location))
        for name in sorted(sup.required - sub.required):
            if not _forbidden(sub.property_nodes(name)):
                path = child_path(child_path(location, "properties"), name)
                facts.append(Fact("required", path, (name,), name=name))
        facts.extend(self._dependencies(sub, sup, location))
        facts.extend(self._property_names(sub, sup, location))
        return facts

    def _property(self, sub: View, sup: View, name: str) -> list[Fact]:
        sub_nodes = sub.property_nodes(name)
        if _forbidden(sub_nodes):
            return []
        where = (
            _property_path(sub.location, name, sub_nodes),
            _property_path(sup.location, name, sup.property_nodes(name)),
        )
        found = self.check(sub_nodes, sup.property_nodes(name), where)
        if not found:
            return []
        in_sub, in_sup = name in sub.defined_names, name in sup.defined_names
        if in_sub and in_sup:
            return [fact.under(name) for fact in found]
        kind = "property-only-in-sub" if in_sub else "property-only-in-sup"
        if in_sup and not in_sub and not sub_nodes:
            kind = "property-declared"
        if not in_sub and not in_sup:
            kind = "property-constrained"
        location = where[self._new_index]
        return [Fact(kind, location, (name,), name=name, sub=found)]

    def _other_names(self, sub: View, sup: View, location: str) -> list[Fact]:
        sup_nodes = sup.other_nodes()
        if not sup_nodes:
            return []
        if sub.forbids_other_names():
            return []
        where = (child_path(sub.location, "additionalProperties"), location)
        found = self.check(sub.other_nodes(), sup_nodes, where)
        if not found:
            return []
        return [Fact("additionalProperties", location, ("*",), sub=found)]

    def _dependencies(self, sub: View, sup: View, location: str) -> list[Fact]:
        facts: list[Fact] = []
        have = sub.dependent_required()
        for trigger, names in sorted(sup.dependent_required().items()):
            if _forbidden(sub.property_nodes(trigger)):
                continue
            missing = names - have.get(trigger, set()) - sub.required
            if missing:
                facts.append(Fact("dependentRequired", location, name=trigger, sub=sorted(missing)))
        have_schemas = sub.dependent_schemas()
        for trigger, nodes in sorted(sup.dependent_schemas().items()):
            if _forbidden(sub.property_nodes(trigger)):
                continue
            extended = self._extended(sub.nodes, have_schemas.get(trigger, []), location)
            found = self.check_views(extended, self.view(nodes, location), extended.kinds)
            if found:
                facts.append(Fact("dependentSchemas", location, name=trigger, sub=found))
        return facts

    def _property_names(self, sub: View, sup: View, location: str) -> list[Fact]:
        needed = sup.children("propertyNames")
        if not needed:
            return []
        have = sub.children("propertyNames") or [_literal(_STRING_SCHEMA, location)]
        if sub.forbids_other_names() and not sub.children("propertyNames"):
            sup_view = self.view(needed, location)
            bad = [n for n in sorted(sub.defined_names) if not self._valid(n, sup_view)]
            return [Fact("propertyNames", location, sub=bad)] if bad else []
        found = self.check(have, needed, (location, location))
        return [Fact("propertyNames", location, sub=found)] if found else []

    # Applicators in the accepting schema ------------------------------------------------

    def _applicators(
        self, sub: View, sup: View, kinds: frozenset[str], location: str
    ) -> list[Fact]:
        facts: list[Fact] = []
        for node in sup.nodes:
            value = node.value if isinstance(node.value, dict) else {}
            if isinstance(value.get("anyOf"), list):
                facts.extend(self._any_of(sub, node, kinds, location))
            if isinstance(value.get("oneOf"), list):
                facts.extend(self._one_of(sub, node, kinds, location))
            if "not" in value:
                facts.extend(self._not(sub, node.child("not", value["not"]), kinds, location))
            if "if" in value:
                facts.extend(self._conditional(sub, node, kinds, location))
        return facts

    def _branches(self, node: Node, keyword: str) -> list[View]:
        members = node.value[keyword]
        holder = node.child(keyword, members)
        return [self.view([holder.child(i, m)], holder.path) for i, m in enumerate(members)]

    def _any_of(self, sub: View, node: Node, kinds: frozenset[str], location: str) -> list[Fact]:
        branches = self._branches(node, "anyOf")
        failures: list[Fact] = []
        for kind in sorted(kinds):
            attempts = [self.check_views(sub, branch, frozenset({kind})) for branch in branches]
            if not attempts:
                failures.append(Fact("anyOf", location))
            elif all(attempts):
                failures.extend(_fewest(attempts))
        if not failures:
            return []
        return [Fact("anyOf", location, sub=_dedupe(failures))]

    def _one_of(self, sub: View, node: Node, kinds: frozenset[str], location: str) -> list[Fact]:
        branches = self._branches(node, "oneOf")
        disjoint_by_contract = "discriminator" in node.value
        failures: list[Fact] = []
        for kind in sorted(kinds):
            single = frozenset({kind})
            attempts = [self.check_views(sub, branch, single) for branch in branches]
            fits = [i for i, facts in enumerate(attempts) if not facts]
            if any(
                disjoint_by_contract
                or all(self._disjoint(sub, b, single) for j, b in enumerate(branches) if j != i)
                for i in fits
            ):
                continue
            if fits or not attempts:
                failures.append(Fact("oneOf", location))
            else:
                failures.extend(_fewest(attempts))
        if not failures:
            return []
        return [Fact("oneOf", location, sub=_dedupe(failures))]

    def _not(self, sub: View, excluded: Node, kinds: frozenset[str], location: str) -> list[Fact]:
        excluded_view = self.view([excluded], location)
        if self._disjoint(sub, excluded_view, kinds):
            return []
        for own in sub.children("not"):
            if not self.check_views(excluded_view, self.view([own], location), excluded_view.kinds):
                return []
        return [Fact("not", location, sup=excluded.value)]

    def _conditional(
        self, sub: View, node: Node, kinds: frozenset[str], location: str
    ) -> list[Fact]:
        value = node.value
        then = node.child("then", value.get("then", True))
        otherwise = node.child("else", value.get("else", True))
        condition = node.child("if", value["if"])
        for own in sub.nodes:
            mine = own.value if isinstance(own.value, dict) else {}
            if "if" in mine and canonical(mine["if"]) == canonical(value["if"]):
                own_then = own.child("then", mine.get("then", True))
                own_else = own.child("else", mine.get("else", True))
                both = self._holds(sub, [own_then], then, kinds) and self._holds(
                    sub, [own_else], otherwise, kinds
                )
                if both:
                    return []
        if self._holds(sub, [], then, kinds) and self._holds(sub, [], otherwise, kinds):
            return []
        if self._holds(sub, [], condition, kinds) and self._holds(sub, [], then, kinds):
            return []
        if self._disjoint(sub, self.view([condition], location), kinds) and self._holds(
            sub, [], otherwise, kinds
        ):
            return []
        return [Fact("if", location, sup=value["if"])]

    def _extended(self, flat: tuple[Node, ...], extra: list[Node], location: str) -> View:
        """Add `extra` to already flattened conjuncts, expanding only the new nodes.

        Expanding the old conjuncts again would bring back a disjunction that was already
        distributed, and the co-inductive memo would then wrongly accept the repeat.
        """
        return View((*flat, *expand(self.loader, extra)), location)

    def _holds(self, sub: View, extra: list[Node], sup_node: Node, kinds: frozenset[str]) -> bool:
        sub_view = self._extended(sub.nodes, extra, sub.location)
        return not self.check_views(sub_view, self.view([sup_node], "$"), kinds & sub_view.kinds)

    def _disjoint(self, left: View, right: View, kinds: frozenset[str]) -> bool:
        """Tell whether no instance is valid under both views (True only when proven)."""
        if not (left.kinds & right.kinds & kinds):
            return True
        for first, second in ((left, right), (right, left)):
            if first.values is not None and not any(
                self._valid(v, second) for v in first.values if self._valid(v, first)
            ):
                return True
        return _discriminated(left, right, self)


def _same_constraints(sub: View, sup: View) -> bool:
    """Whether both views hold the same schema values and none of them refers elsewhere.

    Identical text with a `$ref` can still mean different schemas, because the reference
    resolves against each document's own base URI, so such views are compared in full.
    """
    values = [node.value for node in sub.nodes]
    if _has_reference(values):
        return False
    # Compare as JSON text: Python's == treats True and 1 as equal, JSON Schema does not.
    return _json_text(values) == _json_text([node.value for node in sup.nodes])


def _json_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _has_reference(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            key in {"$ref", "$dynamicRef", "$recursiveRef"} or _has_reference(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return any(_has_reference(item) for item in value)
    return False


def _discriminated(left: View, right: View, engine: Subsumption) -> bool:
    for name in left.required & right.required:
        left_values = engine.view(left.property_nodes(name), "$").values
        right_values = engine.view(right.property_nodes(name), "$").values
        if left_values is not None and right_values is not None:
            keys = {canonical(v) for v in right_values}
            if not any(canonical(v) in keys for v in left_values):
                return True
    return False


def _strings(sub: View, sup: View, location: str) -> list[Fact]:
    facts = _counts(sub, sup, location, "minLength", "maxLength")
    for keyword in ("pattern", "format", "contentEncoding", "contentMediaType"):
        missing = sup.strings(keyword) - sub.strings(keyword)
        if missing:
            shown = sorted(sub.strings(keyword)) or None
            facts.append(Fact(keyword, location, sub=shown, sup=sorted(missing)))
    return facts


def _counts(sub: View, sup: View, location: str, low: str, high: str) -> list[Fact]:
    facts: list[Fact] = []
    need_low, have_low = sup.least(low), sub.least(low)
    if need_low is not None and need_low > 0 and (have_low is None or have_low < need_low):
        facts.append(Fact(low, location, sub=have_low, sup=need_low))
    need_high, have_high = sup.most(high), sub.most(high)
    if need_high is not None and (have_high is None or have_high > need_high):
        facts.append(Fact(high, location, sub=have_high, sup=need_high))
    return facts


def _longest(view: View) -> int | None:
    longest = view.most("maxItems")
    limit = view.prefix_length + 1 if longest is None else min(longest, view.prefix_length + 1)
    for index in range(limit):
        if _forbidden(view.item_nodes(index)):
            return index
    return longest


def _integer_lower(bound: Bound) -> Fraction:
    value, strict = bound
    return Fraction(math.floor(value) + 1) if strict else Fraction(math.ceil(value))


def _integer_upper(bound: Bound) -> Fraction:
    value, strict = bound
    return Fraction(math.ceil(value) - 1) if strict else Fraction(math.floor(value))


def _lower_within(sub: Bound | None, sup: Bound | None, integral: bool) -> bool:
    if sup is None:
        return True
    if sub is None:
        return False
    if integral:
        return _integer_lower(sub) >= _integer_lower(sup)
    return sub[0] > sup[0] or (sub[0] == sup[0] and (sub[1] or not sup[1]))


def _upper_within(sub: Bound | None, sup: Bound | None, integral: bool) -> bool:
    if sup is None:
        return True
    if sub is None:
        return False
    if integral:
        return _integer_upper(sub) <= _integer_upper(sup)
    return sub[0] < sup[0] or (sub[0] == sup[0] and (sub[1] or not sup[1]))


def _range_empty(lower: Bound | None, upper: Bound | None, integral: bool) -> bool:
    if lower is None or upper is None:
        return False
    if integral:
        return _integer_lower(lower) > _integer_upper(upper)
    return lower[0] > upper[0] or (lower[0] == upper[0] and (lower[1] or upper[1]))


def _divides(divisor: Fraction, multiples: list[Fraction], integral: bool) -> bool:
    if integral and (1 / divisor).denominator == 1:
        return True
    return any((m / divisor).denominator == 1 for m in multiples)


def _show(bound: Bound | None) -> str | None:
    if bound is None:
        return None
    value, strict = bound
    return f"{'>' if strict else '>='}{_plain(value)}"


def _plain(value: Fraction) -> int | float:
    return int(value) if value.denominator == 1 else float(value)


def _forbidden(nodes: list[Node]) -> bool:
    return any(node.value is False for node in nodes)


def _property_path(location: str, name: str, nodes: list[Node]) -> str:
    for node in nodes:
        if node.path.endswith(child_path("", name)) and ".properties" in node.path:
            return node.path
    return child_path(child_path(location, "properties"), name)


def _kind_of(value: Any) -> str:
    return value_kind(value)


def _fewest(attempts: list[list[Fact]]) -> list[Fact]:
    """Return the failed attempt closest to success, the one with the fewest facts."""
    best = attempts[0]
    for attempt in attempts[1:]:
        if len(attempt) < len(best):
            best = attempt
    return best


def _dedupe(facts: list[Fact]) -> list[Fact]:
    seen: set[tuple[str, str, tuple[str, ...], str]] = set()
    result = []
    for fact in facts:
        key = (fact.kind, fact.location, fact.field, fact.name)
        if key not in seen:
            seen.add(key)
            result.append(fact)
    return result


def _sorted_sets(value: Any) -> Any:
    if isinstance(value, list):
        return [_sorted_sets(v) for v in value]
    if not isinstance(value, dict):
        return value
    result = {}
    for key, item in value.items():
        if key in ANNOTATIONS - {"discriminator"}:
            continue
        item = _sorted_sets(item)
        if key in ("enum", "required", "type", "anyOf", "oneOf", "allOf") and isinstance(
            item, list
        ):
            item = sorted(item, key=canonical)
        result[key] = item
    return result


def _without_nullable(node: Node) -> Any:
    value = node.value
    if node.doc.dialect == "oas30" and isinstance(value, dict) and value.get("nullable") is True:
        declared = value.get("type")
        if isinstance(declared, str):
            return {**value, "type": [declared, "null"]}
    return value


_LITERAL_DOCS: dict[str, Node] = {}


def _literal(value: dict[str, Any], location: str) -> Node:
    key = canonical(value)
    if key not in _LITERAL_DOCS:
        from opsconsole.review.documents import Source

        doc = Loader().add(Source(f"<literal {key}>"), value)
        _LITERAL_DOCS[key] = Node(value, doc, doc.uri, location)
    return _LITERAL_DOCS[key]
