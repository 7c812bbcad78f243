"""Integrations → Connect 24SevenOffice: the onboarding wizard and the first sync's progress.

Every step is checked live against 24SO through the same services the command line uses
(`connection_identities`, `connection_check_client`, `connection_check_integration_user`,
`connection_create`). Between steps the passwords wait in the session encrypted for this
wizard and this user only (`apps.core.crypto`), and the wizard forgets them when it ends.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from apps.core import crypto
from apps.core.admin import add_service_error
from apps.core.exceptions import ApplicationError
from apps.integrations import selectors, services
from apps.integrations.models import Connection, HourTransfer, SyncRun, System

STATE_KEY = "integrations_onboarding"
# A wizard left open longer than this starts again (and its encrypted passwords are dropped).
MAX_AGE_SECONDS = 30 * 60
ADD_PERMISSION = "integrations.add_connection"

# What the office can choose to keep in step, in words.
OBJECT_LABELS: dict[str, Any] = {
    "customer": _("Customers"),
    "project": _("Projects"),
    "work_type": _("Work types"),
    "task": _("Tasks"),
    "user": _("Users (to map them to Tidsbro users)"),
    "participant": _("Project members"),
    "hour": _("Hours (sent to 24SevenOffice)"),
}
CONNECT_CHOICES = [(e, label) for e, label in OBJECT_LABELS.items() if e in services.CONNECTABLE]
DEFAULT_CONNECT = ["customer", "project", "work_type", "task", "user", "hour"]


# --- forms -------------------------------------------------------------------------------------


class CredentialsForm(forms.Form):
    username = forms.CharField(
        label=_("24SevenOffice username"),
        max_length=255,
        help_text=_("The e-mail address you log in to 24SevenOffice with."),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )


class ClientForm(forms.Form):
    identity_id = forms.ChoiceField(
        label=_("Client"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the 24SevenOffice client to connect.")},
    )

    def __init__(self, *args: Any, clients: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clients = clients
        field = self.fields["identity_id"]
        field.choices = [
            (
                c["identity_id"],
                _("%(client)s (blocked for this login)") % {"client": c["client_name"]}
                if c["is_disabled"]
                else c["client_name"],
            )
            for c in clients
        ]
        default = next((c for c in clients if c["is_default"] and not c["is_disabled"]), None)
        if default is not None:
            field.initial = default["identity_id"]


class IntegrationUserForm(forms.Form):
    SAME, SEPARATE = "same", "separate"
    mode = forms.ChoiceField(
        label=_("Who does the sync log in as?"),
        widget=forms.RadioSelect,
        choices=[
            (SAME, _("The same login")),
            (SEPARATE, _("A separate integration user")),
        ],
        initial=SAME,
    )
    api_username = forms.CharField(label=_("Integration user"), max_length=255, required=False)
    api_password = forms.CharField(
        label=_("Integration user password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )


class ConnectForm(forms.Form):
    connected = forms.MultipleChoiceField(
        label=_("Keep in step"),
        choices=CONNECT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=DEFAULT_CONNECT,
    )
    sso = forms.BooleanField(
        label=_("Allow colleagues to log in to Tidsbro with their 24SevenOffice login"),
        required=False,
    )


# --- the wizard's state ------------------------------------------------------------------------


class Wizard:
    """The wizard's answers so far, in the session; passwords only encrypted."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.purpose = f"integrations.onboarding.{request.user.pk}"
        data = request.session.get(STATE_KEY) or {}
        if time.time() - data.get("started", 0) > MAX_AGE_SECONDS:
            data = {}
        self.data: dict[str, Any] = data

    def save(self, **values: Any) -> None:
        for name in ("password", "api_password"):
            if values.get(name):
                values[name] = crypto.encrypt(values[name], purpose=self.purpose)
        self.data = {**self.data, **values}
        self.data.setdefault("started", time.time())
        self.request.session[STATE_KEY] = self.data

    def secret(self, name: str) -> str:
        token = self.data.get(name) or ""
        if not token:
            return ""
        try:
            return crypto.decrypt(token, purpose=self.purpose)
        except crypto.DecryptionFailed:
            return ""

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def clear(self) -> None:
        self.request.session.pop(STATE_KEY, None)
        self.data = {}

    @property
    def client(self) -> dict[str, Any] | None:
        identity_id = self.data.get("identity_id")
        return next(
            (c for c in self.data.get("clients", []) if c["identity_id"] == identity_id), None
        )


# --- views -------------------------------------------------------------------------------------

