import datetime
import logging
import threading
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, OperationalError, connection
from django.utils import timezone

from apps.core.exceptions import ApplicationError, ChangedMeanwhile
from apps.projects.models import Project
from apps.projects.services import project_archive, project_member_remove, project_member_set
from apps.timesheets import services
from apps.timesheets.models import TimeEntry, TimeEntryTransition, Timer
from apps.timesheets.services import (
    CellValue,
    WeekErrors,
    WeekRowInput,
    time_entries_transition,
    time_entry_create,
    time_entry_delete,
    time_entry_editable_by,
    time_entry_read_only_reason,
    time_entry_transition,
    time_entry_update,
    timer_start,
    timesheet_week_save,
)
from apps.worktypes.services import work_type_update
from tests.accounts.factories import (
    UserFactory,
    admin_user,
    employee,
    project_manager,
    support_user,
)
from tests.projects.factories import (
    ProjectFactory,
    ProjectRoleFactory,
    make_member,
    manager_role,
)
from tests.tasks.factories import TaskFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

Status = TimeEntry.Status
Action = TimeEntryTransition.Action
UTC = datetime.UTC
OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime.date(2026, 11, 16)


@pytest.fixture
def consulting():
    return WorkTypeFactory(name="Consulting", invoiceable=True)


@pytest.fixture
def project(consulting):
    return ProjectFactory(name="Nettbutikk", default_work_type=consulting, needs_approval=True)


@pytest.fixture
def worker(project):
    user = employee(first_name="Ola", last_name="Nordmann")
    project_member_set(project=project, user=user, role=ProjectRoleFactory(name="Consultant"))
    return user


@pytest.fixture
def office():
    """An administrator (not a superuser): approves per user, locks and reopens."""
    return admin_user(first_name="Kari", last_name="Kontor")


@pytest.fixture
def manager(project):
    """A project manager whose role on `project` approves hours."""
    user = project_manager(first_name="Per", last_name="Prosjekt")
    project_member_set(project=project, user=user, role=manager_role())
    return user


@pytest.fixture
def root():
    return UserFactory(is_superuser=True)


def _register(user, project, **data):
    data.setdefault("date", MONDAY)
    if "started_at" not in data:
        data.setdefault("hours", Decimal("7.5"))
    return time_entry_create(actor=user, project=project, **data)


def _move(entry, actor, *actions, reason=""):
    for action in actions:
        entry = time_entry_transition(actor=actor, entry=entry, action=action, reason=reason)
    return entry


def _entry_in(status, *, user, project, root):
    """An entry brought to `status` through the approval services."""
    entry = _register(user, project)
    path = {
        Status.DRAFT: [],
        Status.SUBMITTED: [Action.SUBMIT],
        Status.USER_APPROVED: [Action.SUBMIT, Action.APPROVE_USER],
        Status.PROJECT_APPROVED: [Action.SUBMIT, Action.APPROVE_USER, Action.APPROVE_PROJECT],
        Status.LOCKED: [Action.SUBMIT, Action.APPROVE_USER, Action.APPROVE_PROJECT, Action.LOCK],
    }[status]
    entry = _move(entry, root, *path)
    assert entry.status == status
    return entry


# --- registering ---------------------------------------------------------------------------


def test_time_entry_create_registers_a_draft_for_the_actor(worker, project, consulting):
    entry = _register(worker, project, hours=Decimal("7.5"), description="Workshop")

    entry.refresh_from_db()
    assert entry.user == worker
    assert entry.status == Status.DRAFT
    assert entry.date == MONDAY
    assert entry.hours == Decimal("7.50")
    assert entry.work_type == consulting
    assert entry.started_at is None and entry.ended_at is None
    assert not entry.transitions.exists()


def test_time_entry_on_archived_project_is_rejected(worker, project):
    project_archive(project=project)

    with pytest.raises(ApplicationError, match="archived: no hours can be registered") as exc:
        _register(worker, project)

    assert exc.value.field == "project"
    assert not TimeEntry.objects.exists()


def test_draft_entry_on_a_project_archived_since_cannot_be_changed(worker, project):
    entry = _register(worker, project)
    project_archive(project=project)

    with pytest.raises(ApplicationError, match="archived"):
        time_entry_update(actor=worker, entry=entry, data={"hours": Decimal("2")})

    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def test_time_entry_on_a_task_the_user_is_not_assigned_to_is_rejected(worker, project):
    colleague = employee()
    project_member_set(project=project, user=colleague)
    task = TaskFactory(project=project, name="Design", assignees=[colleague])

    with pytest.raises(ApplicationError, match="Only the task's assignees") as exc:
        _register(worker, project, task=task)

    assert exc.value.field == "task"
    assert "Ola Nordmann is not assigned to Design" in exc.value.message
    assert not TimeEntry.objects.exists()


def test_time_entry_on_a_task_the_user_is_assigned_to_is_accepted(worker, project):
    task = TaskFactory(project=project, assignees=[worker])

    entry = _register(worker, project, task=task)

    assert entry.task == task


def test_admin_cannot_register_a_colleagues_hours_on_a_task_the_colleague_is_not_on(
    worker, project, office
):
    task = TaskFactory(project=project, assignees=[office])

    with pytest.raises(ApplicationError, match="Only the task's assignees"):
        time_entry_create(
            actor=office, user=worker, project=project, task=task, date=MONDAY, hours=1
        )


def test_time_entry_with_a_task_of_another_project_is_rejected(worker, project):
    other_task = TaskFactory(name="Elsewhere", assignees=[worker])

    with pytest.raises(ApplicationError, match="Elsewhere belongs to another project") as exc:
        _register(worker, project, task=other_task)

    assert exc.value.field == "task"
    assert not TimeEntry.objects.exists()


def test_time_entry_without_project_is_rejected(worker):
    with pytest.raises(ApplicationError, match="Choose a project") as exc:
        time_entry_create(actor=worker, date=MONDAY, hours=1)
    assert exc.value.field == "project"


@pytest.mark.parametrize("hours", ["0", "-1", "24.01", "25", "0.001"])
def test_time_entry_outside_more_than_0_and_at_most_24_hours_is_rejected(worker, project, hours):
    with pytest.raises(ApplicationError, match="more than 0 and at most 24 hours") as exc:
        _register(worker, project, hours=Decimal(hours))

    assert exc.value.field == "hours"
    assert not TimeEntry.objects.exists()


