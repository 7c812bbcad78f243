"""What the office and the registers change for people's calendars, through the real path:
the office's settings page (allow hours in calendars off and on again), projects and tasks
renamed through their services — the sandbox's Outlook over HTTP shows the result."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.calendars import sync
from apps.calendars.models import EntryEvent
from tests.accounts.factories import admin_user
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)

KARI = "kari@tidsbro.no"
SETTINGS = reverse("admin:integrations_connection_settings")


@pytest.fixture
def kari(calendar_account):
    """Kari, who saves her hours in her calendar, and a project she registers on."""
    from apps.calendars import services

    user = world.person(KARI)
    account = calendar_account(user, write=True)
    services.account_set_write_hours(actor=user, account=account, on=True)
    project = world.project_for(user, "Harbour")
    return user, world.fresh(account), project


def _office_allows_write(connection, allowed: bool) -> str:
    """An administrator saves the calendars' settings page."""
    client = Client()
    client.force_login(admin_user())
    data = {"action": "calendar_office", "tenant": connection.settings["tenant"]}
    if allowed:
        data["allow_write"] = "on"
    page = client.post(f"{SETTINGS}?connection={connection.pk}", data, follow=True)
    assert page.status_code == 200
    connection.refresh_from_db()
    assert connection.settings["allow_write"] is allowed
    return page.content.decode()


def _link(entry) -> EntryEvent:
    return EntryEvent.objects.get(entry_ref=entry.pk)


def test_hours_stop_going_to_calendars_when_the_office_switches_it_off(kari, graph_connection):
    from apps.timesheets.services import time_entry_update

    user, account, project = kari
    day = world.today()
    first = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(first).event_id
    assert world.sandbox_event(KARI, event_id).start == world.at(day, 8)

    page = _office_allows_write(graph_connection, False)
    assert "Tidsbro only reads people" in page

    # Kari moves the entry and registers another: nothing is queued, nothing written.
    time_entry_update(
        actor=user,
        entry=first,
        data={"started_at": world.at(day, 12), "ended_at": world.at(day, 13)},
    )
    second = world.entry(user, project, world.at(day, 14), world.at(day, 15))
    assert _link(first).push_status == EntryEvent.Push.DONE
    assert not EntryEvent.objects.filter(entry_ref=second.pk).exists()
    result = sync.run_round(account.pk)
    assert not result.error and result.pushed == 0
    # The event already written stays as it was; Outlook has no event of the new entry.
    kept = world.sandbox_event(KARI, event_id)
    assert (kept.start, kept.end) == (world.at(day, 8), world.at(day, 9))
    assert [e.event_id for e in world.mirror(account) if e.subject == "Harbour"] == [event_id]

    # Allowed again: what changed meanwhile goes at once (moved, and the new one made).
    page = _office_allows_write(graph_connection, True)
    assert "People may save their hours in their calendar" in page
    moved = world.sandbox_event(KARI, event_id)
    assert (moved.start, moved.end) == (world.at(day, 12), world.at(day, 13))
    link = _link(second)
    assert link.push_status == EntryEvent.Push.DONE and link.event_id
    made = world.sandbox_event(KARI, link.event_id)
    assert (made.start, made.end) == (world.at(day, 14), world.at(day, 15))


def test_a_write_waiting_when_the_office_switches_it_off_is_not_made(kari, graph_connection):
    from apps.calendars import push

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    _office_allows_write(graph_connection, False)
    # A write queued just before (e.g. a refused change put back) waits; the round skips it.
    entry.description = "Changed before the switch"
    entry.save(update_fields=["description"])
    push.queue_put_back(_link(entry))
    result = sync.run_round(account.pk)
    assert not result.error and result.pushed == 0
    assert world.sandbox_event(KARI, event_id).body_content == "Quay survey"
    assert _link(entry).push_status == EntryEvent.Push.PENDING


# --- projects and tasks renamed ------------------------------------------------------------


