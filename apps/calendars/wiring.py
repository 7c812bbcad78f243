"""What the calendars app hooks into at start-up: local changes of hours and logins (hooks),
and other apps' pages (pages). Kept in one place so `CalendarsConfig.ready` stays one line."""

from typing import Any


def connect(app_config: Any) -> None:
    from apps.calendars import hooks, pages, schedules

    hooks.connect()
    pages.connect()
    schedules.connect(app_config)
