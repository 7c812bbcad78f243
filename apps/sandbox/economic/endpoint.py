"""One REST request from bytes to bytes: knobs, tokens, rate limit, faults, idempotency, log."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from . import errors as codes
from . import schemas
from .errors import ApiError
from .models import Agreement, Grant, IdempotencyRecord, Knobs, RequestLog
from .query import filter_q, order_by, page_of, pagination
from .redaction import redact, redact_body
from .resources import RESOURCES, Ctx, Resource, customer_json
from .runtime import knobs_get, next_fault, rate_spend
from .schemas import SchemaViolation
from .services import customer_create, customer_delete, customer_replace

logger = logging.getLogger(__name__)

PREFIX = "/sandbox/economic"
DEMO_TOKEN = "demo"  # noqa: S105 - e-conomic's public demo token, not a secret
LOG_LIMIT = 20_000  # characters kept of each body
LOG_KEEP = 10_000  # entries kept; older ones are pruned now and then
LOG_PRUNE_EVERY = 500
IDEMPOTENCY_SECONDS = 3600
WRITE_METHODS = ("POST", "PUT", "DELETE")
JSON_TYPE = "application/json; charset=utf-8"


@dataclass
class Outcome:
    status: int
    body: Any = None  # a JSON document (the OpenAPI services also answer bare arrays/integers)
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0
    error_code: str = ""
    note: str = ""
    content_type: str = JSON_TYPE
    _content: bytes | None = field(default=None, repr=False)

    def content(self) -> bytes:
        if self.body is None:
            return b""
        if self._content is None:
            self._content = json.dumps(self.body, ensure_ascii=False).encode()
        return self._content


@dataclass
class Caller:
    agreement: Agreement
    grant: Grant | None  # None for the demo tokens
    demo: bool

    @property
    def roles(self) -> set[str]:
        return {"SuperUser"} if self.demo else set(self.grant.roles or [])


def unauthorized(hint: str) -> ApiError:
    return ApiError(
        401,
        "Unauthorized access (401): the request is not authenticated.",
        developer_hint=hint,
    )


def authenticate(request: HttpRequest, knobs: Knobs) -> Caller:
    secret = request.headers.get("X-AppSecretToken", "")
    token = request.headers.get("X-AgreementGrantToken", "")
    demo_param = request.GET.get("demo", "").lower() == "true"
    if (secret == DEMO_TOKEN and token == DEMO_TOKEN) or (demo_param and not secret and not token):
        agreement = Agreement.objects.filter(demo_access=True).order_by("agreement_number").first()
        if agreement is None:
            raise unauthorized("The sandbox has no demo agreement: run sandbox_economic_seed.")
        return Caller(agreement=agreement, grant=None, demo=True)
    if not secret or not token:
        raise unauthorized(
            "Send both the X-AppSecretToken and the X-AgreementGrantToken headers, or use "
            "'demo' for both to read the demo agreement."
        )
    grant = Grant.objects.select_related("agreement", "app").filter(token=token).first()
    if grant is None or grant.app.secret_token != secret:
        raise unauthorized("The app secret token or the agreement grant token is not valid.")
    if grant.revoked or knobs.grants_revoked:
        raise unauthorized("The agreement has revoked this app's access (grant revoked).")
    return Caller(agreement=grant.agreement, grant=grant, demo=False)


def _forbidden(hint: str) -> ApiError:
    return ApiError(
        403, "Access denied: the grant does not cover this request.", developer_hint=hint
    )


def _raw_body(request: HttpRequest) -> bytes:
    """The request body, or b"" when it is over Django's upload limit."""
    try:
        return request.body
    except RequestDataTooBig:
        return b""


