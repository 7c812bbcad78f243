"""Issue 16's acceptance walk, in a real browser against the live server and the e-conomic
sandbox, in Norwegian: the office administrator connects e-conomic with the Project module
(approved on e-conomic's page; project group, activity group and integration employee chosen;
customers, users, work types, projects and hours kept in step) and sees the first sync's
result; puts a colleague on a pulled project; the colleague registers and submits her week;
the administrator approves it and the hours are e-conomic time entries under her employee, the
project, the activity and the days; the work type gets the product it is billed as; an order
of the approved hours becomes a draft invoice whose number on the order links to it, with a
line per hour. An agreement without the Project module is offered customers only.

Screenshots of each screen go to the folder ECONOMIC_ERP_SHOTS names (none when unset)."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.customers.models import Customer
from apps.integrations.models import Binding, Connection
from apps.orders.models import Order
from apps.projects.models import Project
from apps.sandbox.economic import models as erp
from apps.sandbox.economic import seed as sandbox_seed
from apps.timesheets.models import TimeEntry
from apps.worktypes.models import WorkType
from tests.accounts.factories import admin_user, employee
from tests.e2e import walk
from tests.projects.factories import ProjectRoleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("ECONOMIC_ERP_SHOTS", "")
PROJECT = 101  # "Vindmøllepark Anholt – dataplatform", customer 1 Kattegat Vindkraft A/S
ACTIVITY = 1  # "Konsulenttimer"
PRODUCT = "1010"  # what e-conomic bills consulting hours as (the sandbox's products)


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Any:
    """The demo agreement with its office: customers, employees, activities, projects."""
    agreement = sandbox_seed.seed(demo_office=True)
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_GRANT_URL = f"{url}/requestaccess.aspx"
    settings.ECONOMIC_APP_PUBLIC_TOKEN = sandbox_seed.APP_PUBLIC_TOKEN
    return agreement


def shot(page: Any, name: str) -> None:
    walk.shot(page, SHOTS, name)


log_in = walk.log_in


def test_an_economic_office_connects_projects_and_invoices_approved_hours_as_a_draft(
    norwegian: Any, live_server: Any, sandbox: Any
) -> None:
    url = live_server.url
    boss = admin_user(email="chef@tidsbro.dk", first_name="Astrid", last_name="Haugen")
    freja = employee(
        email="freja@tidsbro.no", first_name="Freja", last_name="Jensen", language="nb"
    )
    ProjectRoleFactory(name="Konsulent")
    her_number = erp.Employee.objects.get(agreement=sandbox, email=freja.email).number
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())

    # 1. Connect e-conomic: approve Tidsbro on e-conomic's page, back with the agreement checked.
    admin = norwegian()
    log_in(admin, url, boss.email)
    admin.goto(f"{url}/admin/integrations/connection/connect/?system=economic")
    admin.click("#economic-grant")
    admin.wait_for_url("**/sandbox/economic/requestaccess.aspx**")
    admin.fill("#id_login", sandbox_seed.DEMO_LOGIN)
    admin.fill("#id_password", sandbox_seed.DEMO_PASSWORD)
    admin.click("button[name=approve]")

    # 2. Defaults: the agreement has the Project module, so its groups and employees are offered.
    admin.wait_for_url("**/connect/step/defaults/")
    admin.wait_for_selector("#project-module-yes")
    assert "Tidsbro Demo ApS" in admin.inner_text("#content-main")
    admin.select_option("#id_payment_terms", "2")
    admin.select_option("#id_project_group", "1")
    admin.select_option("#id_activity_group", "1")
    admin.select_option("#id_integration_employee", "1")
    shot(admin, "01-wizard-defaults")
    admin.click("input[name=wizard_next]")

    # 3. What to connect: customers, users, work types, projects and hours, all offered and
    #    ticked; hours go when approved.
    admin.wait_for_url("**/connect/objects/")
    for entity in ("customer", "user", "work_type", "project", "hour"):
        assert admin.is_checked(f"input[name=connected][value={entity}]"), entity
    assert admin.is_checked("input[name=hour_transfer][value=on_approval]")
    shot(admin, "02-wizard-what-to-connect")
    admin.click("input[name=connect]")

    # 4. The first sync runs and shows what it fetched: 8 employees, 12 customers, 5 activities,
    #    6 projects, each done.
    admin.wait_for_selector("#first-sync-done")
    shot(admin, "03-first-sync")
    fetched = {
        row.get_attribute("data-entity"): (
            row.get_attribute("data-status"),
            row.locator("td").nth(2).inner_text().strip(),
        )
        for row in admin.locator("tr[data-entity]").all()
    }
    assert fetched == {
        "user": ("done", "8"),
        "customer": ("done", "12"),
        "work_type": ("done", "5"),
        "project": ("done", "6"),
    }
    connection = Connection.objects.get(system="economic", is_active=True)
    assert connection.settings["project_module"] is True
    assert (connection.settings["project_group"], connection.settings["activity_group"]) == (1, 1)
    assert connection.settings["integration_employee"] == 1
    freja_linked = Binding.objects.get(connection=connection, entity="user", local_id=freja.pk)
    assert freja_linked.external_id == str(her_number)  # linked by e-mail

    # 5. From there, the sync center lists e-conomic's projects as kept in step.
    admin.click("#first-sync-center")
    admin.click("ul.sc-entities a:has-text('Prosjekter')")
    admin.wait_for_selector("tr.sc-row:has-text('Vindmøllepark Anholt')")
    shot(admin, "04-sync-center-projects")

    # The settings screen names the agreement, its company and the e-conomic user who approved.
    admin.goto(url + reverse("admin:integrations_connection_settings"))
    summary = admin.locator("#content-main > p").first.inner_text()
    assert "7301001" in summary and "Tidsbro Demo ApS" in summary and "Demo Bruger" in summary
    shot(admin, "04b-settings")

    # 6. The office puts Freja on the project pulled from e-conomic (only members register).
    project = Project.objects.get(number=str(PROJECT))
    assert project.customer.number == "1"
    admin.goto(url + reverse("admin:projects_project_change", args=[project.pk]))
    admin.locator("tr:has(select[name='memberships-0-user']) .select2-selection").click()
    admin.fill(".select2-search__field", "Freja")
    admin.click(".select2-results__option:has-text('Freja Jensen')")
    admin.select_option("select[name='memberships-0-role']", label="Konsulent")
    admin.click("[name=_continue]")
    admin.wait_for_selector(".messagelist")
    assert project.memberships.filter(user=freja).exists()

    # 7. Freja registers Monday and Tuesday on it as consulting hours and submits her week.
    person = norwegian()
    log_in(person, url, freja.email)
    person.goto(url + reverse("admin:timesheets_timeentry_week"))
    person.select_option("select[name='r0-project']", str(project.pk))
    person.select_option("select[name='r0-work_type']", label="Konsulenttimer")
    person.fill("input[name='r0-d0']", "7,5")
    person.fill("input[name='r0-d1']", "6")
    shot(person, "05-my-week")
    person.click("button[value=submit]")
    person.wait_for_selector(".tb-locked")

    # 8. The administrator approves her week in one click.
    admin.goto(url + reverse("admin:timesheets_timeentry_approvals"))
    week_key = f"{freja.pk}:{monday.isoformat()}"
    shot(admin, "06-approvals")
    admin.click(f"button[name=approve][value='{week_key}']")
    admin.wait_for_selector(".messagelist")
    entries = list(TimeEntry.objects.filter(user=freja).order_by("date"))
    assert [(e.date, e.hours, e.status) for e in entries] == [
        (monday, Decimal("7.5"), TimeEntry.Status.PROJECT_APPROVED),
        (monday + dt.timedelta(days=1), Decimal("6"), TimeEntry.Status.PROJECT_APPROVED),
    ]

    # 9. The hours are e-conomic time entries, once each, under her employee, the project,
    #    the activity and the days, approved there too; the hours list says so.
    theirs = erp.TimeEntry.objects.filter(agreement=sandbox, employee_number=her_number)
    assert sorted(
        (t.project_number, t.activity_number, t.date, t.number_of_hours, t.is_approved)
        for t in theirs
    ) == [
        (PROJECT, ACTIVITY, monday, Decimal("7.50"), True),
        (PROJECT, ACTIVITY, monday + dt.timedelta(days=1), Decimal("6.00"), True),
    ]
    admin.goto(url + reverse("admin:timesheets_timeentry_changelist") + "?q=Vindm")
    admin.wait_for_selector("#result_list")
    shot(admin, "07-hours-list")
    admin.goto(
        url
        + reverse("admin:sandbox_economic_timeentry_changelist")
        + f"?employee_number={her_number}"
    )
    rows = admin.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert all(f"[TB-{e.pk}]" in admin.inner_text("#result_list") for e in entries)
    shot(admin, "08-sandbox-time-entries")

    # 10. Create order: e-conomic's activity came without the product it is billed as; the
    #     screen says so and links to the work type, where the office fills it in.
    kattegat = Customer.objects.get(number="1")
    admin.goto(url + reverse("admin:orders_order_create"))
    admin.select_option("#id_customer", str(kattegat.pk))
    admin.click("input[name=show]")
    problems = admin.locator("#order-problems")
    assert "Konsulenttimer" in problems.inner_text()
    shot(admin, "09-order-work-type-without-product")
    work_type = WorkType.objects.get(name="Konsulenttimer")
    problems.locator(f"a[href$='/worktype/{work_type.pk}/change/']").click()
    admin.fill("#id_product_number", PRODUCT)
    admin.fill("#id_price", "1450")
    admin.click("[name=_save]")
    admin.wait_for_selector(".messagelist")

    admin.goto(url + reverse("admin:orders_order_create"))
    admin.select_option("#id_customer", str(kattegat.pk))
    admin.fill("#id_title", "Uge 49 – Vindmøllepark Anholt")
    admin.click("input[name=show]")
    admin.wait_for_selector("#order-lines")
    assert admin.locator("#order-problems").count() == 0
    assert "19\xa0575,00\xa0kr" in admin.inner_text("#order-total")  # 13,5 t × 1 450,00 kr
    shot(admin, "10-create-order")
    admin.click("button[name=step][value=confirm]")
    admin.wait_for_selector("#order-confirm")
    admin.click("button[name=step][value=send]")
    admin.wait_for_url("**/admin/orders/order/*/change/")
    shot(admin, "11-order")

    # 11. The order is exactly one draft invoice (never booked) with a line per hour: the
    #     product, the hours as quantity, the rate as price; its number links to it.
    order = Order.objects.get()
    drafts = erp.DraftInvoice.objects.filter(agreement=sandbox)
    assert drafts.count() == 1
    draft = drafts.get()
    assert order.external_id == str(draft.number)
    assert (draft.customer_number, draft.heading) == (1, "Uge 49 – Vindmøllepark Anholt")
    assert sorted(
        (line.product_number, line.quantity, line.unit_net_price) for line in draft.lines.all()
    ) == [
        (PRODUCT, Decimal("6.00"), Decimal("1450.00")),
        (PRODUCT, Decimal("7.50"), Decimal("1450.00")),
    ]
    assert theirs.count() == 2  # the order sent no hour twice
    link = admin.locator("#content-main a.erp-order-link, a.erp-order-link").first
    # Named as the draft invoice it is ("Draft invoice 1 in e-conomic"), not an ERP order.
    assert re.search(rf"\b{draft.number} i(n)? e-conomic", link.inner_text())
    with admin.expect_popup() as popup:
        link.click()
    # The link opens the draft itself, with its lines.
    sandbox_page = popup.value
    sandbox_page.wait_for_selector("text=Uge 49 – Vindmøllepark Anholt")
    page_text = sandbox_page.inner_text("body")
    assert "Kattegat Vindkraft A/S" in page_text
    assert "2026" in page_text and PRODUCT in page_text and "1450,00" in page_text
    # The lines' text: the day as the office writes it (Norwegian: 30.11.2026).
    assert f"{monday:%d.%m.%Y} Konsulenttimer" in page_text
    shot(sandbox_page, "12-sandbox-draft-invoice")


def test_an_agreement_without_the_project_module_is_offered_customers_only(
    norwegian: Any, live_server: Any, sandbox: Any
) -> None:
    url = live_server.url
    boss = admin_user(email="chef@tidsbro.dk")
    admin = norwegian()
    log_in(admin, url, boss.email)
    admin.goto(f"{url}/admin/integrations/connection/connect/?system=economic")
    admin.fill("#id_agreement_grant_token", sandbox_seed.SALES_GRANT_TOKEN)
    admin.click("input[name=wizard_next]")

    # The defaults step says so and asks for no project group, activity group or employee.
    admin.wait_for_url("**/connect/step/defaults/")
    admin.wait_for_selector("#project-module-no")
    assert "Tidsbro Salg ApS" in admin.inner_text("#content-main")
    for field in ("project_group", "activity_group", "integration_employee"):
        assert admin.locator(f"#id_{field}").count() == 0, field
    shot(admin, "20-no-project-module-defaults")
    admin.click("input[name=wizard_next]")

    # What to connect: customers only, and the page says why.
    admin.wait_for_url("**/connect/objects/")
    admin.wait_for_selector("#project-module-no")
    offered = [box.get_attribute("value") for box in admin.locator("input[name=connected]").all()]
    assert offered == ["customer"]
    assert admin.locator("input[name=hour_transfer]").count() == 0
    shot(admin, "21-no-project-module-what-to-connect")
    admin.click("input[name=connect]")
    admin.wait_for_selector("#first-sync-done")
    connection = Connection.objects.get(system="economic", is_active=True)
    assert connection.connected == ["customer"]
    assert connection.settings["project_module"] is False
    assert [row.get_attribute("data-entity") for row in admin.locator("tr[data-entity]").all()] == [
        "customer"
    ]
