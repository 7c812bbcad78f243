"""The sync screens work per connection: with several systems connected, each list, partner
page, conflict and the history is about the connection chosen above it, and every label names
that connection's system (never a system the code knows by name)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.integrations import registry
from apps.integrations.connectors.base import Capabilities, Entity
from apps.integrations.connectors.twentyfourseven.spec import TwentyFourSevenSpec
from apps.integrations.models import Binding, Conflict, Connection, OutboxItem, SyncRun
from apps.integrations.services import DEFAULT_MASTERS
from apps.projects.models import Project
from tests.accounts.factories import admin_user
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db


class LedgerSpec(TwentyFourSevenSpec):
    """A second system, as another connector package would declare it."""

    system = "ledger"
    display_name = "Ledger Online"
    capabilities = Capabilities(
        system="ledger",
        pull=frozenset({Entity.CUSTOMER, Entity.PROJECT}),
        push=frozenset({Entity.CUSTOMER, Entity.PROJECT}),
    )

    def describe(self, connection):
        return "Ledger Online: Nordavind"

    def explain(self, exc):
        return None


@pytest.fixture
def ledger_spec():
    spec = LedgerSpec()
    registry.register(spec)
    yield spec
    for table in (registry._specs, registry._connectors, registry._capabilities):
        table.pop(spec.system, None)


@pytest.fixture
def both(ledger_spec) -> tuple[Connection, Connection]:
    connected = ["customer", "project"]
    first = connection_24so(
        username="api@example.no",
        password="secret",
        client_name="Fjordlys",
        connected=connected,
        masters=dict(DEFAULT_MASTERS),
    )
    second = Connection.objects.create(
        system="ledger", connected=connected, masters=dict(DEFAULT_MASTERS)
    )
    return first, second


def remote_only(connection: Connection, name: str) -> Binding:
    return Binding.objects.create(
        connection=connection,
        entity="project",
        external_id=name,
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": name, "number": 1},
    )


def list_url(tab: str, connection: Connection | None = None) -> str:
    url = f"{reverse('admin:integrations_sync_center_list', args=['project'])}?tab={tab}"
    return f"{url}&connection={connection.pk}" if connection else url


def test_the_sync_center_lists_the_chosen_connections_records_in_its_words(client, both):
    first, second = both
    remote_only(first, "Only at the first")
    remote_only(second, "Only at the second")
    client.force_login(admin_user())

    html = client.get(list_url("remote_only", second)).content.decode()

    assert "Only at the second" in html and "Only at the first" not in html
    assert "Only in Ledger Online" in html and "Ledger Online id" in html
    assert "24SevenOffice" not in html.split('id="result_list"')[1]
    # The choice between the connections, the chosen one marked; links keep it.
    assert f'data-connection="{second.pk}" class="selected"' in html
    assert f'data-connection="{first.pk}"' in html
    assert f"connection={second.pk}" in html.split("sc-entities")[1]
    # Only the object types its system exchanges (customers and projects here).
    types = client.get(list_url("remote_only", second)).context["entities"]
    assert [e["key"] for e in types] == ["customer", "project"]
    work_types = reverse("admin:integrations_sync_center_list", args=["work_type"])
    response = client.get(f"{work_types}?connection={second.pk}")
    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_sync_center") + f"?connection={second.pk}"

    # Without a choice: the first active connection, named by its own system.
    default = client.get(list_url("remote_only")).content.decode()
    assert "Only at the first" in default and "Only in 24SevenOffice" in default
    # A connection that is not active is not a choice.
    second.is_active = False
    second.save(update_fields=["is_active"])
    assert client.get(list_url("remote_only", second)).status_code == 404


def test_actions_and_partner_pages_stay_with_the_chosen_connection(client, both):
    first, second = both
    customer = CustomerFactory()
    ours = Project.objects.create(name="Fjellvegen", customer=customer)
    theirs = remote_only(second, "Fjellvegen")
    client.force_login(admin_user())

    response = client.post(
        list_url("remote_only", second), {"action": "exclude", "selected": [theirs.pk]}
    )
    assert response.status_code == 302 and f"connection={second.pk}" in response.url
    theirs.refresh_from_db()
    assert theirs.state == Binding.State.EXCLUDED

    page = client.get(
        reverse("admin:integrations_sync_center_partner_local", args=["project", ours.pk])
        + f"?connection={second.pk}"
    ).content.decode()
    assert "Which Ledger Online record is Fjellvegen?" in page
    assert "Another Ledger Online id:" in page
    assert not Binding.objects.filter(connection=first).exists()


def test_a_conflict_names_the_system_of_its_own_connection(client, both):
    _first, second = both
    project = Project.objects.create(name="Ours", customer=CustomerFactory())
    binding = Binding.objects.create(
        connection=second,
        entity="project",
        local_id=project.pk,
        external_id="9",
        state=Binding.State.CONFLICT,
    )
    Conflict.objects.create(
        binding=binding, field="name", base_value="Old", local_value="Ours", remote_value="Theirs"
    )
    client.force_login(admin_user())

    html = client.get(reverse("admin:integrations_conflict_resolve", args=[binding.pk]))
    html = html.content.decode()

    assert "Both Tidsbro and Ledger Online changed these fields" in html
    assert "<th>Ledger Online</th>" in html and "24SevenOffice" not in html.split("content-main")[1]
    assert f"tab=conflict&amp;connection={second.pk}" in html


def test_the_history_shows_one_connections_runs_and_failures_in_its_words(client, both):
    first, second = both
    SyncRun.objects.create(
        connection=first, entity="customer", trigger="manual", status="failed", error_text="x"
    )
    SyncRun.objects.create(
        connection=second,
        entity="project",
        trigger="manual",
        status="failed",
        error_text="Unavailable: read timed out",
    )
    OutboxItem.objects.create(
        connection=second,
        entity="project",
        local_id=Project.objects.create(name="P", customer=CustomerFactory()).pk,
        status=OutboxItem.Status.DEAD,
        attempts=8,
        last_error="Invoice 4 is booked",
    )
    client.force_login(admin_user())

    html = client.get(
        reverse("admin:integrations_sync_history") + f"?connection={second.pk}"
    ).content.decode()

    runs = html.split('id="sc-runs"')[1]
    assert "Ledger Online could not be reached" in runs
    assert "fetched from Ledger Online" in runs and "24SevenOffice" not in runs
    assert runs.count("sc-run-why") == 1  # not the first connection's run
    dead = html.split('id="sc-dead"')[1].split("</form>")[0]
    assert "Ledger Online refused the transfer" in dead
    assert "24SevenOffice" not in html.split("content-main")[1]


def test_the_connections_list_offers_each_system_by_name(client, ledger_spec):
    client.force_login(admin_user())
    changelist = reverse("admin:integrations_connection_changelist")

    html = client.get(changelist).content.decode()
    assert "Connect 24SevenOffice" in html and "Connect Ledger Online" in html
    assert "Ledger Online settings" not in html  # nothing to set before it is connected

    Connection.objects.create(system="ledger", connected=["customer"])
    html = client.get(changelist).content.decode()
    assert "Ledger Online settings" in html and "24SevenOffice settings" not in html
