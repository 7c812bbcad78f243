"""Day one in Tidsbro, in Norwegian, on the demo data (issue 13's acceptance): the office
connects 24SevenOffice in the wizard, its people are mapped by themselves, an employee fills
the week, the project manager approves it, the hours are in 24SO exactly once,
and an order made from them is in 24SO. Each screen is photographed at 1366 and 1920 px
(test-artifacts/journey/, or the folder JOURNEY_SHOTS names)."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.demo.office import DEMO_ADMIN_EMAIL, DEMO_PASSWORD
from apps.integrations.models import Binding, Connection
from apps.orders.models import Order
from apps.projects.models import Project, ProjectMember
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.demo_world import erp_world
from apps.sandbox.twentyfourseven.seed import DEMO_USERNAME, seed
from apps.timesheets.models import TimeEntry
from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("JOURNEY_SHOTS") or ARTIFACTS / "journey")
PROJECT = "ERP-migrering"
OFFICE = 2400101


@pytest.fixture
def demo_world(live_server, settings) -> None:
    from apps.demo.office import demo_data_load

    demo_data_load()
    seed(office=erp_world())
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base


@pytest.fixture
def norwegian(browser):
    """A browser that asks for Norwegian, as an office in Bergen does; one per person."""
    contexts = []

    def open_page():
        context = browser.new_context(
            locale="nb-NO",
            timezone_id="Europe/Oslo",
            extra_http_headers={"Accept-Language": "nb-NO,nb;q=0.9"},
            viewport={"width": 1366, "height": 768},
        )
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1366, 768), (1920, 1080)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def log_in(page, url: str, email: str) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.locator("form#login-form [type=submit], #login-form input[type=submit]").first.click()
    page.wait_for_url(f"{url}/admin/")


def test_day_one_connect_map_register_approve_transfer_and_order(
    demo_world, norwegian, live_server
):
    url = live_server.url
    project = Project.objects.get(name=PROJECT)
    members = ProjectMember.objects.filter(project=project).select_related("user", "role")
    employee = next(m.user for m in members if not m.role.can_approve)
    manager = next(m.user for m in members if m.role.can_approve)
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())

    # 1. The administrator logs in and connects 24SevenOffice in the wizard.
    admin = norwegian()
    log_in(admin, url, DEMO_ADMIN_EMAIL)
    assert admin.locator("html").get_attribute("lang") == "nb"
    shot(admin, "01-home-before-connecting")
    admin.goto(url + reverse("admin:integrations_connection_connect"))
    admin.click("button[name=system][value='24so']")  # Integrations → Activate
    admin.fill("#id_username", DEMO_USERNAME)
    admin.fill("#id_password", DEMO_PASSWORD)
    shot(admin, "02-wizard-login")
    admin.click("input[name=wizard_next]")
    admin.check("label:has-text('Tidsbro Rådgivning AS') input")
    shot(admin, "03-wizard-client")
    admin.click("input[name=wizard_next]")
    assert admin.is_checked("input[name=mode][value=same]")
    admin.click("input[name=wizard_next]")
    for entity in ("customer", "project", "work_type", "user", "hour"):
        assert admin.is_checked(f"input[name=connected][value={entity}]"), entity
    shot(admin, "04-wizard-what-to-connect")
    admin.click("input[name=connect]")
    admin.wait_for_selector("#first-sync-done", timeout=120_000)
    shot(admin, "05-first-sync-done")
    connection = Connection.objects.get()
    for row in admin.locator("tr[data-entity]").all():
        assert row.get_attribute("data-status") == "done", row.inner_text()

    # 2. Every Tidsbro user is mapped to their 24SO user by e-mail, nobody by hand.
    mapped = Binding.objects.filter(connection=connection, entity="user").exclude(local_id=None)
    assert set(mapped.values_list("local_id", flat=True)) == set(
        User.objects.values_list("pk", flat=True)
    )
    admin.goto(url + reverse("admin:integrations_connection_settings"))
    shot(admin, "06-settings-users-mapped")

    # 3. The employee fills in Monday on the project and submits the week.
    person = norwegian()
    log_in(person, url, employee.email)
    person.goto(url + reverse("admin:timesheets_timeentry_week"))
    row = person.locator("tr.tb-row:has(select.tb-pick-project)").first
    row.locator("select.tb-pick-project").select_option(str(project.pk))
    row.locator("td.tb-cell input").first.fill("7,5")
    shot(person, "07-my-week-filled")
    person.click("button[name=action][value=submit]")
    person.wait_for_load_state()
    shot(person, "08-my-week-submitted")
    entry = TimeEntry.objects.get(user=employee, project=project, date=monday)
    assert entry.hours == Decimal("7.5")
    assert entry.status == TimeEntry.Status.SUBMITTED

    # 4. The project's manager approves the week in one click. On this project she is Ingrid,
    # who also runs the office: her approval is per person and for the project at once.
    assert manager.has_perm("timesheets.approve_user_timeentry"), manager
    checker = norwegian()
    log_in(checker, url, manager.email)
    checker.goto(url + reverse("admin:timesheets_timeentry_approvals"))
    week_key = f"{employee.pk}:{monday.isoformat()}"
    shot(checker, "09-approvals")
    checker.click(f"button[name=approve][value='{week_key}']")
    checker.wait_for_load_state()
    shot(checker, "10-approvals-done")
    entry.refresh_from_db()
    assert entry.status == TimeEntry.Status.PROJECT_APPROVED

    # 5. The hour is in 24SO exactly once, on the employee, on the project's 24SO number.
    hours = so.Hour.objects.filter(client__client_id=OFFICE, description__contains=f"TB-{entry.pk}")
    assert hours.count() == 1
    hour = hours.get()
    assert hour.project_id == project.number and hour.total_hours == 7.5
    assert so.Person.objects.get(client=hour.client, contact_id=hour.contact_id).email == (
        employee.email
    )
    admin.goto(url + reverse("admin:timesheets_timeentry_change", args=[entry.pk]))
    shot(admin, "12-hour-approved")
    admin.goto(url + reverse("admin:sandbox_24so_hour_changelist") + "?q=TB-" + str(entry.pk))
    assert admin.locator("#result_list tbody tr").count() == 1  # found by its TB- reference
    assert str(project.number) in admin.inner_text("#result_list tbody")
    shot(admin, "13-hour-in-24so")

    # 6. The office makes an order of the approved hours of the customer this week.
    admin.goto(url + reverse("admin:orders_order_create"))
    admin.select_option("#id_customer", str(project.customer_id))
    admin.fill("#id_date_from", monday.isoformat())
    admin.fill("#id_date_to", (monday + dt.timedelta(days=6)).isoformat())
    admin.fill("#id_title", f"Uke {monday.isocalendar()[1]}")
    admin.click("input[name=show]")
    admin.wait_for_selector("#order-lines")
    assert admin.is_checked("#order-select-all")
    assert admin.locator("#order-problems").count() == 0
    shot(admin, "14-order-pick-hours")
    amount = Decimal("7.5") * entry.work_type.price  # 7,5 t × 1 450,00 kr
    assert amount == Decimal("10875.00")
    assert "10\xa0875,00\xa0kr" in admin.inner_text("#order-total")
    admin.click("button[name=step][value=confirm]")
    admin.wait_for_selector("#order-confirm")
    shot(admin, "15-order-review")
    admin.click("button[name=step][value=send]")
    admin.wait_for_url("**/admin/orders/order/*/change/")
    shot(admin, "16-order-created")

    # 7. The order is in 24SO, on the customer's 24SO number, with the product id.
    order = Order.objects.get()
    erp = so.InvoiceOrder.objects.get(client__client_id=OFFICE, order_id=int(order.external_id))
    assert erp.customer_id == int(project.customer.number)
    rows = erp.data["InvoiceRows"]["InvoiceRow"]
    assert [(r["ProductId"], Decimal(str(r["Quantity"]))) for r in rows] == [
        (int(entry.work_type.product_number), Decimal("7.5"))
    ]
    assert so.Hour.objects.filter(description__contains=f"TB-{entry.pk}").count() == 1
    admin.goto(url + reverse("admin:sandbox_24so_invoiceorder_changelist"))
    assert order.external_id in admin.inner_text("#result_list")
    shot(admin, "17-order-in-24so")


def test_an_order_the_erp_would_refuse_says_what_to_fix_and_links_to_it(
    demo_world, norwegian, live_server
):
    """A work type still on an old product code and a customer not in 24SO: both are named
    above the hours, each with a link to where it is fixed, and nothing is sent."""
    from apps.integrations import jobs, services
    from apps.timesheets.services import time_entry_create, time_entry_transition

    url = live_server.url
    from apps.integrations.connectors.twentyfourseven import onboarding as checks

    identities = checks.identities(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    documents = checks.connect(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        identity_id=next(i.identity_id for i in identities if i.client_id == OFFICE),
    )
    connection = services.connection_create(
        system="24so",
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        connected=["customer", "project", "work_type", "task", "user", "hour"],
    )
    jobs.sync_connection(connection.pk, "onboarding", True)
    project = Project.objects.get(name=PROJECT)
    member = ProjectMember.objects.filter(project=project, role__can_approve=False).first().user
    entry = time_entry_create(
        actor=member, project=project, date=timezone.localdate(), hours=Decimal("2")
    )
    office = User.objects.get(email="ingrid@tidsbro.no")
    time_entry_transition(actor=member, entry=entry, action="submit")
    time_entry_transition(actor=office, entry=entry, action="approve_user")
    work_type = entry.work_type
    work_type.product_number = "T-100"
    work_type.save(update_fields=["product_number"])
    Binding.objects.filter(
        connection=connection, entity="customer", local_id=project.customer_id
    ).delete()

    admin = norwegian()
    log_in(admin, url, DEMO_ADMIN_EMAIL)
    admin.goto(url + reverse("admin:orders_order_create"))
    admin.select_option("#id_customer", str(project.customer_id))
    admin.click("input[name=show]")
    problems = admin.locator("#order-problems")
    assert "T-100" in problems.inner_text()
    assert project.customer.name in problems.inner_text()
    shot(admin, "18-order-refused-before-sending")
    problems.locator(f"a[href$='/worktype/{work_type.pk}/change/']").click()
    admin.wait_for_selector("#id_product_number")
    shot(admin, "19-order-fix-work-type")
    assert not so.InvoiceOrder.objects.exists() and not Order.objects.exists()
