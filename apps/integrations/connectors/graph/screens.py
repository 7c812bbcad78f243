"""Microsoft 365 calendars on the connection's settings screen (`spec.settings`): the office's
own settings (tenant, whether people may save their hours in their calendar) and **People's
calendars** — for administrators, each person's calendar health, never a calendar's contents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorSettings, SettingsSection
from apps.integrations.connectors.graph.onboarding import (
    DEFAULT_TENANT,
    OfficeForm,
    office_settings,
    tenant_check,
)

TEMPLATES = "integrations/graph/settings"


class OfficeSection(SettingsSection):
    """The tenant people sign in with and whether they may save their hours in the calendar."""

    name = "calendar_office"
    template = f"{TEMPLATES}/office.html"

    def form(self, connection: Any, data: Any) -> Any:
        settings = connection.settings or {}
        return OfficeForm(
            data,
            initial={
                "tenant": settings.get("tenant") or DEFAULT_TENANT,
                "allow_write": bool(settings.get("allow_write")),
            },
        )

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        from apps.integrations import services

        before = connection.settings or {}
        tenant = form.cleaned_data["tenant"]
        allow_write = bool(form.cleaned_data["allow_write"])
        if tenant != before.get("tenant"):
            tenant_check(tenant)  # live; a tenant Microsoft does not know changes nothing
        services.connection_update_settings(
            connection=connection,
            settings=office_settings(tenant=tenant, allow_write=allow_write),
            actor=actor,
        )
        if allow_write and not before.get("allow_write"):
            from apps.calendars import services as calendars

            # What people changed while it was off goes to their calendars now.
            calendars.office_write_allowed(connection=connection)
        if allow_write:
            return _("Saved. People may save their hours in their calendar.")
        return _("Saved. Tidsbro only reads people's calendars.")


@dataclass(frozen=True)
class PersonRow:
    """One person's calendar as an administrator sees it: health, never contents."""

    person: Any
    account_email: str
    health: str
    health_words: str
    problem: str
    problem_since: datetime | None
    last_synced_at: datetime | None
    subscription_expires_at: datetime | None
    write_hours: bool
    ok: bool


def health_words(account: Any) -> str:
    """A person's calendar health in words for an administrator."""
    from apps.calendars.models import CalendarAccount

    Health = CalendarAccount.Health
    return {
        Health.OK: _("Working"),
        Health.RECONNECT: _("The person must connect their calendar again"),
        Health.FAILING: _("Failing; Tidsbro retries by itself"),
        Health.DISCONNECTED: _("Disconnected"),
    }.get(account.health, account.get_health_display())


def people_rows(connection: Any) -> list[PersonRow]:
    """Every person's calendar on this connection (one query, whatever the number)."""
    from apps.calendars.models import CalendarAccount

    accounts = (
        CalendarAccount.objects.filter(connection=connection)
        .select_related("user")
        .only(
            "user__first_name",
            "user__last_name",
            "user__email",
            "account_email",
            "health",
            "problem",
            "problem_since",
            "last_synced_at",
            "subscription_expires_at",
            "write_hours",
            "connection_id",
        )
        .order_by("user__first_name", "user__last_name", "id")
    )
    return [
        PersonRow(
            person=a.user,
            account_email=a.account_email,
            health=a.health,
            health_words=health_words(a),
            problem=a.problem if a.health != CalendarAccount.Health.OK else "",
            problem_since=a.problem_since,
            last_synced_at=a.last_synced_at,
            subscription_expires_at=a.subscription_expires_at,
            write_hours=a.write_hours,
            ok=a.health == CalendarAccount.Health.OK,
        )
        for a in accounts
    ]


def active_people_count() -> int:
    """People who register hours (active, with the right to add time entries)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    permission = Permission.objects.filter(
        content_type__app_label="timesheets", codename="add_timeentry"
    ).first()
    people = get_user_model().objects.filter(is_active=True)
    if permission is None:
        return people.filter(is_superuser=True).count()
    return (
        people.filter(
            Q(is_superuser=True)
            | Q(user_permissions=permission)
            | Q(groups__permissions=permission)
        )
        .distinct()
        .count()
    )


class PeopleForm(forms.Form):
    """The people table has nothing to post (administrators never change a person's calendar)."""


class PeopleSection(SettingsSection):
    """People's calendars: who connected which account, health, last synchronised."""

    name = "calendar_people"
    template = f"{TEMPLATES}/people.html"
    label = gettext_lazy("People's calendars")

    def form(self, connection: Any, data: Any) -> Any:
        return PeopleForm(data)

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        raise ApplicationError(_("Each person connects and changes their own calendar."))

    def context(self, connection: Any) -> dict[str, Any]:
        rows = people_rows(connection)
        return {
            "people": rows,
            "connected": len(rows),
            "active_people": active_people_count(),
            "problems": sum(1 for r in rows if not r.ok),
        }


class GraphSettings(ConnectorSettings):
    summary_template = f"{TEMPLATES}/summary.html"

    @property
    def sections(self) -> tuple[SettingsSection, ...]:  # type: ignore[override]
        return (OFFICE, PEOPLE)

    def summary(self, connection: Any) -> dict[str, Any]:
        settings = connection.settings or {}
        return {
            "tenant": settings.get("tenant") or DEFAULT_TENANT,
            "allow_write": bool(settings.get("allow_write")),
        }


OFFICE = OfficeSection()
PEOPLE = PeopleSection()
SETTINGS = GraphSettings()