def test_time_entry_of_exactly_24_hours_is_accepted(worker, project):
    entry = _register(worker, project, hours=24)

    assert entry.hours == Decimal("24.00")


def test_time_entry_hours_are_rounded_to_two_places(worker, project):
    entry = _register(worker, project, hours="1.005")

    assert entry.hours == Decimal("1.01")


def test_time_entry_with_hours_that_are_not_a_number_is_rejected(worker, project):
    with pytest.raises(ApplicationError, match="Enter a number of hours") as exc:
        _register(worker, project, hours="seven")
    assert exc.value.field == "hours"


def test_time_entry_without_hours_or_start_stop_is_rejected(worker, project):
    with pytest.raises(ApplicationError, match="Give the hours, or a start and stop"):
        time_entry_create(actor=worker, project=project, date=MONDAY)


def test_day_total_over_24_hours_is_rejected(worker, project):
    _register(worker, project, hours=16)

    with pytest.raises(ApplicationError, match=r"already has 16(\.00)? hours on 2026-11-16") as exc:
        _register(worker, project, hours=Decimal("8.5"))

    assert exc.value.field == "hours"
    assert TimeEntry.objects.filter(user=worker).count() == 1


def test_day_total_of_exactly_24_hours_is_accepted(worker, project):
    _register(worker, project, hours=16)
    _register(worker, project, hours=8)

    assert TimeEntry.objects.filter(user=worker, date=MONDAY).count() == 2


def test_day_total_counts_only_the_users_own_hours_on_that_day(worker, project):
    colleague = employee()
    make_member(project=project, user=colleague)
    _register(colleague, project, hours=20)
    _register(worker, project, hours=20, date=MONDAY - datetime.timedelta(days=1))

    entry = _register(worker, project, hours=20)

    assert entry.pk


def test_day_total_is_checked_when_an_entry_is_changed(worker, project):
    _register(worker, project, hours=16)
    entry = _register(worker, project, hours=4)

    with pytest.raises(ApplicationError, match="a day has at most 24"):
        time_entry_update(actor=worker, entry=entry, data={"hours": 9})

    entry.refresh_from_db()
    assert entry.hours == Decimal("4.00")


def test_day_total_does_not_count_the_entry_being_changed(worker, project):
    entry = _register(worker, project, hours=20)

    time_entry_update(actor=worker, entry=entry, data={"hours": 24})

    entry.refresh_from_db()
    assert entry.hours == Decimal("24.00")


# --- start/stop and the user's local day ---------------------------------------------------


def test_start_and_stop_give_the_hours(worker, project):
    entry = _register(
        worker,
        project,
        started_at=datetime.datetime(2026, 11, 16, 8, 0, tzinfo=OSLO),
        ended_at=datetime.datetime(2026, 11, 16, 11, 45, tzinfo=OSLO),
    )

    assert entry.hours == Decimal("3.75")
    assert entry.date == MONDAY


def test_work_after_midnight_in_oslo_is_on_the_oslo_day_though_utc_is_the_day_before(project):
    user = employee(time_zone="Europe/Oslo")
    make_member(project=project, user=user)
    # 23:30 UTC on the 16th is 00:30 on the 17th in Oslo (UTC+1 in November).
    entry = time_entry_create(
        actor=user,
        project=project,
        started_at=datetime.datetime(2026, 11, 16, 23, 30, tzinfo=UTC),
        ended_at=datetime.datetime(2026, 11, 17, 1, 30, tzinfo=UTC),
    )

    entry.refresh_from_db()
    assert entry.date == datetime.date(2026, 11, 17)
    assert entry.hours == Decimal("2.00")
    assert entry.started_at == datetime.datetime(2026, 11, 16, 23, 30, tzinfo=UTC)


def test_evening_work_in_new_york_is_on_the_new_york_day_though_utc_is_the_next_day(project):
    user = employee(time_zone="America/New_York")
    make_member(project=project, user=user)
    # 02:00 UTC on the 17th is 21:00 on the 16th in New York (UTC-5 in November).
    entry = time_entry_create(
        actor=user,
        project=project,
        started_at=datetime.datetime(2026, 11, 17, 2, 0, tzinfo=UTC),
        ended_at=datetime.datetime(2026, 11, 17, 4, 0, tzinfo=UTC),
    )

    assert entry.date == datetime.date(2026, 11, 16)


def test_naive_start_and_stop_are_the_oslo_users_wall_clock_time(project):
    user = employee(time_zone="Europe/Oslo")
    make_member(project=project, user=user)

    entry = time_entry_create(
        actor=user,
        project=project,
        started_at=datetime.datetime(2026, 11, 17, 0, 30),
        ended_at=datetime.datetime(2026, 11, 17, 2, 0),
    )

    entry.refresh_from_db()
    assert entry.date == datetime.date(2026, 11, 17)
    assert entry.started_at == datetime.datetime(2026, 11, 16, 23, 30, tzinfo=UTC)
    assert entry.ended_at == datetime.datetime(2026, 11, 17, 1, 0, tzinfo=UTC)
    assert entry.hours == Decimal("1.50")


def test_naive_start_and_stop_are_the_new_york_users_wall_clock_time(project):
    user = employee(time_zone="America/New_York")
    make_member(project=project, user=user)

    entry = time_entry_create(
        actor=user,
        project=project,
        started_at=datetime.datetime(2026, 11, 16, 21, 0),
        ended_at=datetime.datetime(2026, 11, 16, 23, 0),
    )

    entry.refresh_from_db()
    assert entry.date == datetime.date(2026, 11, 16)
    assert entry.started_at == datetime.datetime(2026, 11, 17, 2, 0, tzinfo=UTC)
    assert timezone.localtime(entry.started_at, NEW_YORK).hour == 21


def test_the_day_total_is_counted_on_the_users_local_day(project):
    user = employee(time_zone="America/New_York")
    make_member(project=project, user=user)
    time_entry_create(actor=user, project=project, date=datetime.date(2026, 11, 16), hours=20)

    # 21:00-23:00 New York on the 16th is the 17th in UTC, but the same local day.
    with pytest.raises(ApplicationError, match="a day has at most 24"):
        time_entry_create(
            actor=user,
            project=project,
            started_at=datetime.datetime(2026, 11, 16, 21, 0),
            ended_at=datetime.datetime(2026, 11, 17, 2, 0),
        )


