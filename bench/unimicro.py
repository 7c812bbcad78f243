"""The Unimicro rows of the bench: the Unimicro sandbox over HTTP (same gunicorn server).

Per size (`sandbox_unimicro_dataset`'s generator: S 500, M 5,000, L 20,000 customers; projects,
users with workers and work relations in proportion), the connection's key holding an access
token minted by the sandbox's identity server (as a login leaves it):

- U1 full first pull (pairing) of customers, work types, projects, tasks and users at M, per
  type and together, against the floor: requests against the fewest Unimicro's paging allows
  (a bare-array list of 500 a page ends on a short page: n // 500 + 1 per type), and time
  against the same GETs replayed with a plain `requests` session and JSON-decoded (no client,
  no database: a lower bound, the engine's writes are not in it).
- U2 unchanged incremental round: requests per type (= 1) and time M/S.
- U3 the hourly poll: requests an hour (one incremental round of every type an hour).
- U4 pushing N approved hours (one person, one project): requests per hour against the floor
  (one create per hour + the once-per-run look-ups: the person's worker, its work relation,
  the project's customer).
- U5 an order of 100 of those hours: requests against the floor (the customer, the product,
  the order with its lines, register).
Ratios are reported, not asserted; tests/bench pins the request counts on tiny data.
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

COMPANY = "4b3e9a10-0000-4000-8000-000000000001"
PAGE = 500
# The engine's order of a pull (users first: hours and projects do not need them, but people
# link by e-mail before anything else asks).
PULL_TYPES = ["customer", "work_type", "project", "task", "user"]
# The sandbox's entity behind each type (what the floor's page count is made of).
ERP_ENTITY = {
    "customer": "Customer",
    "work_type": "WorkType",
    "project": "Project",
    "task": "ProjectTask",
    "user": "User",
}
MASTERS = {
    "customer": "tidsbro",
    "project": "tidsbro",
    "task": "tidsbro",
    "work_type": "both",
    "user": "erp",
}


def _say(text: str) -> None:
    print(text, flush=True)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def itemise(calls: Counter) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items(), key=lambda kv: -kv[1]))


# THE CONNECTION
# ------------------------------------------------------------------------------
def make_connection(base: str) -> Any:
    """An api-mode connection to company …0001 with one key whose access token the sandbox's
    identity server minted for regnskap@tidsbro.no (as a login leaves it; no refresh)."""
    from apps.integrations.models import Connection, HourTransfer
    from apps.sandbox.unimicro.identity import gate

    Connection.objects.filter(system="unimicro").delete()
    issuer = f"{base}/sandbox/unimicro/identity"
    token = gate.test_token(company_key=COMPANY, issuer=issuer)
    key_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    connection = Connection(
        system="unimicro",
        connected=[*PULL_TYPES, "hour"],
        masters=dict(MASTERS),
        is_active=True,
        hour_transfer=HourTransfer.ON_APPROVAL,
    )
    connection.settings = {
        "mode": "api",
        "auth": "login",
        "issuer": issuer,
        "api_base": f"{base}/sandbox/unimicro",
        "company_key": COMPANY,
        "company_name": "Tidsbro Rådgivning AS",
        "organisation_name": "Tidsbro Rådgivning AS",
        "keys": [
            {
                "id": key_id,
                "name": "Bench",
                "company_key": COMPANY,
                "company_name": "Tidsbro Rådgivning AS",
                "organisation_name": "Tidsbro Rådgivning AS",
                "user_name": "regnskap@tidsbro.no",
                "created_at": now.isoformat(timespec="seconds"),
                "revoked_at": None,
            }
        ],
        "active_key": key_id,
        "transfer_orders_to_invoice": False,
        "products_by_number": True,
    }
    connection.state_doc = {
        "tokens": {
            key_id: {
                "access_token": token,
                "access_expires_at": (now + timedelta(minutes=55)).isoformat(timespec="seconds"),
                "last_used_at": None,
            }
        }
    }
    connection.save()
    return connection


def reset_local() -> None:
    from bench import economic, ops

    economic.forget_orders()
    ops.reset_local()


# THE SANDBOX'S REQUEST LOG
# ------------------------------------------------------------------------------
def log_mark() -> int:
    from apps.sandbox.unimicro.models import RequestLogEntry

    return RequestLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def log_since(mark: int) -> tuple[Counter, float]:
    """The sandbox's requests after `mark` (method, plural, action; ids as {n}) and its own
    time for them (`duration_ms`)."""
    from apps.sandbox.unimicro.models import RequestLogEntry

    time.sleep(0.2)  # the last request's log row is written as its answer leaves
    calls: Counter = Counter()
    took = 0
    for method, path, query, duration in RequestLogEntry.objects.filter(pk__gt=mark).values_list(
        "method", "path", "query", "duration_ms"
    ):
        tail = re.sub(r"^.*?/api/", "", path.split("?")[0]).rstrip("/")
        tail = re.sub(r"/[0-9]+", "/{n}", tail)
        action = re.search(r"action=([\w-]+)", query or "")
        calls[f"{method} {tail}{f'?action={action.group(1)}' if action else ''}"] += 1
        took += duration
    return calls, took / 1000


# PULLS
# ------------------------------------------------------------------------------
@dataclass
class Round:
    seconds: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    fetched: dict[str, int] = field(default_factory=dict)
    sent: list = field(default_factory=list)
    sandbox_seconds: float = 0.0
    queries: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def all_requests(self) -> int:
        return sum(self.requests.values())


def pull_round(conn: Any, *, full: bool, record: bool = False) -> Round:
    """One engine run per type, as the scheduler's full (or hourly incremental) job."""
    import requests

    from apps.integrations.connectors.unimicro.connector import UnimicroConnector
    from apps.integrations.models import SyncRun
    from apps.integrations.sync.engine import sync_entity
    from bench import ops

    result = Round()
    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        result.sent.append((request.method, request.url, dict(request.headers)))
        return original(self, request, **kwargs)

    if record:
        requests.Session.send = send
    try:
        for entity in PULL_TYPES:
            conn.refresh_from_db()
            connector = UnimicroConnector(conn)
            try:
                with ops.count_queries() as queries:
                    started = time.perf_counter()
                    run = sync_entity(
                        connection=conn,
                        entity=entity,
                        trigger="manual",
                        full=full,
                        connector=connector,
                    )
                    result.seconds[entity] = time.perf_counter() - started
                result.queries[entity] = queries[0]
            finally:
                connector.close()
            if run.status != SyncRun.Status.SUCCEEDED:
                raise RuntimeError(f"Unimicro {entity} pull failed: {run.error_text}")
            result.requests[entity] = run.requests
            result.fetched[entity] = run.fetched
    finally:
        requests.Session.send = original
    return result


