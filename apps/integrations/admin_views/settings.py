"""Settings → <system> (health, the connector's own boxes, what is connected, user mapping,
first-time setup) and Settings → General (hour transfer). Administrators only; per connection
(`?connection=<id>` or `?system=<system>`, else the first active connection).

The connector's own boxes come from `spec.settings.sections` (e.g. an integration user or
a password); the screen routes a POST with `action=<section name>` to them.

Writes go through the services (`connection_update_settings`, `connection_replace_credentials`)
and `apps.integrations.setup` (`map_user`, `unmap_user`, `first_time_setup`); every POST ends in
a message and a redirect, a refusal in a message on the page with nothing changed.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.accounts.models import User
from apps.core.admin import add_service_error
from apps.core.exceptions import ApplicationError
from apps.integrations import selectors, services, setup
from apps.integrations.admin_views.onboarding import (
    OBJECT_LABELS,
    connect_choices,
    switches_on_only,
)
from apps.integrations.connectors.base import ConnectorError
from apps.integrations.explain import explain
from apps.integrations.models import Binding, Connection, HourTransfer

CHANGE_PERMISSION = "integrations.change_connection"

HOUR_TRANSFER_HELP = {
    HourTransfer.ON_APPROVAL: _(
        "Hours are sent to %(system)s as soon as they are approved in Tidsbro."
    ),
    HourTransfer.ON_ORDER: _(
        "Hours stay in Tidsbro until an order is created from them under Orders; then they "
        "are sent with the order."
    ),
    HourTransfer.NEVER: _("Hours are never sent to %(system)s; they stay in Tidsbro only."),
}


class ConnectedForm(forms.Form):
    connected = forms.MultipleChoiceField(
        label=_("Keep in step"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    sso = forms.BooleanField(required=False)

    def __init__(self, *args: Any, connection: Connection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        spec = connection.spec
        self.fields["connected"].choices = connect_choices(spec, connection.settings or {})
        if spec.sso is not None:
            self.fields["sso"].label = _(
                "Allow colleagues to log in to Tidsbro with their %(system)s login"
            ) % {"system": connection.system_name}
        else:
            del self.fields["sso"]


class HourTransferForm(forms.Form):
    hour_transfer = forms.ChoiceField(
        label=_("Send hours to the ERP"),
        choices=HourTransfer.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose when hours are sent to the ERP.")},
    )


class HourBacklogForm(forms.Form):
    since = forms.DateField(
        label=_("Approved since"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": _("Choose the date the hours should be approved from.")},
    )


def user_mapping_rows(*, connection: Connection) -> tuple[list[dict[str, Any]], list[Binding]]:
    """Every Tidsbro user with their ERP user and a suggestion; a fixed number of queries."""
    bindings = list(
        Binding.objects.filter(connection=connection, entity="user")
        .exclude(external_id="")
        .order_by("external_id")
    )
    by_user = {b.local_id: b for b in bindings if b.local_id is not None}
    suggestions = {s.user.pk: s for s in setup.suggest_user_mappings(connection)}
    rows = []
    for user in User.objects.order_by("first_name", "last_name", "email"):
        binding = by_user.get(user.pk)
        rows.append(
            {
                "user": user,
                "binding": binding,
                "remote_name": ((binding.remote_values or {}).get("name") if binding else "") or "",
                "suggestion": None if binding else suggestions.get(user.pk),
            }
        )
    return rows, bindings


def _exports_orders(connection: Connection) -> bool:
    """Whether the connection's orders go out as a file the system imports."""
    export = getattr(connection.spec, "order_export", None)
    return export is not None and connection.is_active and bool(export.available(connection))


