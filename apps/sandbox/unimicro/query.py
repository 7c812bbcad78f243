"""Unimicro's query options on stored records (API-NOTES §6), evaluated in Python.

`parse_filter(text)` turns a `filter` into a tree; `evaluate(tree, record)` tests one record
(its expanded navigation properties included). Also `paths_of(tree)` (the fields a filter
reads, to expand what it reaches into), `sort_key`, `select` and `get_path`.

Grammar (case-insensitive keywords and field names):
    expr     := and ('or' and)*
    and      := unary ('and' unary)*
    unary    := 'not' unary | '(' expr ')' | func '(' path ',' literal ')' | path op literal
    func     := contains | startswith | endswith | substringof
    op       := eq | ne | gt | ge | lt | le | like | notlike
    literal  := 'text' ('' is a quote) | number | true | false | null
    path     := Name('.'Name)*              (Info.Name, Dimensions.ProjectID)

Comparisons: text is compared case-insensitively (as Unimicro's SQL Server collation does
[I]); a quoted date or date-time against a date value is compared as a date-time (a date alone
is midnight; a value without offset is UTC); numbers compare with numbers and numeric text;
`true`/`false` equal 1/0 (`transferedtoorder eq 0`); `null` only with eq/ne; a path through a
list (Items.ProductID) holds when one element holds; `like` takes `%` (any run) and `_` (one
character).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


class QueryError(ValueError):
    """A query option the sandbox refuses (400 with this message)."""


COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le", "like", "notlike")
FUNCTIONS = ("contains", "startswith", "endswith", "substringof")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<number>-?\d+(?:\.\d+)?)(?![\w.])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
      | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Literal:
    value: Any
    quoted: bool = False


@dataclass(frozen=True)
class Compare:
    path: str
    op: str
    literal: Literal


@dataclass(frozen=True)
class Function:
    name: str
    path: str
    literal: Literal


@dataclass(frozen=True)
class Bool:
    op: str  # "and" | "or" | "not"
    parts: tuple


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(f"Invalid filter near '{text[position : position + 20].strip()}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise QueryError("Invalid filter: it ends too early")
        self.at += 1
        return token

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token and token[0] == "name" and token[1].lower() in words:
            self.at += 1
            return token[1].lower()
        return None

    def punct(self, char: str) -> None:
        kind, value = self.take()
        if kind != "punct" or value != char:
            raise QueryError(f"Invalid filter: expected '{char}' but found '{value}'")

    def parse(self) -> Any:
        tree = self.expr()
        if self.peek() is not None:
            raise QueryError(f"Invalid filter: unexpected '{self.peek()[1]}'")
        return tree

    def expr(self) -> Any:
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Bool("or", tuple(parts))

    def conjunction(self) -> Any:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Bool("and", tuple(parts))

    def unary(self) -> Any:
        if self.keyword("not"):
            return Bool("not", (self.unary(),))
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            inner = self.expr()
            self.punct(")")
            return inner
        kind, name = self.take()
        if kind != "name":
            raise QueryError(f"Invalid filter: expected a field name but found '{name}'")
        if name.lower() in FUNCTIONS and self.peek() == ("punct", "("):
            self.take()
            first = self.take()
            self.punct(",")
            second = self.take()
            self.punct(")")
            function = name.lower()
            if function == "substringof":  # OData's substringof('x', Field)
                first, second, function = second, first, "contains"
            if first[0] != "name":
                raise QueryError(f"Invalid filter: {name}() takes a field name first")
            result: Any = Function(function, first[1], self.literal(second))
            # contains(Name,'x') eq true / eq false
            if self.keyword("eq"):
                wanted = self.literal(self.take())
                if wanted.value is False:
                    result = Bool("not", (result,))
            return result
        op = self.take()
        if op[0] != "name" or op[1].lower() not in COMPARISONS:
            raise QueryError(f"Invalid filter: unknown operator '{op[1]}' after {name}")
        return Compare(name, op[1].lower(), self.literal(self.take()))

    @staticmethod
    def literal(token: tuple[str, str]) -> Literal:
        kind, text = token
        if kind == "string":
            return Literal(text[1:-1].replace("''", "'"), quoted=True)
        if kind == "number":
            return Literal(Decimal(text))
        if kind == "name" and text.lower() in ("true", "false"):
            return Literal(text.lower() == "true")
        if kind == "name" and text.lower() == "null":
            return Literal(None)
        raise QueryError(
            f"Invalid filter: '{text}' is not a value (quote text as 'text', dates as '2024-03-01')"
        )


def parse_filter(text: str) -> Any:
    """The filter's tree; QueryError (400) when it cannot be read or is empty."""
    if not (text or "").strip():
        raise QueryError("The filter is empty: leave the filter parameter out instead")
    return _Parser(text).parse()