def replay(sent: list) -> float:
    """The same requests with a plain session, JSON-decoded: the floor's time."""
    import requests

    session = requests.Session()
    started = time.perf_counter()
    for method, url, headers in sent:
        reply = session.request(method, url, headers=headers, timeout=60)
        json.loads(reply.content)
    seconds = time.perf_counter() - started
    session.close()
    return seconds


def local_rows(conn: Any) -> list[list]:
    """What a pull wrote here (ids kept), in the order they can be inserted again."""
    from apps.customers.models import Customer
    from apps.integrations.models import Binding
    from apps.projects.models import Project
    from apps.tasks.models import Task
    from apps.worktypes.models import WorkType

    return [
        list(Customer.objects.all()),
        list(WorkType.objects.all()),
        list(Project.objects.all()),
        list(Task.objects.all()),
        list(Binding.objects.filter(connection=conn)),
    ]


def bulk_insert(rows: list[list]) -> float:
    """The floor's database part: the same rows bulk-inserted in one transaction."""
    from django.db import transaction

    def copy(obj: Any) -> Any:
        clone = type(obj)()
        for f in obj._meta.concrete_fields:
            setattr(clone, f.attname, getattr(obj, f.attname))
        return clone

    started = time.perf_counter()
    with transaction.atomic():
        for batch in rows:
            if batch:
                type(batch[0]).objects.bulk_create([copy(o) for o in batch], batch_size=1000)
    return time.perf_counter() - started


def erp_counts() -> dict[str, int]:
    from apps.sandbox.unimicro.models import BizRecord

    return {
        entity: BizRecord.objects.filter(
            company_key=COMPANY, entity=ERP_ENTITY[entity], deleted=False
        ).count()
        for entity in PULL_TYPES
    }