class SettingsViews:
    """Settings screens hung off the connection admin (`ConnectionAdmin.get_urls`)."""

    def __init__(self, model_admin: ModelAdmin) -> None:
        self.model_admin = model_admin
        self.admin_site = model_admin.admin_site

    def urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("settings/", wrap(self.settings_view), name="integrations_connection_settings"),
            path("general/", wrap(self.general_view), name="integrations_connection_general"),
        ]

    def _check(self, request: HttpRequest) -> None:
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied

    def _context(self, request: HttpRequest, title: Any, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": title,
            **extra,
        }

    def _connection(self, request: HttpRequest) -> Connection | None:
        """The connection the screen is about: ?connection=<id>, ?system=<system>, else the
        first active one."""
        wanted = request.GET.get("connection", "")
        if wanted.isdigit():
            return Connection.objects.filter(pk=wanted).first()
        if request.GET.get("system"):
            return selectors.connection_active(system=request.GET["system"])
        return selectors.connection_active()

    # --- Settings → <system> --------------------------------------------------------------

    def settings_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        connection = self._connection(request)
        if connection is None:
            return TemplateResponse(
                request,
                "admin/integrations/settings/connection.html",
                self._context(request, _("ERP settings"), connection=None),
            )
        here = f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"
        spec = connection.spec
        sections = list(spec.settings.sections) if spec.settings is not None else []
        forms_by_name = {s.name: s.form(connection, None) for s in sections}
        connected_form = ConnectedForm(
            initial={"connected": connection.connected, "sso": connection.sso_allowed},
            connection=connection,
        )
        if request.method == "POST":
            action = request.POST.get("action", "")
            section = next((s for s in sections if s.name == action), None)
            try:
                if section is not None:
                    request.sensitive_post_parameters = list(section.sensitive_fields)
                    form = forms_by_name[action] = section.form(connection, request.POST)
                    if self._section(request, connection, section, form):
                        return HttpResponseRedirect(here)
                elif action == "connected":
                    connected_form = ConnectedForm(request.POST, connection=connection)
                    if self._connected(request, connection, connected_form):
                        return HttpResponseRedirect(here)
                elif action == "first_time_setup":
                    self._first_time_setup(request, connection)
                    return HttpResponseRedirect(here)
                elif self._mapping(request, connection):
                    return HttpResponseRedirect(here + "#user-mapping")
            except ApplicationError as exc:
                messages.error(request, exc.message)
        rows, remote_users = user_mapping_rows(connection=connection)
        # The sync stores the system's own text (in English); it is worded here, in the
        # viewer's language, as the sync history does.
        health = [
            {
                "health": h,
                "label": OBJECT_LABELS.get(h.entity, h.entity),
                "explanation": explain(h.last_error.error_text, connection)
                if h.last_error is not None and h.last_error.error_text
                else None,
            }
            for h in selectors.entity_health(connection=connection)
        ]
        # A connection that keeps nothing in step (e.g. orders exported as files) has no
        # health, types to choose, users to map, first-time setup or sync to run.
        keeps_something = bool(connected_form.fields["connected"].choices)
        context = self._context(
            request,
            _("%(system)s settings") % {"system": connection.system_name},
            connection=connection,
            spec=spec,
            here=here,
            summary_template=spec.settings.summary_template if spec.settings else "",
            summary=spec.settings.summary(connection) if spec.settings else {},
            sections=[
                {
                    "section": section,
                    "form": forms_by_name[section.name],
                    **section.context(connection),
                }
                for section in sections
            ],
            health=health,
            keeps_something=keeps_something,
            # A connection that only switches a feature on (each person's calendar): no hour
            # transfer to set, no "nothing is kept in step" note.
            switches_on_only=switches_on_only(spec),
            exports_orders=_exports_orders(connection),
            # Only systems with users of their own have people to map.
            maps_users=keeps_something and spec.can_keep(connection.settings or {}, "user"),
            connected_form=connected_form,
            rows=rows,
            remote_users=remote_users,
            suggestions=sum(1 for row in rows if row["suggestion"]),
            connected_labels=[OBJECT_LABELS.get(e, e) for e in connection.connected or []],
        )
        return TemplateResponse(request, "admin/integrations/settings/connection.html", context)

    def _section(
        self, request: HttpRequest, connection: Connection, section: Any, form: forms.Form
    ) -> bool:
        if not form.is_valid():
            return False
        try:
            message = section.save(connection, form, actor=request.user)
        except ApplicationError as exc:
            connection.refresh_from_db()
            add_service_error(form, exc)
            return False
        messages.success(request, message)
        return True

    def _connected(self, request: HttpRequest, connection: Connection, form: ConnectedForm) -> bool:
        if not form.is_valid():
            return False
        try:
            services.connection_update_settings(
                connection=connection,
                connect=form.cleaned_data["connected"],
                sso=form.cleaned_data.get("sso"),
                actor=request.user,
            )
        except ApplicationError as exc:
            connection.refresh_from_db()
            add_service_error(form, exc)
            return False
        messages.success(request, _("The settings were saved."))
        return True

    def _first_time_setup(self, request: HttpRequest, connection: Connection) -> None:
        try:
            report = setup.first_time_setup(connection)
        except ConnectorError as exc:
            raise ApplicationError(
                connection.spec.explain(exc)
                or _("%(system)s refused the request: %(reason)s")
                % {"system": connection.system_name, "reason": exc.message}
            ) from None
        messages.success(
            request,
            ngettext(
                "First-time setup done: %(count)d project membership was added.",
                "First-time setup done: %(count)d project memberships were added.",
                report.memberships,
            )
            % {"count": report.memberships},
        )
        if report.unmapped:
            messages.warning(
                request,
                _(
                    "These %(system)s users are on projects but not mapped to a Tidsbro "
                    "user, so they were left out: %(names)s. Map them below and run the setup "
                    "again."
                )
                % {
                    "system": connection.system_name,
                    "names": ", ".join(name for _id, name, _count in report.unmapped),
                },
            )

    def _user(self, value: str) -> User:
        user = User.objects.filter(pk=value).first() if value.isdigit() else None
        if user is None:
            raise ApplicationError(_("That Tidsbro user does not exist."))
        return user

    def _mapping(self, request: HttpRequest, connection: Connection) -> bool:
        """The user mapping table's buttons; True when something was done."""
        post = request.POST
        if "map" in post:
            user = self._user(post["map"])
            external_id = (post.get(f"erp_{user.pk}") or "").strip()
            if not external_id:
                raise ApplicationError(
                    _("Enter the %(system)s user id for %(user)s.")
                    % {"system": connection.system_name, "user": user}
                )
            if not Binding.objects.filter(
                connection=connection, entity="user", external_id=external_id
            ).exists():
                raise ApplicationError(
                    _("%(system)s has no user with the id %(id)s (fetch users first).")
                    % {"system": connection.system_name, "id": external_id}
                )
            self._map(request, connection, user, external_id)
            return True
        if "accept" in post:
            user = self._user(post["accept"])
            suggestion = next(
                (s for s in setup.suggest_user_mappings(connection) if s.user.pk == user.pk),
                None,
            )
            if suggestion is None:
                raise ApplicationError(_("There is no suggestion for %(user)s.") % {"user": user})
            self._map(request, connection, user, suggestion.external_id)
            return True
        if "accept_all" in post:
            taken: set[str] = set()
            done = 0
            for suggestion in setup.suggest_user_mappings(connection):
                if suggestion.external_id in taken:
                    continue  # two colleagues suggested for one ERP user: map by hand
                taken.add(suggestion.external_id)
                setup.map_user(connection, suggestion.user, suggestion.external_id)
                done += 1
            self.model_admin.log_change(
                request, connection, [{"changed": {"fields": ["user mapping"]}}]
            )
            messages.success(
                request,
                ngettext("%(count)d suggestion accepted.", "%(count)d suggestions accepted.", done)
                % {"count": done},
            )
            return True
        if "unmap" in post:
            user = self._user(post["unmap"])
            setup.unmap_user(connection, user)
            self.model_admin.log_change(
                request, connection, _("Unmapped %(user)s") % {"user": user.email}
            )
            messages.success(
                request,
                _("%(user)s is no longer mapped; their hours go on the integration user.")
                % {"user": user},
            )
            return True
        return False

    def _map(self, request: HttpRequest, connection: Connection, user: User, external_id: str):
        setup.map_user(connection, user, external_id)
        self.model_admin.log_change(
            request,
            connection,
            _("Mapped %(user)s to %(system)s user %(id)s")
            % {"user": user.email, "system": connection.system_name, "id": external_id},
        )
        messages.success(
            request,
            _("%(user)s is mapped to %(system)s user %(id)s.")
            % {"user": user, "system": connection.system_name, "id": external_id},
        )

    # --- Settings → General ---------------------------------------------------------------

    def general_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        connection = self._connection(request)
        posted = request.method == "POST" and request.POST.get("action") != "backlog"
        if request.method == "POST" and connection is not None and not posted:
            return self._backlog(request, connection)
        form = HourTransferForm(
            request.POST if posted else None,
            initial={"hour_transfer": connection.hour_transfer} if connection else None,
        )
        if connection is not None:
            field = form.fields["hour_transfer"]
            system = {"system": connection.system_name}
            field.label = _("Send hours to %(system)s") % system
            field.error_messages["required"] = (
                _("Choose when hours are sent to %(system)s.") % system
            )
        if posted and connection is not None and form.is_valid():
            try:
                services.connection_update_settings(
                    connection=connection,
                    hour_transfer=form.cleaned_data["hour_transfer"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The settings were saved."))
                return HttpResponseRedirect(reverse("admin:integrations_connection_general"))
        options = [
            {
                "radio": radio,
                "help": str(HOUR_TRANSFER_HELP.get(radio.data["value"], ""))
                % {"system": connection.system_name if connection else ""},
            }
            for radio in form["hour_transfer"]
        ]
        backlog_form = HourBacklogForm(
            request.GET if "since" in request.GET else None,
            initial={"since": selectors.hours_transfer_backlog_default_since()},
        )
        since = (
            backlog_form.cleaned_data["since"]
            if backlog_form.is_bound and backlog_form.is_valid()
            else selectors.hours_transfer_backlog_default_since()
        )
        backlog = (
            selectors.hours_transfer_backlog_summary(connection=connection, since=since)
            if connection is not None and connection.hour_transfer == HourTransfer.ON_APPROVAL
            else None
        )
        return TemplateResponse(
            request,
            "admin/integrations/settings/general.html",
            self._context(
                request,
                _("General settings"),
                connection=connection,
                form=form,
                options=options,
                backlog=backlog,
                backlog_form=backlog_form,
                backlog_since=since,
            ),
        )

    def _backlog(self, request: HttpRequest, connection: Connection) -> HttpResponse:
        """ "Transfer them now": queues the approved hours since the chosen date."""
        here = reverse("admin:integrations_connection_general")
        form = HourBacklogForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return HttpResponseRedirect(here + "#hour-backlog")
        since = form.cleaned_data["since"]
        try:
            queued = services.hours_transfer_backlog(
                connection=connection, since=since, actor=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(here + "#hour-backlog")
        shown = formats.date_format(since, "SHORT_DATE_FORMAT")
        if queued:
            messages.success(
                request,
                ngettext(
                    "%(count)d approved hour since %(date)s is on its way to %(system)s.",
                    "%(count)d approved hours since %(date)s are on their way to %(system)s.",
                    queued,
                )
                % {"count": queued, "date": shown, "system": connection.system_name},
            )
        else:
            messages.info(
                request,
                _(
                    "Nothing to transfer: every approved hour since %(date)s is already in "
                    "%(system)s or on its way."
                )
                % {"date": shown, "system": connection.system_name},
            )
        return HttpResponseRedirect(f"{here}?since={since.isoformat()}#hour-backlog")
