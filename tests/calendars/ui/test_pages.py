"""My calendar, the suggestions on My week and Open in Outlook, as a person sees them."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from apps.calendars import selectors, suggestions
from apps.calendars.models import CalendarAccount, CalendarEvent, CategoryRule, EntryEvent, Refusal
from apps.core.exceptions import ApplicationError
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import UserFactory, admin_user, employee, support_user
from tests.calendars.ui.world import MONDAY, WEEK, account_for, event_for
from tests.integrations.graph import world as graph_world
from tests.projects.factories import ProjectFactory, make_member
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

MY_CALENDAR = reverse("admin:calendars_my_calendar")
CONFIRM = reverse("admin:calendars_suggestion_confirm")
DISMISS = reverse("admin:calendars_suggestion_dismiss")
WEEK_URL = f"{reverse('admin:timesheets_timeentry_week')}?week={WEEK}"


@pytest.fixture
def office():
    return graph_world.connection_make(allow_write=True)


@pytest.fixture
def kari():
    return employee(email="kari@tidsbro.no")


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _member_project(user, **kwargs):
    project = ProjectFactory(**kwargs)
    make_member(project=project, user=user)
    return project


def _selected(html: str, select_name: str, event_pk: int) -> str:
    """The value pre-chosen in a suggestion's select ("" when none)."""
    row = html.split(f'data-event="{event_pk}"', 1)[1].split('class="tb-cal-sugg"', 1)[0]
    select = row.split(f'name="{select_name}"', 1)[1].split("</select>", 1)[0]
    chosen = re.search(r'<option value="(\d+)"[^>]* selected', select)
    return chosen.group(1) if chosen else ""


# --- My calendar -----------------------------------------------------------------------


def test_my_calendar_says_when_the_office_has_no_calendar_connection(client, kari):
    client.force_login(kari)
    response = client.get(MY_CALENDAR)
    assert response.status_code == 200
    assert "Calendars are not switched on for the office yet." in response.text
    assert "An administrator switches them on under Integrations." in response.text
    assert reverse("admin:integrations_connection_connect") not in response.text


def test_an_administrator_without_calendar_connection_gets_the_integrations_link(client):
    client.force_login(admin_user())
    response = client.get(MY_CALENDAR)
    assert reverse("admin:integrations_connection_connect") in response.text


def test_my_calendar_not_connected_offers_to_connect_read_or_write(client, kari, office):
    client.force_login(kari)
    response = client.get(MY_CALENDAR)
    start = reverse("integrations_oauth_start", args=["graph"])
    assert f'action="{start}"' in response.text
    assert 'name="purpose" value="calendar"' in response.text
    assert 'name="purpose" value="calendar_write"' in response.text
    assert f'name="next" value="{MY_CALENDAR}"' in response.text


def test_my_calendar_offers_no_write_when_the_office_does_not_allow_it(client, kari, office):
    office.settings = {**office.settings, "allow_write": False}
    office.save()
    client.force_login(kari)
    response = client.get(MY_CALENDAR)
    assert 'value="calendar"' in response.text
    assert "calendar_write" not in response.text


def test_my_calendar_connected_shows_the_account_and_its_health(client, kari, office):
    account_for(kari, office, account_email="kari@contoso.example")
    client.force_login(kari)
    response = client.get(MY_CALENDAR)
    assert "kari@contoso.example" in response.text
    assert "Working: your calendar is kept in step." in response.text
    assert "Connect your calendar again" not in response.text
    assert "not-shown" not in response.text  # the stored sign-in never reaches a page
    for words in ("Save my hours in my calendar", "Full synchronisation now", "Disconnect"):
        assert words in response.text


def test_my_calendar_asks_to_connect_again_when_the_sign_in_is_refused(client, kari, office):
    account_for(
        kari,
        office,
        health=CalendarAccount.Health.RECONNECT,
        problem="The calendar no longer accepts the stored sign-in.",
    )
    client.force_login(kari)
    response = client.get(MY_CALENDAR)
    assert "The calendar no longer accepts the stored sign-in." in response.text
    assert "connect it again" in response.text
    assert "Connect your calendar again" in response.text
    assert 'class="tb-cal-row tb-cal-reconnect"' in response.text


