"""Serializer fields every API module shares."""

import datetime
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

# Ids are 64-bit; a bigger number would overflow the database driver (SQLite raises), so it
# is refused as input instead of reaching a query.
ID_MAX = 2**63 - 1


class IdField(serializers.IntegerField):
    """The id of a row: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)


# The widest range any date in the API may have; a model may narrow it (hours: services).
# The ends of the calendar (year 1, 9999) are refused here, before a value reaches a time zone
# conversion that cannot represent it (an OverflowError, i.e. a 500).
CALENDAR_FIRST = datetime.date(1900, 1, 1)
CALENDAR_LAST = datetime.date(2199, 12, 31)

DayBound = datetime.date | Callable[[], datetime.date]


def _day(bound: DayBound) -> datetime.date:
    return bound() if callable(bound) else bound


class _DayRangeMixin:
    """Refuses a day outside [first, last] with a message that gives the range."""

    def _init_range(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.first: DayBound = kwargs.pop("first", CALENDAR_FIRST)
        self.last: DayBound = kwargs.pop("last", CALENDAR_LAST)
        self.range_message: Callable[[], str] | None = kwargs.pop("range_message", None)
        return kwargs

    def check_day(self, day: datetime.date) -> None:
        first, last = _day(self.first), _day(self.last)
        if not first <= day <= last:
            message = (
                self.range_message()
                if self.range_message
                else _("Enter a date from %(first)s to %(last)s.")
                % {"first": first.isoformat(), "last": last.isoformat()}
            )
            raise serializers.ValidationError(message, code="out_of_range")


class DateField(_DayRangeMixin, serializers.DateField):
    """A date within a sensible range (default 1900–2199; `first`/`last` narrow it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**self._init_range(kwargs))

    def to_internal_value(self, value: Any) -> datetime.date:
        day = super().to_internal_value(value)
        self.check_day(day)
        return day


class DateTimeField(_DayRangeMixin, serializers.DateTimeField):
    """A moment within a sensible range, checked as written, before any zone is applied."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**self._init_range(kwargs))

    def enforce_timezone(self, value: datetime.datetime) -> datetime.datetime:
        self.check_day(value.date())
        return super().enforce_timezone(value)
