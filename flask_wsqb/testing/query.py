"""QBO's SQL subset: parse a query string, then run it over a list of entity dicts.

Grammar (keywords case-insensitive, any whitespace)::

    SELECT * | COUNT(*) FROM Entity
      [WHERE field op value [AND field op value]...]
      [ORDERBY | ORDER BY field [ASC|DESC]] [STARTPOSITION n] [MAXRESULTS n]

``op`` is one of ``= < > <= >= LIKE IN``; values are 'quoted' (``\\'`` and ``\\\\`` escapes),
numbers or true/false. String comparison is case-insensitive, as in QuickBooks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import parse_time
from .faults import QUERY_INVALID, QUERY_PARSE, ApiFault

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
""",
    re.VERBOSE,
)

_OPERATORS = {"=", "<", ">", "<=", ">=", "LIKE", "IN"}


@dataclass
class Token:
    kind: str
    text: str
    column: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text


@dataclass
class Condition:
    field: str
    op: str
    value: Any


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    start_position: int = 1
    max_results: int = DEFAULT_RESULTS

    def constrains(self, field_name: str) -> bool:
        return any(c.field.lower() == field_name.lower() for c in self.where)


def _parse_error(text: str, column: int | None = None, found: str | None = None) -> ApiFault:
    if found is None:
        detail = f"QueryParserError: Encountered end of query text: {text!r}"
    else:
        detail = f'QueryParserError: Encountered " {found} " at line 1, column {column}.'
    return ApiFault(QUERY_PARSE, detail)


def tokenize(text: str) -> list[Token]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise _parse_error(text, position + 1, text[position])
        kind = match.lastgroup or ""  # every alternative of _TOKEN is a named group
        if kind != "space":
            tokens.append(Token(kind, match.group(), position + 1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    def peek(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise _parse_error(self.text)
        self.index += 1
        return token

    def fail(self, token: Token) -> ApiFault:
        return _parse_error(self.text, token.column, token.text)

    def expect(self, *expected: str) -> Token:
        token = self.next()
        if token.upper not in expected:
            raise self.fail(token)
        return token

    def accept(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.upper == word:
            self.index += 1
            return True
        return False

    def integer(self) -> int:
        token = self.next()
        if token.kind != "number" or "." in token.text or token.text.startswith("-"):
            raise self.fail(token)
        return int(token.text)

    def parse(self) -> Query:
        self.expect("SELECT")
        count = False
        if self.accept("COUNT"):
            self.expect("(")
            self.expect("*")
            self.expect(")")
            count = True
        else:
            self._select_list()
        self.expect("FROM")
        entity = self.next()
        if entity.kind != "word":
            raise self.fail(entity)
        query = Query(entity=entity.text, count=count)
        if self.accept("WHERE"):
            query.where.append(self._condition())
            while self.accept("AND"):
                query.where.append(self._condition())
        while (token := self.peek()) is not None:
            self.index += 1
            if token.upper in ("ORDERBY", "ORDER"):
                if token.upper == "ORDER":
                    self.expect("BY")
                query.order_by = self._field()
                if self.accept("DESC"):
                    query.descending = True
                else:
                    self.accept("ASC")
            elif token.upper == "STARTPOSITION":
                query.start_position = max(self.integer(), 1)
            elif token.upper == "MAXRESULTS":
                query.max_results = self.integer()
            else:
                raise self.fail(token)
        return query

    def _select_list(self) -> None:
        token = self.next()
        if token.text != "*" and token.kind != "word":
            raise self.fail(token)
        while self.accept(","):
            self._field()

    def _field(self) -> str:
        token = self.next()
        if token.kind != "word" or token.upper in ("WHERE", "AND", "FROM"):
            raise self.fail(token)
        return token.text

    def _condition(self) -> Condition:
        name = self._field()
        op = self.next()
        if op.upper not in _OPERATORS:
            raise self.fail(op)
        if op.upper == "IN":
            self.expect("(")
            values = [self._value()]
            while self.accept(","):
                values.append(self._value())
            self.expect(")")
            return Condition(name, "IN", values)
        return Condition(name, op.upper, self._value())

    def _value(self) -> Any:
        token = self.next()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.upper in ("TRUE", "FALSE"):
            return token.upper == "TRUE"
        raise self.fail(token)


def parse(text: str) -> Query:
    query = _Parser(text).parse()
    if query.max_results > MAX_RESULTS:
        raise ApiFault(
            QUERY_INVALID,
            f"QueryValidationError: value {query.max_results} for MAXRESULTS exceeds the maximum of {MAX_RESULTS}",
        )
    return query


def lookup(row: dict, dotted: str) -> Any:
    """A field's value, case-insensitively; contact sub-objects yield their scalar."""
    value: Any = row
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, dict):
        value = value.get("Address", value.get("FreeFormNumber", value.get("URI", value.get("value"))))
    return value


def _comparable(value: Any, other: Any) -> Any:
    if isinstance(other, bool):
        return value if isinstance(value, bool) else str(value).lower() == "true"
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d", value) and isinstance(other, str):
        return parse_time(value)
    if isinstance(other, (int, float)) or (isinstance(other, str) and _is_number(other) and _is_number(value)):
        return float(value) if _is_number(value) else None
    return None if value is None else str(value).casefold()


def _literal(value: Any, sample: Any) -> Any:
    if isinstance(value, str) and isinstance(sample, datetime):
        return parse_time(value)
    if isinstance(value, str) and isinstance(sample, float):
        return float(value)
    if isinstance(value, str):
        return value.casefold()
    return value


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def _like(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("%")), re.DOTALL)


def _holds(row: dict, condition: Condition) -> bool:
    raw = lookup(row, condition.field)
    probe = condition.value[0] if condition.op == "IN" else condition.value
    value = _comparable(raw, probe)
    if value is None:
        return False
    if condition.op == "IN":
        return any(value == _literal(v, value) for v in condition.value)
    if condition.op == "LIKE":
        return bool(_like(str(condition.value).casefold()).fullmatch(str(value)))
    other = _literal(condition.value, value)
    try:
        return {
            "=": value == other,
            "<": value < other,
            ">": value > other,
            "<=": value <= other,
            ">=": value >= other,
        }[condition.op]
    except TypeError:
        return False


def _sort_key(row: dict, name: str) -> tuple:
    value = lookup(row, name)
    if _is_number(value):
        return (0, float(value), "")
    return (1, 0.0, str(value or "").casefold())


def check_fields(query: Query, fields: Iterable[str]) -> None:
    known = {f.lower() for f in fields}
    names = [c.field for c in query.where] + ([query.order_by] if query.order_by else [])
    for name in names:
        if name.lower() not in known and name.split(".")[0].lower() not in known:
            raise ApiFault(QUERY_INVALID, f"QueryValidationError: property '{name}' is not queryable")


def run(query: Query, rows: list[dict]) -> dict:
    """The ``QueryResponse`` object for ``query`` over ``rows`` (already ordered by Id)."""
    matched = [row for row in rows if all(_holds(row, c) for c in query.where)]
    if query.count:
        return {"totalCount": len(matched)}
    order_by = query.order_by
    if order_by:
        matched.sort(key=lambda row: _sort_key(row, order_by), reverse=query.descending)
    page = matched[query.start_position - 1 : query.start_position - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start_position, "maxResults": len(page)}
