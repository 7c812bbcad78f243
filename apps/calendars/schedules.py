"""The calendars' django-q2 schedule, upserted by name (never duplicated): created by
`manage.py calendars_schedules` and after every `migrate` (as apps/integrations/schedules.py)."""

from __future__ import annotations

from typing import Any

NAME = "calendars: rounds (every 5 minutes)"


def planned() -> list[Any]:
    from django_q.models import Schedule

    from apps.integrations.schedules import Planned

    return [
        Planned(
            name=NAME,
            func="apps.calendars.jobs.round_all",
            schedule_type=Schedule.MINUTES,
            minutes=5,
        )
    ]


def ensure_schedules() -> dict[str, str]:
    """Creates or updates the schedules by name (the sync's upsert); returns name →
    created/updated/unchanged. An existing schedule keeps its next run."""
    from apps.integrations.schedules import ensure_schedules as upsert

    return upsert(plans=planned())


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
