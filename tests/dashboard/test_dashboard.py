"""The admin home page and sidebar as each role meets them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.dashboard import selectors
from apps.integrations.models import Binding, Connection
from apps.integrations.services import DEFAULT_MASTERS
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import (
    UserFactory,
    admin_user,
    employee,
    project_manager,
    support_user,
)
from tests.integrations.factories import connection_24so
from tests.projects.factories import ProjectFactory, ProjectMemberFactory, manager_role
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

HOME = "admin:index"
MONDAY = datetime.date(2026, 11, 16)


def _sidebar(client) -> dict[str, list[str]]:
    """The sidebar's groups and their items' titles, as the page gives them to the theme."""
    response = client.get(reverse(HOME))
    assert response.status_code == 200
    return {
        str(group["title"]): [str(item["title"]) for item in group["items"]]
        for group in response.context["sidebar_navigation"]
    }


def _titles(sidebar: dict[str, list[str]]) -> set[str]:
    return {title for items in sidebar.values() for title in items}


@pytest.fixture
def erp() -> Connection:
    return connection_24so(
        username="api@example.no",
        password="secret",
        client_name="Fjordlys",
        connected=["customer", "project", "work_type", "task"],
        masters=dict(DEFAULT_MASTERS),
    )


# --- the sidebar by role ----------------------------------------------------------------------


def test_employee_sidebar_is_their_own_work_only(client):
    client.force_login(employee())
    sidebar = _sidebar(client)

    assert list(sidebar) == ["My work"]
    assert {"Home", "My hours"} <= _titles(sidebar)
    assert not _titles(sidebar) & {"Customers", "Approvals", "All hours", "Sync center", "Outbox"}


def test_project_manager_sidebar_adds_approvals_and_their_projects(client):
    client.force_login(project_manager())
    titles = _titles(_sidebar(client))

    assert {"Home", "My hours", "All hours", "Projects", "Tasks"} <= titles
    assert not titles & {"Customers", "Users", "Sync center", "System", "Outbox"}


def test_approvals_is_in_the_sidebar_once_its_screen_exists(client):
    from apps.dashboard.navigation import url_or_none

    client.force_login(project_manager())
    titles = _titles(_sidebar(client))

    assert ("Approvals" in titles) == (
        url_or_none("admin:timesheets_timeentry_approvals") is not None
    )


def test_administrator_sidebar_has_the_registers_and_sync_but_no_system(client):
    client.force_login(admin_user())
    sidebar = _sidebar(client)

    assert list(sidebar) == ["My work", "Office", "ERP sync"]
    assert {"Customers", "Projects", "Work types", "Tasks", "Orders", "Users"} <= set(
        sidebar["Office"]
    )
    assert sidebar["ERP sync"] == [
        "Sync center",
        "Conflicts",
        "Sync history",
        "Integrations",
        "Connections",
    ]


def test_support_sees_sync_but_no_system(client):
    client.force_login(support_user())
    sidebar = _sidebar(client)

    assert {"Sync center", "Conflicts", "Sync history"} <= set(sidebar["ERP sync"])
    assert "Integrations" not in sidebar["ERP sync"]  # activating a system: administrators
    assert "System" not in sidebar


def test_calendar_health_is_in_the_sidebar_when_calendars_are_on(
    client, rf, django_assert_num_queries
):
    from apps.dashboard.navigation import sidebar_navigation
    from tests.integrations.graph.world import connection_make

    office, person = admin_user(), employee()
    client.force_login(office)
    assert "Calendar health" not in _titles(_sidebar(client))  # no calendar connection
    connection_make()
    sidebar = _sidebar(client)
    assert sidebar["ERP sync"][-1] == "Calendar health"
    health = reverse("admin:calendars_calendaraccount_changelist")
    assert f'href="{health}"' in client.get(reverse(HOME)).content.decode()
    assert client.get(health).status_code == 200
    client.force_login(person)
    assert "Calendar health" not in _titles(_sidebar(client))  # a person sees only their own
    assert client.get(health).status_code == 403
    # The sidebar asks the database nothing: permissions and the calendars flag are cached.
    request = rf.get(reverse(HOME))
    request.user = office
    sidebar_navigation(request)
    with django_assert_num_queries(0):
        groups = sidebar_navigation(request)
    assert "Calendar health" in {str(i["title"]) for g in groups for i in g["items"]}


def test_password_and_api_tokens_are_under_the_persons_name(client):
    client.force_login(employee())
    response = client.get(reverse(HOME))

    links = {str(link["title"]): link["link"] for link in response.context["account_links"]}
    assert links["Change password"] == reverse("admin:password_change")
    assert links["API tokens"] == reverse("admin:accounts_apitoken_changelist")
    assert "API tokens" not in _titles(_sidebar(client))


def test_superuser_sidebar_ends_with_system_folded(client):
    client.force_login(UserFactory(is_superuser=True))
    response = client.get(reverse(HOME))
    groups = response.context["sidebar_navigation"]
    system = groups[-1]

    assert str(system["title"]) == "System" and system["collapsible"]
    titles = {str(item["title"]) for item in system["items"]}
    assert {"24SO sandbox", "Background jobs", "Failed logins", "Leases", "Outbox"} <= titles
    assert 'href="/admin/sandbox_24so/"' in response.content.decode()
    # Every installed sandbox, by its app's name (the sidebar names no system itself).
    from django.apps import apps
    from django.contrib import admin

    in_admin = {model._meta.app_label for model in admin.site._registry}
    for config in apps.get_app_configs():
        if config.label.startswith("sandbox_") and config.label in in_admin:
            assert str(config.verbose_name) in titles
            assert f'href="/admin/{config.label}/"' in response.content.decode()


def test_every_sidebar_link_opens_for_its_role(client):
    """No link leads to a refusal: each role's sidebar only offers what it may open."""
    for person in (employee(), project_manager(), support_user(), admin_user()):
        client.force_login(person)
        response = client.get(reverse(HOME))
        for group in response.context["sidebar_navigation"]:
            for item in group["items"]:
                response = client.get(item["link"], follow=True)
                assert response.status_code == 200, (person.groups.first().name, item["link"])
                assert "login" not in response.request["PATH_INFO"]