def test_my_calendar_needs_the_right_to_register_hours(client, office):
    nobody = UserFactory()  # staff, no role
    client.force_login(nobody)
    assert client.get(MY_CALENDAR).status_code == 403
    assert client.post(CONFIRM, {"event": 1}).status_code == 403
    assert client.post(DISMISS, {"event": 1}).status_code == 403


def test_my_calendar_lists_only_the_persons_own_refusals_deleted_events_and_rules(
    client, kari, office
):
    ola = employee()
    mine, theirs = account_for(kari, office), account_for(ola, office)
    Refusal.objects.create(account=mine, subject="Kari's review", calendar_said="10:00–11:00")
    Refusal.objects.create(account=theirs, subject="Ola's secret", calendar_said="12:00–13:00")
    project = _member_project(ola, name="Ola's project")
    CategoryRule.objects.create(user=ola, category="Ola's category", project=project)
    ola_entry = TimeEntryFactory(user=ola, project=project)
    EntryEvent.objects.create(
        account=theirs,
        entry=ola_entry,
        entry_ref=ola_entry.pk,
        origin="calendar",
        event_id="x",
        event_deleted_at=datetime.datetime.now(datetime.UTC),
    )
    client.force_login(kari)
    text = client.get(MY_CALENDAR).text
    assert "Kari&#x27;s review" in text
    for theirs_only in ("Ola&#x27;s secret", "Ola&#x27;s project", "Ola&#x27;s category"):
        assert theirs_only not in text


def test_a_person_cannot_dismiss_or_delete_anothers_refusals_and_rules(client, kari, office):
    ola = employee()
    account_for(kari, office)
    theirs = account_for(ola, office)
    refusal = Refusal.objects.create(account=theirs, subject="Ola's")
    rule = CategoryRule.objects.create(user=ola, category="Ola", project=_member_project(ola))
    client.force_login(kari)
    client.post(MY_CALENDAR, {"action": "refusal_dismiss", "refusal": refusal.pk})
    response = client.post(MY_CALENDAR, {"action": "rule_delete", "rule": rule.pk})
    refusal.refresh_from_db()
    assert refusal.resolved_at is None
    assert CategoryRule.objects.filter(pk=rule.pk).exists()
    assert "This rule is already gone." in _messages(response)


def test_a_person_adds_and_deletes_a_category_rule(client, kari, office):
    account_for(kari, office)
    project = _member_project(kari, name="Customer meetings")
    task = TaskFactory(project=project)
    task.assignees.add(kari)
    event_for(CalendarAccount.objects.get(user=kari), categories=["Kunde", "Tidsbro"])
    client.force_login(kari)
    assert '<option value="Kunde">' in client.get(MY_CALENDAR).text  # offered for typing
    response = client.post(
        MY_CALENDAR,
        {"action": "rule_add", "category": "Kunde", "project": project.pk, "task": task.pk},
    )
    assert response.status_code == 302 and response.url.endswith("#rules")
    rule = CategoryRule.objects.get(user=kari)
    assert (rule.category, rule.project, rule.task) == ("Kunde", project, task)
    assert "Customer meetings" in client.get(MY_CALENDAR).text
    client.post(MY_CALENDAR, {"action": "rule_delete", "rule": rule.pk})
    assert not CategoryRule.objects.filter(user=kari).exists()


def test_a_rule_on_a_project_the_person_is_not_on_is_refused(kari):
    with pytest.raises(ApplicationError, match="cannot register hours"):
        suggestions.rule_save(actor=kari, category="X", project=ProjectFactory())


def test_a_refused_change_is_dismissed_by_its_owner(client, kari, office):
    refusal = Refusal.objects.create(account=account_for(kari, office), subject="Review")
    client.force_login(kari)
    client.post(MY_CALENDAR, {"action": "refusal_dismiss", "refusal": refusal.pk})
    refusal.refresh_from_db()
    assert refusal.resolved_at is not None
    assert "Review" not in client.get(MY_CALENDAR).text


def test_an_entry_whose_event_was_deleted_is_listed_with_a_link(client, kari, office):
    account = account_for(kari, office)
    entry = TimeEntryFactory(user=kari, project=_member_project(kari, name="Flagged work"))
    EntryEvent.objects.create(
        account=account,
        entry=entry,
        entry_ref=entry.pk,
        origin="tidsbro",
        event_id="gone",
        event_deleted_at=datetime.datetime.now(datetime.UTC),
    )
    client.force_login(kari)
    text = client.get(MY_CALENDAR).text
    assert reverse("admin:timesheets_timeentry_change", args=[entry.pk]) in text
    assert "Flagged work" in text


