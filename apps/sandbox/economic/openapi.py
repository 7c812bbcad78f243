"""e-conomic's OpenAPI services (``apis.e-conomic.com/<service>api/v<x.y.z>/…``) in the sandbox.

The same pipeline as the classic API answers them (tokens, one token bucket, faults,
Idempotency-Key, request log: ``endpoint.handle`` with this module's ``Surface``); what differs is
said here, once for every service (API-NOTES §3, §7.2, §8, §9.2, §13):

- the documents in ``openapi/`` (unchanged copies) are the routing table and the schemas: request
  bodies are validated against them (400), responses too (a failure is a sandbox bug, 500);
- errors are ``application/problem+json`` ProblemDetails with a symbolic ``errorCode``;
- collections page by cursor (``{items, cursor}``, cursor absent on the last page, ``sort``
  ignored), by ``/paged?skippages&pagesize`` (a bare array, ≤100 a page, only the first 10,000
  items reachable) and count by ``/count`` (a bare integer); ``filter`` takes only the operators a
  property's ``x-filterable`` lists;
- a PUT must send the ``objectVersion`` it read (missing or stale: 409 ``UpdateConflict``);
- an agreement without the service's module (the Project module for projectsapi) gets 403
  ``AccessDeniedAgreementMissingModules`` on every call.

Handlers live in ``projects_api.py``, ``q2c_api.py`` (and ``webhooks_api.py``) and register
themselves with ``SERVICE.route(method, template)``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import functools
import importlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from jsonschema import Draft7Validator

from . import errors as codes
from .endpoint import Caller, Outcome, Surface, _fail_filter_if_asked
from .errors import ApiError
from .models import Agreement, next_version  # noqa: F401 - next_version is shared
from .query import FieldSpec, FilterError, order_by, parse_filter, tree_q
from .resources import timestamp
from .runtime import knobs_get
from .schemas import SchemaViolation

SPEC_DIR = Path(__file__).parent / "openapi"
PROBLEM_TYPE = "application/problem+json; charset=utf-8"
DEFAULT_CURSOR_PAGE_SIZE = 1000
PAGED_DEFAULT_SIZE = 20
PAGED_MAX_SIZE = 100
PAGED_REACHABLE = 10_000
VALIDATE_ITEMS = 50  # response items checked by jsonschema (the rest are rendered alike)
HANDLER_MODULES = ("projects_api", "q2c_api", "webhooks_api")


# Problems (§9.2) ----------------------------------------------------------------------------


class Problem(ApiError):
    """An answer in ProblemDetails form: ``errorCode`` symbolic, ``errors`` by property."""

    def __init__(
        self,
        status: int,
        title: str,
        *,
        error_code: str,
        detail: str = "",
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ) -> None:
        super().__init__(
            status, title, error_code=error_code, developer_hint=detail, headers=headers
        )
        self.problem_errors = errors or []


def error_entry(message: str, error_code: str, prop: str | None = None) -> dict:
    return {"message": message, "errorCode": error_code, "property": prop}


def invalid(message: str, error_code: str, prop: str | None = None) -> Problem:
    """400: the request is refused for one reason, said in ``errors`` too."""
    return Problem(
        400,
        "Bad request.",
        error_code=error_code,
        detail=message,
        errors=[error_entry(message, error_code, prop)],
    )


def not_found(what: str, error_code: str = "NotFound") -> Problem:
    return Problem(404, "Resource not found.", error_code=error_code, detail=f"{what} not found.")


def conflict(detail: str) -> Problem:
    return Problem(
        409,
        "Update conflict. Version does not match.",
        error_code="UpdateConflict",
        detail=detail,
        errors=[error_entry(detail, "UpdateConflict", "objectVersion")],
    )


# The classic pipeline raises its own codes; the OpenAPI services say them symbolically.
_CLASSIC_CODES = {
    codes.BAD_FILTER: "BadFilterRequest",
    codes.BAD_SORT: "BadSortRequest",
    codes.NOT_FOUND: "NotFound",
}
_STATUS_CODES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "AccessDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "UpdateConflict",
    413: "RequestTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "InternalServerError",
    501: "NotImplemented",
}
_STATUS_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    405: "https://tools.ietf.org/html/rfc9110#section-15.5.6",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    415: "https://tools.ietf.org/html/rfc9110#section-15.5.16",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
}


def problem_body(exc: ApiError, request: HttpRequest) -> dict:
    error_code = _CLASSIC_CODES.get(exc.error_code, exc.error_code) or _STATUS_CODES.get(
        exc.status, "Error"
    )
    errors = getattr(exc, "problem_errors", None)
    if errors is None:  # an error of the shared pipeline (tokens, rate limit, faults)
        errors = [error_entry(exc.developer_hint or exc.message, error_code)]
    return {
        "type": _STATUS_TYPES.get(exc.status, "about:blank"),
        "title": exc.message,
        "status": exc.status,
        "detail": exc.developer_hint or None,
        "instance": request.path,
        "errors": errors,
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
        "errorCode": error_code,
        "traceTimeUtc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def problem_outcome(exc: ApiError, request: HttpRequest) -> Outcome:
    body = problem_body(exc, request)
    return Outcome(
        exc.status,
        body,
        headers=dict(exc.headers),
        error_code=body["errorCode"][:40],
        note=exc.message,
        content_type=PROBLEM_TYPE,
    )


# The documents as JSON Schema -----------------------------------------------------------------


@functools.cache
def spec(filename: str) -> dict:
    return json.loads((SPEC_DIR / filename).read_text(encoding="utf-8"))


def _convert(node: Any, mode: str) -> Any:
    """OpenAPI 3.0 schema → JSON Schema: ``nullable`` widens the type; in ``request`` mode
    read-only properties accept anything (they are ignored on input); booleans are never
    required (e-conomic leaves a false boolean out, on reads and writes alike)."""
    if isinstance(node, list):
        return [_convert(item, mode) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _convert(value, mode) for key, value in node.items() if not key.startswith("x-")}
    if node.get("nullable"):
        out.pop("nullable", None)
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:  # a nullable $ref/allOf
            out = {"anyOf": [{"type": "null"}, out]}
    props = node.get("properties")
    if isinstance(props, dict):
        required = [
            name
            for name in node.get("required", [])
            if props.get(name, {}).get("type") != "boolean"
            and not (mode == "request" and props.get(name, {}).get("readOnly"))
        ]
        out["required"] = required
        if not required:
            out.pop("required")
        if mode == "request":
            out["properties"] = {
                name: ({} if sub.get("readOnly") else out["properties"][name])
                for name, sub in props.items()
            }
    return out


@functools.cache
def _components(filename: str, mode: str) -> dict:
    return _convert(copy.deepcopy(spec(filename).get("components", {})), mode)


@functools.cache
def validator(filename: str, mode: str, schema_json: str) -> Draft7Validator:
    """A validator for one schema of a document (``$ref`` to its components resolve)."""
    root = {**_convert(json.loads(schema_json), mode), "components": _components(filename, mode)}
    return Draft7Validator(root)


def component(filename: str, name: str) -> dict:
    return spec(filename)["components"]["schemas"][name]


# Services and routes --------------------------------------------------------------------------

Handler = Callable[..., Outcome]


@dataclass
class Route:
    method: str
    template: str
    pattern: re.Pattern
    handler: Handler


@dataclass
class Service:
    """One OpenAPI service (``projectsapi`` v1.1.0 …) and the operations the sandbox serves."""

    name: str
    version: str
    filename: str
    module: str | None = None  # the agreement module it needs ("Project")
    routes: list[Route] = field(default_factory=list)

    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        """Decorator: ``handler(call, **path_params)`` answers ``method template``."""
        paths = spec(self.filename)["paths"]
        if method.lower() not in paths.get(template, {}):
            raise ValueError(f"{self.name}: {method} {template} is not in {self.filename}")

        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, _template_pattern(template), handler))
            return handler

        return register

    def operation(self, method: str, template: str) -> dict:
        return spec(self.filename)["paths"][template][method.lower()]


def _template_pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template.strip("/"))
    regex = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts if p
    )
    return re.compile(f"^{regex}$")


@functools.cache
def _spec_templates(filename: str) -> list[tuple[str, re.Pattern]]:
    """The document's paths, literal ones first (``/Projects/paged`` before ``/Projects/{n}``)."""
    templates = list(spec(filename)["paths"])
    templates.sort(key=lambda t: (t.count("{"), t))
    return [(t, _template_pattern(t)) for t in templates]


