"""The `q` filter of NetSuite record lists, for example `companyName CONTAIN "Nord"`.

Supported operators on text fields: IS, IS_NOT, CONTAIN, DOES_NOT_CONTAIN, START_WITH,
END_WITH, EMPTY and EMPTY_NOT, all case-insensitive. Conditions combine with AND and OR;
AND binds tighter. Reference fields (entity, currency, createdFrom) compare their key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from opsconsole.sandboxes.erp.errors import error

_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\S+))')
_BINARY = {"IS", "IS_NOT", "CONTAIN", "DOES_NOT_CONTAIN", "START_WITH", "END_WITH"}
_UNARY = {"EMPTY", "EMPTY_NOT"}


@dataclass(frozen=True)
class Condition:
    """`field OPERATOR value`."""

    field: str
    operator: str
    value: str


# A filter is OR over groups of AND-ed conditions.
Filter = list[list[Condition]]


def parse_filter(text: str, fields: set[str]) -> Filter:
    """Parse a `q` expression over the given field names.

    Raises:
        NetSuiteApiError: INVALID_PARAMETER naming what is wrong.
    """
    tokens = [(m.group(1), m.group(2)) for m in _TOKEN.finditer(text) if m.group(0).strip()]
    groups: Filter = [[]]
    index = 0
    while index < len(tokens):
        condition, index = _condition(tokens, index, fields)
        groups[-1].append(condition)
        if index < len(tokens):
            joiner = (tokens[index][1] or "").upper()
            if joiner not in {"AND", "OR"}:
                raise _invalid(
                    f"expected AND or OR, found {tokens[index][1] or tokens[index][0]!r}"
                )
            if joiner == "OR":
                groups.append([])
            index += 1
            if index == len(tokens):
                raise _invalid(f"the query ends after {joiner}")
    if not groups[0]:
        raise _invalid("the query is empty")
    return groups


def _condition(
    tokens: list[tuple[str | None, str | None]], index: int, fields: set[str]
) -> tuple[Condition, int]:
    name = tokens[index][1]
    if name is None or name not in fields:
        raise _invalid(f"unknown field {tokens[index][1] or tokens[index][0]!r}")
    if index + 1 >= len(tokens):
        raise _invalid(f"missing operator after {name}")
    operator = (tokens[index + 1][1] or "").upper()
    if operator in _UNARY:
        return Condition(name, operator, ""), index + 2
    if operator not in _BINARY:
        raise _invalid(f"unsupported operator {tokens[index + 1][1]!r}")
    if index + 2 >= len(tokens):
        raise _invalid(f"missing value after {name} {operator}")
    quoted, bare = tokens[index + 2]
    value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare or ""
    return Condition(name, operator, value), index + 3


def matches(where: Filter, record: dict[str, Any]) -> bool:
    """Return whether `record` satisfies the filter."""
    return any(all(_holds(c, record) for c in group) for group in where)


def _holds(condition: Condition, record: dict[str, Any]) -> bool:
    raw = record.get(condition.field)
    text = "" if raw is None else str(raw).casefold()
    wanted = condition.value.casefold()
    checks = {
        "IS": text == wanted,
        "IS_NOT": text != wanted,
        "CONTAIN": wanted in text,
        "DOES_NOT_CONTAIN": wanted not in text,
        "START_WITH": text.startswith(wanted),
        "END_WITH": text.endswith(wanted),
        "EMPTY": text == "",
        "EMPTY_NOT": text != "",
    }
    return checks[condition.operator]


def _invalid(reason: str) -> Exception:
    return error(400, "INVALID_PARAMETER", f"Invalid search query (q): {reason}.", "q")
