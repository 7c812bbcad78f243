"""In a real browser against the live server and the e-conomic sandbox: an administrator
connects e-conomic with the wizard through e-conomic's approval page (the token comes back by
itself), chooses the defaults and the master, and the first sync fetches the customers."""

from __future__ import annotations

from typing import Any

import pytest

from apps.customers.models import Customer
from apps.integrations.models import Connection
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Customer as ErpCustomer
from apps.sandbox.economic.resources import now_to_second
from tests.accounts.factories import PASSWORD, admin_user
from tests.e2e.conftest import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Any:
    agreement = sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_GRANT_URL = f"{url}/requestaccess.aspx"
    settings.ECONOMIC_APP_PUBLIC_TOKEN = sandbox_seed.APP_PUBLIC_TOKEN
    return agreement


def test_the_office_connects_e_conomic_through_its_approval_page(
    page: Any, live_server: Any, sandbox: Any
) -> None:
    boss = admin_user(email="chef@rengoering.dk")
    ErpCustomer.objects.create(
        agreement=sandbox,
        customer_number=21,
        name="Strandhotellet Løkken",
        last_updated=now_to_second(),
    )

    admin_login(page, live_server, boss.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/integrations/connection/connect/?system=economic")

    # 1. e-conomic's own page: the e-conomic user logs in and approves Tidsbro.
    page.click("#economic-grant")
    page.wait_for_url("**/sandbox/economic/requestaccess.aspx**")
    page.fill("#id_login", sandbox_seed.DEMO_LOGIN)
    page.fill("#id_password", sandbox_seed.DEMO_PASSWORD)
    page.click("button[name=approve]")

    # 2. Back in Tidsbro with the token, checked at once: the agreement is shown.
    page.wait_for_url("**/connect/step/defaults/")
    content = page.inner_text("#content-main")
    assert "Tidsbro Demo ApS" in content and "Demo Bruger" in content
    page.select_option("#id_payment_terms", "2")
    page.click("input[name=wizard_next]")

    # 3. What to connect and who is master of customers.
    page.wait_for_url("**/connect/objects/")
    page.select_option("select[name=master_customer]", "both")
    page.click("input[name=connect]")

    page.wait_for_url("**/first-sync/**")
    connection = Connection.objects.get(system="economic", is_active=True)
    assert connection.master_of("customer") == "both"
    assert connection.settings["payment_terms"] == 2
    assert Customer.objects.filter(name="Strandhotellet Løkken", number="21").exists()
