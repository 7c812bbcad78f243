"""Connect e-conomic in the admin: the generic wizard with e-conomic's own steps, against the
sandbox over real HTTP, through to the first full sync."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations.models import Connection
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Customer as ErpCustomer
from apps.sandbox.economic.resources import now_to_second

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(live_server: Any, transactional_db: None, settings: Any) -> Any:
    agreement = sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_GRANT_URL = f"{url}/requestaccess.aspx"
    settings.ECONOMIC_APP_PUBLIC_TOKEN = sandbox_seed.APP_PUBLIC_TOKEN
    return agreement


def step(name: str) -> str:
    return reverse("admin:integrations_connection_connect_step", args=[name])


def test_an_administrator_connects_e_conomic_and_the_first_sync_fetches_its_customers(
    sandbox: Any, admin_client: Any
) -> None:
    ErpCustomer.objects.create(
        agreement=sandbox,
        customer_number=11,
        name="Vesterhavets Rengøring",
        last_updated=now_to_second(),
    )

    started = admin_client.get(
        reverse("admin:integrations_connection_connect") + "?system=economic"
    )
    assert started.status_code == 302 and started["Location"] == step("agreement")
    page = admin_client.get(step("agreement"))
    assert page.status_code == 200
    assert "Approve Tidsbro in e-conomic" in page.content.decode()
    assert "requestaccess.aspx?appPublicToken=" in page.content.decode()

    wrong = admin_client.post(step("agreement"), {"agreement_grant_token": "nope"})
    assert wrong.status_code == 200
    assert "did not accept this token" in wrong.content.decode()

    accepted = admin_client.post(
        step("agreement"), {"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN}
    )
    assert accepted.status_code == 302 and accepted["Location"] == step("defaults")
    defaults = admin_client.get(step("defaults"))
    text = defaults.content.decode()
    assert "Tidsbro Demo ApS" in text and "Demo Bruger" in text
    assert "Netto 14 dage" in text

    chosen = admin_client.post(
        step("defaults"),
        {
            "customer_group": "1",
            "payment_terms": "2",
            "vat_zone": "1",
            "currency": "DKK",
            # The demo agreement has the Project module: where new projects and work types go.
            "project_group": "1",
            "activity_group": "1",
        },
    )
    assert chosen.status_code == 302
    objects = admin_client.get(chosen["Location"])
    assert "New customers in e-conomic get" in objects.content.decode()
    done = admin_client.post(
        chosen["Location"], {"connected": ["customer"], "master_customer": "both"}
    )

    assert done.status_code == 302, done.content.decode()[:2000]
    connection = Connection.objects.get(system="economic", is_active=True)
    assert connection.master_of("customer") == "both"
    assert connection.settings["payment_terms"] == 2
    assert connection.credentials_doc["agreement_grant_token"] == (
        sandbox_seed.AGREEMENT_GRANT_TOKEN
    )
    assert Customer.objects.filter(name="Vesterhavets Rengøring", number="11").exists()
