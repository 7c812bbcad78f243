"""The seeded sandbox calendar, read by the engine's round, as suggestions on My week, and one
made into hours — the whole path over HTTP (sign-in, delta round, page, confirm)."""

import datetime
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.calendars import sync
from apps.timesheets.models import TimeEntry
from tests.integrations.graph import world
from tests.integrations.graph.conftest import (  # noqa: F401
    calendar_account,
    graph_connection,
    graph_sandbox,
)
from tests.projects.factories import ProjectFactory, make_member

WEEK = reverse("admin:timesheets_timeentry_week")


def _week(offset: int = 0) -> str:
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday() - 7 * offset)
    year, week, _ = monday.isocalendar()
    return f"{WEEK}?week={year}-W{week:02d}"


def _panel(client: Client, url: str) -> str:
    text = client.get(url).content.decode()
    return text.split('id="from-calendar"', 1)[1] if 'id="from-calendar"' in text else ""


def _event_pk(panel: str, subject: str) -> str:
    row = panel.split(subject, 1)[0].rsplit('data-event="', 1)[1]
    return row.split('"', 1)[0]


def test_the_calendar_becomes_suggestions_and_one_click_makes_hours(
    calendar_account,  # noqa: F811
):
    kari = world.person_make("kari@tidsbro.no", time_zone="Europe/Oslo")
    customer_work = ProjectFactory(name="Customer work")
    make_member(project=customer_work, user=kari)
    account = calendar_account(kari)
    sync.run_round(account.pk, reason="test")
    client = Client()
    client.force_login(kari)

    panel = _panel(client, _week())
    for shown in ("Project kick-off", "Design review", "Weekly status (moved)"):
        assert shown in panel
    assert "Private appointment" in panel and "Doctor" not in panel
    for hidden in ("Focus time", "Company conference", "Vendor demo", "Steering group"):
        assert hidden not in panel
    # The meeting's category names a project open for Kari: pre-chosen.
    kickoff = _event_pk(panel, "Project kick-off")
    row = panel.split(f'data-event="{kickoff}"', 1)[1].split("</select>", 1)[0]
    assert re.search(rf'<option value="{customer_work.pk}"[^>]* selected', row)

    # A recurring meeting: each week's occurrence is its own suggestion.
    earlier = [_panel(client, _week(-1)), _panel(client, _week(-2))]
    assert all(p.count("Weekly status") == 1 for p in earlier)
    assert _event_pk(earlier[0], "Weekly status") != _event_pk(earlier[1], "Weekly status")

    response = client.post(
        reverse("admin:calendars_suggestion_confirm"),
        {"event": kickoff, "project": customer_work.pk, "next": _week()},
    )
    assert response.status_code == 302
    entry = TimeEntry.objects.get(user=kari)
    local = timezone.localtime(entry.started_at, kari.tzinfo)
    assert (local.hour, local.minute, entry.hours) == (9, 0, 1.5)
    assert entry.description == "Project kick-off"
    # The next round (the same events again) leaves one entry and no suggestion for it.
    sync.run_round(account.pk, reason="again")
    assert "Project kick-off" not in _panel(client, _week()).split("has an event in your")[0]
    assert TimeEntry.objects.filter(user=kari).count() == 1
