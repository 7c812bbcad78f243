import datetime
import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.projects.models import Project
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from tests.accounts.factories import (
    UserFactory,
    admin_user,
    employee,
    project_manager,
    support_user,
)
from tests.projects.factories import (
    ProjectFactory,
    ProjectMemberFactory,
    ProjectRoleFactory,
    make_member,
    manager_role,
)
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

# Literal paths on purpose: they are the API's published contract.

DAY = datetime.date(2026, 11, 16)
Status = TimeEntry.Status

LIST_URL = "/api/v1/time-entries/"
BULK_URL = "/api/v1/time-entries/bulk-transition/"


def detail_url(entry: TimeEntry) -> str:
    return f"{LIST_URL}{entry.pk}/"


def step_url(entry: TimeEntry, step: str) -> str:
    return f"{LIST_URL}{entry.pk}/{step}/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def approver_of(project: Project):
    """A project manager whose project role on `project` approves hours."""
    manager = project_manager()
    ProjectMemberFactory(project=project, user=manager, role=manager_role())
    return manager


def new_entry(member=None, **overrides) -> dict:
    """A valid payload on a fresh project; `project` may be a Project or any raw value.

    `member`: the person the hour is for, put on the project (only members register on it).
    """
    project = overrides.pop("project", None) or ProjectFactory()
    if member is not None and isinstance(project, Project):
        make_member(project=project, user=member)
    project = project.pk if isinstance(project, Project) else project
    return {"project": project, "date": DAY.isoformat(), "hours": "7.5", **overrides}


# --- who gets in ---------------------------------------------------------------------------


def test_anonymous_request_is_refused_with_401():
    response = APIClient().get(LIST_URL)

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_staff_user_without_permission_gets_403_everywhere():
    entry = TimeEntryFactory()
    client = client_for(UserFactory())

    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(entry)).status_code == 403
    assert client.post(LIST_URL, new_entry(), format="json").status_code == 403
    assert client.patch(detail_url(entry), {"hours": "1"}, format="json").status_code == 403
    assert client.delete(detail_url(entry)).status_code == 403
    assert client.post(step_url(entry, "submit")).status_code == 403
    assert client.post(BULK_URL, {"ids": [entry.pk], "action": "submit"}).status_code == 403
    assert TimeEntry.objects.get().status == Status.DRAFT


def test_support_user_reads_every_entry_but_cannot_register():
    TimeEntryFactory.create_batch(2)
    client = client_for(support_user())

    assert client.get(LIST_URL).json()["count"] == 2
    assert client.post(LIST_URL, new_entry(), format="json").status_code == 403


# --- registering ---------------------------------------------------------------------------


