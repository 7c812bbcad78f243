"""A worker killed with SIGKILL in the middle of pushing hours to e-conomic: after its claims
run out, the next push completes, and every approved hour is in e-conomic exactly once (under
its employee, project, activity, day and hours) and approved there.

As in test_crash.py: the worker is a separate process (`python -c` with django.setup()) on the
same database as this test and the sandbox (`manage.py runserver`); see `shared_db` in
conftest.py. The e-conomic sandbox's latency knob keeps a create in flight when it dies.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.customers.models import Customer
from apps.integrations.adapters.hours import hour_ref
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem
from apps.integrations.sync import outbox
from apps.projects.models import Project, ProjectMember
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Customer as ErpCustomer
from apps.sandbox.economic.models import Knobs, RequestLog
from apps.sandbox.economic.models import Project as ErpProject
from apps.sandbox.economic.models import TimeEntry as ErpTimeEntry
from apps.sandbox.economic.openapi import next_version
from apps.sandbox.economic.resources import now_to_second
from apps.sandbox.economic.runtime import knobs_get
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_transition
from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory
from tests.integrations.economic.flow_world import DEFAULTS
from tests.integrations.economic.hours_world import (
    ACTIVITY,
    CUSTOMER_NUMBER,
    DAY,
    INTEGRATION_EMPLOYEE,
    MAPPED_EMPLOYEE,
    PROJECT_NUMBER,
)

from .conftest import WORKER, SandboxServer, SharedDb, report, worker_env

HOURS = 20
KILLED_AFTER = 6  # time entries e-conomic has created when the worker dies (the 7th in flight)


def knobs(**values: Any) -> None:
    knobs_get()
    Knobs.objects.filter(pk=1).update(**values)


def creates() -> int:
    """Time entries e-conomic was asked to create (logged when answered)."""
    return RequestLog.objects.filter(method="POST", path__endswith="/TimeEntries").count()


def settle(*, busy: float, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Waits until the sandbox has answered every request (the one in flight when the worker
    died is still being carried out for up to `busy` seconds)."""
    time.sleep(busy)
    deadline = time.monotonic() + timeout
    seen = RequestLog.objects.count()
    while True:
        time.sleep(quiet)
        now = RequestLog.objects.count()
        if now == seen:
            return
        assert time.monotonic() < deadline, "the sandbox never went quiet"
        seen = now


def kill(worker: subprocess.Popen) -> None:
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    assert worker.returncode == -signal.SIGKILL


def _bind(connection: Connection, entity: str, local_id: int, external_id: Any) -> None:
    Binding.objects.create(
        connection=connection, entity=entity, local_id=local_id, external_id=str(external_id)
    )