def floor_requests(n: int) -> int:
    """Pages of 500 until a short one (a bare array says nothing of what is left)."""
    return n // PAGE + 1


def full_pull_rows(conn: Any, plan: Any, results: Any, size: str, say: Any) -> Any:
    """Rows 18; returns the connection (made anew for each run), left pulled."""
    counts = erp_counts()
    rounds: list[Round] = []
    floors: list[float] = []
    ratios: list[float] = []
    for r in range(max(plan.runs, 1)):
        reset_local()
        conn = make_connection(conn.settings["api_base"].rsplit("/sandbox/", 1)[0])
        got = pull_round(conn, full=True, record=True)
        rows = local_rows(conn)
        fetch = replay(got.sent)
        reset_local()
        conn = make_connection(conn.settings["api_base"].rsplit("/sandbox/", 1)[0])
        for batch in rows:  # the bindings name the connection made anew
            for obj in batch:
                if hasattr(obj, "connection_id"):
                    obj.connection_id = conn.pk
        insert = bulk_insert(rows)
        floor = fetch + insert
        rounds.append(got)
        floors.append(floor)
        ratios.append(got.total / floor)
        say(
            f"  full pull {r + 1}: {ms(got.total)}, {got.all_requests} requests "
            f"({', '.join(f'{e} {ms(s)}' for e, s in got.seconds.items())}); "
            f"floor {ms(floor)} (same GETs replayed {ms(fetch)}, bulk insert of "
            f"{sum(len(b) for b in rows):,} rows {ms(insert)})"
        )
    # The size stays pulled (with its cursors) for what follows.
    reset_local()
    conn = make_connection(conn.settings["api_base"].rsplit("/sandbox/", 1)[0])
    pull_round(conn, full=True)
    first = rounds[0]
    floor_total = sum(floor_requests(n) for n in counts.values())
    results.add(
        18,
        f"Unimicro: full first pull at {size}, requests (customers, work types, projects, tasks, "
        f"users: {', '.join(f'{counts[e]:,}' for e in PULL_TYPES)})",
        f"{first.all_requests} (per type: "
        + ", ".join(f"{e} {first.requests[e]}/{floor_requests(counts[e])}" for e in PULL_TYPES)
        + "; floor = pages of 500 until a short one)",
        f"floor {floor_total}",
        f"{first.all_requests / floor_total:.2f}",
        first.all_requests <= floor_total,
    )
    ratio = median(ratios)
    labels = ["customers", "work types", "projects", "tasks", "bindings"]
    written = sum(len(b) for b in rows)
    written_what = ", ".join(f"{len(b):,} {label}" for b, label in zip(rows, labels, strict=True))
    results.add(
        18,
        f"Unimicro: full first pull at {size}, time",
        f"{ms(median([r.total for r in rounds]))}; floor {ms(median(floors))} (the same GETs "
        f"replayed + JSON-decoded, no client, + bulk insert of the same {written:,} rows: "
        f"{written_what}); {len(rounds)} runs",
        "≤ 1.5 × floor",
        f"{ratio:.2f}",
        ratio <= 1.5,
    )
    results.details.append(
        f"Unimicro full pull at {size}, time per type (median): "
        + ", ".join(
            f"{e} {ms(median([r.seconds[e] for r in rounds]))} "
            f"({first.fetched[e]:,} read, {first.requests[e]} requests, "
            f"{first.queries[e]:,} queries)"
            for e in PULL_TYPES
        )
    )
    return conn


def incremental(conn: Any, plan: Any) -> list[Round]:
    from bench import ops

    ops.settle_database()
    pull_round(conn, full=False)  # not measured: the first after a full pull
    rounds = []
    for _ in range(plan.incremental_runs):
        mark = log_mark()
        got = pull_round(conn, full=False)
        calls, got.sandbox_seconds = log_since(mark)
        rounds.append(got)
    return rounds