def test_a_renamed_project_or_task_renames_the_events_of_its_entries(kari):
    from apps.projects.services import project_update
    from apps.tasks.services import task_update
    from apps.timesheets.models import TimeEntryTransition
    from apps.timesheets.services import time_entry_transition
    from tests.tasks.factories import TaskFactory

    user, account, project = kari
    task = TaskFactory(project=project, name="Piling")
    task.assignees.add(user)
    other = world.project_for(user, "Quarry")
    day = world.today()
    plain = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    tasked = world.entry(user, project, world.at(day, 9), world.at(day, 10), task=task)
    approved = world.entry(user, project, world.at(day, 10), world.at(day, 11))
    elsewhere = world.entry(user, other, world.at(day, 11), world.at(day, 12))
    office = admin_user()
    Action = TimeEntryTransition.Action
    time_entry_transition(actor=user, entry=approved, action=Action.SUBMIT)
    time_entry_transition(actor=office, entry=approved, action=Action.APPROVE_USER)

    def subjects() -> list[str]:
        return [
            world.sandbox_event(KARI, _link(e).event_id).subject
            for e in (plain, tasked, approved, elsewhere)
        ]

    assert subjects() == ["Harbour", "Harbour · Piling", "Harbour", "Quarry"]

    project_update(project=project, data={"name": "Harbour North"})
    assert subjects() == ["Harbour North", "Harbour North · Piling", "Harbour North", "Quarry"]
    task_update(task=task, data={"name": "Piling and sheet piles"})
    assert subjects() == [
        "Harbour North",
        "Harbour North · Piling and sheet piles",
        "Harbour North",
        "Quarry",
    ]
    # The approved entry is untouched; the calendar and Tidsbro agree (nothing to refuse).
    approved.refresh_from_db()
    assert approved.status == approved.Status.USER_APPROVED
    result = sync.run_round(account.pk)
    assert (result.pushed, result.refused, result.error) == (0, 0, "")
    assert not EntryEvent.objects.filter(push_status=EntryEvent.Push.PENDING).exists()


def test_a_project_or_task_renamed_by_the_erps_sync_renames_the_events_too(kari):
    """The ERP's pull writes inside sync_writes (no local change is reported, so nothing is
    pushed back to the ERP); the calendar's events follow the new names all the same."""
    from apps.core.hooks import sync_writes
    from apps.projects.services import projects_update_from_erp
    from apps.tasks.services import tasks_update_from_erp
    from tests.tasks.factories import TaskFactory

    user, _account, project = kari
    task = TaskFactory(project=project, name="Piling")
    task.assignees.add(user)
    day = world.today()
    plain = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    tasked = world.entry(user, project, world.at(day, 9), world.at(day, 10), task=task)

    def subjects() -> list[str]:
        return [world.sandbox_event(KARI, _link(e).event_id).subject for e in (plain, tasked)]

    assert subjects() == ["Harbour", "Harbour · Piling"]
    with sync_writes():
        projects_update_from_erp(changes=[(project, {"name": "Harbour North"})])
    assert subjects() == ["Harbour North", "Harbour North · Piling"]
    with sync_writes():
        tasks_update_from_erp(changes=[(task, {"name": "Sheet piles"})])
    assert subjects() == ["Harbour North", "Harbour North · Sheet piles"]


def test_a_project_change_that_renames_nothing_costs_one_query(kari, django_assert_num_queries):
    from apps.calendars import push

    user, account, project = kari
    day = world.today()
    for hour in (8, 10, 12):
        world.entry(user, project, world.at(day, hour), world.at(day, hour + 1))
    with django_assert_num_queries(1):
        assert push.queue_renamed(project_ids=[project.pk]) == []


def test_a_rename_writes_nothing_for_people_who_do_not_save_hours(calendar_account):
    from apps.calendars import services
    from apps.projects.services import project_update

    user = world.person(KARI)
    account = calendar_account(user, write=True)
    project = world.project_for(user, "Harbour")
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    services.account_set_write_hours(actor=user, account=world.fresh(account), on=False)
    project_update(project=project, data={"name": "Harbour North"})
    assert _link(entry).push_status == EntryEvent.Push.DONE
    assert world.sandbox_event(KARI, event_id).subject == "Harbour"