SERVICES: dict[tuple[str, str], Service] = {}


def register_service(service: Service) -> Service:
    SERVICES[(service.name, service.version)] = service
    return service


PROJECTS = register_service(
    Service("projectsapi", "1.1.0", "openapi-Projects.json", module="Project")
)
Q2C = register_service(Service("q2capi", "5.3.0", "openapi-Q2C.json"))
WEBHOOKS = register_service(Service("webhooksapi", "1.0.0", "openapi-webhooks-api.json"))


@functools.cache
def _load_handlers() -> None:
    for name in HANDLER_MODULES:
        try:
            importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:  # a service whose handlers are not written yet
            if exc.name != f"{__package__}.{name}":
                raise


def surface(name: str, version: str) -> Surface:
    """The pipeline surface for ``/<name>/v<version>/…`` (an unknown service answers 404)."""
    _load_handlers()
    if (name, version) in SERVICES:
        return _surface_of(name, version)
    return _surface(name, version, None)


@functools.cache
def _surface_of(name: str, version: str) -> Surface:
    return _surface(name, version, SERVICES[(name, version)])


def _surface(name: str, version: str, service: Service | None) -> Surface:
    """Routes by the service's document; errors as problem+json."""

    def route(request: HttpRequest, path: str, caller: Caller) -> Outcome:
        if service is None:
            raise Problem(
                404,
                "Resource not found.",
                error_code="NotFound",
                detail=f"The sandbox serves no {name} v{version}; it serves "
                + ", ".join(f"{s.name}/v{s.version}" for s in SERVICES.values())
                + ".",
            )
        return dispatch(service, request, path, caller)

    return Surface(route=route, error=problem_outcome, error_content_type=PROBLEM_TYPE)


