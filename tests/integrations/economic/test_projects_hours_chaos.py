"""e-conomic projects and hours under faults: both sides edit projects and hours are approved
here under several people (one unmapped) while the sandbox injects 500s, dropped connections,
held-back answers after the write (the client times out) and 429s on over a fifth of the
requests. Pushes and pulls go on until quiet; with the faults off one more round leaves both
sides equal (projects on every canonical field, except recorded conflicts), no project and no
time entry twice in e-conomic, every approved hour there exactly once with the right
employee, project, activity, day and hours (approved there), and none of the others. An order
sent under faults becomes exactly one draft invoice."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Count

from apps.core.exceptions import ApplicationError
from apps.customers.models import Customer
from apps.integrations import jobs
from apps.integrations.adapters.hours import hour_ref
from apps.integrations.models import Binding, Conflict, HourTransfer, OutboxItem, SyncRun
from apps.integrations.registry import adapter_for
from apps.orders.models import Order
from apps.projects.models import Project, ProjectMember
from apps.projects.services import project_create, project_update
from apps.sandbox.economic.models import DraftInvoice, DraftInvoiceLine, RequestLog
from apps.sandbox.economic.models import Project as ErpProject
from apps.sandbox.economic.models import TimeEntry as ErpTimeEntry
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_transition, time_entry_update
from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory
from tests.integrations.economic.flow_world import ProjectsWorld, no_kick, world_projects
from tests.integrations.economic.hours_world import HoursWorld, hours_world
from tests.integrations.economic.test_orders_flows import EXPECTED_LINES, _hours, _lines, _order

__all__ = ["hours_world", "no_kick", "world_projects"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 16
ROUNDS = 4
FAULT_RATE = 0.3
INTEGRATION_EMPLOYEE = 1  # PROJECT_DEFAULTS: an unmapped user's hours go on Mette
APPROVED = (
    TimeEntry.Status.USER_APPROVED,
    TimeEntry.Status.PROJECT_APPROVED,
    TimeEntry.Status.LOCKED,
)


def faults_on(world: Any, settings: Any, *, rate: float, seed: int) -> None:
    """Every kind of fault; short timeouts so that a held-back answer is a lost answer."""
    settings.ECONOMIC_READ_TIMEOUT = 0.6
    settings.ECONOMIC_CALL_DEADLINE = 2.5
    world.knobs(
        fault_rate=rate,
        fault_http500=True,
        fault_drop=True,
        fault_hang=True,
        fault_429=True,
        hang_seconds=0.8,
        fault_seed=seed,
    )


def faults_off(world: Any, settings: Any) -> None:
    world.knobs(fault_rate=0.0)
    settings.ECONOMIC_READ_TIMEOUT = 5.0
    settings.ECONOMIC_CALL_DEADLINE = 30.0
    time.sleep(1.0)  # held-back answers are sent (and logged) before anything is counted


def faults_seen(since: int) -> tuple[int, Counter]:
    """Requests after `since`, and the injected faults among them by kind."""
    during = RequestLog.objects.filter(id__gt=since)
    kinds: Counter = Counter()
    for status, note in during.values_list("http_status", "note"):
        if status == 429:
            kinds["429"] += 1
        elif "injected" in note:
            kinds[note.split(" (")[0]] += 1
    return during.count(), kinds


def last_request() -> int:
    return RequestLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def cycle(world: ProjectsWorld) -> None:
    """What the scheduler runs: every type pulled, then the outbox (backoffs compressed).
    Runs that fail under the faults are expected; the next round carries on."""
    jobs.sync_connection(world.connection.pk, SyncRun.Trigger.SCHEDULE)
    for _ in range(4):
        if not world.push():
            break


def waiting(world: ProjectsWorld) -> int:
    return OutboxItem.objects.filter(
        connection=world.connection,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
    ).count()


class Office:
    """Seeded random work: project edits on both sides, hours registered and approved."""

    def __init__(self, world: ProjectsWorld, rng: random.Random) -> None:
        self.world = world
        self.rng = rng
        self.n = 0
        self.day = date(2026, 11, 2)
        self.admin = UserFactory(email="admin@example.dk", is_superuser=True)
        # Anders and Sofie are e-conomic employees (linked by e-mail); Ny is not.
        self.people = [
            UserFactory(email="anders@tidsbro.dk"),
            UserFactory(email="sofie@tidsbro.dk"),
            UserFactory(email="ny@example.dk"),
        ]
        self.edits: Counter = Counter()
        self.customers: list[Customer] = []
        self.work_types: list[WorkType] = []

    def label(self, kind: str) -> str:
        self.n += 1
        self.edits[kind] += 1
        return f"Chaos {kind} {self.n}"

    def projects(self) -> list[Project]:
        return list(Project.objects.filter(status=Project.Status.ACTIVE).order_by("pk"))

    def erp_project_edit(self) -> None:
        bound = list(
            Binding.objects.filter(connection=self.world.connection, entity="project")
            .exclude(local_id__isnull=True)
            .order_by("pk")
            .values_list("external_id", flat=True)
        )
        number = int(self.rng.choice(bound))
        if self.rng.random() < 0.5:
            self.world.erp_project_edit(number, name=self.label("erp-name"))
        else:
            self.world.erp_project_edit(number, description=self.label("erp-description"))

    def local_project_edit(self) -> None:
        project = self.rng.choice(self.projects())
        field = self.rng.choice(["name", "description"])
        project_update(project=project, data={field: self.label(f"local-{field}")})

    def local_project_create(self) -> None:
        project = project_create(
            data={"name": self.label("local-project"), "customer": self.rng.choice(self.customers)}
        )
        for person in self.people:
            ProjectMember.objects.create(project=project, user=person)

    def hour(self) -> None:
        person = self.rng.choice(self.people)
        self.day += timedelta(days=1)
        entry = time_entry_create(
            actor=person,
            project=self.rng.choice(self.projects()),
            work_type=self.rng.choice(self.work_types),
            hours=Decimal(self.rng.choice(["0.50", "1.00", "2.25", "3.00", "7.50"])),
            date=self.day,
            description=self.label("hour"),
        )
        if self.rng.random() < 0.3:  # corrected before it is approved
            entry = time_entry_update(
                actor=person, entry=entry, data={"hours": entry.hours + Decimal("0.25")}
            )
        if self.rng.random() < 0.2:
            return  # a draft: never transferred
        entry = time_entry_transition(actor=person, entry=entry, action="submit")
        if self.rng.random() < 0.1:
            return  # submitted, not approved yet: not transferred either
        time_entry_transition(actor=self.admin, entry=entry, action="approve_user")

    def round(self) -> None:
        actions = [self.erp_project_edit] * 2 + [self.local_project_edit] * 2 + [self.hour] * 4
        if self.rng.random() < 0.5:
            actions.append(self.local_project_create)
        for action in self.rng.sample(actions, k=len(actions)):
            action()
        if self.rng.random() < 0.5:
            # Both sides change the same project's name: a conflict, recorded.
            binding = self.rng.choice(
                list(
                    Binding.objects.filter(connection=self.world.connection, entity="project")
                    .exclude(local_id__isnull=True)
                    .order_by("pk")
                )
            )
            project_update(
                project=Project.objects.get(pk=binding.local_id),
                data={"name": self.label("both-local")},
            )
            self.world.erp_project_edit(int(binding.external_id), name=self.label("both-erp"))


def test_projects_and_hours_converge_under_faults_without_duplicates(
    world_projects: ProjectsWorld, no_kick: None, settings: Any
) -> None:
    started = time.monotonic()
    world = world_projects
    world.connection.connected = [*world.connection.connected, "hour"]
    world.connection.hour_transfer = HourTransfer.ON_APPROVAL
    world.connection.save(update_fields=["connected", "hour_transfer"])
    rng = random.Random(SEED)
    office = Office(world, rng)
    for number, name in ((5001, "Havbris ApS"), (5002, "Kystlys A/S")):
        world.erp_customer(number, name=name)
    for number in range(7001, 7005):
        world.erp_project(number, name=f"Projekt {number}", customer_number=5001 + number % 2)
    world.pull_all(full=True)
    office.customers = list(Customer.objects.filter(number__in=["5001", "5002"]).order_by("pk"))
    office.work_types = list(
        WorkType.objects.filter(
            pk__in=Binding.objects.filter(
                connection=world.connection, entity="work_type", external_id__in=["1", "2"]
            ).values_list("local_id", flat=True)
        ).order_by("pk")
    )
    for project in Project.objects.all():
        for person in office.people:
            ProjectMember.objects.create(project=project, user=person)
    erp_projects_before = ErpProject.objects.count()

    first = last_request()
    faults_on(world, settings, rate=FAULT_RATE, seed=SEED)
    for _ in range(ROUNDS):
        office.round()
        cycle(world)
    # The edits stop; the schedule goes on (faults still on) until nothing waits.
    quiet_after = None
    for extra in range(1, 9):
        cycle(world)
        if waiting(world) == 0:
            quiet_after = extra
            break
    faults_off(world, settings)
    total, kinds = faults_seen(first)
    # Faults off: one more round.
    cycle(world)

    injected = sum(kinds.values())
    print(  # noqa: T201 - the figures of the run
        f"e-conomic projects+hours chaos seed={SEED} rounds={ROUNDS} requests={total} "
        f"faults={injected} {dict(kinds)} quiet after {quiet_after} more rounds under faults; "
        f"edits={dict(office.edits)} conflicts={Conflict.objects.count()} "
        f"outbox={dict(Counter(OutboxItem.objects.values_list('status', flat=True)))} "
        f"seconds={time.monotonic() - started:.1f}"
    )
    assert injected >= 0.2 * total, (injected, total, kinds)
    assert set(kinds) == {"HTTP 500", "connection dropped", "answer held back", "429"}, kinds
    # Nothing waits, nothing died.
    assert waiting(world) == 0
    dead = list(OutboxItem.objects.filter(status="dead").values("entity", "last_error"))
    assert dead == []

    # Projects: each Tidsbro project once in e-conomic, and each e-conomic project here.
    local_projects = bound = Binding.objects.filter(
        connection=world.connection, entity="project", local_id__isnull=False
    )
    assert bound.count() == Project.objects.count()
    assert sorted(int(b.external_id) for b in bound) == sorted(
        ErpProject.objects.values_list("number", flat=True)
    )
    created_here = office.edits["local-project"]
    assert ErpProject.objects.count() == erp_projects_before + created_here
    same_name = ErpProject.objects.values("name").annotate(n=Count("pk")).filter(n__gt=1)
    assert list(same_name) == []
    # …equal on every canonical field, except the conflicts recorded.
    adapter = adapter_for("project")
    conflicted = set(
        Conflict.objects.filter(resolved_at__isnull=True).values_list("binding_id", "field")
    )
    connector = world.connector()
    differences = []
    for binding in local_projects:
        obj = Project.objects.get(pk=binding.local_id)
        local = adapter.values(world.connection, [obj])[obj.pk]
        remote = connector.fetch_one("project", binding.external_id)
        for name, value in remote.values.items():
            if local.get(name) != value and (binding.pk, name) not in conflicted:
                differences.append((binding.external_id, name, local.get(name), value))
    connector.close()
    assert differences == []

    # Hours: every approved one exactly once, as registered, approved there; no other.
    employees = dict(
        Binding.objects.filter(
            connection=world.connection, entity="user", local_id__isnull=False
        ).values_list("local_id", "external_id")
    )
    assert set(employees) == {office.people[0].pk, office.people[1].pk}
    refs = Counter(
        text[text.rindex("[") + 1 : -1]
        for text in ErpTimeEntry.objects.values_list("text", flat=True)
    )
    assert [ref for ref, n in refs.items() if n > 1] == []  # zero duplicates
    approved = list(TimeEntry.objects.filter(status__in=APPROVED).order_by("pk"))
    assert sorted(refs) == sorted(hour_ref(e.pk) for e in approved)
    assert TimeEntry.objects.exclude(status__in=APPROVED).exists()  # and they stayed here
    projects = dict(bound.values_list("local_id", "external_id"))
    activities = dict(
        Binding.objects.filter(connection=world.connection, entity="work_type").values_list(
            "local_id", "external_id"
        )
    )
    unmapped = 0
    for entry in approved:
        [erp] = ErpTimeEntry.objects.filter(text__endswith=f"[{hour_ref(entry.pk)}]")
        employee = int(employees.get(entry.user_id, INTEGRATION_EMPLOYEE))
        assert (erp.employee_number, erp.project_number, erp.activity_number) == (
            employee,
            int(projects[entry.project_id]),
            int(activities[entry.work_type_id]),
        ), entry
        assert (erp.date, erp.number_of_hours) == (entry.date, entry.hours), entry
        assert erp.is_approved, entry
        binding = Binding.objects.get(connection=world.connection, entity="hour", local_id=entry.pk)
        assert binding.external_id == str(erp.number)
        if entry.user_id not in employees:
            unmapped += 1
            assert binding.flagged, entry  # the office sees whose hours they are
    assert unmapped >= 1
    print(  # noqa: T201
        f"hours: {len(approved)} approved, each once in e-conomic ({unmapped} on the "
        f"integration employee), {TimeEntry.objects.count() - len(approved)} not approved, "
        f"none there; {ErpProject.objects.count()} projects, none twice"
    )


def test_an_order_under_faults_becomes_exactly_one_draft_invoice(
    hours_world: HoursWorld, settings: Any
) -> None:
    world = hours_world
    entries = _hours(world)
    first = last_request()
    faults_on(world, settings, rate=0.5, seed=SEED)
    refused = 0
    order = None
    for _attempt in range(20):
        try:
            order = _order(world, entries)
            break
        except ApplicationError:
            refused += 1  # the office is told to send it again, and does
            time.sleep(0.05)
    faults_off(world, settings)
    total, kinds = faults_seen(first)
    print(  # noqa: T201
        f"order under faults: {refused} sends refused, requests={total} faults={dict(kinds)}"
    )

    assert order is not None, "never sent"
    assert refused >= 1 and sum(kinds.values()) >= 0.2 * total
    [draft] = DraftInvoice.objects.all()
    assert order.external_id == str(draft.number)
    assert _lines(draft) == EXPECTED_LINES
    assert DraftInvoiceLine.objects.count() == len(EXPECTED_LINES)
    assert Order.objects.count() == 1
    assert not any("booked" in r.path for r in RequestLog.objects.filter(id__gt=first))