def test_employee_registers_hours_as_a_draft():
    worker = employee()
    project = ProjectFactory(name="Kaiutvidelse", members=[worker])

    response = client_for(worker).post(
        LIST_URL, new_entry(project=project, description="Forskaling"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    entry = TimeEntry.objects.get()
    assert body["id"] == entry.pk
    assert entry.user == worker
    assert body["user"] == worker.pk
    assert body["hours"] == "7.50"
    assert body["billable_hours"] == "7.50"
    assert body["status"] == "draft"
    assert body["status_label"] == "Draft"
    assert body["rejection_reason"] == ""
    assert body["project_name"] == "Kaiutvidelse"
    assert body["project_number_display"] == "number pending"
    assert body["work_type"] == project.default_work_type_id
    assert body["work_type_name"] == project.default_work_type.name
    assert body["task"] is None
    assert body["transitions"] == []


def test_employee_registers_hours_with_start_and_stop_in_their_own_time_zone():
    worker = employee()
    project = ProjectFactory(members=[worker])

    response = client_for(worker).post(
        LIST_URL,
        {
            "project": project.pk,
            "started_at": "2026-11-16T08:00:00",
            "ended_at": "2026-11-16T10:30:00",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["hours"] == "2.50"
    assert body["date"] == "2026-11-16"
    # No zone given: Oslo wall-clock time, stored in UTC, shown back in Oslo time.
    assert body["started_at"] == "2026-11-16T08:00:00+01:00"
    assert body["ended_at"] == "2026-11-16T10:30:00+01:00"
    entry = TimeEntry.objects.get()
    assert entry.started_at == datetime.datetime(2026, 11, 16, 7, 0, tzinfo=datetime.UTC)


def test_start_after_midnight_utc_belongs_to_the_users_local_day():
    worker = employee(time_zone="Europe/Oslo")

    response = client_for(worker).post(
        LIST_URL,
        {
            "project": ProjectFactory(members=[worker]).pk,
            "started_at": "2026-11-16T23:30:00Z",
            "ended_at": "2026-11-17T01:00:00Z",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["date"] == "2026-11-17"


def test_employee_registers_on_a_task_they_are_assigned_to():
    worker = employee()
    task = TaskFactory(assignees=[worker], name="Støping")

    response = client_for(worker).post(
        LIST_URL, new_entry(project=task.project, task=task.pk), format="json"
    )

    assert response.status_code == 201, response.json()
    assert response.json()["task"] == task.pk
    assert response.json()["task_name"] == "Støping"


def test_admin_registers_hours_for_another_user():
    worker = employee()

    response = client_for(admin_user()).post(
        LIST_URL, new_entry(user=worker.pk, member=worker), format="json"
    )

    assert response.status_code == 201, response.json()
    assert TimeEntry.objects.get().user == worker


def test_registering_on_a_project_the_person_is_not_a_member_of_is_refused():
    worker = employee(first_name="Ola", last_name="Nordmann")
    stranger = ProjectFactory(name="Fjordbuss")

    response = client_for(worker).post(LIST_URL, new_entry(project=stranger), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "project": [
            "Ola Nordmann is not a member of Fjordbuss: only the project's members can "
            "register hours on it. Add them to the project first."
        ]
    }
    assert not TimeEntry.objects.exists()


def test_admin_registering_for_a_colleague_who_is_not_a_member_is_refused():
    worker = employee(first_name="Ola", last_name="Nordmann")
    stranger = ProjectFactory(name="Fjordbuss")

    response = client_for(admin_user()).post(
        LIST_URL, new_entry(project=stranger, user=worker.pk), format="json"
    )

    assert response.status_code == 400
    assert "Ola Nordmann is not a member of Fjordbuss" in response.json()["project"][0]
    assert not TimeEntry.objects.exists()


def test_employee_cannot_register_hours_for_another_user():
    other = employee()

    response = client_for(employee()).post(LIST_URL, new_entry(user=other.pk), format="json")

    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["You can only register and change your own hours."]
    }
    assert TimeEntry.objects.count() == 0


def _task_on_another_project(worker):
    return TaskFactory(assignees=[worker]).pk


@pytest.mark.parametrize(
    ("make_payload", "field", "message"),
    [
        pytest.param(
            lambda worker: new_entry(project=999999),
            "project",
            "Invalid pk",
            id="unknown-project",
        ),
        pytest.param(
            lambda worker: new_entry(project=ProjectFactory(status=Project.Status.ARCHIVED)),
            "project",
            "is archived",
            id="archived-project",
        ),
        pytest.param(
            lambda worker: {k: v for k, v in new_entry().items() if k != "project"},
            "project",
            "Choose a project",
            id="no-project",
        ),
        pytest.param(
            lambda worker: new_entry(project="eleven"),
            "project",
            "Incorrect type",
            id="project-of-wrong-type",
        ),
        pytest.param(
            lambda worker: new_entry(task=_task_on_another_project(worker), member=worker),
            "task",
            "belongs to another project",
            id="task-of-another-project",
        ),
        pytest.param(
            lambda worker: (
                lambda task: new_entry(project=task.project, task=task.pk, member=worker)
            )(TaskFactory(assignees=[employee()])),
            "task",
            "Only the task's assignees",
            id="not-assignee",
        ),
        pytest.param(
            lambda worker: new_entry(task=424242),
            "task",
            "Invalid pk",
            id="unknown-task",
        ),
        pytest.param(
            lambda worker: new_entry(hours="25"),
            "hours",
            "at most 24 hours",
            id="25-hours",
        ),
        pytest.param(
            lambda worker: new_entry(hours="0"),
            "hours",
            "more than 0",
            id="zero-hours",
        ),
        pytest.param(
            lambda worker: new_entry(hours="seven"),
            "hours",
            "A valid number is required",
            id="hours-not-a-number",
        ),
        pytest.param(
            lambda worker: new_entry(hours=["7"]),
            "hours",
            "A valid number is required",
            id="hours-a-list",
        ),
        pytest.param(
            lambda worker: new_entry(date="16.11.2026"),
            "date",
            "Date has wrong format",
            id="date-of-wrong-format",
        ),
        pytest.param(
            lambda worker: {
                "project": ProjectFactory().pk,
                "started_at": "2026-11-16T10:00:00",
                "ended_at": "2026-11-16T09:00:00",
            },
            "ended_at",
            "Stop must be after start",
            id="stop-before-start",
        ),
        pytest.param(
            lambda worker: {"project": ProjectFactory().pk, "started_at": "2026-11-16T10:00:00"},
            "ended_at",
            "both start and stop",
            id="start-without-stop",
        ),
        pytest.param(
            lambda worker: {
                "project": ProjectFactory().pk,
                "started_at": "yesterday",
                "ended_at": "2026-11-16T09:00:00",
            },
            "started_at",
            "Datetime has wrong format",
            id="start-not-a-time",
        ),
        pytest.param(
            lambda worker: {
                "project": ProjectFactory().pk,
                "started_at": "2026-11-16T08:00:00",
                "ended_at": "2026-11-17T09:00:00",
            },
            "hours",
            "at most 24 hours",
            id="start-stop-over-24-hours",
        ),
        pytest.param(
            lambda worker: new_entry(work_type=WorkTypeFactory(is_active=False).pk, member=worker),
            "work_type",
            "no longer in use",
            id="retired-work-type",
        ),
        pytest.param(
            lambda worker: (
                TimeEntryFactory(user=worker, date=DAY, hours=Decimal("20")),
                new_entry(hours="5", member=worker),
            )[1],
            "hours",
            "a day has at most 24",
            id="day-over-24-hours",
        ),
    ],
)
def test_invalid_entry_is_refused_with_a_field_error_and_nothing_saved(
    make_payload, field, message
):
    worker = employee()
    payload = make_payload(worker)
    before = TimeEntry.objects.count()

    response = client_for(worker).post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    assert TimeEntry.objects.count() == before


def test_malformed_json_is_a_400_not_a_500():
    worker = employee()

    response = client_for(worker).post(
        LIST_URL, data='{"project": 1, "hours": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]
    assert TimeEntry.objects.count() == 0


def test_a_json_list_instead_of_an_object_is_a_400():
    response = client_for(employee()).post(
        LIST_URL, data=json.dumps([1, 2]), content_type="application/json"
    )

    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert TimeEntry.objects.count() == 0


# --- reading -------------------------------------------------------------------------------


def test_employee_lists_only_their_own_entries():
    worker = employee()
    mine = TimeEntryFactory(user=worker)
    TimeEntryFactory(user=employee())

    body = client_for(worker).get(LIST_URL).json()

    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [mine.pk]


def test_employee_filtering_on_another_user_gets_nothing():
    worker, other = employee(), employee()
    TimeEntryFactory(user=worker)
    TimeEntryFactory(user=other)

    body = client_for(worker).get(LIST_URL, {"user": other.pk}).json()

    assert body["count"] == 0


def test_employee_cannot_reach_another_users_entry():
    other_entry = TimeEntryFactory(user=employee())
    client = client_for(employee())

    assert client.get(detail_url(other_entry)).status_code == 404
    assert client.patch(detail_url(other_entry), {"hours": "1"}, format="json").status_code == 404
    assert client.delete(detail_url(other_entry)).status_code == 404
    assert client.post(step_url(other_entry, "submit")).status_code == 404
    other_entry.refresh_from_db()
    assert other_entry.hours == Decimal("7.50")
    assert other_entry.status == Status.DRAFT


def test_project_manager_sees_own_entries_and_those_on_projects_they_approve():
    managed = ProjectFactory()
    manager = approver_of(managed)
    own = TimeEntryFactory(user=manager)
    on_managed = TimeEntryFactory(project=managed)
    TimeEntryFactory()  # somebody else's project
    member_only = ProjectFactory()
    ProjectMemberFactory(project=member_only, user=manager, role=ProjectRoleFactory())
    TimeEntryFactory(project=member_only)  # a member, but the role does not approve

    body = client_for(manager).get(LIST_URL).json()

    assert {row["id"] for row in body["results"]} == {own.pk, on_managed.pk}


def test_admin_lists_every_entry_and_filters_by_user():
    worker = employee()
    TimeEntryFactory(user=worker)
    TimeEntryFactory.create_batch(2)
    client = client_for(admin_user())

    assert client.get(LIST_URL).json()["count"] == 3
    body = client.get(LIST_URL, {"user": worker.pk}).json()
    assert [row["user"] for row in body["results"]] == [worker.pk]


def test_list_filters_by_dates_project_and_status():
    worker = employee()
    project = ProjectFactory()
    early = TimeEntryFactory(user=worker, date=datetime.date(2026, 11, 2), project=project)
    middle = TimeEntryFactory(
        user=worker, date=datetime.date(2026, 11, 10), status=Status.SUBMITTED
    )
    late = TimeEntryFactory(user=worker, date=datetime.date(2026, 11, 20), project=project)
    client = client_for(worker)

    def ids(**params):
        return {row["id"] for row in client.get(LIST_URL, params).json()["results"]}

    assert ids(date_from="2026-11-05") == {middle.pk, late.pk}
    assert ids(date_to="2026-11-10") == {early.pk, middle.pk}
    assert ids(date_from="2026-11-05", date_to="2026-11-15") == {middle.pk}
    assert ids(project=project.pk) == {early.pk, late.pk}
    assert ids(status="submitted") == {middle.pk}
    assert ids(project=project.pk, status="draft", date_from="2026-11-15") == {late.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "yesterday"}, "date_from"),
        ({"date_to": "2026-13-40"}, "date_to"),
        ({"project": "abc"}, "project"),
        ({"status": "approved-ish"}, "status"),
        ({"user": "-3"}, "user"),
    ],
)
def test_bad_filter_is_a_400_with_a_field_error(params, field):
    response = client_for(employee()).get(LIST_URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_retrieve_shows_the_approval_trail():
    worker = employee()
    boss = admin_user(first_name="Kari", last_name="Nordmann")
    entry = TimeEntryFactory(user=worker)
    client_for(worker).post(step_url(entry, "submit"))
    client_for(boss).post(step_url(entry, "reject"), {"reason": "Wrong project"}, format="json")

    body = client_for(worker).get(detail_url(entry)).json()

    assert body["status"] == "draft"
    assert body["rejection_reason"] == "Wrong project"
    steps = body["transitions"]
    assert [s["action"] for s in steps] == ["reject", "submit"]  # newest first
    assert steps[0]["action_label"] == "Rejected"
    assert steps[0]["actor"] == boss.pk
    assert steps[0]["actor_name"] == "Kari Nordmann"
    assert steps[0]["reason"] == "Wrong project"
    assert steps[0]["from_status"] == "submitted"
    assert steps[0]["to_status"] == "draft"
    assert steps[0]["at"]
    assert steps[1]["actor"] == worker.pk


def _list_entries(count: int, owner) -> None:
    projects = ProjectFactory.create_batch(3)
    for i in range(count):
        entry = TimeEntryFactory(
            user=owner,
            project=projects[i % 3],
            task=TaskFactory(project=projects[i % 3], assignees=[owner]),
            status=Status.SUBMITTED,
        )
        TimeEntryTransition.objects.create(
            entry=entry,
            action=TimeEntryTransition.Action.SUBMIT,
            from_status=Status.DRAFT,
            to_status=Status.SUBMITTED,
            actor=owner,
        )


@pytest.mark.parametrize("rows", [5, 50])
def test_list_uses_a_constant_number_of_queries(rows, django_assert_max_num_queries):
    worker = employee()
    _list_entries(rows, worker)
    client = client_for(worker)

    # session, user, its permissions (2), count, page, approval trail
    with django_assert_max_num_queries(7):
        response = client.get(LIST_URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [5, 50])
def test_approvers_list_uses_a_constant_number_of_queries(rows, django_assert_max_num_queries):
    project = ProjectFactory()
    manager = approver_of(project)
    for _ in range(rows):
        TimeEntryFactory(project=project)
    client = client_for(manager)

    with django_assert_max_num_queries(7):
        response = client.get(LIST_URL)

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows


# --- changing and deleting -----------------------------------------------------------------


def test_employee_changes_a_draft():
    worker = employee()
    entry = TimeEntryFactory(user=worker, date=DAY)

    response = client_for(worker).patch(
        detail_url(entry), {"hours": "3.25", "description": "Befaring"}, format="json"
    )

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.hours == Decimal("3.25")
    assert entry.billable_hours == Decimal("3.25")
    assert entry.description == "Befaring"
    assert response.json()["hours"] == "3.25"


def test_put_switches_a_draft_from_hours_to_start_and_stop():
    worker = employee()
    entry = TimeEntryFactory(user=worker, date=DAY)

    response = client_for(worker).put(
        detail_url(entry),
        {
            "project": entry.project_id,
            "started_at": "2026-11-16T12:00:00",
            "ended_at": "2026-11-16T13:00:00",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.hours == Decimal("1.00")
    assert entry.started_at is not None


def test_put_replaces_the_draft_and_clears_what_it_leaves_out():
    worker = employee()
    task = TaskFactory(assignees=[worker])
    entry = TimeEntryFactory(
        user=worker, project=task.project, task=task, date=DAY, internal_note="Ring kunden"
    )

    response = client_for(worker).put(
        detail_url(entry), {"project": task.project_id, "hours": "2"}, format="json"
    )

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.task is None
    assert entry.description == ""
    assert entry.internal_note == ""
    assert entry.hours == Decimal("2.00")
    assert entry.work_type == task.project.default_work_type


def test_patch_keeps_what_it_leaves_out():
    worker = employee()
    task = TaskFactory(assignees=[worker])
    entry = TimeEntryFactory(user=worker, project=task.project, task=task, date=DAY)

    response = client_for(worker).patch(detail_url(entry), {"hours": "2"}, format="json")

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.task == task
    assert entry.description != ""


def test_changing_a_draft_to_25_hours_is_refused_and_nothing_changes():
    worker = employee()
    entry = TimeEntryFactory(user=worker)

    response = client_for(worker).patch(detail_url(entry), {"hours": "25"}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["hours"]
    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def test_moving_a_draft_to_an_archived_project_is_refused():
    worker = employee()
    entry = TimeEntryFactory(user=worker)
    archived = ProjectFactory(status=Project.Status.ARCHIVED)

    response = client_for(worker).patch(detail_url(entry), {"project": archived.pk}, format="json")

    assert response.status_code == 400
    assert "is archived" in response.json()["project"][0]
    entry.refresh_from_db()
    assert entry.project_id != archived.pk


def test_moving_a_draft_to_a_project_its_owner_is_not_a_member_of_is_refused():
    worker = employee(first_name="Ola", last_name="Nordmann")
    entry = TimeEntryFactory(user=worker, date=DAY)
    stranger = ProjectFactory(name="Fjordbuss")

    response = client_for(worker).patch(detail_url(entry), {"project": stranger.pk}, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["project"]
    assert "Ola Nordmann is not a member of Fjordbuss" in response.json()["project"][0]
    entry.refresh_from_db()
    assert entry.project_id != stranger.pk


def test_a_draft_whose_owner_has_left_its_project_can_still_be_corrected():
    worker = employee()
    entry = TimeEntryFactory(user=worker, date=DAY, membership=False)

    response = client_for(worker).put(
        detail_url(entry), {"project": entry.project_id, "hours": "3"}, format="json"
    )

    assert response.status_code == 200, response.json()
    entry.refresh_from_db()
    assert entry.hours == Decimal("3.00")


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.SUBMITTED, "Submitted hours cannot be changed"),
        (Status.PROJECT_APPROVED, "read-only"),
        (Status.LOCKED, "read-only"),
    ],
)
def test_only_drafts_can_be_changed_or_deleted(status, message):
    worker = employee()
    entry = TimeEntryFactory(user=worker, status=status)
    client = client_for(worker)

    changed = client.patch(detail_url(entry), {"hours": "1"}, format="json")
    deleted = client.delete(detail_url(entry))

    assert changed.status_code == 400
    assert message in changed.json()["non_field_errors"][0]
    assert deleted.status_code == 400
    assert message in deleted.json()["non_field_errors"][0]
    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def test_employee_deletes_a_draft():
    worker = employee()
    entry = TimeEntryFactory(user=worker)

    response = client_for(worker).delete(detail_url(entry))

    assert response.status_code == 204
    assert not TimeEntry.objects.exists()


# --- approval ------------------------------------------------------------------------------


def test_entry_goes_all_the_way_from_draft_to_locked():
    project = ProjectFactory()
    worker = employee()
    manager = approver_of(project)
    boss = admin_user()
    entry = TimeEntryFactory(user=worker, project=project)

    steps = [
        (worker, "submit", "submitted"),
        (boss, "approve-user", "user_approved"),
        (manager, "approve-project", "project_approved"),
        (boss, "lock", "locked"),
    ]
    for actor, step, status in steps:
        response = client_for(actor).post(step_url(entry, step))
        assert response.status_code == 200, (step, response.json())
        assert response.json()["status"] == status

    entry.refresh_from_db()
    assert entry.status == Status.LOCKED
    assert entry.transitions.count() == 4
    assert response.json()["status_label"] == "Locked"


def test_project_manager_approves_only_on_their_own_project():
    managed, other = ProjectFactory(), ProjectFactory()
    manager = approver_of(managed)
    on_managed = TimeEntryFactory(project=managed, status=Status.USER_APPROVED)
    on_other = TimeEntryFactory(project=other, status=Status.USER_APPROVED)
    client = client_for(manager)

    assert client.post(step_url(on_managed, "approve-project")).status_code == 200
    assert client.post(step_url(on_other, "approve-project")).status_code == 404
    on_managed.refresh_from_db()
    on_other.refresh_from_db()
    assert on_managed.status == Status.PROJECT_APPROVED
    assert on_other.status == Status.USER_APPROVED


def test_project_manager_cannot_approve_their_own_hours():
    project = ProjectFactory()
    manager = approver_of(project)
    own = TimeEntryFactory(user=manager, project=project, status=Status.USER_APPROVED)

    response = client_for(manager).post(step_url(own, "approve-project"))

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["You cannot approve your own hours."]}
    own.refresh_from_db()
    assert own.status == Status.USER_APPROVED


@pytest.mark.parametrize(
    ("step", "status", "message"),
    [
        ("approve-user", Status.SUBMITTED, "not allowed to approve hours per user"),
        ("lock", Status.PROJECT_APPROVED, "not allowed to lock"),
        ("reopen", Status.LOCKED, "Only an administrator can reopen"),
    ],
)
def test_project_manager_is_refused_the_administrators_steps(step, status, message):
    project = ProjectFactory()
    manager = approver_of(project)
    entry = TimeEntryFactory(project=project, status=status)

    response = client_for(manager).post(step_url(entry, step), {"reason": "Because"}, format="json")

    assert response.status_code == 400
    assert message in response.json()["non_field_errors"][0]
    entry.refresh_from_db()
    assert entry.status == status
    assert not entry.transitions.exists()


def test_support_user_sees_but_cannot_approve():
    entry = TimeEntryFactory(status=Status.SUBMITTED)

    response = client_for(support_user()).post(step_url(entry, "approve-user"))

    assert response.status_code == 400
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


def test_submitting_twice_is_refused_with_the_reason():
    worker = employee()
    entry = TimeEntryFactory(user=worker, status=Status.SUBMITTED)

    response = client_for(worker).post(step_url(entry, "submit"))

    assert response.status_code == 400
    assert "is submitted, so it cannot be submitted" in response.json()["non_field_errors"][0]


@pytest.mark.parametrize("step", ["reject", "reopen"])
def test_reject_and_reopen_need_a_reason(step):
    status = Status.SUBMITTED if step == "reject" else Status.LOCKED
    entry = TimeEntryFactory(status=status)

    response = client_for(admin_user()).post(step_url(entry, step), {"reason": "  "}, format="json")

    assert response.status_code == 400
    assert response.json() == {"reason": ["Give a reason."]}
    entry.refresh_from_db()
    assert entry.status == status


def test_project_manager_rejects_on_their_project_with_a_reason():
    project = ProjectFactory()
    manager = approver_of(project)
    entry = TimeEntryFactory(project=project, status=Status.USER_APPROVED)

    response = client_for(manager).post(
        step_url(entry, "reject"), {"reason": "Feil arbeidstype"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "draft"
    assert response.json()["rejection_reason"] == "Feil arbeidstype"


def test_admin_reopens_locked_hours_and_it_is_logged():
    boss = admin_user()
    entry = TimeEntryFactory(status=Status.LOCKED)

    response = client_for(boss).post(
        step_url(entry, "reopen"), {"reason": "Customer disputes"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "draft"
    step = entry.transitions.get()
    assert (step.action, step.actor, step.reason) == ("reopen", boss, "Customer disputes")


def test_reopened_entry_can_be_changed_again():
    worker = employee()
    entry = TimeEntryFactory(user=worker, status=Status.LOCKED)
    client_for(admin_user()).post(step_url(entry, "reopen"), {"reason": "Typo"}, format="json")

    response = client_for(worker).patch(detail_url(entry), {"hours": "6"}, format="json")

    assert response.status_code == 200, response.json()


# --- bulk ----------------------------------------------------------------------------------


def test_project_manager_bulk_approves_and_gets_told_what_was_refused():
    project = ProjectFactory()
    manager = approver_of(project)
    ready = TimeEntryFactory.create_batch(2, project=project, status=Status.USER_APPROVED)
    not_ready = TimeEntryFactory(project=project, status=Status.SUBMITTED)
    own = TimeEntryFactory(user=manager, project=project, status=Status.USER_APPROVED)
    elsewhere = TimeEntryFactory(status=Status.USER_APPROVED)

    response = client_for(manager).post(
        BULK_URL,
        {
            "ids": [e.pk for e in [*ready, not_ready, own, elsewhere]] + [999999],
            "action": "approve_project",
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert sorted(body["moved"]) == sorted(e.pk for e in ready)
    refused = {row["id"]: row["reason"] for row in body["refused"]}
    assert set(refused) == {not_ready.pk, own.pk, elsewhere.pk, 999999}
    assert "cannot be approved (project)" in refused[not_ready.pk]
    assert refused[own.pk] == "You cannot approve your own hours."
    assert refused[elsewhere.pk] == "No time entry with this id, or you may not see it."
    assert set(
        TimeEntry.objects.filter(status=Status.PROJECT_APPROVED).values_list("pk", flat=True)
    ) == {e.pk for e in ready}
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.USER_APPROVED


def test_bulk_reject_without_a_reason_refuses_every_entry():
    entries = TimeEntryFactory.create_batch(2, status=Status.SUBMITTED)

    response = client_for(admin_user()).post(
        BULK_URL, {"ids": [e.pk for e in entries], "action": "reject"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["moved"] == []
    assert {row["reason"] for row in response.json()["refused"]} == {"Give a reason."}
    assert TimeEntry.objects.filter(status=Status.SUBMITTED).count() == 2


def test_bulk_is_for_managers_only():
    worker = employee()
    entry = TimeEntryFactory(user=worker)

    response = client_for(worker).post(
        BULK_URL, {"ids": [entry.pk], "action": "submit"}, format="json"
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"ids": [1], "action": "approve"}, "action"),
        ({"ids": [], "action": "lock"}, "ids"),
        ({"ids": ["x"], "action": "lock"}, "ids"),
        ({"action": "lock"}, "ids"),
    ],
)
def test_bulk_with_bad_input_is_a_400(payload, field):
    response = client_for(admin_user()).post(BULK_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


# --- odd ids -------------------------------------------------------------------------------

HUGE_ID = 10**20  # beyond a 64-bit integer


def test_ids_out_of_range_are_not_found_or_field_errors_never_500():
    worker = employee()
    TimeEntryFactory(user=worker)
    client = client_for(worker)

    assert client.get(f"{LIST_URL}{HUGE_ID}/").status_code == 404
    assert client.get(f"{LIST_URL}abc/").status_code == 404
    for name in ["project", "user"]:
        response = client.get(LIST_URL, {name: HUGE_ID})
        assert response.status_code == 400
        assert list(response.json()) == [name]
    created = client.post(LIST_URL, new_entry(project=HUGE_ID), format="json")
    assert created.status_code == 400
    assert "Invalid pk" in created.json()["project"][0]
    assert TimeEntry.objects.count() == 1


def test_bulk_with_an_id_out_of_range_is_a_400_and_moves_nothing():
    entry = TimeEntryFactory(status=Status.SUBMITTED)

    response = client_for(admin_user()).post(
        BULK_URL, {"ids": [entry.pk, HUGE_ID], "action": "approve_user"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["ids"]
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


@pytest.mark.parametrize("steps", [1, 6])
def test_retrieve_and_approval_answers_use_a_constant_number_of_queries(
    steps, django_assert_max_num_queries
):
    worker = employee()
    boss = admin_user()
    entry = TimeEntryFactory(user=worker, status=Status.SUBMITTED)
    for _ in range(steps):
        TimeEntryTransition.objects.create(
            entry=entry,
            action=TimeEntryTransition.Action.SUBMIT,
            from_status=Status.DRAFT,
            to_status=Status.SUBMITTED,
            actor=worker,
        )
    worker_client, boss_client = client_for(worker), client_for(boss)

    # session, user, its permissions (2), entry, approval trail
    with django_assert_max_num_queries(6):
        assert worker_client.get(detail_url(entry)).status_code == 200
    # (+1: the ERP sync asks which connections transfer approved hours; +1: the audit record)
    with django_assert_max_num_queries(14):
        response = boss_client.post(step_url(entry, "approve-user"))
    assert response.status_code == 200
    assert len(response.json()["transitions"]) == steps + 1


# --- hostile input (issue 14: items 4, 5, 8) -----------------------------------------------


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"started_at": "0001-01-01T00:30:00", "ended_at": "0001-01-01T01:30:00"}, "started_at"),
        (
            {"started_at": "0001-01-01T00:30:00+05:00", "ended_at": "0001-01-01T01:30:00"},
            "started_at",
        ),
        ({"started_at": "9999-12-31T23:00:00", "ended_at": "9999-12-31T23:30:00"}, "started_at"),
        ({"date": "0001-01-01"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"date": "1999-12-31"}, "date"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_with_a_field_error(payload, field):
    worker = employee()
    body = new_entry(**payload)
    if "started_at" in payload:
        del body["date"], body["hours"]

    response = client_for(worker).post(LIST_URL, body, format="json")

    assert response.status_code == 400
    assert "Hours can be registered from 2000-01-01" in response.json()[field][0]
    assert TimeEntry.objects.count() == 0


def test_changing_a_draft_to_year_1_is_refused_and_nothing_changes():
    worker = employee()
    entry = TimeEntryFactory(user=worker)

    response = client_for(worker).patch(
        detail_url(entry),
        {"started_at": "0001-01-01T00:30:00", "ended_at": "0001-01-01T01:00:00"},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"started_at", "ended_at"}
    entry.refresh_from_db()
    assert entry.started_at is None


def test_a_misspelled_field_is_refused_and_named():
    worker = employee()

    response = client_for(worker).post(LIST_URL, new_entry(descripton="Workshop"), format="json")

    assert response.status_code == 400
    assert response.json() == {"descripton": ["Unknown field. Did you mean “description”?"]}
    assert TimeEntry.objects.count() == 0


def test_unknown_fields_are_refused_on_every_write_of_an_entry():
    worker = employee()
    boss = admin_user()
    entry = TimeEntryFactory(user=worker)

    patch = client_for(worker).patch(detail_url(entry), {"status": "locked"}, format="json")
    submit = client_for(worker).post(step_url(entry, "submit"), {"why": "x"}, format="json")
    bulk = client_for(boss).post(
        BULK_URL, {"ids": [entry.pk], "action": "submit", "reasn": "x"}, format="json"
    )

    assert patch.status_code == submit.status_code == bulk.status_code == 400
    assert list(patch.json()) == ["status"]
    assert list(submit.json()) == ["why"]
    assert list(bulk.json()) == ["reasn"]
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


def test_a_description_of_a_million_characters_is_refused():
    worker = employee()

    response = client_for(worker).post(
        LIST_URL, new_entry(description="x" * 1_000_000), format="json"
    )

    assert response.status_code == 400
    assert "5000" in response.json()["description"][0]
    assert TimeEntry.objects.count() == 0


def test_a_reason_longer_than_the_limit_is_refused():
    worker = employee()
    entry = TimeEntryFactory(user=worker, status=Status.SUBMITTED)

    response = client_for(admin_user()).post(
        step_url(entry, "reject"), {"reason": "x" * 2001}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED


@pytest.mark.parametrize("depth", [33, 5000, 100_000])
def test_deeply_nested_json_is_a_400_with_the_reason(depth):
    worker = employee()

    response = client_for(worker).post(
        LIST_URL, data="[" * depth + "]" * depth, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON is nested more than 32 levels deep."


def test_brackets_inside_strings_do_not_count_as_nesting():
    worker = employee()

    response = client_for(worker).post(
        LIST_URL, new_entry(description="[" * 100 + "{" * 100, member=worker), format="json"
    )

    assert response.status_code == 201
    assert response.json()["description"] == "[" * 100 + "{" * 100


def test_a_body_larger_than_the_upload_limit_is_refused(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000

    response = client_for(employee()).post(
        LIST_URL, new_entry(description="x" * 20_000), format="json"
    )

    # Django's own check (RequestDataTooBig) or the parser's: a 4xx either way, never read.
    assert response.status_code in (400, 413)
    assert TimeEntry.objects.count() == 0


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_list_filter_dates_at_the_ends_of_the_calendar_are_a_400(value):
    response = client_for(employee()).get(LIST_URL, {"date_from": value})

    assert response.status_code == 400
    assert list(response.json()) == ["date_from"]