STEPS = [
    ("credentials", _("Log in")),
    ("client", _("Client")),
    ("integration_user", _("Integration user")),
    ("objects", _("What to connect")),
]


class OnboardingViews:
    """The wizard's screens, hung off the connection admin (`ConnectionAdmin.get_urls`)."""

    template = "admin/integrations/onboarding/step.html"

    def __init__(self, model_admin: ModelAdmin) -> None:
        self.model_admin = model_admin
        self.admin_site = model_admin.admin_site

    def urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("connect/", wrap(self.credentials_view), name="integrations_connection_connect"),
            path(
                "connect/client/",
                wrap(self.client_view),
                name="integrations_connection_connect_client",
            ),
            path(
                "connect/integration-user/",
                wrap(self.integration_user_view),
                name="integrations_connection_connect_integration_user",
            ),
            path(
                "connect/objects/",
                wrap(self.objects_view),
                name="integrations_connection_connect_objects",
            ),
            path(
                "connect/cancel/",
                wrap(self.cancel_view),
                name="integrations_connection_connect_cancel",
            ),
            path(
                "<int:object_id>/first-sync/",
                wrap(self.progress_view),
                name="integrations_connection_first_sync",
            ),
        ]

    # helpers

    def _check(self, request: HttpRequest) -> None:
        if not request.user.has_perm(ADD_PERMISSION):
            raise PermissionDenied

    def _render(
        self, request: HttpRequest, step: str, form: forms.Form | None, **extra: Any
    ) -> HttpResponse:
        opts = self.model_admin.model._meta
        names = [name for name, _label in STEPS]
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": _("Connect 24SevenOffice"),
            "step": step,
            "steps": [
                {"name": name, "label": label, "done": names.index(name) < names.index(step)}
                for name, label in STEPS
            ],
            "step_number": names.index(step) + 1,
            "form": form,
            **extra,
        }
        return TemplateResponse(request, self.template, context)

    def _restart(self, request: HttpRequest) -> HttpResponse:
        messages.warning(
            request, _("The wizard has expired or was not started. Please start again.")
        )
        return HttpResponseRedirect(reverse("admin:integrations_connection_connect"))

    # steps

    @method_decorator(sensitive_post_parameters("password"))
    def credentials_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        existing = selectors.connection_active(system=System.TWENTYFOURSEVEN)
        wizard = Wizard(request)
        form = CredentialsForm(
            request.POST if request.method == "POST" else None,
            initial={"username": wizard.get("username", "")} if request.method != "POST" else None,
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                clients = services.connection_identities(
                    username=data["username"].strip(), password=data["password"]
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                wizard.clear()
                wizard.save(
                    username=data["username"].strip(),
                    password=data["password"],
                    clients=[asdict(c) for c in clients],
                )
                return HttpResponseRedirect(reverse("admin:integrations_connection_connect_client"))
        return self._render(request, "credentials", form, existing=existing)

    def client_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        wizard = Wizard(request)
        if not wizard.get("clients") or not wizard.secret("password"):
            return self._restart(request)
        clients = wizard.get("clients")
        form = ClientForm(
            request.POST if request.method == "POST" else None,
            clients=clients,
            initial={"identity_id": wizard.get("identity_id")}
            if wizard.get("identity_id")
            else None,
        )
        if request.method == "POST" and form.is_valid():
            try:
                chosen = services.connection_check_client(
                    username=wizard.get("username"),
                    password=wizard.secret("password"),
                    identity_id=form.cleaned_data["identity_id"],
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                wizard.save(identity_id=chosen.identity_id)
                return HttpResponseRedirect(
                    reverse("admin:integrations_connection_connect_integration_user")
                )
        return self._render(
            request, "client", form, clients=clients, username=wizard.get("username")
        )

    @method_decorator(sensitive_post_parameters("api_password"))
    def integration_user_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        wizard = Wizard(request)
        client = wizard.client
        if client is None or not wizard.secret("password"):
            return self._restart(request)
        initial = None
        if request.method != "POST" and wizard.get("api_username"):
            initial = {
                "mode": IntegrationUserForm.SEPARATE,
                "api_username": wizard.get("api_username"),
            }
        form = IntegrationUserForm(
            request.POST if request.method == "POST" else None, initial=initial
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            api_username = (data.get("api_username") or "").strip()
            if data["mode"] == IntegrationUserForm.SAME or (
                api_username.casefold() == wizard.get("username", "").casefold()
            ):
                wizard.save(api_username="", api_password="")
                return HttpResponseRedirect(
                    reverse("admin:integrations_connection_connect_objects")
                )
            try:
                services.connection_check_integration_user(
                    client=services.ClientChoice(**client),
                    api_username=api_username,
                    api_password=data.get("api_password") or "",
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                wizard.save(api_username=api_username, api_password=data["api_password"])
                return HttpResponseRedirect(
                    reverse("admin:integrations_connection_connect_objects")
                )
        return self._render(
            request, "integration_user", form, client=client, username=wizard.get("username")
        )

    def objects_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        wizard = Wizard(request)
        client = wizard.client
        if client is None or not wizard.secret("password"):
            return self._restart(request)
        form = ConnectForm(request.POST if request.method == "POST" else None)
        context = {
            "client": client,
            "username": wizard.get("username"),
            "api_username": wizard.get("api_username"),
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if not data["connected"]:
                form.add_error(
                    "connected", _("Choose at least one kind of record to keep in step.")
                )
                return self._render(request, "objects", form, **context)
            try:
                connection = services.connection_create(
                    system=System.TWENTYFOURSEVEN,
                    username=wizard.get("username"),
                    password=wizard.secret("password"),
                    identity_id=client["identity_id"],
                    api_username=wizard.get("api_username") or None,
                    api_password=wizard.secret("api_password") or None,
                    connect=data["connected"],
                    sso=data["sso"],
                    hour_transfer=HourTransfer.ON_APPROVAL,
                    actor=request.user,
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
                return self._render(request, "objects", form, **context)
            wizard.clear()
            services.connection_sync_now(
                connection=connection,
                full=True,
                actor=request.user,
                trigger=SyncRun.Trigger.ONBOARDING,
            )
            messages.success(
                request,
                _("%(client)s is connected. The first full sync has started.")
                % {"client": connection.client_name},
            )
            return HttpResponseRedirect(
                reverse("admin:integrations_connection_first_sync", args=[connection.pk])
            )
        return self._render(request, "objects", form, **context)

    def cancel_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        if request.method == "POST":
            Wizard(request).clear()
            messages.info(request, _("Connecting 24SevenOffice was cancelled; nothing was saved."))
        return HttpResponseRedirect(reverse("admin:integrations_connection_changelist"))

    # after "Connect account"

    def progress_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not request.user.has_perm("integrations.view_connection"):
            raise PermissionDenied
        connection = get_object_or_404(Connection, pk=object_id)
        rows = first_sync_progress(connection=connection)
        finished = all(row["status"] in ("done", "failed") for row in rows)
        can_change = request.user.has_perm("integrations.change_connection")
        # Hours approved before connecting are not sent by themselves (Settings → General).
        backlog = (
            selectors.hours_transfer_backlog_summary(
                connection=connection, since=selectors.hours_transfer_backlog_default_since()
            )
            if finished and can_change and connection.is_active
            else None
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("First sync of %(client)s") % {"client": connection.client_name},
            "connection": connection,
            "rows": rows,
            "finished": finished,
            "failed": any(row["status"] == "failed" for row in rows),
            "can_change": can_change,
            "backlog": backlog,
        }
        return TemplateResponse(request, "admin/integrations/onboarding/progress.html", context)


STATUS_LABELS = {
    "pending": _("Waiting"),
    "running": _("Running"),
    "done": _("Done"),
    "failed": _("Failed"),
}


def first_sync_progress(*, connection: Connection) -> list[dict[str, Any]]:
    """Per pulled object type: the latest run since connecting (one query)."""
    entities = selectors.entities_in_sync_order(connection=connection)
    latest: dict[str, SyncRun] = {}
    runs = SyncRun.objects.filter(
        connection=connection,
        kind="pull",
        entity__in=entities,
        started_at__gte=connection.created_at,
    ).order_by("-started_at", "-id")
    for run in runs:
        latest.setdefault(run.entity, run)
    rows = []
    for entity in entities:
        run = latest.get(entity)
        if run is None or run.status == SyncRun.Status.ALREADY_RUNNING:
            status = "pending"
        elif run.status == SyncRun.Status.RUNNING:
            status = "running"
        elif run.status == SyncRun.Status.SUCCEEDED:
            status = "done"
        else:
            status = "failed"
        rows.append(
            {
                "entity": entity,
                "label": OBJECT_LABELS.get(entity, entity),
                "status": status,
                "status_label": STATUS_LABELS[status],
                "run": run,
            }
        )
    return rows