def incremental_rows(results: Any, runs: dict[str, list[Round]], small: str, large: str) -> None:
    worst = {e: max(r.requests[e] for s in runs for r in runs[s]) for e in PULL_TYPES}
    most = max(worst.values())
    results.add(
        19,
        f"Unimicro: unchanged incremental round, requests per type (at {', '.join(runs)})",
        ", ".join(f"{e} {n}" for e, n in worst.items()) + f" (most: {most})",
        "= 1 per type",
        f"{most}",
        most == 1,
    )
    t_small = median([r.total for r in runs[small]])
    t_large = median([r.total for r in runs[large]])
    results.add(
        19,
        f"Unimicro: unchanged incremental round, time {large}/{small}",
        f"{ms(t_large)} / {ms(t_small)} (per type at {large}: "
        + ", ".join(f"{e} {ms(median([r.seconds[e] for r in runs[large]]))}" for e in PULL_TYPES)
        + ")",
        "≤ 1.2",
        f"{t_large / t_small:.2f}",
        t_large / t_small <= 1.2,
    )
    for size, rounds in runs.items():
        results.details.append(
            f"Unimicro unchanged incremental at {size}, per type (median): "
            + ", ".join(f"{e} {ms(median([r.seconds[e] for r in rounds]))}" for e in PULL_TYPES)
            + f"; the sandbox's own time for the round's requests "
            f"{ms(median([r.sandbox_seconds for r in rounds]))}"
        )
    per_hour = max(r.all_requests for s in runs for r in runs[s])
    results.add(
        20,
        "Unimicro: hourly poll (one unchanged incremental round of every type an hour), "
        "requests an hour",
        f"{per_hour} ({len(PULL_TYPES)} types; webhooks carry the changes between polls)",
        f"floor {len(PULL_TYPES)}",
        f"{per_hour / len(PULL_TYPES):.2f}",
        per_hour <= len(PULL_TYPES),
    )


# HOURS AND AN ORDER
# ------------------------------------------------------------------------------
@dataclass
class Office:
    user: Any
    admin: Any
    project: Any
    work_type: Any


def office(conn: Any, *, person: int = 1, project_index: int = 0) -> Office:
    """A person linked to a dataset user (with a worker and an active work relation), a
    project bound to the dataset's first project (its customer bound too), a work type bound
    to a Unimicro work type whose product Tidsbro's work type names — as a first transfer
    leaves them (the bench does not measure the pairing here)."""
    from apps.accounts.models import User
    from apps.customers.models import Customer
    from apps.integrations.models import Binding
    from apps.projects.models import Project
    from apps.projects.services import project_member_set
    from apps.sandbox.unimicro import entities as erp_entities
    from apps.sandbox.unimicro import store as erp_store
    from apps.worktypes.models import WorkType

    def bind(entity: str, local_id: int, external_id: Any) -> None:
        Binding.objects.filter(
            connection=conn, entity=entity, external_id=str(external_id)
        ).delete()
        Binding.objects.filter(connection=conn, entity=entity, local_id=local_id).delete()
        Binding.objects.create(
            connection=conn,
            entity=entity,
            local_id=local_id,
            external_id=str(external_id),
            state=Binding.State.LINKED,
        )

    email = f"bench-{person}@tidsbro.no"
    [erp_user] = erp_entities.find(COMPANY, "User", Email=email)
    erp_project = sorted(erp_entities.find(COMPANY, "Project"), key=lambda d: d["ID"])[
        project_index
    ]
    erp_customer = erp_store.read(COMPANY, "Customer", erp_project["ProjectCustomerID"])
    erp_work_type = next(
        w
        for w in sorted(erp_entities.find(COMPANY, "WorkType"), key=lambda d: d["ID"])
        if w.get("ProductID")
    )
    product = erp_store.read(COMPANY, "Product", erp_work_type["ProductID"])

    user, _ = User.objects.get_or_create(email=email, defaults={"first_name": "B"})
    admin, _ = User.objects.get_or_create(
        email="bench-admin@tidsbro.no", defaults={"is_superuser": True, "is_staff": True}
    )
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True, is_active=True)
    admin.refresh_from_db()
    customer, _ = Customer.objects.update_or_create(
        number=str(erp_customer["CustomerNumber"]), defaults={"name": "Bench kunde AS"}
    )
    work_type, _ = WorkType.objects.update_or_create(
        name="Bench rådgivning",
        defaults={"product_number": str(product["PartName"]), "price": Decimal("1450.00")},
    )
    project, _ = Project.objects.update_or_create(
        number=int(erp_project["ProjectNumber"]),
        defaults={
            "name": erp_project["Name"],
            "customer": customer,
            "default_work_type": work_type,
            "needs_approval": False,
            "status": Project.Status.ACTIVE,
        },
    )
    bind("user", user.pk, erp_user["ID"])
    bind("customer", customer.pk, erp_customer["ID"])
    bind("project", project.pk, erp_project["ID"])
    bind("work_type", work_type.pk, erp_work_type["ID"])
    project_member_set(project=project, user=user)
    return Office(user=user, admin=admin, project=project, work_type=work_type)