# One call ---------------------------------------------------------------------------------


@dataclass
class Call:
    service: Service
    request: HttpRequest
    caller: Caller
    operation: dict
    body: Any = None

    @property
    def agreement(self) -> Agreement:
        return self.caller.agreement

    @property
    def params(self):
        return self.request.GET


def dispatch(service: Service, request: HttpRequest, path: str, caller: Caller) -> Outcome:
    if service.module and service.module not in (caller.agreement.modules or []):
        raise Problem(
            403,
            "Access denied: the agreement is missing modules.",
            error_code="AccessDeniedAgreementMissingModules",
            detail=f"The agreement does not have the {service.module} module, which "
            f"{service.name} needs.",
        )
    clean = path.strip("/")
    template = params = None
    for candidate, pattern in _spec_templates(service.filename):
        match = pattern.match(clean)
        if match:
            template, params = candidate, match.groupdict()
            break
    if template is None:
        raise not_found(f"/{clean}")
    methods = [m.upper() for m in spec(service.filename)["paths"][template] if m != "parameters"]
    if request.method not in methods:
        raise Problem(
            405,
            "Method not allowed.",
            error_code="MethodNotAllowed",
            detail=f"{template} accepts {', '.join(methods)}.",
            headers={"Allow": ", ".join(methods)},
        )
    operation = service.operation(request.method, template)
    _check_roles(service, operation, caller)
    handler = next(
        (
            r.handler
            for r in service.routes
            if r.method == request.method and r.template == template
        ),
        None,
    )
    if handler is None:
        raise Problem(
            501,
            "Not implemented by the sandbox.",
            error_code="NotImplemented",
            detail=f"{request.method} {template} is in the {service.name} document, but the "
            "e-conomic sandbox does not emulate it.",
        )
    call = Call(service=service, request=request, caller=caller, operation=operation)
    schema = _request_schema(operation)
    if schema is not None:
        call.body = _body(request)
        _validate_request(service, schema, call.body)
    outcome = handler(call, **params)
    _validate_response(service, operation, outcome)
    return outcome


