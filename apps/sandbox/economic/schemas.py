"""e-conomic's published JSON Schemas (draft-03), copied unchanged into ``schemas/``.

Every request body is validated against the verb's schema (failures become e-conomic's annotated
400) and every response against its GET schema (a failure is a sandbox bug).

jsonschema needs about a millisecond per customer, too slow for pages of up to 1000. A
collection is therefore checked by jsonschema as its envelope with the first item, and every item
by ``compiled(name)``: the same draft-03 keywords these files use (type, properties, required,
items, min/maxLength, minimum/maximum, enum, pattern) compiled into plain checks, two orders of
magnitude faster; tests check that both agree.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

from jsonschema import Draft3Validator, ValidationError

SCHEMA_DIR = Path(__file__).parent / "schemas"


class SchemaViolation(AssertionError):
    """The sandbox built a response its own published schema refuses (a sandbox bug)."""


@functools.cache
def schema(name: str) -> dict:
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


@functools.cache
def validator(name: str) -> Draft3Validator:
    return Draft3Validator(schema(name))


def request_errors(name: str, document) -> list[ValidationError]:
    """What is wrong with a request body, by property (empty when it is valid)."""
    return sorted(validator(name).iter_errors(document), key=lambda e: list(map(str, e.path)))


def check_response(name: str, body: dict) -> None:
    """Raises SchemaViolation if ``body`` does not match the response schema ``name``."""
    items = body.get("collection")
    if isinstance(items, list) and len(items) > 1:
        _check_jsonschema(name, {**body, "collection": items[:1]})
        problem = compiled(name)(body)
        if problem is not None:
            raise SchemaViolation(f"{name}: {problem}")
        return
    _check_jsonschema(name, body)


def _check_jsonschema(name: str, body: dict) -> None:
    error = next(iter(validator(name).iter_errors(body)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise SchemaViolation(f"{name}: {where}: {error.message}")


# The compiled checker ------------------------------------------------------------------------

Check = Callable[[object, str], "str | None"]

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),  # type() is bool for booleans: they are not integers here either
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


@functools.cache
def compiled(name: str) -> Callable[[object], str | None]:
    """A fast checker for schema ``name``: the first problem as text, or None."""
    check = _compile(schema(name))
    return lambda document: check(document, "")


def _compile(spec: dict) -> Check:
    checks: list[Check] = []
    kind = spec.get("type")
    if kind is not None:
        kinds = [kind] if isinstance(kind, str) else list(kind)
        if "any" not in kinds and all(isinstance(k, str) and k in _TYPES for k in kinds):
            allowed = frozenset(t for k in kinds for t in _TYPES[k])

            def check_type(value, where, allowed=allowed, kinds=kinds):
                if type(value) not in allowed:
                    return f"{where or '(document)'}: {value!r} is not of type {kinds}"
                return None

            checks.append(check_type)
    if "enum" in spec:
        allowed = spec["enum"]
        checks.append(lambda v, w: None if v in allowed else f"{w}: {v!r} is not one of {allowed}")
    if isinstance(spec.get("maxLength"), int):
        most = spec["maxLength"]
        checks.append(
            lambda v, w: f"{w}: {v!r} is too long" if isinstance(v, str) and len(v) > most else None
        )
    if isinstance(spec.get("minLength"), int):
        least = spec["minLength"]
        checks.append(
            lambda v, w: (
                f"{w}: {v!r} is too short" if isinstance(v, str) and len(v) < least else None
            )
        )
    if "minimum" in spec:
        low = spec["minimum"]
        checks.append(
            lambda v, w: f"{w}: {v!r} is below {low}" if _numeric(v) and v < low else None
        )
    if "maximum" in spec:
        high = spec["maximum"]
        checks.append(
            lambda v, w: f"{w}: {v!r} is above {high}" if _numeric(v) and v > high else None
        )
    if "pattern" in spec:
        pattern = re.compile(spec["pattern"])
        checks.append(
            lambda v, w: (
                f"{w}: {v!r} does not match {pattern.pattern!r}"
                if isinstance(v, str) and not pattern.search(v)
                else None
            )
        )
    if isinstance(spec.get("properties"), dict):
        children = {
            key: (_compile(sub), bool(sub.get("required")))
            for key, sub in spec["properties"].items()
            if isinstance(sub, dict)
        }

        def check_properties(value, where, children=children):
            if not isinstance(value, dict):
                return None
            for key, (child, required) in children.items():
                if key in value:
                    problem = child(value[key], f"{where}/{key}")
                    if problem is not None:
                        return problem
                elif required:
                    return f"{where}/{key}: is a required property"
            return None

        checks.append(check_properties)
    if isinstance(spec.get("items"), dict):
        item = _compile(spec["items"])

        def check_items(value, where, item=item):
            if not isinstance(value, list):
                return None
            for index, element in enumerate(value):
                problem = item(element, f"{where}/{index}")
                if problem is not None:
                    return problem
            return None

        checks.append(check_items)

    if len(checks) == 1:
        return checks[0]

    def check(value, where):
        for one in checks:
            problem = one(value, where)
            if problem is not None:
                return problem
        return None

    return check


def _numeric(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def marked_fields(name: str, mark: str) -> list[str]:
    """Collection item properties marked ``filterable``/``sortable``, nested ones dotted."""
    item = schema(name)["properties"]["collection"]["items"]
    found: list[str] = []

    def walk(properties: dict, prefix: str) -> None:
        for key, spec in properties.items():
            if spec.get(mark):
                found.append(prefix + key)
            if "properties" in spec:
                walk(spec["properties"], f"{prefix}{key}.")

    walk(item.get("properties", {}), "")
    return found