def test_start_stop_with_a_date_that_is_not_the_local_start_day_is_rejected(worker, project):
    with pytest.raises(ApplicationError, match=r"must be the day the work started \(2026-11-17\)"):
        time_entry_create(
            actor=worker,
            project=project,
            date=MONDAY,
            started_at=datetime.datetime(2026, 11, 17, 0, 30),
            ended_at=datetime.datetime(2026, 11, 17, 2, 0),
        )


def test_stop_before_start_is_rejected(worker, project):
    with pytest.raises(ApplicationError, match="Stop must be after start") as exc:
        time_entry_create(
            actor=worker,
            project=project,
            started_at=datetime.datetime(2026, 11, 16, 12, 0),
            ended_at=datetime.datetime(2026, 11, 16, 12, 0),
        )
    assert exc.value.field == "ended_at"


def test_start_without_stop_is_rejected(worker, project):
    with pytest.raises(ApplicationError, match="Give both start and stop"):
        time_entry_create(
            actor=worker, project=project, started_at=datetime.datetime(2026, 11, 16, 8, 0)
        )


def test_start_stop_longer_than_24_hours_is_rejected(worker, project):
    with pytest.raises(ApplicationError, match="at most 24 hours"):
        time_entry_create(
            actor=worker,
            project=project,
            started_at=datetime.datetime(2026, 11, 16, 8, 0),
            ended_at=datetime.datetime(2026, 11, 17, 8, 1),
        )


def test_hours_without_a_date_are_on_today_in_the_users_zone(project):
    user = employee(time_zone="America/New_York")
    make_member(project=project, user=user)

    entry = time_entry_create(actor=user, project=project, hours=1)

    assert entry.date == timezone.localtime(timezone.now(), NEW_YORK).date()


# --- work type and billable hours ----------------------------------------------------------


def test_billable_hours_default_to_the_hours_on_an_invoiceable_work_type(worker, project):
    entry = _register(worker, project, hours=Decimal("6"))

    assert entry.billable_hours == Decimal("6.00")


def test_billable_hours_default_to_zero_on_a_work_type_that_is_not_invoiceable(worker, project):
    travel = WorkTypeFactory(name="Travel", invoiceable=False)

    entry = _register(worker, project, hours=Decimal("3"), work_type=travel)

    assert entry.billable_hours == Decimal("0.00")


def test_billable_hours_given_are_kept(worker, project):
    entry = _register(worker, project, hours=Decimal("6"), billable_hours=Decimal("4.5"))

    assert entry.billable_hours == Decimal("4.50")


def test_billable_hours_over_24_are_rejected(worker, project):
    with pytest.raises(ValidationError, match="Billable hours must be between 0 and 24"):
        _register(worker, project, hours=Decimal("6"), billable_hours=Decimal("25"))
    assert not TimeEntry.objects.exists()


def test_work_type_defaults_to_the_projects_default_work_type(worker, project, consulting):
    entry = _register(worker, project)

    assert entry.work_type == consulting


def test_work_type_given_wins_over_the_projects_default(worker, project):
    training = WorkTypeFactory(name="Training")

    entry = _register(worker, project, work_type=training)

    assert entry.work_type == training


def test_entry_without_work_type_on_a_project_without_default_is_rejected(worker):
    project = ProjectFactory(default_work_type=None)

    with pytest.raises(ApplicationError, match="Choose a work type") as exc:
        _register(worker, project)
    assert exc.value.field == "work_type"


def test_inactive_work_type_is_refused_on_new_entries(worker, project):
    retired = WorkTypeFactory(name="Fax support", is_active=False)

    with pytest.raises(ApplicationError, match="Fax support is no longer in use") as exc:
        _register(worker, project, work_type=retired)

    assert exc.value.field == "work_type"
    assert not TimeEntry.objects.exists()


def test_inactive_project_default_work_type_is_refused_on_new_entries(worker, project, consulting):
    work_type_update(work_type=consulting, data={"is_active": False})

    with pytest.raises(ApplicationError, match="no longer in use"):
        _register(worker, project)


def test_entry_whose_work_type_was_retired_later_can_still_be_edited(worker, project, consulting):
    entry = _register(worker, project)
    work_type_update(work_type=consulting, data={"is_active": False})

    time_entry_update(actor=worker, entry=entry, data={"description": "Fixed typo"})

    entry.refresh_from_db()
    assert entry.description == "Fixed typo"


def test_changing_an_entry_to_an_inactive_work_type_is_refused(worker, project):
    entry = _register(worker, project)
    retired = WorkTypeFactory(is_active=False)

    with pytest.raises(ApplicationError, match="no longer in use"):
        time_entry_update(actor=worker, entry=entry, data={"work_type": retired})


# --- who registers and changes -------------------------------------------------------------


def test_employee_cannot_register_hours_for_a_colleague(worker, project):
    colleague = employee()

    with pytest.raises(ApplicationError, match="only register and change your own hours"):
        time_entry_create(actor=colleague, user=worker, project=project, date=MONDAY, hours=1)
    assert not TimeEntry.objects.exists()


def test_project_manager_cannot_register_hours_for_a_colleague(worker, project, manager):
    with pytest.raises(ApplicationError, match="only register and change your own hours"):
        time_entry_create(actor=manager, user=worker, project=project, date=MONDAY, hours=1)


def test_admin_registers_hours_for_a_colleague(worker, project, office):
    entry = time_entry_create(actor=office, user=worker, project=project, date=MONDAY, hours=2)

    assert entry.user == worker


def test_employee_cannot_change_or_delete_a_colleagues_entry(worker, project):
    entry = _register(worker, project)
    colleague = employee()

    with pytest.raises(ApplicationError, match="only register and change your own hours"):
        time_entry_update(actor=colleague, entry=entry, data={"hours": 1})
    with pytest.raises(ApplicationError, match="only register and change your own hours"):
        time_entry_delete(actor=colleague, entry=entry)

    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def test_time_entry_create_refuses_fields_it_does_not_know(worker, project):
    with pytest.raises(ApplicationError, match="cannot be set: status"):
        _register(worker, project, status=Status.LOCKED)
    assert not TimeEntry.objects.exists()


