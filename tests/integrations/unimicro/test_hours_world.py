"""An office connected to Unimicro over real HTTP (live_server + the sandbox, a real login),
for the hour and order flows: a customer, a project, two work types with products and two
users in Unimicro, bound to their Tidsbro records as a first sync would leave them; a third
Tidsbro user has no Unimicro user. Holds no tests (fixtures and helpers only).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem, SyncRun
from apps.integrations.sync import outbox
from apps.projects.models import Project, ProjectMember
from apps.sandbox.unimicro import entities as erp_entities
from apps.sandbox.unimicro import store as erp_store
from apps.sandbox.unimicro.models import Knobs, RequestLogEntry
from apps.sandbox.unimicro.runtime import fault_decision, knobs_get
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_transition
from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory
from tests.integrations.unimicro.conftest import COMPANY_1

DAY = date(2026, 11, 16)
CONSULTING_PRODUCT = "1010"
LEAD_PRODUCT = "1020"


@dataclass
class HoursWorld:
    connection: Connection
    customer: Customer
    project: Project
    work_type: WorkType
    lead: WorkType
    admin: User
    mapped: User
    fresh: User  # a Unimicro user without a worker yet
    unmapped: User
    erp: dict[str, int]  # Unimicro ids: customer, project, work_type, lead, user, fresh_user

    def settings(self, **values: Any) -> None:
        self.connection.refresh_from_db()
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
        work_type: WorkType | None = None,
    ) -> TimeEntry:
        return time_entry_create(
            actor=user or self.mapped,
            project=self.project,
            work_type=work_type or self.work_type,
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
        """Injects faults on the next API requests exactly as `plan` says (None: none;
        "hang": the request is done but its answer is held back), by picking the seed whose
        sequence gives that plan."""
        kinds = sorted({kind for kind in plan if kind})
        knobs = knobs_get()
        start = knobs.sequence
        for seed in range(200_000):
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
            fault_http503="http503" in kinds,
            fault_http500="http500" in kinds,
            fault_hang="hang" in kinds,
            fault_reset="reset" in kinds,
        )


def erp_items(entry: TimeEntry) -> list[dict]:
    """Unimicro's live work items of a Tidsbro hour (by its Label), with their Dimensions."""
    return [
        erp_store.read(COMPANY_1, "WorkItem", item["ID"], expand="Dimensions")
        for item in erp_entities.find(COMPANY_1, "WorkItem", Label=f"TB-{entry.pk}")
    ]


def erp_all(entity: str) -> list[dict]:
    return list(erp_entities.find(COMPANY_1, entity))


def last_request_id() -> int:
    return RequestLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0


def requests_after(first_id: int) -> list[RequestLogEntry]:
    return list(RequestLogEntry.objects.filter(id__gt=first_id).order_by("id"))


def wait_for_requests(count: int, *, after: int, timeout: float = 15.0) -> None:
    """Waits until the sandbox has logged `count` requests after `after` (held-back answers
    are logged when they are sent)."""
    deadline = time.monotonic() + timeout
    while RequestLogEntry.objects.filter(id__gt=after).count() < count:
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)


def bind(connection: Connection, entity: str, local_id: int, external_id: Any) -> Binding:
    return Binding.objects.update_or_create(
        connection=connection,
        entity=entity,
        local_id=local_id,
        defaults={"external_id": str(external_id)},
    )[0]


def _erp(entity: str, data: dict, **kwargs: Any) -> int:
    return int(erp_store.create(COMPANY_1, entity, data, None, **kwargs)["ID"])


@pytest.fixture
def hours_world(
    unimicro_connection: Connection, transactional_db: None, settings: Any
) -> Iterator[HoursWorld]:
    """The office connected by a real login (helper C's fixture: the sandbox's login,
    organisation and consent pages, the code exchange, the company, the key)."""
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "off"}
    settings.UNIMICRO_READ_TIMEOUT = 5.0
    connection = unimicro_connection
    connection.hour_transfer = HourTransfer.ON_APPROVAL
    connection.save(update_fields=["hour_transfer"])
    erp = {
        "customer": _erp("Customer", {"CustomerNumber": 100200, "Info": {"Name": "Fjordlys AS"}}),
    }
    erp["project"] = _erp(
        "Project",
        {
            "Name": "Fjordlys – nytt lager",
            "ProjectNumber": "7001",
            "ProjectCustomerID": erp["customer"],
        },
    )
    consulting = _erp("Product", {"PartName": CONSULTING_PRODUCT, "Name": "Rådgivning"})
    leading = _erp("Product", {"PartName": LEAD_PRODUCT, "Name": "Prosjektledelse"})
    erp["work_type"] = _erp("WorkType", {"Name": "Rådgivning", "ProductID": consulting})
    erp["lead"] = _erp("WorkType", {"Name": "Prosjektledelse", "ProductID": leading})
    erp["user"] = _erp(
        "User", {"Email": "kari@fjordlys.no", "DisplayName": "Kari Nordmann"}, internal=True
    )
    erp["fresh_user"] = _erp(
        "User", {"Email": "ola@fjordlys.no", "DisplayName": "Ola Hansen"}, internal=True
    )
    customer = Customer.objects.create(name="Fjordlys AS", number="100200")
    work_type = WorkType.objects.create(
        name="Rådgivning", price=Decimal("1450.00"), product_number=CONSULTING_PRODUCT
    )
    lead = WorkType.objects.create(
        name="Prosjektledelse", price=Decimal("1350.00"), product_number=LEAD_PRODUCT
    )
    project = Project.objects.create(
        name="Fjordlys – nytt lager",
        number=7001,
        customer=customer,
        default_work_type=work_type,
        needs_approval=False,
    )
    admin = UserFactory(email="admin@tidsbro.no", is_superuser=True)
    mapped = UserFactory(email="kari@fjordlys.no")
    fresh = UserFactory(email="ola@fjordlys.no")
    unmapped = UserFactory(email="ny@fjordlys.no")
    for person in (mapped, fresh, unmapped):
        ProjectMember.objects.create(project=project, user=person)
    bind(connection, "customer", customer.pk, erp["customer"])
    bind(connection, "project", project.pk, erp["project"])
    bind(connection, "work_type", work_type.pk, erp["work_type"])
    bind(connection, "work_type", lead.pk, erp["lead"])
    bind(connection, "user", mapped.pk, erp["user"])
    bind(connection, "user", fresh.pk, erp["fresh_user"])
    # Kari has a worker with an employment already; Ola has none yet.
    worker = _erp("Worker", {"UserID": erp["user"], "Info": {"Name": "Kari Nordmann"}})
    erp["relation"] = _erp(
        "WorkRelation",
        {"WorkerID": worker, "Description": "Fast", "IsActive": True, "StartDate": "2026-01-01"},
    )
    erp["worker"] = worker
    yield HoursWorld(
        connection=connection,
        customer=customer,
        project=project,
        work_type=work_type,
        lead=lead,
        admin=admin,
        mapped=mapped,
        fresh=fresh,
        unmapped=unmapped,
        erp=erp,
    )
    # Let held-back answers finish before the database is flushed.
    Knobs.objects.filter(pk=1).update(fault_rate=0.0)
    time.sleep(0.2)