def _office() -> tuple[Connection, Project, WorkType, User, list[User]]:
    """An e-conomic office as a first sync leaves it: customer, project, activity, employees
    bound; one user unmapped (his hours go on the integration employee)."""
    agreement = sandbox_seed.seed()
    ErpCustomer.objects.create(
        agreement=agreement,
        customer_number=CUSTOMER_NUMBER,
        name="Havbris ApS",
        currency="DKK",
        customer_group_number=1,
        payment_terms_number=1,
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
    work_type = WorkType.objects.create(name="Konsulenttimer", price=Decimal("1450.00"))
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
    _bind(connection, "customer", customer.pk, CUSTOMER_NUMBER)
    _bind(connection, "project", project.pk, PROJECT_NUMBER)
    _bind(connection, "work_type", work_type.pk, ACTIVITY)
    _bind(connection, "user", mapped.pk, MAPPED_EMPLOYEE)
    return connection, project, work_type, admin, [mapped, unmapped]


def test_a_worker_killed_in_the_middle_of_pushing_hours_to_e_conomic(
    shared_db: SharedDb, sandbox_server: SandboxServer, settings: Any, monkeypatch
) -> None:
    base = sandbox_server.url.rsplit("/sandbox/", 1)[0] + "/sandbox/economic"
    settings.ECONOMIC_API_BASE = base
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)  # the worker pushes
    connection, project, work_type, admin, people = _office()
    entries = []
    for n in range(HOURS):
        user = people[n % 3 == 2]  # every third hour is the unmapped person's
        entry = time_entry_create(
            actor=user,
            project=project,
            work_type=work_type,
            hours=Decimal("0.50") + Decimal(n % 4) / 4,
            date=DAY + timedelta(days=n),
            description=f"Backlog {n}",
        )
        entry = time_entry_transition(actor=user, entry=entry, action="submit")
        entries.append(time_entry_transition(actor=admin, entry=entry, action="approve_user"))
    drafts = [  # registered, never approved: never transferred
        time_entry_create(
            actor=people[0],
            project=project,
            work_type=work_type,
            hours=Decimal("1.00"),
            date=DAY + timedelta(days=HOURS + n),
            description=f"Draft {n}",
        )
        for n in range(3)
    ]
    assert OutboxItem.objects.filter(entity="hour", status="pending").count() == HOURS
    knobs(latency_ms=800)
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, "push", str(connection.pk)],
        cwd=str(Path(__file__).resolve().parents[2]),
        env=worker_env(shared_db, ECONOMIC_API_BASE=base),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Killed while e-conomic is creating the 7th time entry: it arrived (and is carried out
    # after the 800 ms latency); the answer will never be read.
    deadline = time.monotonic() + 60
    while creates() < KILLED_AFTER:
        if worker.poll() is not None:
            out, err = worker.communicate()
            pytest.fail(f"the worker ended before it was killed: {out} {err[-2000:]}")
        assert time.monotonic() < deadline, "the worker never created the time entries"
        time.sleep(0.02)
    sending = OutboxItem.objects.filter(entity="hour", status=OutboxItem.Status.AMBIGUOUS)
    deadline = time.monotonic() + 0.4
    while not sending.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)  # sent by now (the worker sends within ~0.25 s), still being carried out
    kill(worker)
    settle(busy=0.8)
    knobs(latency_ms=0)
    created_by_dead = creates()
    approvals_by_dead = RequestLog.objects.filter(path__endswith="/TimeEntries/approve").count()
    unbound = [
        e.pk
        for e in entries
        if not Binding.objects.filter(entity="hour", local_id=e.pk).exists()
        and ErpTimeEntry.objects.filter(text__contains=f"[{hour_ref(e.pk)}]").exists()
    ]
    assert len(unbound) == 1, "one create was in flight when the worker died"
    marked = list(sending.values_list("local_id", flat=True))
    assert marked == unbound  # marked "outcome unknown" before it was sent
    assert approvals_by_dead == 0  # it died before the batch's approval

    # The dead worker's claims still hold: nobody pushes its items twice meanwhile.
    assert outbox.push_pending(connection=connection) is None
    # The claims run out (compressed); the next push picks everything up.
    OutboxItem.objects.filter(entity="hour").update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    first = RequestLog.objects.order_by("-id").values_list("id", flat=True).first()
    run = outbox.push_pending(connection=connection)

    assert run is not None and run.errors == 0, run.error_text
    waiting = OutboxItem.objects.filter(entity="hour").exclude(status="done")
    assert not waiting.exists(), list(waiting.values("local_id", "status", "last_error"))
    # Every approved hour once in e-conomic, as registered, approved there; no draft.
    mapped_user = people[0]
    for entry in entries:
        [erp] = ErpTimeEntry.objects.filter(text__contains=f"[{hour_ref(entry.pk)}]")
        employee = MAPPED_EMPLOYEE if entry.user_id == mapped_user.pk else INTEGRATION_EMPLOYEE
        assert (erp.employee_number, erp.project_number, erp.activity_number) == (
            employee,
            PROJECT_NUMBER,
            ACTIVITY,
        ), entry
        assert (erp.date, erp.number_of_hours) == (entry.date, entry.hours), entry
        assert erp.is_approved, f"{entry} is not approved in e-conomic"
        assert Binding.objects.get(entity="hour", local_id=entry.pk).external_id == str(erp.number)
    for draft in drafts:
        assert not ErpTimeEntry.objects.filter(text__contains=f"[{hour_ref(draft.pk)}]").exists()
    assert ErpTimeEntry.objects.count() == HOURS
    # One create per hour over both workers: the one in flight was looked up, not resent.
    assert creates() == HOURS
    after = RequestLog.objects.filter(id__gt=first)
    lookups = after.filter(method="GET", path__contains="/TimeEntries?").count()
    assert lookups == 1
    report(
        f"e-conomic crash mid-push: killed after {created_by_dead} time entries were created "
        f"(1 in flight, outcome unknown, 0 approved); next push: pushed {run.pushed}, created "
        f"{run.created}, requests {after.count()} ({lookups} look-up); {HOURS} hours once "
        f"each, all approved in e-conomic; {len(drafts)} drafts not transferred"
    )
    assert TimeEntry.objects.count() == HOURS + len(drafts)
