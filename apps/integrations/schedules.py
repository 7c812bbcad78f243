"""The sync's django-q2 schedules, upserted by name so running this twice never duplicates them.

Created by `manage.py integrations_schedules` and after every `migrate` (never at import or
start-up: that duplicates rows when several processes start at once, Koed00/django-q#566).
"""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class Planned:
    name: str
    func: str
    schedule_type: str
    minutes: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    # Local time of day of the first run of a daily schedule.
    at: time | None = None


def planned() -> list[Planned]:
    from django_q.models import Schedule

    return [
        Planned(
            name="integrations: pull changes (hourly)",
            func="apps.integrations.jobs.pull_all",
            schedule_type=Schedule.HOURLY,
        ),
        Planned(
            name="integrations: full sync (daily)",
            func="apps.integrations.jobs.pull_all",
            schedule_type=Schedule.DAILY,
            kwargs={"full": True},
            at=time(5, 0),
        ),
        Planned(
            name="integrations: find records deleted in the ERP (nightly)",
            func="apps.integrations.jobs.reconcile_all",
            schedule_type=Schedule.DAILY,
            at=time(2, 30),
        ),
        Planned(
            name="integrations: push waiting changes (every minute)",
            func="apps.integrations.jobs.sweep_outbox",
            schedule_type=Schedule.MINUTES,
            minutes=1,
        ),
        Planned(
            name="integrations: prune request counts (daily)",
            func="apps.integrations.jobs.prune_request_counts",
            schedule_type=Schedule.DAILY,
            at=time(3, 15),
        ),
    ]


def _first_run(plan: Planned, now: datetime) -> datetime:
    if plan.at is None:
        return now
    local = timezone.localtime(now)
    first = local.replace(hour=plan.at.hour, minute=plan.at.minute, second=0, microsecond=0)
    if first <= local:
        first += timedelta(days=1)
    return first


def ensure_schedules(
    *, now: datetime | None = None, plans: list[Planned] | None = None
) -> dict[str, str]:
    """Creates or updates the schedules by name; returns name → "created"/"updated"/"unchanged".

    `plans`: another app's schedules (default: the sync's own, `planned()`). A schedule's next
    run is kept when it exists, so re-running does not shift the clock.
    """
    from django_q.models import Schedule

    now = now or timezone.now()
    result: dict[str, str] = {}
    with transaction.atomic():
        for plan in planned() if plans is None else plans:
            wanted = {
                "func": plan.func,
                "schedule_type": plan.schedule_type,
                "minutes": plan.minutes,
                "kwargs": repr(plan.kwargs) if plan.kwargs else None,
                "args": None,
                "repeats": -1,
            }
            rows = list(Schedule.objects.select_for_update().filter(name=plan.name).order_by("pk"))
            if not rows:
                Schedule.objects.create(name=plan.name, next_run=_first_run(plan, now), **wanted)
                result[plan.name] = "created"
                continue
            row, extra = rows[0], rows[1:]
            for duplicate in extra:  # left by an older, racing start-up hook
                duplicate.delete()
            changed = [k for k, v in wanted.items() if getattr(row, k) != v]
            if changed or extra:
                for key in changed:
                    setattr(row, key, wanted[key])
                row.save()
                result[plan.name] = "updated"
            else:
                result[plan.name] = "unchanged"
    return result


def ensure_schedules_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate receiver: once, when this app has migrated, and only with django_q's tables."""
    if getattr(sender, "label", None) != "integrations":
        return
    from django.db import connection

    if "django_q_schedule" not in connection.introspection.table_names():
        return
    ensure_schedules()


def connect(app_config: Any) -> None:
    """Hooks the schedules to `migrate` (called from IntegrationsConfig.ready)."""
    from django.db.models.signals import post_migrate

    post_migrate.connect(
        ensure_schedules_after_migrate,
        sender=app_config,
        dispatch_uid="integrations_ensure_schedules",
    )
