"""The settings box "Instant updates from e-conomic" (`spec.settings`): switch e-conomic's
webhooks on or off, make a new secret, and see what e-conomic holds (registered event types,
ones it disabled, ones another app has) and when the last instant update ran."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorError, SettingsSection
from apps.integrations.connectors.economic import webhooks


class WebhooksForm(forms.Form):
    choice = forms.ChoiceField(
        choices=[
            ("on", gettext_lazy("Turn on")),
            ("off", gettext_lazy("Turn off")),
            ("rotate", gettext_lazy("Make a new secret")),
        ]
    )


def in_words(events: Any) -> list[str]:
    """e-conomic's event types (`PROJECT_UPDATED`) as the records they bring to Tidsbro
    ("projects"), each once; an event type Tidsbro does not follow stays as it is."""
    from apps.integrations.labels import entity_label

    words: list[str] = []
    for event in events:
        entity = webhooks.EVENT_ENTITY.get(event)
        word = str(entity_label(entity)).lower() if entity else str(event)
        if word not in words:
            words.append(word)
    return words


def _explained(connection: Any, exc: ConnectorError) -> ApplicationError:
    return ApplicationError(connection.spec.explain(exc) or str(exc))


class WebhooksSection(SettingsSection):
    name = "webhooks"
    template = "integrations/economic/settings/webhooks.html"

    def form(self, connection: Any, data: Any) -> Any:
        return WebhooksForm(data=data)

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        choice = form.cleaned_data["choice"]
        try:
            if choice == "off":
                webhooks.unregister(connection)
                return _(
                    "Instant updates are off: changes in e-conomic arrive with the regular sync."
                )
            if choice == "rotate" and not webhooks.is_on(connection):
                raise ApplicationError(_("Instant updates are off: there is no secret to renew."))
            found = webhooks.register(connection, rotate=choice == "rotate")
        except ConnectorError as exc:
            raise _explained(connection, exc) from exc
        message = (
            _("e-conomic got a new secret for its calls to Tidsbro.")
            if choice == "rotate"
            else _("Instant updates are on: e-conomic calls Tidsbro when a record changes there.")
        )
        if found.others:
            message += " " + _(
                "e-conomic already sends %(events)s to another address (another app's); "
                "Tidsbro left it alone, so those changes arrive with the regular sync."
            ) % {"events": ", ".join(in_words(sorted(found.others)))}
        return message

    def context(self, connection: Any) -> dict[str, Any]:
        from apps.integrations.webhooks import last_instant_update

        context: dict[str, Any] = {
            "webhooks_on": webhooks.is_on(connection),
            "last_update": last_instant_update(connection),
            "registered": [],
            "disabled": [],
            "others": [],
            "webhooks_problem": "",
        }
        if not context["webhooks_on"]:
            return context
        try:
            found = webhooks.status(connection)
        except ApplicationError as exc:
            context["webhooks_problem"] = exc.message
            return context
        except ConnectorError as exc:
            context["webhooks_problem"] = _explained(connection, exc).message
            return context
        context.update(
            registered=in_words(found.registered),
            disabled=in_words(found.disabled),
            others=in_words(sorted(found.others)),
        )
        return context


SECTION = WebhooksSection()
