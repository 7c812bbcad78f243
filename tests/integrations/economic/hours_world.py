"""An office with e-conomic's Project module connected over real HTTP (live_server + the
sandbox), for the hour and order flows: a customer, a project, an activity and employees in
e-conomic, bound to their Tidsbro records as a first sync would leave them. Holds no tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pytest_django.live_server_helper import LiveServer

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.integrations.connectors.economic.connector import EconomicConnector
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem, SyncRun
from apps.integrations.sync import outbox
from apps.projects.models import Project, ProjectMember
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Agreement, Knobs, RequestLog
from apps.sandbox.economic.models import Customer as ErpCustomer
from apps.sandbox.economic.models import Project as ErpProject
from apps.sandbox.economic.models import TimeEntry as ErpTimeEntry
from apps.sandbox.economic.openapi import next_version
from apps.sandbox.economic.resources import now_to_second
from apps.sandbox.economic.runtime import fault_decision, knobs_get
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_transition
from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory
from tests.integrations.economic.flow_world import DEFAULTS

CUSTOMER_NUMBER = 5001
PROJECT_NUMBER = 7001
ACTIVITY = 1  # "Konsulenttimer" in the sandbox's seed
PRODUCT = "1010"
MAPPED_EMPLOYEE = 2  # Anders Holm
INTEGRATION_EMPLOYEE = 1  # Mette Kjær: unmapped users' hours go on her
CUSTOMER_TERMS = 5  # the customer's own payment terms ("Netto 30 dage")
DAY = date(2026, 11, 16)


@dataclass
class HoursWorld:
    url: str
    connection: Connection
    agreement: Agreement
    customer: Customer
    project: Project
    work_type: WorkType
    admin: User
    mapped: User
    unmapped: User
    connectors: list[EconomicConnector] = field(default_factory=list)

    def connector(self) -> EconomicConnector:
        connector = EconomicConnector(self.connection)
        self.connectors.append(connector)
        return connector

    def settings(self, **values: Any) -> None:
        self.connection.settings = {**self.connection.settings, **values}
        self.connection.save(update_fields=["settings"])

    def mode(self, mode: str) -> None:
        self.connection.hour_transfer = mode
        self.connection.save(update_fields=["hour_transfer"])

    def register(
        self,
        *,
        user: User | None = None,
        hours: str = "2.50",
        day: date = DAY,
        description: str = "Workshop",
    ) -> TimeEntry:
        return time_entry_create(
            actor=user or self.mapped,
            project=self.project,
            work_type=self.work_type,
            hours=Decimal(hours),
            date=day,
            description=description,
        )

    def approve(self, entry: TimeEntry) -> TimeEntry:
        if entry.status == TimeEntry.Status.DRAFT:
            entry = time_entry_transition(actor=entry.user, entry=entry, action="submit")
        return time_entry_transition(actor=self.admin, entry=entry, action="approve_user")

    def push(self) -> list[SyncRun]:
        """Pushes what waits now (backoffs included), as "sync now" does."""
        return outbox.push_runs(connection=self.connection, due_only=False)

    def binding(self, entry: TimeEntry) -> Binding | None:
        return Binding.objects.filter(
            connection=self.connection, entity="hour", local_id=entry.pk
        ).first()

    def outbox(self, entry: TimeEntry) -> OutboxItem:
        return OutboxItem.objects.filter(
            connection=self.connection, entity="hour", local_id=entry.pk
        ).latest("id")

    def knobs(self, **values: Any) -> Knobs:
        knobs = knobs_get()
        for name, value in values.items():
            setattr(knobs, name, value)
        knobs.save()
        return knobs

    def faults(self, plan: list[str | None], *, rate: float = 0.5) -> Knobs:
        """Injects faults on the next requests exactly as `plan` says (None: no fault; e.g.
        [None, "hang"]: the second request's answer is held back), by picking the seed whose
        sequence gives that plan."""
        kinds = sorted({kind for kind in plan if kind})
        knobs = knobs_get()
        start = knobs.sequence
        for seed in range(100_000):
            got = [
                fault_decision(seed=seed, sequence=start + 1 + n, rate=rate, kinds=kinds)
                for n in range(len(plan))
            ]
            if got == plan:
                break
        else:
            raise AssertionError(f"no seed gives {plan}")
        return self.knobs(
            fault_rate=rate,
            fault_seed=seed,
            fault_http500="http500" in kinds,
            fault_drop="drop" in kinds,
            fault_hang="hang" in kinds,
            fault_429="429" in kinds,
        )


def erp_entries(entry: TimeEntry) -> list[ErpTimeEntry]:
    """e-conomic's time entries of a Tidsbro hour (by its token in the text)."""
    return list(ErpTimeEntry.objects.filter(text__contains=f"[TB-{entry.pk}]").order_by("number"))


def requests_after(first_id: int) -> list[RequestLog]:
    return list(RequestLog.objects.filter(id__gt=first_id).order_by("id"))


def last_request_id() -> int:
    return RequestLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def wait_for_requests(count: int, *, after: int, timeout: float = 15.0) -> None:
    """Waits until the sandbox has logged `count` requests after `after` (held-back answers
    are logged when they are sent)."""
    deadline = time.monotonic() + timeout
    while RequestLog.objects.filter(id__gt=after).count() < count:
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def bind(connection: Connection, entity: str, local_id: int, external_id: Any) -> Binding:
    return Binding.objects.create(
        connection=connection, entity=entity, local_id=local_id, external_id=str(external_id)
    )


@pytest.fixture
def hours_world(
    live_server: LiveServer, transactional_db: None, settings: Any
) -> Iterator[HoursWorld]:
    agreement = sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_READ_TIMEOUT = 5.0
    ErpCustomer.objects.create(
        agreement=agreement,
        customer_number=CUSTOMER_NUMBER,
        name="Havbris ApS",
        currency="DKK",
        customer_group_number=1,
        payment_terms_number=CUSTOMER_TERMS,
        vat_zone_number=1,
        last_updated=now_to_second(),
    )
    ErpProject.objects.create(
        agreement=agreement,
        number=PROJECT_NUMBER,
        name="Havbris – nyt lager",
        project_group_number=1,
        customer_number=CUSTOMER_NUMBER,
        last_updated=now_to_second(),
        object_version=next_version(),
    )
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings={**DEFAULTS, "integration_employee": INTEGRATION_EMPLOYEE},
        connected=["customer", "user", "work_type", "project", "hour"],
        masters={"customer": "both"},
        hour_transfer=HourTransfer.ON_APPROVAL,
    )
    customer = Customer.objects.create(name="Havbris ApS", number=str(CUSTOMER_NUMBER))
    work_type = WorkType.objects.create(
        name="Konsulenttimer", price=Decimal("1450.00"), product_number=PRODUCT
    )
    project = Project.objects.create(
        name="Havbris – nyt lager",
        number=PROJECT_NUMBER,
        customer=customer,
        default_work_type=work_type,
        needs_approval=False,
    )
    admin = UserFactory(email="admin@example.dk", is_superuser=True)
    mapped = UserFactory(email="anders@example.dk")
    unmapped = UserFactory(email="ny@example.dk")
    for person in (mapped, unmapped):
        ProjectMember.objects.create(project=project, user=person)
    bind(connection, "customer", customer.pk, CUSTOMER_NUMBER)
    bind(connection, "project", project.pk, PROJECT_NUMBER)
    bind(connection, "work_type", work_type.pk, ACTIVITY)
    bind(connection, "user", mapped.pk, MAPPED_EMPLOYEE)
    world = HoursWorld(
        url=url,
        connection=connection,
        agreement=agreement,
        customer=customer,
        project=project,
        work_type=work_type,
        admin=admin,
        mapped=mapped,
        unmapped=unmapped,
    )
    yield world
    for connector in world.connectors:
        connector.close()
    # Let held-back answers finish before the database is flushed.
    Knobs.objects.filter(pk=1).update(fault_rate=0.0)
    time.sleep(0.2)
