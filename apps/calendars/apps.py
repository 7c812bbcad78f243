from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    """Each person's calendar (their Outlook calendar, through a calendar connector) and their
    hours: entries as events, events as suggestions, both ways (apps/calendars/README.md)."""

    name = "apps.calendars"
    label = "calendars"
    verbose_name = _("Calendars")

    def ready(self) -> None:
        from apps.calendars import wiring

        wiring.connect(self)