# --- the calendar health list ----------------------------------------------------------


def test_administrators_and_support_see_health_but_no_calendar_contents(client, kari, office):
    account = account_for(kari, office, account_email="kari@contoso.example")
    event_for(account, subject="Salary talk with Ola")
    for person in (admin_user(), support_user()):
        client.force_login(person)
        response = client.get(reverse("admin:calendars_calendaraccount_changelist"))
        assert response.status_code == 200
        assert "kari@contoso.example" in response.text
        assert "Salary talk" not in response.text
        detail = client.get(reverse("admin:calendars_calendaraccount_change", args=[account.pk]))
        assert detail.status_code == 200 and "kari@contoso.example" in detail.text
        assert "Salary talk" not in detail.text and "not-shown" not in detail.text


def test_employees_do_not_see_the_calendar_health_list(client, kari):
    client.force_login(kari)
    response = client.get(reverse("admin:calendars_calendaraccount_changelist"))
    assert response.status_code == 403


# --- suggestions on My week ------------------------------------------------------------


def test_the_week_shows_no_calendar_part_without_an_account(client, kari, office):
    client.force_login(kari)
    assert "From your calendar" not in client.get(WEEK_URL).text


def test_the_week_shows_meetings_to_register_and_leaves_the_rest_out(client, kari, office):
    account = account_for(kari, office)
    _member_project(kari)
    shown = event_for(account, subject="Sprint review", at=(10, 0), minutes=90)
    event_for(account, subject="Lunch (free)", show_as="free")
    event_for(account, subject="All day offsite", is_all_day=True)
    event_for(account, subject="Cancelled sync", is_cancelled=True)
    event_for(account, subject="Declined talk", response="declined")
    event_for(account, subject="Tidsbro hours", categories=["Tidsbro"])
    event_for(account, subject="Dismissed one", dismissed_at=datetime.datetime.now(datetime.UTC))
    event_for(account, subject="Following week planning", day=MONDAY + datetime.timedelta(days=7))
    linked = event_for(account, subject="Already hours")
    EntryEvent.objects.create(
        account=account, entry_ref=1, origin="calendar", event_id=linked.event_id
    )
    client.force_login(kari)
    text = client.get(WEEK_URL).text
    assert "From your calendar" in text
    assert "Sprint review" in text and "10:00–11:30" in text
    assert shown.web_link in text  # Open in Outlook
    for hidden in (
        "Lunch (free)",
        "All day offsite",
        "Cancelled sync",
        "Declined talk",
        "Tidsbro hours",
        "Dismissed one",
        "Following week planning",
        "Already hours",
    ):
        assert hidden not in text


def test_a_private_meeting_shows_without_its_subject_and_gives_none_to_the_entry(
    client, kari, office
):
    account = account_for(kari, office)
    project = _member_project(kari)
    event = event_for(account, subject="Root canal, Dr. Qvistbakk-Zeller", sensitivity="private")
    client.force_login(kari)
    text = client.get(WEEK_URL).text
    assert "Private appointment" in text
    # The subject's words appear nowhere else on the page (the factory names people at random).
    assert "Qvistbakk" not in text and "Root canal" not in text
    client.post(CONFIRM, {"event": event.pk, "project": project.pk, "next": WEEK_URL})
    entry = TimeEntry.objects.get(user=kari)
    assert entry.description == ""


def test_add_as_hours_makes_exactly_one_entry_with_the_meetings_times(client, kari, office):
    account = account_for(kari, office)
    project = _member_project(kari)
    event = event_for(account, subject="Sprint review", at=(10, 0), minutes=90)
    client.force_login(kari)
    response = client.post(CONFIRM, {"event": event.pk, "project": project.pk, "next": WEEK_URL})
    assert response.status_code == 302 and response.url == WEEK_URL
    entry = TimeEntry.objects.get(user=kari)
    assert (entry.started_at, entry.ended_at) == (event.starts_at, event.ends_at)
    assert entry.hours == Decimal("1.50") and entry.date == MONDAY
    assert entry.description == "Sprint review" and entry.status == TimeEntry.Status.DRAFT
    link = EntryEvent.objects.get(entry=entry)
    assert (link.origin, link.event_id, link.web_link) == (
        "calendar",
        event.event_id,
        event.web_link,
    )
    # Confirmed: no longer suggested; a second click registers nothing more.
    assert "Sprint review" not in client.get(WEEK_URL).text.split("From your calendar", 1)[1]
    again = client.post(CONFIRM, {"event": event.pk, "project": project.pk, "next": WEEK_URL})
    assert "This meeting is already registered as hours." in _messages(again)
    assert TimeEntry.objects.filter(user=kari).count() == 1


