"""A customer's active flag is a canonical field 24SevenOffice does not hold (it cannot bar a
customer): its records leave it out, so a pull never compares it, never clears it and never
makes a conflict of it."""

from __future__ import annotations

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, Connection, SyncRun
from apps.integrations.sync.engine import sync_entity
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = 2400101  # the demo login's default client


@pytest.fixture
def sandbox(live_server: LiveServer, settings) -> so.Client:
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return so.Client.objects.get(client_id=CLIENT_ID)


@pytest.fixture
def connection(sandbox: so.Client) -> Connection:
    return connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        connected=["customer"],
        masters={"customer": "erp"},
    )


def pull(connection: Connection) -> SyncRun:
    run = sync_entity(connection=connection, entity="customer", trigger="manual")
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    return run


def test_a_customer_made_inactive_here_stays_inactive_when_24so_changes_it(
    connection: Connection, sandbox: so.Client
):
    pull(connection)
    Customer.objects.filter(number="10001").update(is_active=False)
    so.Company.objects.filter(client=sandbox, company_id=10001).update(
        name="Havbris Nytt Navn AS", date_changed=timezone.now()
    )

    run = pull(connection)

    customer = Customer.objects.get(number="10001")
    assert (customer.name, customer.is_active) == ("Havbris Nytt Navn AS", False)
    assert (run.updated, run.conflicts) == (1, 0)
    assert not Conflict.objects.exists()
    binding = Binding.objects.get(connection=connection, entity="customer", local_id=customer.pk)
    assert "is_active" not in binding.remote_values  # 24SO's record never carries it

    again = pull(connection)
    assert (again.updated, again.conflicts) == (0, 0)
    assert Customer.objects.get(number="10001").is_active is False