def test_only_the_page_open_is_marked_in_the_sidebar(client):
    client.force_login(admin_user())
    response = client.get(reverse("admin:integrations_sync_center"), follow=True)
    active = [
        str(item["title"])
        for group in response.context["sidebar_navigation"]
        for item in group["items"]
        if item["active"]
    ]
    assert active == ["Sync center"]  # not also Connections, whose URL starts the same


# --- the home page ----------------------------------------------------------------------------


def test_week_counts_the_days_under_normal_hours(settings):
    settings.TIDSBRO_NORMAL_DAY_HOURS = 7.5
    me = employee()
    TimeEntryFactory(user=me, date=MONDAY, hours=Decimal("7.5"))
    TimeEntryFactory(user=me, date=MONDAY + datetime.timedelta(days=1), hours=Decimal("4"))
    TimeEntryFactory(user=employee(), date=MONDAY + datetime.timedelta(days=2), hours=8)

    week = selectors.my_week(user=me, today=MONDAY + datetime.timedelta(days=3))  # Thursday

    assert week.start == MONDAY and week.total == Decimal("11.5")
    # Tuesday 3.5 short, Wednesday 7.5 (nothing); Thursday is today, not yet missing.
    assert [d.day.weekday() for d in week.short_days] == [1, 2]
    assert week.missing == Decimal("11")
    assert week.expected == Decimal("37.5")
    assert week.drafts == 2


def test_employee_home_shows_their_week_and_nothing_of_the_office(client):
    me = employee()
    today = selectors.user_today(user=me)
    TimeEntryFactory(user=me, date=today, hours=Decimal("3"))
    client.force_login(me)

    html = client.get(reverse(HOME)).content.decode()

    assert 'id="my-week"' in html and "3 h" in html
    assert 'id="approvals-waiting"' not in html
    assert 'id="sync-health"' not in html and 'id="unmapped-people"' not in html


def test_manager_home_shows_hours_waiting_on_the_projects_they_approve(client):
    boss = project_manager()
    theirs = ProjectFactory()
    ProjectMemberFactory(project=theirs, user=boss, role=manager_role())
    someone = employee()
    TimeEntryFactory(user=someone, project=theirs, hours=2, status=TimeEntry.Status.USER_APPROVED)
    TimeEntryFactory(user=someone, project=theirs, hours=3, status=TimeEntry.Status.USER_APPROVED)
    # Not theirs to approve: another project, a draft, their own hours.
    TimeEntryFactory(user=someone, hours=4, status=TimeEntry.Status.USER_APPROVED)
    TimeEntryFactory(user=someone, project=theirs, hours=5, status=TimeEntry.Status.DRAFT)
    TimeEntryFactory(user=boss, project=theirs, hours=6, status=TimeEntry.Status.USER_APPROVED)
    client.force_login(boss)

    response = client.get(reverse(HOME))
    waiting = response.context["dashboard"]["waiting"]

    assert (waiting.entries, waiting.hours, waiting.people) == (2, Decimal("5"), 1)
    html = response.content.decode()
    assert 'id="approvals-waiting"' in html and "2 entries · 1 person" in html
    assert f'href="{response.context["dashboard"]["approvals_url"]}"' in html


def test_admin_home_shows_sync_health_and_the_people_to_link(client, erp):
    boss = admin_user(first_name="Astrid", last_name="Haugen")
    linked = employee(first_name="Erik", last_name="Johansen")
    Binding.objects.create(connection=erp, entity="user", local_id=linked.pk, external_id="7")
    client.force_login(boss)

    html = client.get(reverse(HOME)).content.decode()

    assert 'id="sync-health"' in html and 'id="integration-health"' in html
    assert 'id="unmapped-people"' in html and "Astrid Haugen" in html
    assert "Erik Johansen" not in html
    assert reverse("admin:integrations_connection_settings") + "#user-mapping" in html
    # An administrator approves per user: submitted hours wait for them.
    assert 'id="approvals-waiting"' in html


def test_a_system_without_users_asks_nobody_to_link_people(client):
    # An e-conomic connection for customers only: there is no user there to link anyone to.
    connection = Connection(system="economic", connected=["customer"])
    connection.credentials_doc = {"agreement_grant_token": "x"}
    connection.save()
    client.force_login(admin_user(first_name="Astrid", last_name="Haugen"))

    html = client.get(reverse(HOME)).content.decode()

    assert 'id="unmapped-people"' not in html
    assert "not linked" not in html and "not mapped" not in html


def test_home_makes_the_same_number_of_queries_with_more_data(client, erp):
    boss = admin_user()
    client.force_login(boss)
    client.get(reverse(HOME))  # warm caches (content types, permissions)

    def count() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            assert client.get(reverse(HOME)).status_code == 200
        return len(queries)

    few = count()
    for _ in range(8):
        person = employee()
        TimeEntryFactory(user=person, status=TimeEntry.Status.SUBMITTED)
        TimeEntryFactory(user=boss, date=selectors.user_today(user=boss), hours=1)
    assert count() == few
