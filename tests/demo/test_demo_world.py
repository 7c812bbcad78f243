"""`make demo`'s one world: the demo office and its 24SO client are the same company, so
connecting them pairs people, customers, projects and work types, hours transfer once and an
order from them is accepted — through the real services against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.demo.office import DEMO_ADMIN_EMAIL, demo_data_load
from apps.integrations import jobs, services
from apps.integrations.connectors.twentyfourseven import onboarding as checks
from apps.integrations.models import Binding, Conflict, Connection
from apps.integrations.sync import outbox
from apps.orders.services import order_create
from apps.projects.models import Project, ProjectMember
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.demo_world import (
    ERP_ONLY_CUSTOMERS,
    ERP_ONLY_PEOPLE,
    ERP_ONLY_PROJECTS,
    ERP_RENAMED_PROJECTS,
    LOCAL_ONLY_CUSTOMERS,
    erp_world,
)
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.services import time_entry_create, time_entry_transition

pytestmark = pytest.mark.django_db(transaction=True)
State = Binding.State
Action = TimeEntryTransition.Action


@pytest.fixture
def connected(live_server: LiveServer, settings) -> Connection:
    """The demo office and its 24SO client, connected as the wizard does it (services, then
    the first full sync the wizard queues, run here in-process)."""
    demo_data_load()
    seed(office=erp_world())
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    identities = checks.identities(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    office = next(i for i in identities if i.client_id == 2400101)
    documents = checks.connect(
        username=DEMO_USERNAME, password=DEMO_PASSWORD, identity_id=office.identity_id
    )
    connection = services.connection_create(
        system="24so",
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        connected=["customer", "project", "work_type", "task", "user", "hour"],
        actor=User.objects.get(email=DEMO_ADMIN_EMAIL),
    )
    summary = jobs.sync_connection(connection.pk, "onboarding", True)
    assert "failed" not in summary, summary
    return connection


def _bindings(connection: Connection, entity: str):
    return Binding.objects.filter(connection=connection, entity=entity)


def _every_demo_user_maps_by_email(connected: Connection) -> None:
    users = _bindings(connected, "user")
    assert set(users.exclude(local_id=None).values_list("local_id", flat=True)) == set(
        User.objects.values_list("pk", flat=True)
    )
    # Only the 24SO-side people are left: the API user and the bookkeeper.
    only_erp = users.filter(local_id=None, state=State.REMOTE_ONLY)
    assert only_erp.count() == 1 + len(ERP_ONLY_PEOPLE)


def _customers_and_projects_pair_except_the_deliberate_few(connected: Connection) -> None:
    customers = _bindings(connected, "customer")
    assert set(customers.values_list("state", flat=True)) == {State.LINKED}
    paired_numbers = set(
        Customer.objects.filter(
            pk__in=customers.exclude(local_id=None).values("local_id")
        ).values_list("number", flat=True)
    )
    demo_numbers = {str(50001 + i) for i in range(40)}
    assert demo_numbers - paired_numbers == LOCAL_ONLY_CUSTOMERS
    # Only in 24SO: created here by the sync, as new customers with the 24SO number.
    for name, _postal, _city in ERP_ONLY_CUSTOMERS:
        assert Customer.objects.filter(name=name, erp_owned=True).count() == 1
    assert Customer.objects.count() == 40 + len(ERP_ONLY_CUSTOMERS)  # no copies

    projects = _bindings(connected, "project")
    numbered = Project.objects.exclude(number=None)
    expected = numbered.count() - len(ERP_ONLY_PROJECTS)  # those were created by the pull
    assert projects.exclude(local_id=None).count() == numbered.count()
    assert projects.filter(state=State.CONFLICT).count() == 2
    assert projects.filter(state=State.LINKED).count() == expected - 2 + len(ERP_ONLY_PROJECTS)
    assert not Project.objects.filter(name__in=ERP_RENAMED_PROJECTS.values()).exists()
    conflicts = Conflict.objects.filter(binding__connection=connected, resolved_at=None)
    assert sorted(conflicts.values_list("field", flat=True)) == ["description", "name"]
    # Projects with no number yet stay in Tidsbro alone.
    assert Project.objects.filter(number=None).exists()

    work_types = _bindings(connected, "work_type")
    assert work_types.filter(state=State.LINKED).count() == 6
    assert not work_types.filter(local_id=None).exists()


def _approved_hour(connection: Connection) -> TimeEntry:
    """A fresh hour on a paired, invoiceable project, approved by its project manager."""
    project = Project.objects.get(name="ERP-migrering")
    members = ProjectMember.objects.filter(project=project).select_related("user")
    member = members.filter(role__can_approve=False).first()
    manager = members.filter(role__can_approve=True).first()
    admin = User.objects.get(email="ingrid@tidsbro.no")
    day = timezone.localdate() - dt.timedelta(days=1)
    entry = time_entry_create(
        actor=member.user,
        project=project,
        date=day,
        hours=Decimal("3.5"),
        description="Migrering av kunderegisteret",
    )
    for actor, action in (
        (member.user, Action.SUBMIT),
        (admin, Action.APPROVE_USER),
        (manager.user, Action.APPROVE_PROJECT),
    ):
        entry = time_entry_transition(actor=actor, entry=entry, action=action)
    return entry


def _an_approved_hour_transfers_exactly_once(connected: Connection, entry: TimeEntry) -> None:
    outbox.push_pending(connection=connected)
    outbox.push_pending(connection=connected)  # the next sweep finds nothing to do

    hours = so.Hour.objects.filter(
        client__client_id=2400101, description__contains=f"TB-{entry.pk}"
    )
    assert hours.count() == 1
    hour = hours.get()
    assert hour.project_id == entry.project.number
    assert hour.total_hours == 3.5
    person = so.Person.objects.get(client=hour.client, contact_id=hour.contact_id)
    assert person.email == entry.user.email  # on the person, not the integration user
    binding = _bindings(connected, "hour").get(local_id=entry.pk)
    assert binding.flagged == ""


def _an_order_from_approved_hours_is_created_in_24so(
    connected: Connection, entry: TimeEntry
) -> None:
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)

    order = order_create(
        connection=connected,
        actor=admin,
        entries=[entry],
        customer=entry.project.customer,
    )

    erp = so.InvoiceOrder.objects.get(client__client_id=2400101, order_id=int(order.external_id))
    assert erp.customer_id == int(entry.project.customer.number)
    rows = erp.data["InvoiceRows"]["InvoiceRow"]
    assert [(r["ProductId"], Decimal(str(r["Quantity"]))) for r in rows] == [(1010, Decimal("3.5"))]
    assert order.total == Decimal("3.5") * entry.work_type.price


def test_the_demo_office_connects_pairs_its_records_and_its_hours_reach_an_order(
    connected: Connection,
):
    # One test for the whole walk: loading the demo office through the services is the
    # expensive part (20–60 s), so it is done once, and each step builds on the one before.
    _every_demo_user_maps_by_email(connected)
    _customers_and_projects_pair_except_the_deliberate_few(connected)
    entry = _approved_hour(connected)
    _an_approved_hour_transfers_exactly_once(connected, entry)
    _an_order_from_approved_hours_is_created_in_24so(connected, entry)


def test_sandbox_seed_command_builds_the_demo_office(db):
    call_command("sandbox_24so_seed", "--demo-office", stdout=None)
    client = so.Client.objects.get(client_id=2400101)
    assert client.name == "Tidsbro Rådgivning AS"
    assert client.persons.filter(email=DEMO_ADMIN_EMAIL).exists()
    assert client.companies.filter(company_id=50001).exists()
    assert set(client.work_types.values_list("product_id", flat=True)) == {
        1010,
        1020,
        1030,
        1040,
        1090,
        None,
    }
