"""Integrations → Connect: the onboarding wizard and the first sync's progress.

Generic steps (choose the system, what to connect) frame the connector's own steps
(`spec.onboarding.steps`, e.g. log in → client → integration user), each
checked live by the connector. Between steps the passwords wait in the session encrypted for
this wizard and this user only (`apps.core.crypto`), and the wizard forgets them when it ends.
"""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from apps.core import crypto
from apps.core.admin import add_service_error
from apps.core.exceptions import ApplicationError
from apps.integrations import registry, selectors, services, webhooks
from apps.integrations.models import Connection, HourTransfer, Master, SyncRun

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
    "hour": _("Hours (sent to the ERP)"),
}
CONNECT_CHOICES = [(e, label) for e, label in OBJECT_LABELS.items() if e in services.CONNECTABLE]
DEFAULT_CONNECT = ["customer", "project", "work_type", "task", "user", "hour"]


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def integration_features(spec: Any) -> list[Any]:
    """What a system's integration does, in words, from what its connector declares."""
    capabilities = spec.capabilities
    kept = [
        label
        for entity, label in OBJECT_LABELS.items()
        if entity != "hour" and (capabilities.can_pull(entity) or capabilities.can_push(entity))
    ]
    found: list[Any] = []
    if kept:
        found.append(
            _("Keeps in step: %(types)s.")
            # Only each label's first letter: a name inside it keeps its capital ("Tidsbro").
            % {"types": ", ".join(_first_lower(str(k)) for k in kept)}
        )
    if capabilities.can_push("hour"):
        found.append(_("Sends approved hours."))
    for capability, text in (
        ("orders", _("Turns approved hours into orders or invoice drafts there.")),
        ("order_export", _("Exports orders as a file the system imports (no API access).")),
        ("webhooks", _("Instant updates when records change there.")),
        ("sso", _("Colleagues may log in to Tidsbro with their login there.")),
        (
            "calendar",
            _(
                "Each person connects their own calendar with their own sign-in; the office "
                "keeps no password."
            ),
        ),
    ):
        try:
            offered = getattr(spec, capability, None) is not None
        except ImportError:  # a capability whose module is not there yet
            offered = False
        if offered:
            found.append(text)
    return found


def keeps_nothing(spec: Any, settings: Any) -> bool:
    """Whether a connection with these settings keeps no object type in step: its account
    allows none (`spec.connectable`, e.g. a file-export mode) or the system has none at all
    (e.g. each person's calendar, connected by the person)."""
    return spec.connectable(settings) == frozenset() or not connect_choices(spec, settings)


def switches_on_only(spec: Any) -> bool:
    """Whether the system keeps nothing in step whatever its settings: its connection only
    switches a feature on (no "what to connect" step, no first sync, no hour transfer)."""
    return not connect_choices(spec)


def connect_choices(spec: Any, settings: Any = None) -> list[tuple[str, Any]]:
    """The object types this system can keep in step (for a connection with `settings`: those
    its account allows, `spec.connectable`)."""
    capabilities = spec.capabilities
    return [
        (entity, label)
        for entity, label in CONNECT_CHOICES
        if (capabilities.can_pull(entity) or capabilities.can_push(entity))
        and (settings is None or spec.can_keep(settings, entity))
    ]


# --- forms -------------------------------------------------------------------------------------