def _check_roles(service: Service, operation: dict, caller: Caller) -> None:
    tags = {t["name"]: t for t in spec(service.filename).get("tags", [])}
    required: set[str] = set()
    for tag in operation.get("tags", []):
        required |= set(tags.get(tag, {}).get("x-required-roles", []))
    if required and not (caller.roles & required):
        raise Problem(
            403,
            "Access forbidden.",
            error_code="AccessDenied",
            detail=f"This operation needs one of the roles {', '.join(sorted(required))}; the "
            f"grant has {', '.join(sorted(caller.roles)) or 'none'}.",
        )


def _request_schema(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None)
    return None if media is None else media.get("schema")


def _body(request: HttpRequest) -> Any:
    content_type = request.META.get("CONTENT_TYPE", "")
    if "json" not in content_type.lower():
        raise Problem(
            415,
            "Unsupported media type.",
            error_code="UnsupportedMediaType",
            detail="Send the body as JSON with Content-Type: application/json.",
        )
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"The request body is not valid JSON: {exc}", "InvalidJson") from exc


def _validate_request(service: Service, schema: dict, document: Any) -> None:
    check = validator(service.filename, "request", json.dumps(schema, sort_keys=True))
    problems = sorted(check.iter_errors(document), key=lambda e: list(map(str, e.path)))
    if not problems:
        return
    entries = []
    for error in problems:
        prop = ".".join(str(p) for p in error.path) or None
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            prop = ".".join(filter(None, [prop, missing]))
            entries.append(error_entry(f"{missing} is required.", "PropertyRequired", prop))
        elif error.validator == "additionalProperties":
            entries.append(error_entry(error.message, "UnknownProperty", prop))
        else:
            code = "Invalid" + error.validator[:1].upper() + error.validator[1:]
            entries.append(error_entry(error.message, code, prop))
    raise Problem(
        400,
        "Bad request.",
        error_code="ValidationError",
        detail="The request body does not match the schema; see errors.",
        errors=entries,
    )


