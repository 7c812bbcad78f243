"""Chaos convergence: random edits on both sides while 24SO misbehaves; afterwards, with the
faults off, one more sync must leave both sides equal except for recorded conflicts.

Reproduce a failure with the seed printed in the output:
    TIDSBRO_CHAOS_SEED=<seed> pytest tests/reliability/test_chaos.py -s
"""

from __future__ import annotations

import os
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.customers.models import Customer
from apps.integrations import jobs
from apps.integrations.connectors.twentyfourseven.connector import TwentyFourSevenConnector
from apps.integrations.models import Binding, Conflict, OutboxItem, SyncRun
from apps.integrations.registry import adapter_for
from apps.projects.models import Project, ProjectMember
from apps.projects.services import project_create, project_update
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.services import sandbox_record_save
from apps.tasks.models import Task
from apps.tasks.services import task_create, task_update
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_transition, time_entry_update
from apps.worktypes.models import WorkType

from .conftest import (
    FAULT_KINDS,
    Office,
    approve,
    bound_external_ids,
    duplicates,
    erp_hours_by_ref,
    injected_faults,
    knobs,
    outbox_waiting,
    report,
    settle_sandbox,
)

SEED = int(os.environ.get("TIDSBRO_CHAOS_SEED", "6"))
CYCLES = int(os.environ.get("TIDSBRO_CHAOS_CYCLES", "10"))
FAULT_RATE = 0.3
QUARANTINE_CYCLE = 3
SYNCED = ("customer", "work_type", "project", "task")