def test_time_entry_update_refuses_the_status_field(worker, project):
    entry = _register(worker, project)

    with pytest.raises(ApplicationError, match="cannot be changed: status"):
        time_entry_update(actor=worker, entry=entry, data={"status": Status.LOCKED})

    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_an_update_from_an_old_read_is_refused_when_the_entry_was_saved_since(worker, project):
    entry = _register(worker, project, hours=Decimal("7.5"))
    read_earlier = TimeEntry.objects.get(pk=entry.pk)
    time_entry_update(actor=worker, entry=entry, data={"description": "Saved first"})

    with pytest.raises(ChangedMeanwhile, match="changed meanwhile"):
        time_entry_update(
            actor=worker,
            entry=read_earlier,
            data={"hours": Decimal("5")},
            unchanged_since=read_earlier.updated_at,
        )

    entry.refresh_from_db()
    assert (entry.hours, entry.description) == (Decimal("7.50"), "Saved first")
    fresh = TimeEntry.objects.get(pk=entry.pk)
    time_entry_update(
        actor=worker, entry=fresh, data={"hours": Decimal("5")}, unchanged_since=fresh.updated_at
    )
    entry.refresh_from_db()
    assert (entry.hours, entry.description) == (Decimal("5.00"), "Saved first")


# --- changing drafts -----------------------------------------------------------------------


def test_changing_the_hours_recomputes_the_default_billable_hours(worker, project):
    entry = _register(worker, project, hours=Decimal("7.5"))

    time_entry_update(actor=worker, entry=entry, data={"hours": Decimal("5")})

    entry.refresh_from_db()
    assert (entry.hours, entry.billable_hours) == (Decimal("5.00"), Decimal("5.00"))


def test_changing_the_description_keeps_billable_hours_set_by_hand(worker, project):
    entry = _register(worker, project, hours=Decimal("7.5"), billable_hours=Decimal("6"))

    time_entry_update(actor=worker, entry=entry, data={"description": "Meeting"})

    entry.refresh_from_db()
    assert entry.billable_hours == Decimal("6.00")


def test_changing_to_a_work_type_that_is_not_invoiceable_zeroes_billable_hours(worker, project):
    entry = _register(worker, project, hours=Decimal("3"))
    travel = WorkTypeFactory(name="Travel", invoiceable=False)

    time_entry_update(actor=worker, entry=entry, data={"work_type": travel})

    entry.refresh_from_db()
    assert entry.billable_hours == Decimal("0.00")


def test_giving_hours_to_a_start_stop_entry_clears_start_and_stop(worker, project):
    entry = _register(
        worker,
        project,
        started_at=datetime.datetime(2026, 11, 16, 8, 0),
        ended_at=datetime.datetime(2026, 11, 16, 10, 0),
    )

    time_entry_update(actor=worker, entry=entry, data={"hours": Decimal("3")})

    entry.refresh_from_db()
    assert entry.started_at is None and entry.ended_at is None
    assert entry.hours == Decimal("3.00")
    assert entry.date == MONDAY


def test_new_start_stop_on_an_entry_moves_it_to_the_new_local_day(worker, project):
    entry = _register(
        worker,
        project,
        started_at=datetime.datetime(2026, 11, 16, 8, 0),
        ended_at=datetime.datetime(2026, 11, 16, 10, 0),
    )

    time_entry_update(
        actor=worker,
        entry=entry,
        data={
            "started_at": datetime.datetime(2026, 11, 18, 9, 0),
            "ended_at": datetime.datetime(2026, 11, 18, 10, 0),
        },
    )

    entry.refresh_from_db()
    assert entry.date == datetime.date(2026, 11, 18)
    assert entry.hours == Decimal("1.00")


def test_changing_a_draft_to_a_task_the_user_is_not_on_is_refused(worker, project):
    entry = _register(worker, project)
    colleague = employee()
    project_member_set(project=project, user=colleague)
    task = TaskFactory(project=project, assignees=[colleague])

    with pytest.raises(ApplicationError, match="Only the task's assignees"):
        time_entry_update(actor=worker, entry=entry, data={"task": task})

    entry.refresh_from_db()
    assert entry.task is None


def test_moving_a_draft_to_another_project_without_its_task_is_refused(worker, project):
    task = TaskFactory(project=project, assignees=[worker])
    entry = _register(worker, project, task=task)

    with pytest.raises(ApplicationError, match="belongs to another project"):
        time_entry_update(
            actor=worker, entry=entry, data={"project": ProjectFactory(members=[worker])}
        )

    entry.refresh_from_db()
    assert entry.project == project


def test_moving_a_draft_to_an_archived_project_is_refused(worker, project):
    entry = _register(worker, project)
    archived = ProjectFactory(status=Project.Status.ARCHIVED)

    with pytest.raises(ApplicationError, match="archived"):
        time_entry_update(actor=worker, entry=entry, data={"project": archived})

    entry.refresh_from_db()
    assert entry.project == project


def test_draft_entry_is_deleted(worker, project):
    entry = _register(worker, project)

    time_entry_delete(actor=worker, entry=entry)

    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.SUBMITTED, "Submitted hours cannot be changed until they are approved"),
        (Status.USER_APPROVED, r"approved \(user\) and read-only. An administrator can reopen"),
        (Status.PROJECT_APPROVED, r"approved \(project\) and read-only"),
        (Status.LOCKED, "locked and read-only"),
    ],
)
def test_entry_past_draft_cannot_be_changed_or_deleted(worker, project, root, status, message):
    entry = _entry_in(status, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match=message):
        time_entry_update(actor=worker, entry=entry, data={"hours": Decimal("1")})
    with pytest.raises(ApplicationError, match=message):
        time_entry_delete(actor=worker, entry=entry)
    # Not even an administrator edits without reopening first.
    with pytest.raises(ApplicationError, match=message):
        time_entry_update(actor=root, entry=entry, data={"hours": Decimal("1")})

    entry.refresh_from_db()
    assert entry.status == status
    assert entry.hours == Decimal("7.50")


def test_read_only_reason_is_none_for_a_draft_and_explains_the_others(worker, project, root):
    draft = _entry_in(Status.DRAFT, user=worker, project=project, root=root)
    locked = _entry_in(Status.LOCKED, user=worker, project=project, root=root)

    assert time_entry_read_only_reason(entry=draft) is None
    assert "locked and read-only" in time_entry_read_only_reason(entry=locked)


