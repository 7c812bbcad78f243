"""The **Hours** box on a Unimicro connection's settings screen: the integration user, the
Unimicro user whose worker gets the hours of people with no linked Unimicro user (flagged),
as e-conomic's integration employee. Chosen among the Unimicro users Tidsbro has pulled
(setting `integration_user`, the user's id; used by hours.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.integrations.connectors.base import SettingsSection
from apps.integrations.connectors.unimicro import MODE_API

TEMPLATE = "integrations/unimicro/settings/hours.html"
SETTING = "integration_user"


def _api(connection: Any) -> bool:
    return (connection.settings or {}).get("mode") == MODE_API


def _current(connection: Any) -> int | None:
    value = (connection.settings or {}).get(SETTING)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def pulled_users(connection: Any) -> list[tuple[str, str]]:
    """(Unimicro user id, "Name (e-mail)") of the users pulled from Unimicro and still
    there, by name; one query."""
    from apps.integrations.models import Binding

    rows = (
        Binding.objects.filter(connection=connection, entity="user")
        .exclude(state=Binding.State.MISSING_REMOTELY)
        .exclude(external_id="")
        .values_list("external_id", "remote_values")
    )
    found: list[tuple[str, str, str]] = []
    for external_id, values in rows:
        values = values if isinstance(values, dict) else {}
        name = str(values.get("name") or "").strip()
        email = str(values.get("email") or "").strip()
        label = f"{name} ({email})" if name and email else name or email or external_id
        found.append((name.casefold() or email, external_id, label))
    return [(external_id, label) for _key, external_id, label in sorted(found)]


class IntegrationUserForm(forms.Form):
    integration_user = forms.ChoiceField(
        label=gettext_lazy("Integration user"),
        required=False,
        help_text=gettext_lazy(
            "Hours of colleagues not linked to a Unimicro user go on this user's worker in "
            "Unimicro, flagged in Tidsbro. With none, such hours are refused with the reason "
            "until the person is linked."
        ),
    )

    def __init__(self, *args: Any, users: list[tuple[str, str]], current: int | None, **kw: Any):
        super().__init__(*args, **kw)
        choices = [("", _("None: refuse the hours of people not linked"))]
        choices += users
        if current is not None and str(current) not in {value for value, _label in users}:
            # Chosen before and no longer among the pulled users: still shown as chosen.
            choices.append(
                (str(current), _("User %(id)s (not in Unimicro's list now)") % {"id": current})
            )
        self.fields[SETTING].choices = choices


class HoursSection(SettingsSection):
    """Hours in Unimicro: the integration user for people with no linked Unimicro user."""

    name = "unimicro_hours"
    template = TEMPLATE

    def form(self, connection: Any, data: Any) -> Any:
        current = _current(connection)
        users = pulled_users(connection) if _api(connection) else []
        form = IntegrationUserForm(
            data,
            users=users,
            current=current,
            initial={SETTING: "" if current is None else str(current)},
        )
        form.users = users
        return form

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        from apps.core.exceptions import ApplicationError
        from apps.integrations import services

        if not _api(connection):
            raise ApplicationError(_("A CSV-export connection sends no hours to Unimicro."))
        chosen = form.cleaned_data[SETTING]
        value = int(chosen) if chosen else None
        services.connection_update_settings(
            connection=connection, settings={SETTING: value}, actor=actor
        )
        if value is None:
            return _(
                "Hours of people not linked to a Unimicro user are refused with the reason "
                "until the person is linked."
            )
        label = dict(form.fields[SETTING].choices).get(chosen, chosen)
        return _(
            "Hours of people not linked to a Unimicro user go on %(user)s in Unimicro, flagged."
        ) % {"user": label}

    def context(self, connection: Any) -> dict[str, Any]:
        return {"api": _api(connection)}


SECTION = HoursSection()
