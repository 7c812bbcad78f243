"""The calendar sync's subscriptions to local changes and logins (engine; apps/calendars/README.md §5).

- An hour created, changed or deleted (by anyone: the person, a
  project manager or an administrator registering for them) whose owner saves their hours in
  their calendar: its event is queued to be created, moved or removed (an entry without start
  and stop has no event), in the change's own transaction, and a round is asked for after
  the commit. An entry changed because its event moved (`sync.following`) writes nothing back.
- A project or task changed, here or by the ERP's sync (`names_changed`): the events of its
  entries whose subject ("Project · Task") is no longer right are queued to be updated (one
  query; none when nothing was renamed).
- A person logs in: a round of their calendar.
"""

from __future__ import annotations

from typing import Any

from apps.core import hooks as core_hooks


def connect() -> None:
    """Subscribes to hour changes and logins."""
    from django.contrib.auth.signals import user_logged_in

    core_hooks.subscribe(local_change)
    core_hooks.subscribe_names(names_changed)
    user_logged_in.connect(on_login, dispatch_uid="calendars_round_at_login")


# Hour events that can change an event's values (the approval steps never do).
_WRITES = frozenset({"created", "changed"})


def local_change(entity: str, pk: int, event: str = "changed") -> None:
    if entity in _NAMED:
        if event == "changed":
            names_changed(entity, [pk])
        return
    if entity != "hour":
        return
    from apps.calendars import common, push, services, sync
    from apps.calendars.models import CalendarAccount

    if event == "deleted":
        for account_id in push.queue_entry_gone(pk):
            services.request_round(account_id, "entry deleted")
        return
    if event not in _WRITES or sync.following() == pk:
        return
    # One query for everybody who does not save their hours in a calendar.
    account = (
        CalendarAccount.objects.select_related("connection")
        .filter(user__time_entries__pk=pk, write_hours=True)
        .first()
    )
    if account is None or not common.may_write(account):
        return
    from apps.timesheets.models import TimeEntry

    entry = TimeEntry.objects.select_related("user", "project", "task").filter(pk=pk).first()
    if entry is not None and push.queue_entry(account, entry):
        services.request_round(account, f"entry {event}")


# What names Tidsbro's events ("Project · Task").
_NAMED = frozenset({"project", "task"})


def names_changed(entity: str, pks: list[int]) -> None:
    """Projects or tasks changed (perhaps renamed), here or by the ERP's sync: the events of
    their entries in calendars get the new subject."""
    if entity not in _NAMED:
        return
    from apps.calendars import push, services
    from apps.calendars.selectors import calendars_switched_on

    if not calendars_switched_on():
        return
    key = "project_ids" if entity == "project" else "task_ids"
    for account_id in push.queue_renamed(**{key: pks}):
        services.request_round(account_id, f"{entity} renamed")


def on_login(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    from apps.calendars import services
    from apps.calendars.models import CalendarAccount

    account_id = (
        CalendarAccount.objects.filter(user_id=user.pk)
        .exclude(health=CalendarAccount.Health.DISCONNECTED)
        .values_list("pk", flat=True)
        .first()
    )
    if account_id is not None:
        services.request_round(account_id, "login")