def test_editable_by_is_the_owner_or_an_admin_and_only_while_a_draft(
    worker, project, office, manager, root
):
    draft = _entry_in(Status.DRAFT, user=worker, project=project, root=root)
    submitted = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)

    assert time_entry_editable_by(entry=draft, user=worker)
    assert time_entry_editable_by(entry=draft, user=office)
    assert not time_entry_editable_by(entry=draft, user=manager)
    assert not time_entry_editable_by(entry=draft, user=support_user())
    assert not time_entry_editable_by(entry=submitted, user=worker)
    assert not time_entry_editable_by(entry=submitted, user=office)


# --- the approval state machine ------------------------------------------------------------


def test_entry_moves_draft_submitted_user_approved_project_approved_locked(
    worker, project, office, manager
):
    entry = _register(worker, project)

    entry = _move(entry, worker, Action.SUBMIT)
    assert entry.status == Status.SUBMITTED
    entry = _move(entry, office, Action.APPROVE_USER)
    assert entry.status == Status.USER_APPROVED
    entry = _move(entry, manager, Action.APPROVE_PROJECT)
    assert entry.status == Status.PROJECT_APPROVED
    entry = _move(entry, office, Action.LOCK)
    assert entry.status == Status.LOCKED

    entry.refresh_from_db()
    assert entry.status == Status.LOCKED


def test_every_transition_is_recorded_with_actor_and_time(worker, project, office, manager):
    before = timezone.now()
    entry = _register(worker, project)
    _move(entry, worker, Action.SUBMIT)
    _move(entry, office, Action.APPROVE_USER)
    _move(entry, manager, Action.APPROVE_PROJECT)
    _move(entry, office, Action.LOCK)

    steps = list(entry.transitions.order_by("id"))
    assert [(s.action, s.from_status, s.to_status, s.actor) for s in steps] == [
        (Action.SUBMIT, Status.DRAFT, Status.SUBMITTED, worker),
        (Action.APPROVE_USER, Status.SUBMITTED, Status.USER_APPROVED, office),
        (Action.APPROVE_PROJECT, Status.USER_APPROVED, Status.PROJECT_APPROVED, manager),
        (Action.LOCK, Status.PROJECT_APPROVED, Status.LOCKED, office),
    ]
    assert all(before <= s.at <= timezone.now() for s in steps)


@pytest.mark.parametrize(
    "status", [Status.SUBMITTED, Status.USER_APPROVED, Status.PROJECT_APPROVED]
)
def test_reject_sends_the_entry_back_to_draft_with_the_reason(
    worker, project, office, root, status
):
    entry = _entry_in(status, user=worker, project=project, root=root)

    entry = _move(entry, office, Action.REJECT, reason="  Wrong project, use Intern.  ")

    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert entry.rejection_reason == "Wrong project, use Intern."
    step = entry.transitions.latest("id")
    assert (step.action, step.from_status, step.to_status, step.actor, step.reason) == (
        Action.REJECT,
        status,
        Status.DRAFT,
        office,
        "Wrong project, use Intern.",
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_a_reason_is_refused(worker, project, office, root, reason):
    entry = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="Give a reason") as exc:
        _move(entry, office, Action.REJECT, reason=reason)

    assert exc.value.field == "reason"
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_rejected_entry_can_be_corrected_and_submitted_again(worker, project, office, root):
    entry = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)
    _move(entry, office, Action.REJECT, reason="Too many hours")
    entry.refresh_from_db()

    time_entry_update(actor=worker, entry=entry, data={"hours": Decimal("6")})
    entry = _move(entry, worker, Action.SUBMIT)

    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert entry.hours == Decimal("6.00")
    assert entry.rejection_reason == ""


@pytest.mark.parametrize("status", [Status.USER_APPROVED, Status.PROJECT_APPROVED, Status.LOCKED])
def test_admin_reopen_returns_the_entry_to_draft_and_is_logged(
    worker, project, office, root, status, caplog
):
    entry = _entry_in(status, user=worker, project=project, root=root)

    with caplog.at_level(logging.INFO, logger="apps.timesheets.services"):
        entry = _move(entry, office, Action.REOPEN, reason="Customer asked for a correction")

    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    step = entry.transitions.latest("id")
    assert (step.action, step.from_status, step.to_status, step.actor, step.reason) == (
        Action.REOPEN,
        status,
        Status.DRAFT,
        office,
        "Customer asked for a correction",
    )
    assert f"time entry {entry.pk} reopened by user {office.pk}" in caplog.text
    # Reopened hours are editable again.
    time_entry_update(actor=worker, entry=entry, data={"hours": Decimal("7")})


def test_reopen_without_a_reason_is_refused(worker, project, office, root):
    entry = _entry_in(Status.LOCKED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="Give a reason"):
        _move(entry, office, Action.REOPEN, reason="")

    entry.refresh_from_db()
    assert entry.status == Status.LOCKED


def test_only_an_administrator_can_reopen(worker, project, manager, root):
    entry = _entry_in(Status.LOCKED, user=worker, project=project, root=root)

    for someone in (manager, worker, support_user()):
        with pytest.raises(ApplicationError, match="Only an administrator can reopen"):
            _move(entry, someone, Action.REOPEN, reason="Please")

    entry.refresh_from_db()
    assert entry.status == Status.LOCKED
    assert not entry.transitions.filter(action=Action.REOPEN).exists()


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        (Status.DRAFT, Action.APPROVE_USER, r"is draft, so it cannot be approved \(user\)"),
        (Status.DRAFT, Action.APPROVE_PROJECT, r"is draft, so it cannot be approved \(project\)"),
        (Status.DRAFT, Action.LOCK, "is draft, so it cannot be locked"),
        (Status.DRAFT, Action.REJECT, "is draft, so it cannot be rejected"),
        (Status.DRAFT, Action.REOPEN, "is draft, so it cannot be reopened"),
        (Status.SUBMITTED, Action.SUBMIT, "is submitted, so it cannot be submitted"),
        (Status.SUBMITTED, Action.APPROVE_PROJECT, "is submitted, so it cannot be approved"),
        (Status.SUBMITTED, Action.LOCK, "is submitted, so it cannot be locked"),
        (Status.SUBMITTED, Action.REOPEN, "is submitted, so it cannot be reopened"),
        (Status.USER_APPROVED, Action.SUBMIT, r"is approved \(user\), so it cannot be submitted"),
        (Status.USER_APPROVED, Action.LOCK, "so it cannot be locked"),
        (Status.PROJECT_APPROVED, Action.APPROVE_USER, r"cannot be approved \(user\)"),
        (Status.LOCKED, Action.REJECT, "is locked, so it cannot be rejected"),
        (Status.LOCKED, Action.LOCK, "is locked, so it cannot be locked"),
    ],
)
def test_invalid_transition_is_refused_with_a_clear_message(
    worker, project, root, status, action, message
):
    entry = _entry_in(status, user=worker, project=project, root=root)
    steps = entry.transitions.count()

    with pytest.raises(ApplicationError, match=message):
        _move(entry, root, action, reason="Because")

    entry.refresh_from_db()
    assert entry.status == status
    assert entry.transitions.count() == steps