class SystemForm(forms.Form):
    system = forms.ChoiceField(
        label=_("System"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the system to connect.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["system"].choices = [
            (spec.system, spec.display_name)
            for spec in registry.specs()
            if spec.onboarding is not None
        ]


class ConnectForm(forms.Form):
    """What to connect, who is master of each, how hours go, and log in with the ERP."""

    connected = forms.MultipleChoiceField(
        label=_("Keep in step"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    hour_transfer = forms.ChoiceField(
        label=_("Send hours"),
        choices=HourTransfer.choices,
        initial=HourTransfer.ON_APPROVAL,
        widget=forms.RadioSelect,
        required=False,
    )
    sso = forms.BooleanField(required=False)

    def __init__(self, *args: Any, spec: Any, settings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        choices = connect_choices(spec, settings)
        self.fields["connected"].choices = choices
        self.fields["connected"].initial = [e for e, _label in choices if e in DEFAULT_CONNECT]
        default_masters = {
            **services.DEFAULT_MASTERS,
            **(getattr(spec, "default_masters", {}) or {}),
        }
        # Who is master of each type the system could also take from Tidsbro.
        for entity, label in choices:
            # Hours have no master: how they go is the hour transfer below.
            if entity == "hour" or not spec.capabilities.can_push(entity):
                continue
            self.fields[f"master_{entity}"] = forms.ChoiceField(
                label=_("Master of %(type)s") % {"type": label},
                choices=Master.choices,
                initial=default_masters.get(entity, Master.BOTH),
                required=False,
            )
        if spec.sso is not None:
            self.fields["sso"].label = _(
                "Allow colleagues to log in to Tidsbro with their %(system)s login"
            ) % {"system": spec.display_name}
        else:
            del self.fields["sso"]
        if "hour" not in dict(choices) or not spec.capabilities.can_push("hour"):
            del self.fields["hour_transfer"]

    def masters(self) -> dict[str, str]:
        return {
            name.removeprefix("master_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("master_") and value
        }


# --- the wizard's state ------------------------------------------------------------------------


class Wizard:
    """The wizard's answers so far, in the session; passwords and tokens only encrypted."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.purpose = f"integrations.onboarding.{request.user.pk}"
        data = request.session.get(STATE_KEY) or {}
        if time.time() - data.get("started", 0) > MAX_AGE_SECONDS:
            data = {}
        self.data: dict[str, Any] = data

    def save(self, **values: Any) -> None:
        self.data = {**self.data, **values}
        self.data.setdefault("started", time.time())
        self.request.session[STATE_KEY] = self.data

    def save_secret(self, **values: str) -> None:
        self.save(
            **{
                name: crypto.encrypt(value, purpose=self.purpose) if value else ""
                for name, value in values.items()
            }
        )

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
    def spec(self) -> Any:
        system = self.data.get("system")
        if not system:
            return None
        try:
            spec = registry.spec_for(system)
        except LookupError:
            return None
        return spec if spec.onboarding is not None else None


# --- views -------------------------------------------------------------------------------------


def _step_url(step: Any) -> str:
    return reverse("admin:integrations_connection_connect_step", args=[step.name])


class OnboardingViews:
    """The wizard's screens, hung off the connection admin (`ConnectionAdmin.get_urls`)."""

    template = "admin/integrations/onboarding/step.html"

    def __init__(self, model_admin: ModelAdmin) -> None:
        self.model_admin = model_admin
        self.admin_site = model_admin.admin_site

    def urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("connect/", wrap(self.system_view), name="integrations_connection_connect"),
            path(
                "connect/step/<str:name>/",
                wrap(self.step_view),
                name="integrations_connection_connect_step",
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

    def _steps(self, spec: Any, wizard: Wizard | None = None) -> list[tuple[str, Any, str]]:
        """(name, label, url) of every step of this system's wizard."""
        steps = [("system", _("System"), reverse("admin:integrations_connection_connect"))]
        if spec is not None:
            steps += [
                (s.name, s.label_for(wizard) if wizard else s.label, _step_url(s))
                for s in (spec.onboarding.steps_for(wizard) if wizard else spec.onboarding.steps)
            ]
            if switches_on_only(spec):
                return steps  # its last step activates it: nothing to choose after
        steps.append(
            (
                "objects",
                _("What to connect"),
                reverse("admin:integrations_connection_connect_objects"),
            )
        )
        return steps

    def _render(
        self,
        request: HttpRequest,
        spec: Any,
        step: str,
        form: forms.Form | None,
        **extra: Any,
    ) -> HttpResponse:
        steps = self._steps(spec, Wizard(request) if spec is not None else None)
        names = [name for name, _label, _url in steps]
        if step not in names:  # "what to connect" of a system that only switches on
            steps.append((step, _("What to connect"), ""))
            names.append(step)
        index = names.index(step)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("Connect %(system)s") % {"system": spec.display_name}
            if spec is not None
            else _("Connect an ERP"),
            "spec": spec,
            "step": step,
            "steps": [
                {"name": name, "label": label, "done": i < index}
                for i, (name, label, _url) in enumerate(steps)
            ],
            "step_number": index + 1,
            # The last step of a system that only switches on activates it.
            "activates": spec is not None
            and switches_on_only(spec)
            and step != "objects"
            and index == len(steps) - 1,
            "back_url": steps[index - 1][2] if index > 0 else "",
            "form": form,
            **extra,
        }
        return TemplateResponse(request, self.template, context)

    def _restart(self, request: HttpRequest) -> HttpResponse:
        messages.warning(
            request, _("The wizard has expired or was not started. Please start again.")
        )
        return HttpResponseRedirect(reverse("admin:integrations_connection_connect"))

    def _next_url(self, spec: Any, name: str, wizard: Wizard) -> str:
        steps = list(spec.onboarding.steps_for(wizard))
        names = [s.name for s in steps]
        index = names.index(name)
        if index + 1 < len(steps):
            return _step_url(steps[index + 1])
        return reverse("admin:integrations_connection_connect_objects")

    def _start(self, request: HttpRequest, spec: Any) -> HttpResponse:
        wizard = Wizard(request)
        wizard.clear()
        wizard.save(system=spec.system)
        steps = list(spec.onboarding.steps_for(wizard))
        if steps:
            return HttpResponseRedirect(_step_url(steps[0]))
        return HttpResponseRedirect(reverse("admin:integrations_connection_connect_objects"))

    # steps

    def system_view(self, request: HttpRequest) -> HttpResponse:
        """Integrations: every system Tidsbro can connect to, what it does, whether it is
        active, and an Activate button (POST `system`) that starts its wizard;
        `?system=<system>` (the connection list's links) starts it directly."""
        self._check(request)
        if request.method == "POST":
            form = SystemForm(request.POST)
        else:
            form = SystemForm(request.GET if "system" in request.GET else None)
        if form.is_bound and form.is_valid():
            return self._start(request, registry.spec_for(form.cleaned_data["system"]))
        active = {c.system: c for c in Connection.objects.filter(is_active=True)}
        cards = [
            {
                "spec": spec,
                "connection": active.get(spec.system),
                "does": integration_features(spec),
            }
            for spec in registry.specs()
            if spec.onboarding is not None
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model_admin.model._meta,
            "title": _("Integrations"),
            "cards": cards,
            "form": form,
            "can_change": request.user.has_perm("integrations.change_connection"),
        }
        return TemplateResponse(request, "admin/integrations/onboarding/integrations.html", context)

    def step_view(self, request: HttpRequest, name: str) -> HttpResponse:
        self._check(request)
        wizard = Wizard(request)
        spec = wizard.spec
        if spec is None:
            return self._restart(request)
        steps = list(spec.onboarding.steps_for(wizard))
        step = next((s for s in steps if s.name == name), None)
        if step is None:
            raise Http404("No such step")
        if not step.ready(wizard):
            return self._restart(request)
        if step.sensitive_fields:
            request.sensitive_post_parameters = list(step.sensitive_fields)
        posted = request.method == "POST"
        form = step.form(wizard, request.POST if posted else None)
        if posted and form.is_valid():
            try:
                step.accept(wizard, form)
                # A step may send the browser out (the system's own login) and back.
                leave_to = step.leave(wizard, form, request)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                if leave_to:
                    return HttpResponseRedirect(leave_to)
                # The answers may have changed the steps that follow (a mode, a choice).
                steps = list(spec.onboarding.steps_for(wizard))
                if name not in [s.name for s in steps]:
                    return self._restart(request)
                next_url = self._next_url(spec, name, wizard)
                if next_url == reverse("admin:integrations_connection_connect_objects"):
                    finished = self._finish_without_types(request, spec, wizard)
                    if finished is not None:
                        return finished
                return HttpResponseRedirect(next_url)
        existing = [
            c
            for c in [selectors.connection_active(system=spec.system)]
            if c is not None and steps and step is steps[0]
        ]
        return self._render(
            request,
            spec,
            name,
            form,
            step_template=step.template,
            wizard=wizard,
            existing=existing,
            **step.context(wizard),
        )

    def objects_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        wizard = Wizard(request)
        spec = wizard.spec
        if spec is None or not all(
            step.ready(wizard) for step in spec.onboarding.steps_for(wizard)
        ):
            return self._restart(request)
        # What the earlier steps found may allow fewer types (e.g. an account without a module).
        try:
            settings = spec.onboarding.documents(wizard).settings
        except ApplicationError:
            return self._restart(request)
        if keeps_nothing(spec, settings):
            # Nothing to keep in step (e.g. a file-export mode): no choices to make here.
            if request.method == "POST":
                finished = self._finish_without_types(request, spec, wizard)
                if finished is not None:
                    return finished
            return self._render(
                request,
                spec,
                "objects",
                None,
                nothing_to_connect=True,
                summary_template=spec.onboarding.summary_template,
                **spec.onboarding.summary(wizard),
            )
        form = ConnectForm(
            request.POST if request.method == "POST" else None, spec=spec, settings=settings
        )
        context = {
            "summary_template": spec.onboarding.summary_template,
            **spec.onboarding.summary(wizard),
        }
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if not data["connected"]:
                form.add_error(
                    "connected", _("Choose at least one kind of record to keep in step.")
                )
                return self._render(request, spec, "objects", form, **context)
            try:
                documents = spec.onboarding.documents(wizard)
                connection = services.connection_create(
                    system=spec.system,
                    credentials=documents.credentials,
                    settings=documents.settings,
                    state=documents.state,
                    connected=data["connected"],
                    masters=form.masters(),
                    hour_transfer=data.get("hour_transfer") or HourTransfer.ON_APPROVAL,
                    sso=data.get("sso", False),
                    actor=request.user,
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
                return self._render(request, spec, "objects", form, **context)
            wizard.clear()
            services.connection_sync_now(
                connection=connection,
                full=True,
                actor=request.user,
                trigger=SyncRun.Trigger.ONBOARDING,
            )
            # Instant updates (the system's webhooks), where it offers them.
            webhooks.enable_after_connect(connection=connection)
            messages.success(
                request,
                _("%(connection)s is connected. The first full sync has started.")
                % {"connection": connection},
            )
            return HttpResponseRedirect(
                reverse("admin:integrations_connection_first_sync", args=[connection.pk])
            )
        return self._render(request, spec, "objects", form, **context)

    def _finish_without_types(
        self, request: HttpRequest, spec: Any, wizard: Wizard
    ) -> HttpResponse | None:
        """A connection with nothing to keep in step (`spec.connectable` is empty, e.g. a
        file-export mode) is created at once: no "what to connect", no first sync; the
        browser goes to its settings. None when the system has types to choose."""
        try:
            documents = spec.onboarding.documents(wizard)
        except ApplicationError:
            return None
        if not keeps_nothing(spec, documents.settings):
            return None
        try:
            connection = services.connection_create(
                system=spec.system,
                credentials=documents.credentials,
                settings=documents.settings,
                state=documents.state,
                connected=[],
                masters={},
                actor=request.user,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("admin:integrations_connection_connect"))
        wizard.clear()
        if getattr(spec, "calendar", None) is not None:
            text = _(
                "%(connection)s is active. Each person can now connect their own calendar "
                "under My calendar; their calendars' health is below."
            )
        else:
            text = _(
                "%(connection)s is active. Nothing is kept in step with it; its settings are below."
            )
        messages.success(request, text % {"connection": connection})
        return HttpResponseRedirect(
            f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"
        )

    def cancel_view(self, request: HttpRequest) -> HttpResponse:
        self._check(request)
        if request.method == "POST":
            wizard = Wizard(request)
            spec = wizard.spec
            wizard.clear()
            messages.info(
                request,
                _("Connecting %(system)s was cancelled; nothing was saved.")
                % {"system": spec.display_name if spec is not None else _("the ERP")},
            )
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
            "title": _("First sync of %(connection)s") % {"connection": connection},
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
    """Per pulled object type: the first sync's run (one query).

    The wizard starts the first sync with the trigger "first connect"; later runs (the
    schedule, an instant update, "fetch now") are not the first sync's result. A type without
    such a run shows its earliest full run instead. A type whose local side only
    links (users: by e-mail) counts those as linked, not created."""
    entities = selectors.entities_in_sync_order(connection=connection)
    first: dict[str, SyncRun] = {}
    fallback: dict[str, SyncRun] = {}
    runs = SyncRun.objects.filter(
        connection=connection,
        kind="pull",
        entity__in=entities,
        started_at__gte=connection.created_at,
    ).filter(Q(trigger=SyncRun.Trigger.ONBOARDING) | Q(full=True))
    runs = runs.order_by("started_at", "id")
    for run in runs:
        if run.status == SyncRun.Status.ALREADY_RUNNING:
            continue  # another run held the lock; the first sync's own run follows
        if run.trigger == SyncRun.Trigger.ONBOARDING:
            first.setdefault(run.entity, run)
        elif run.full:
            fallback.setdefault(run.entity, run)
    rows = []
    for entity in entities:
        # Without a first-connect run of its own (made without the wizard, or the wizard's
        # run found another one holding the lock): the earliest full run.
        run = first.get(entity) or fallback.get(entity)
        if run is None:
            status = "pending"
        elif run.status == SyncRun.Status.RUNNING:
            status = "running"
        elif run.status == SyncRun.Status.SUCCEEDED:
            status = "done"
        else:
            status = "failed"
        links_only = _links_only(entity)
        rows.append(
            {
                "entity": entity,
                "label": OBJECT_LABELS.get(entity, entity),
                "status": status,
                "status_label": STATUS_LABELS[status],
                "run": run,
                "created": None if run is None else (0 if links_only else run.created),
                "linked": None if run is None else (run.created if links_only else 0),
            }
        )
    return rows


def _links_only(entity: str) -> bool:
    """Whether the sync only links this type's records to existing Tidsbro ones (never
    creates them), so what the run counts as made are links."""
    try:
        return bool(getattr(registry.adapter_for(entity), "links_only", False))
    except LookupError:
        return False
