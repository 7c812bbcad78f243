"""The calendars' django-q2 schedule, upserted by name (never duplicated): created by
`manage.py calendars_schedules` and after every `migrate` (as apps/integrations/schedules.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

NAME = "calendars: rounds (every 5 minutes)"


def planned() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": NAME,
            "func": "apps.calendars.jobs.round_all",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
        }
    ]


def ensure_schedules() -> dict[str, str]:
    """Creates or updates the schedules by name; returns name → created/updated/unchanged.
    An existing schedule keeps its next run."""
    from django_q.models import Schedule

    result: dict[str, str] = {}
    with transaction.atomic():
        for plan in planned():
            name = plan["name"]
            wanted = {
                "func": plan["func"],
                "schedule_type": plan["schedule_type"],
                "minutes": plan["minutes"],
                "kwargs": None,
                "args": None,
                "repeats": -1,
            }
            rows = list(Schedule.objects.select_for_update().filter(name=name).order_by("pk"))
            if not rows:
                Schedule.objects.create(name=name, next_run=timezone.now(), **wanted)
                result[name] = "created"
                continue
            row, extra = rows[0], rows[1:]
            for duplicate in extra:
                duplicate.delete()
            changed = [k for k, v in wanted.items() if getattr(row, k) != v]
            for key in changed:
                setattr(row, key, wanted[key])
            if changed or extra:
                row.save()
                result[name] = "updated"
            else:
                result[name] = "unchanged"
    return result


def ensure_schedules_after_migrate(sender: Any, **kwargs: Any) -> None:
    """post_migrate receiver: once, when this app has migrated, with django_q's tables."""
    if getattr(sender, "label", None) != "calendars":
        return
    from django.db import connection

    if "django_q_schedule" not in connection.introspection.table_names():
        return
    ensure_schedules()


def connect(app_config: Any) -> None:
    from django.db.models.signals import post_migrate

    post_migrate.connect(
        ensure_schedules_after_migrate, sender=app_config, dispatch_uid="calendars_ensure_schedules"
    )
