"""Collection queries: the ``filter`` grammar, ``sort`` and ``skippages``/``pagesize``.

Grammar (API-NOTES §8): ``property$op:value`` joined by ``$and:``/``$or:`` (``$and:`` binds
tighter) and grouped with parentheses; operators ``$eq: $ne: $gt: $gte: $lt: $lte: $like: $in:
$nin:``; ``$null:`` as a value; escapes ``$$ $( $) $* $, $[ $]``. Strings compare without regard
to case; ``$like:`` takes ``*`` wildcards and, without any, means *contains*.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import quote

from django.db.models import Q
from django.db.models.functions import Lower

from . import errors as codes
from .errors import ApiError

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 20
MAX_IN_VALUES = 200
MAX_FILTER_LENGTH = 4000  # characters; the sandbox's own guard against hostile input
MAX_DEPTH = 20  # nested parentheses
MAX_INTEGER = 2**63 - 1


@dataclass(frozen=True)
class FieldSpec:
    """How one API property maps to a model column: ``kind`` is int/number/bool/str/datetime."""

    column: str
    kind: str
    filterable: bool = True
    sortable: bool = True
    # The operators allowed (the OpenAPI documents' x-filterable); None: every operator.
    operators: frozenset[str] | None = None


class _Null:
    def __repr__(self) -> str:
        return "$null:"


NULL = _Null()
WILDCARD = object()  # an unescaped ``*`` inside a value


@dataclass
class Predicate:
    field: str
    op: str
    value: object  # NULL, a list of parts (str or WILDCARD), or a list of those for $in/$nin


@dataclass
class Junction:
    op: str  # "and" / "or"
    children: list = field(default_factory=list)


class FilterError(Exception):
    pass


_OP = re.compile(r"\$(gte|gt|lte|lt|eq|ne|like|nin|in):")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_ESCAPES = {"$": "$", "(": "(", ")": ")", "*": "*", ",": ",", "[": "[", "]": "]"}


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.depth = 0

    def parse(self):
        if not self.text:
            raise FilterError("The filter is empty.")
        if len(self.text) > MAX_FILTER_LENGTH:
            raise FilterError(f"The filter is longer than {MAX_FILTER_LENGTH} characters.")
        node = self.parse_or()
        if self.i != len(self.text):
            raise FilterError(f"Unexpected '{self.text[self.i :]}' in the filter.")
        return node

    def _at(self, token: str) -> bool:
        return self.text.startswith(token, self.i)

    def parse_or(self):
        children = [self.parse_and()]
        while self._at("$or:"):
            self.i += 4
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Junction("or", children)

    def parse_and(self):
        children = [self.parse_term()]
        while self._at("$and:"):
            self.i += 5
            children.append(self.parse_term())
        return children[0] if len(children) == 1 else Junction("and", children)

    def parse_term(self):
        if self._at("("):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise FilterError(f"The filter nests more than {MAX_DEPTH} parentheses.")
            self.i += 1
            node = self.parse_or()
            if not self._at(")"):
                raise FilterError("A parenthesis in the filter is not closed.")
            self.i += 1
            self.depth -= 1
            return node
        return self.parse_predicate()

    def parse_predicate(self) -> Predicate:
        match = _FIELD.match(self.text, self.i)
        if not match:
            raise FilterError(f"Expected a property name at '{self.text[self.i :]}'.")
        name = match.group(0)
        self.i = match.end()
        op = _OP.match(self.text, self.i)
        if not op:
            raise FilterError(f"Expected an operator such as $eq: after '{name}'.")
        self.i = op.end()
        if op.group(1) in ("in", "nin"):
            return Predicate(name, op.group(1), self.parse_list())
        return Predicate(name, op.group(1), self.parse_value(in_list=False))

    def parse_list(self) -> list:
        if not self._at("["):
            raise FilterError("$in: and $nin: take a list in brackets: [1,2,3].")
        self.i += 1
        values = []
        while True:
            values.append(self.parse_value(in_list=True))
            if self._at(","):
                self.i += 1
                continue
            if self._at("]"):
                self.i += 1
                return values
            raise FilterError("A list in the filter is not closed with ].")

    def parse_value(self, *, in_list: bool):
        if self._at("$null:"):
            self.i += 6
            return NULL
        parts: list = []
        buffer: list[str] = []
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char == "$":
                if self._at("$and:") or self._at("$or:"):
                    break
                nxt = text[self.i + 1 : self.i + 2]
                if nxt in _ESCAPES:
                    buffer.append(_ESCAPES[nxt])
                    self.i += 2
                    continue
                raise FilterError(f"Unknown escape or operator at '{text[self.i :]}'.")
            if char == ")":
                break
            if in_list and char in ",]":
                break
            if char == "*":
                if buffer:
                    parts.append("".join(buffer))
                    buffer = []
                parts.append(WILDCARD)
                self.i += 1
                continue
            buffer.append(char)
            self.i += 1
        if buffer:
            parts.append("".join(buffer))
        return parts


def parse_filter(text: str):
    return _Parser(text).parse()


# From the parse tree to a Django Q ---------------------------------------------------------


def _plain(parts) -> str:
    return "".join("*" if p is WILDCARD else p for p in parts)


def _convert(spec: FieldSpec, name: str, parts):
    raw = _plain(parts)
    try:
        if spec.kind == "int":
            value = int(raw)
            if abs(value) > MAX_INTEGER:
                raise ValueError(raw)
            return value
        if spec.kind == "number":
            value = Decimal(raw)
            if not value.is_finite() or abs(value) > MAX_INTEGER:
                raise ValueError(raw)
            return value
        if spec.kind == "bool":
            lowered = raw.lower()
            if lowered not in ("true", "false"):
                raise ValueError(raw)
            return lowered == "true"
        if spec.kind == "datetime":
            return parse_timestamp(raw)
    except (ValueError, InvalidOperation) as exc:
        raise FilterError(f"'{raw}' is not a valid value for {name}.") from exc
    return raw


def parse_timestamp(raw: str) -> dt.datetime:
    """``2026-01-02T03:04:05Z``, with an offset, or a bare date (midnight UTC)."""
    text = raw.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.replace(microsecond=0)


def _like_q(column: str, parts) -> Q:
    if not any(p is WILDCARD for p in parts):
        return Q(**{f"{column}__icontains": _plain(parts)})
    literal = [p for p in parts if p is not WILDCARD]
    if len(parts) == 2 and parts[0] is WILDCARD:
        return Q(**{f"{column}__iendswith": parts[1]})
    if len(parts) == 2 and parts[1] is WILDCARD:
        return Q(**{f"{column}__istartswith": parts[0]})
    if len(parts) == 3 and parts[0] is WILDCARD and parts[2] is WILDCARD:
        return Q(**{f"{column}__icontains": parts[1]})
    if not literal:
        return Q()
    pattern = "^" + "".join(".*" if p is WILDCARD else re.escape(p) for p in parts) + "$"
    return Q(**{f"{column}__iregex": pattern})


def predicate_q(pred: Predicate, fields: dict[str, FieldSpec]) -> Q:
    spec = fields.get(pred.field)
    if spec is None or not spec.filterable:
        raise FilterError(f"The property '{pred.field}' cannot be filtered on.")
    if spec.operators is not None and pred.op not in spec.operators:
        raise FilterError(
            f"The operator ${pred.op}: cannot be used on '{pred.field}' (allowed: "
            f"{', '.join('$' + op + ':' for op in sorted(spec.operators))})."
        )
    column = spec.column
    if pred.op in ("in", "nin"):
        # The classic docs allow lists on numbers only; an OpenAPI document's x-filterable
        # names the properties that take them (text ones too, compared without case).
        listed = spec.operators is not None and pred.op in spec.operators
        if spec.kind not in ("int", "number") and not (listed and spec.kind == "str"):
            raise FilterError("$in: and $nin: work on numeric properties only.")
        if len(pred.value) > MAX_IN_VALUES:
            raise FilterError(f"$in: and $nin: take at most {MAX_IN_VALUES} values.")
        values = [_convert(spec, pred.field, parts) for parts in pred.value if parts is not NULL]
        if spec.kind == "str":
            q = Q(pk__in=[])
            for value in values:
                q |= Q(**{f"{column}__iexact": value})
        else:
            q = Q(**{f"{column}__in": values})
        return ~q if pred.op == "nin" else q
    if pred.value is NULL:
        if pred.op not in ("eq", "ne"):
            raise FilterError("$null: can only be compared with $eq: or $ne:.")
        q = Q(**{f"{column}__isnull": True})
        if spec.kind == "str":
            q |= Q(**{column: ""})
        return ~q if pred.op == "ne" else q
    if pred.op == "like":
        if spec.kind != "str":
            raise FilterError("$like: works on text properties only.")
        return _like_q(column, pred.value)
    value = _convert(spec, pred.field, pred.value)
    if spec.kind == "bool" and pred.op not in ("eq", "ne"):
        raise FilterError("Booleans can only be compared with $eq: or $ne:.")
    if spec.kind == "str" and pred.op in ("eq", "ne"):
        q = Q(**{f"{column}__iexact": value})
    elif pred.op in ("eq", "ne"):
        q = Q(**{column: value})
    else:
        q = Q(**{f"{column}__{pred.op}": value})
    if pred.op == "ne":
        return ~q
    return q


def tree_q(node, fields: dict[str, FieldSpec]) -> Q:
    if isinstance(node, Predicate):
        return predicate_q(node, fields)
    combined = Q()
    for child in node.children:
        q = tree_q(child, fields)
        combined = (combined & q) if node.op == "and" else (combined | q)
    return combined


def filter_q(text: str, fields: dict[str, FieldSpec]) -> Q:
    """The Q for a ``filter`` parameter; ApiError 400 when it cannot be used."""
    allowed = sorted(name for name, spec in fields.items() if spec.filterable)
    try:
        return tree_q(parse_filter(text), fields)
    except FilterError as exc:
        raise ApiError(
            400,
            "Could not parse query string filter parameter.",
            error_code=codes.BAD_FILTER,
            developer_hint=str(exc),
            extra={"allowedFilteringFields": allowed},
        ) from exc


def order_by(text: str | None, fields: dict[str, FieldSpec], key_column: str) -> list:
    """The ordering for a ``sort`` parameter (``-name``, ``~name``, several comma-separated)."""
    ordering: list = []
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            if text:
                raise _sort_error(fields, "An empty property in sort.")
            continue
        descending = item.startswith("-")
        name = item.lstrip("-~")
        spec = fields.get(name)
        if spec is None or not spec.sortable:
            raise _sort_error(fields, f"The property '{name}' cannot be sorted on.")
        expr = Lower(spec.column) if spec.kind == "str" else spec.column
        if isinstance(expr, str):
            ordering.append(f"-{expr}" if descending else expr)
        else:
            ordering.append(expr.desc() if descending else expr.asc())
    ordering.append(key_column)
    return ordering


def _sort_error(fields: dict[str, FieldSpec], hint: str) -> ApiError:
    return ApiError(
        400,
        "Could not parse query string sort parameter.",
        error_code=codes.BAD_SORT,
        developer_hint=hint,
        extra={
            "allowedSortingFields": sorted(n for n, s in fields.items() if s.sortable),
        },
    )


# Paging -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    skip_pages: int
    page_size: int


def page_of(params) -> Page:
    size_raw = params.get("pagesize")
    skip_raw = params.get("skippages")
    size = DEFAULT_PAGE_SIZE
    if size_raw is not None:
        if not size_raw.isdigit() or not 1 <= int(size_raw) <= MAX_PAGE_SIZE:
            message = f"pagesize must be a positive whole number between 1 and {MAX_PAGE_SIZE}."
            raise ApiError(
                400,
                message,
                error_code=codes.PAGE_SIZE,
                developer_hint=message,
                errors={
                    "pagesize": {
                        "errors": [
                            {"errorCode": codes.PAGE_SIZE, "message": message, "value": size_raw}
                        ]
                    }
                },
            )
        size = int(size_raw)
    skip = 0
    if skip_raw is not None:
        if not skip_raw.isdigit():
            message = "skippages must be a whole number of 0 or more."
            raise ApiError(400, message, error_code=codes.SKIP_PAGES, developer_hint=message)
        skip = int(skip_raw)
    return Page(skip_pages=skip, page_size=size)


_SAFE = "$:,()*[]~-._!'"


def page_url(collection_url: str, params, *, skip_pages: int, page_size: int) -> str:
    """A page's absolute URL: ``pagesize`` and ``skippages`` first, other parameters kept."""
    pairs = [("pagesize", str(page_size)), ("skippages", str(skip_pages))]
    for key in params:
        if key in ("pagesize", "skippages"):
            continue
        for value in params.getlist(key):
            pairs.append((key, value))
    query = "&".join(f"{quote(k, safe=_SAFE)}={quote(v, safe=_SAFE)}" for k, v in pairs)
    return f"{collection_url}?{query}"


def pagination(
    collection_url: str, params, *, page: Page, results: int, results_without_filter: int
) -> dict:
    last = max(0, (results - 1) // page.page_size) if results else 0
    block = {
        "skipPages": page.skip_pages,
        "pageSize": page.page_size,
        "maxPageSizeAllowed": MAX_PAGE_SIZE,
        "results": results,
        "resultsWithoutFilter": results_without_filter,
        "firstPage": page_url(collection_url, params, skip_pages=0, page_size=page.page_size),
    }
    if page.skip_pages < last:
        block["nextPage"] = page_url(
            collection_url, params, skip_pages=page.skip_pages + 1, page_size=page.page_size
        )
    if page.skip_pages > 0:
        block["previousPage"] = page_url(
            collection_url,
            params,
            skip_pages=min(page.skip_pages - 1, last),
            page_size=page.page_size,
        )
    block["lastPage"] = page_url(collection_url, params, skip_pages=last, page_size=page.page_size)
    return block