def _body_json(request: HttpRequest):
    try:
        request.body  # noqa: B018 - reads (and size-checks) the body once
    except RequestDataTooBig as exc:
        raise ApiError(413, "Request entity too large.") from exc
    content_type = request.META.get("CONTENT_TYPE", "")
    if "json" not in content_type.lower():
        raise ApiError(
            415,
            "Unsupported media type.",
            developer_hint="Send the body as JSON with Content-Type: application/json.",
        )
    try:
        doc = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "The request body is not valid JSON.", developer_hint=str(exc)) from exc
    if not isinstance(doc, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return doc


def _api_base(request: HttpRequest) -> str:
    return request.build_absolute_uri(PREFIX)


# Handlers -----------------------------------------------------------------------------------


def handle_self(request: HttpRequest, caller: Caller, ctx: Ctx) -> Outcome:
    if request.method != "GET":
        raise _not_allowed(["GET"])
    agreement = caller.agreement
    app = caller.grant.app if caller.grant else None
    body = {
        "agreementNumber": agreement.agreement_number,
        "agreementType": {"agreementTypeNumber": 3, "name": "Plus"},
        "userName": agreement.user_name,
        "signupDate": agreement.signup_date.isoformat(),
        "user": {
            "loginId": agreement.user_login,
            "email": agreement.user_email,
            "name": agreement.user_name,
            "agreementNumber": agreement.agreement_number,
            "language": {
                "languageNumber": 1,
                "name": "Danish",
                "culture": "da-DK",
                "self": f"{ctx.base}/languages/1",
            },
        },
        "company": {
            "addressLine1": agreement.company_address,
            "zip": agreement.company_zip,
            "city": agreement.company_city,
            "name": agreement.company_name,
            "country": "Danmark",
            "companyIdentificationNumber": agreement.company_cvr,
        },
        "settings": {"baseCurrency": agreement.base_currency, "defaultPaymentTerm": "1"},
        "canSendElectronicInvoice": False,
        "modules": [
            {"moduleNumber": number, "name": name, "self": f"{ctx.base}/modules/{number}"}
            for number, name in agreement_modules(agreement)
        ],
        "self": f"{ctx.base}/self",
    }
    if app is not None:
        body["application"] = {
            "appNumber": app.pk,
            "name": app.name,
            "appPublicToken": app.public_token,
            "created": app.created.isoformat(),
            "requiredRoles": [
                {"roleNumber": i + 1, "name": role, "self": f"{ctx.base}/app-roles/{i + 1}"}
                for i, role in enumerate(app.required_roles or [])
            ],
            "self": f"{ctx.base}/apps/{app.pk}",
        }
    schemas.check_response("self.get", body)
    return Outcome(200, body)


MODULE_NUMBERS = {"Sales": 1, "Project": 4}  # sandbox: e-conomic's own numbers are unpublished


def agreement_modules(agreement: Agreement) -> list[tuple[int, str]]:
    """(moduleNumber, name) of the agreement's modules, as ``/self`` lists them."""
    names = list(agreement.modules or [])
    return [(MODULE_NUMBERS.get(name, 100 + i), name) for i, name in enumerate(names)]


def _not_allowed(allowed: list[str]) -> ApiError:
    return ApiError(
        405,
        "Method not allowed.",
        developer_hint=f"This resource accepts {', '.join(allowed)}.",
        headers={"Allow": ", ".join(allowed)},
    )


def handle_collection(request: HttpRequest, resource: Resource, ctx: Ctx) -> Outcome:
    if request.method == "POST" and resource.writable:
        return _customer_post(request, ctx)
    if request.method != "GET":
        raise _not_allowed(["GET", "POST"] if resource.writable else ["GET"])
    params = request.GET
    page = page_of(params)
    ordering = order_by(params.get("sort"), resource.fields, resource.key_column)
    base_qs = resource.queryset(ctx.agreement)
    qs = base_qs
    text = params.get("filter")
    if text is not None:
        qs = qs.filter(filter_q(text, resource.fields))
        _fail_filter_if_asked(text)
    results = qs.count()
    without_filter = results if text is None else base_qs.count()
    start = page.skip_pages * page.page_size
    rows = list(qs.order_by(*ordering)[start : start + page.page_size])
    collection_url = f"{ctx.base}/{resource.path}"
    body = {
        "collection": [resource.render(row, ctx) for row in rows],
        "pagination": pagination(
            collection_url,
            params,
            page=page,
            results=results,
            results_without_filter=without_filter,
        ),
        "metaData": {},
        "self": request.build_absolute_uri(),
    }
    if resource.writable:
        body["metaData"]["create"] = {
            "description": f"Create a new {resource.label.lower()}",
            "href": collection_url,
            "httpMethod": "post",
        }
    schemas.check_response(resource.collection_schema, body)
    return Outcome(200, body)


def _fail_filter_if_asked(text: str) -> None:
    """Knob ``failing_filter_fields``: a filter on one of them answers 500 (API-NOTES §16.11)."""
    fields = [f.strip() for f in knobs_get().failing_filter_fields.split(",") if f.strip()]
    for name in fields:
        if re.search(rf"(^|[(:]){re.escape(name)}\$", text):
            raise ApiError(
                500,
                "An internal error occurred. (injected by the e-conomic sandbox)",
                developer_hint=f"Filtering on {name} fails (knob failing_filter_fields).",
            )


def handle_item(request: HttpRequest, resource: Resource, raw_key: str, ctx: Ctx) -> Outcome:
    key = resource.parse_key(raw_key)
    if resource.writable and request.method == "PUT":
        if key is None:
            raise codes.not_found(resource.label)
        return _customer_put(request, ctx, key)
    if resource.writable and request.method == "DELETE":
        if key is None:
            raise codes.not_found(resource.label)
        customer_delete(agreement=ctx.agreement, number=key)
        return Outcome(204)
    if request.method != "GET":
        raise _not_allowed(["GET", "PUT", "DELETE"] if resource.writable else ["GET"])
    obj = None
    if key is not None:
        obj = resource.queryset(ctx.agreement).filter(**{resource.key_column: key}).first()
    if obj is None:
        raise codes.not_found(resource.label)
    body = resource.render(obj, ctx, meta=True)
    schemas.check_response(resource.item_schema, body)
    return Outcome(200, body)


def _customer_post(request: HttpRequest, ctx: Ctx) -> Outcome:
    doc = _body_json(request)
    knobs = knobs_get()
    customer = customer_create(agreement=ctx.agreement, doc=doc, numbering=knobs.numbering)
    body = customer_json(customer, ctx, meta=True)
    schemas.check_response("customers.customerNumber.get", body)
    return Outcome(201, body, headers={"Location": body["self"]})


def _customer_put(request: HttpRequest, ctx: Ctx, number: int) -> Outcome:
    doc = _body_json(request)
    customer, created = customer_replace(agreement=ctx.agreement, number=number, doc=doc)
    body = customer_json(customer, ctx, meta=True)
    schemas.check_response("customers.customerNumber.get", body)
    headers = {"Location": body["self"]} if created else {}
    return Outcome(201 if created else 200, body, headers=headers)


def route(request: HttpRequest, path: str, caller: Caller) -> Outcome:
    ctx = Ctx(base=_api_base(request), agreement=caller.agreement)
    parts = [p for p in path.split("/") if p]
    if parts == ["self"]:
        return handle_self(request, caller, ctx)
    resource = RESOURCES.get(parts[0]) if parts else None
    if resource is None or len(parts) > 2:
        raise ApiError(404, "Resource not found.", developer_hint=codes.NOT_FOUND_HINT)
    if not (caller.roles & resource.roles):
        raise _forbidden(
            f"/{resource.path} needs one of the roles {', '.join(sorted(resource.roles))}; "
            f"the grant has {', '.join(sorted(caller.roles)) or 'none'}."
        )
    if len(parts) == 1:
        return handle_collection(request, resource, ctx)
    return handle_item(request, resource, parts[1], ctx)


NUMBERING_RETRIES = 5


def _run(request: HttpRequest, path: str, caller: Caller, surface: Surface) -> Outcome:
    """Runs the request; a create that drew the same new number as a concurrent one is run
    again, as e-conomic's own numbering never collides."""
    if request.method == "GET":  # reads need no transaction (one commit less per page)
        return surface.route(request, path, caller)
    for attempt in range(NUMBERING_RETRIES):
        try:
            with transaction.atomic():
                return surface.route(request, path, caller)
        except IntegrityError:
            if attempt == NUMBERING_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


# The pipeline -------------------------------------------------------------------------------


def classic_error(exc: ApiError, request: HttpRequest) -> Outcome:
    """An ApiError in the classic API's error body (§9.1)."""
    return Outcome(
        exc.status,
        exc.body(),
        headers=dict(exc.headers),
        error_code=exc.error_code,
        note=exc.message,
    )


@dataclass(frozen=True)
class Surface:
    """One API surface behind the shared pipeline (tokens, token bucket, faults, idempotency,
    log): how it routes a request and how it words an error."""

    route: Callable[[HttpRequest, str, Caller], Outcome]
    error: Callable[[ApiError, HttpRequest], Outcome]
    error_content_type: str = JSON_TYPE


CLASSIC = Surface(route=route, error=classic_error)


def handle(request: HttpRequest, path: str, surface: Surface = CLASSIC) -> Outcome:
    """Answers one request; never raises."""
    started = time.monotonic()
    knobs = knobs_get()
    if knobs.latency_ms:
        time.sleep(knobs.latency_ms / 1000)
    entry = RequestLog(method=request.method[:10], http_status=500)
    secrets_seen = [  # the public demo token is no secret (and would mask every "demo")
        value
        for value in (
            request.headers.get("X-AppSecretToken", ""),
            request.headers.get("X-AgreementGrantToken", ""),
        )
        if value != DEMO_TOKEN
    ]
    rate = None
    now = timezone.now()
    try:
        try:
            caller = authenticate(request, knobs)
        except ApiError:
            rate = rate_spend(bucket="unauthenticated", knobs=knobs, now=now)
            raise
        entry.agreement_number = caller.agreement.agreement_number
        bucket = f"agreement:{caller.agreement.agreement_number}" + (":demo" if caller.demo else "")
        rate = rate_spend(bucket=bucket, knobs=knobs, now=now)
        if rate.exhausted:
            raise _too_many(rate.retry_after(now), "The token bucket is empty.")
        injected = next_fault(knobs=knobs)
        if injected == "429":
            raise _too_many(1, "Injected by the e-conomic sandbox.")
        if injected == "http500":
            entry.note = "HTTP 500 (injected)"
            raise ApiError(500, "An internal error occurred. (injected by the e-conomic sandbox)")
        if injected == "drop":
            outcome = Outcome(500, None, drop=True, note="connection dropped (injected)")
        else:
            if caller.demo and request.method != "GET":
                raise _forbidden("The demo agreement is read-only: only GET is allowed.")
            outcome = _idempotent(request, path, caller, surface)
            if injected == "hang":
                outcome.delay = knobs.hang_seconds
                outcome.note = "answer held back (injected)"
    except ApiError as exc:
        outcome = surface.error(exc, request)
        outcome.note = entry.note or exc.message
    except SchemaViolation as exc:  # a sandbox bug: loud in the log, a 500 for the client
        logger.error("e-conomic sandbox response failed its schema: %s", exc)
        outcome = surface.error(
            ApiError(500, f"Sandbox bug: the response does not match its schema. {exc}"), request
        )
        outcome.note = f"schema violation: {exc}"[:300]
    except Exception as exc:  # a bug in the sandbox still answers in e-conomic's format
        logger.exception("e-conomic sandbox failed on %s %s", request.method, path)
        outcome = surface.error(ApiError(500, "An internal error occurred."), request)
        outcome.note = f"{type(exc).__name__}: {exc}"[:300]
    if rate is not None:
        outcome.headers["X-RateLimiting"] = rate.header()
        outcome.headers.setdefault("X-CallCost", "1")
    entry.http_status = outcome.status
    entry.error_code = outcome.error_code[:40]
    entry.note = outcome.note[:300]
    entry.path = redact(request.get_full_path(), secrets_seen)[:1000]
    entry.duration_ms = int((time.monotonic() - started) * 1000)
    entry.request_body = redact_body(_raw_body(request), secrets_seen, LOG_LIMIT)
    entry.response_body = redact_body(outcome.content(), secrets_seen, LOG_LIMIT)
    try:
        entry.save()
        if entry.pk % LOG_PRUNE_EVERY == 0:
            RequestLog.objects.filter(pk__lte=entry.pk - LOG_KEEP).delete()
    except Exception:  # the log must never turn an answer into an error
        logger.exception("e-conomic sandbox could not log a request")
    return outcome


def _too_many(retry_after: int, hint: str) -> ApiError:
    return ApiError(
        429,
        "Too many requests: you are over your quota. Check the X-RateLimiting header.",
        developer_hint=hint,
        headers={"Retry-After": str(retry_after)},
    )


def _idempotent(request: HttpRequest, path: str, caller: Caller, surface: Surface) -> Outcome:
    """Runs the request, or replays the stored answer to an earlier one with the same key."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or request.method not in WRITE_METHODS:
        return _run(request, path, caller, surface)
    horizon = timezone.now() - dt.timedelta(seconds=IDEMPOTENCY_SECONDS)
    IdempotencyRecord.objects.filter(created_at__lt=horizon).delete()
    stored = IdempotencyRecord.objects.filter(agreement=caller.agreement, key=key[:200]).first()
    if stored is not None:
        headers = {"X-ResultFromCache": "true"}
        if stored.location:
            headers["Location"] = stored.location
        body = json.loads(stored.body) if stored.body else None
        return Outcome(
            stored.status,
            body,
            headers=headers,
            note="replayed (Idempotency-Key)",
            content_type=surface.error_content_type if stored.status >= 400 else JSON_TYPE,
        )
    try:
        outcome = _run(request, path, caller, surface)
    except ApiError as exc:
        outcome = surface.error(exc, request)
    if outcome.status < 500:
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(
                    agreement=caller.agreement,
                    key=key[:200],
                    method=request.method,
                    path=request.path[:500],
                    status=outcome.status,
                    body=outcome.content().decode("utf-8"),
                    location=outcome.headers.get("Location", ""),
                )
        except IntegrityError:
            pass  # a concurrent request with the same key stored its answer first
    return outcome


def drop_connection(request: HttpRequest) -> bool:
    """Closes the client's TCP connection under runserver/live_server; False if impossible."""
    stream = request.META.get("wsgi.input")
    for _ in range(5):
        if stream is None or isinstance(stream, socket.socket):
            break
        raw = getattr(stream, "raw", None)
        if raw is not None and isinstance(getattr(raw, "_sock", None), socket.socket):
            stream = raw._sock
            break
        # Django's LimitedStream keeps only the bound read method of what it wraps.
        read = getattr(stream, "_read", None)
        stream = getattr(read, "__self__", None) or getattr(stream, "stream", None)
    if not isinstance(stream, socket.socket):
        return False
    try:
        stream.shutdown(socket.SHUT_RDWR)
    except OSError:
        return False
    return True
