"""The time entry admin: who sees which hours, registering through the rules, bulk approval."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.core.formatting import format_hours
from apps.projects.models import Project
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.services import time_entry_transition
from tests.accounts.factories import UserFactory, admin_user, employee, project_manager
from tests.integrations.factories import connection_24so
from tests.projects.factories import ProjectFactory, ProjectMemberFactory, manager_role
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

Status = TimeEntry.Status
CHANGELIST = "admin:timesheets_timeentry_changelist"
ADD = "admin:timesheets_timeentry_add"
CONFIRMATION = "admin/timesheets/timeentry/transition_confirmation.html"


def _change_url(entry: TimeEntry) -> str:
    return reverse("admin:timesheets_timeentry_change", args=[entry.pk])


def _listed(response) -> set[int]:
    return {entry.pk for entry in response.context["cl"].result_list}


def _errors(response, field: str) -> str:
    return " ".join(response.context["adminform"].form.errors[field])


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _action(client, action: str, entries, **extra):
    data = {"action": action, "_selected_action": [e.pk for e in entries], **extra}
    return client.post(reverse(CHANGELIST), data, follow=bool(extra.get("post")))


def _member_project(user, *, approves: bool = False) -> Project:
    role = manager_role() if approves else None
    member = ProjectMemberFactory(user=user, role=role) if role else ProjectMemberFactory(user=user)
    return member.project


def _entry_form(project: Project, **overrides) -> dict:
    data = {
        "date": "2026-11-16",
        "project": project.pk,
        "task": "",
        "work_type": project.default_work_type_id,
        "hours": "7.5",
        "billable_hours": "",
        "started_at_0": "",
        "started_at_1": "",
        "ended_at_0": "",
        "ended_at_1": "",
        "description": "Workshop",
        "internal_note": "",
    }
    data.update(overrides)
    return data


# --- who sees what ------------------------------------------------------------------------


def test_staff_without_permission_is_forbidden_and_sees_no_hours_on_the_index(client):
    client.force_login(UserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert client.get(reverse(ADD)).status_code == 403
    index = client.get(reverse("admin:index"))
    assert reverse(CHANGELIST) not in index.content.decode()


def test_employee_sees_only_their_own_entries(client):
    me = employee()
    mine = TimeEntryFactory(user=me)
    TimeEntryFactory(user=employee())
    client.force_login(me)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert _listed(response) == {mine.pk}


def test_employee_cannot_open_someone_elses_entry(client):
    me = employee()
    theirs = TimeEntryFactory(user=employee())
    client.force_login(me)
    response = client.get(_change_url(theirs))
    assert response.status_code in (302, 404)
    assert response.status_code != 200
    response = client.post(_change_url(theirs), _entry_form(theirs.project, hours="1"))
    assert response.status_code in (302, 403, 404)
    theirs.refresh_from_db()
    assert theirs.hours == Decimal("7.50")


def test_project_manager_sees_own_entries_and_those_on_projects_they_approve(client):
    manager = project_manager()
    approved_project = _member_project(manager, approves=True)
    other_project = _member_project(manager, approves=False)
    own = TimeEntryFactory(user=manager, project=other_project)
    on_approved = TimeEntryFactory(project=approved_project)
    TimeEntryFactory(project=other_project)
    TimeEntryFactory()
    client.force_login(manager)
    response = client.get(reverse(CHANGELIST))
    assert _listed(response) == {own.pk, on_approved.pk}


def test_project_manager_sees_a_team_members_entry_read_only(client):
    manager = project_manager()
    entry = TimeEntryFactory(project=_member_project(manager, approves=True))
    client.force_login(manager)
    response = client.get(_change_url(entry))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert "only they or an administrator can change them" in response.content.decode()
    assert client.post(_change_url(entry), _entry_form(entry.project)).status_code == 403


# --- registering ---------------------------------------------------------------------------


def test_employee_registers_hours_for_themselves_without_a_user_field(client):
    me = employee()
    project = _member_project(me)
    client.force_login(me)
    form = client.get(reverse(ADD)).context["adminform"].form
    assert "user" not in form.fields
    response = client.post(reverse(ADD), _entry_form(project))
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert entry.user == me
    assert entry.hours == Decimal("7.50")
    assert entry.billable_hours == Decimal("7.50")  # derived by the service
    assert entry.status == Status.DRAFT


def test_admin_registers_hours_for_a_colleague_and_the_user_defaults_to_themselves(client):
    office = admin_user()
    colleague = employee()
    project = _member_project(colleague)
    client.force_login(office)
    form = client.get(reverse(ADD)).context["adminform"].form
    assert form.initial["user"] == office.pk
    response = client.post(reverse(ADD), _entry_form(project, user=colleague.pk))
    assert response.status_code == 302
    assert TimeEntry.objects.get().user == colleague


def test_admin_registering_for_a_colleague_who_is_not_a_member_is_refused_on_the_project(client):
    office = admin_user()
    colleague = employee(first_name="Ola", last_name="Nordmann")
    stranger = ProjectFactory(name="Fjordbuss")
    client.force_login(office)
    response = client.post(reverse(ADD), _entry_form(stranger, user=colleague.pk))
    assert response.status_code == 200
    assert _errors(response, "project") == (
        "Ola Nordmann is not a member of Fjordbuss: only the project's members can register "
        "hours on it. Add them to the project first."
    )
    assert not TimeEntry.objects.exists()


def test_moving_an_hour_in_the_form_to_a_project_its_owner_is_not_on_is_refused(client):
    me = employee(first_name="Ola", last_name="Nordmann")
    entry = TimeEntryFactory(user=me, project=_member_project(me))
    stranger = ProjectFactory(name="Fjordbuss")
    client.force_login(me)
    response = client.post(_change_url(entry), _entry_form(stranger, **_no_transitions()))
    assert response.status_code == 200
    assert "Ola Nordmann is not a member of Fjordbuss" in _errors(response, "project")
    entry.refresh_from_db()
    assert entry.project_id != stranger.pk


def test_an_hour_whose_owner_left_the_project_is_still_corrected_in_the_form(client):
    me = employee()
    entry = TimeEntryFactory(user=me, membership=False)
    client.force_login(me)
    data = _entry_form(entry.project, hours="4", **_no_transitions())
    assert client.post(_change_url(entry), data).status_code == 302
    entry.refresh_from_db()
    assert entry.hours == Decimal("4.00")


def test_employee_cannot_register_for_someone_else_by_posting_a_user(client):
    me = employee()
    other = employee()
    project = _member_project(me)
    client.force_login(me)
    client.post(reverse(ADD), _entry_form(project, user=other.pk))
    assert not TimeEntry.objects.filter(user=other).exists()


@pytest.mark.parametrize("hours", ["25", "0", "-1"])
def test_entry_outside_0_to_24_hours_is_a_form_error_and_saves_nothing(client, hours):
    me = employee()
    project = _member_project(me)
    client.force_login(me)
    response = client.post(reverse(ADD), _entry_form(project, hours=hours))
    assert response.status_code == 200
    assert "at most 24 hours" in _errors(response, "hours")
    assert not TimeEntry.objects.exists()


def test_time_on_an_archived_project_is_a_form_error(client):
    me = employee()
    project = _member_project(me)
    Project.objects.filter(pk=project.pk).update(status=Project.Status.ARCHIVED)
    client.force_login(me)
    response = client.post(reverse(ADD), _entry_form(project))
    assert response.status_code == 200
    assert "is archived" in _errors(response, "project")
    assert not TimeEntry.objects.exists()


def test_time_on_a_task_one_is_not_assigned_to_is_a_form_error(client):
    me = employee()
    project = _member_project(me)
    task = TaskFactory(project=project)
    client.force_login(me)
    response = client.post(reverse(ADD), _entry_form(project, task=task.pk))
    assert response.status_code == 200
    assert "Only the task's assignees" in _errors(response, "task")
    assert not TimeEntry.objects.exists()


def test_time_on_an_assigned_task_is_saved(client):
    me = employee()
    project = _member_project(me)
    task = TaskFactory(project=project, assignees=[me])
    client.force_login(me)
    assert client.post(reverse(ADD), _entry_form(project, task=task.pk)).status_code == 302
    assert TimeEntry.objects.get().task == task


def test_start_and_stop_give_the_hours(client):
    me = employee()
    project = _member_project(me)
    client.force_login(me)
    data = _entry_form(
        project,
        hours="",
        started_at_0="2026-11-16",
        started_at_1="08:00",
        ended_at_0="2026-11-16",
        ended_at_1="11:30",
    )
    assert client.post(reverse(ADD), data).status_code == 302
    assert TimeEntry.objects.get().hours == Decimal("3.50")


def test_owner_changes_a_draft_through_the_service(client):
    me = employee()
    entry = TimeEntryFactory(user=me, project=_member_project(me))
    client.force_login(me)
    data = _entry_form(entry.project, hours="4", **_no_transitions())
    response = client.post(_change_url(entry), data)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.hours == Decimal("4.00")
    assert entry.billable_hours == Decimal("4.00")


def test_invalid_change_of_a_draft_changes_nothing(client):
    me = employee()
    entry = TimeEntryFactory(user=me, project=_member_project(me))
    client.force_login(me)
    response = client.post(
        _change_url(entry), _entry_form(entry.project, hours="25", **_no_transitions())
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def _no_transitions() -> dict:
    return {"transitions-TOTAL_FORMS": "0", "transitions-INITIAL_FORMS": "0"}


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Status.SUBMITTED, "Submitted hours cannot be changed"),
        (Status.LOCKED, "These hours are locked and read-only"),
    ],
)
def test_non_draft_entry_is_read_only_with_the_reason(client, status, reason):
    me = employee()
    entry = TimeEntryFactory(user=me, project=_member_project(me), status=status)
    client.force_login(me)
    response = client.get(_change_url(entry))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert reason in response.content.decode()
    response = client.post(_change_url(entry), _entry_form(entry.project, hours="1"))
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.hours == Decimal("7.50")


def test_a_rejected_draft_shows_why_it_was_sent_back(client):
    me = employee()
    entry = TimeEntryFactory(user=me, rejection_reason="Wrong project")
    client.force_login(me)
    assert "Sent back: Wrong project" in client.get(_change_url(entry)).content.decode()


def test_approval_trail_is_shown_read_only_on_the_entry(client):
    me = employee()
    entry = TimeEntryFactory(user=me, project=_member_project(me))
    client.force_login(me)
    _action(client, "submit", [entry], post="yes")
    response = client.get(_change_url(entry))
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.model is TimeEntryTransition
    assert not inline.has_add_permission and not inline.has_change_permission
    assert "Submitted" in response.content.decode()


def test_owner_deletes_a_draft_but_not_a_submitted_entry(client):
    me = employee()
    draft = TimeEntryFactory(user=me)
    submitted = TimeEntryFactory(user=me, status=Status.SUBMITTED)
    client.force_login(me)
    delete = reverse("admin:timesheets_timeentry_delete", args=[draft.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not TimeEntry.objects.filter(pk=draft.pk).exists()
    delete = reverse("admin:timesheets_timeentry_delete", args=[submitted.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert TimeEntry.objects.filter(pk=submitted.pk).exists()


def test_bulk_delete_refuses_all_when_one_entry_is_not_a_draft(client):
    office = admin_user()
    draft = TimeEntryFactory()
    locked = TimeEntryFactory(status=Status.LOCKED)
    client.force_login(office)
    response = _action(client, "delete_selected", [draft, locked], post="yes")
    assert "Nothing was deleted" in " ".join(_messages(response))
    assert TimeEntry.objects.count() == 2


# --- approval actions ---------------------------------------------------------------------


def _actions_offered(client) -> set[str]:
    response = client.get(reverse(CHANGELIST))
    return {name for name, _label in response.context["action_form"].fields["action"].choices}


def test_actions_offered_follow_the_role(client):
    client.force_login(employee())
    exports = {"export_csv", "export_xlsx"}  # everyone exports what they may see
    assert _actions_offered(client) == {"", "delete_selected", "submit", *exports}
    client.force_login(project_manager())
    assert _actions_offered(client) == {
        "",
        "delete_selected",
        "submit",
        "approve_project",
        "reject",
        *exports,
    }
    client.force_login(admin_user())
    assert {"approve_user", "approve_project", "lock", "reject", "reopen"} <= _actions_offered(
        client
    )


def _assert_first_pass_changes_nothing(client, action, entries, status):
    response = _action(client, action, entries)
    assert response.status_code == 200
    assert CONFIRMATION in [t.name for t in response.templates]
    for entry in entries:
        entry.refresh_from_db()
        assert entry.status == status
    assert not TimeEntryTransition.objects.filter(entry__in=entries, action=action).exists()
    return response


@pytest.mark.parametrize(
    ("action", "start", "end", "actor_factory", "said"),
    [
        ("submit", Status.DRAFT, Status.SUBMITTED, None, "2 hours submitted"),
        ("approve_user", Status.SUBMITTED, Status.USER_APPROVED, admin_user, "2 hours approved"),
        ("lock", Status.PROJECT_APPROVED, Status.LOCKED, admin_user, "2 hours locked"),
    ],
)
def test_two_pass_action_moves_entries_and_records_the_step(
    client, action, start, end, actor_factory, said
):
    owner = employee()
    entries = [TimeEntryFactory(user=owner, status=start) for _ in range(2)]
    actor = actor_factory() if actor_factory else owner
    client.force_login(actor)
    _assert_first_pass_changes_nothing(client, action, entries, start)
    response = _action(client, action, entries, post="yes")
    assert response.status_code == 200
    assert said in _messages(response)[0]
    for entry in entries:
        entry.refresh_from_db()
        assert entry.status == end
        step = entry.transitions.get()
        assert (step.action, step.from_status, step.to_status, step.actor) == (
            action,
            start,
            end,
            actor,
        )


def test_project_manager_approves_on_their_project_and_is_refused_on_their_own_hours(client):
    manager = project_manager()
    project = _member_project(manager, approves=True)
    theirs = TimeEntryFactory(project=project, status=Status.USER_APPROVED)
    own = TimeEntryFactory(user=manager, project=project, status=Status.USER_APPROVED)
    client.force_login(manager)
    _assert_first_pass_changes_nothing(
        client, "approve_project", [theirs, own], Status.USER_APPROVED
    )
    response = _action(client, "approve_project", [theirs, own], post="yes")
    message = _messages(response)[0]
    assert "1 hour approved; 1 refused: You cannot approve your own hours." in message
    theirs.refresh_from_db()
    own.refresh_from_db()
    assert theirs.status == Status.PROJECT_APPROVED
    assert own.status == Status.USER_APPROVED
    assert theirs.transitions.get().actor == manager


def test_reject_asks_for_a_reason_and_sends_hours_back(client):
    office = admin_user()
    entry = TimeEntryFactory(status=Status.SUBMITTED)
    client.force_login(office)
    first = _assert_first_pass_changes_nothing(client, "reject", [entry], Status.SUBMITTED)
    assert "reason" in first.context["form"].fields
    response = _action(client, "reject", [entry], post="yes", reason="Wrong project")
    assert "1 hour sent back" in _messages(response)[0]
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    assert entry.rejection_reason == "Wrong project"
    assert entry.transitions.get().reason == "Wrong project"


def test_reject_without_a_reason_is_refused_and_changes_nothing(client):
    office = admin_user()
    entry = TimeEntryFactory(status=Status.SUBMITTED)
    client.force_login(office)
    response = _action(client, "reject", [entry], post="yes", reason="  ")
    assert response.status_code == 200
    assert CONFIRMATION in [t.name for t in response.templates]
    assert response.context["form"].errors["reason"]
    entry.refresh_from_db()
    assert entry.status == Status.SUBMITTED
    assert not entry.transitions.exists()


def test_admin_reopens_locked_hours_with_a_reason(client):
    office = admin_user()
    entry = TimeEntryFactory(status=Status.LOCKED)
    client.force_login(office)
    _assert_first_pass_changes_nothing(client, "reopen", [entry], Status.LOCKED)
    response = _action(client, "reopen", [entry], post="yes", reason="Wrong date")
    assert "1 hour reopened" in _messages(response)[0]
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT
    step = entry.transitions.get()
    assert (step.action, step.reason) == ("reopen", "Wrong date")
    history = LogEntry.objects.get(object_id=str(entry.pk))
    assert (history.user, history.get_change_message()) == (office, "Reopened Wrong date")


def test_reopen_is_not_offered_to_a_project_manager_and_cannot_be_forced(client):
    manager = project_manager()
    entry = TimeEntryFactory(project=_member_project(manager, approves=True), status=Status.LOCKED)
    client.force_login(manager)
    assert "reopen" not in _actions_offered(client)
    _action(client, "reopen", [entry], post="yes", reason="Please")
    entry.refresh_from_db()
    assert entry.status == Status.LOCKED
    assert not entry.transitions.exists()


def test_action_on_entries_in_the_wrong_state_reports_the_refusal(client):
    office = admin_user()
    entry = TimeEntryFactory(status=Status.DRAFT)
    client.force_login(office)
    response = _action(client, "lock", [entry], post="yes")
    assert "0 hours locked; 1 refused:" in _messages(response)[0]
    entry.refresh_from_db()
    assert entry.status == Status.DRAFT


# --- performance ----------------------------------------------------------------------------


def _rows(count: int) -> None:
    for day in range(count):
        project = ProjectFactory()
        user = employee()
        ProjectMemberFactory(project=project, user=user)
        task = TaskFactory(project=project, assignees=[user])
        TimeEntryFactory(
            user=user, project=project, task=task, date=datetime.date(2026, 1, 1 + day % 28)
        )


def test_changelist_query_count_does_not_grow_with_rows(client, django_assert_num_queries):
    office = admin_user()
    client.force_login(office)
    # Each row brings its own project and customer: neither filter lists them, so the page
    # costs the same 8 queries (session and user, the count with the sums of the hours, page,
    # the work-type and user filters) at 5 rows and 50, and no scan of every date.
    _rows(5)
    with django_assert_num_queries(8), CaptureQueriesContext(connection) as five:
        response = client.get(reverse(CHANGELIST))
    assert response.context["cl"].result_count == 5
    _rows(45)
    with django_assert_num_queries(8), CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 50
    assert len(fifty) == len(five), [q["sql"] for q in fifty.captured_queries]
    page = response.content.decode()
    assert Project.objects.count() == 50
    assert not any(p.name in page.split('id="changelist-filter"')[1] for p in Project.objects.all())
    for query in fifty.captured_queries:  # no SELECT DISTINCT of the dates for the year links
        assert "DISTINCT" not in query["sql"].upper(), query["sql"]


def _filtered(client, **params) -> set[int]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return _listed(response)


def test_filters_by_typed_project_and_customer_number_or_name(client):
    # Customers named apart, so a piece of one name never matches the other (random names did).
    a = TimeEntryFactory(
        project=ProjectFactory(
            name="Kai renovation", number=4711, customer__name="Bergen Havnevesen AS"
        )
    )
    b = TimeEntryFactory(
        project=ProjectFactory(
            name="Harbour cranes", number=4712, customer__name="Tromsø Kranservice AS"
        )
    )
    client.force_login(admin_user())
    assert _filtered(client, project="4711") == {a.pk}
    assert _filtered(client, project="crane") == {b.pk}
    assert _filtered(client, project="nothing like it") == set()
    assert _filtered(client, customer=b.project.customer.number) == {b.pk}
    assert _filtered(client, customer=a.project.customer.name[2:8].upper()) == {a.pk}
    # A bookmarked link from before the typed filters still filters by project id.
    assert _filtered(client, project__id__exact=str(b.project_id)) == {b.pk}
    # Filters combine, and the typed box keeps the other filters in hidden fields.
    response = client.get(reverse(CHANGELIST), {"project": "4711", "status__exact": "draft"})
    page = response.content.decode()
    assert 'name="project" value="4711"' in page
    assert '<input type="hidden" name="status__exact" value="draft">' in page


def test_date_filter_offers_last_week_and_last_month_and_filters(client):
    today = datetime.date.today()
    first_of_month = today.replace(day=1)
    last_month_day = first_of_month - datetime.timedelta(days=1)
    old = TimeEntryFactory(date=last_month_day)
    recent = TimeEntryFactory(date=today)
    client.force_login(admin_user())
    page = client.get(reverse(CHANGELIST)).content.decode()
    for label in ("Today", "Past 7 days", "This month", "This year", "Last week", "Last month"):
        assert label in page
    last_month = {
        "date__gte": str(last_month_day.replace(day=1)),
        "date__lt": str(first_of_month),
    }
    assert _filtered(client, **last_month) == {old.pk}
    assert _filtered(client, date__gte=str(first_of_month)) == {recent.pk}
    # The year and month of the former date hierarchy still work from old bookmarks.
    assert _filtered(client, date__year=str(today.year), date__month=str(today.month)) == {
        recent.pk
    }


def test_total_is_of_all_filtered_hours_not_only_the_page(client):
    project = ProjectFactory(name="Bridge", number=9001)
    for day in range(3):
        TimeEntryFactory(
            project=project,
            hours=Decimal("2.5"),
            billable_hours=Decimal("2"),
            date=datetime.date(2026, 1, 1 + day),
        )
    TimeEntryFactory(hours=Decimal("8"))  # another project: not in the filtered total
    client.force_login(admin_user())
    response = client.get(reverse(CHANGELIST), {"project": "9001"})
    assert response.context["cl"].result_count == 3
    assert response.context["hours_total"] == format_hours(Decimal("7.5"))
    assert response.context["billable_total"] == format_hours(Decimal("6"))


def test_a_list_past_the_exact_limit_says_more_than_and_totals_wait_for_a_filter(
    client, monkeypatch
):
    from apps.timesheets.admin import TotalsPaginator

    # The limit is 100,000 entries; the behaviour is the same at 6 (the page holds 50).
    monkeypatch.setattr(TotalsPaginator, "EXACT_UP_TO", 6)
    project = ProjectFactory(name="Bridge", number=9001)
    for day in range(3):
        TimeEntryFactory(
            project=project, hours=Decimal("2.5"), date=datetime.date(2026, 1, 1 + day)
        )
    for day in range(5):
        TimeEntryFactory(hours=Decimal("8"), date=datetime.date(2026, 2, 1 + day))
    client.force_login(admin_user())

    response = client.get(reverse(CHANGELIST))

    page = response.content.decode()
    assert "More than 6 time entries" in page
    assert "hours_total" not in response.context  # no total of an unbounded list
    assert 'class="hours-total"' not in page
    assert len(response.context["cl"].result_list) == 8  # every row is still listed

    narrowed = client.get(reverse(CHANGELIST), {"project": "9001"})
    assert "3 time entries" in narrowed.content.decode()
    assert narrowed.context["hours_total"] == format_hours(Decimal("7.5"))


def test_a_long_list_past_the_limit_has_no_last_page_link(client, monkeypatch):
    from apps.timesheets.admin import TimeEntryAdmin, TotalsPaginator

    monkeypatch.setattr(TotalsPaginator, "EXACT_UP_TO", 30)
    monkeypatch.setattr(TimeEntryAdmin, "list_per_page", 5)
    for day in range(40):
        TimeEntryFactory(date=datetime.date(2026, 1, 1) + datetime.timedelta(days=day))
    client.force_login(admin_user())

    response = client.get(reverse(CHANGELIST), {"p": "2"})

    paginator = response.content.decode().split('class="paginator"')[1].split("</p>")[0]
    # 31 of 40 counted: the neighbours of page 2, then "…" (no "last" page 7 or 8).
    assert re.findall(r">(\d+)</a>", paginator) == ["1", "3", "4", "5"]
    assert "…" in paginator.split(">5</a>")[1]
    assert len(response.context["cl"].result_list) == 5


def test_employee_filtering_by_project_still_sees_only_their_own_hours(client):
    me = employee()
    project = _member_project(me)
    Project.objects.filter(pk=project.pk).update(number=5150)
    mine = TimeEntryFactory(user=me, project=project)
    TimeEntryFactory(user=employee(), project=project)
    client.force_login(me)
    assert _filtered(client, project="5150") == {mine.pk}
    assert _filtered(client, project=project.name) == {mine.pk}
    assert _filtered(client, customer=project.customer.name) == {mine.pk}
    assert _filtered(client, project__id__exact=str(project.pk)) == {mine.pk}


def test_changelist_shows_which_hours_reached_the_erp_and_which_are_flagged(client):
    from apps.integrations.models import Binding

    office = admin_user()
    client.force_login(office)
    plain, sent, flagged = (TimeEntryFactory() for _ in range(3))
    erp = connection_24so(username="erp@example.no")
    Binding.objects.create(connection=erp, entity="hour", local_id=sent.pk, external_id="501")
    Binding.objects.create(
        connection=erp,
        entity="hour",
        local_id=flagged.pk,
        external_id="502",
        flagged="Transferred on the integration user: Kari is not mapped to a 24SO user",
    )

    page = client.get(reverse(CHANGELIST)).content.decode()

    assert page.count("⚠ Transferred on the integration user: Kari is not mapped") == 1
    assert page.count(">transferred<") == 1


# --- time zones -----------------------------------------------------------------------------


def test_start_and_stop_are_the_owners_wall_clock_time(client):
    me = employee(time_zone="America/New_York")
    project = _member_project(me)
    client.force_login(me)
    data = _entry_form(
        project,
        date="",
        hours="",
        started_at_0="2026-11-16",
        started_at_1="20:00",
        ended_at_0="2026-11-16",
        ended_at_1="22:00",
    )
    assert client.post(reverse(ADD), data).status_code == 302
    entry = TimeEntry.objects.get()
    # 20:00 in New York is 01:00 UTC the next day; the day is still the owner's 16th.
    assert entry.started_at == datetime.datetime(2026, 11, 17, 1, 0, tzinfo=datetime.UTC)
    assert entry.date == datetime.date(2026, 11, 16)
    page = client.get(_change_url(entry))
    assert 'value="20:00:00"' in page.content.decode()


def test_admin_changes_a_colleagues_draft_but_not_its_owner(client):
    office = admin_user()
    colleague = employee()
    entry = TimeEntryFactory(user=colleague, project=_member_project(colleague))
    client.force_login(office)
    page = client.get(_change_url(entry))
    assert "user" not in page.context["adminform"].form.fields
    data = _entry_form(entry.project, hours="3", user=office.pk, **_no_transitions())
    assert client.post(_change_url(entry), data).status_code == 302
    entry.refresh_from_db()
    assert (entry.user, entry.hours) == (colleague, Decimal("3.00"))


# --- the approval trail -------------------------------------------------------------------


def test_approval_trail_admin_is_read_only_and_shows_only_visible_entries(client):
    me = employee()
    mine = TimeEntryFactory(user=me, project=_member_project(me))
    theirs = TimeEntryFactory()
    _submit = TimeEntryTransition.Action.SUBMIT
    time_entry_transition(actor=me, entry=mine, action=_submit)
    time_entry_transition(actor=theirs.user, entry=theirs, action=_submit)
    client.force_login(me)
    changelist = reverse("admin:timesheets_timeentrytransition_changelist")
    response = client.get(changelist)
    assert [t.entry_id for t in response.context["cl"].result_list] == [mine.pk]
    assert client.get(reverse("admin:timesheets_timeentrytransition_add")).status_code == 403
    step = mine.transitions.get()
    change = reverse("admin:timesheets_timeentrytransition_change", args=[step.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert client.post(change, {"reason": "edited"}).status_code == 403
    delete = reverse("admin:timesheets_timeentrytransition_delete", args=[step.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    step.refresh_from_db()
    assert step.reason == ""
    other = theirs.transitions.get()
    other_url = reverse("admin:timesheets_timeentrytransition_change", args=[other.pk])
    assert client.get(other_url).status_code == 302


# --- what the pickers offer ---------------------------------------------------------------


def _autocomplete(client, field: str, term: str = "") -> list[str]:
    response = client.get(
        reverse("admin:autocomplete"),
        {"term": term, "app_label": "timesheets", "model_name": "timeentry", "field_name": field},
    )
    assert response.status_code == 200
    return [r["text"] for r in response.json()["results"]]


def test_pickers_offer_assigned_tasks_active_projects_and_active_work_types(client):
    me = employee()
    project = _member_project(me)
    TaskFactory(project=project, name="Mine", assignees=[me])
    TaskFactory(project=project, name="Not mine")
    ProjectFactory(name="Old", status=Project.Status.ARCHIVED)
    WorkTypeFactory(name="Retired", is_active=False)
    client.force_login(me)
    assert _autocomplete(client, "task") == ["Mine"]
    assert project.name in _autocomplete(client, "project")
    assert "Old" not in _autocomplete(client, "project")
    assert "Retired" not in _autocomplete(client, "work_type")
    assert project.default_work_type.name in _autocomplete(client, "work_type")


def test_admin_picks_any_task_for_a_colleague(client):
    TaskFactory(name="Someone's")
    client.force_login(admin_user())
    assert _autocomplete(client, "task") == ["Someone's"]


def test_a_rejected_draft_with_its_trail_on_the_page_can_be_corrected(client):
    me = employee()
    office = admin_user()
    entry = TimeEntryFactory(user=me, project=_member_project(me))
    time_entry_transition(actor=me, entry=entry, action="submit")
    time_entry_transition(actor=office, entry=entry, action="reject", reason="Too many")
    client.force_login(me)
    steps = list(entry.transitions.order_by("-at", "-id"))
    trail = {"transitions-TOTAL_FORMS": "2", "transitions-INITIAL_FORMS": "2"}
    for i, step in enumerate(steps):
        trail[f"transitions-{i}-id"] = str(step.pk)
        trail[f"transitions-{i}-entry"] = str(entry.pk)
    response = client.post(_change_url(entry), _entry_form(entry.project, hours="6", **trail))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.hours == Decimal("6.00")
    assert entry.transitions.count() == 2


def test_the_person_column_shows_only_to_those_who_see_other_peoples_hours(client):
    own = employee()
    TimeEntryFactory(user=own)
    client.force_login(own)
    own_list = client.get(reverse(CHANGELIST))
    client.force_login(admin_user())
    everybody = client.get(reverse(CHANGELIST))

    assert "user" not in own_list.context["cl"].list_display
    assert "user" in everybody.context["cl"].list_display