def test_unknown_approval_step_is_refused(worker, project, root):
    entry = _register(worker, project)

    with pytest.raises(ApplicationError, match="Unknown approval step"):
        _move(entry, root, "publish")


def test_employee_cannot_submit_a_colleagues_hours(worker, project):
    entry = _register(worker, project)

    with pytest.raises(ApplicationError, match="only register and change your own hours"):
        _move(entry, employee(), Action.SUBMIT)


def test_admin_can_submit_a_colleagues_hours(worker, project, office):
    entry = _register(worker, project)

    entry = _move(entry, office, Action.SUBMIT)

    assert entry.status == Status.SUBMITTED


# --- who approves ---------------------------------------------------------------------------


def test_admin_cannot_approve_their_own_hours(project, office, root):
    project_member_set(project=project, user=office)
    entry = _entry_in(Status.SUBMITTED, user=office, project=project, root=root)

    with pytest.raises(ApplicationError, match="cannot approve your own hours"):
        _move(entry, office, Action.APPROVE_USER)

    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_project_manager_cannot_approve_their_own_hours_on_their_project(project, manager, root):
    entry = _entry_in(Status.USER_APPROVED, user=manager, project=project, root=root)

    with pytest.raises(ApplicationError, match="cannot approve your own hours"):
        _move(entry, manager, Action.APPROVE_PROJECT)

    entry.refresh_from_db()
    assert entry.status == Status.USER_APPROVED


def test_superuser_may_approve_their_own_hours(project, root):
    project_member_set(project=project, user=root)
    entry = _register(root, project)

    entry = _move(entry, root, Action.SUBMIT, Action.APPROVE_USER, Action.APPROVE_PROJECT)

    assert entry.status == Status.PROJECT_APPROVED


def test_project_manager_approves_where_their_project_role_can_approve(
    worker, project, manager, root
):
    entry = _entry_in(Status.USER_APPROVED, user=worker, project=project, root=root)

    entry = _move(entry, manager, Action.APPROVE_PROJECT)

    assert entry.status == Status.PROJECT_APPROVED


def test_project_manager_whose_project_role_does_not_approve_cannot_approve(worker, project, root):
    advisor = project_manager()
    project_member_set(project=project, user=advisor, role=ProjectRoleFactory(name="Advisor"))
    entry = _entry_in(Status.USER_APPROVED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="Only the project's approvers can approve hours"):
        _move(entry, advisor, Action.APPROVE_PROJECT)

    entry.refresh_from_db()
    assert entry.status == Status.USER_APPROVED


def test_project_manager_cannot_approve_on_another_managers_project(worker, project, root):
    elsewhere = project_manager()
    project_member_set(project=ProjectFactory(), user=elsewhere, role=manager_role())
    entry = _entry_in(Status.USER_APPROVED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="Only the project's approvers"):
        _move(entry, elsewhere, Action.APPROVE_PROJECT)


def test_employee_with_an_approving_project_role_but_no_approve_permission_cannot_approve(
    worker, project, root
):
    colleague = employee()
    project_member_set(project=project, user=colleague, role=manager_role())
    entry = _entry_in(Status.USER_APPROVED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="Only the project's approvers"):
        _move(entry, colleague, Action.APPROVE_PROJECT)


def test_project_manager_cannot_approve_per_user(worker, project, manager, root):
    entry = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="not allowed to approve hours per user"):
        _move(entry, manager, Action.APPROVE_USER)


def test_employee_and_support_cannot_approve_or_lock(worker, project, root):
    submitted = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)
    approved = _entry_in(Status.PROJECT_APPROVED, user=worker, project=project, root=root)

    for someone in (employee(), support_user()):
        with pytest.raises(ApplicationError, match="not allowed to approve hours per user"):
            _move(submitted, someone, Action.APPROVE_USER)
        with pytest.raises(ApplicationError, match="not allowed to lock hours"):
            _move(approved, someone, Action.LOCK)
        with pytest.raises(ApplicationError, match="not allowed to reject"):
            _move(submitted, someone, Action.REJECT, reason="No")


def test_admin_approves_on_every_project_without_being_a_member(worker, project, office, root):
    entry = _entry_in(Status.USER_APPROVED, user=worker, project=project, root=root)

    entry = _move(entry, office, Action.APPROVE_PROJECT)

    assert entry.status == Status.PROJECT_APPROVED


def test_project_manager_cannot_lock(worker, project, manager, root):
    entry = _entry_in(Status.PROJECT_APPROVED, user=worker, project=project, root=root)

    with pytest.raises(ApplicationError, match="not allowed to lock hours"):
        _move(entry, manager, Action.LOCK)


def test_project_manager_rejects_on_their_project_but_not_elsewhere(worker, project, manager, root):
    here = _entry_in(Status.USER_APPROVED, user=worker, project=project, root=root)
    other_project = ProjectFactory()
    project_member_set(project=other_project, user=worker)
    there = _entry_in(Status.USER_APPROVED, user=worker, project=other_project, root=root)

    _move(here, manager, Action.REJECT, reason="Not on this project")
    with pytest.raises(ApplicationError, match="not allowed to reject these hours"):
        _move(there, manager, Action.REJECT, reason="Not mine to judge")

    here.refresh_from_db()
    there.refresh_from_db()
    assert (here.status, there.status) == (Status.DRAFT, Status.USER_APPROVED)


