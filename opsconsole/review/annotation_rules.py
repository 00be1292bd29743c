"""Rules that read the documents as written: annotations, discriminators and known pitfalls.

These run over the raw trees side by side, without following `$ref`, because what they report
(a changed description, a new default, a discriminator mapping) belongs to the place it is
written and not to every position that reaches it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opsconsole.review.documents import child_path
from opsconsole.review.model import Level
from opsconsole.review.views import canonical

if TYPE_CHECKING:
    from opsconsole.review.diff import Differ

_VALUES = frozenset({"enum", "const", "default", "examples", "example", "required", "x-examples"})


def compare(differ: Differ) -> None:
    """Add annotation and discriminator changes, and flag pitfalls in the new document."""
    for rule, path, reason, level, detail in _walk(differ.old.data, differ.new.data, "$"):
        differ.add_structural(rule, path, reason, level, detail=detail)
    for path in _closed_all_of(differ.new.data, "$"):
        reason = (
            "additionalProperties: false beside allOf rejects every property that only the "
            "allOf members declare; use unevaluatedProperties: false instead."
        )
        differ.add_structural("additional-properties-beside-all-of", path, reason, Level.WARNING)


Finding = tuple[str, str, str, Level, str]


def _walk(old: Any, new: Any, path: str) -> Iterator[Finding]:
    if isinstance(old, dict) and isinstance(new, dict):
        yield from _annotations(old, new, path)
        yield from _discriminator(old.get("discriminator"), new.get("discriminator"), path)
        for key in old.keys() & new.keys():
            if key not in _VALUES and key != "discriminator":
                yield from _walk(old[key], new[key], child_path(path, key))
    elif isinstance(old, list) and isinstance(new, list):
        for index, (first, second) in enumerate(zip(old, new, strict=False)):
            yield from _walk(first, second, child_path(path, index))


def _annotations(old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[Finding]:
    for key in ("description", "title", "summary"):
        if isinstance(old.get(key), str) and isinstance(new.get(key), str) and old[key] != new[key]:
            detail = canonical([old[key], new[key]])
            yield f"{key}-changed", path, f"The {key} changed.", Level.INFO, detail
    if (
        "default" in old
        and "default" in new
        and canonical(old["default"]) != canonical(new["default"])
    ):
        reason = f"The default changed from {_short(old['default'])} to {_short(new['default'])}."
        detail = canonical([old["default"], new["default"]])
        yield "default-changed", path, reason, Level.WARNING, detail
    if (
        new.get("deprecated") is True
        and old.get("deprecated") is not True
        and "operationId" not in new
    ):
        yield "deprecated", path, "This is now marked deprecated.", Level.WARNING, ""


def _discriminator(old: Any, new: Any, path: str) -> Iterator[Finding]:
    if not isinstance(old, dict) and not isinstance(new, dict):
        return
    where = child_path(path, "discriminator")
    if not isinstance(old, dict) or not isinstance(new, dict):
        rule = "discriminator-added" if isinstance(new, dict) else "discriminator-removed"
        yield rule, where, f"The discriminator was {rule.split('-')[1]}.", Level.WARNING, ""
        return
    if old.get("propertyName") != new.get("propertyName"):
        reason = (
            f"The discriminator property changed from {old.get('propertyName')!r} to "
            f"{new.get('propertyName')!r}; readers pick the wrong alternative."
        )
        yield "discriminator-property-changed", where, reason, Level.BREAKING, ""
    old_map, new_map = old.get("mapping") or {}, new.get("mapping") or {}
    for value in sorted(old_map.keys() - new_map.keys()):
        reason = f"Discriminator value {value!r} is no longer mapped."
        yield "discriminator-mapping-removed", where, reason, Level.BREAKING, value
    for value in sorted(new_map.keys() - old_map.keys()):
        reason = f"Discriminator value {value!r} was added."
        yield "discriminator-mapping-added", where, reason, Level.WARNING, value
    for value in sorted(old_map.keys() & new_map.keys()):
        if old_map[value] != new_map[value]:
            reason = f"Discriminator value {value!r} now maps to {new_map[value]}."
            yield "discriminator-mapping-changed", where, reason, Level.BREAKING, value


def _closed_all_of(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        if value.get("additionalProperties") is False and isinstance(value.get("allOf"), list):
            yield path
        for key, item in value.items():
            if key not in _VALUES:
                yield from _closed_all_of(item, child_path(path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _closed_all_of(item, child_path(path, index))


def _short(value: Any) -> str:
    text = canonical(value)
    return text if len(text) <= 60 else text[:57] + "..."
