"""Recurring series: Graph's `patternedRecurrence` checked and laid out into occurrences.

Patterns `daily`, `weekly` (daysOfWeek, firstDayOfWeek), `absoluteMonthly` (dayOfMonth) and
`absoluteYearly` (month, dayOfMonth), each with an `interval`; ranges `endDate`, `noEnd` and
`numbered`. Occurrences keep the master's wall-clock start in the master's zone (so a weekly
09:00 meeting stays at 09:00 across daylight saving) and its duration.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
PATTERNS = ("daily", "weekly", "absoluteMonthly", "absoluteYearly")
RANGES = ("endDate", "noEnd", "numbered")
# How far a series without an end is laid out when the caller gives no bound.
MAX_OCCURRENCES = 5000


class RecurrenceError(ValueError):
    pass


def validate(recurrence: dict) -> dict:
    """The recurrence in Graph's shape with defaults filled in; RecurrenceError if unusable."""
    if not isinstance(recurrence, dict):
        raise RecurrenceError("recurrence must be an object")
    pattern = dict(recurrence.get("pattern") or {})
    rng = dict(recurrence.get("range") or {})
    kind = pattern.get("type")
    if kind not in PATTERNS:
        raise RecurrenceError(f"Unsupported recurrence pattern type '{kind}'.")
    try:
        pattern["interval"] = int(pattern.get("interval") or 1)
    except (TypeError, ValueError):
        raise RecurrenceError("pattern.interval must be a number") from None
    if pattern["interval"] < 1:
        raise RecurrenceError("pattern.interval must be at least 1")
    if kind == "weekly":
        days = [str(d).lower() for d in pattern.get("daysOfWeek") or []]
        if not days or any(d not in DAYS for d in days):
            raise RecurrenceError("A weekly pattern needs daysOfWeek.")
        pattern["daysOfWeek"] = days
        pattern["firstDayOfWeek"] = str(pattern.get("firstDayOfWeek") or "sunday").lower()
        if pattern["firstDayOfWeek"] not in DAYS:
            raise RecurrenceError("pattern.firstDayOfWeek is not a day.")
    if kind in ("absoluteMonthly", "absoluteYearly"):
        if not 1 <= int(pattern.get("dayOfMonth") or 0) <= 31:
            raise RecurrenceError("pattern.dayOfMonth must be 1–31.")
    if kind == "absoluteYearly" and not 1 <= int(pattern.get("month") or 0) <= 12:
        raise RecurrenceError("pattern.month must be 1–12.")
    if rng.get("type") not in RANGES:
        raise RecurrenceError(f"Unsupported recurrence range type '{rng.get('type')}'.")
    try:
        dt.date.fromisoformat(str(rng.get("startDate")))
        if rng["type"] == "endDate":
            end = dt.date.fromisoformat(str(rng.get("endDate")))
            if end < dt.date.fromisoformat(str(rng["startDate"])):
                raise RecurrenceError("range.endDate is before range.startDate.")
    except (TypeError, ValueError) as exc:
        if isinstance(exc, RecurrenceError):
            raise
        raise RecurrenceError("range.startDate/endDate must be dates (YYYY-MM-DD).") from None
    if rng["type"] == "numbered" and int(rng.get("numberOfOccurrences") or 0) < 1:
        raise RecurrenceError("range.numberOfOccurrences must be at least 1.")
    rng.setdefault("recurrenceTimeZone", "")
    return {"pattern": pattern, "range": rng}


def occurrence_dates(recurrence: dict, until: dt.date | None = None):
    """The occurrence dates in order (a generator), up to the range's end, `until` or
    MAX_OCCURRENCES, whichever comes first."""
    pattern, rng = recurrence["pattern"], recurrence["range"]
    start = dt.date.fromisoformat(rng["startDate"])
    end = dt.date.fromisoformat(rng["endDate"]) if rng["type"] == "endDate" else None
    count = int(rng.get("numberOfOccurrences") or 0) if rng["type"] == "numbered" else None
    interval = pattern["interval"]
    kind = pattern["type"]
    produced = 0

    def within(day: dt.date) -> bool:
        return (end is None or day <= end) and (until is None or day <= until)

    def candidates():
        if kind == "daily":
            day = start
            while True:
                yield day
                day += dt.timedelta(days=interval)
        elif kind == "weekly":
            first = DAYS.index(pattern["firstDayOfWeek"])
            wanted = sorted(DAYS.index(d) for d in pattern["daysOfWeek"])
            week = start - dt.timedelta(days=(start.weekday() - first) % 7)
            while True:
                for offset in range(7):
                    day = week + dt.timedelta(days=offset)
                    if day.weekday() in wanted and day >= start:
                        yield day
                week += dt.timedelta(weeks=interval)
        else:
            year, month = start.year, start.month
            if kind == "absoluteYearly":
                month = int(pattern["month"])
            while True:
                last = calendar.monthrange(year, month)[1]
                day = dt.date(year, month, min(int(pattern["dayOfMonth"]), last))
                if day >= start:
                    yield day
                if kind == "absoluteYearly":
                    year += interval
                else:
                    month += interval
                    year += (month - 1) // 12
                    month = (month - 1) % 12 + 1

    for day in candidates():
        if not within(day) or produced >= MAX_OCCURRENCES:
            return
        if count is not None and produced >= count:
            return
        produced += 1
        yield day


def occurrence_starts(
    recurrence: dict,
    *,
    first_start: dt.datetime,
    zone: ZoneInfo,
    until: dt.datetime | None = None,
):
    """The occurrences' original starts (aware, UTC) in order: each occurrence date at the
    master's wall-clock start time in `zone`; stops after `until`."""
    local = first_start.astimezone(zone)
    until_day = (until.astimezone(zone).date() + dt.timedelta(days=1)) if until else None
    for day in occurrence_dates(recurrence, until_day):
        wall = dt.datetime.combine(day, local.time().replace(tzinfo=None))
        yield wall.replace(tzinfo=zone).astimezone(dt.UTC)


def series_bounds(
    recurrence: dict, *, first_start: dt.datetime, duration: dt.timedelta, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime | None]:
    """(first occurrence start, last occurrence end or None for a series without an end)."""
    starts = occurrence_starts(recurrence, first_start=first_start, zone=zone)
    first = next(starts, None)
    if first is None:
        return first_start, first_start + duration
    if recurrence["range"]["type"] == "noEnd":
        return first, None
    last = first
    for last in starts:  # noqa: B007 - the last one is what counts
        pass
    return first, last + duration
