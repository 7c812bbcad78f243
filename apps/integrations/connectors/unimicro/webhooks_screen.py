"""The settings box "Instant updates from Unimicro" (`spec.settings`): register the eventplan
(again), make a new signing key, switch it off, and see what Unimicro holds (the plan, its
endpoint, whether it is active) and when the last instant update ran."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorError, SettingsSection
from apps.integrations.connectors.unimicro import webhooks


class WebhooksForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[
            ("on", gettext_lazy("Turn on")),
            ("off", gettext_lazy("Turn off")),
            ("rotate", gettext_lazy("Make a new signing key")),
        ]
    )


def _explained(connection: Any, exc: ConnectorError) -> ApplicationError:
    return ApplicationError(connection.spec.explain(exc) or str(exc))


class WebhooksSection(SettingsSection):
    name = "webhooks"
    template = "integrations/unimicro/settings/webhooks.html"

    def form(self, connection: Any, data: Any) -> Any:
        return WebhooksForm(data=data)

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        choice = form.cleaned_data["choice"]
        try:
            if choice == "off":
                webhooks.unregister(connection)
                return _(
                    "Instant updates are off: changes in Unimicro arrive with the hourly sync."
                )
            if choice == "rotate" and not webhooks.is_on(connection):
                raise ApplicationError(
                    _("Instant updates are off: there is no signing key to renew.")
                )
            webhooks.register(connection, rotate=choice == "rotate")
        except ConnectorError as exc:
            raise _explained(connection, exc) from exc
        if choice == "rotate":
            return _("Unimicro got a new signing key for its calls to Tidsbro.")
        return _("Instant updates are on: Unimicro calls Tidsbro when a record changes there.")

    def context(self, connection: Any) -> dict[str, Any]:
        from apps.integrations.webhooks import last_instant_update

        context: dict[str, Any] = {
            "webhooks_on": webhooks.is_on(connection),
            "last_update": last_instant_update(connection),
            "plan": None,
            "plan_active": False,
            "endpoint": "",
            "webhooks_problem": "",
        }
        if not context["webhooks_on"]:
            return context
        try:
            context["endpoint"] = webhooks.receiver_url(connection)
            plan = webhooks.status(connection)
        except ApplicationError as exc:
            context["webhooks_problem"] = exc.message
            return context
        except ConnectorError as exc:
            context["webhooks_problem"] = _explained(connection, exc).message
            return context
        if plan is not None:
            subscribers = [s for s in plan.get("Subscribers") or [] if isinstance(s, dict)]
            context["plan"] = plan
            context["plan_active"] = bool(plan.get("Active")) and any(
                s.get("Endpoint") == context["endpoint"] and s.get("Active", True)
                for s in subscribers
            )
        return context


SECTION = WebhooksSection()
