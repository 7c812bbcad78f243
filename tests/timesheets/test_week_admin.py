"""My week and Approvals in the admin, and the project/task pickers of the entry form."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.projects.models import Project
from apps.timesheets.models import TimeEntry, Timer
from apps.timesheets.services import time_entry_transition, timesheet_week_submit
from tests.accounts.factories import UserFactory, admin_user, employee, project_manager
from tests.projects.factories import ProjectFactory, ProjectMemberFactory, manager_role
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

Status = TimeEntry.Status
WEEK = reverse("admin:timesheets_timeentry_week")
APPROVALS = reverse("admin:timesheets_timeentry_approvals")
PICKER = reverse("admin:timesheets_timeentry_picker")
MONDAY = datetime.date(2026, 11, 30)
W49 = f"{WEEK}?week=2026-W49"


def _member(user, **project) -> Project:
    return ProjectMemberFactory(user=user, project=ProjectFactory(**project)).project


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _new_row(project, *cells, index=0, task=None) -> dict:
    data = {f"r{index}-project": project.pk, f"r{index}-task": task.pk if task else ""}
    data[f"r{index}-work_type"] = ""
    for day, text in enumerate(cells):
        data[f"r{index}-d{day}"] = text
    return data


def _post(client, *rows, action="save", week="2026-W49"):
    data = {"week": week, "rows": len(rows), "action": action}
    for row in rows:
        data.update(row)
    return client.post(WEEK, data)


# --- My week ---------------------------------------------------------------------------


def test_an_employee_fills_a_week_with_comma_decimals_and_start_stop(client):
    kari = employee()
    project = _member(kari)
    client.force_login(kari)
    response = _post(client, _new_row(project, "7,5", "08:00-15:30", "", "", "4"))
    assert response.status_code == 302 and "week=2026-W49" in response.url
    hours = dict(TimeEntry.objects.filter(user=kari).values_list("date", "hours"))
    assert hours == {
        MONDAY: Decimal("7.50"),
        MONDAY + datetime.timedelta(days=1): Decimal("7.50"),
        MONDAY + datetime.timedelta(days=4): Decimal("4.00"),
    }
    page = client.get(W49)
    [row] = [r for r in page.context["rows"] if r["fixed"]]
    assert [c["text"] for c in row["cells"]] == ["7.5", "08:00–15:30", "", "", "4", "", ""]
    assert page.context["week_total"] == "19"


def test_a_bad_cell_is_marked_and_nothing_typed_is_lost(client):
    kari = employee()
    project = _member(kari)
    client.force_login(kari)
    response = _post(client, _new_row(project, "7,5", "sju", "3"))
    assert response.status_code == 400
    assert not TimeEntry.objects.exists()
    row = response.context["rows"][0]
    assert [c["text"] for c in row["cells"][:3]] == ["7,5", "sju", "3"]
    assert row["cells"][1]["error"].startswith("Type hours")
    assert row["cells"][0]["error"] is None
    assert 'aria-invalid="true"' in response.content.decode()


def test_a_rule_broken_in_one_cell_is_shown_on_that_cell(client):
    kari = employee()
    first, second = _member(kari), _member(kari)
    client.force_login(kari)
    _post(client, _new_row(first, "20"))
    response = _post(client, _new_row(second, "5", "1"))
    assert response.status_code == 400
    cells = response.context["rows"][0]["cells"]
    assert "a day has at most 24" in cells[0]["error"]
    assert cells[1]["error"] is None and cells[1]["text"] == "1"
    assert list(TimeEntry.objects.values_list("hours", flat=True)) == [Decimal("20.00")]


def test_the_week_offers_only_the_persons_projects_and_tasks_with_their_project(client):
    kari = employee()
    mine = _member(kari, name="Mitt prosjekt")
    _member(kari, name="Arkivert", status=Project.Status.ARCHIVED)
    ProjectFactory(name="Andres prosjekt")
    task = TaskFactory(project=mine, name="Møte")
    task.assignees.add(kari)
    TaskFactory(project=ProjectFactory(name="Annet"), name="Møte")  # same name, not hers
    client.force_login(kari)
    page = client.get(W49)
    assert [p.name for p in page.context["projects"]] == ["Mitt prosjekt"]
    assert [label for _t, label in page.context["tasks"]] == ["Mitt prosjekt — Møte"]


def test_a_project_the_person_is_not_member_of_is_refused(client):
    kari = employee()
    client.force_login(kari)
    response = _post(client, _new_row(ProjectFactory(), "7,5"))
    assert response.status_code == 400
    assert "cannot register hours on this project" in response.context["rows"][0]["error"]
    assert not TimeEntry.objects.exists()


def test_submitted_and_approved_cells_are_read_only(client):
    kari = employee()
    project = _member(kari)
    TimeEntryFactory(user=kari, project=project, date=MONDAY, status=Status.PROJECT_APPROVED)
    client.force_login(kari)
    page = client.get(W49)
    [row] = [r for r in page.context["rows"] if r["fixed"]]
    assert row["cells"][0]["readonly"] and row["cells"][0]["reason"] == "Approved (project)"
    assert 'name="r0-d0"' not in page.content.decode()
    assert 'name="r0-d1"' in page.content.decode()


def test_save_and_submit_the_week(client):
    kari = employee()
    project = _member(kari)
    client.force_login(kari)
    response = _post(client, _new_row(project, "7,5", "7,5"), action="submit")
    assert response.status_code == 302
    assert {e.status for e in TimeEntry.objects.filter(user=kari)} == {Status.SUBMITTED}
    assert "submitted for approval (2 entries)" in _messages(client.get(response.url))[0]


def test_copy_last_weeks_rows_adds_them_empty(client):
    kari = employee()
    project = _member(kari, name="Fast kunde")
    TimeEntryFactory(user=kari, project=project, date=MONDAY - datetime.timedelta(days=4))
    client.force_login(kari)
    page = client.get(f"{W49}&copy=1")
    copied = [r for r in page.context["rows"] if r["project_id"] == project.pk]
    assert len(copied) == 1 and not copied[0]["fixed"]
    assert all(c["text"] == "" for c in copied[0]["cells"])


def test_the_timer_starts_survives_a_reload_and_stops(client):
    kari = employee()
    project = _member(kari)
    client.force_login(kari)
    client.post(WEEK, {"action": "timer_start", "project": project.pk, "week": "2026-W49"})
    assert Timer.objects.filter(user=kari, project=project).exists()
    page = client.get(WEEK)
    assert page.context["timer"].project == project
    assert "Timer running" in page.content.decode()
    Timer.objects.filter(user=kari).update(
        started_at=Timer.objects.get(user=kari).started_at - datetime.timedelta(hours=1)
    )
    client.post(WEEK, {"action": "timer_stop"})
    entry = TimeEntry.objects.get(user=kari)
    assert entry.hours == Decimal("1.00") and entry.started_at is not None
    assert not Timer.objects.exists()


def test_the_week_is_in_the_persons_time_zone(client):
    kari = employee()
    kari.time_zone = "America/New_York"
    kari.save()
    project = _member(kari)
    client.force_login(kari)
    _post(client, _new_row(project, "", "09:00-17:00"))
    entry = TimeEntry.objects.get(user=kari)
    assert entry.started_at == datetime.datetime(2026, 12, 1, 14, 0, tzinfo=datetime.UTC)
    page = client.get(W49)
    [row] = [r for r in page.context["rows"] if r["fixed"]]
    assert row["cells"][1]["text"] == "09:00–17:00"


def test_staff_without_the_permission_gets_no_week_and_no_approvals(client):
    client.force_login(UserFactory())  # can log in, has no role
    assert client.get(WEEK).status_code == 403
    assert client.get(APPROVALS).status_code == 403
    client.force_login(employee())
    assert client.get(APPROVALS).status_code == 403


def test_the_week_view_has_constant_queries(client, django_assert_max_num_queries):
    kari = employee()
    client.force_login(kari)
    client.get(W49)  # session and permission caches warm

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{W49}&copy=1").status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for _n in range(6):
        project = _member(kari)
        task = TaskFactory(project=project)
        task.assignees.add(kari)
        for day in range(7):
            TimeEntryFactory(user=kari, project=project, date=MONDAY + datetime.timedelta(days=day))
            TimeEntryFactory(
                user=kari, project=project, date=MONDAY - datetime.timedelta(days=day + 1)
            )
    Timer.objects.create(user=kari, project=project, started_at=datetime.datetime.now(datetime.UTC))
    assert count() == small
    with django_assert_max_num_queries(14):
        client.get(f"{W49}&copy=1")


# --- Approvals -------------------------------------------------------------------------


def _submitted(person, project, *days):
    for day in days:
        TimeEntryFactory(user=person, project=project, date=MONDAY + datetime.timedelta(days=day))
    timesheet_week_submit(actor=person, user=person, week_start=MONDAY)


def test_a_manager_approves_a_persons_week_in_one_click(client):
    boss, pm, kari = admin_user(), project_manager(), employee()
    project = ProjectMemberFactory(user=pm, role=manager_role()).project
    _submitted(kari, project, 0, 1, 2)
    for entry in TimeEntry.objects.all():
        time_entry_transition(actor=boss, entry=entry, action="approve_user")
    client.force_login(pm)
    page = client.get(APPROVALS)
    [week] = page.context["weeks"]
    assert (week.user, week.hours) == (kari, Decimal("22.5"))
    response = client.post(APPROVALS, {"approve": week.key})
    assert response.status_code == 302 and response.url == APPROVALS
    assert {e.status for e in TimeEntry.objects.all()} == {Status.PROJECT_APPROVED}
    assert "Approved for" in _messages(client.get(APPROVALS))[0]


def test_an_administrator_sends_a_week_back_with_a_reason(client):
    boss, kari = admin_user(), employee()
    _submitted(kari, _member(kari), 0, 3)
    client.force_login(boss)
    [week] = client.get(APPROVALS).context["weeks"]
    client.post(APPROVALS, {"reject": week.key, f"reason-{week.key}": ""})
    assert {e.status for e in TimeEntry.objects.all()} == {Status.SUBMITTED}  # no reason
    client.post(APPROVALS, {"reject": week.key, f"reason-{week.key}": "Feil prosjekt"})
    assert {(e.status, e.rejection_reason) for e in TimeEntry.objects.all()} == {
        (Status.DRAFT, "Feil prosjekt")
    }


def test_several_weeks_are_approved_together(client):
    boss, kari, ola = admin_user(), employee(), employee()
    _submitted(kari, _member(kari), 0)
    _submitted(ola, _member(ola), 1)
    client.force_login(boss)
    weeks = client.get(APPROVALS).context["weeks"]
    assert len(weeks) == 2
    client.post(APPROVALS, {"bulk": "1", "selected": [w.key for w in weeks]})
    assert {e.status for e in TimeEntry.objects.all()} == {Status.PROJECT_APPROVED}


def test_approvals_have_constant_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    boss = admin_user()
    client.force_login(boss)
    client.get(APPROVALS)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            client.get(APPROVALS)
        return len(ctx.captured_queries)

    person = employee()
    _submitted(person, _member(person), 0)
    one = count()
    for _n in range(5):
        person = employee()
        _submitted(person, _member(person), 0, 1, 2)
    assert count() == one


# --- the entry form's pickers ------------------------------------------------------------


def test_the_project_picker_offers_only_the_persons_active_projects(client):
    kari = employee()
    mine = _member(kari, name="Fjordkraft")
    _member(kari, name="Fjordarkiv", status=Project.Status.ARCHIVED)
    ProjectFactory(name="Fjordbuss")  # not a member
    client.force_login(kari)
    found = json.loads(client.get(PICKER, {"field_name": "project", "term": "fjord"}).content)
    assert [r["id"] for r in found["results"]] == [str(mine.pk)]


def test_the_task_picker_labels_tasks_with_their_project(client):
    kari = employee()
    project = _member(kari, name="Fjordkraft")
    task = TaskFactory(project=project, name="Møte")
    task.assignees.add(kari)
    TaskFactory(name="Møte")  # another project's, not assigned
    client.force_login(kari)
    found = json.loads(client.get(PICKER, {"field_name": "task", "term": "møte"}).content)
    assert found["results"] == [{"id": str(task.pk), "text": "Fjordkraft — Møte"}]


def test_an_hour_on_a_project_the_person_is_not_member_of_is_refused_in_the_form(client):
    kari = employee()
    stranger = ProjectFactory()
    client.force_login(kari)
    response = client.post(
        reverse("admin:timesheets_timeentry_add"),
        {"date": "2026-11-30", "project": stranger.pk, "hours": "7.5"},
    )
    assert response.status_code == 200
    assert "project" in response.context["adminform"].form.errors
    assert not TimeEntry.objects.exists()


def test_the_header_names_the_page_after_the_time_entry_list(client):
    from django.urls import reverse

    from tests.accounts.factories import admin_user

    client.force_login(admin_user())
    for name, title in (
        ("admin:timesheets_timeentry_week", "My week"),
        ("admin:timesheets_timeentry_approvals", "Approvals"),
    ):
        html = client.get(reverse(name)).content.decode()
        header = html.split("<h1", 1)[1].split("</h1>", 1)[0]
        assert title in header