class Scenario:
    """Seeded random edits: customers in 24SO; projects, tasks and hours on both sides."""

    def __init__(self, office: Office, rng: random.Random) -> None:
        self.office = office
        self.rng = rng
        self.n = 0
        self.edits: dict[str, int] = {}
        self.work_type = WorkType.objects.filter(is_active=True).order_by("pk").first()
        self.day = date(2026, 11, 2)

    def _label(self, kind: str) -> str:
        self.n += 1
        self.edits[kind] = self.edits.get(kind, 0) + 1
        return f"Chaos {kind} {SEED}-{self.n}"

    # --- the 24SO side (what its users do in 24SO's own screens) -----------------------
    def _erp_project(self, *, open_only: bool = False) -> so.Project | None:
        projects = so.Project.objects.filter(client=self.office.client, status__active=True)
        if open_only:
            projects = projects.filter(version=so.Project.OPEN)
        projects = list(projects.order_by("project_id"))
        return self.rng.choice(projects) if projects else None

    def erp_company_edit(self) -> None:
        companies = list(
            so.Company.objects.filter(client=self.office.client, active=True).order_by("company_id")
        )
        company = self.rng.choice(companies)
        company.name = self._label("erp-company-edit")
        sandbox_record_save(obj=company)

    def erp_company_create(self) -> None:
        company = so.Company.objects.filter(client=self.office.client).order_by("company_id")[0]
        company.pk = company.company_id = None
        company.external_id = ""
        company.active = True
        company.date_created = None
        company.name = self._label("erp-company-create")
        sandbox_record_save(obj=company)

    def erp_company_delete(self) -> None:
        # Only customers no project points at: 24SO refuses to delete those too.
        used = set(
            so.Project.objects.filter(client=self.office.client).values_list(
                "customer_id", flat=True
            )
        )
        companies = list(
            so.Company.objects.filter(client=self.office.client, active=True)
            .exclude(company_id__in=used)
            .order_by("company_id")
        )
        if companies:
            company = self.rng.choice(companies)
            company.active = False
            sandbox_record_save(obj=company)
            self.edits["erp-company-delete"] = self.edits.get("erp-company-delete", 0) + 1

    def erp_project_edit(self) -> None:
        project = self._erp_project()
        if project is not None:
            if self.rng.random() < 0.5:
                project.name = self._label("erp-project-name")
            else:
                project.description = self._label("erp-project-description")
            sandbox_record_save(obj=project)

    def erp_project_create(self) -> None:
        template = self._erp_project(open_only=True)
        template.pk = template.project_id = None
        template.date_registered = None
        template.name = self._label("erp-project-create")
        sandbox_record_save(obj=template)

    def erp_task_edit(self) -> None:
        tasks = list(
            so.Task.objects.filter(
                client=self.office.client, project__status__active=True
            ).order_by("task_id")
        )
        if tasks:
            task = self.rng.choice(tasks)
            task.name = self._label("erp-task-edit")
            sandbox_record_save(obj=task)

    def erp_task_create(self) -> None:
        project = self._erp_project()
        if project is None:
            return
        now = timezone.now()
        sandbox_record_save(
            obj=so.Task(
                client=self.office.client,
                project=project,
                name=self._label("erp-task-create"),
                date_start=now,
                date_stop=now + timedelta(days=30),
            )
        )

    def erp_hour(self) -> None:
        # 24SO users register their own hours too; Tidsbro must leave them alone.
        hour = so.Hour.objects.filter(client=self.office.client).order_by("hour_id")[0]
        hour.pk = hour.hour_id = None
        hour.description = self._label("erp-hour")
        hour.approved = hour.locked = False
        sandbox_record_save(obj=hour)

    # --- the Tidsbro side -----------------------------------------------------------------
    def _local_project(self, *, hours: bool = False) -> Project | None:
        projects = Project.objects.filter(status=Project.Status.ACTIVE).order_by("pk")
        if hours:
            # Hours go where the mapped people may register them in 24SO (open projects).
            open_numbers = set(
                so.Project.objects.filter(
                    client=self.office.client, version=so.Project.OPEN
                ).values_list("project_id", flat=True)
            )
            projects = [p for p in projects if p.number is None or p.number in open_numbers]
        projects = list(projects)
        return self.rng.choice(projects) if projects else None

    def local_project_create(self) -> None:
        customer = self.rng.choice(
            list(Customer.objects.filter(is_active=True).order_by("pk")[:10])
        )
        project_create(
            data={
                "name": self._label("local-project-create"),
                "customer": customer,
                "default_work_type": self.work_type,
                "needs_approval": False,
            }
        )

    def local_project_edit(self) -> None:
        project = self._local_project()
        if project is not None:
            if self.rng.random() < 0.5:
                data = {"name": self._label("local-project-name")}
            else:
                data = {"description": self._label("local-project-description")}
            project_update(project=project, data=data)

    def local_task_create(self) -> None:
        project = self._local_project()
        if project is not None:
            task_create(
                data={
                    "project": project,
                    "name": self._label("local-task-create"),
                    "start_date": date(2026, 11, 1),
                    "end_date": date(2026, 12, 31),
                }
            )

    def local_task_edit(self) -> None:
        tasks = list(Task.objects.filter(project__status=Project.Status.ACTIVE).order_by("pk"))
        if tasks:
            task = self.rng.choice(tasks)
            task_update(task=task, data={"name": self._label("local-task-edit")})

    def local_hour(self) -> None:
        project = self._local_project(hours=True)
        if project is None:
            return
        user = self.rng.choice(self.office.users)
        self.day += timedelta(days=1)
        # The office puts a person on a project before they register hours on it.
        ProjectMember.objects.get_or_create(project=project, user=user)
        entry = time_entry_create(
            actor=user,
            project=project,
            work_type=self.work_type,
            hours=Decimal(self.rng.choice(["0.50", "1.00", "2.25", "3.00", "7.50"])),
            date=self.day,
            description=self._label("local-hour"),
        )
        if self.rng.random() < 0.3:  # corrected before approval
            entry = time_entry_update(
                actor=user, entry=entry, data={"hours": entry.hours + Decimal("0.25")}
            )
        if self.rng.random() < 0.8:
            approve(self.office, entry)  # the approval transfers the hour

    def local_hour_correct(self) -> None:
        # An approved hour is reopened by the admin, corrected, and approved again.
        entries = list(
            TimeEntry.objects.filter(
                status__in=[TimeEntry.Status.USER_APPROVED, TimeEntry.Status.PROJECT_APPROVED]
            ).order_by("pk")
        )
        if not entries:
            return
        entry = self.rng.choice(entries)
        try:
            entry = time_entry_transition(
                actor=self.office.admin, entry=entry, action="reopen", reason="Wrong hours"
            )
            entry = time_entry_update(
                actor=self.office.admin,
                entry=entry,
                data={"hours": entry.hours + Decimal("0.50")},
            )
            approve(self.office, entry)
            self.edits["local-hour-correct"] = self.edits.get("local-hour-correct", 0) + 1
        except ApplicationError:
            pass  # e.g. the day is full: a person would see the message and move on

    def round(self) -> None:
        actions = [
            self.erp_company_edit,
            self.erp_company_create,
            self.erp_company_delete,
            self.erp_project_edit,
            self.erp_project_create,
            self.erp_task_edit,
            self.erp_task_create,
            self.erp_hour,
            self.local_project_create,
            self.local_project_edit,
            self.local_project_edit,
            self.local_task_create,
            self.local_task_edit,
            self.local_hour,
            self.local_hour,
            self.local_hour,
            self.local_hour_correct,
        ]
        for action in self.rng.sample(actions, k=6):
            action()
        # Now and then both sides change the same project field differently: a conflict.
        if self.rng.random() < 0.4:
            bound = bound_external_ids(self.office.connection, "project")
            local_id = self.rng.choice(sorted(bound))
            project = Project.objects.get(pk=local_id)
            project_update(project=project, data={"name": self._label("both-local")})
            erp = so.Project.objects.filter(
                client=self.office.client, project_id=int(bound[local_id])
            ).first()
            if erp is not None:
                erp.name = self._label("both-erp")
                sandbox_record_save(obj=erp)


