"""Login protection: who is trying to log in, and from where (django-axes and every rate limit)."""

from typing import Any

from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework.throttling import AnonRateThrottle


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The login name an attempt is counted against, however the login path names it.

    The admin form sends ``username``, the API token endpoint ``email``, and both are the
    e-mail address, matched case-insensitively: ``Kari@x.no`` and ``kari@x.no`` share a counter.
    """
    value = None
    for key in ("username", "email"):
        if credentials and credentials.get(key):
            value = credentials[key]
            break
    if value is None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = (data.get("username") or data.get("email")) if hasattr(data, "get") else None
    return str(value or "").strip().lower()


def client_ip(request: HttpRequest) -> str | None:
    """The address of the person logging in.

    Without a proxy (``TIDSBRO_TRUSTED_PROXY_COUNT=0``) it is the socket's address, and a
    client-sent ``X-Forwarded-For`` is ignored: anyone can write that header. Behind N trusted
    proxies, each appends the address it saw to ``X-Forwarded-For``, so the client is the N-th
    entry from the right; entries left of it were written by the client and are not trusted.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = getattr(settings, "TIDSBRO_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < count:
        return remote  # did not come through every proxy: trust only the socket
    return forwarded[-count]


class ClientAddressThrottle(AnonRateThrottle):
    """DRF's per-address rate limit, counting per `client_ip` (the lockout's proxy rule).

    DRF's own `get_ident` believes the whole client-written ``X-Forwarded-For`` unless
    ``NUM_PROXIES`` is set, so a caller could start a fresh count with every request.
    Every throttle in Tidsbro derives from this class (tests/security/test_rate_limit.py).
    """

    # Counted where every process sees it (settings.CACHES["ratelimit"]), not per process.
    cache = caches["ratelimit"]

    def get_ident(self, request: Any) -> str:
        return client_ip(request) or ""


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page a locked-out login gets (429), saying for how long, in the user's language."""
    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0
    context = {"failure_limit": get_failure_limit(request, credentials), "minutes": minutes}
    return render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )


def lockout_message(request: HttpRequest) -> str:
    """The same in one sentence, for the API."""
    cool_off = get_cool_off(request)
    if not cool_off:
        return str(settings.AXES_PERMALOCK_MESSAGE)
    minutes = max(1, round(cool_off.total_seconds() / 60))
    return ngettext(
        "Too many failed logins. Try again in %(minutes)d minute.",
        "Too many failed logins. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
