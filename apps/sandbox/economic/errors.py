"""e-conomic's classic error body (API-NOTES §9.1) and the error codes the sandbox uses.

Codes marked "sandbox" are not documented anywhere we could read; the sandbox picked them so a
client can tell the cases apart. The documented ones: E04042 missing value, E04500 reference
without identifier, E04810 page size out of range, E06000 does not exist.
"""

from __future__ import annotations

import datetime as dt
import secrets

from jsonschema import ValidationError

MISSING_VALUE = "E04042"
NO_IDENTIFIER = "E04500"
PAGE_SIZE = "E04810"
NOT_FOUND = "E06000"
INVALID_VALUE = "E04000"  # sandbox: a value its schema refuses (type, length, range, enum)
SKIP_PAGES = "E04800"  # sandbox: skippages not a whole number ≥ 0
BAD_FILTER = "E04900"  # sandbox: filter cannot be parsed or names an unfilterable property
BAD_SORT = "E04910"  # sandbox: sort cannot be parsed or names an unsortable property
NUMBER_TAKEN = "E06100"  # sandbox: POST with a customerNumber that is in use

NOT_FOUND_HINT = (
    "The API tries to provide all the resource urls you need. If you have hard coded urls "
    "yourself, then try to look at the enclosing collection for hypermedia information on where "
    "the resource you are looking for could be."
)


class ApiError(Exception):
    """An answer in e-conomic's error format."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_code: str = "",
        developer_hint: str = "",
        errors: dict | None = None,
        extra: dict | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.developer_hint = developer_hint
        self.errors = errors
        self.extra = extra or {}
        self.headers = headers or {}

    def body(self) -> dict:
        body: dict = {"message": self.message}
        if self.error_code:
            body["errorCode"] = self.error_code
        if self.developer_hint:
            body["developerHint"] = self.developer_hint
        body["logId"] = f"{secrets.token_hex(8)}-CPH"
        body["httpStatusCode"] = self.status
        body["logTime"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(404, f"{what} not found.", error_code=NOT_FOUND, developer_hint=NOT_FOUND_HINT)


def property_error(code: str, message: str, value=None, hint: str = "") -> dict:
    entry = {"errorCode": code, "message": message}
    if value is not None:
        entry["value"] = value
    if hint:
        entry["developerHint"] = hint
    return entry


def add_error(errors: dict, path: list, entry: dict) -> None:
    """Puts ``entry`` where the failing property sits in the document (annotated errors)."""
    node = errors
    for part in path:
        key = part if isinstance(part, str) else str(part)
        node = node.setdefault(key, {})
    node.setdefault("errors", []).append(entry)


_TYPE_NAMES = {
    "string": "String",
    "integer": "Integer",
    "number": "Number",
    "boolean": "Boolean",
    "object": "Object",
    "array": "Array",
}


def _json_type(value) -> str:
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Number"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def schema_error_entry(error: ValidationError) -> dict:
    """One jsonschema failure in e-conomic's words."""
    name = str(error.path[-1]) if error.path else ""
    kind = error.validator
    value = error.instance
    if kind == "required":
        return property_error(
            MISSING_VALUE,
            f"{name} is required.",
            hint=f"The property '{name}' must be supplied.",
        )
    if kind == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, str) else "/".join(map(str, expected))
        message = f"Expected {_TYPE_NAMES.get(expected, expected)} but got {_json_type(value)}"
        hint = "To clear a property, omit it; null is not accepted." if value is None else ""
        return property_error(INVALID_VALUE, message, value, hint)
    if kind == "maxLength":
        return property_error(
            INVALID_VALUE,
            f"String '{value}' exceeds maximum length of {error.validator_value}.",
            value,
        )
    if kind == "minLength":
        return property_error(
            INVALID_VALUE,
            f"String '{value}' is shorter than minimum length of {error.validator_value}.",
            value,
        )
    if kind == "minimum":
        return property_error(
            INVALID_VALUE,
            f"{_json_type(value)} {value} is less than minimum value of {error.validator_value}",
            value,
        )
    if kind == "maximum":
        return property_error(
            INVALID_VALUE,
            f"{_json_type(value)} {value} exceeds maximum value of {error.validator_value}",
            value,
        )
    if kind == "enum":
        return property_error(INVALID_VALUE, f"Value '{value}' is not defined in enum.", value)
    return property_error(INVALID_VALUE, error.message, value if _scalar(value) else None)


def _scalar(value) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def validation_error(errors: dict, message: str = "Validation error.") -> ApiError:
    return ApiError(
        400,
        message,
        developer_hint="The errors object shows which properties failed and why.",
        errors=errors,
    )


def from_schema_errors(schema_errors: list[ValidationError]) -> ApiError:
    errors: dict = {}
    for error in schema_errors:
        add_error(errors, list(error.path), schema_error_entry(error))
    return validation_error(errors)
