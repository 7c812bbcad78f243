"""The week timesheet's services: save a week cell by cell, submit it, approve it, the timer."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.projects.models import Project
from apps.timesheets.forms import CellError, parse_cell
from apps.timesheets.models import TimeEntry, Timer
from apps.timesheets.selectors import approval_weeks, timesheet_week, week_rows_to_copy
from apps.timesheets.services import (
    CellValue,
    WeekErrors,
    WeekRowInput,
    time_entry_create,
    time_entry_transition,
    timer_discard,
    timer_start,
    timer_stop,
    timesheet_week_approve,
    timesheet_week_reject,
    timesheet_week_save,
    timesheet_week_submit,
)
from tests.accounts.factories import admin_user, employee, project_manager
from tests.projects.factories import ProjectFactory, ProjectMemberFactory, manager_role
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

Status = TimeEntry.Status
MONDAY = datetime.date(2026, 11, 30)  # ISO week 49


def _member(user, **project) -> Project:
    return ProjectMemberFactory(user=user, project=ProjectFactory(**project)).project


def _row(project, *cells, task=None, work_type=None) -> WeekRowInput:
    values = {}
    for day, value in enumerate(cells):
        if value is ...:
            continue
        values[day] = None if value is None else CellValue(hours=Decimal(value))
    return WeekRowInput(project=project, task=task, work_type=work_type, cells=values)


def _save(person, *rows, actor=None):
    return timesheet_week_save(
        actor=actor or person, user=person, week_start=MONDAY, rows=list(rows)
    )


def _hours_by_day(person) -> dict:
    return {
        e.date.isoformat(): e.hours for e in TimeEntry.objects.filter(user=person).order_by("date")
    }


# --- reading what is typed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7,5", CellValue(hours=Decimal("7.50"))),
        ("7.5", CellValue(hours=Decimal("7.50"))),
        ("7:30", CellValue(hours=Decimal("7.50"))),
        (" 8 t", CellValue(hours=Decimal("8.00"))),
        ("0,25", CellValue(hours=Decimal("0.25"))),
        ("08:00-15:30", CellValue(start=datetime.time(8), stop=datetime.time(15, 30))),
        ("8–16", CellValue(start=datetime.time(8), stop=datetime.time(16))),
        ("", None),
        ("0", None),
    ],
)
def test_a_cell_reads_comma_decimals_clock_hours_and_start_stop(text, expected):
    assert parse_cell(text) == expected


@pytest.mark.parametrize("text", ["abc", "-2", "7,5,5", "25:00-26:00", "8:75", "1e3x"])
def test_a_cell_that_is_not_hours_is_refused(text):
    with pytest.raises(CellError):
        parse_cell(text)


# --- saving a week ----------------------------------------------------------------------


def test_saving_a_week_creates_changes_and_empties_cells():
    kari = employee()
    project = _member(kari)
    _save(kari, _row(project, "7.5", "7.5", "4"))
    assert _hours_by_day(kari) == {
        "2026-11-30": Decimal("7.50"),
        "2026-12-01": Decimal("7.50"),
        "2026-12-02": Decimal("4.00"),
    }
    work_type = TimeEntry.objects.filter(user=kari).first().work_type
    result = _save(kari, _row(project, "8", None, ..., work_type=work_type))
    assert (result.created, result.changed, result.deleted) == (0, 1, 1)
    assert _hours_by_day(kari) == {"2026-11-30": Decimal("8.00"), "2026-12-02": Decimal("4.00")}
    entries = TimeEntry.objects.filter(user=kari)
    assert {e.status for e in entries} == {Status.DRAFT}
    assert {e.work_type for e in entries} == {project.default_work_type}


def test_saving_an_unchanged_week_writes_nothing():
    kari = employee()
    project = _member(kari)
    _save(kari, _row(project, "7.5"))
    row = _row(project, "7.50", work_type=project.default_work_type)
    result = _save(kari, row)
    assert (result.created, result.changed, result.deleted) == (0, 0, 0)


def test_a_start_and_stop_cell_is_the_persons_local_time():
    kari = employee()
    project = _member(kari)
    cell = CellValue(start=datetime.time(8), stop=datetime.time(15, 30))
    _save(kari, WeekRowInput(project=project, task=None, work_type=None, cells={1: cell}))
    entry = TimeEntry.objects.get(user=kari)
    assert entry.date == datetime.date(2026, 12, 1)
    assert entry.hours == Decimal("7.50")
    assert entry.started_at == datetime.datetime(2026, 12, 1, 7, 0, tzinfo=datetime.UTC)


def test_a_day_over_24_hours_is_refused_on_its_cell_and_nothing_is_saved():
    kari = employee()
    first, second = _member(kari), _member(kari)
    with pytest.raises(WeekErrors) as refused:
        _save(kari, _row(first, "8", "16"), _row(second, "4", "10"))
    # Tuesday (day 1) has 16 + 10: the cell written last is refused; Monday is fine.
    assert list(refused.value.cells) == [(0, 1)]
    assert "a day has at most 24" in refused.value.cells[(0, 1)]
    assert not TimeEntry.objects.filter(user=kari).exists()


def test_moving_hours_between_rows_of_a_full_day_is_allowed():
    kari = employee()
    first, second = _member(kari), _member(kari)
    _save(kari, _row(first, "20"), _row(second, "4"))
    # 20 → 4 on the first row, 4 → 20 on the second: the decrease is written first.
    _save(
        kari,
        _row(second, "20", work_type=second.default_work_type),
        _row(first, "4", work_type=first.default_work_type),
    )
    assert sorted(TimeEntry.objects.filter(user=kari).values_list("hours", flat=True)) == [
        Decimal("4.00"),
        Decimal("20.00"),
    ]


def test_a_week_on_an_archived_project_is_refused():
    kari = employee()
    project = _member(kari, status=Project.Status.ARCHIVED)
    with pytest.raises(WeekErrors) as refused:
        _save(kari, _row(project, "7.5"))
    assert "archived" in refused.value.cells[(0, 0)]


def test_a_task_the_person_is_not_assigned_to_is_refused():
    kari = employee()
    project = _member(kari)
    task = TaskFactory(project=project)
    with pytest.raises(WeekErrors) as refused:
        _save(kari, _row(project, "7.5", task=task))
    assert "assignees" in refused.value.cells[(0, 0)]
    task.assignees.add(kari)
    _save(kari, _row(project, "7.5", task=task))
    assert TimeEntry.objects.get(user=kari).task == task


def test_approved_hours_in_a_week_cannot_be_changed_and_the_cell_says_why():
    kari = employee()
    project = _member(kari)
    TimeEntryFactory(
        user=kari, project=project, date=MONDAY, hours=Decimal("7.5"), status=Status.LOCKED
    )
    with pytest.raises(WeekErrors) as refused:
        _save(kari, _row(project, "3", work_type=project.default_work_type))
    assert "read-only" in refused.value.cells[(0, 0)]
    # The same value sent back (a read-only cell shown as it is) is no change.
    _save(kari, _row(project, "7.5", work_type=project.default_work_type))


def test_nobody_saves_someone_elses_week():
    kari, ola = employee(), employee()
    project = _member(kari)
    with pytest.raises(ApplicationError, match="only register and change your own"):
        _save(kari, _row(project, "7.5"), actor=ola)


def test_the_same_row_twice_is_refused():
    kari = employee()
    project = _member(kari)
    with pytest.raises(WeekErrors) as refused:
        _save(kari, _row(project, "1"), _row(project, ..., "2"))
    assert refused.value.cells == {(1, None): "This row is already in the week."}


# --- the week read back, copied and submitted ------------------------------------------


def test_the_week_has_rows_and_totals_per_day_and_week():
    kari = employee()
    a, b = _member(kari, name="Alfa"), _member(kari, name="Beta")
    _save(kari, _row(b, "1", "2"), _row(a, "7.5", ..., ..., ..., ..., ..., "1"))
    sheet = timesheet_week(user=kari, week_start=MONDAY)
    assert [r.project.name for r in sheet.rows] == ["Alfa", "Beta"]
    assert sheet.day_totals == [Decimal("8.5"), 2, 0, 0, 0, 0, 1]
    assert sheet.total == Decimal("11.5")


def test_last_weeks_rows_are_offered_without_archived_projects():
    kari = employee()
    kept, archived = _member(kari, name="Kept"), _member(kari, name="Gone")
    for project in (kept, archived):
        TimeEntryFactory(user=kari, project=project, date=MONDAY - datetime.timedelta(days=5))
    Project.objects.filter(pk=archived.pk).update(status=Project.Status.ARCHIVED)
    assert week_rows_to_copy(user=kari, week_start=MONDAY) == [
        (kept.pk, None, kept.default_work_type_id)
    ]


def test_submitting_the_week_submits_every_draft_of_it():
    kari = employee()
    project = _member(kari)
    _save(kari, _row(project, "7.5", "7.5"))
    TimeEntryFactory(user=kari, project=project, date=MONDAY + datetime.timedelta(days=7))
    assert timesheet_week_submit(actor=kari, user=kari, week_start=MONDAY) == 2
    week = TimeEntry.objects.filter(user=kari, date__lt=MONDAY + datetime.timedelta(days=7))
    assert {e.status for e in week} == {Status.SUBMITTED}
    assert TimeEntry.objects.filter(user=kari, status=Status.DRAFT).count() == 1  # next week
    with pytest.raises(ApplicationError, match="no draft hours"):
        timesheet_week_submit(actor=kari, user=kari, week_start=MONDAY)


# --- approving a week ------------------------------------------------------------------


def _submitted_week(person, project, *hours):
    _save(person, _row(project, *hours))
    timesheet_week_submit(actor=person, user=person, week_start=MONDAY)


def test_an_administrator_approves_a_persons_week_in_one_go():
    boss, kari = admin_user(), employee()
    project = _member(kari)
    _submitted_week(kari, project, "7.5", "7.5")
    [week] = approval_weeks(user=boss)
    assert (week.user, week.start, week.hours, week.entries) == (kari, MONDAY, 15, 2)
    result = timesheet_week_approve(actor=boss, owner_id=kari.pk, week_start=MONDAY)
    assert len(result.done) == 2 and not result.refused
    assert {e.status for e in TimeEntry.objects.filter(user=kari)} == {Status.PROJECT_APPROVED}
    assert approval_weeks(user=boss) == []


def test_a_project_manager_approves_only_their_projects_hours():
    boss, pm, kari = admin_user(), project_manager(), employee()
    mine = ProjectMemberFactory(user=pm, role=manager_role()).project
    ProjectMemberFactory(user=kari, project=mine)
    other = _member(kari)
    _submitted_week(kari, mine, "7.5")
    _save(kari, _row(other, ..., "3"))
    timesheet_week_submit(actor=kari, user=kari, week_start=MONDAY)
    # Submitted hours wait for the office's approval per user first.
    assert approval_weeks(user=pm) == []
    for entry in TimeEntry.objects.filter(user=kari):
        time_entry_transition(actor=boss, entry=entry, action="approve_user")
    [week] = approval_weeks(user=pm)
    assert week.hours == Decimal("7.5") and week.projects == [mine.name]
    result = timesheet_week_approve(actor=pm, owner_id=kari.pk, week_start=MONDAY)
    assert [e.project for e in result.done] == [mine]
    assert TimeEntry.objects.get(project=other).status == Status.USER_APPROVED


def test_rejecting_a_week_needs_a_reason_and_sends_it_back_as_drafts():
    boss, kari = admin_user(), employee()
    project = _member(kari)
    _submitted_week(kari, project, "7.5", "2")
    with pytest.raises(ApplicationError, match="Give a reason"):
        timesheet_week_reject(actor=boss, owner_id=kari.pk, week_start=MONDAY, reason=" ")
    result = timesheet_week_reject(
        actor=boss, owner_id=kari.pk, week_start=MONDAY, reason="Tuesday is a holiday"
    )
    assert len(result.done) == 2
    entries = TimeEntry.objects.filter(user=kari)
    assert {(e.status, e.rejection_reason) for e in entries} == {
        (Status.DRAFT, "Tuesday is a holiday")
    }


def test_nobody_approves_their_own_week():
    pm = project_manager()
    project = ProjectMemberFactory(user=pm, role=manager_role()).project
    _submitted_week(pm, project, "7.5")
    with pytest.raises(ApplicationError, match="waits for your approval"):
        timesheet_week_approve(actor=pm, owner_id=pm.pk, week_start=MONDAY)


# --- the timer --------------------------------------------------------------------------


def test_the_timer_registers_the_time_from_start_to_stop(monkeypatch):
    kari = employee()
    project = _member(kari)
    started = datetime.datetime(2026, 12, 1, 7, 0, tzinfo=datetime.UTC)  # 08:00 in Oslo
    monkeypatch.setattr(timezone, "now", lambda: started)
    timer_start(actor=kari, project=project, description="Workshop")
    with pytest.raises(ApplicationError, match="already running"):
        timer_start(actor=kari, project=project)
    monkeypatch.setattr(timezone, "now", lambda: started + datetime.timedelta(hours=2, minutes=15))
    entry = timer_stop(actor=kari)
    assert (entry.hours, entry.date, entry.description) == (
        Decimal("2.25"),
        datetime.date(2026, 12, 1),
        "Workshop",
    )
    assert timezone.localtime(entry.started_at, ZoneInfo("Europe/Oslo")).hour == 8
    assert not Timer.objects.filter(user=kari).exists()


def test_a_timer_under_a_minute_registers_nothing():
    kari = employee()
    timer_start(actor=kari, project=_member(kari))
    assert timer_stop(actor=kari) is None
    assert not TimeEntry.objects.exists() and not Timer.objects.exists()


def test_a_timer_refused_by_the_day_limit_keeps_running(monkeypatch):
    kari = employee()
    project = _member(kari)
    started = datetime.datetime(2026, 12, 1, 7, 0, tzinfo=datetime.UTC)
    time_entry_create(actor=kari, project=project, date=datetime.date(2026, 12, 1), hours=23)
    monkeypatch.setattr(timezone, "now", lambda: started)
    timer_start(actor=kari, project=project)
    monkeypatch.setattr(timezone, "now", lambda: started + datetime.timedelta(hours=2))
    with pytest.raises(ApplicationError, match="at most 24"):
        timer_stop(actor=kari)
    assert Timer.objects.filter(user=kari).exists()
    timer_discard(actor=kari)
    assert not Timer.objects.exists()


def test_the_timer_refuses_archived_projects_and_tasks_not_assigned():
    kari = employee()
    archived = _member(kari, status=Project.Status.ARCHIVED)
    with pytest.raises(ApplicationError, match="archived"):
        timer_start(actor=kari, project=archived)
    project = _member(kari)
    with pytest.raises(ApplicationError, match="assignees"):
        timer_start(actor=kari, project=project, task=TaskFactory(project=project))
    assert not Timer.objects.exists()
