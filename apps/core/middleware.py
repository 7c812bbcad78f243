"""Bounds on what an admin list or search may be asked for, on every admin screen.

A search becomes one `LIKE` per word and field, and SQLite refuses a pattern longer than
50,000 bytes ("LIKE or GLOB pattern too complex", a 500); a filter value is a query parameter
too. No search or filter an office types is longer than a few dozen characters, so anything
past `MAX_LIST_PARAMETER_LENGTH` is dropped before a view sees it: a change list shows the
list without it and says why, the autocomplete answers 400. A date at the ends of the
calendar is dropped the same way (the admin's date filters would overflow converting it to
UTC). A middleware rather than a
ModelAdmin base, so that every registered admin is covered, whatever it derives from.
"""

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils.translation import gettext as _

MAX_LIST_PARAMETER_LENGTH = 200
# A date filter at the ends of the calendar (year 1) cannot be moved into UTC: the admin's
# own date filters would fail with an OverflowError. Years outside these are no office's.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_DATE = re.compile(r"^\s*(\d{1,6})-\d{1,2}-\d{1,2}")


def _out_of_range(name: str, value: str) -> bool:
    if len(name) > MAX_LIST_PARAMETER_LENGTH or len(value) > MAX_LIST_PARAMETER_LENGTH:
        return True
    if name.endswith("__year"):
        year = value.strip()
        return year.isdigit() and not FIRST_YEAR <= int(year) <= LAST_YEAR
    match = _DATE.match(value)
    return bool(match) and not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR


# The searches of the admin's own screens (the sync center's lists, its partner search) too.
SEARCH_NAMES = (SEARCH_VAR, "term")


def _admin_screen(request: HttpRequest) -> str | None:
    """ "list" for a change list or the autocomplete, "other" for another admin screen."""
    match = request.resolver_match
    if match is None or "admin" not in match.namespaces:
        return None
    name = match.url_name or ""
    return "list" if name.endswith("_changelist") or name == "autocomplete" else "other"


def _refused(request: HttpRequest, screen: str) -> list[str]:
    refused = []
    for name, values in request.GET.lists():
        if screen == "list":
            bad = any(_out_of_range(name, value) for value in values)
        else:
            bad = name in SEARCH_NAMES and any(
                len(value) > MAX_LIST_PARAMETER_LENGTH for value in values
            )
        if bad:
            refused.append(name)
    return refused


def _label(view_func: Any, name: str) -> str:
    """The filter's field as the list shows it ("Poststed"), else the parameter's name."""
    if name in SEARCH_NAMES:
        return str(_("search"))
    model = getattr(getattr(view_func, "model_admin", None), "model", None)
    label = name[:40]
    for part in name.split("__"):
        try:
            field = model._meta.get_field(part)
        except (AttributeError, FieldDoesNotExist):
            break
        label = str(getattr(field, "verbose_name", part))
        model = field.related_model
    return label


def too_long_message(names: list[str]) -> str:
    if names == [SEARCH_VAR] or names == ["term"]:
        return _("The search is too long: at most %(max)d characters.") % {
            "max": MAX_LIST_PARAMETER_LENGTH
        }
    return _(
        "These filters were left out: %(names)s. A filter has at most %(max)d characters, "
        "and its dates are from %(first)d to %(last)d."
    ) % {
        "names": ", ".join(names),
        "max": MAX_LIST_PARAMETER_LENGTH,
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
    }


class AdminListLimitsMiddleware:
    """Refuses admin list and autocomplete requests with an over-long search or filter."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        screen = _admin_screen(request)
        if screen is None:
            return None
        too_long = _refused(request, screen)
        if not too_long:
            return None
        message = too_long_message(
            too_long
            if set(too_long) <= set(SEARCH_NAMES)
            else [_label(view_func, name) for name in too_long]
        )
        if request.resolver_match and request.resolver_match.url_name == "autocomplete":
            return JsonResponse({"error": message}, status=400)
        if request.method != "GET":
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        messages.error(request, message)
        kept = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in too_long
            for value in values
        ]
        return HttpResponseRedirect(request.path + (f"?{urlencode(kept)}" if kept else ""))