def test_project_without_approval_goes_straight_to_project_approved_with_two_steps(worker, office):
    project = ProjectFactory(needs_approval=False)
    project_member_set(project=project, user=worker)
    entry = _move(_register(worker, project), worker, Action.SUBMIT)

    entry = _move(entry, office, Action.APPROVE_USER)

    entry.refresh_from_db()
    assert entry.status == Status.PROJECT_APPROVED
    approvals = list(entry.transitions.exclude(action=Action.SUBMIT).order_by("id"))
    assert [(s.action, s.from_status, s.to_status, s.actor) for s in approvals] == [
        (Action.APPROVE_USER, Status.SUBMITTED, Status.USER_APPROVED, office),
        (Action.APPROVE_PROJECT, Status.USER_APPROVED, Status.PROJECT_APPROVED, office),
    ]
    assert approvals[1].reason == "The project does not need project approval."


# --- many at once ---------------------------------------------------------------------------


def test_bulk_transition_reports_the_entries_moved_and_those_refused(worker, project, office, root):
    project_member_set(project=project, user=office)
    first = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)
    second = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)
    still_draft = _entry_in(Status.DRAFT, user=worker, project=project, root=root)
    own = _entry_in(Status.SUBMITTED, user=office, project=project, root=root)

    result = time_entries_transition(
        actor=office, entries=[first, still_draft, second, own], action=Action.APPROVE_USER
    )

    assert [e.pk for e in result.done] == [first.pk, second.pk]
    assert {e.status for e in result.done} == {Status.USER_APPROVED}
    refused = dict((e.pk, message) for e, message in result.refused)
    assert refused.keys() == {still_draft.pk, own.pk}
    assert "is draft, so it cannot be approved (user)" in refused[still_draft.pk]
    assert refused[own.pk] == "You cannot approve your own hours."
    assert dict(TimeEntry.objects.values_list("pk", "status")) == {
        first.pk: Status.USER_APPROVED,
        second.pk: Status.USER_APPROVED,
        still_draft.pk: Status.DRAFT,
        own.pk: Status.SUBMITTED,
    }


def test_bulk_transition_reports_an_entry_deleted_meanwhile_and_moves_the_rest(
    worker, project, office, root
):
    kept = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)
    gone = _entry_in(Status.DRAFT, user=worker, project=project, root=root)
    time_entry_delete(actor=worker, entry=TimeEntry.objects.get(pk=gone.pk))
    later = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)

    result = time_entries_transition(
        actor=office, entries=[kept, gone, later], action=Action.APPROVE_USER
    )

    assert [e.pk for e in result.done] == [kept.pk, later.pk]
    assert [(e, message) for e, message in result.refused] == [
        (gone, "This entry has been deleted meanwhile.")
    ]


def test_bulk_reject_needs_a_reason_and_refuses_every_entry_without_one(
    worker, project, office, root
):
    entries = [_entry_in(Status.SUBMITTED, user=worker, project=project, root=root)] * 2

    result = time_entries_transition(actor=office, entries=entries, action=Action.REJECT)

    assert result.done == []
    assert [message for _entry, message in result.refused] == ["Give a reason."] * 2


# --- nothing half-written --------------------------------------------------------------------


def _counts():
    return (
        TimeEntry.objects.count(),
        TimeEntryTransition.objects.count(),
        Project.objects.count(),
    )


def test_a_refused_registration_writes_nothing(worker, project):
    _register(worker, project, hours=20)
    foreign_task = TaskFactory()
    before = _counts()

    for bad in ({"hours": 5}, {"hours": 0}, {"hours": 1, "task": foreign_task}):
        with pytest.raises(ApplicationError):
            _register(worker, project, **bad)

    assert _counts() == before


def test_a_failed_write_after_the_steps_are_recorded_rolls_them_back(worker, office, monkeypatch):
    project = ProjectFactory(needs_approval=False)
    project_member_set(project=project, user=worker)
    entry = _move(_register(worker, project), worker, Action.SUBMIT)
    before = _counts()

    def failing_save(self, *args, **kwargs):
        raise DatabaseError("disk full")

    # Both approval steps are written before the entry itself: a failure there undoes them.
    monkeypatch.setattr(TimeEntry, "save", failing_save)
    with pytest.raises(DatabaseError):
        _move(entry, office, Action.APPROVE_USER)
    monkeypatch.undo()

    assert _counts() == before
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_approving_twice_from_stale_copies_records_one_approval(worker, project, office, root):
    entry = _entry_in(Status.SUBMITTED, user=worker, project=project, root=root)
    copy_a = TimeEntry.objects.get(pk=entry.pk)
    copy_b = TimeEntry.objects.get(pk=entry.pk)

    _move(copy_a, office, Action.APPROVE_USER)
    with pytest.raises(ApplicationError, match=r"is approved \(user\), so it cannot be approved"):
        _move(copy_b, root, Action.APPROVE_USER)

    assert entry.transitions.filter(action=Action.APPROVE_USER).count() == 1


def test_editing_a_stale_draft_copy_of_a_submitted_entry_is_refused(worker, project):
    entry = _register(worker, project)
    stale = TimeEntry.objects.get(pk=entry.pk)
    _move(entry, worker, Action.SUBMIT)

    with pytest.raises(ApplicationError, match="Submitted hours cannot be changed"):
        time_entry_update(actor=worker, entry=stale, data={"hours": Decimal("1")})
    with pytest.raises(ApplicationError, match="changed meanwhile"):
        time_entry_delete(actor=worker, entry=stale)

    entry.refresh_from_db()
    assert (entry.status, entry.hours) == (Status.SUBMITTED, Decimal("7.50"))


