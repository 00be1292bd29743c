"""Evaluation of parsed SOQL against the CRM store, with server-side cursors for paging."""

from __future__ import annotations

import functools
import operator
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from opsconsole.sandboxes import salesforce_ids
from opsconsole.sandboxes.crm import soql, values
from opsconsole.sandboxes.crm.errors import SalesforceApiError
from opsconsole.sandboxes.crm.schema import FieldDef, SObjectDef, find_sobject
from opsconsole.sandboxes.crm.store import CrmStore, Record

_MAX_OPEN_CURSORS = 100
_MAX_OFFSET = 2000


@dataclass(frozen=True)
class QueryPage:
    """One page of a query result."""

    total_size: int
    records: list[dict[str, Any]]
    next_locator: str | None


@dataclass
class _Cursor:
    records: list[dict[str, Any]]
    total_size: int


class QueryEngine:
    """Runs SOQL against a store and keeps the rest of large results for `query/{locator}`."""

    def __init__(self, store: CrmStore, page_size: int) -> None:
        self._store = store
        self._page_size = page_size
        self._lock = threading.Lock()
        self._cursors: OrderedDict[str, _Cursor] = OrderedDict()

    def run(self, text: str, api_version: str) -> QueryPage:
        """Run the SOQL `text` and return its first page."""
        query = soql.parse(text)
        sobject = _resolve(query.sobject)
        fields = _select_fields(sobject, query)
        where = _compile(sobject, query.where)
        rows = [row for row in self._store.snapshot(sobject) if where(row)]
        rows = _sorted(sobject, rows, query.order_by)
        if query.offset > _MAX_OFFSET:
            raise SalesforceApiError(
                400, "NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {_MAX_OFFSET}"
            )
        end = None if query.limit is None else query.offset + query.limit
        rows = rows[query.offset : end]
        if fields is None:
            return QueryPage(len(rows), [], None)
        rendered = [_render_row(sobject, fields, row, api_version) for row in rows]
        return self._page(_Cursor(rendered, len(rendered)), 0)

    def more(self, locator: str) -> QueryPage:
        """Return the page that `locator` (`<cursor id>-<offset>`) points to."""
        cursor_id, _, offset_text = locator.rpartition("-")
        with self._lock:
            cursor = self._cursors.get(cursor_id)
        if cursor is None or not offset_text.isdigit():
            raise SalesforceApiError(
                400, "INVALID_QUERY_LOCATOR", f"invalid query locator: {locator}"
            )
        return self._page(cursor, int(offset_text), cursor_id)

    def _page(self, cursor: _Cursor, offset: int, cursor_id: str | None = None) -> QueryPage:
        end = offset + self._page_size
        page = cursor.records[offset:end]
        if end >= len(cursor.records):
            if cursor_id is not None:
                self._forget(cursor_id)
            return QueryPage(cursor.total_size, page, None)
        cursor_id = cursor_id or self._remember(cursor)
        return QueryPage(cursor.total_size, page, f"{cursor_id}-{end}")

    def _remember(self, cursor: _Cursor) -> str:
        cursor_id = salesforce_ids.make_id("0r8", int.from_bytes(secrets.token_bytes(6), "big"))
        with self._lock:
            self._cursors[cursor_id] = cursor
            while len(self._cursors) > _MAX_OPEN_CURSORS:
                self._cursors.popitem(last=False)
        return cursor_id

    def _forget(self, cursor_id: str) -> None:
        with self._lock:
            self._cursors.pop(cursor_id, None)


def _resolve(name: str) -> SObjectDef:
    sobject = find_sobject(name)
    if sobject is None:
        raise SalesforceApiError(
            400,
            "INVALID_TYPE",
            f"sObject type '{name}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name.",
        )
    return sobject


def _field(sobject: SObjectDef, name: str) -> FieldDef:
    definition = sobject.field(name)
    if definition is None:
        raise SalesforceApiError(
            400,
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{sobject.name}'. If you are attempting to use "
            "a custom field, be sure to append the '__c' after the custom field name.",
        )
    return definition


def _select_fields(sobject: SObjectDef, query: soql.Query) -> list[FieldDef] | None:
    if query.fields is None:
        return None
    selected = [_field(sobject, name) for name in query.fields]
    seen = set()
    for definition in selected:
        if definition.name in seen:
            raise SalesforceApiError(
                400, "MALFORMED_QUERY", f"duplicate field selected: {definition.name}"
            )
        seen.add(definition.name)
    return selected


def _render_row(
    sobject: SObjectDef, fields: list[FieldDef], row: Record, api_version: str
) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "attributes": {
            "type": sobject.name,
            "url": f"/services/data/v{api_version}/sobjects/{sobject.name}/{row['Id']}",
        }
    }
    for definition in fields:
        rendered[definition.name] = values.render(row.get(definition.name))
    return rendered


