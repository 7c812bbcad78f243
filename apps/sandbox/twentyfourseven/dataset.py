"""Benchmark-sized 24SO worlds for the sandbox: sizes S, M and L, bulk-inserted and seeded.

`generate("M")` empties the sandbox and writes one client (Fjordlys Rådgivning AS, the demo
login's default client, with the demo login, ApplicationId and identity of `seed.py`) holding
exactly the numbers of `SIZES`. Everything is deterministic (same size → same rows, apart from
timestamps relative to now) and written with `bulk_create` in batches, a chunk of rows in memory
at a time, so L (1M hours) fits in a small process.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from .models import (
    Application,
    Client,
    Company,
    Hour,
    Identity,
    Login,
    Person,
    Project,
    ProjectRole,
    ProjectStatus,
    Task,
    WorkType,
)
from .seed import (
    _NS,
    APPLICATION_ID,
    CLIENTS,
    COMPANY_SUFFIX,
    COMPANY_WORDS,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    FIRST,
    LAST,
    PROJECT_WORDS,
    ROLES,
    STATUSES,
    WORK_TYPES,
    reset,
)


@dataclass(frozen=True)
class Size:
    customers: int
    projects: int
    tasks: int
    users: int
    hours: int


SIZES = {
    "XS": Size(customers=30, projects=8, tasks=20, users=5, hours=100),  # the harness's smoke test
    "S": Size(customers=200, projects=50, tasks=500, users=20, hours=5_000),
    "M": Size(customers=5_000, projects=2_000, tasks=10_000, users=200, hours=100_000),
    "L": Size(customers=50_000, projects=10_000, tasks=50_000, users=1_000, hours=1_000_000),
}
BATCH = 5_000
FIRST_COMPANY = 10001
FIRST_PROJECT = 1001
FIRST_HOUR = 100001


def generate(
    size: str | Size, *, now: dt.datetime | None = None, progress: Callable[[str], Any] = print
) -> dict[str, int]:
    """Empties the sandbox and writes a world of `size`; returns the rows written per model."""
    spec = SIZES[size] if isinstance(size, str) else size
    now = now or timezone.now()
    rng = random.Random(24)
    long_ago = now - dt.timedelta(days=400)
    reset()
    with transaction.atomic():
        client = _client()
        people = _persons(client, spec.users, long_ago, rng)
        login = Login.objects.create(
            username=DEMO_USERNAME, password=make_password(DEMO_PASSWORD), name="Tidsbro demo"
        )
        Identity.objects.create(
            identity_id=uuid.uuid5(_NS, f"identity-{client.client_id}"),
            login=login,
            client=client,
            person=people[0],
            is_default=True,
        )
        Application.objects.create(application_id=APPLICATION_ID, name="Tidsbro")
        statuses, roles, work_types = _catalogues(client)
        del roles
    progress(f"clients and {spec.users} users")

    _bulk(Company, _companies(client, spec.customers, long_ago))
    progress(f"{spec.customers} customers")
    active_companies = [FIRST_COMPANY + i for i in range(spec.customers) if _company_active(i)] or [
        FIRST_COMPANY
    ]
    n_inactive = spec.projects // 5
    _bulk(
        Project,
        _projects(client, spec.projects, n_inactive, active_companies, statuses, now),
    )
    project_pks = dict(client.projects.values_list("project_id", "pk"))
    progress(f"{spec.projects} projects")
    _bulk(Task, _tasks(client, spec.tasks, spec.projects, project_pks, work_types, now))
    progress(f"{spec.tasks} tasks")
    employees = [p.contact_id for p in people]
    _bulk(Hour, _hours(client, spec, employees, n_inactive, work_types, now))
    progress(f"{spec.hours} hours")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        model.__name__: model.objects.count()
        for model in (Client, Person, Company, Project, Task, WorkType, Hour)
    }


def _bulk(model: type, rows: Iterator[Any]) -> None:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= BATCH:
            model.objects.bulk_create(chunk, batch_size=BATCH)
            chunk = []
    if chunk:
        model.objects.bulk_create(chunk, batch_size=BATCH)


def _client() -> Client:
    spec = CLIENTS[0]
    return Client.objects.create(
        client_id=spec["client_id"],
        name=spec["name"],
        organization_number=spec["organization_number"],
        city=spec["city"],
        street=spec["street"],
        postal_code=spec["postal_code"],
        email=f"post@{spec['client_id']}.example.no",
        phone="+47 55 00 00 00",
    )


def _persons(client: Client, users: int, long_ago: dt.datetime, rng: random.Random) -> list:
    """`users` employees with a 24SO user (contact 1 is the integration user)."""
    rows = []
    for i in range(users):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        rows.append(
            Person(
                client=client,
                contact_id=i + 1,
                first_name="API" if i == 0 else first,
                last_name="Tidsbro" if i == 0 else last,
                email=f"api+{client.client_id}@tidsbro.no"
                if i == 0
                else f"{first.lower()}.{last.lower()}.{i}@{client.client_id}.example.no",
                phone=f"+47 9{rng.randrange(1000000, 9999999)}",
                is_employee=True,
                employee_id=i + 1,
                user_guid=uuid.uuid5(_NS, f"user-{client.client_id}-{i + 1}"),
                hour_cost=Decimal("520.00"),
                date_registered=long_ago,
                date_changed=long_ago,
            )
        )
    Person.objects.bulk_create(rows, batch_size=BATCH)
    return list(client.persons.order_by("contact_id"))


def _catalogues(client: Client) -> tuple[dict[int, ProjectStatus], dict, list[int]]:
    ProjectStatus.objects.bulk_create(
        ProjectStatus(client=client, status_id=i, name=n, active=a) for i, n, a in STATUSES
    )
    ProjectRole.objects.bulk_create(
        ProjectRole(client=client, role_id=i, name=n, parent=p) for i, n, p in ROLES
    )
    WorkType.objects.bulk_create(
        WorkType(
            client=client,
            work_type_id=i,
            name=n,
            invoiceable=inv,
            price=Decimal(price),
            active=act,
            product_id=i + 500,
        )
        for i, n, inv, price, act in WORK_TYPES
    )
    statuses = {s.status_id: s for s in client.project_statuses.all()}
    roles = {r.role_id: r for r in client.project_roles.all()}
    return statuses, roles, [i for i, *_rest in WORK_TYPES]


def _company_active(i: int) -> bool:
    return i % 13 != 12  # a few deleted ones for the sync list


def _companies(client: Client, n: int, long_ago: dt.datetime) -> Iterator[Company]:
    for i in range(n):
        word = COMPANY_WORDS[i % len(COMPANY_WORDS)]
        suffix = COMPANY_SUFFIX[(i // len(COMPANY_WORDS) + i) % len(COMPANY_SUFFIX)]
        created = long_ago + dt.timedelta(minutes=i)
        yield Company(
            client=client,
            company_id=FIRST_COMPANY + i,
            name=f"{word} {suffix} {i}",
            organization_number=str(900000000 + i),
            country="NO",
            email=f"faktura@{word.lower()}{i}.example.no",
            phone=f"+47 2{1000000 + i % 9000000}",
            active=_company_active(i),
            date_created=created,
            date_changed=created + dt.timedelta(days=i % 30),
        )


def _projects(
    client: Client,
    n: int,
    n_inactive: int,
    customers: list[int],
    statuses: dict[int, ProjectStatus],
    now: dt.datetime,
) -> Iterator[Project]:
    for i in range(n):
        active = i < n - n_inactive
        rights = i % 3 == 0
        start = now - dt.timedelta(days=120 + i % 300)
        yield Project(
            client=client,
            project_id=FIRST_PROJECT + i,
            name=f"{PROJECT_WORDS[i % len(PROJECT_WORDS)]} {i}",
            customer_id=customers[i % len(customers)],
            status=statuses[(1 if i % 4 else 2) if active else (3 if i % 2 else 4)],
            version=Project.RIGHTS_MANAGED if rights else Project.OPEN,
            time_reg="Task" if rights else "WorkType",
            need_approval="True" if rights else "False",
            work_type_id=1 if i % 2 else 2,
            owner_contact_id=1,
            date_start=start,
            date_stop=start + dt.timedelta(days=365),
            date_registered=start - dt.timedelta(days=5),
            date_changed=start,
        )


def _tasks(
    client: Client,
    n: int,
    n_projects: int,
    project_pks: dict[int, int],
    work_types: list[int],
    now: dt.datetime,
) -> Iterator[Task]:
    names = ["Analyse", "Design", "Gjennomføring", "Testing", "Overlevering"]
    for i in range(n):
        start = now - dt.timedelta(days=100 + i % 200)
        yield Task(
            client=client,
            task_id=i + 1,
            project_id=project_pks[FIRST_PROJECT + i % n_projects],
            name=f"{names[i % len(names)]} {i // n_projects + 1}",
            date_start=start,
            date_stop=start + dt.timedelta(days=60),
            priority=1,
            work_type_id=work_types[i % 3],
            estimate=40,
            date_changed=start,
        )


def _hours(
    client: Client,
    spec: Size,
    employees: list[int],
    n_inactive: int,
    work_types: list[int],
    now: dt.datetime,
) -> Iterator[Hour]:
    active_projects = max(spec.projects - n_inactive, 1)
    today = now.replace(hour=7, minute=0, second=0, microsecond=0)
    lengths = [1.5, 2.0, 3.5, 4.0, 7.5]
    for i in range(spec.hours):
        day = today - dt.timedelta(days=1 + i % 720)
        length = lengths[i % len(lengths)]
        changed = day + dt.timedelta(hours=length, minutes=5)
        project = i % active_projects
        yield Hour(
            client=client,
            hour_id=FIRST_HOUR + i,
            contact_id=employees[i % len(employees)],
            project_id=FIRST_PROJECT + project,
            task_id=None,
            type_of_work_id=work_types[i % 3],
            start_time=day,
            stop_time=day + dt.timedelta(hours=length),
            total_hours=length,
            total_hours_invoice=length,
            description=f"{PROJECT_WORDS[i % len(PROJECT_WORDS)]}: arbeid",
            need_approval=project % 3 == 0,
            date_registered=changed,
            date_changed=changed,
        )
