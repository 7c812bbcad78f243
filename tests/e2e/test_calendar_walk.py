"""Issue 18's acceptance walk, in a real browser against the live server and the Microsoft 365
sandbox, in Norwegian: the office administrator switches Microsoft 365 calendars on under
Integrations; Kari opens My calendar, connects her Outlook calendar (the sandbox's own sign-in
and consent pages) and lets Tidsbro save her hours there; she adds a category rule, sees her
meeting "Project kick-off" as a suggestion on My week and makes it hours with one click;
she types "09:00-10:00" in a cell of her week and saves, and the event "Project · Task"
appears in the sandbox's Outlook (Play Outlook); moving it there moves her entry (the
notification runs a round within the same request in tests); on My calendar she sets an
earlier "last synchronised" date and runs a full synchronisation. The entry offers Open in
Outlook.

Screenshots of each screen go to the folder CALENDAR_SHOTS names (none when unset)."""

from __future__ import annotations

import datetime as dt
import os
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from apps.calendars.models import CalendarAccount, CategoryRule, EntryEvent
from apps.integrations.models import Connection
from apps.projects.models import ProjectMember
from apps.sandbox.graph.runtime import tenant_id
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import UserFactory, admin_user, employee
from tests.e2e import walk
from tests.integrations.graph import world
from tests.integrations.graph.conftest import graph_sandbox  # noqa: F401
from tests.projects.factories import ProjectFactory, ProjectRoleFactory
from tests.tasks.factories import TaskFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("CALENDAR_SHOTS", "")
KARI = "kari@tidsbro.no"  # a seeded sandbox mailbox (Europe/Oslo) and Kari's Tidsbro login


nb = walk.nb


def shot(page: Any, name: str) -> None:
    walk.shot(page, SHOTS, name)


log_in = walk.log_in


def text(page: Any, selector: str = "#content-main") -> str:
    return re.sub(r"\s+", " ", page.inner_text(selector))


def success(page: Any) -> str:
    page.locator(".messagelist .success").first.wait_for()
    return text(page, ".messagelist")


def this_monday() -> dt.date:
    today = timezone.localdate(timezone=ZoneInfo("Europe/Oslo"))
    return today - dt.timedelta(days=today.weekday())


