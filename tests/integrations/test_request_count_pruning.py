"""Request-budget counts are pruned daily: old minutes go, the live window stays counted."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from apps.integrations.models import RequestCount
from apps.integrations.schedules import ensure_schedules
from apps.integrations.sync.budget import DatabaseRequestBudget, request_counts_prune

pytestmark = pytest.mark.django_db

KEY = "24so:demo@tidsbro.no"
HOUR = timedelta(hours=1)


NOW = timezone.now()


def _minute(ago: timedelta):
    return (NOW - ago).replace(second=0, microsecond=0)


def _counts(*ages: timedelta) -> None:
    for key in (KEY, "24so:other@tidsbro.no"):
        for age in ages:
            RequestCount.objects.create(key=key, minute=_minute(age), count=7)


def test_counts_older_than_a_day_are_deleted_and_the_live_window_is_kept():
    _counts(timedelta(days=30), timedelta(days=2), timedelta(hours=25), HOUR, timedelta(minutes=5))
    used_before = DatabaseRequestBudget().used(KEY, window=HOUR, now=NOW)

    deleted = request_counts_prune(now=NOW)

    assert deleted == 6  # three old minutes of two logins
    assert sorted(RequestCount.objects.values_list("minute", flat=True).distinct()) == [
        _minute(HOUR),
        _minute(timedelta(minutes=5)),
    ]
    assert used_before == 14 and DatabaseRequestBudget().used(KEY, window=HOUR, now=NOW) == 14


def test_a_daily_schedule_prunes_the_counts():
    Schedule.objects.filter(func="apps.integrations.jobs.prune_request_counts").delete()
    ensure_schedules()
    _counts(timedelta(days=3), timedelta(minutes=2))

    schedule = Schedule.objects.get(func="apps.integrations.jobs.prune_request_counts")
    summary = import_string(schedule.func)()

    assert schedule.schedule_type == Schedule.DAILY and schedule.repeats == -1
    assert summary == "2 request counts deleted"
    assert RequestCount.objects.count() == 2
