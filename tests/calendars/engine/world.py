"""Helpers of the engine's tests: a person with a project to register on, entries through
the services, and "the person edits Outlook" through the sandbox's own write path."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from apps.calendars.models import CalendarAccount, CalendarEvent
from tests.integrations.graph import world as graph_world

OSLO = ZoneInfo("Europe/Oslo")


def person(email: str = "kari@tidsbro.no") -> Any:
    return graph_world.person_make(email, first_name=email.split("@")[0].title())


def project_for(user: Any, name: str = "Harbour") -> Any:
    from tests.projects.factories import ProjectFactory, make_member

    project = ProjectFactory(name=name)
    make_member(project=project, user=user)
    return project


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=OSLO)


def today() -> dt.date:
    return dt.datetime.now(OSLO).date()


def entry(user: Any, project: Any, start: dt.datetime, end: dt.datetime, **data: Any) -> Any:
    from apps.timesheets.services import time_entry_create

    return time_entry_create(
        actor=data.pop("actor", user),
        user=user,
        project=project,
        started_at=start,
        ended_at=end,
        description=data.pop("description", "Quay survey"),
        **data,
    )


def mailbox(email: str = "kari@tidsbro.no") -> Any:
    from apps.sandbox.graph.models import Mailbox

    return Mailbox.objects.get(user_principal_name=email)


def graph_when(moment: dt.datetime) -> dict:
    utc = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return {"dateTime": utc.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def outlook_move(email: str, event_id: str, start: dt.datetime, end: dt.datetime) -> None:
    """The person moves the event in Outlook (the sandbox's write path: delta + notifications)."""
    from apps.sandbox.graph import events

    events.event_update(
        mailbox=mailbox(email),
        graph_id=event_id,
        data={"start": graph_when(start), "end": graph_when(end)},
    )


def outlook_edit(email: str, event_id: str, data: dict) -> None:
    from apps.sandbox.graph import events

    events.event_update(mailbox=mailbox(email), graph_id=event_id, data=data)


def outlook_delete(email: str, event_id: str) -> None:
    from apps.sandbox.graph import events

    events.event_delete(mailbox=mailbox(email), graph_id=event_id)


def outlook_add(
    email: str, subject: str, start: dt.datetime, end: dt.datetime, **extra: Any
) -> str:
    """Adds an event in Outlook; returns its immutable id."""
    from apps.sandbox.graph import events, ids

    box = mailbox(email)
    written = events.event_create(
        mailbox=box,
        data={"subject": subject, "start": graph_when(start), "end": graph_when(end), **extra},
    )
    return ids.immutable_id(box.pk, str(written.event.pk))


def sandbox_event(email: str, event_id: str) -> Any:
    """The sandbox's row of an event (what "Outlook" holds), or None when deleted."""
    from apps.sandbox.graph import events
    from apps.sandbox.graph.errors import GraphError

    try:
        event, _original = events.find(mailbox(email), event_id)
    except GraphError:
        return None
    return event


def mirror(account: CalendarAccount) -> list[CalendarEvent]:
    return list(CalendarEvent.objects.filter(account=account).order_by("starts_at", "event_id"))


def fresh(account: CalendarAccount) -> CalendarAccount:
    return CalendarAccount.objects.get(pk=account.pk)
