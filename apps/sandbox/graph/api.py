"""Graph's calendar under /sandbox/graph/v1.0/ (graph.microsoft.com/v1.0/…), per mailbox: the
access token's user.

Every request: Bearer token (401 InvalidAuthenticationToken when missing, unknown or expired),
one of the mailbox's concurrency slots (the 5th concurrent request: 429 MailboxConcurrency),
the added latency, the seeded fault (429 or 503 with Retry-After), then the route; logged with
secrets masked.

Paths (`me` or `users/{id | userPrincipalName}` of the token's own user):
`GET me`, `GET me/calendarView/delta`, `GET me/calendarView`, `GET|POST me/events`,
`GET|PATCH|DELETE me/events/{id}`, `GET|POST subscriptions`, `GET|PATCH|DELETE subscriptions/{id}`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from . import delta, notifications
from .errors import GraphError, error_body
from .events import (
    View,
    event_create,
    event_delete,
    event_update,
    find,
    instance_of,
    instances,
    overlapping,
    render,
    render_master,
)
from .ids import parse
from .journal import bearer, log_request
from .models import Event, Subscription, Token
from .runtime import OverConcurrency, knobs_get, mailbox_slot, next_fault, public_base, public_url
from .timezones import zone
from .tokens import READ_SCOPES, WRITE_SCOPES, access_check

logger = logging.getLogger(__name__)

AUTH_MESSAGES = {
    "missing": "Access token is empty.",
    "invalid": "IDX14100: JWT is not well formed, there are no dots (.).",
    "expired": "Lifetime validation failed, the token is expired.",
}


def parse_prefer(request: HttpRequest) -> dict[str, str]:
    """`Prefer` preferences by lower-cased name (several in one header, or repeated headers)."""
    raw = request.headers.get("Prefer", "")
    found: dict[str, str] = {}
    part, quoted, parts = "", False, []
    for char in raw:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(part)
            part = ""
        else:
            part += char
    parts.append(part)
    for item in parts:
        name, _sep, value = item.strip().partition("=")
        if name:
            found[name.strip().lower()] = value.strip().strip('"')
    return found


def _base(request: HttpRequest) -> str:
    return public_base(request)


def _view(request: HttpRequest, prefer: dict[str, str]) -> tuple[View, list[str]]:
    applied = []
    immutable = prefer.get("idtype", "").lower() == "immutableid"
    if immutable:
        applied.append('IdType="ImmutableId"')
    zone_name = "UTC"
    wanted = prefer.get("outlook.timezone", "")
    if wanted and zone(wanted) is not None:
        zone_name = wanted
        applied.append(f'outlook.timezone="{wanted}"')
    return View(immutable=immutable, zone_name=zone_name, base_url=_base(request)), applied


def _json(data: dict, status: int = 200, applied: list[str] | None = None) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = (
        "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
    )
    if applied:
        response["Preference-Applied"] = ", ".join(applied)
    return response


def _body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") from None
    if not isinstance(data, dict):
        raise GraphError(400, "BadRequest", "The request body must be a JSON object.")
    return data


def _need(token: Token, scopes: set[str]) -> None:
    if not scopes & set(token.scopes):
        raise GraphError(
            403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
        )


@csrf_exempt
@never_cache
def graph_view(request: HttpRequest, path: str) -> HttpResponse:
    """Answers one Graph request; never raises."""
    started = time.monotonic()
    knobs = knobs_get()
    mailbox_name = ""
    error_code = ""
    note = ""
    request_id = str(uuid.uuid4())
    try:
        try:
            token = access_check(bearer(request))
        except LookupError as exc:
            raise GraphError(
                401,
                "InvalidAuthenticationToken",
                AUTH_MESSAGES[str(exc.args[0])],
                headers={
                    "WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token"'
                },
            ) from None
        mailbox_name = token.mailbox.user_principal_name
        try:
            with mailbox_slot(token.mailbox_id, knobs.concurrency_limit):
                if knobs.latency_ms:
                    time.sleep(knobs.latency_ms / 1000)
                fault = next_fault(knobs)
                if fault:
                    note = f"HTTP {fault} (injected)"
                    wait = {"Retry-After": str(knobs.retry_after_seconds)}
                    if fault == "429":
                        raise GraphError(
                            429,
                            "TooManyRequests",
                            "The server is busy. Please try again later.",
                            headers=wait,
                        )
                    raise GraphError(
                        503,
                        "serviceNotAvailable",
                        "The service is temporarily unavailable. Please try again later.",
                        headers=wait,
                    )
                response = route(request, path, token)
        except OverConcurrency:
            note = "over the mailbox's concurrency limit"
            raise GraphError(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
                headers={"Retry-After": str(knobs.retry_after_seconds)},
            ) from None
    except GraphError as exc:
        response = _json(error_body(exc.code, exc.message, request_id), exc.status)
        for name, value in exc.headers.items():
            response[name] = value
        error_code = exc.code
        note = note or exc.message
    except Exception as exc:  # a sandbox bug still answers in Graph's format
        logger.exception("Microsoft 365 sandbox failed on %s %s", request.method, path)
        response = _json(
            error_body("generalException", "An unexpected error occurred.", request_id), 500
        )
        error_code = "generalException"
        note = f"{type(exc).__name__}: {exc}"
    response["request-id"] = request_id
    response["client-request-id"] = request.headers.get("client-request-id", request_id)
    log_request(
        surface="graph",
        request=request,
        response=response,
        started=started,
        mailbox=mailbox_name,
        error_code=error_code,
        note=note,
        secrets=_client_states(request),
    )
    return response


def _client_states(request: HttpRequest) -> list[str]:
    try:
        data = json.loads(request.body or b"{}")
        return [str(data.get("clientState") or "")] if isinstance(data, dict) else []
    except Exception:
        return []


def route(request: HttpRequest, path: str, token: Token) -> HttpResponse:
    parts = [p for p in path.strip("/").split("/") if p]
    lowered = [p.lower() for p in parts]
    method = request.method
    mailbox = token.mailbox
    if lowered[:1] == ["subscriptions"]:
        return _subscriptions(request, parts[1:], token)
    if lowered[:1] == ["users"] and len(parts) >= 2:
        who = parts[1].lower()
        if who not in (mailbox.user_principal_name.lower(), str(mailbox.object_id)):
            raise GraphError(
                403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
            )
        parts, lowered = ["me", *parts[2:]], ["me", *lowered[2:]]
    if lowered[:1] != ["me"]:
        raise _no_route(request)
    rest, rest_lower = parts[1:], lowered[1:]
    if rest_lower[:1] == ["calendar"] and rest_lower[1:2] in (["events"], ["calendarview"]):
        rest, rest_lower = rest[1:], rest_lower[1:]
    if not rest and method == "GET":
        _need(token, {"User.Read"} | READ_SCOPES)
        return _json(
            {
                "@odata.context": f"{_base(request)}/v1.0/$metadata#users/$entity",
                "id": str(mailbox.object_id),
                "displayName": mailbox.display_name,
                "mail": mailbox.user_principal_name,
                "userPrincipalName": mailbox.user_principal_name,
            }
        )
    if rest_lower == ["calendarview", "delta"] and method == "GET":
        _need(token, READ_SCOPES)
        return _delta(request, token)
    if rest_lower == ["calendarview"] and method == "GET":
        _need(token, READ_SCOPES)
        return _calendar_view(request, token)
    if rest_lower[:1] == ["events"]:
        return _events(request, rest[1:], token)
    raise _no_route(request)


def _no_route(request: HttpRequest) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment in '{request.path}'.")


def _delta(request: HttpRequest, token: Token) -> HttpResponse:
    mailbox = token.mailbox
    knobs = knobs_get()
    prefer = parse_prefer(request)
    view, applied = _view(request, prefer)
    delta_url = public_url(request)
    try:
        cursor = delta.start_cursor(mailbox, request.GET.dict())
    except GraphError as exc:
        if "Location" in exc.headers:
            exc.headers["Location"] = exc.headers["Location"].replace("{delta_url}", delta_url)
        raise
    size = knobs.default_page_size
    wanted = prefer.get("odata.maxpagesize", "")
    if wanted.isdigit() and int(wanted) > 0:
        size = min(int(wanted), knobs.max_page_size)
        applied.append(f"odata.maxpagesize={size}")
    body = delta.page(
        mailbox=mailbox, cursor=cursor, view=view, size=size, knobs=knobs, delta_url=delta_url
    )
    return _json(body, applied=applied)


def _window(request: HttpRequest):
    query = request.GET.dict()
    if not query.get("startDateTime") or not query.get("endDateTime"):
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    return delta._bound(query["startDateTime"], "startDateTime"), delta._bound(
        query["endDateTime"], "endDateTime"
    )


def _paged(request: HttpRequest, items: list, view: View, applied: list[str]) -> HttpResponse:
    top = request.GET.get("$top", "")
    skip = request.GET.get("$skip", "")
    size = min(int(top), 1000) if top.isdigit() and int(top) > 0 else 10
    offset = int(skip) if skip.isdigit() else 0
    body: dict = {
        "@odata.context": f"{view.base_url}/v1.0/$metadata#Collection(event)",
        "value": items[offset : offset + size],
    }
    if offset + size < len(items):
        query = request.GET.copy()
        query["$top"] = str(size)
        query["$skip"] = str(offset + size)
        body["@odata.nextLink"] = public_url(request) + "?" + query.urlencode(safe="$")
    return _json(body, applied=applied)


def _calendar_view(request: HttpRequest, token: Token) -> HttpResponse:
    view, applied = _view(request, parse_prefer(request))
    lo, hi = _window(request)
    found = []
    for event in (
        overlapping(token.mailbox, lo, hi).prefetch_related("exceptions").select_related("mailbox")
    ):
        found.extend(instances(event, lo, hi))
    found.sort(key=lambda i: (i.start, i.key))
    return _paged(request, [render(i, view) for i in found], view, applied)


def _events(request: HttpRequest, rest: list[str], token: Token) -> HttpResponse:
    mailbox = token.mailbox
    method = request.method
    view, applied = _view(request, parse_prefer(request))
    if not rest:
        if method == "GET":
            _need(token, READ_SCOPES)
            events = (
                Event.objects.filter(
                    mailbox=mailbox,
                    deleted_at__isnull=True,
                    type__in=[Event.Type.SINGLE, Event.Type.MASTER],
                )
                .select_related("mailbox")
                .order_by("start", "pk")
            )
            return _paged(request, [render_master(e, view) for e in events], view, applied)
        if method == "POST":
            _need(token, WRITE_SCOPES)
            written = event_create(mailbox=mailbox, data=_body(request))
            written.event.mailbox = mailbox
            body = render_master(written.event, view)
            response = _json(body, 201, applied)
            response["Location"] = f"{view.base_url}/v1.0/me/events/{body['id']}"
            return response
        raise _method_not_allowed()
    if len(rest) != 1:
        raise _no_route(request)
    graph_id = rest[0]
    if method == "GET":
        _need(token, READ_SCOPES)
        event, original = find(mailbox, graph_id)
        inst = instance_of(event, original)
        body = render_master(event, view) if original is None else render(inst, view)
        return _json(body, applied=applied)
    if method == "PATCH":
        _need(token, WRITE_SCOPES)
        written, inst = event_update(mailbox=mailbox, graph_id=graph_id, data=_body(request))
        fresh = Event.objects.select_related("mailbox").get(pk=written.event.pk)
        if inst.original_start is None:
            return _json(render_master(fresh, view), applied=applied)
        return _json(render(instance_of(fresh, inst.original_start), view), applied=applied)
    if method == "DELETE":
        _need(token, WRITE_SCOPES)
        event_delete(mailbox=mailbox, graph_id=graph_id)
        return HttpResponse(status=204)
    raise _method_not_allowed()


def _method_not_allowed() -> GraphError:
    return GraphError(405, "Request_BadRequest", "The HTTP method is not allowed on this resource.")


def _subscriptions(request: HttpRequest, rest: list[str], token: Token) -> HttpResponse:
    method = request.method
    base = _base(request)
    _need(token, READ_SCOPES)
    if not rest:
        if method == "POST":
            immutable = parse_prefer(request).get("idtype", "").lower() == "immutableid"
            sub = notifications.subscription_create(
                mailbox=token.mailbox, app=token.app, data=_body(request), immutable=immutable
            )
            return _json(notifications.render_subscription(sub, base), 201)
        if method == "GET":
            subs = Subscription.objects.filter(
                app=token.app, mailbox=token.mailbox, removed_at__isnull=True
            ).select_related("app", "mailbox")
            return _json(
                {
                    "@odata.context": f"{base}/v1.0/$metadata#subscriptions",
                    "value": [notifications.render_subscription(s, base) for s in subs],
                }
            )
        raise _method_not_allowed()
    sub = notifications.subscription_find(app=token.app, mailbox=token.mailbox, value=rest[0])
    if method == "GET":
        return _json(notifications.render_subscription(sub, base))
    if method == "PATCH":
        sub = notifications.subscription_renew(subscription=sub, data=_body(request))
        return _json(notifications.render_subscription(sub, base))
    if method == "DELETE":
        notifications.subscription_delete(subscription=sub)
        return HttpResponse(status=204)
    raise _method_not_allowed()


@never_cache
def owa_view(request: HttpRequest) -> HttpResponse:
    """An event's `webLink`: the sandbox's "play Outlook" page of its mailbox (staff only)."""
    parsed = parse(request.GET.get("itemid", ""))
    if parsed is None:
        return HttpResponse(status=404)
    url = reverse("admin:sandbox_graph_mailbox_outlook", args=[parsed.mailbox_pk])
    return HttpResponseRedirect(f"{url}?item={parsed.event_pk}")