def _validate_response(service: Service, operation: dict, outcome: Outcome) -> None:
    if outcome.body is None:
        return
    content = operation.get("responses", {}).get(str(outcome.status), {}).get("content", {})
    media = content.get("application/json") or next(iter(content.values()), None)
    if media is None or "schema" not in media:
        raise SchemaViolation(f"{operation.get('operationId')}: no {outcome.status} body")
    body = outcome.body
    # jsonschema checks a long page as its first items: the rest are rendered by the same code.
    if isinstance(body, list) and len(body) > VALIDATE_ITEMS:
        body = body[:VALIDATE_ITEMS]
    elif isinstance(body, dict) and len(body.get("items") or []) > VALIDATE_ITEMS:
        body = {**body, "items": body["items"][:VALIDATE_ITEMS]}
    check = validator(service.filename, "response", json.dumps(media["schema"], sort_keys=True))
    error = next(iter(check.iter_errors(body)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise SchemaViolation(f"{operation.get('operationId')}: {where}: {error.message}")


# Collections: filter, cursor, /paged, /count ---------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """A schema served from a model: ``columns`` maps a property to (column, kind); properties
    without a column live in the row's ``extra``."""

    service: Service
    schema: str
    model: type[models.Model]
    render: Callable[[Any], dict]
    columns: dict[str, tuple[str, str]]
    label: str
    key_column: str = "number"

    def queryset(self, call: Call):
        return self.model.objects.filter(agreement=call.agreement)

    @functools.cached_property
    def fields(self) -> dict[str, FieldSpec]:
        return schema_fields(self.service.filename, self.schema, self.columns)

    @functools.cached_property
    def page_size(self) -> int:
        results = spec(self.service.filename)["components"]["schemas"].get(
            f"{self.schema}CursorResults", {}
        )
        return int(results.get("x-cursor-page-size", DEFAULT_CURSOR_PAGE_SIZE))


def _kind(prop: dict) -> str:
    kind = prop.get("type")
    if kind == "integer":
        return "int"
    if kind == "number":
        return "number"
    if kind == "boolean":
        return "bool"
    if kind == "string" and prop.get("format") in ("date-time", "date"):
        return "datetime"
    if "allOf" in prop or "$ref" in prop:
        return "int"  # the documents' enums are integers
    return "str"


def schema_fields(
    filename: str, schema_name: str, columns: dict[str, tuple[str, str]]
) -> dict[str, FieldSpec]:
    """The filterable/sortable properties of a schema, from ``x-filterable``/``x-sortable``."""
    fields: dict[str, FieldSpec] = {}
    for name, prop in component(filename, schema_name).get("properties", {}).items():
        marked = str(prop.get("x-filterable", "not filterable"))
        operators = (
            frozenset()
            if marked.strip() == "not filterable"
            else frozenset(op.strip() for op in marked.split(",") if op.strip())
        )
        column, kind = columns.get(name, (f"extra__{name}", _kind(prop)))
        fields[name] = FieldSpec(
            column=column,
            kind=kind,
            filterable=bool(operators),
            sortable=bool(prop.get("x-sortable")),
            operators=operators,
        )
    return fields


def filtered(call: Call, coll: Collection):
    qs = coll.queryset(call)
    text = call.params.get("filter")
    if text is None:
        return qs
    try:
        q = tree_q(parse_filter(text), coll.fields)
    except FilterError as exc:
        allowed = ", ".join(
            f"{name} ({', '.join(sorted(spec.operators))})"
            for name, spec in sorted(coll.fields.items())
            if spec.filterable
        )
        raise Problem(
            400,
            "Could not parse query string filter parameter.",
            error_code="BadFilterRequest",
            detail=f"{exc} Filterable: {allowed}.",
            errors=[error_entry(str(exc), "BadFilterRequest", "filter")],
        ) from exc
    _fail_filter_if_asked(text)
    return qs.filter(q)


def cursor_page(call: Call, coll: Collection, render: Callable[[Any], dict] | None = None):
    """``{items, cursor}``: the cursor is the key of the next page's first item, absent on the
    last page; ``sort`` is ignored (§7.2)."""
    size = max(1, min(coll.page_size, knobs_get().cursor_page_size))
    qs = filtered(call, coll)
    raw = call.params.get("cursor")
    if raw:
        if not raw.isdigit():
            raise invalid(f"The cursor '{raw}' is not valid.", "InvalidCursor", "cursor")
        qs = qs.filter(**{f"{coll.key_column}__gte": int(raw)})
    rows = list(qs.order_by(coll.key_column)[: size + 1])
    body: dict = {"items": [(render or coll.render)(row) for row in rows[:size]]}
    if len(rows) > size:
        body["cursor"] = str(getattr(rows[size], coll.key_column))
    return Outcome(200, body)


def paged(call: Call, coll: Collection, render: Callable[[Any], dict] | None = None):
    """``/paged``: a bare array, ``pagesize`` 1–100 (default 20), the first 10,000 items only."""
    size_raw = call.params.get("pagesize")
    skip_raw = call.params.get("skippages", "0")
    size = PAGED_DEFAULT_SIZE
    if size_raw is not None:
        if not size_raw.isdigit() or not 1 <= int(size_raw) <= PAGED_MAX_SIZE:
            raise invalid(
                f"pagesize must be a whole number from 1 to {PAGED_MAX_SIZE}.",
                "InvalidPageSize",
                "pagesize",
            )
        size = int(size_raw)
    if not skip_raw.isdigit():
        raise invalid("skippages must be a whole number of 0 or more.", "InvalidSkipPages")
    start = int(skip_raw) * size
    end = min(start + size, PAGED_REACHABLE)
    ordering = order_by(call.params.get("sort"), coll.fields, coll.key_column)
    qs = filtered(call, coll).order_by(*ordering)
    rows = list(qs[start:end]) if start < end else []
    return Outcome(200, [(render or coll.render)(row) for row in rows])


def count(call: Call, coll: Collection) -> Outcome:
    return Outcome(200, filtered(call, coll).count())


def one(call: Call, coll: Collection, raw: str):
    """The row whose key is ``raw``, or 404."""
    key = _int_key(raw)
    row = None if key is None else coll.queryset(call).filter(**{coll.key_column: key}).first()
    if row is None:
        raise not_found(f"{coll.label} {raw}")
    return row


def _int_key(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and int(raw) <= 2_147_483_647 else None


def standard_reads(coll: Collection, path: str, *, item: bool = True) -> None:
    """Registers GET ``path``, ``path/paged``, ``path/count`` and ``path/{number}``."""
    service = coll.service
    service.route("GET", path)(lambda call: cursor_page(call, coll))
    service.route("GET", f"{path}/paged")(lambda call: paged(call, coll))
    service.route("GET", f"{path}/count")(lambda call: count(call, coll))
    if item:
        service.route("GET", f"{path}/{{number}}")(
            lambda call, number: Outcome(200, coll.render(one(call, coll, number)))
        )


# Values in and out -----------------------------------------------------------------------------


def version_token(version: int) -> str:
    """``objectVersion`` as e-conomic shows it: an opaque base64 row version."""
    return base64.b64encode(version.to_bytes(8, "big")).decode()


def require_version(doc: dict, row) -> None:
    """409 UpdateConflict unless the PUT sends the row's current ``objectVersion``."""
    sent = doc.get("objectVersion")
    if not sent:
        raise conflict("objectVersion is required on PUT: send the one you read with GET.")
    if sent != version_token(row.object_version):
        raise conflict(
            "The resource has been updated by another user. Retrieve the resource/object and "
            "try the update again."
        )


def bump(row) -> None:
    row.object_version = next_version(row.object_version)


def compact(doc: dict) -> dict:
    """e-conomic leaves out nulls and false booleans (``Implementation specifics``)."""
    return {k: v for k, v in doc.items() if v is not None and v is not False and v != ""}


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def date_time(value: dt.date | dt.datetime | None) -> str | None:
    """A date-time property as e-conomic writes dates: ``YYYY-MM-DDT00:00:00``."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{value.isoformat()}T00:00:00"


def updated(value: dt.datetime) -> str:
    return timestamp(value)


def parse_date(doc: dict, prop: str, error_code: str) -> dt.date | None:
    raw = doc.get(prop)
    if raw is None:
        return None
    try:
        return dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00")).date()
    except ValueError:
        try:
            return dt.date.fromisoformat(str(raw)[:10])
        except ValueError as exc:
            raise invalid(f"{prop} '{raw}' is not a date.", error_code, prop) from exc


def parse_datetime(doc: dict, prop: str) -> dt.datetime | None:
    raw = doc.get(prop)
    if raw is None:
        return None
    try:
        value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError as exc:
        raise invalid(f"{prop} '{raw}' is not a date-time.", "InvalidDateTime", prop) from exc
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def decimal(doc: dict, prop: str) -> Decimal | None:
    raw = doc.get(prop)
    if raw is None:
        return None
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:  # the schema let a number through: cannot happen
        raise invalid(f"{prop} is not a number.", "InvalidNumber", prop) from exc


def extras(doc: dict, schema_name: str, filename: str, known: set[str]) -> dict:
    """The writable properties the sandbox keeps without acting on them."""
    props = component(filename, schema_name).get("properties", {})
    return {
        k: v
        for k, v in doc.items()
        if k in props and k not in known and not props[k].get("readOnly") and v is not None
    }


def created(number_value: int, location: str) -> Outcome:
    return Outcome(201, {"number": number_value}, headers={"Location": location})


def location(call: Call, path: str) -> str:
    base = call.request.build_absolute_uri(call.request.path)
    root = base.split(f"/{call.service.name}/v{call.service.version}/", 1)[0]
    return f"{root}/{call.service.name}/v{call.service.version}/{path}"


def key_filter(numbers: list[int]) -> Q:
    return Q(number__in=numbers)
