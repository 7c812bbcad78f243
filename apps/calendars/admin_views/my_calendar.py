"""My calendar: a person connects their Outlook calendar and keeps its settings; and the
week's "Add as hours" / "Dismiss" buttons. Every view reads and writes the person's own rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from apps.calendars import selectors, suggestions
from apps.calendars.forms import RuleForm, SuggestionForm, SyncFromForm
from apps.calendars.models import CalendarAccount
from apps.calendars.selectors import health_words
from apps.core.exceptions import ApplicationError

PERMISSION = "timesheets.add_timeentry"


def _services() -> Any:
    """The engine's services (helper B's apps/calendars/services.py)."""
    from apps.calendars import services

    return services


def _call(name: str, **kwargs: Any) -> Any:
    service = getattr(_services(), name, None)
    if service is None:  # the engine does not offer it (yet)
        raise ApplicationError(_("This cannot be done yet."))
    return service(**kwargs)


class MyCalendarView:
    """GET shows the person's own calendar settings; POST runs one action and comes back."""

    template = "admin/calendars/my_calendar.html"

    def __init__(self, model_admin: ModelAdmin) -> None:
        self.model_admin = model_admin

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.has_perm(PERMISSION):
            raise PermissionDenied
        connection = selectors.calendar_connection()
        account = selectors.account_of(user)
        if request.method == "POST":
            if account is None:
                messages.error(request, _("Your calendar is not connected."))
                return self._back()
            return self.post(request, account)
        return self.render(request, connection=connection, account=account)

    def _back(self, anchor: str = "") -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:calendars_my_calendar") + anchor)

    # --- writes ---------------------------------------------------------------------------

    def post(self, request: HttpRequest, account: CalendarAccount) -> HttpResponse:
        user, action = request.user, request.POST.get("action", "")
        anchor = ""
        try:
            if action in ("write_on", "write_off"):
                _call(
                    "account_set_write_hours", actor=user, account=account, on=action == "write_on"
                )
                messages.success(
                    request,
                    _("Your hours are saved in your calendar from now on.")
                    if action == "write_on"
                    else _("Your hours are no longer saved in your calendar."),
                )
            elif action == "sync_from":
                form = SyncFromForm(request.POST)
                if not form.is_valid():
                    messages.error(request, _("Give a valid date."))
                    return self._back()
                _call(
                    "account_set_sync_from",
                    actor=user,
                    account=account,
                    day=form.cleaned_data["day"],
                )
                messages.success(
                    request,
                    _("Your calendar is read again from %(day)s.")
                    % {"day": date_format(form.cleaned_data["day"], "SHORT_DATE_FORMAT")},
                )
            elif action == "full_sync":
                _call("account_full_sync", actor=user, account=account)
                messages.success(
                    request,
                    _("A full synchronisation has started; it runs in the background."),
                )
            elif action == "refusal_dismiss":
                suggestions.refusal_dismiss(actor=user, refusal_pk=_pk(request, "refusal"))
                anchor = "#refused"
            elif action == "rule_add":
                form = RuleForm(request.POST, user=user)
                if not form.is_valid():
                    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
                    messages.error(
                        request, _("The rule was not saved: %(errors)s") % {"errors": errors}
                    )
                    return self._back("#rules")
                suggestions.rule_save(actor=user, **form.cleaned_data)
                messages.success(request, _("The rule is saved."))
                anchor = "#rules"
            elif action == "rule_delete":
                suggestions.rule_delete(actor=user, rule_pk=_pk(request, "rule"))
                messages.success(request, _("The rule is deleted."))
                anchor = "#rules"
            elif action == "disconnect":
                if request.POST.get("post") != "yes":  # first ask (the admin's confirmation)
                    return self.confirm_disconnect(request, account)
                _call("account_disconnect", actor=user, account=account)
                messages.success(
                    request, _("Your calendar is disconnected. Your hours stay as they are.")
                )
            else:
                messages.error(request, _("Unknown action."))
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return self._back(anchor)

    def confirm_disconnect(self, request: HttpRequest, account: CalendarAccount) -> HttpResponse:
        """ "Disconnect my calendar" asks first: what stops, and what stays."""
        context = {
            **self.model_admin.admin_site.each_context(request),
            "title": _("Disconnect my calendar?"),
            "subtitle": None,
            "account": account,
            "back_url": reverse("admin:calendars_my_calendar"),
        }
        request.current_app = self.model_admin.admin_site.name
        return TemplateResponse(request, "admin/calendars/disconnect_confirmation.html", context)

    # --- the page -------------------------------------------------------------------------

    def render(
        self, request: HttpRequest, *, connection: Any, account: CalendarAccount | None
    ) -> HttpResponse:
        user = request.user
        context: dict[str, Any] = {
            **self.model_admin.admin_site.each_context(request),
            "title": _("My calendar"),
            "subtitle": None,
            # No model in the trail: the page is the person's own, not the office's list.
            "connection": connection,
            "account": account,
            "allows_write": selectors.office_allows_write(connection),
            "next_url": reverse("admin:calendars_my_calendar"),
            "integrations_url": _integrations_url(user),
        }
        if connection is not None:
            context["start_url"] = reverse("integrations_oauth_start", args=[connection.system])
        Health = CalendarAccount.Health
        # Disconnected: the row stays (with the person's rules) but the page offers to connect.
        context["connected"] = connected = (
            account is not None and account.health != Health.DISCONNECTED
        )
        if connected:
            context.update(
                {
                    "health_words": health_words(account),
                    "needs_reconnect": account.health == Health.RECONNECT,
                    "health_bad": account.health != Health.OK,
                    "sync_form": SyncFromForm(
                        initial={"day": account.sync_from or _last_synced_day(account, user)}
                    ),
                    "refusals": list(selectors.open_refusals(user=user)),
                    "flagged": list(selectors.flagged_links(user=user)),
                    "rules": list(selectors.rules_of(user=user)),
                    "rule_form": RuleForm(user=user),
                    "categories": selectors.categories_seen(user=user),
                }
            )
        request.current_app = self.model_admin.admin_site.name
        return TemplateResponse(request, self.template, context)


