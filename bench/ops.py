"""What the benchmark does inside Django: pulls, pushes, local data, counters.

Imported only after `django.setup()` (by `bench.harness` and the `bench.rss` child process).
Everything runs the production code: the sync engine (`sync_entity`), the 24SO connector and
client, the outbox and the services; the bench only creates rows the way a user or the ERP would.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from apps.customers.models import Customer
from apps.integrations.connectors.twentyfourseven import client as client_module
from apps.integrations.connectors.twentyfourseven.connector import TwentyFourSevenConnector
from apps.integrations.models import (
    Binding,
    Conflict,
    Connection,
    OutboxItem,
    SyncRun,
    Watermark,
)
from apps.integrations.sync.engine import sync_entity
from apps.projects.models import Project
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME
from apps.tasks.models import Task
from apps.worktypes.models import WorkType

PULL_ENTITIES = ["customer", "work_type", "project", "task", "user"]
LOCAL_MODELS = [Task, Project, Customer, WorkType]  # deleted in this order


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# QUERY COUNTING (this process only; the sandbox runs in the server process)
# ------------------------------------------------------------------------------
@contextmanager
def count_queries() -> Iterator[list[int]]:
    box = [0]
    me = threading.get_ident()

    def wrapper(execute: Callable, sql: str, params: Any, many: bool, context: Any) -> Any:
        if threading.get_ident() == me:
            box[0] += 1
        return execute(sql, params, many, context)

    with db.execute_wrapper(wrapper):
        yield box


def time_page(browser: Any, url: str, *, runs: int = 6) -> tuple[float, set[int], int]:
    """Median seconds of `runs - 1` GETs after a warm-up, their query counts, last status."""
    times: list[float] = []
    queries: set[int] = set()
    status = 0
    for r in range(runs):
        with count_queries() as q:
            started = time.perf_counter()
            response = browser.get(url)
            elapsed = time.perf_counter() - started
        status = response.status_code
        if r:  # the first request warms caches
            times.append(elapsed)
            queries.add(q[0])
    return median(times), queries, status


# RECORDING THE CLIENT'S HTTP REQUESTS (for the floor: the same requests, replayed)
# ------------------------------------------------------------------------------
@dataclass
class Recorder:
    active: bool = False
    current: tuple[str, str] | None = None
    items: list[tuple[str, str, str, bytes, dict[str, str]]] = field(default_factory=list)


RECORDER = Recorder()
_installed = False


def install_recorder() -> None:
    """Wraps the client's send and transport so the bench can see which bytes went out."""
    global _installed
    if _installed:
        return
    _installed = True
    original_send = client_module.TwentyFourSevenClient._send
    original_post = client_module._GuardedTransport.post

    def _send(self: Any, service: str, operation: str, arguments: Any, **kwargs: Any) -> Any:
        previous = RECORDER.current
        RECORDER.current = (service, operation)
        try:
            return original_send(self, service, operation, arguments, **kwargs)
        finally:
            RECORDER.current = previous

    def post(self: Any, address: str, message: bytes, headers: dict[str, str]) -> Any:
        if RECORDER.active and RECORDER.current:
            service, operation = RECORDER.current
            RECORDER.items.append((service, operation, address, message, dict(headers)))
        return original_post(self, address, message, headers)

    client_module.TwentyFourSevenClient._send = _send
    client_module._GuardedTransport.post = post


# THE CONNECTION AND THE LOCAL SIDE
# ------------------------------------------------------------------------------
def make_connection() -> Connection:
    Connection.objects.all().delete()
    connection = Connection(
        system="24so",
        connected=[*PULL_ENTITIES, "hour"],
        masters={"customer": "erp", "work_type": "erp"},
        settings={"integration_user_external_id": "1"},
    )
    connection.credentials_doc = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    connection.save()
    return connection


def reset_local() -> None:
    """Empties what a pull writes locally, so the next full pull starts from nothing."""
    from apps.timesheets.models import TimeEntry

    TimeEntry.objects.all().delete()
    OutboxItem.objects.all().delete()
    Conflict.objects.all().delete()
    Binding.objects.all().delete()
    Watermark.objects.all().delete()
    SyncRun.objects.all().delete()
    for model in LOCAL_MODELS:
        model.objects.all().delete()


