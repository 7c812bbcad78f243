"""A person's calendar as the pages see it: the office's connection, an account and events of
its mirror written directly (the engine's rounds fill them in production; tested there)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

from apps.calendars.models import CalendarAccount, CalendarEvent

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime.date(2026, 11, 30)  # week 49
WEEK = "2026-W49"


def account_for(user: Any, connection: Any, **fields: Any) -> CalendarAccount:
    fields.setdefault("account_email", user.email)
    fields.setdefault("scopes", ["Calendars.Read"])
    account = CalendarAccount(user=user, connection=connection, **fields)
    account.state_doc = {"refresh_token": "not-shown"}
    account.save()
    return account


_serial = iter(range(1, 10**9))


def event_for(
    account: CalendarAccount,
    *,
    day: datetime.date = MONDAY,
    at: tuple[int, int] = (9, 0),
    minutes: int = 60,
    subject: str = "Planning",
    **fields: Any,
) -> CalendarEvent:
    """One event of the person's calendar, at local time `at` on `day` (Oslo)."""
    start = datetime.datetime.combine(day, datetime.time(*at), tzinfo=OSLO)
    n = next(_serial)
    fields.setdefault("web_link", f"https://outlook.example/calendar/item/{n}")
    fields.setdefault("show_as", "busy")
    return CalendarEvent.objects.create(
        account=account,
        event_id=f"AAMk-{n}",
        subject=subject,
        starts_at=start.astimezone(datetime.UTC),
        ends_at=(start + datetime.timedelta(minutes=minutes)).astimezone(datetime.UTC),
        **fields,
    )
