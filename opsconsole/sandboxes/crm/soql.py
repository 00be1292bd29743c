"""Parser for the subset of SOQL the CRM sandbox answers.

Supported: ``SELECT f1, f2 | COUNT() FROM Object [WHERE condition] [ORDER BY f [ASC|DESC]
[NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]``. Conditions combine comparisons
(=, !=, <>, <, <=, >, >=), ``[NOT] IN (...)``, ``LIKE`` and ``null`` with AND, OR, NOT and
parentheses. Values are quoted strings, numbers, true/false, null, date literals
(2026-01-31) and datetime literals (2026-01-31T08:00:00Z). Relationship fields, date
functions (TODAY, LAST_N_DAYS) and aggregates other than COUNT() are not supported and
answer MALFORMED_QUERY.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from opsconsole.sandboxes.crm.errors import malformed_query

Literal = str | Decimal | bool | date | datetime | None

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    | (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<op>!=|<>|<=|>=|=|<|>)
    | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
_COMPARISONS = {"=", "!=", "<>", "<", "<=", ">", ">="}


@dataclass(frozen=True)
class Token:
    """One lexical token and its offset in the query text."""

    kind: str
    text: str
    value: Literal
    offset: int


@dataclass(frozen=True)
class Comparison:
    """`field op value`, where op is one of =, !=, <, <=, >, >=, LIKE."""

    field: str
    op: str
    value: Literal


@dataclass(frozen=True)
class InList:
    """`field [NOT] IN (values)`."""

    field: str
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class BoolOp:
    """AND or OR over two or more conditions."""

    op: str
    operands: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    """NOT condition."""

    operand: Condition


Condition = Comparison | InList | BoolOp | Not


@dataclass(frozen=True)
class OrderKey:
    """One ORDER BY term."""

    field: str
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    """A parsed SOQL query; `fields` is None for SELECT COUNT()."""

    sobject: str
    fields: list[str] | None
    where: Condition | None = None
    order_by: list[OrderKey] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0


def parse(text: str) -> Query:
    """Parse `text` into a Query.

    Raises:
        SalesforceApiError: MALFORMED_QUERY with the position of the problem.
    """
    return _Parser(_tokenize(text), text).query()


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise malformed_query(f"unexpected character '{text[position]}' at {position + 1}")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), _literal(kind, match.group()), position))
        position = match.end()
    return tokens


def _literal(kind: str, text: str) -> Literal:
    if kind == "string":
        return _unescape(text[1:-1])
    if kind == "number":
        return Decimal(text)
    if kind == "date":
        return _parse_date(text)
    if kind == "datetime":
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    return None


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise malformed_query(f"invalid date literal: {text}") from exc


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


class _Parser:
    def __init__(self, tokens: list[Token], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.index = 0

    def query(self) -> Query:
        self.keyword("SELECT")
        fields = self.select_list()
        self.keyword("FROM")
        query = Query(sobject=self.name(), fields=fields)
        if self.accept_keyword("WHERE"):
            query.where = self.condition()
        if self.accept_keyword("ORDER"):
            self.keyword("BY")
            query.order_by = self.order_list()
        if self.accept_keyword("LIMIT"):
            query.limit = self.integer("LIMIT")
        if self.accept_keyword("OFFSET"):
            query.offset = self.integer("OFFSET")
        if self.peek() is not None:
            self.fail("unexpected token")
        return query

    def select_list(self) -> list[str] | None:
        if self.peek_keyword("COUNT"):
            self.index += 1
            self.punct("(")
            self.punct(")")
            return None
        fields = [self.name()]
        while self.accept_punct(","):
            fields.append(self.name())
        return fields

    def order_list(self) -> list[OrderKey]:
        keys = [self.order_key()]
        while self.accept_punct(","):
            keys.append(self.order_key())
        return keys

    def order_key(self) -> OrderKey:
        name = self.name()
        descending = self.accept_keyword("DESC")
        if not descending:
            self.accept_keyword("ASC")
        nulls_last = descending
        if self.accept_keyword("NULLS"):
            nulls_last = self.accept_keyword("LAST")
            if not nulls_last:
                self.keyword("FIRST")
        return OrderKey(name, descending, nulls_last)

    def condition(self) -> Condition:
        operands = [self.conjunction()]
        while self.accept_keyword("OR"):
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else BoolOp("OR", tuple(operands))

    def conjunction(self) -> Condition:
        operands = [self.factor()]
        while self.accept_keyword("AND"):
            operands.append(self.factor())
        return operands[0] if len(operands) == 1 else BoolOp("AND", tuple(operands))

    def factor(self) -> Condition:
        if self.accept_keyword("NOT"):
            return Not(self.factor())
        if self.accept_punct("("):
            inner = self.condition()
            self.punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        name = self.name()
        if self.accept_keyword("IN"):
            return InList(name, self.value_list(), negated=False)
        if self.accept_keyword("NOT"):
            self.keyword("IN")
            return InList(name, self.value_list(), negated=True)
        if self.accept_keyword("LIKE"):
            return Comparison(name, "LIKE", self.value())
        token = self.next("a comparison operator")
        if token.kind != "op" or token.text not in _COMPARISONS:
            self.fail("expected a comparison operator", token)
        op = "!=" if token.text == "<>" else token.text
        return Comparison(name, op, self.value())

    def value_list(self) -> tuple[Literal, ...]:
        self.punct("(")
        values = [self.value()]
        while self.accept_punct(","):
            values.append(self.value())
        self.punct(")")
        return tuple(values)

    def value(self) -> Literal:
        token = self.next("a value")
        if token.kind in {"string", "number", "date", "datetime"}:
            return token.value
        if token.kind == "name" and token.text.lower() in {"null", "true", "false"}:
            return {"null": None, "true": True, "false": False}[token.text.lower()]
        return self.fail("expected a value", token)

    def integer(self, clause: str) -> int:
        token = self.next(f"a number after {clause}")
        if token.kind != "number" or not token.text.isdigit():
            self.fail(f"{clause} needs a non-negative integer", token)
        return int(token.text)

    def name(self) -> str:
        token = self.next("a name")
        if token.kind != "name":
            self.fail("expected a name", token)
        return token.text

    def keyword(self, word: str) -> None:
        if not self.accept_keyword(word):
            self.fail(f"expected {word}")

    def accept_keyword(self, word: str) -> bool:
        if self.peek_keyword(word):
            self.index += 1
            return True
        return False

    def peek_keyword(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "name" and token.text.upper() == word

    def punct(self, char: str) -> None:
        if not self.accept_punct(char):
            self.fail(f"expected '{char}'")

    def accept_punct(self, char: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == char:
            self.index += 1
            return True
        return False

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def next(self, expected: str) -> Token:
        token = self.peek()
        if token is None:
            self.fail(f"unexpected end of query, expected {expected}")
        assert token is not None
        self.index += 1
        return token

    def fail(self, message: str, token: Token | None = None) -> Literal:
        token = token or self.peek()
        column = token.offset + 1 if token else len(self.text) + 1
        found = f"'{token.text}'" if token else "end of query"
        raise malformed_query(
            f"\n{self.text}\n{' ' * (column - 1)}^\nERROR at Row:1:Column:{column}\n"
            f"{message}, found {found}"
        )
