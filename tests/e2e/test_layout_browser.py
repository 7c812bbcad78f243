"""The admin at 1366 × 768 in Norwegian: the lists keep their key columns in view, and the
sidebar shows each role its own work first."""

import datetime

import pytest

from apps.timesheets.models import TimeEntry
from tests.accounts.factories import PASSWORD, admin_user, employee
from tests.customers.factories import CustomerFactory
from tests.e2e.conftest import admin_login
from tests.timesheets.factories import TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1366, 768


@pytest.fixture
def small_screen(browser):
    context = browser.new_context(
        locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": WIDTH, "height": HEIGHT}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def _headers_in_view(page) -> dict[str, float]:
    """Each column heading of the list and where its right edge is on the screen."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#result_list thead th')]
            .map(th => [th.innerText.trim(), th.getBoundingClientRect().right]))"""
    )


def test_time_entry_list_shows_hours_and_status_at_1366_px(small_screen, live_server):
    boss = admin_user(language="nb")
    people = [employee(first_name="Kristoffer", last_name="Fredriksen-Haugland") for _ in range(3)]
    for day in range(12):
        TimeEntryFactory(
            user=people[day % 3],
            date=datetime.date(2026, 11, 2) + datetime.timedelta(days=day),
            project__name="Skyplattform og drift for Midnattsol",
            project__customer__name="Midnattsol Reiser og Opplevelser AS",
            status=TimeEntry.Status.SUBMITTED,
        )
    admin_login(small_screen, live_server, boss.email, PASSWORD)

    small_screen.goto(f"{live_server.url}/admin/timesheets/timeentry/")
    headers = _headers_in_view(small_screen)

    for heading in ("Timer", "Status", "Prosjekt", "Bruker"):
        assert heading in headers, headers
        assert headers[heading] <= WIDTH, (heading, headers)
    # Nothing to scroll sideways for: the last column ends inside the window as well.
    assert max(headers.values()) <= WIDTH, headers


def test_customer_list_is_not_cut_off_at_1366_px(small_screen, live_server):
    boss = admin_user(language="nb")
    for n in range(5):
        CustomerFactory(
            name=f"Fjellstua Hotelldrift og Konferanse {n} AS",
            email=f"resepsjon{n}@fjellstua-hotelldrift.no",
            phone="+47 61 23 45 67",
        )
    admin_login(small_screen, live_server, boss.email, PASSWORD)

    small_screen.goto(f"{live_server.url}/admin/customers/customer/")
    headers = _headers_in_view(small_screen)

    assert max(headers.values()) <= WIDTH, headers


def test_employee_sidebar_shows_their_week_and_hours_and_no_office(small_screen, live_server):
    me = employee(language="nb")
    admin_login(small_screen, live_server, me.email, PASSWORD)

    sidebar = small_screen.locator("#nav-sidebar-apps")
    links = [text.strip() for text in sidebar.locator("a").all_inner_texts()]

    assert any("My hours" in text or "Mine timer" in text for text in links), links
    assert not any(text in ("Kunder", "Brukere", "System") for text in links), links
