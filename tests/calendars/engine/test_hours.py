"""A person's hours in their calendar and back (apps/calendars/README.md §0 rules), through the real path:
entries through the timesheet services, "Outlook" edits through the sandbox's write path, the
rounds over HTTP (notifications delivered inline run them at once)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.calendars import sync
from apps.calendars.models import EntryEvent, Refusal
from apps.timesheets.models import TimeEntry
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)

KARI = "kari@tidsbro.no"


@pytest.fixture
def kari(calendar_account):
    """Kari, who saves her hours in her calendar, and a project she registers on."""
    from apps.calendars import services

    user = world.person(KARI)
    account = calendar_account(user, write=True)
    services.account_set_write_hours(actor=user, account=account, on=True)
    project = world.project_for(user, "Harbour")
    return user, world.fresh(account), project


def _link(entry) -> EntryEvent:
    return EntryEvent.objects.get(entry_ref=entry.pk)


def test_an_entry_with_start_and_stop_becomes_an_event_in_the_calendar(kari):
    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9, 30))
    link = _link(entry)
    assert link.push_status == EntryEvent.Push.DONE and link.event_id
    event = world.sandbox_event(KARI, link.event_id)
    assert event.subject == "Harbour"
    assert event.categories == ["Tidsbro"] and event.show_as == "free"
    assert event.body_content == "Quay survey"
    assert (event.start, event.end) == (world.at(day, 8), world.at(day, 9, 30))
    assert event.time_zone == "Europe/Oslo"
    # It is Tidsbro's own: in the mirror, never a suggestion; an unchanged round writes nothing.
    result = sync.run_round(account.pk)
    assert (result.pushed, result.followed, result.refused) == (0, 0, 0)


def test_an_entry_without_times_never_goes_and_one_that_loses_them_loses_its_event(kari):
    from apps.timesheets.services import time_entry_create, time_entry_update

    user, account, project = kari
    plain = time_entry_create(actor=user, user=user, project=project, hours="2.00")
    assert not EntryEvent.objects.filter(entry_ref=plain.pk).exists()
    day = world.today()
    entry = world.entry(user, project, world.at(day, 10), world.at(day, 11))
    event_id = _link(entry).event_id
    time_entry_update(actor=user, entry=entry, data={"hours": "1.00"})
    assert world.sandbox_event(KARI, event_id) is None
    link = _link(entry)
    assert link.event_id == "" and link.push_status == EntryEvent.Push.NONE


def test_a_task_names_the_event_and_an_edit_moves_it(kari):
    from apps.timesheets.services import time_entry_update
    from tests.tasks.factories import TaskFactory

    user, account, project = kari
    task = TaskFactory(project=project, name="Piling")
    task.assignees.add(user)
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9), task=task)
    event_id = _link(entry).event_id
    assert world.sandbox_event(KARI, event_id).subject == "Harbour · Piling"
    time_entry_update(
        actor=user,
        entry=entry,
        data={
            "started_at": world.at(day, 12),
            "ended_at": world.at(day, 13),
            "description": "Moved",
        },
    )
    event = world.sandbox_event(KARI, event_id)
    assert (event.start, event.end, event.body_content) == (
        world.at(day, 12),
        world.at(day, 13),
        "Moved",
    )
    assert _link(entry).event_id == event_id  # moved, not made again


def test_hours_a_project_manager_registers_for_the_person_go_to_her_calendar(kari):
    from tests.accounts.factories import UserFactory

    user, account, project = kari
    admin = UserFactory(is_superuser=True)
    day = world.today()
    entry = world.entry(user, project, world.at(day, 14), world.at(day, 15), actor=admin)
    assert world.sandbox_event(KARI, _link(entry).event_id).subject == "Harbour"


def test_a_deleted_entry_deletes_its_event(kari):
    from apps.timesheets.services import time_entry_delete

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    time_entry_delete(actor=user, entry=entry)
    assert world.sandbox_event(KARI, event_id) is None
    assert not EntryEvent.objects.filter(entry_ref=entry.pk).exists()


def test_the_event_moved_in_outlook_moves_the_draft_entry(kari):
    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    # The notification (delivered inline) runs the round at once.
    world.outlook_move(KARI, event_id, world.at(day, 10), world.at(day, 12))
    entry.refresh_from_db()
    assert (entry.started_at, entry.ended_at) == (world.at(day, 10), world.at(day, 12))
    assert str(entry.hours) == "2.00"
    world.outlook_edit(KARI, event_id, {"body": {"contentType": "text", "content": "Crane"}})
    entry.refresh_from_db()
    assert entry.description == "Crane"
    # Nothing was written back (the entry took the calendar's values), nothing refused.
    assert not Refusal.objects.exists()
    event = world.sandbox_event(KARI, event_id)
    assert (event.start, event.end) == (world.at(day, 10), world.at(day, 12))
    assert sync.run_round(account.pk).pushed == 0


def _calendar_down(down: bool) -> None:
    """The sandbox's calendar answers 503 to every request (a write of Tidsbro's waits)."""
    from apps.sandbox.graph.models import Knobs
    from apps.sandbox.graph.runtime import knobs_get

    Knobs.objects.filter(pk=knobs_get().pk).update(
        fault_rate=1.0 if down else 0.0, fault_503=True, fault_429=False
    )


def _edit_while_the_calendar_is_down(entry, **data) -> None:
    from apps.timesheets.services import time_entry_update

    _calendar_down(True)
    time_entry_update(actor=entry.user, entry=entry, data=data)
    link = _link(entry)
    assert link.push_status == EntryEvent.Push.PENDING  # Tidsbro's write waits
    _calendar_down(False)


def test_an_outlook_move_while_a_tidsbro_edit_waits_keeps_both_changes(kari):
    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    _edit_while_the_calendar_is_down(entry, description="Survey notes")
    # The person moves the meeting in Outlook before Tidsbro's write got through.
    world.outlook_move(KARI, event_id, world.at(day, 10), world.at(day, 12))
    entry.refresh_from_db()
    assert (entry.started_at, entry.ended_at) == (world.at(day, 10), world.at(day, 12))
    assert entry.description == "Survey notes"
    event = world.sandbox_event(KARI, event_id)
    assert (event.start, event.end) == (world.at(day, 10), world.at(day, 12))
    assert event.body_content == "Survey notes"
    assert _link(entry).push_status == EntryEvent.Push.DONE
    assert not Refusal.objects.exists()
    assert sync.run_round(account.pk).pushed == 0  # settled


def test_the_same_times_changed_on_both_sides_keep_tidsbros_and_list_the_outlook_change(kari):
    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    _edit_while_the_calendar_is_down(
        entry, started_at=world.at(day, 13), ended_at=world.at(day, 14)
    )
    world.outlook_edit(
        KARI,
        event_id,
        {
            "start": world.graph_when(world.at(day, 10)),
            "end": world.graph_when(world.at(day, 12)),
            "body": {"contentType": "text", "content": "Bring the drawings"},
        },
    )
    entry.refresh_from_db()
    # Tidsbro's times stay (and go to the calendar); the description, changed in Outlook
    # only, is taken; the times Outlook said are listed for the person, not dropped.
    assert (entry.started_at, entry.ended_at) == (world.at(day, 13), world.at(day, 14))
    assert entry.description == "Bring the drawings"
    event = world.sandbox_event(KARI, event_id)
    assert (event.start, event.end) == (world.at(day, 13), world.at(day, 14))
    refusal = Refusal.objects.get()
    assert refusal.entry == entry and "same time" in refusal.reason
    assert "times were kept" in refusal.reason
    assert "10:00" in refusal.calendar_said and "13:00" in refusal.entry_was
    sync.run_round(account.pk)
    assert Refusal.objects.count() == 1


def test_a_round_that_read_the_entry_before_the_person_saved_it_never_writes_it_back(kari):
    """The round read the entry, then the person saved it in Tidsbro, then the round follows
    an Outlook move: nothing of the round's old copy is saved over the person's edit."""
    from apps.calendars.models import CalendarEvent
    from apps.timesheets.services import time_entry_update
    from tests.worktypes.factories import WorkTypeFactory

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    read_by_the_round = EntryEvent.objects.select_related("entry__user").get(entry_ref=entry.pk)
    # Kari changes what the calendar does not show (the work type) and the description.
    travel = WorkTypeFactory(name="Travel")
    time_entry_update(
        actor=user, entry=entry, data={"work_type": travel, "description": "Written by Kari"}
    )
    moved = CalendarEvent.objects.get(account=account, event_id=read_by_the_round.event_id)
    moved.starts_at, moved.ends_at = world.at(day, 10), world.at(day, 12)
    moved.change_key = "moved-in-outlook"
    result = sync.RoundResult()
    sync.follow(account, read_by_the_round, moved, result)
    entry.refresh_from_db()
    assert entry.work_type == travel and entry.description == "Written by Kari"
    assert (entry.started_at, entry.ended_at) == (world.at(day, 8), world.at(day, 9))
    assert result.followed == 0 and not Refusal.objects.exists()
    # Read again as it is now, the move is taken and the person's text stays.
    sync.follow(account, _link(entry), moved, result)
    entry.refresh_from_db()
    assert (entry.started_at, entry.ended_at) == (world.at(day, 10), world.at(day, 12))
    assert entry.work_type == travel and entry.description == "Written by Kari"
    assert result.followed == 1


def test_an_approved_entry_is_untouched_the_refusal_listed_and_the_event_put_back(kari):
    from apps.timesheets.services import time_entry_transition
    from tests.accounts.factories import UserFactory

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    approver = UserFactory(is_superuser=True)
    time_entry_transition(actor=user, entry=entry, action="submit")
    time_entry_transition(actor=approver, entry=entry, action="approve_user")
    world.outlook_move(KARI, event_id, world.at(day, 15), world.at(day, 16))
    entry.refresh_from_db()
    assert (entry.started_at, entry.ended_at) == (world.at(day, 8), world.at(day, 9))
    refusal = Refusal.objects.get()
    assert refusal.entry == entry and refusal.account == account
    assert "read-only" in refusal.reason or "approved" in refusal.reason.lower()
    assert "15:00" in refusal.calendar_said and "08:00" in refusal.entry_was
    event = world.sandbox_event(KARI, event_id)
    assert (event.start, event.end) == (world.at(day, 8), world.at(day, 9))  # put back
    # Rounds after it refuse nothing more (the put-back is Tidsbro's own write).
    sync.run_round(account.pk)
    assert Refusal.objects.count() == 1


def test_an_event_deleted_in_outlook_flags_the_entry_and_a_later_edit_writes_a_new_one(kari):
    from apps.timesheets.services import time_entry_update

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    world.outlook_delete(KARI, event_id)
    entry.refresh_from_db()  # still there
    link = _link(entry)
    assert link.event_deleted_at is not None and link.entry == entry
    time_entry_update(actor=user, entry=entry, data={"description": "Again"})
    link = _link(entry)
    assert link.event_deleted_at is None and link.event_id and link.event_id != event_id
    assert world.sandbox_event(KARI, link.event_id).body_content == "Again"


def test_a_confirmed_meetings_entry_follows_its_event_and_is_flagged_when_it_is_deleted(
    calendar_account,
):
    from apps.calendars import suggestions
    from apps.calendars.models import CalendarEvent

    user = world.person(KARI)
    account = calendar_account(user)
    project = world.project_for(user)
    day = world.today() + dt.timedelta(days=1)
    event_id = world.outlook_add(KARI, "Harbour meeting", world.at(day, 9), world.at(day, 10))
    row = CalendarEvent.objects.get(account=account, event_id=event_id)
    entry = suggestions.confirm(actor=user, user=user, event_pk=row.pk, project=project)
    world.outlook_move(KARI, event_id, world.at(day, 9, 30), world.at(day, 11))
    entry.refresh_from_db()
    assert (entry.started_at, entry.ended_at) == (world.at(day, 9, 30), world.at(day, 11))
    # Tidsbro never writes the person's own meeting.
    assert world.sandbox_event(KARI, event_id).categories == []
    world.outlook_delete(KARI, event_id)
    assert TimeEntry.objects.filter(pk=entry.pk).exists()
    assert EntryEvent.objects.get(entry_ref=entry.pk).event_deleted_at is not None


def test_switching_writing_on_queues_the_entries_of_the_window(calendar_account):
    from apps.calendars import services

    user = world.person(KARI)
    account = calendar_account(user, write=True)
    # Write access is asked for only to save hours: connecting with it switches them on.
    assert account.write_hours
    services.account_set_write_hours(actor=user, account=account, on=False)
    project = world.project_for(user)
    day = world.today()
    first = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    second = world.entry(user, project, world.at(day, 9), world.at(day, 10))
    assert not EntryEvent.objects.exists()
    services.account_set_write_hours(actor=user, account=world.fresh(account), on=True)
    for entry in (first, second):
        assert world.sandbox_event(KARI, _link(entry).event_id).subject == "Harbour"


def test_writing_needs_the_write_permission(calendar_account):
    from apps.calendars import services
    from apps.core.exceptions import ApplicationError

    user = world.person(KARI)
    account = calendar_account(user)  # read only
    with pytest.raises(ApplicationError, match="Connect your calendar again"):
        services.account_set_write_hours(actor=user, account=account, on=True)


def test_a_refusal_is_written_in_the_persons_language_and_date_format(kari):
    from django.utils import formats, translation

    from apps.timesheets.services import time_entry_transition

    user, account, project = kari
    user.language = "nb"
    user.save(update_fields=["language"])
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    event_id = _link(entry).event_id
    time_entry_transition(actor=user, entry=entry, action="submit")
    world.outlook_move(KARI, event_id, world.at(day, 15), world.at(day, 16))
    refusal = Refusal.objects.get()
    with translation.override("nb"):
        expected = formats.date_format(day, "SHORT_DATE_FORMAT")
        reason = translation.gettext(
            "Submitted hours cannot be changed until they are approved or sent back."
        )
    # The worker ran in English; the person reads Norwegian on My calendar.
    assert reason != "Submitted hours cannot be changed until they are approved or sent back."
    assert refusal.reason == reason
    assert refusal.entry_was.startswith(f"{expected} 08:00")
    assert refusal.calendar_said.startswith(f"{expected} 15:00")
