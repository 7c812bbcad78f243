"""The receiver of a calendar's change notifications (apps/calendars/README.md §5): no login, no CSRF —
a notification counts only when it names a known subscription and brings its secret client
state (compared in constant time). Answers 202 at once; the round runs as a job. Bodies are
never logged."""

from __future__ import annotations

import hmac
import logging

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger(__name__)


def _provider(system: str):
    from apps.integrations import registry

    try:
        return registry.spec_for(system).calendar
    except LookupError:
        return None


def _receive(request: HttpRequest, system: str) -> HttpResponseBase:
    from apps.calendars import services
    from apps.calendars.models import CalendarAccount

    provider = _provider(system)
    if provider is None:
        return HttpResponse(status=404)
    try:
        answer = provider.parse_notifications(request)
    except ValueError:
        logger.info("calendar notification for %s: unreadable", system)
        return HttpResponse(status=400)
    if isinstance(answer, HttpResponseBase):
        return answer  # the validation handshake
    seen: set[tuple[str, str]] = set()
    for notice in answer:
        key = (notice.subscription_id, notice.lifecycle_event)
        if key in seen:
            continue
        seen.add(key)
        account = (
            CalendarAccount.objects.select_related("connection")
            .filter(subscription_id=notice.subscription_id, connection__system=system)
            .exclude(subscription_id="")
            .first()
        )
        if account is None:
            continue
        expected = str(account.state_doc.get("client_state") or "")
        given = str(notice.client_state or "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            logger.info("calendar %s: notification with a wrong client state ignored", account.pk)
            continue
        if notice.lifecycle_event:
            services.account_lifecycle(account=account, event=notice.lifecycle_event)
        else:
            services.request_round(account, "notification")
    return HttpResponse(status=202)


@csrf_exempt
@require_POST
def notify(request: HttpRequest, system: str) -> HttpResponseBase:
    """A change in a person's calendar: a round of it soon."""
    return _receive(request, system)


@csrf_exempt
@require_POST
def lifecycle(request: HttpRequest, system: str) -> HttpResponseBase:
    """The subscription needs care (renew, make again, or read everything again)."""
    return _receive(request, system)