def test_confirming_twice_through_the_service_is_refused(kari, office):
    account = account_for(kari, office)
    project = _member_project(kari)
    event = event_for(account)
    suggestions.confirm(actor=kari, user=kari, event_pk=event.pk, project=project)
    with pytest.raises(ApplicationError, match="already registered"):
        suggestions.confirm(actor=kari, user=kari, event_pk=event.pk, project=project)
    assert TimeEntry.objects.count() == 1 and EntryEvent.objects.count() == 1


def test_nobody_turns_anothers_meeting_into_hours_or_dismisses_it(client, kari, office):
    ola = employee()
    project = _member_project(ola)
    make_member(project=project, user=kari)
    event = event_for(account_for(kari, office), subject="Kari's one-to-one")
    account_for(ola, office)
    with pytest.raises(ApplicationError):
        suggestions.confirm(actor=ola, user=kari, event_pk=event.pk, project=project)
    client.force_login(ola)
    client.post(CONFIRM, {"event": event.pk, "project": project.pk})
    client.post(DISMISS, {"event": event.pk})
    event.refresh_from_db()
    assert not TimeEntry.objects.exists() and event.dismissed_at is None


def test_dismiss_hides_the_suggestion(client, kari, office):
    account = account_for(kari, office)
    event = event_for(account, subject="Optional webinar")
    client.force_login(kari)
    assert "Optional webinar" in client.get(WEEK_URL).text
    response = client.post(DISMISS, {"event": event.pk, "next": WEEK_URL})
    assert response.url == WEEK_URL
    assert "Optional webinar" not in client.get(WEEK_URL).text
    assert CalendarEvent.objects.get(pk=event.pk).dismissed_at is not None


def test_suggestions_are_prechosen_by_rule_project_name_or_work_type(client, kari, office):
    account = account_for(kari, office)
    ruled = _member_project(kari, name="Internal")
    task = TaskFactory(project=ruled)
    task.assignees.add(kari)
    training = WorkTypeFactory(name="Training")
    CategoryRule.objects.create(
        user=kari, category="Team", project=ruled, task=task, work_type=training
    )
    named = _member_project(kari, name="Acme rollout")
    numbered = _member_project(kari, name="Other", number=4711)
    by_rule = event_for(account, categories=["Team"])
    by_name = event_for(account, categories=["acme rollout"], at=(11, 0))
    by_number = event_for(account, categories=["4711"], at=(12, 0))
    by_work_type = event_for(account, categories=["Training"], at=(13, 0))
    unknown = event_for(account, categories=["Elsewhere"], at=(14, 0))
    client.force_login(kari)
    html = client.get(WEEK_URL).text
    assert _selected(html, "project", by_rule.pk) == str(ruled.pk)
    assert _selected(html, "task", by_rule.pk) == str(task.pk)
    assert _selected(html, "work_type", by_rule.pk) == str(training.pk)
    assert _selected(html, "project", by_name.pk) == str(named.pk)
    assert _selected(html, "project", by_number.pk) == str(numbered.pk)
    assert _selected(html, "project", by_work_type.pk) == ""
    assert _selected(html, "work_type", by_work_type.pk) == str(training.pk)
    assert _selected(html, "project", unknown.pk) == ""


def _week_queries(client) -> int:
    with CaptureQueriesContext(db_connection) as queries:
        assert client.get(WEEK_URL).status_code == 200
    return len(queries)


