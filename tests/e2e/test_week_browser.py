"""My week and Approvals in a real browser, in Norwegian: an employee fills her week with a comma
decimal, sees the totals and submits it; her project manager approves it in one click."""

import os
from decimal import Decimal
from pathlib import Path

import pytest

from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_transition
from tests.accounts.factories import PASSWORD, admin_user, employee, project_manager
from tests.projects.factories import ProjectFactory, ProjectMemberFactory, manager_role
from tests.tasks.factories import TaskFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Set TIDSBRO_SHOTS=<dir> to keep screenshots of the screens (1366 px wide).
SHOTS = os.environ.get("TIDSBRO_SHOTS")


def _login(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_an_employee_fills_and_submits_her_week_and_the_manager_approves_it(browser, live_server):
    office = admin_user(email="office@example.no", first_name="Berit", language="nb")
    pm = project_manager(email="pm@example.no", first_name="Per", last_name="Leder", language="nb")
    kari = employee(email="kari@example.no", first_name="Kari", last_name="Nordmann", language="nb")
    project = ProjectFactory(name="Fjordkraft utrulling")
    ProjectMemberFactory(project=project, user=pm, role=manager_role())
    ProjectMemberFactory(project=project, user=kari)
    other = ProjectMemberFactory(project=ProjectFactory(name="Internt"), user=kari).project
    task = TaskFactory(project=project, name="Workshop")
    task.assignees.add(kari)
    ProjectFactory(name="Ikke mitt prosjekt")

    context = browser.new_context(
        locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _login(page, live_server, kari.email)
    page.goto(f"{live_server.url}/admin/timesheets/timeentry/week/?week=2026-W49")
    assert "Ikke mitt prosjekt" not in page.content()

    page.select_option("select[name='r0-project']", str(project.pk))
    page.select_option("select[name='r0-task']", str(task.pk))
    page.fill("input[name='r0-d0']", "7,5")
    page.fill("input[name='r0-d1']", "08:00-15:30")
    page.fill("input[name='r0-d2']", "7,5")
    page.click("#tb-add-row")
    page.select_option("select[name='r1-project']", str(other.pk))
    page.fill("input[name='r1-d0']", "0,5")
    page.fill("input[name='r1-d3']", "sju")  # a typo: marked, nothing else lost
    assert page.text_content(".tb-day-total[data-day='0']") == "8"
    assert page.text_content("#tb-week-total") == "23"
    page.click("button[value=save]")
    page.wait_for_selector(".tb-error")
    assert page.input_value("input[name='r0-d0']") == "7,5"
    assert page.input_value("input[name='r1-d3']") == "sju"
    assert not TimeEntry.objects.exists()
    _shot(page, "week-error-nb-1366")

    page.fill("input[name='r1-d3']", "1,25")
    assert page.text_content("#tb-week-total") == "24,25"
    page.click("button[value=submit]")
    page.wait_for_selector(".tb-locked")
    assert (
        "sendt til godkjenning" in page.text_content("body").lower()
        or TimeEntry.objects.filter(status=TimeEntry.Status.SUBMITTED).count() == 5
    )
    entries = TimeEntry.objects.filter(user=kari)
    assert sorted(e.hours for e in entries) == [
        Decimal("0.50"),
        Decimal("1.25"),
        Decimal("7.50"),
        Decimal("7.50"),
        Decimal("7.50"),
    ]
    assert {e.status for e in entries} == {TimeEntry.Status.SUBMITTED}
    assert page.text_content("#tb-week-total") == "24,25"
    _shot(page, "week-submitted-nb-1366")

    # A timer runs on and survives a reload.
    page.select_option(".tb-timer-start select[name=project]", str(project.pk))
    page.select_option(".tb-timer-start select[name=task]", str(task.pk))
    page.fill(".tb-timer-start input[name=description]", "Kundemøte")
    page.click(".tb-timer-start button[value=timer_start]")
    page.wait_for_selector(".tb-timer-running")
    page.reload()
    assert "Workshop" in page.text_content(".tb-timer-running")
    page.wait_for_function("document.querySelector('.tb-timer-clock').textContent !== '0:00:00'")
    _shot(page, "week-timer-nb-1366")
    page.click(".tb-timer-running button[value=timer_discard]")
    page.wait_for_selector(".tb-timer-start")
    context.close()

    # The office approves per user (the first step); the project manager then approves the week.
    for entry in entries:
        time_entry_transition(actor=office, entry=entry, action="approve_user")
    context = browser.new_context(
        locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _login(page, live_server, pm.email)
    page.goto(f"{live_server.url}/admin/timesheets/timeentry/approvals/")
    row = page.locator("tr", has_text="Kari Nordmann")
    assert "Workshop" not in row.text_content()  # hours and projects, not tasks
    _shot(page, "approvals-nb-1366")
    row.locator("button[name=approve]").click()
    page.wait_for_selector(".tb-empty")
    project_entries = TimeEntry.objects.filter(project=project)
    assert {e.status for e in project_entries} == {TimeEntry.Status.PROJECT_APPROVED}
    # Hours on a project he does not manage still wait for its own approver.
    assert {e.status for e in TimeEntry.objects.filter(project=other)} == {
        TimeEntry.Status.USER_APPROVED
    }
    _shot(page, "approvals-done-nb-1366")
    context.close()


def test_the_entry_forms_pickers_offer_only_the_persons_projects_and_tasks(browser, live_server):
    kari = employee(email="kari@example.no", first_name="Kari", language="nb")
    project = ProjectMemberFactory(user=kari, project=ProjectFactory(name="Fjordkraft")).project
    ProjectFactory(name="Fjordbuss")  # not hers
    task = TaskFactory(project=project, name="Møte")
    task.assignees.add(kari)
    TaskFactory(project=ProjectFactory(name="Annet"), name="Møte")  # same name, not hers

    context = browser.new_context(
        locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _login(page, live_server, kari.email)
    page.goto(f"{live_server.url}/admin/timesheets/timeentry/add/")
    page.click("#id_project + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Fjord")
    page.wait_for_selector(".select2-results__option:has-text('Fjordkraft')")
    page.wait_for_selector(".select2-results__option.loading-results", state="detached")
    offered = page.locator(".select2-results__option").all_text_contents()
    assert offered == ["Fjordkraft"]
    page.click(".select2-results__option:has-text('Fjordkraft')")
    page.click("#id_task + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Møte")
    page.wait_for_selector(".select2-results__option:has-text('Fjordkraft — Møte')")
    page.wait_for_selector(".select2-results__option.loading-results", state="detached")
    assert page.locator(".select2-results__option").all_text_contents() == ["Fjordkraft — Møte"]
    _shot(page, "entry-form-task-picker-nb-1366")
    page.click(".select2-results__option:has-text('Fjordkraft — Møte')")
    page.fill("#id_date", "2026-11-30")
    page.fill("#id_hours", "7.5")  # a number field (the week view reads "7,5")
    page.click("[name=_save]")
    page.wait_for_url(f"{live_server.url}/admin/timesheets/timeentry/")
    entry = TimeEntry.objects.get(user=kari)
    assert (entry.project, entry.task, entry.hours) == (project, task, Decimal("7.50"))
    context.close()
