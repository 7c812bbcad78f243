"""One SOAP request from bytes to bytes: knobs, session, rate limit, operation, log."""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import Login, RequestLog
from .operations import REGISTRY, Call, handler_for, load_all
from .operations.auth import username_of
from .redaction import redact
from .runtime import (
    INJECTED_FAULT,
    NOT_AUTHENTICATED,
    RateState,
    knobs_get,
    next_fault,
    quarantine_text,
    quarantined,
    rate_count,
    session_lookup,
)
from .soap import (
    Service,
    SoapFault,
    body_element,
    deserialize_input,
    fault_envelope,
    max_request_bytes,
    operation_name,
    parse_envelope,
    serialize_output,
)

logger = logging.getLogger(__name__)

SESSION_COOKIE = "ASP.NET_SessionId"
LOG_LIMIT = 20_000  # characters kept of each body
LOG_KEEP = 10_000  # entries kept; older ones are pruned now and then
LOG_PRUNE_EVERY = 500


@dataclass
class Outcome:
    body: bytes
    status: int = 200
    session_key: str | None = None
    drop: bool = False
    rate: RateState | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/xml; charset=utf-8"
    delay: float = 0.0  # seconds the answer is held back after the work is done


# What a failing IIS or proxy answers: no SOAP envelope to explain it.
ERROR_PAGE = b"500 - Internal server error."


def handle(request: HttpRequest, service: Service) -> Outcome:
    """Answers one POSTed envelope; never raises."""
    started = time.monotonic()
    load_all()
    knobs = knobs_get()
    if knobs.latency_ms:
        time.sleep(knobs.latency_ms / 1000)
    entry = RequestLog(service=service.key, http_status=500)
    raw = b""
    rate: RateState | None = None
    outcome: Outcome
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > max_request_bytes():
            raise SoapFault("Maximum request length exceeded.", "soap:Client")
        raw = request.body
        envelope = parse_envelope(raw)
        element = body_element(envelope)
        name = operation_name(element, request.META.get("HTTP_SOAPACTION"))
        entry.operation = name[:80]
        params = deserialize_input(service, name, element)
        handler = handler_for(service.key, name)
        now = timezone.now()
        session = session_lookup(key=request.COOKIES.get(SESSION_COOKIE), knobs=knobs, now=now)
        login = session.identity.login if session else None
        if login is None and "credential" in params:
            username = username_of(params["credential"])
            login = Login.objects.filter(username__iexact=username).first() if username else None
        entry.username = login.username if login else ""
        if session:
            entry.client_name = session.identity.client.name
        rate = rate_count(login=login, knobs=knobs, now=now) if login else None
        if rate and rate.exceeded_by:
            raise SoapFault(rate.fault_text())
        if login and quarantined(knobs=knobs, now=now):
            raise SoapFault(quarantine_text(exceeded_by=1, ends=knobs.quarantine_until))
        injected = next_fault(knobs=knobs)
        if injected == "error":
            raise SoapFault(INJECTED_FAULT)
        if injected == "drop":
            entry.fault = "connection dropped (injected)"
            outcome = Outcome(body=b"", status=500, drop=True, rate=rate)
        elif injected == "http500":
            entry.fault = "HTTP 500 error page (injected)"
            outcome = Outcome(
                body=ERROR_PAGE, status=500, rate=rate, content_type="text/html; charset=utf-8"
            )
        else:
            if injected == "slow":
                time.sleep(knobs.slow_seconds)
            if injected == "expire" and session is not None:
                session.delete()  # 24SO forgot the session: the client must log in again
                session = None
            if handler.needs_session and session is None:
                raise SoapFault(NOT_AUTHENTICATED)
            call = Call(
                service=service.key,
                operation=name,
                params=params,
                knobs=knobs,
                now=now,
                session=session,
            )
            result = _run(handler, call)
            outcome = Outcome(
                body=serialize_output(service, name, result),
                session_key=call.new_session_key,
                rate=rate,
                delay=knobs.slow_seconds if injected == "hang" else 0.0,
            )
            if outcome.delay:
                entry.fault = "answer held back (injected)"
    except SoapFault as exc:
        outcome = Outcome(body=fault_envelope(exc.message, exc.code), status=500, rate=rate)
        entry.fault = exc.message
    except Exception as exc:  # a bug in the sandbox still answers like ASMX does
        logger.exception("24SO sandbox failed on %s", service.key)
        message = f"Server was unable to process request. ---> {type(exc).__name__}"
        outcome = Outcome(body=fault_envelope(message), status=500)
        entry.fault = message
    if outcome.rate is not None:
        outcome.headers["APILimitRemaining"] = str(outcome.rate.remaining)
        outcome.headers["APILimitReset"] = outcome.rate.window_end.strftime("%Y-%m-%dT%H:%M:%SZ")
    entry.http_status = outcome.status
    entry.duration_ms = int((time.monotonic() - started) * 1000)
    # Redact before truncating so a cut never leaves half a password behind.
    entry.request_body = redact(raw)[:LOG_LIMIT]
    entry.response_body = redact(outcome.body)[:LOG_LIMIT]
    try:
        entry.save()
        if entry.pk % LOG_PRUNE_EVERY == 0:
            RequestLog.objects.filter(pk__lte=entry.pk - LOG_KEEP).delete()
    except Exception:  # the log must never turn an answer into an error
        logger.exception("24SO sandbox could not log a request")
    return outcome


NUMBERING_RETRIES = 5


def _run(handler, call: Call):
    """Runs the operation in a transaction; a create that drew the same new number as a
    concurrent one (next number = highest + 1, PostgreSQL) is run again, as 24SO's own
    numbering never collides."""
    for attempt in range(NUMBERING_RETRIES):
        try:
            with transaction.atomic():
                return handler.func(call)
        except IntegrityError:
            if attempt == NUMBERING_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


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


def operations_of(service: Service) -> list[str]:
    load_all()
    return sorted(name for key, name in REGISTRY if key == service.key)
