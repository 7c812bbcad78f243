"""Knobs, seeded fault injection, latency and the request log of the Unimicro sandbox's API.

`serve(request, handler)` wraps every `/sandbox/unimicro/api/…` request (not the identity
server's): added latency, then a fault drawn from the seeded RNG (http503 with `Retry-After`,
http500, hang — carried out, answered late — or reset — the connection closed before anything
is done), then the handler, then one request-log line with tokens redacted.
"""

from __future__ import annotations

import json
import random
import socket
import time
from collections.abc import Callable

from django.conf import settings
from django.db.models import F
from django.http import HttpRequest, HttpResponse

from apps.sandbox.knobs import knobs_row

from .models import Knobs, RequestLogEntry
from .redaction import bearer, redact, redact_body

KNOB_DEFAULTS = {
    "LATENCY_MS": 0,
    "FAULT_RATE": 0.0,
    "FAULT_KINDS": ["http503"],
    "FAULT_SEED": 11,
    "HANG_SECONDS": 35.0,
    "WEBHOOK_DELIVERY": "thread",
}
FAULT_KINDS = ("http503", "http500", "hang", "reset")
LOG_LIMIT = 20_000  # characters kept of each body
LOG_KEEP = 10_000  # entries kept; older ones are pruned now and then
LOG_PRUNE_EVERY = 500
JSON_TYPE = "application/json; charset=utf-8"


def configured() -> dict:
    return {**KNOB_DEFAULTS, **(getattr(settings, "SANDBOX_UNIMICRO", {}) or {})}


def knobs_defaults() -> dict:
    conf = configured()
    kinds = set(conf["FAULT_KINDS"])
    return {
        "latency_ms": conf["LATENCY_MS"],
        "fault_rate": conf["FAULT_RATE"],
        "fault_http503": "http503" in kinds,
        "fault_http500": "http500" in kinds,
        "fault_hang": "hang" in kinds,
        "fault_reset": "reset" in kinds,
        "hang_seconds": conf["HANG_SECONDS"],
        "fault_seed": conf["FAULT_SEED"],
    }


def knobs_get() -> Knobs:
    """The knobs row, created from settings.SANDBOX_UNIMICRO on first use."""
    return knobs_row(Knobs, knobs_defaults)


def webhook_delivery() -> str:
    """thread | inline | off: the knob when set, else settings.SANDBOX_UNIMICRO."""
    chosen = knobs_get().webhook_delivery or configured()["WEBHOOK_DELIVERY"]
    return chosen if chosen in ("thread", "inline", "off") else "thread"


def fault_decision(*, seed: int, sequence: int, rate: float, kinds: list[str]) -> str | None:
    """The fault for request `sequence`, or None (pure and seeded: tests can predict it)."""
    if rate <= 0 or not kinds:
        return None
    rng = random.Random(f"{seed}:{sequence}")
    if rng.random() >= rate:
        return None
    return kinds[rng.randrange(len(kinds))]


def fault_kinds(knobs: Knobs) -> list[str]:
    return [
        kind
        for kind, on in (
            ("http503", knobs.fault_http503),
            ("http500", knobs.fault_http500),
            ("hang", knobs.fault_hang),
            ("reset", knobs.fault_reset),
        )
        if on
    ]


def next_fault(*, knobs: Knobs) -> str | None:
    """Advances the request sequence and returns the injected fault for this request."""
    if knobs.fault_rate <= 0:
        return None
    Knobs.objects.filter(pk=knobs.pk).update(sequence=F("sequence") + 1)
    sequence = Knobs.objects.filter(pk=knobs.pk).values_list("sequence", flat=True)[0]
    return fault_decision(
        seed=knobs.fault_seed, sequence=sequence, rate=knobs.fault_rate, kinds=fault_kinds(knobs)
    )


def json_response(status: int, body: object, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False, default=str), status=status, content_type=JSON_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def drop_connection(request: HttpRequest) -> bool:
    """Closes the client's TCP connection under runserver/live_server; False if impossible."""
    stream = client_socket(request)
    if stream is None:
        return False
    try:
        stream.shutdown(socket.SHUT_RDWR)
    except OSError:
        return False
    return True


def client_socket(request: HttpRequest) -> socket.socket | None:
    """The client's TCP socket under runserver/live_server, or None when out of reach."""
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
    return stream if isinstance(stream, socket.socket) else None


def serve(request: HttpRequest, handler: Callable[[], HttpResponse]) -> HttpResponse:
    """Runs `handler` for an API request under the knobs and logs the exchange."""
    started = time.monotonic()
    knobs = knobs_get()
    if knobs.latency_ms:
        time.sleep(knobs.latency_ms / 1000)
    fault = next_fault(knobs=knobs)
    if fault == "http503":
        response = json_response(
            503,
            {"Message": "The service is temporarily unavailable. Please try again later."},
            {"Retry-After": str(knobs.retry_after_seconds)},
        )
    elif fault == "http500":
        response = json_response(500, {"Message": "An error has occurred."})
    elif fault == "reset" and client_socket(request) is not None:
        # Logged before the client is cut off, held-back answers below before the wait: once
        # the client has moved on, this thread does no more database work (under live_server
        # on SQLite it shares the test's one database connection).
        response = HttpResponse(b"", status=500)
        _log(request, response, fault, started)
        drop_connection(request)
        return response
    else:
        if fault == "reset":  # not under runserver/live_server: the socket is out of reach
            fault = None
        response = handler()
        if fault == "hang":
            _log(request, response, fault, started)
            time.sleep(knobs.hang_seconds)
            return response
    _log(request, response, fault or "", started)
    return response


def _log(request: HttpRequest, response: HttpResponse, fault: str, started: float) -> None:
    secrets = [bearer(request.headers.get("Authorization", ""))]
    try:
        request_body = request.body
    except Exception:  # noqa: BLE001 - too big or already streamed: log without it
        request_body = b""
    content = getattr(response, "content", b"") if not response.streaming else b""
    entry = RequestLogEntry.objects.create(
        method=request.method or "",
        path=redact(request.path, secrets)[:1000],
        query=redact(request.META.get("QUERY_STRING", ""), secrets)[:2000],
        status=response.status_code,
        duration_ms=int((time.monotonic() - started) * 1000),
        company_key=(request.headers.get("CompanyKey", "") or "")[:64],
        fault=fault,
        request_body=redact_body(request_body, secrets, LOG_LIMIT),
        response_body=redact_body(content, secrets, LOG_LIMIT),
    )
    if entry.pk % LOG_PRUNE_EVERY == 0:
        cutoff = entry.pk - LOG_KEEP
        if cutoff > 0:
            RequestLogEntry.objects.filter(pk__lte=cutoff).delete()