def test_the_week_with_many_suggestions_costs_no_more_queries(client, kari, office):
    account = account_for(kari, office)
    project = _member_project(kari)
    CategoryRule.objects.create(user=kari, category="Team", project=project)
    event_for(account, categories=["Team"])
    entry = TimeEntryFactory(user=kari, project=project)
    EntryEvent.objects.create(
        account=account,
        entry=entry,
        entry_ref=entry.pk,
        origin="tidsbro",
        event_id="gone",
        event_deleted_at=datetime.datetime.now(datetime.UTC),
    )
    client.force_login(kari)
    _week_queries(client)  # warm the caches (sidebar flag, content types)
    confirmed = event_for(account, categories=["Team"], at=(7, 0))
    suggestions.confirm(actor=kari, user=kari, event_pk=confirmed.pk, project=project)
    one = _week_queries(client)
    for i in range(12):
        event_for(
            account,
            categories=["Team"],
            day=MONDAY + datetime.timedelta(days=i % 5),
            at=(8 + i % 8, 0),
        )
    for i in range(3):
        more = event_for(account, day=MONDAY + datetime.timedelta(days=i), at=(18, 0))
        suggestions.confirm(actor=kari, user=kari, event_pk=more.pk, project=project)
    text = client.get(WEEK_URL).text
    assert text.count("Add as hours") == 13 and text.count("Open in Outlook") == 13 + 4
    assert _week_queries(client) == one


def test_the_week_counts_flagged_entries_and_refusals_with_a_link(client, kari, office):
    account = account_for(kari, office)
    entry = TimeEntryFactory(user=kari, project=_member_project(kari))
    EntryEvent.objects.create(
        account=account,
        entry=entry,
        entry_ref=entry.pk,
        origin="tidsbro",
        event_id="gone",
        event_deleted_at=datetime.datetime.now(datetime.UTC),
    )
    Refusal.objects.create(account=account, subject="Moved review")
    client.force_login(kari)
    text = client.get(WEEK_URL).text
    assert "1 entry whose event was deleted" in text
    assert "1 change in your calendar not applied" in text
    assert f"{MY_CALENDAR}#deleted" in text


# --- an entry --------------------------------------------------------------------------


def test_an_entry_from_the_calendar_opens_in_outlook_for_its_owner_only(client, kari, office):
    account = account_for(kari, office)
    project = _member_project(kari)
    event = event_for(account)
    entry = suggestions.confirm(actor=kari, user=kari, event_pk=event.pk, project=project)
    url = reverse("admin:timesheets_timeentry_change", args=[entry.pk])
    client.force_login(kari)
    text = client.get(url).text
    assert "Open in Outlook" in text and event.web_link in text
    client.force_login(admin_user())
    text = client.get(url).text
    assert "Open in Outlook" not in text and event.web_link not in text


# --- the sidebar -----------------------------------------------------------------------


def test_the_sidebar_shows_my_calendar_only_when_calendars_are_switched_on(client, kari):
    selectors.forget_switched_on()  # another test's connection was rolled back, not deleted
    client.force_login(kari)
    assert MY_CALENDAR not in client.get(reverse("admin:index")).text
    office = graph_world.connection_make()
    assert MY_CALENDAR in client.get(reverse("admin:index")).text
    office.is_active = False
    office.save()
    assert MY_CALENDAR not in client.get(reverse("admin:index")).text


# --- Norwegian -------------------------------------------------------------------------


@pytest.mark.parametrize("connected", [False, True])
def test_my_calendar_and_the_week_render_in_norwegian(client, kari, office, connected):
    if connected:
        account = account_for(kari, office)
        event_for(account, subject="Møte med Ås kommune", sensitivity="normal")
        Refusal.objects.create(account=account, subject="Flyttet møte")
    client.force_login(kari)
    with translation.override("nb"):
        page = client.get(MY_CALENDAR, HTTP_ACCEPT_LANGUAGE="nb")
        week = client.get(WEEK_URL, HTTP_ACCEPT_LANGUAGE="nb")
    assert page.status_code == 200 and week.status_code == 200
    assert 'lang="nb"' in page.text
    if connected:
        assert "Møte med Ås kommune" in week.text
        assert "Flyttet møte" in page.text


# --- the settings (the engine's services) ----------------------------------------------


def test_save_my_hours_is_switched_on_and_off(client, kari, office):
    account = account_for(kari, office, scopes=["Calendars.ReadWrite"])
    client.force_login(kari)
    assert 'value="write_on"' in client.get(MY_CALENDAR).text
    response = client.post(MY_CALENDAR, {"action": "write_on"})
    assert "Your hours are saved in your calendar from now on." in _messages(response)
    account.refresh_from_db()
    assert account.write_hours
    client.post(MY_CALENDAR, {"action": "write_off"})
    account.refresh_from_db()
    assert not account.write_hours


