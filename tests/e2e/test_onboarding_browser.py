"""In a real browser against the live server and the 24SO sandbox: an administrator connects
24SevenOffice with the wizard, sees the customers arrive and maps a colleague; a colleague logs
in with 24SevenOffice (and a wrong password is refused); support cannot open the settings."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password

from apps.integrations.models import Binding, Connection
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.accounts.factories import PASSWORD, UserFactory, admin_user, employee, support_user
from tests.e2e.conftest import admin_login
from tests.integrations.factories import connection_24so

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FJORDLYS = 2400101


@pytest.fixture
def sandbox(live_server, settings):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return so.Client.objects.get(client_id=FJORDLYS)


def test_the_office_connects_24so_sees_customers_and_maps_a_colleague(page, live_server, sandbox):
    boss = admin_user(email="boss@tidsbro.no")
    person = so.Person.objects.filter(client=sandbox, user_guid__isnull=False).order_by(
        "contact_id"
    )[3]
    # Same name as a 24SO user, another e-mail: the mapping is suggested, not automatic.
    kari = UserFactory(
        first_name=person.first_name, last_name=person.last_name, email="kari@tidsbro.no"
    )
    customer = so.Company.objects.filter(client=sandbox).order_by("name").first()

    admin_login(page, live_server, boss.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/integrations/connection/")
    page.click("text=Connect 24SevenOffice")

    # 1. The login: a wrong password is said on the page, then the right one.
    page.fill("#id_username", DEMO_USERNAME)
    page.fill("#id_password", "wrong")
    page.click("input[name=wizard_next]")
    assert "did not accept the username or password" in page.inner_text("#content-main")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[name=wizard_next]")

    # 2. The clients this login reaches.
    page.check("label:has-text('Fjordlys Rådgivning AS') input")
    page.click("input[name=wizard_next]")

    # 3. The integration user: the same login.
    assert page.is_checked("input[name=mode][value=same]")
    page.click("input[name=wizard_next]")

    # 4. What to connect.
    for entity in ("task", "hour"):
        page.uncheck(f"input[name=connected][value={entity}]")
    page.click("input[name=connect]")

    page.wait_for_selector("#first-sync-done")
    for entity in ("user", "customer", "work_type", "project"):
        assert page.get_attribute(f"tr[data-entity={entity}]", "data-status") == "done"
    connection = Connection.objects.get()
    assert connection.setting("client_name") == "Fjordlys Rådgivning AS"

    page.click("#content-main a:has-text('Customers')")
    page.wait_for_selector("#result_list")
    page.fill("#searchbar", customer.name)
    page.press("#searchbar", "Enter")
    assert customer.name in page.inner_text("#result_list")

    # Map Kari from the suggestion on the settings page.
    page.goto(f"{live_server.url}/admin/integrations/connection/settings/")
    row = page.locator(f"#user-mapping-table tr[data-user='{kari.pk}']")
    assert "same name" in row.inner_text()
    row.locator("button[name=accept]").click()
    page.wait_for_selector(".messagelist .success")
    binding = Binding.objects.get(connection=connection, entity="user", local_id=kari.pk)
    row = page.locator(f"#user-mapping-table tr[data-user='{kari.pk}']")
    assert binding.external_id in row.locator("td.mapped").inner_text()


def test_a_colleague_logs_in_with_24so_and_a_wrong_password_is_refused(
    page, browser, live_server, sandbox
):
    connection = connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        client_name=sandbox.name,
        client_id=str(FJORDLYS),
        connected=["user"],
        sso_allowed=True,
    )
    person = so.Person.objects.filter(client=sandbox).order_by("contact_id")[2]
    login = so.Login.objects.create(
        username="kari@fjordlys.no", password=make_password("Fjell-og-fjord-24")
    )
    so.Identity.objects.create(login=login, client=sandbox, person=person, is_default=True)
    kari = employee(email="kari@tidsbro.no", first_name="Kari")
    Binding.objects.create(
        connection=connection, entity="user", external_id=str(person.contact_id), local_id=kari.pk
    )

    page.goto(f"{live_server.url}/admin/login/")
    page.click("text=Log in with 24SevenOffice")
    page.fill("#id_username", "kari@fjordlys.no")
    page.fill("#id_password", "not-her-password")
    page.click("#sso-form input[type=submit]")
    assert "did not accept the username or password" in page.inner_text("#sso-error")

    page.fill("#id_password", "Fjell-og-fjord-24")
    page.click("#sso-form input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    # The theme names the person logged in at the foot of the sidebar.
    assert "kari@tidsbro.no" in page.inner_text("#nav-sidebar")


def test_support_cannot_open_the_24so_settings(page, live_server):
    connection_24so(username=DEMO_USERNAME, password="x", client_name="Fjordlys Rådgivning AS")
    helper = support_user(email="support@tidsbro.no")
    admin_login(page, live_server, helper.email, PASSWORD)

    page.goto(f"{live_server.url}/admin/integrations/connection/")
    assert "Fjordlys Rådgivning AS" in page.inner_text("#result_list")
    tools = page.locator(".object-tools")
    assert tools.count() == 0 or "settings" not in tools.inner_text()

    for path in ("settings/", "general/", "connect/"):
        response = page.goto(f"{live_server.url}/admin/integrations/connection/{path}")
        assert response.status == 403, path
