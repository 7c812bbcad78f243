"""Workers pushing approved hours and new customers to Unimicro, killed with SIGKILL at
random moments and started again — each restart after every access token was expired, so each
new worker renews the login and rotates the refresh token the dead one left. After the last
worker: every approved hour is one work item in Unimicro, every customer one customer, both
sides agree, no refresh token family was revoked and the login still works.

As test_crash.py: workers are separate processes (`python -c` with django.setup()) on the
same database as this test and the sandbox (`manage.py runserver`); see `shared_db` in
conftest.py. The sandbox's latency knob keeps a write in flight when a worker dies.

Reproduce a failure with the seed printed in the output:
    TIDSBRO_CRASH_SEED=<seed> pytest tests/reliability/test_unimicro_crash.py -s
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from apps.customers.models import Customer
from apps.customers.services import customer_create
from apps.integrations import services
from apps.integrations.connectors.unimicro import auth, onboarding
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem
from apps.integrations.sync import outbox
from apps.projects.models import Project, ProjectMember
from apps.sandbox.unimicro import store
from apps.sandbox.unimicro.identity.services import access_tokens_expire_all
from apps.sandbox.unimicro.models import RequestLogEntry
from apps.sandbox.unimicro.seed import seed as sandbox_seed
from apps.timesheets.services import time_entry_create, time_entry_transition
from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory
from tests.integrations.unimicro.conftest import (
    CALLBACK_PATH,
    DictWizard,
    callback_request,
    sandbox_authorize,
)
from tests.integrations.unimicro.sync_world import MASTERS
from tests.integrations.unimicro.test_hours_world import (
    CONSULTING_PRODUCT,
    DAY,
    _erp,
    bind,
)

from .conftest import WORKER, SandboxServer, SharedDb, report, worker_env
from .unimicro_world import (
    COMPANY_1,
    differences,
    erp_duplicates,
    families_revoked,
    hours_not_once,
    knobs,
    rotations,
    settle,
    still_authenticates,
    sync_until_quiet,
    waiting,
)

SEED = int(os.environ.get("TIDSBRO_CRASH_SEED", "17"))
HOURS = 12
CUSTOMERS = 3
KILLS = 3


def connect(base: str) -> Connection:
    """A connection made from a real login at the sandbox under runserver (authorization code
    with PKCE through its login pages), as the wizard makes it."""
    session: dict = {}
    url = auth.login_start(
        SimpleNamespace(session=session),
        purpose="wizard",
        redirect_uri=f"http://127.0.0.1{CALLBACK_PATH}",
    )
    result = auth.login_finish(callback_request(sandbox_authorize(url), session))
    companies = onboarding.list_companies(result.access_token)
    company = next(c for c in companies if c["key"] == COMPANY_1)
    wizard = DictWizard(
        system="unimicro",
        mode="api",
        auth="login",
        login={"user_name": result.user_name, "subject": result.subject},
        access_expires_at=result.access_expires_at,
        companies=companies,
        company_key=company["key"],
        company_name=company["name"],
        company_org_number=company["org_number"],
        organisation_name=company["organisation_name"],
        key_name="Tidsbro",
    )
    wizard.save_secret(access_token=result.access_token, refresh_token=result.refresh_token)
    documents = onboarding.wizard_documents(wizard)
    connection = services.connection_create(
        system="unimicro",
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        connected=["customer", "project", "work_type", "hour"],
    )
    connection.masters = dict(MASTERS)
    connection.hour_transfer = HourTransfer.ON_APPROVAL
    connection.save(update_fields=["masters", "hour_transfer"])
    return connection


def office(connection: Connection) -> tuple[Project, WorkType, Any, list[Any]]:
    """What a first sync leaves: a customer, a project and a work type bound on both sides,
    one Unimicro user with a worker, one without (created from the user on the first hour)."""
    erp_customer = _erp("Customer", {"CustomerNumber": 100200, "Info": {"Name": "Fjordlys AS"}})
    erp_project = _erp(
        "Project",
        {
            "Name": "Fjordlys – nytt lager",
            "ProjectNumber": "7001",
            "ProjectCustomerID": erp_customer,
        },
    )
    product = _erp("Product", {"PartName": CONSULTING_PRODUCT, "Name": "Rådgivning"})
    erp_work_type = _erp("WorkType", {"Name": "Rådgivning", "ProductID": product, "Price": 1450})
    kari = _erp("User", {"Email": "kari@fjordlys.no", "DisplayName": "Kari"}, internal=True)
    ola = _erp("User", {"Email": "ola@fjordlys.no", "DisplayName": "Ola"}, internal=True)
    worker = _erp("Worker", {"UserID": kari, "Info": {"Name": "Kari"}})
    _erp(
        "WorkRelation",
        {"WorkerID": worker, "Description": "Fast", "IsActive": True, "StartDate": "2026-01-01"},
    )
    customer = Customer.objects.create(name="Fjordlys AS", number="100200")
    work_type = WorkType.objects.create(
        name="Rådgivning", price=Decimal("1450.00"), product_number=CONSULTING_PRODUCT
    )
    project = Project.objects.create(
        name="Fjordlys – nytt lager",
        number=7001,
        customer=customer,
        default_work_type=work_type,
        needs_approval=False,
    )
    admin = UserFactory(email="admin@tidsbro.no", is_superuser=True)
    people = [UserFactory(email="kari@fjordlys.no"), UserFactory(email="ola@fjordlys.no")]
    for person in people:
        ProjectMember.objects.create(project=project, user=person)
    bind(connection, "customer", customer.pk, erp_customer)
    bind(connection, "project", project.pk, erp_project)
    bind(connection, "work_type", work_type.pk, erp_work_type)
    bind(connection, "user", people[0].pk, kari)
    bind(connection, "user", people[1].pk, ola)
    return project, work_type, admin, people


def writes() -> int:
    """Work items and customers Unimicro was asked to create (logged when answered)."""
    return RequestLogEntry.objects.filter(
        method="POST", path__regex=r"/api/biz/(workitems|customers)$"
    ).count()


def start(db: SharedDb, base: str, connection: Connection) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, "push", str(connection.pk)],
        cwd=str(Path(__file__).resolve().parents[2]),
        env=worker_env(
            db,
            UNIMICRO_ISSUER=f"{base}/sandbox/unimicro/identity",
            UNIMICRO_API_BASE=f"{base}/sandbox/unimicro",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_workers_killed_at_random_while_pushing_to_unimicro(
    shared_db: SharedDb, sandbox_server: SandboxServer, settings: Any, monkeypatch
) -> None:
    started = time.monotonic()
    base = sandbox_server.url.rsplit("/sandbox/", 1)[0]
    settings.UNIMICRO_ISSUER = f"{base}/sandbox/unimicro/identity"
    settings.UNIMICRO_API_BASE = f"{base}/sandbox/unimicro"
    auth.forget_providers()
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)  # the workers push
    rng = random.Random(SEED)
    sandbox_seed()
    connection = connect(base)
    project, work_type, admin, people = office(connection)
    for n in range(HOURS):
        user = people[n % 2]
        entry = time_entry_create(
            actor=user,
            project=project,
            work_type=work_type,
            hours=Decimal("0.50") + Decimal(n % 4) / 4,
            date=DAY + timedelta(days=n),
            description=f"Backlog {n}",
        )
        entry = time_entry_transition(actor=user, entry=entry, action="submit")
        time_entry_transition(actor=admin, entry=entry, action="approve_user")
    for n in range(CUSTOMERS):
        customer_create(data={"name": f"Krasj Kunde {n}", "number": ""})
    rotations_before = rotations()
    knobs(latency_ms=250)

    kills = []
    for _ in range(KILLS):
        # The dead worker's claims run out (minutes later, compressed); every access token is
        # expired: the next worker must renew with the refresh token the last one stored.
        OutboxItem.objects.filter(connection=connection).update(
            lease_until=timezone.now() - timedelta(seconds=1), next_attempt_at=timezone.now()
        )
        access_tokens_expire_all()
        worker = start(shared_db, base, connection)
        target = writes() + rng.randint(1, 4)
        deadline = time.monotonic() + 30
        while writes() < target:
            if worker.poll() is not None:
                out, err = worker.communicate()
                pytest.fail(f"the worker ended before it was killed: {out} {err[-2000:]}")
            assert time.monotonic() < deadline, "the worker never wrote"
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))  # a random moment: in a request or between two
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        kills.append(writes())
    settle()

    # The last worker, left alone, finishes the backlog.
    OutboxItem.objects.filter(connection=connection).update(
        lease_until=timezone.now() - timedelta(seconds=1), next_attempt_at=timezone.now()
    )
    access_tokens_expire_all()
    knobs(latency_ms=0)
    worker = start(shared_db, base, connection)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-3000:]
    cycles = sync_until_quiet(connection)
    settle()

    posts = RequestLogEntry.objects.filter(
        method="POST", path__regex=r"/api/biz/(workitems|customers)$"
    )
    made = posts.filter(status__lt=300).count()
    refused = posts.filter(status=401).count()  # the expired token, renewed and sent again
    lookups = RequestLogEntry.objects.filter(method="GET", query__contains="Label").count()
    report(
        f"unimicro crash seed={SEED}: {KILLS} workers killed after {kills} create requests were answered; "
        f"{HOURS} hours + {CUSTOMERS} customers: {made} creates carried out ({refused} more "
        f"refused with an expired token and sent again), {lookups} look-ups by Label, "
        f"refresh-token rotations {rotations() - rotations_before}, "
        f"quiet after {cycles} cycles, seconds={time.monotonic() - started:.1f}"
    )
    assert waiting(connection) == 0
    # One create per record over all workers: what was in flight was looked up, not resent.
    assert made == HOURS + CUSTOMERS
    dead = list(OutboxItem.objects.filter(status=OutboxItem.Status.DEAD).values())
    assert dead == [], [(d["entity"], d["local_id"], d["last_error"]) for d in dead]
    assert hours_not_once(connection, set()) == {}
    assert erp_duplicates() == {}
    assert differences(connection) == []
    for customer in Customer.objects.filter(name__startswith="Krasj"):
        binding = Binding.objects.get(
            connection=connection, entity="customer", local_id=customer.pk
        )
        erp = store.read(COMPANY_1, "Customer", int(binding.external_id))
        assert str(erp["CustomerNumber"]) == customer.number
    assert rotations() - rotations_before >= KILLS + 1  # each worker renewed the login
    assert families_revoked() == 0, "a refresh token was used twice"
    assert any(c.get("Key") == COMPANY_1 for c in still_authenticates(connection))
    assert time.monotonic() - started < 60