@dataclass
class PullResult:
    seconds: float
    queries: int
    calls: Counter
    per_entity: dict[str, Counter]
    seconds_per_entity: dict[str, float]
    records: int
    created: int


def pull(conn: Connection, *, full: bool, entities: Sequence[str] = PULL_ENTITIES) -> PullResult:
    """Runs the sync engine for each type in turn, as the scheduler's full/incremental job."""
    connector = TwentyFourSevenConnector(conn)
    per_entity: dict[str, Counter] = {}
    seconds_per_entity: dict[str, float] = {}
    fetched = created = 0
    try:
        with count_queries() as queries:
            started = time.perf_counter()
            for entity in entities:
                before = Counter(connector.calls)
                t0 = time.perf_counter()
                run = sync_entity(
                    connection=conn, entity=entity, trigger="manual", full=full, connector=connector
                )
                seconds_per_entity[entity] = time.perf_counter() - t0
                if run.status != SyncRun.Status.SUCCEEDED:
                    raise RuntimeError(f"{entity} pull failed: {run.error_text}")
                per_entity[entity] = connector.calls - before
                fetched += run.fetched
                created += run.created
            seconds = time.perf_counter() - started
    finally:
        connector.close()
    return PullResult(
        seconds=seconds,
        queries=queries[0],
        calls=Counter(connector.calls),
        per_entity=per_entity,
        seconds_per_entity=seconds_per_entity,
        records=fetched,
        created=created,
    )


# THE FLOOR: same HTTP requests + zeep parse, no database; then bulk-insert the same rows
# ------------------------------------------------------------------------------
def replay_parse(
    conn: Connection, items: list[tuple[str, str, str, bytes, dict[str, str]]]
) -> float:
    """Sends the recorded requests again and lets zeep parse each reply; returns seconds."""
    import requests

    conn.refresh_from_db()
    session_id = conn.state_doc.get("session_id", "")
    parser = client_module.TwentyFourSevenClient(base_url="http://127.0.0.1:1/")
    http = requests.Session()
    http.trust_env = False
    http.cookies.set(client_module.SESSION_COOKIE, session_id)
    started = time.perf_counter()
    for service, operation, address, message, headers in items:
        if operation == "Login":
            continue
        response = http.post(address, data=message, headers=headers)
        proxy = parser._proxy(service)
        binding = proxy._binding
        binding.process_reply(proxy._client, binding.get(operation), response)
    return time.perf_counter() - started


def sandbox_mark() -> int:
    return so.RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def sandbox_seconds_since(mark: int) -> float:
    """The sandbox's own processing time (its request log) of the requests after `mark`."""
    time.sleep(0.1)  # the last request's log row is written as its answer leaves
    return (
        sum(so.RequestLog.objects.filter(pk__gt=mark).values_list("duration_ms", flat=True)) / 1000
    )


def snapshot_rows() -> dict[type, list[Any]]:
    return {m: list(m.objects.all()) for m in [Customer, WorkType, Project, Task, Binding]}


def bulk_insert(rows: dict[type, list[Any]]) -> float:
    """The same rows as the pull wrote, in one transaction of bulk inserts; returns seconds."""
    started = time.perf_counter()
    with transaction.atomic():
        for model, objs in rows.items():
            model.objects.bulk_create(objs, batch_size=1000)
    return time.perf_counter() - started


