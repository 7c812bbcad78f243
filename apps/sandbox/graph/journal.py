"""The request log: one row per request the sandbox answered, secrets masked (redaction.py)."""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, HttpResponse

from .models import RequestLog
from .redaction import redact, redact_body

logger = logging.getLogger(__name__)
LOG_LIMIT = 4000
LOG_KEEP = 5000
LOG_PRUNE_EVERY = 200


def raw_body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except Exception:  # a body read as a stream already, or too large
        return b""


def bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def log_request(
    *,
    surface: str,
    request: HttpRequest,
    response: HttpResponse,
    started: float,
    mailbox: str = "",
    error_code: str = "",
    note: str = "",
    secrets: list[str] | tuple[str, ...] = (),
) -> None:
    """Stores one request and its answer; never raises."""
    secrets = [*secrets, bearer(request)]
    try:
        content = b"" if getattr(response, "streaming", False) else response.content
        entry = RequestLog.objects.create(
            surface=surface,
            method=request.method[:10],
            path=redact(request.get_full_path(), secrets)[:2000],
            mailbox=mailbox[:200],
            http_status=response.status_code,
            error_code=error_code[:60],
            note=note[:300],
            duration_ms=int((time.monotonic() - started) * 1000),
            request_body=redact_body(raw_body(request), secrets, LOG_LIMIT),
            response_body=redact_body(content, secrets, LOG_LIMIT),
        )
        if entry.pk % LOG_PRUNE_EVERY == 0:
            RequestLog.objects.filter(pk__lte=entry.pk - LOG_KEEP).delete()
    except Exception:  # the log must never turn an answer into an error
        logger.exception("Microsoft 365 sandbox could not log a request")