@dataclass
class Pushed:
    hours: int
    seconds: float
    sandbox_seconds: float
    requests: int
    calls: Counter
    entries: list
    queries: int


def push_hours(conn: Any, places: list[Office], n: int) -> Pushed:
    """`n` hours registered, submitted and approved through the services, pushed by the
    outbox (transfer "on approval"), in batches of 100 as the worker claims them."""
    from apps.integrations.connectors.unimicro.connector import UnimicroConnector
    from apps.integrations.models import OutboxItem
    from apps.integrations.sync import outbox
    from apps.timesheets.services import time_entry_create, time_entry_transition
    from bench import ops

    outbox.kick = lambda connection_id: None  # the bench drives the push, not the worker
    entries = []
    for i in range(n):
        place = places[i % len(places)]
        entry = time_entry_create(
            actor=place.user,
            project=place.project,
            work_type=place.work_type,
            hours=Decimal("1.50"),
            date=date.today() - timedelta(days=1 + i % 25),
            description=f"Bench {i}",
        )
        entry = time_entry_transition(actor=place.user, entry=entry, action="submit")
        entries.append(time_entry_transition(actor=place.admin, entry=entry, action="approve_user"))
    conn.refresh_from_db()
    mark = log_mark()
    connector = UnimicroConnector(conn)
    try:
        with ops.count_queries() as queries:
            started = time.perf_counter()
            outbox.push_runs(connection=conn, connector=connector, limit=100, due_only=False)
            seconds = time.perf_counter() - started
        requests = connector.requests
    finally:
        connector.close()
    left = OutboxItem.objects.filter(
        connection=conn, entity="hour", status__in=[OutboxItem.Status.PENDING, "ambiguous"]
    ).count()
    failed = OutboxItem.objects.filter(connection=conn, entity="hour").exclude(
        status=OutboxItem.Status.DONE
    )
    if left or failed.exists():
        raise RuntimeError(
            f"{failed.count()} hours not pushed: {list(failed.values_list('last_error', flat=True)[:3])}"
        )
    calls, sandbox = log_since(mark)
    return Pushed(n, seconds, sandbox, requests, calls, entries, queries[0])


def hour_rows(conn: Any, place: Office, n: int, results: Any, say: Any) -> list:
    pushed = push_hours(conn, [place], n)
    batches = math.ceil(n / 100)
    # Once a run: the person's worker, its work relation, the project's customer.
    floor = n + 3 * batches
    creates = pushed.calls.get("POST biz/workitems", 0)
    say(
        f"  hour push: {n} hours, {pushed.requests} requests ({itemise(pushed.calls)}), "
        f"{ms(pushed.seconds)} (sandbox {ms(pushed.sandbox_seconds)})"
    )
    results.add(
        21,
        f"Unimicro: pushing {n} approved hours (one person, one project), requests",
        f"{pushed.requests} = {pushed.requests / n:.2f} an hour ({itemise(pushed.calls)}; "
        f"{creates} work items created)",
        f"floor {floor} ({n} creates + worker, relation, project's customer once a run of ≤ 100)",
        f"{pushed.requests / floor:.2f}",
        pushed.requests <= floor,
    )
    own = max(pushed.seconds - pushed.sandbox_seconds, 0.0)
    results.add(
        21,
        "Unimicro: hour push, time per hour",
        f"{pushed.seconds / n * 1000:.1f} ms (sandbox {pushed.sandbox_seconds / n * 1000:.1f} ms, "
        f"our side {own / n * 1000:.1f} ms; {pushed.queries / n:.1f} queries per hour)",
        "—",
    )
    return pushed.entries


def many_people_row(conn: Any, n: int, results: Any, say: Any) -> None:
    """Hours of 4 people on 2 projects in one push: each person's worker and relation and
    each project's customer looked up once a run."""
    people, projects = 4, 2
    places = [office(conn, person=2 + p, project_index=1 + p % projects) for p in range(people)]
    pushed = push_hours(conn, places, n)
    floor = n + (2 * people + projects) * math.ceil(n / 100)
    say(f"  hour push, {people} people on {projects} projects: {pushed.requests} requests")
    results.add(
        21,
        f"Unimicro: pushing {n} approved hours of {people} people on {projects} projects, requests",
        f"{pushed.requests} = {pushed.requests / n:.2f} an hour ({itemise(pushed.calls)})",
        f"floor {floor} ({n} creates + worker and relation per person, customer per project, "
        f"once a run)",
        f"{pushed.requests / floor:.2f}",
        pushed.requests <= floor,
    )


def order_rows(conn: Any, place: Office, entries: list, results: Any, say: Any) -> None:
    from apps.integrations.connectors.unimicro.connector import UnimicroConnector
    from apps.orders.services import order_create
    from apps.timesheets.models import TimeEntry

    current = list(TimeEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk"))
    conn.refresh_from_db()
    mark = log_mark()
    connector = UnimicroConnector(conn)
    try:
        started = time.perf_counter()
        order_create(
            connection=conn,
            actor=place.admin,
            entries=current,
            customer=place.project.customer,
            project=place.project,
            title="Bench order",
            connector=connector,
        )
        seconds = time.perf_counter() - started
        requests = connector.requests
    finally:
        connector.close()
    calls, sandbox = log_since(mark)
    products = len({e.work_type.product_number for e in current})
    floor = 3 + products  # the customer, each product, the order with its lines, register
    say(f"  order of {len(current)} hours: {requests} requests ({itemise(calls)}), {ms(seconds)}")
    results.add(
        22,
        f"Unimicro: creating an order of {len(current)} hours, requests",
        f"{requests} ({itemise(calls)}); {ms(seconds)} (sandbox {ms(sandbox)})",
        f"floor {floor} (customer, {products} product, the order with its lines, register); "
        f"≤ {floor + 1} with the look-up for an earlier attempt's order (kept: whether Unimicro "
        f"refuses a top-level `_createguid` twice is not documented, API-NOTES §8)",
        f"{requests / floor:.2f}",
        requests <= floor + 1,
    )


# ALL ROWS
# ------------------------------------------------------------------------------
def run(plan: Any, results: Any, say: Any = _say, *, base: str) -> None:
    from apps.sandbox.unimicro.dataset import SIZES, generate
    from apps.sandbox.unimicro.runtime import knobs_get

    knobs_get()
    sizes = [s for s in plan.sizes if s in SIZES] or ["S"]
    small = plan.small if plan.small in SIZES else sizes[0]
    large = plan.large if plan.large in SIZES else sizes[-1]
    pull_size = plan.pull if plan.pull in SIZES else large
    runs: dict[str, list[Round]] = {}
    for size in sizes:
        t0 = time.perf_counter()
        generate(size)
        say(
            f"== Unimicro size {size}: {SIZES[size]:,} customers ({time.perf_counter() - t0:.1f} s)"
        )
        reset_local()
        conn = make_connection(base)
        if size == pull_size:
            conn = full_pull_rows(conn, plan, results, size, say)
        else:
            first = pull_round(conn, full=True)
            say(f"  full pull {ms(first.total)}, {first.all_requests} requests")
        if size in (small, large):
            runs[size] = incremental(conn, plan)
            say(f"  unchanged incremental at {size}: {ms(median([r.total for r in runs[size]]))}")
        if size == small:
            place = office(conn)
            n = plan.push_hours if plan.push_hours < 20 else 100
            entries = hour_rows(conn, place, n, results, say)
            order_rows(conn, place, entries, results, say)
            many_people_row(conn, 8 if n < 20 else 40, results, say)
    if small in runs and large in runs:
        incremental_rows(results, runs, small, large)
