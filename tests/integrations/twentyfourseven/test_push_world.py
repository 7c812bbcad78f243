"""The shared world of the push tests: the sandbox seeded, a Connection pointed at it over
real HTTP (live_server), and local records bound to sandbox records as a pull would leave them.

Imported by the push, hour-transfer and order tests; it holds no tests itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.integrations.connectors.twentyfourseven.connector import TwentyFourSevenConnector
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem
from apps.integrations.sync import outbox
from apps.projects.models import Project, ProjectMember
from apps.sandbox.twentyfourseven.models import Client as SandboxClient
from apps.sandbox.twentyfourseven.models import Hour as SandboxHour
from apps.sandbox.twentyfourseven.models import Knobs, RequestLog
from apps.sandbox.twentyfourseven.models import Project as SandboxProject
from apps.sandbox.twentyfourseven.runtime import knobs_get
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_transition
from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory
from tests.integrations.factories import connection_24so

FJORDLYS = 2400101
API_CONTACT = 1  # the sandbox's integration user ("API Tidsbro")
MAPPED_CONTACT = 2


@dataclass
class World:
    url: str
    connection: Connection
    customer: Customer
    project: Project  # open project in 24SO
    rights_project: Project  # rights-managed project in 24SO
    work_type: WorkType
    admin: User
    mapped: User
    unmapped: User
    erp_project: SandboxProject
    erp_rights_project: SandboxProject
    connectors: list[TwentyFourSevenConnector]

    def connector(self, **overrides: Any) -> TwentyFourSevenConnector:
        options: dict[str, Any] = {"base_url": self.url, "timeout": (2.0, 5.0)}
        options.update(overrides)
        connector = TwentyFourSevenConnector(self.connection, **options)
        self.connectors.append(connector)
        return connector


def bind(connection: Connection, entity: str, local_id: int, external_id: Any) -> Binding:
    return Binding.objects.create(
        connection=connection, entity=entity, local_id=local_id, external_id=str(external_id)
    )


def knobs(**changes: object) -> None:
    knobs_get()
    Knobs.objects.filter(pk=1).update(**changes)


def erp_hours(ref: str) -> list[SandboxHour]:
    return list(SandboxHour.objects.filter(description__contains=f"[{ref}]"))


def approve(world: World, entry: TimeEntry) -> TimeEntry:
    if entry.status == TimeEntry.Status.DRAFT:
        entry = time_entry_transition(actor=entry.user, entry=entry, action="submit")
    return time_entry_transition(actor=world.admin, entry=entry, action="approve_user")


def register(
    world: World,
    *,
    user: User | None = None,
    project: Project | None = None,
    hours: str = "2.50",
    day: date = date(2026, 11, 16),
    description: str = "Workshop",
) -> TimeEntry:
    user = user or world.mapped
    return time_entry_create(
        actor=user,
        project=project or world.project,
        work_type=world.work_type,
        hours=Decimal(hours),
        date=day,
        description=description,
    )


def wait_for_sandbox(expected_requests: int, *, timeout: float = 15.0) -> None:
    """Waits until the sandbox has logged this many requests (slow answers finish late)."""
    deadline = time.monotonic() + timeout
    while RequestLog.objects.count() < expected_requests and time.monotonic() < deadline:
        time.sleep(0.05)


def drain(world: World, connector: TwentyFourSevenConnector, *, rounds: int = 60) -> int:
    """Pushes until nothing is waiting, one item per round, as if the backoff had passed;
    waits for every request to finish in the sandbox between rounds. Returns the rounds."""
    base = RequestLog.objects.count() - connector.requests
    for n in range(rounds):
        waiting = OutboxItem.objects.filter(
            connection=world.connection,
            status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        )
        if not waiting.exists():
            return n
        waiting.update(next_attempt_at=outbox.timezone.now(), lease_until=None)
        outbox.push_pending(connection=world.connection, connector=connector, limit=1)
        wait_for_sandbox(base + connector.requests)
    raise AssertionError("the outbox did not drain")


@pytest.fixture
def no_kick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued pushes wait for the test to drive them (no immediate push after commit)."""
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)


@pytest.fixture
def world(live_server: LiveServer, transactional_db: None, settings: Any) -> Iterator[World]:
    seed()
    url = f"{live_server.url}/sandbox/24so"
    # Pushes kicked after commit run inline (django-q sync) against the sandbox too.
    settings.TWENTYFOURSEVEN_API_BASE = url
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = url
    settings.TWENTYFOURSEVEN_READ_TIMEOUT = 5.0
    client = SandboxClient.objects.get(client_id=FJORDLYS)
    erp_project = (
        SandboxProject.objects.filter(
            client=client, version=SandboxProject.OPEN, status__active=True
        )
        .order_by("project_id")
        .first()
    )
    erp_rights = (
        SandboxProject.objects.filter(
            client=client, version=SandboxProject.RIGHTS_MANAGED, status__active=True
        )
        .order_by("project_id")
        .first()
    )
    connection = connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        connected=["customer", "project", "work_type", "task", "hour"],
        hour_transfer=HourTransfer.ON_APPROVAL,
        integration_user_external_id=str(API_CONTACT),
    )
    customer = Customer.objects.create(
        name="Havbris AS", number=str(erp_project.customer_id), erp_owned=True
    )
    work_type = WorkType.objects.create(
        name="Rådgivning", price=Decimal("1250.00"), product_number="501"
    )
    project = Project.objects.create(
        name=erp_project.name,
        number=erp_project.project_id,
        customer=customer,
        default_work_type=work_type,
        needs_approval=False,
    )
    rights_customer = Customer.objects.create(
        name="Rights AS", number=str(erp_rights.customer_id), erp_owned=True
    )
    rights_project = Project.objects.create(
        name=erp_rights.name,
        number=erp_rights.project_id,
        customer=rights_customer,
        default_work_type=work_type,
        needs_approval=False,
    )
    admin = UserFactory(email="admin@example.no", is_superuser=True)
    mapped = UserFactory(email="ingrid@example.no")
    unmapped = UserFactory(email="new@example.no")
    # Hours are registered by the project's members only.
    for person in (mapped, unmapped):
        for member_of in (project, rights_project):
            ProjectMember.objects.create(project=member_of, user=person)
    bind(connection, "customer", customer.pk, erp_project.customer_id)
    bind(connection, "customer", rights_customer.pk, erp_rights.customer_id)
    bind(connection, "project", project.pk, erp_project.project_id)
    bind(connection, "project", rights_project.pk, erp_rights.project_id)
    bind(connection, "work_type", work_type.pk, 1)
    bind(connection, "user", mapped.pk, MAPPED_CONTACT)
    w = World(
        url=url,
        connection=connection,
        customer=customer,
        project=project,
        rights_project=rights_project,
        work_type=work_type,
        admin=admin,
        mapped=mapped,
        unmapped=unmapped,
        erp_project=erp_project,
        erp_rights_project=erp_rights,
        connectors=[],
    )
    yield w
    for connector in w.connectors:
        connector.close()
    # Let slow answers finish before the database is flushed.
    knobs(fault_rate=0.0)
    time.sleep(0.2)


ConnectorFactory = Callable[..., TwentyFourSevenConnector]