# CHANGES IN THE ERP (as a person editing 24SO would make them)
# ------------------------------------------------------------------------------
def erp_changes(round_no: int, n: int = 10) -> None:
    """`n` records changed in the sandbox now: companies, projects and tasks by turns.

    Exactly `n` at every size (the choice wraps around a small world's records). The changes
    of earlier rounds are moved an hour back first, as if the next hourly run came an hour
    later: the engine re-reads what changed within its overlap before the watermark (two
    minutes), and rounds a few seconds apart would otherwise re-read every earlier round.
    """
    now = timezone.now()
    client = so.Client.objects.get()
    earlier = now - timedelta(minutes=10)
    for model in (so.Company, so.Project, so.Task):
        model.objects.filter(client=client, date_changed__gt=earlier).update(
            date_changed=now - timedelta(hours=1)
        )
    k = round_no * 7

    def pick(qs: Any, order: str, count: int) -> list[int]:
        pks = list(qs.order_by(order).values_list("pk", flat=True))
        return [pks[(k + i) % len(pks)] for i in range(count)] if pks else []

    companies = pick(
        so.Company.objects.filter(client=client, active=True), "company_id", n - 2 * (n // 3)
    )
    projects = pick(
        so.Project.objects.filter(client=client, status__active=True), "project_id", n // 3
    )
    tasks = pick(
        so.Task.objects.filter(client=client, project__status__active=True), "task_id", n // 3
    )
    for pk in companies:
        so.Company.objects.filter(pk=pk).update(name=f"Endret {round_no}-{pk}", date_changed=now)
    for pk in projects:
        so.Project.objects.filter(pk=pk).update(name=f"Endret {round_no}-{pk}", date_changed=now)
    for pk in tasks:
        so.Task.objects.filter(pk=pk).update(name=f"Endret {round_no}-{pk}", date_changed=now)


# HOUR PUSH
# ------------------------------------------------------------------------------
@dataclass
class PushResult:
    hours: int
    seconds: float
    sandbox_seconds: float
    queries: int
    calls: Counter


def push_hours(conn: Connection, n: int) -> PushResult:
    """`n` hours registered, submitted and approved through the services, then pushed."""
    from apps.accounts.models import User
    from apps.integrations.models import HourTransfer
    from apps.integrations.sync import outbox
    from apps.projects.services import project_member_set
    from apps.timesheets.services import time_entry_create, time_entry_transition

    outbox.kick = lambda connection_id: None  # the bench drives the push, not the worker
    conn.hour_transfer = HourTransfer.ON_APPROVAL
    conn.save(update_fields=["hour_transfer"])
    person = so.Person.objects.get(contact_id=2)
    user, _ = User.objects.get_or_create(email=person.email, defaults={"first_name": "Bench"})
    admin, _ = User.objects.get_or_create(
        email="bench-admin@tidsbro.no", defaults={"is_superuser": True, "is_staff": True}
    )
    Binding.objects.filter(connection=conn, entity="user", external_id="2").update(
        local_id=user.pk, state=Binding.State.LINKED
    )
    open_project = (
        so.Project.objects.filter(version=so.Project.OPEN, status__active=True)
        .order_by("project_id")
        .values_list("project_id", flat=True)
        .first()
    )
    project = Project.objects.get(number=open_project)
    if project.needs_approval:
        Project.objects.filter(pk=project.pk).update(needs_approval=False)
        project.refresh_from_db()
    work_type = WorkType.objects.get(
        pk=Binding.objects.get(connection=conn, entity="work_type", external_id="1").local_id
    )
    project_member_set(project=project, user=user)  # only members register hours
    for i in range(n):
        entry = time_entry_create(
            actor=user,
            project=project,
            work_type=work_type,
            hours=Decimal("1.50"),
            date=date.today() - timedelta(days=1 + i % 20),
            description=f"Benk {i}",
        )
        entry = time_entry_transition(actor=user, entry=entry, action="submit")
        time_entry_transition(actor=admin, entry=entry, action="approve_user")
    waiting = OutboxItem.objects.filter(connection=conn, entity="hour").count()
    if waiting != n:
        raise RuntimeError(f"{waiting} hours waiting to be pushed, expected {n}")
    last_log = so.RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connector = TwentyFourSevenConnector(conn)
    try:
        with count_queries() as queries:
            started = time.perf_counter()
            while outbox.push_pending(connection=conn, connector=connector, limit=100):
                pass
            seconds = time.perf_counter() - started
    finally:
        connector.close()
    left = OutboxItem.objects.filter(
        connection=conn, status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS]
    ).count()
    if left:
        raise RuntimeError(f"{left} hours were not pushed")
    time.sleep(0.2)  # the last request's log row is written as the answer leaves
    sandbox_ms = sum(
        so.RequestLog.objects.filter(pk__gt=last_log).values_list("duration_ms", flat=True)
    )
    return PushResult(
        hours=n,
        seconds=seconds,
        sandbox_seconds=sandbox_ms / 1000,
        queries=queries[0],
        calls=Counter(connector.calls),
    )


def settle_database() -> None:
    """What autovacuum does to tables that grew: statistics, and (PostgreSQL) the visibility
    map that lets counts use index-only scans."""
    with db.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if db.vendor == "postgresql" else "ANALYZE")