def sync_cycle(office: Office, *, reconcile: bool, full: bool = False) -> None:
    """What the scheduler runs: every pulled type, the outbox, now and then a reconciliation."""
    jobs.sync_connection(office.connection.pk, SyncRun.Trigger.SCHEDULE, full)
    for _ in range(5):
        # Time compression: the backoff of failed items has passed.
        OutboxItem.objects.filter(
            connection=office.connection,
            status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
        ).update(next_attempt_at=timezone.now())
        if jobs.push_pending(office.connection.pk) == "nothing to do":
            break
    if reconcile:
        jobs.reconcile_all()


def remote_values(office: Office, entity: str) -> dict[str, Any]:
    connector = TwentyFourSevenConnector(office.connection)
    try:
        records = {}
        for page in connector.fetch(entity, since=None):
            for record in page:
                records[record.external_id] = record
        return records
    finally:
        connector.close()


def test_sides_converge_under_faults(office: Office, monkeypatch, settings) -> None:
    started = time.monotonic()
    # Short client timeouts so that "slow" answers really are timeouts.
    settings.TWENTYFOURSEVEN_CONNECT_TIMEOUT = 2.0
    settings.TWENTYFOURSEVEN_READ_TIMEOUT = 0.6
    settings.TWENTYFOURSEVEN_CALL_DEADLINE = 3.0
    rng = random.Random(SEED)
    scenario = Scenario(office, rng)
    log_before = so.RequestLog.objects.count()
    sequence_before = so.Knobs.objects.get(pk=1).sequence if so.Knobs.objects.exists() else 0
    knobs(
        fault_rate=FAULT_RATE,
        fault_error=True,
        fault_drop=True,
        fault_slow=False,
        fault_hang=True,
        fault_http500=True,
        fault_expire=True,
        slow_seconds=1.0,
        fault_seed=SEED,
    )
    quarantined_requests = 0
    for cycle in range(CYCLES):
        # Edits made while faults are on: the immediate pushes after commit fail too.
        scenario.round()
        if cycle == QUARANTINE_CYCLE:
            until = timezone.now() + timedelta(seconds=2)
            knobs(quarantine_until=until)
            sync_cycle(office, reconcile=False)
            remaining = (until - timezone.now()).total_seconds()
            if remaining > 0:
                time.sleep(remaining)
            knobs(quarantine_until=None)
        else:
            sync_cycle(office, reconcile=cycle % 4 == 3)
    settle_sandbox(slow_seconds=1.0)
    quarantined_requests = so.RequestLog.objects.filter(fault__startswith="Limit exceeded").count()
    chaos_requests = so.RequestLog.objects.count() - log_before
    sequence_after = so.Knobs.objects.get(pk=1).sequence
    faults = injected_faults(first=sequence_before + 1, last=sequence_after)
    knobs(fault_rate=0.0)
    # A healthy network again: the short timeouts only made injected hangs fail fast. Kept, they
    # turn an honest answer slowed by a loaded machine into a failed read of the check below.
    settings.TWENTYFOURSEVEN_READ_TIMEOUT = 30.0
    settings.TWENTYFOURSEVEN_CALL_DEADLINE = 60.0

    # Faults off: the next syncs settle it — the hourly one, the daily full one (24SO has no
    # "changed after" for tasks: a task added in 24SO comes with it), the nightly
    # reconciliation, and the outbox sweep retrying what is due.
    sync_cycle(office, reconcile=False)
    sync_cycle(office, reconcile=True, full=True)
    sync_cycle(office, reconcile=False)
    settle_sandbox()
    connection = office.connection

    # Counts, printed so a run can be compared with the next.
    failed_runs = SyncRun.objects.filter(status=SyncRun.Status.FAILED).count()
    attempts = OutboxItem.objects.aggregate(n=Sum("attempts"))["n"] or 0
    logins = so.RequestLog.objects.filter(operation="Login").count()
    open_conflicts = Conflict.objects.filter(resolved_at__isnull=True)
    injected = sum(faults.values()) + quarantined_requests
    report(
        f"chaos seed={SEED} cycles={CYCLES} requests={chaos_requests} "
        f"faults injected={injected} ({faults}, quarantine={quarantined_requests}) "
        f"retries: failed runs={failed_runs} failed push attempts={attempts} logins={logins} "
        f"conflicts open={open_conflicts.count()} total={Conflict.objects.count()} "
        f"edits={scenario.edits} outbox={dict_of_statuses()} "
        f"seconds={time.monotonic() - started:.1f}"
    )
    assert injected >= 0.2 * chaos_requests, "fewer faults than the test promises"
    assert set(faults) == set(FAULT_KINDS), f"every kind of fault happened: {faults}"
    assert quarantined_requests >= 1

    # Every outbox item is done, or dead and visible with its error.
    assert outbox_waiting(connection) == 0, list(
        OutboxItem.objects.exclude(status__in=["done", "dead"]).values()
    )
    dead = OutboxItem.objects.filter(status=OutboxItem.Status.DEAD)
    assert all(item.last_error for item in dead)
    dead_objects = set(dead.values_list("entity", "local_id"))

    # Both sides equal on every synced field, except recorded conflicts (and dead pushes).
    differences = []
    for entity in SYNCED:
        adapter = adapter_for(entity)
        remote = remote_values(office, entity)
        bindings = Binding.objects.filter(connection=connection, entity=entity).exclude(
            local_id__isnull=True
        )
        objs = adapter.load(connection, [b.local_id for b in bindings])
        local = adapter.values(connection, list(objs.values()))
        conflicted = set(
            open_conflicts.filter(binding__entity=entity).values_list("binding_id", "field")
        )
        for binding in bindings:
            record = remote.get(binding.external_id)
            if binding.state == Binding.State.MISSING_REMOTELY:
                assert record is None or record.deleted, (entity, binding.external_id)
                continue
            if binding.state == Binding.State.EXCLUDED:
                continue
            assert record is not None and not record.deleted, (entity, binding.external_id)
            mine = local[binding.local_id]
            for name in adapter.fields:
                if name not in mine or name not in record.values:
                    continue
                if mine[name] == record.values[name]:
                    continue
                if (binding.pk, name) in conflicted or (entity, binding.local_id) in dead_objects:
                    continue
                differences.append(
                    (entity, binding.external_id, name, mine[name], record.values[name])
                )
        # Nothing in 24SO that Tidsbro has not got (for the types it imports).
        known = set(bindings.values_list("external_id", flat=True))
        missing = [i for i, r in remote.items() if not r.deleted and i not in known]
        assert missing == [], (entity, [(i, remote[i].values) for i in missing])
    assert differences == []

    # Every local project and task reached 24SO exactly once (or is dead and visible).
    for entity, model, erp_model in (
        ("project", Project, so.Project),
        ("task", Task, so.Task),
    ):
        bound = bound_external_ids(connection, entity)
        for obj in model.objects.filter(name__startswith="Chaos local"):
            same_name = erp_model.objects.filter(client=office.client, name=obj.name).count()
            if (entity, obj.pk) in dead_objects:
                assert same_name <= 1
                continue
            assert obj.pk in bound, (entity, obj.pk, obj.name)
            assert same_name <= 1, (entity, obj.name)  # renamed later: 0 under that name
    assert duplicates(so.Project, "name", client=office.client, name__startswith="Chaos") == []
    assert duplicates(so.Task, "project", "name", client=office.client) == []
    assert duplicates(so.Company, "name", client=office.client, name__startswith="Chaos") == []
    assert duplicates(so.Company, "external_id", client=office.client, external_id__gt="") == []

    # Every approved hour is in 24SO exactly once, with its hours; nothing else carries a token.
    in_erp = erp_hours_by_ref()
    assert all(n == 1 for n in in_erp.values()), {r: n for r, n in in_erp.items() if n > 1}
    approved = TimeEntry.objects.filter(
        status__in=[
            TimeEntry.Status.USER_APPROVED,
            TimeEntry.Status.PROJECT_APPROVED,
            TimeEntry.Status.LOCKED,
        ]
    )
    hour_ids = bound_external_ids(connection, "hour")
    for entry in approved:
        if ("hour", entry.pk) in dead_objects:
            continue
        assert in_erp.get(f"TB-{entry.pk}") == 1, entry
        erp = so.Hour.objects.get(client=office.client, hour_id=int(hour_ids[entry.pk]))
        assert Decimal(str(erp.total_hours)) == entry.hours, entry
    assert set(in_erp) <= {f"TB-{pk}" for pk in hour_ids}
    # The hours 24SO's own users registered are still there, once each.
    assert (
        duplicates(so.Hour, "description", client=office.client, description__startswith="Chaos")
        == []
    )
    assert time.monotonic() - started < 90


def dict_of_statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in OutboxItem.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts
