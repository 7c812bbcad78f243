"""An office's first day, in a real browser: invite a colleague, they set a password,
register hours and submit them; the administrator approves them."""

import re
from decimal import Decimal

import pytest
from django.core import mail

from apps.accounts.models import User
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import PASSWORD, admin_user
from tests.e2e.conftest import admin_login
from tests.projects.factories import ProjectFactory, ProjectMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pick_autocomplete(page, field: str, text: str) -> None:
    page.click(f"#id_{field} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def test_invited_colleague_registers_hours_and_the_admin_approves_them(page, browser, live_server):
    boss = admin_user(email="boss@example.no", first_name="Berit")
    project = ProjectFactory(name="Fjordkraft rollout")

    # The administrator invites Kari as an employee.
    admin_login(page, live_server, boss.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/accounts/user/add/")
    page.fill("#id_email", "kari@example.no")
    page.fill("#id_first_name", "Kari")
    page.fill("#id_last_name", "Nordmann")
    page.check("input[name=roles][value='employee']")
    page.click("[name=_save]")  # the theme's save is a <button>
    page.wait_for_selector(".messagelist")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/invitation/\S+/", mail.outbox[0].body).group(0)
    kari = User.objects.get(email="kari@example.no")
    ProjectMemberFactory(project=project, user=kari)  # hours only on one's own projects
    assert not kari.has_usable_password()

    # Kari opens the link in her own browser and chooses a password.
    context = browser.new_context(locale="nb-NO", timezone_id="Europe/Oslo")
    kari_page = context.new_page()
    kari_page.goto(link)
    kari_page.fill("#id_new_password1", "Fjell-og-fjord-2026")
    kari_page.fill("#id_new_password2", "Fjell-og-fjord-2026")
    kari_page.click("input[type=submit]")
    kari_page.wait_for_url(f"{live_server.url}/admin/")

    # She registers 7.5 hours on the project and submits them.
    kari_page.goto(f"{live_server.url}/admin/timesheets/timeentry/add/")
    kari_page.fill("#id_date", "2026-11-23")
    _pick_autocomplete(kari_page, "project", "Fjordkraft")
    kari_page.fill("#id_hours", "7.5")
    kari_page.fill("#id_description", "Workshop with the customer")
    kari_page.click("[name=_save]")  # the theme's save is a <button>
    kari_page.wait_for_selector("#result_list")
    entry = TimeEntry.objects.get(user=kari)
    assert entry.hours == Decimal("7.50") and entry.project == project
    assert entry.work_type == project.default_work_type  # left empty: the project default
    assert entry.status == TimeEntry.Status.DRAFT

    kari_page.check(f"input.action-select[value='{entry.pk}']")
    kari_page.select_option("select[name=action]", "submit")
    kari_page.click("button[name=index]")
    kari_page.click("input[type=submit][value]:not([name])")
    kari_page.wait_for_selector(".messagelist")
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.SUBMITTED

    # The link cannot be used twice.
    kari_page.goto(link)
    assert kari_page.locator("h1").count() == 1
    assert "410" not in kari_page.title()  # a page for people, not a bare status
    context.close()

    # The administrator approves Kari's hours (user approval).
    page.goto(f"{live_server.url}/admin/timesheets/timeentry/")
    page.check(f"input.action-select[value='{entry.pk}']")
    page.select_option("select[name=action]", "approve_user")
    page.click("button[name=index]")
    page.click("input[type=submit][value]:not([name])")
    page.wait_for_selector(".messagelist")
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.USER_APPROVED
    assert list(entry.transitions.values_list("action", "actor__email")) == [
        ("approve_user", boss.email),
        ("submit", kari.email),
    ]
