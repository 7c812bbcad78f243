"""The calendar's parts of other pages: suggestions on My week, links on an entry (apps/calendars/README.md §6).

Each part reads the page owner's own calendar only, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.calendars import selectors


def week_part(*, request: Any, user: Any, week_start: Any, tz: Any = None, **_kw: Any) -> str:
    """ "From your calendar" under My week's grid: the week's suggestions by day, each with
    Add as hours and Dismiss; a line for flagged entries and refused changes."""
    if request.user.pk != user.pk:
        return ""
    account = selectors.account_of(user)
    if account is None or account.health == account.Health.DISCONNECTED:
        return ""
    from apps.timesheets.forms import task_label

    choices = selectors.choices_for(user=user)
    suggestions = selectors.suggestions_for(
        user=user, start=week_start, end=week_start + timedelta(days=7), choices=choices
    )
    for suggestion in suggestions:
        suggestion.link = selectors.browser_link(
            connection=account.connection, web_link=suggestion.event.web_link
        )
    linked = []
    for link in selectors.week_links(
        user=user, start=week_start, end=week_start + timedelta(days=7)
    ):
        entry = link.entry
        linked.append(
            {
                "entry": entry,
                "start": timezone.localtime(entry.started_at, user.tzinfo)
                if entry.started_at
                else None,
                "end": timezone.localtime(entry.ended_at, user.tzinfo) if entry.ended_at else None,
                "url": selectors.browser_link(
                    connection=account.connection, web_link=link.web_link
                ),
            }
        )
    context = {
        "account": account,
        "linked": linked,
        "days": selectors.suggestions_by_day(suggestions, start=week_start),
        "count": len(suggestions),
        "projects": choices.projects,
        "tasks": [(t, task_label(t)) for t in choices.tasks],
        "work_types": choices.work_types,
        "flagged": selectors.flagged_links(user=user).count(),
        "refusals": selectors.open_refusals(user=user).count(),
        "needs_attention": account.health != account.Health.OK,
        "health_words": selectors.health_words(account),
        "my_calendar_url": reverse("admin:calendars_my_calendar"),
        "confirm_url": reverse("admin:calendars_suggestion_confirm"),
        "dismiss_url": reverse("admin:calendars_suggestion_dismiss"),
        "next_url": request.get_full_path(),
    }
    return render_to_string("admin/calendars/week_part.html", context, request=request)


def entry_part(*, request: Any, entry: Any, **_kw: Any) -> str:
    """ "Open in Outlook" on an entry tied to a calendar event (its owner only)."""
    if entry is None or request.user.pk != entry.user_id:
        return ""
    link = selectors.entry_link(entry=entry)
    if link is None:
        return ""
    url = (
        ""
        if link.event_deleted_at
        else selectors.browser_link(connection=link.account.connection, web_link=link.web_link)
    )
    return render_to_string(
        "admin/calendars/entry_part.html",
        {
            "link": link,
            "url": url,
            "my_calendar_url": reverse("admin:calendars_my_calendar"),
        },
        request=request,
    )


def connect() -> None:
    """Registers the page parts (apps.core.extensions) and forgets the sidebar's cached
    "calendars are switched on" when a connection changes."""
    from django.db.models.signals import post_delete, post_save

    from apps.core import extensions
    from apps.integrations.models import Connection

    extensions.register("timesheets.week", week_part)
    extensions.register("timesheets.entry", entry_part)
    post_save.connect(selectors.forget_switched_on, sender=Connection, dispatch_uid="calendars-on")
    post_delete.connect(
        selectors.forget_switched_on, sender=Connection, dispatch_uid="calendars-on-del"
    )