def test_save_my_hours_with_read_only_access_asks_to_sign_in_again(client, kari, office):
    account = account_for(kari, office, scopes=["Calendars.Read"])
    client.force_login(kari)
    text = client.get(MY_CALENDAR).text
    settings_part = text.split('id="settings"', 1)[1].split("</section>", 1)[0]
    assert 'value="calendar_write"' in settings_part and "write_on" not in settings_part
    response = client.post(MY_CALENDAR, {"action": "write_on"})  # a stale page
    assert any("Connect your calendar again" in m for m in _messages(response))
    account.refresh_from_db()
    assert not account.write_hours


def test_last_synchronised_is_shown_and_set_back(client, kari, office):
    synced = datetime.datetime(2026, 12, 3, 14, 5, tzinfo=datetime.UTC)
    account = account_for(kari, office, last_synced_at=synced)
    client.force_login(kari)
    assert 'value="2026-12-03"' in client.get(MY_CALENDAR).text
    response = client.post(MY_CALENDAR, {"action": "sync_from", "day": "2026-10-01"})
    assert any(m.startswith("Your calendar is read again from ") for m in _messages(response))
    account.refresh_from_db()
    assert account.sync_from == datetime.date(2026, 10, 1)
    assert account.full_sync_requested_at is not None


def test_full_synchronisation_now_is_requested(client, kari, office):
    account = account_for(kari, office)
    client.force_login(kari)
    client.post(MY_CALENDAR, {"action": "full_sync"})
    account.refresh_from_db()
    assert account.full_sync_requested_at is not None


def test_disconnect_forgets_the_calendar_and_offers_to_connect_again(client, kari, office):
    account = account_for(kari, office, account_email="kari@contoso.example")
    event_for(account, subject="Sprint review")
    client.force_login(kari)
    # First a question: what stops and what stays; nothing is disconnected yet.
    asked = client.post(MY_CALENDAR, {"action": "disconnect"})
    assert asked.status_code == 200
    question = asked.content.decode()
    assert "Disconnect your calendar kari@contoso.example from Tidsbro?" in question
    assert "events already in your calendar stay there too" in question
    assert 'name="post" value="yes"' in question and f'href="{MY_CALENDAR}"' in question
    account.refresh_from_db()
    assert account.health == CalendarAccount.Health.OK and account.state_doc
    # Yes, disconnect my calendar.
    response = client.post(MY_CALENDAR, {"action": "disconnect", "post": "yes"})
    assert "Your calendar is disconnected." in " ".join(_messages(response))
    account.refresh_from_db()
    assert account.health == CalendarAccount.Health.DISCONNECTED and account.state_doc == {}
    text = client.get(MY_CALENDAR).text
    assert 'name="purpose" value="calendar"' in text
    assert "kari@contoso.example is disconnected" in text
    assert "From your calendar" not in client.get(WEEK_URL).text


def test_the_weeks_entries_with_an_event_open_in_outlook_from_the_week(client, kari, office):
    account = account_for(kari, office)
    project = _member_project(kari, name="Acme")
    event = event_for(account, subject="Kickoff", at=(10, 0))
    suggestions.confirm(actor=kari, user=kari, event_pk=event.pk, project=project)
    client.force_login(kari)
    text = client.get(WEEK_URL).text.split("From your calendar", 1)[1]
    assert "1 entry this week has an event in your calendar" in text
    assert "10:00–11:00 · Acme" in text and event.web_link in text


def test_a_meeting_made_hours_is_not_written_back_when_hours_go_to_the_calendar(kari, office):
    account = account_for(kari, office, scopes=["Calendars.ReadWrite"], write_hours=True)
    project = _member_project(kari)
    event = event_for(account, subject="Steering group")
    entry = suggestions.confirm(actor=kari, user=kari, event_pk=event.pk, project=project)
    link = EntryEvent.objects.get(account=account)
    assert (link.entry, link.origin, link.event_id) == (entry, "calendar", event.event_id)
    assert link.push_status == EntryEvent.Push.NONE and link.push_operation == ""