Predicate = Callable[[Record], bool]


def _compile(sobject: SObjectDef, condition: soql.Condition | None) -> Predicate:
    """Turn a WHERE condition into a predicate, checking fields and literals up front."""
    if condition is None:
        return lambda row: True
    if isinstance(condition, soql.BoolOp):
        operands = [_compile(sobject, operand) for operand in condition.operands]
        if condition.op == "AND":
            return lambda row: all(p(row) for p in operands)
        return lambda row: any(p(row) for p in operands)
    if isinstance(condition, soql.Not):
        inner = _compile(sobject, condition.operand)
        return lambda row: not inner(row)
    definition = _field(sobject, condition.field)
    if isinstance(condition, soql.InList):
        wanted = {_literal_for(definition, value) for value in condition.values}
        negated = condition.negated
        return lambda row: (_stored(definition, row) in wanted) != negated
    return _comparison(definition, condition.op, condition.value)


def _stored(definition: FieldDef, row: Record) -> Any:
    return _comparable(definition, row.get(definition.name))


def _comparison(definition: FieldDef, op: str, literal: soql.Literal) -> Predicate:
    if op == "LIKE":
        pattern = _like(literal)
        return lambda row: (
            isinstance(value := _stored(definition, row), str)
            and pattern.fullmatch(value) is not None
        )
    wanted = _literal_for(definition, literal)
    if op in {"=", "!="}:
        equal = op == "="
        return lambda row: (_stored(definition, row) == wanted) == equal
    compare = _ORDERINGS[op]
    return lambda row: (
        (value := _stored(definition, row)) is not None
        and wanted is not None
        and compare(value, wanted)
    )


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@functools.lru_cache(maxsize=256)
def _like(pattern: soql.Literal) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise SalesforceApiError(400, "MALFORMED_QUERY", "LIKE needs a quoted string pattern")
    wildcards = {"%": ".*", "_": "."}
    parts = [wildcards.get(char, re.escape(char)) for char in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _comparable(definition: FieldDef, value: Any) -> Any:
    # SOQL compares text case-insensitively; IDs stay exact in their 18-character form.
    if isinstance(value, str) and definition.type not in {"id", "reference"}:
        return value.casefold()
    return value


def _literal_for(definition: FieldDef, literal: soql.Literal) -> Any:
    if literal is None:
        return None
    expected = _literal_kind(definition)
    if expected == "id" and isinstance(literal, str):
        return _id_literal(definition, literal)
    if expected == "text" and isinstance(literal, str):
        return literal.casefold()
    if expected == "number" and isinstance(literal, Decimal):
        return literal
    if expected == "date" and isinstance(literal, date) and not isinstance(literal, datetime):
        return literal
    if expected == "datetime" and isinstance(literal, datetime):
        return literal
    if expected == "boolean" and isinstance(literal, bool):
        return literal
    raise SalesforceApiError(
        400,
        "INVALID_QUERY_FILTER_OPERATOR",
        f"value of filter criterion for field '{definition.name}' must be of type "
        f"{definition.type} and should not be enclosed in quotes"
        if expected != "text" and expected != "id"
        else f"value of filter criterion for field '{definition.name}' must be a quoted string",
    )


def _literal_kind(definition: FieldDef) -> str:
    kinds = {
        "id": "id",
        "reference": "id",
        "currency": "number",
        "double": "number",
        "date": "date",
        "datetime": "datetime",
        "boolean": "boolean",
    }
    return kinds.get(definition.type, "text")


def _id_literal(definition: FieldDef, literal: str) -> str:
    try:
        return salesforce_ids.to_18(literal)
    except salesforce_ids.MalformedIdError as exc:
        raise SalesforceApiError(
            400, "INVALID_QUERY_FILTER_OPERATOR", f"invalid ID field: {literal}"
        ) from exc


def _sorted(sobject: SObjectDef, rows: list[Record], keys: list[soql.OrderKey]) -> list[Record]:
    # Sort by the last key first: Python's sort is stable, so earlier keys win.
    for key in reversed(keys):
        definition = _field(sobject, key.field)
        present = [r for r in rows if r.get(definition.name) is not None]
        absent = [r for r in rows if r.get(definition.name) is None]
        present.sort(key=_sort_key(definition), reverse=key.descending)
        rows = present + absent if key.nulls_last else absent + present
    return rows


def _sort_key(definition: FieldDef) -> Callable[[Record], Any]:
    def key(row: Record) -> Any:
        return _comparable(definition, row[definition.name])

    return key