@pytest.mark.django_db(transaction=True)
def test_two_registrations_at_once_cannot_together_pass_the_24_hour_day(monkeypatch):
    user = employee()
    project = ProjectFactory(members=[user])
    validate = services._validate_rules

    def slow_validate(entry, **kwargs):
        validate(entry, **kwargs)
        time.sleep(0.3)  # hold the checked total while the other registration runs

    monkeypatch.setattr(services, "_validate_rules", slow_validate)
    start = threading.Barrier(2)
    outcomes = []

    def register():
        try:
            start.wait()
            time_entry_create(actor=user, project=project, date=MONDAY, hours=16)
            outcomes.append("saved")
        except ApplicationError as exc:
            outcomes.append(exc.message)
        except OperationalError as exc:  # SQLite's shared in-memory test database: locked
            outcomes.append(f"locked: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert TimeEntry.objects.filter(user=user).count() == 1
    assert sorted(outcomes)[-1] == "saved"
    refused = sorted(outcomes)[0]
    if connection.vendor == "postgresql":
        assert "a day has at most 24" in refused
    else:
        assert refused.startswith(("locked", f"{user} already has"))


# --- the range of days and the length of texts (issue 14: items 4, 8) ----------------------


@pytest.mark.parametrize(
    "data, field",
    [
        (
            {
                "started_at": datetime.datetime(1, 1, 1, 0, 30),
                "ended_at": datetime.datetime(1, 1, 1, 1, 30),
            },
            "started_at",
        ),
        (
            {
                "started_at": datetime.datetime(9999, 12, 31, 23, 0),
                "ended_at": datetime.datetime(9999, 12, 31, 23, 30),
            },
            "started_at",
        ),
        ({"date": datetime.date(1, 1, 1)}, "date"),
        ({"date": datetime.date(1999, 12, 31)}, "date"),
    ],
)
def test_days_outside_the_registration_range_are_refused_by_the_service(
    worker, project, data, field
):
    # The admin, the API and any import all call this service: one rule, one message.
    if "started_at" in data:
        data["date"] = None
    with pytest.raises(ApplicationError) as refused:
        _register(worker, project, **data)

    assert refused.value.field == field
    assert "Hours can be registered from 2000-01-01" in refused.value.message
    assert TimeEntry.objects.count() == 0


def test_a_day_two_years_ahead_is_accepted_and_one_more_is_not(worker, project):
    last = services.time_entry_last_day()

    _register(worker, project, date=last)
    with pytest.raises(ApplicationError):
        _register(worker, project, date=last + datetime.timedelta(days=1))

    assert TimeEntry.objects.count() == 1


def test_changing_a_draft_to_year_1_is_refused_by_the_service(worker, project):
    entry = _register(worker, project)

    with pytest.raises(ApplicationError) as refused:
        time_entry_update(
            actor=worker,
            entry=entry,
            data={
                "started_at": datetime.datetime(1, 1, 1, 0, 30),
                "ended_at": datetime.datetime(1, 1, 1, 1, 0),
            },
        )

    assert refused.value.field == "started_at"


@pytest.mark.parametrize("field", ["description", "internal_note"])
def test_a_text_longer_than_the_limit_is_refused_by_the_service(worker, project, field):
    with pytest.raises(ApplicationError) as refused:
        _register(worker, project, **{field: "x" * (services.TEXT_MAX_LENGTH + 1)})

    assert refused.value.field == field
    assert TimeEntry.objects.count() == 0


# --- only a project's members register hours on it ------------------------------------------


def test_an_hour_on_a_project_its_owner_is_not_a_member_of_is_refused(worker):
    stranger = ProjectFactory(name="Fjordbuss")

    with pytest.raises(ApplicationError) as refused:
        _register(worker, stranger)

    assert refused.value.field == "project"
    assert refused.value.message == (
        "Ola Nordmann is not a member of Fjordbuss: only the project's members can register "
        "hours on it. Add them to the project first."
    )
    assert not TimeEntry.objects.exists()


def test_an_administrator_registering_for_a_colleague_who_is_not_a_member_is_refused(
    office, worker
):
    stranger = ProjectFactory(name="Fjordbuss")

    with pytest.raises(ApplicationError, match="Ola Nordmann is not a member of Fjordbuss"):
        time_entry_create(actor=office, user=worker, project=stranger, date=MONDAY, hours=2)

    make_member(project=stranger, user=worker)
    entry = time_entry_create(actor=office, user=worker, project=stranger, date=MONDAY, hours=2)
    assert entry.user == worker and entry.project == stranger


def test_moving_a_draft_to_a_project_its_owner_is_not_a_member_of_is_refused(worker, project):
    entry = _register(worker, project)
    stranger = ProjectFactory(name="Fjordbuss")

    with pytest.raises(ApplicationError, match="not a member of Fjordbuss") as refused:
        time_entry_update(actor=worker, entry=entry, data={"project": stranger})

    assert refused.value.field == "project"
    entry.refresh_from_db()
    assert entry.project == project


def test_an_hour_whose_owner_has_left_the_project_can_still_be_corrected(worker, project):
    entry = _register(worker, project, hours=Decimal("7.5"))
    project_member_remove(project=project, user=worker)

    entry = time_entry_update(
        actor=worker, entry=entry, data={"hours": Decimal("6"), "description": "Rettet"}
    )

    entry.refresh_from_db()
    assert (entry.hours, entry.description, entry.project) == (Decimal("6.00"), "Rettet", project)
    # ... but no new hour goes there.
    with pytest.raises(ApplicationError, match="not a member of Nettbutikk"):
        _register(worker, project, date=MONDAY + datetime.timedelta(days=1))


def test_a_week_row_of_a_project_the_person_has_left_takes_no_new_day(worker, project):
    _register(worker, project, hours=Decimal("7.5"))
    project_member_remove(project=project, user=worker)
    row = WeekRowInput(
        project=project,
        task=None,
        work_type=project.default_work_type,
        cells={0: CellValue(hours=Decimal("6")), 1: CellValue(hours=Decimal("7.5"))},
    )

    with pytest.raises(WeekErrors) as refused:
        timesheet_week_save(actor=worker, user=worker, week_start=MONDAY, rows=[row])

    assert list(refused.value.cells) == [(0, 1)]  # the new day only; Monday's change was fine
    assert "Ola Nordmann is not a member of Nettbutikk" in refused.value.cells[(0, 1)]
    assert TimeEntry.objects.get().hours == Decimal("7.50")  # all or nothing


def test_a_timer_cannot_start_on_a_project_the_person_is_not_a_member_of(worker):
    with pytest.raises(ApplicationError, match="Ola Nordmann is not a member of Fjordbuss"):
        timer_start(actor=worker, project=ProjectFactory(name="Fjordbuss"))

    assert not Timer.objects.exists()