def week_url(url: str, monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{url}/admin/timesheets/timeentry/week/?week={year}-W{week:02d}"


def grid_cells(page: Any) -> dict[tuple[str, int], str]:
    """The week grid as {(project name, weekday): cell text} for the rows with a project."""
    return page.evaluate(
        """() => {
          const out = {};
          document.querySelectorAll("tr.tb-row").forEach(tr => {
            const sel = tr.querySelector("select[name$='-project']");
            const fixed = tr.querySelector(".tb-project");
            const name = fixed ? fixed.textContent.trim()
              : (sel && sel.value ? sel.selectedOptions[0].textContent.trim() : "");
            if (!name) return;
            tr.querySelectorAll("td.tb-cell").forEach((td, d) => {
              const cell = td.querySelector("input") || td.querySelector(".tb-value");
              const value = cell ? (cell.value !== undefined ? cell.value : cell.textContent) : "";
              if (value && value.trim()) out[`${name}|${d}`] = value.trim();
            });
          });
          return out;
        }"""
    )


@pytest.fixture
def office(graph_sandbox: Any) -> dict[str, Any]:  # noqa: F811
    """Tidsbro before calendars: Astrid (administrator), Kari (employee, Oslo) on two projects
    — "Kundearbeid" and "Nytt økonomisystem" with her task "Workshop" — and Ola, the
    demo's superuser who plays Kari's Outlook in the sandbox."""
    astrid = admin_user(
        email="astrid@tidsbro.no", first_name="Astrid", last_name="Haugen", language="nb"
    )
    kari = employee(
        email=KARI, first_name="Kari", last_name="Hansen", language="nb", time_zone="Europe/Oslo"
    )
    role = ProjectRoleFactory()
    advice = WorkTypeFactory(name="Rådgivning")
    customer_work = ProjectFactory(name="Kundearbeid", default_work_type=advice)
    system = ProjectFactory(name="Nytt økonomisystem", default_work_type=advice)
    for project in (customer_work, system):
        ProjectMember.objects.create(project=project, user=kari, role=role)
    workshop = TaskFactory(project=system, name="Workshop")
    workshop.assignees.add(kari)
    ola = UserFactory(email="ola@tidsbro.no", first_name="Ola", is_superuser=True, language="nb")
    return {
        "astrid": astrid,
        "kari": kari,
        "ola": ola,
        "customer_work": customer_work,
        "system": system,
        "workshop": workshop,
    }


def test_a_person_connects_her_outlook_calendar_and_her_hours_follow_it(
    norwegian: Any,
    graph_sandbox: Any,  # noqa: F811
    office: dict[str, Any],
) -> None:
    url = graph_sandbox.url
    kari = office["kari"]
    monday = this_monday()

    # 1. Astrid: Integrations → Microsoft 365 calendars → Activate (tenant, hours allowed).
    admin = norwegian()
    log_in(admin, url, office["astrid"].email)
    admin.locator("#nav-sidebar a[href$='/admin/integrations/connection/connect/']").first.click()
    card = admin.locator("#integration-graph")
    card.wait_for()
    assert "Microsoft 365" in card.inner_text()
    shot(admin, "01-integrations")
    card.locator("button[name=system]").click()
    admin.wait_for_url("**/connect/step/office/")
    admin.fill("input[name=tenant]", tenant_id())
    assert admin.is_checked("input[name=allow_write]")
    shot(admin, "02-activate-calendars")
    admin.click("input[name=wizard_next]")
    admin.wait_for_url("**/integrations/connection/settings/**")
    said = success(admin)
    active = nb(
        "%(connection)s is active. Each person can now connect their own calendar "
        "under My calendar; their calendars' health is below."
    )
    assert all(part.strip() in said for part in active.split("%(connection)s"))
    shot(admin, "03-calendars-on")
    connection = Connection.objects.get(system="graph", is_active=True)
    assert connection.settings == {"tenant": tenant_id(), "allow_write": True}

    # 2. Kari: My calendar (sidebar) → Connect, and save my hours in it.
    person = norwegian()
    log_in(person, url, kari.email)
    person.locator("#nav-sidebar a[href$='/admin/calendars/calendaraccount/mine/']").first.click()
    person.wait_for_url("**/calendaraccount/mine/")
    assert nb("Connect my Outlook calendar") in text(person)
    shot(person, "04-my-calendar-not-connected")
    person.click("button[name=purpose][value=calendar_write]")

    # 3. The sandbox's Microsoft sign-in and consent pages.
    person.wait_for_url("**/sandbox/graph/login/**/authorize**")
    person.fill("#login", KARI)
    person.fill("#password", world.PASSWORD)
    shot(person, "05-microsoft-sign-in")
    person.click("button[type=submit]")
    person.locator("button[name=accept][value=yes]").wait_for()
    consent = text(person, "body")
    assert KARI in consent and nb("Have full access to your calendars") in consent
    shot(person, "06-microsoft-consent")
    person.click("button[name=accept][value=yes]")

    # 4. Back on My calendar: connected, working, hours saved in the calendar.
    person.wait_for_url("**/calendaraccount/mine/")
    page = text(person)
    assert nb("Connected as") in page and KARI in page
    assert nb("Working: your calendar is kept in step.") in page
    assert person.locator("#settings button[value=write_off]").count() == 1
    shot(person, "07-my-calendar-connected")
    account = CalendarAccount.objects.get(user=kari)
    assert account.write_hours and account.last_synced_at is not None

    # 5. A category rule: "Customer work" meetings go on Kundearbeid.
    person.fill("#rules input[name=category]", "Customer work")
    person.select_option("#rules select[name=project]", str(office["customer_work"].pk))
    person.click("#rules button[value=rule_add]")
    person.locator("#rules table").wait_for()
    assert "Customer work" in text(person, "#rules") and "Kundearbeid" in text(person, "#rules")
    shot(person, "08-category-rule")
    assert CategoryRule.objects.filter(user=kari, category="Customer work").exists()

    # 6. My week: the seeded meetings as suggestions; the kick-off pre-chosen on Kundearbeid.
    person.goto(week_url(url, monday))
    panel = person.locator("#from-calendar")
    panel.wait_for()
    suggestions = text(person, "#from-calendar")
    assert "Project kick-off" in suggestions and "09:00–10:30" in suggestions
    assert nb("Private appointment") in suggestions and "Doctor" not in suggestions
    for hidden in ("Focus time", "Company conference", "Vendor demo", "Steering group"):
        assert hidden not in suggestions
    kickoff = panel.locator(".tb-cal-sugg", has_text="Project kick-off")
    chosen = kickoff.locator("select[name=project]").input_value()
    assert chosen == str(office["customer_work"].pk)
    shot(person, "09-week-suggestions")

    # 7. Add as hours: the entry is in the grid with the meeting's times.
    kickoff.locator("button", has_text=nb("Add as hours")).click()
    person.wait_for_load_state()
    success(person)
    assert grid_cells(person).get("Kundearbeid|0") == "09:00–10:30"
    assert person.locator(".tb-cal-sugg", has_text="Project kick-off").count() == 0
    made = TimeEntry.objects.get(user=kari, project=office["customer_work"])
    assert made.description == "Project kick-off"
    shot(person, "10-week-added-as-hours")

    # 8. Kari registers Wednesday 09:00–10:00 on Nytt økonomisystem · Workshop and saves.
    person.click("#tb-add-row")
    new_row = person.locator("select[name$='-project']").last
    row = new_row.get_attribute("name").split("-")[0]
    new_row.select_option(str(office["system"].pk))
    person.select_option(f"select[name='{row}-task']", str(office["workshop"].pk))
    person.fill(f"input[name='{row}-d2']", "09:00-10:00")
    shot(person, "11-week-typed-start-stop")
    person.click("button[value=save]")
    success(person)
    assert grid_cells(person).get("Nytt økonomisystem|2") == "09:00–10:00"
    typed = TimeEntry.objects.get(user=kari, project=office["system"])
    assert typed.date == monday + dt.timedelta(days=2)
    tie = EntryEvent.objects.get(entry=typed)
    assert tie.event_id, (tie.push_status, tie.push_operation, tie.last_error)  # pushed at commit
    shot(person, "12-week-saved")

    # 9. The sandbox's Outlook shows the event "Project · Task" at 09:00–10:00.
    outlook = norwegian()
    log_in(outlook, url, office["ola"].email)
    outlook.goto(f"{url}/admin/sandbox_graph/mailbox/")
    outlook.locator("tr", has_text=KARI).locator("a[href$='/outlook/']").click()
    event = outlook.locator(".event", has_text="Nytt økonomisystem · Workshop")
    event.wait_for()
    assert "09:00–10:00" in event.inner_text()
    assert "Tidsbro" in event.inner_text()  # its category
    kickoff_event = outlook.locator(".event", has_text="Project kick-off")
    assert kickoff_event.count() >= 1
    shot(outlook, "13-outlook-has-the-entry")

    # 10. Move it to 13:00–14:30 in Outlook: the notification pulls it; the entry follows.
    event.locator("input[name$='-start']").fill("13:00")
    event.locator("input[name$='-end']").fill("14:30")
    event.locator("form:has(input[value=move]) button").click()
    outlook.locator(".messagelist").wait_for()
    moved = outlook.locator(".event", has_text="Nytt økonomisystem · Workshop")
    assert "13:00–14:30" in moved.inner_text()
    # The move reached Tidsbro as a change notification (delivered, 202), not a later poll.
    notes = text(outlook, "#notifications")
    assert "updated" in notes and "Nytt økonomisystem · Workshop" in notes
    assert "202" in notes
    shot(outlook, "14-outlook-moved")
    typed.refresh_from_db()
    local = timezone.localtime(typed.started_at, kari.tzinfo)
    assert (local.hour, local.minute, typed.hours) == (13, 0, 1.5)

    person.reload()
    assert grid_cells(person).get("Nytt økonomisystem|2") == "13:00–14:30"
    person.locator("#from-calendar .tb-cal-linked summary").click()
    linked = text(person, "#from-calendar .tb-cal-linked")
    assert "13:00–14:30" in linked and nb("Open in Outlook") in linked
    shot(person, "15-week-entry-followed")

    # 11. The entry itself: Open in Outlook, to the event's webLink (the sandbox's Outlook).
    person.goto(f"{url}/admin/timesheets/timeentry/{typed.pk}/change/")
    open_link = person.locator(".tb-cal-entry a", has_text=nb("Open in Outlook"))
    href = open_link.get_attribute("href")
    assert href.startswith(f"{url}/sandbox/graph/owa/"), href
    shot(person, "16-entry-open-in-outlook")

    # 12. My calendar: last synchronised back to eight weeks ago, then Full synchronisation now.
    before = CalendarAccount.objects.get(pk=account.pk).last_synced_at
    person.goto(f"{url}/admin/calendars/calendaraccount/mine/")
    earlier = monday - dt.timedelta(weeks=8)
    person.fill("#settings input[name=day]", earlier.isoformat())
    person.click("#settings button[value=sync_from]")
    with translation.override("nb"):
        said = nb("Your calendar is read again from %(day)s.") % {
            "day": date_format(earlier, "SHORT_DATE_FORMAT")
        }
        read_from = date_format(earlier, "SHORT_DATE_FORMAT")
    assert said in success(person)
    # The round ran at once (tests run jobs inline): read from that day, then synchronised now.
    account.refresh_from_db()
    assert account.window_start.date() == earlier and account.sync_from is None
    facts = text(person, "#connection")
    assert nb("Read from") in facts and read_from in facts
    shot(person, "17-last-synchronised-set")

    person.click("#settings button[value=full_sync]")
    assert nb("A full synchronisation has started; it runs in the background.") in success(person)
    after = CalendarAccount.objects.get(pk=account.pk)
    assert after.last_synced_at > before
    shown = text(person, "#connection")
    assert nb("Last synchronised") in shown
    assert nb("Not yet") not in shown and "Not yet" not in shown
    assert str(after.last_synced_at.astimezone(kari.tzinfo).year) in shown
    shot(person, "18-full-synchronisation")
    # Nothing doubled by the full round: one entry per event, the kick-off not suggested again.
    assert TimeEntry.objects.filter(user=kari).count() == 2
    person.goto(week_url(url, monday))
    assert person.locator(".tb-cal-sugg", has_text="Project kick-off").count() == 0
    assert person.locator(".tb-cal-sugg", has_text="Design review").count() == 1

    # 13. Astrid sees Kari's calendar health on the calendars' settings page — never its
    # contents.
    admin.reload()
    row = admin.locator(f"#calendar-people tr[data-person='{kari.pk}']")
    health = re.sub(r"\s+", " ", row.inner_text())
    assert KARI in health and nb("Working") in health
    assert nb("Yes") in health  # hours in calendar
    body = text(admin, "body")
    for private in ("Project kick-off", "Design review", "Nytt økonomisystem · Workshop"):
        assert private not in body
    shot(admin, "19-office-sees-health")


def test_an_approved_entrys_move_in_outlook_is_refused_and_a_deleted_event_flags_the_entry(
    norwegian: Any,
    graph_sandbox: Any,  # noqa: F811
    office: dict[str, Any],
) -> None:
    """What Kari sees when Outlook and her approved hours disagree: the move is not applied
    and is listed on My calendar (dismissable); an event deleted in Outlook leaves the entry,
    flagged on My week, on My calendar and on the entry itself."""
    from apps.calendars import services
    from apps.timesheets.services import time_entry_create, time_entry_transition
    from tests.calendars.engine import world as engine

    url = graph_sandbox.url
    kari = office["kari"]
    world.connection_make()
    account = world.connect(kari, write=True)
    assert CalendarAccount.objects.get(pk=account.pk).write_hours
    services.account_set_write_hours(actor=kari, account=account, on=True)
    monday = this_monday()
    tuesday, thursday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=3)

    def entry(day: dt.date, start: int, end: int) -> TimeEntry:
        return time_entry_create(
            actor=kari,
            user=kari,
            project=office["system"],
            task=office["workshop"],
            started_at=engine.at(day, start),
            ended_at=engine.at(day, end),
            description="Kravworkshop",
        )

    approved = entry(tuesday, 8, 10)
    time_entry_transition(actor=kari, entry=approved, action="submit")
    time_entry_transition(actor=office["ola"], entry=approved, action="approve_user")
    kept = entry(thursday, 12, 13)
    approved_event = EntryEvent.objects.get(entry=approved).event_id
    kept_event = EntryEvent.objects.get(entry=kept).event_id

    # In Outlook: the approved hours' event moved to 14:00–16:00, the other one deleted (the
    # sandbox's write path, as Play Outlook; the notifications run the rounds).
    engine.outlook_move(KARI, approved_event, engine.at(tuesday, 14), engine.at(tuesday, 16))
    engine.outlook_delete(KARI, kept_event)
    approved.refresh_from_db()
    local = timezone.localtime(approved.started_at, kari.tzinfo)
    assert (local.hour, approved.hours) == (8, 2)
    assert TimeEntry.objects.filter(pk=kept.pk).exists()

    person = norwegian()
    log_in(person, url, kari.email)
    person.goto(week_url(url, monday))
    note = text(person, "#from-calendar .tb-cal-note")
    assert "1" in note
    assert "10:00" not in note
    shot(person, "20-week-refused-and-deleted")

    links = person.locator("#from-calendar .tb-cal-note a")
    assert links.count() == 2  # one to each list on My calendar
    assert links.nth(1).get_attribute("href").endswith("/calendaraccount/mine/#refused")
    links.first.click()
    person.wait_for_url("**/calendaraccount/mine/#deleted")
    refused = text(person, "#refused")
    assert "Nytt økonomisystem" in refused
    assert "08:00" in refused and "14:00" in refused
    deleted = text(person, "#deleted")
    assert "Nytt økonomisystem · Workshop" in deleted
    shot(person, "21-my-calendar-refused-and-deleted")

    person.click("#refused button[value=refusal_dismiss]")
    person.wait_for_url("**/calendaraccount/mine/#refused")
    assert nb("None: every change in your calendar was applied.") in text(person, "#refused")

    person.goto(f"{url}/admin/timesheets/timeentry/{kept.pk}/change/")
    flag = text(person, ".tb-cal-entry")
    assert nb("The calendar event of this entry was deleted; the hours are kept.") in flag
    shot(person, "22-entry-event-deleted")
