"""e-conomic's published JSON Schemas (draft-03), copied unchanged into ``schemas/``.

Every request body is validated against the verb's schema (failures become e-conomic's annotated
400) and every response against its GET schema (a failure is a sandbox bug).
"""

from __future__ import annotations

import functools
import json
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
    error = next(iter(validator(name).iter_errors(body)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise SchemaViolation(f"{name}: {where}: {error.message}")


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