def _last_synced_day(account: CalendarAccount, user: Any) -> Any:
    from django.utils import timezone

    if account.last_synced_at is None:
        return None
    return timezone.localtime(account.last_synced_at, user.tzinfo).date()


def _integrations_url(user: Any) -> str:
    if not user.has_perm("integrations.add_connection"):
        return ""
    try:
        return reverse("admin:integrations_connection_connect")
    except Exception:  # noqa: BLE001 - the integrations screens may not be installed
        return ""


def _pk(request: HttpRequest, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        raise ApplicationError(_("Nothing was chosen.")) from None


def _week_back(request: HttpRequest) -> HttpResponseRedirect:
    back = request.POST.get("next", "")
    if not back or not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("admin:timesheets_timeentry_week")
    return HttpResponseRedirect(back)


def confirm_view(request: HttpRequest) -> HttpResponse:
    """ "Add as hours": the suggestion becomes a draft entry (suggestions.confirm)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = request.user
    if not user.has_perm(PERMISSION):
        raise PermissionDenied
    form = SuggestionForm(request.POST, user=user)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, _("Nothing was registered: %(errors)s") % {"errors": errors})
        return _week_back(request)
    try:
        entry = suggestions.confirm(
            actor=user, user=user, **suggestions.suggestion_kwargs(form.cleaned_data)
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        from apps.core.formatting import format_hours

        messages.success(
            request,
            _("%(hours)s registered on %(project)s.")
            % {"hours": format_hours(entry.hours), "project": entry.project},
        )
    return _week_back(request)


def dismiss_view(request: HttpRequest) -> HttpResponse:
    """ "Dismiss": the suggestion is hidden (suggestions.dismiss)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    user = request.user
    if not user.has_perm(PERMISSION):
        raise PermissionDenied
    try:
        suggestions.dismiss(actor=user, event_pk=_pk(request, "event"))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("The suggestion is dismissed."))
    return _week_back(request)