def paths_of(tree: Any) -> list[str]:
    """Every field path the filter reads."""
    if isinstance(tree, Compare | Function):
        return [tree.path]
    if isinstance(tree, Bool):
        return [p for part in tree.parts for p in paths_of(part)]
    return []


# -- reading values --------------------------------------------------------------------------
def get_ci(record: dict, name: str) -> tuple[bool, Any]:
    """(found, value) of `name` in `record`, the exact key first, then ignoring case."""
    if name in record:
        return True, record[name]
    lowered = name.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return True, value
    return False, None


def get_path(record: Any, path: str) -> list[Any]:
    """The values at `path` (several when it passes through a list; [None] when absent)."""
    values = [record]
    for part in path.split("."):
        following: list[Any] = []
        for value in values:
            if isinstance(value, list):
                value_list = value
            else:
                value_list = [value]
            for item in value_list:
                if isinstance(item, dict):
                    following.append(get_ci(item, part)[1])
                else:
                    following.append(None)
        values = following
    flat: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flat.extend(value or [None])
        else:
            flat.append(value)
    return flat or [None]


_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


def as_datetime(value: Any) -> dt.datetime | None:
    """A date or date-time text as an aware date-time (UTC when it names no offset)."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and _DATE.match(value.strip()):
        text = value.strip().replace(" ", "T")
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _ordered(value: Any, literal: Literal) -> tuple[Any, Any] | None:
    """The pair to compare (value, literal) after coercion, or None when they cannot compare."""
    wanted = literal.value
    if isinstance(wanted, bool) or isinstance(value, bool):
        left, right = _number(value), _number(wanted)
        return (left, right) if left is not None and right is not None else None
    if isinstance(wanted, Decimal):
        left = _number(value)
        return (left, wanted) if left is not None else None
    if isinstance(wanted, str):
        if isinstance(value, int | float | Decimal):
            right = _number(wanted)
            return (_number(value), right) if right is not None else None
        wanted_date = as_datetime(wanted)
        if wanted_date is not None:
            value_date = as_datetime(value)
            if value_date is not None:
                return value_date, wanted_date
        if value is None:
            return None
        return str(value).lower(), wanted.lower()
    return None


def _like(value: Any, pattern: str) -> bool:
    if value is None:
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
    return re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def _compare_one(value: Any, op: str, literal: Literal) -> bool:
    if op in ("like", "notlike"):
        matched = _like(value, str(literal.value or ""))
        return matched if op == "like" else not matched
    if literal.value is None:
        if op == "eq":
            return value is None
        if op == "ne":
            return value is not None
        raise QueryError("Invalid filter: null is compared with eq or ne only")
    pair = _ordered(value, literal)
    if pair is None:
        return op == "ne"
    left, right = pair
    return {
        "eq": left == right,
        "ne": left != right,
        "gt": left > right,
        "ge": left >= right,
        "lt": left < right,
        "le": left <= right,
    }[op]


def _function_one(value: Any, name: str, literal: Literal) -> bool:
    if value is None or literal.value is None:
        return False
    text, piece = str(value).lower(), str(literal.value).lower()
    if name == "contains":
        return piece in text
    if name == "startswith":
        return text.startswith(piece)
    return text.endswith(piece)


def evaluate(tree: Any, record: dict) -> bool:
    """Whether `record` (expanded as the filter's paths need) passes the filter."""
    if isinstance(tree, Bool):
        if tree.op == "and":
            return all(evaluate(part, record) for part in tree.parts)
        if tree.op == "or":
            return any(evaluate(part, record) for part in tree.parts)
        return not evaluate(tree.parts[0], record)
    values = get_path(record, tree.path)
    if isinstance(tree, Function):
        return any(_function_one(v, tree.name, tree.literal) for v in values)
    if tree.op in ("ne", "notlike"):
        positive = "eq" if tree.op == "ne" else "like"
        return not any(_compare_one(v, positive, tree.literal) for v in values)
    return any(_compare_one(v, tree.op, tree.literal) for v in values)


# -- orderby, select, expand -----------------------------------------------------------------
def parse_orderby(text: str) -> list[tuple[str, bool]]:
    """[(path, descending)] of `Field desc, Other asc`."""
    order: list[tuple[str, bool]] = []
    for part in (text or "").split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise QueryError(f"Invalid orderby '{part.strip()}': write 'Field' or 'Field desc'")
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return order


def sort_key(value: Any) -> tuple:
    """Orders mixed values: null first (as SQL Server), then numbers, dates, text."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, Decimal(int(value)))
    number = _number(value) if not isinstance(value, str) else None
    if number is not None:
        return (1, number)
    when = as_datetime(value)
    if when is not None:
        return (2, when)
    if isinstance(value, str):
        return (3, value.lower())
    return (4, str(value))


def split_list(text: str) -> list[str]:
    """The items of a comma list (select, expand), blanks dropped."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def tree_of(paths: list[str]) -> dict:
    """Dotted paths as a nested dict: ["Info", "Info.InvoiceAddress"] → {"Info": {...}}."""
    tree: dict = {}
    for path in paths:
        node = tree
        for part in path.split("."):
            node = node.setdefault(part, {})
    return tree


# -- the database's share of a filter -----------------------------------------------------------
# The stamps a record's columns repeat (BizRecord.created_at/updated_at, written with the data).
STAMPED = {"createdat": "created_at", "updatedat": "updated_at"}
STAMP_MARGIN = dt.timedelta(seconds=1)


def prefilter(tree: Any, spelling: dict[str, str]) -> Any:
    """A Django Q that keeps at least every record the filter keeps (the filter is still
    evaluated on what it returns): equality on `ID` and on top-level fields with a whole number
    or a plain text (not a date), and `CreatedAt`/`UpdatedAt` `gt`/`ge` a date (by the
    record's stamp columns) are read in the database; everything else keeps all rows.
    `spelling` maps lowercased field names to the stored spelling (CustomerNumber)."""
    from django.db.models import Q

    if isinstance(tree, Bool):
        if tree.op == "not":
            return Q()
        parts = [prefilter(part, spelling) for part in tree.parts]
        if tree.op == "and":
            combined = Q()
            for part in parts:
                combined &= part
            return combined
        if any(part == Q() for part in parts):
            return Q()
        combined = parts[0]
        for part in parts[1:]:
            combined |= part
        return combined
    if isinstance(tree, Compare) and tree.op in ("gt", "ge") and tree.path.lower() in STAMPED:
        # `UpdatedAt gt '…'` (every incremental poll): the record's stamp columns, indexed,
        # are set with the stamp in its data (never earlier; a second's margin besides).
        moment = as_datetime(tree.literal.value) if isinstance(tree.literal.value, str) else None
        if moment is None:
            return Q()
        return Q(**{f"{STAMPED[tree.path.lower()]}__gte": moment - STAMP_MARGIN})
    if not isinstance(tree, Compare) or tree.op != "eq" or "." in tree.path:
        return Q()
    value = tree.literal.value
    if tree.path.lower() == "id":
        if isinstance(value, Decimal) and value == value.to_integral_value():
            return Q(record_id=int(value))
        return Q()
    field = spelling.get(tree.path.lower())
    if field is None:
        return Q()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        number = int(value)
        found = Q(**{f"data__{field}": number}) | Q(**{f"data__{field}": str(number)})
        if number in (0, 1):  # `transferedtoorder eq 0`: 1/0 equal true/false
            found |= Q(**{f"data__{field}": bool(number)})
        return found
    if isinstance(value, str) and value and as_datetime(value) is None:
        text = Q(**{f"data__{field}__iexact": value})
        number = _number(value)
        if number is None:
            return text
        if number == number.to_integral_value() and value.strip().lstrip("-").isdigit():
            return text | Q(**{f"data__{field}": int(number)})  # '100000' equals 100000
        return Q()
    return Q()