# LOCAL TIME ENTRIES (generated directly, for the admin and API figures)
# ------------------------------------------------------------------------------
def week_person(*, years: int = 5, projects: int = 8) -> Any:
    """A person with `years` of hours (two entries a working day over `projects` of their
    projects, a task on each), for the week timesheet; made once, found again after."""
    from apps.accounts.models import User
    from apps.projects.models import ProjectMember
    from apps.timesheets.models import TimeEntry
    from apps.worktypes.models import WorkType

    person, created = User.objects.get_or_create(
        email="bench-week@tidsbro.no", defaults={"first_name": "Uke", "password": "!"}
    )
    if not created and TimeEntry.objects.filter(user=person).exists():
        return person
    from django.contrib.auth.models import Group

    person.groups.add(Group.objects.get(name="employee"))
    work_type = WorkType.objects.filter(is_active=True).order_by("pk").first() or (
        WorkType.objects.create(name="Arbeid")
    )
    mine = []
    for i in range(projects):
        project = Project.objects.create(name=f"Ukeprosjekt {i}", default_work_type=work_type)
        ProjectMember.objects.create(project=project, user=person)
        task = Task.objects.create(project=project, name="Arbeid")
        task.assignees.add(person)
        mine.append((project, task))
    today = date.today()
    chunk = []
    for back in range(365 * years):
        day = today - timedelta(days=back)
        if day.weekday() >= 5:
            continue
        for k, hours in enumerate((Decimal("4.00"), Decimal("3.50"))):
            project, task = mine[(back + k) % projects]
            chunk.append(
                TimeEntry(
                    user=person,
                    date=day,
                    hours=hours,
                    billable_hours=hours,
                    project=project,
                    task=task if k else None,
                    work_type=work_type,
                    description="Benk",
                    status=TimeEntry.Status.LOCKED if back > 14 else TimeEntry.Status.DRAFT,
                )
            )
    TimeEntry.objects.bulk_create(chunk, batch_size=5000)
    settle_database()
    return person


def week_page(browser: Any) -> tuple[float, set[int], int, int]:
    """Median seconds, query counts and status of the week view (this week, with last week's
    rows copied) for the person of `week_person`, and how many hours they have."""
    from apps.timesheets.models import TimeEntry

    person = week_person()
    browser.force_login(person)
    seconds, queries, status = time_page(browser, "/admin/timesheets/timeentry/week/?copy=1")
    return seconds, queries, status, TimeEntry.objects.filter(user=person).count()


def local_time_entries(n: int, *, users: int = 50, batch: int = 5000) -> dict[str, Any]:
    """`n` time entries over `users` local users and the pulled projects, bulk-inserted."""
    from apps.accounts.models import User
    from apps.timesheets.models import TimeEntry

    people = [
        User(email=f"bench{i}@tidsbro.no", first_name=f"Bench{i}", password="!")
        for i in range(users)
    ]
    User.objects.bulk_create(people, ignore_conflicts=True)
    people = list(User.objects.filter(email__in=[p.email for p in people]).order_by("pk"))
    projects = list(Project.objects.order_by("pk").values_list("pk", flat=True)[:500])
    work_types = list(WorkType.objects.filter(is_active=True).values_list("pk", flat=True))
    statuses = [s for s, _label in TimeEntry.Status.choices]
    today = date.today()
    chunk: list[TimeEntry] = []
    for i in range(n):
        hours = Decimal(("1.50", "2.00", "3.50", "4.00", "7.50")[i % 5])
        chunk.append(
            TimeEntry(
                user_id=people[i % len(people)].pk,
                date=today - timedelta(days=i % 720),
                hours=hours,
                billable_hours=hours,
                project_id=projects[i % len(projects)],
                work_type_id=work_types[i % len(work_types)],
                description="Benk",
                # Every person has entries in every state (the filtered page lists some).
                status=statuses[(i // len(people)) % len(statuses)],
            )
        )
        if len(chunk) >= batch:
            TimeEntry.objects.bulk_create(chunk, batch_size=batch)
            chunk = []
    if chunk:
        TimeEntry.objects.bulk_create(chunk, batch_size=batch)
    settle_database()
    return {"user": people[3].pk, "project": projects[0], "work_type": work_types[0]}
