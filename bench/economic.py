"""The e-conomic rows of the bench: customers pulled from the e-conomic sandbox over HTTP.

Per size (S 500, M 5,000, L 20,000 customers: `sandbox_economic_dataset`'s generator), against
the same gunicorn server as the 24SO rows:

- E1 full customer pull at M against its floor: the same GET requests replayed with a plain
  `requests` session and JSON-decoded (no client, no database), plus `bulk_create` of the
  same customers and bindings in one transaction. Target ≤ 1.5.
- E2 empty incremental: requests (= 1) and time L/S (≤ 1.2).
- E3 incremental with 10 customers changed in e-conomic: time L/S (≤ 1.5).

The Projects service (the dataset's employees, activities and projects in proportion: S 20/10/50,
M 100/20/500, L 300/40/2,000), synced after the customers, one engine run per type:

- 13 full pull at M per type and together, against the floor: the same GETs replayed and
  JSON-decoded, plus `bulk_create` of the same work types, projects and bindings (ids kept).
- 14 empty incremental: requests per type (= 1: employees and activities have no `lastUpdated`
  and are read whole, projects by `lastUpdated$gte`), and time L/S.
- 15 incremental with 10 records edited in e-conomic (4 projects, 3 activities, 3 employees):
  time L/S (≤ 1.5).
- 16 hour push (at S): hours registered, submitted and approved through the services, pushed
  by the outbox in one batch: time entries written per hour (= 1.0) and all requests per hour
  including e-conomic's approval (`POST TimeEntries/approve`, one per push batch: e-conomic's
  `isApproved` is read-only on a time entry).
- 17 orders of those hours (four an order) → draft invoices: requests per order.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

SIZES_ROWS = {"S": "S", "M": "M", "L": "L"}
# The Projects service's object types, in the order a sync runs them (after customers).
PROJECT_TYPES = ["user", "work_type", "project"]


@dataclass
class Pull:
    seconds: float
    requests: int
    fetched: int


def _say(text: str) -> None:
    print(text, flush=True)


def make_connection() -> Any:
    from apps.integrations.models import Connection, HourTransfer
    from apps.sandbox.economic import seed as sandbox_seed

    Connection.objects.filter(system="economic").delete()
    return Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings={
            "agreement_number": sandbox_seed.AGREEMENT_NUMBER,
            "company_name": "Bench ApS",
            "user_name": "Bench",
            "customer_group": 1,
            "payment_terms": 1,
            "vat_zone": 1,
            "currency": "DKK",
            "layout": 19,
            # The Project module's settings (the seeded agreement has the module).
            "project_module": True,
            "project_group": 1,
            "activity_group": 1,
            "integration_employee": 1,
        },
        connected=["customer", *PROJECT_TYPES, "hour"],
        masters={"customer": "both", "project": "both", "work_type": "both", "user": "erp"},
        hour_transfer=HourTransfer.ON_APPROVAL,
    )


def reset_local(conn: Any) -> None:
    """Forgets what a pull wrote (every local record the bench made, the 24SO rows' too), so
    the next full pull starts from nothing."""
    from bench import ops

    forget_orders()
    ops.reset_local()


def pull(conn: Any, *, full: bool, record: list | None = None, entity: str = "customer") -> Pull:
    """One sync of `entity` through the engine; `record` collects the GETs sent (the floor)."""
    import requests

    from apps.integrations.connectors.economic.connector import EconomicConnector
    from apps.integrations.models import SyncRun
    from apps.integrations.sync.engine import sync_entity

    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        if record is not None:
            record.append((request.method, request.url, dict(request.headers)))
        return original(self, request, **kwargs)

    connector = EconomicConnector(conn)
    requests.Session.send = send
    try:
        started = time.perf_counter()
        run = sync_entity(
            connection=conn, entity=entity, trigger="manual", full=full, connector=connector
        )
        seconds = time.perf_counter() - started
    finally:
        requests.Session.send = original
        connector.close()
    if run.status != SyncRun.Status.SUCCEEDED:
        raise RuntimeError(f"e-conomic {entity} pull failed: {run.error_text}")
    return Pull(seconds=seconds, requests=run.requests, fetched=run.fetched)


def floor(conn: Any, sent: list, rows: tuple[list, list]) -> tuple[float, float]:
    """The same requests replayed and decoded, then the same rows bulk-inserted."""
    import requests
    from django.db import transaction

    from apps.customers.models import Customer
    from apps.integrations.models import Binding

    session = requests.Session()
    started = time.perf_counter()
    for method, url, headers in sent:
        reply = session.request(method, url, headers=headers, timeout=60)
        json.loads(reply.content)
    fetch = time.perf_counter() - started
    session.close()
    reset_local(conn)
    customers, bindings = rows
    started = time.perf_counter()
    with transaction.atomic():
        made = Customer.objects.bulk_create([_copy(c) for c in customers], batch_size=1000)
        by_number = {c.number: c.pk for c in made}
        Binding.objects.bulk_create(
            [
                Binding(
                    connection=conn,
                    entity="customer",
                    local_id=by_number.get(number),
                    external_id=external_id,
                    snapshot=snapshot,
                    state=state,
                    synced_at=synced_at,
                    remote_changed_at=changed_at,
                )
                for number, external_id, snapshot, state, synced_at, changed_at in bindings
            ],
            batch_size=1000,
        )
    insert = time.perf_counter() - started
    return fetch, insert


def _copy(obj: Any) -> Any:
    clone = type(obj)()
    for field in obj._meta.concrete_fields:
        if not field.primary_key:
            setattr(clone, field.attname, getattr(obj, field.attname))
    return clone


def snapshot_rows(conn: Any) -> tuple[list, list]:
    from apps.customers.models import Customer
    from apps.integrations.models import Binding

    customers = list(Customer.objects.all())
    numbers = {c.pk: c.number for c in customers}
    bindings = [
        (
            numbers.get(b.local_id),
            b.external_id,
            b.snapshot,
            b.state,
            b.synced_at,
            b.remote_changed_at,
        )
        for b in Binding.objects.filter(connection=conn, entity="customer")
    ]
    return customers, bindings


def erp_changes(round_no: int, n: int = 10) -> None:
    """`n` customers edited in e-conomic (the sandbox's tables), stamped a second later."""
    from apps.sandbox.economic.models import Customer as ErpCustomer
    from apps.sandbox.economic.resources import now_to_second

    stamp = now_to_second() + timedelta(seconds=1)
    picked = list(ErpCustomer.objects.order_by("customer_number")[round_no * n : round_no * n + n])
    for customer in picked:
        customer.city = f"By {round_no}"
        customer.last_updated = stamp
    ErpCustomer.objects.bulk_update(picked, ["city", "last_updated"])
    # The next incremental run reads from its cursor on: wait out the second stamped.
    time.sleep(max(0.0, (stamp - now_to_second()).total_seconds()) + 1.05)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run(plan: Any, results: Any, say: Any = _say) -> None:
    """All e-conomic rows (appended to `results`)."""
    from apps.sandbox.economic.dataset import SIZES, generate
    from apps.sandbox.economic.runtime import knobs_get

    knobs_get()  # the sandbox's knobs row exists before the timed runs
    sizes = [s for s in plan.sizes if s in SIZES] or ["S"]
    small = plan.small if plan.small in SIZES else sizes[0]
    large = plan.large if plan.large in SIZES else sizes[-1]
    pull_size = plan.pull if plan.pull in SIZES else large
    incremental: dict[str, dict[str, list]] = {}
    project_runs: dict[str, dict[str, list[dict]]] = {}
    for size in sizes:
        generate(size)
        conn = make_connection()
        reset_local(conn)
        say(f"== e-conomic size {size}: {SIZES[size]:,} customers")
        if size == pull_size:
            ratios, samples, floors = [], [], []
            for r in range(max(plan.runs, 1)):
                reset_local(conn)
                sent: list = []
                first = pull(conn, full=True, record=sent)
                rows = snapshot_rows(conn)
                fetch, insert = floor(conn, sent, rows)
                reset_local(conn)
                again = pull(conn, full=True)
                seconds = median([first.seconds, again.seconds])
                samples.append(seconds)
                floors.append(fetch + insert)
                ratios.append(seconds / (fetch + insert))
                say(
                    f"  full pull {r + 1}: {seconds * 1000:.0f} ms ({first.fetched:,} customers, "
                    f"{first.requests} requests); floor fetch+decode {fetch * 1000:.0f} ms, "
                    f"bulk insert {insert * 1000:.0f} ms"
                )
            ratio = median(ratios)
            results.add(
                10,
                f"e-conomic: full customer pull at {size} ({SIZES[size]:,})",
                f"{median(samples) * 1000:.0f} ms; floor {median(floors) * 1000:.0f} ms (same "
                f"GETs replayed + JSON-decoded, no client or DB, + bulk insert of the customers "
                f"and bindings)",
                "≤ 1.5 × floor",
                f"{ratio:.2f}",
                ratio <= 1.5,
            )
        else:
            first = pull(conn, full=True)
            say(f"  full pull {first.seconds * 1000:.0f} ms, {first.requests} requests")
        if size in (small, large):
            pull(conn, full=False)  # not measured: the first after a full pull
            empty = [pull(conn, full=False) for _ in range(plan.incremental_runs)]
            changed = []
            for r in range(plan.incremental_runs):
                erp_changes(r)
                changed.append(pull(conn, full=False))
            incremental[size] = {"empty": empty, "changed": changed}
            say(
                f"  incremental at {size}: empty {median([p.seconds for p in empty]) * 1000:.0f} "
                f"ms, 10 changes {median([p.seconds for p in changed]) * 1000:.0f} ms"
            )
        # Employees, activities and projects (the Projects service), after the customers.
        if size == pull_size:
            full_project_pulls(conn, plan, results, size, say)
        else:
            reset_projects(conn)
            first_pulls = pull_projects(conn, full=True)
            say(
                "  full pull of employees, activities, projects: "
                + ", ".join(
                    f"{TYPE_LABELS[e]} {p.seconds * 1000:.0f} ms ({p.requests} requests)"
                    for e, p in first_pulls.items()
                )
            )
        if size in (small, large):
            project_runs[size] = project_incremental(conn, plan)
            say(
                f"  incremental at {size} (employees, activities, projects): empty "
                f"{median([total(r) for r in project_runs[size]['empty']]) * 1000:.0f} ms, "
                f"10 changes "
                f"{median([total(r) for r in project_runs[size]['changed']]) * 1000:.0f} ms"
            )
        if size == small:
            entries = hour_push_rows(conn, plan, results, say)
            order_rows(conn, entries, results, say)
    if small in project_runs and large in project_runs:
        project_incremental_rows(results, project_runs, small, large)
    if small not in incremental or large not in incremental:
        return
    worst = max(p.requests for s in (small, large) for p in incremental[s]["empty"])
    results.add(
        11,
        f"e-conomic: empty incremental customer sync, requests (at {small} and {large})",
        f"most requests in one run: {worst}",
        "= 1",
        f"{worst}",
        worst == 1,
    )
    for row, kind, what, target in (
        (11, "empty", "empty incremental", 1.2),
        (12, "changed", "incremental with 10 changes", 1.5),
    ):
        t_small = median([p.seconds for p in incremental[small][kind]])
        t_large = median([p.seconds for p in incremental[large][kind]])
        results.add(
            row,
            f"e-conomic: {what}, time {large}/{small}",
            f"{t_large * 1000:.0f} ms / {t_small * 1000:.0f} ms",
            f"≤ {target}",
            f"{t_large / t_small:.2f}",
            t_large / t_small <= target,
        )


# THE PROJECTS SERVICE: employees, activities and projects pulled; hours and orders pushed
# ------------------------------------------------------------------------------
TYPE_LABELS = {"user": "employees", "work_type": "activities", "project": "projects"}


def forget_orders() -> None:
    """Orders (and the hours they bill) hold their customer, project and connection: gone
    first, so the next size can start from nothing."""
    from apps.orders.models import Order, OrderLine
    from apps.timesheets.models import TimeEntry

    OrderLine.objects.all().delete()
    TimeEntry.objects.filter(order__isnull=False).delete()
    Order.objects.all().delete()


def reset_projects(conn: Any) -> None:
    """Forgets what a pull of employees, activities and projects wrote (customers stay)."""
    from apps.integrations.models import Binding, OutboxItem, SyncRun, Watermark
    from apps.projects.models import Project
    from apps.tasks.models import Task
    from apps.timesheets.models import TimeEntry
    from apps.worktypes.models import WorkType

    forget_orders()
    TimeEntry.objects.all().delete()
    for model in (Task, Project, WorkType):
        model.objects.all().delete()
    for model in (OutboxItem, Binding, Watermark, SyncRun):
        model.objects.filter(connection=conn, entity__in=[*PROJECT_TYPES, "hour"]).delete()


def project_rows(conn: Any) -> dict[str, list[tuple[type, list]]]:
    """What the pull wrote, per type: the local rows (with their ids) and the bindings."""
    from apps.integrations.models import Binding
    from apps.projects.models import Project
    from apps.worktypes.models import WorkType

    local = {"user": [], "work_type": [WorkType], "project": [Project]}
    return {
        entity: [(m, list(m.objects.all())) for m in local[entity]]
        + [(Binding, list(Binding.objects.filter(connection=conn, entity=entity)))]
        for entity in PROJECT_TYPES
    }


def replay(sent: list) -> float:
    """The same GETs again with a plain `requests` session, each JSON-decoded; seconds."""
    import requests

    session = requests.Session()
    session.trust_env = False
    started = time.perf_counter()
    for method, url, headers in sent:
        reply = session.request(method, url, headers=headers, timeout=60)
        json.loads(reply.content)
    seconds = time.perf_counter() - started
    session.close()
    return seconds


def project_floor(
    conn: Any, sent: dict[str, list], rows: dict[str, list]
) -> dict[str, tuple[float, float]]:
    """Per type: the same GETs replayed and decoded, then the same rows (ids kept, so the
    projects' references hold) bulk-inserted in one transaction."""
    from django.db import transaction

    fetched = {entity: replay(sent[entity]) for entity in PROJECT_TYPES}
    reset_projects(conn)
    floors = {}
    for entity in PROJECT_TYPES:
        started = time.perf_counter()
        with transaction.atomic():
            for model, objs in rows[entity]:
                model.objects.bulk_create(objs, batch_size=1000)
        floors[entity] = (fetched[entity], time.perf_counter() - started)
    return floors


def pull_projects(conn: Any, *, full: bool, sent: dict[str, list] | None = None) -> dict:
    """Employees, activities and projects synced in turn (one run each), as a scheduled
    sync does after customers."""
    return {
        entity: pull(conn, full=full, entity=entity, record=None if sent is None else sent[entity])
        for entity in PROJECT_TYPES
    }


def full_project_pulls(conn: Any, plan: Any, results: Any, size: str, say: Any) -> None:
    """Row 13: each type's full pull against its floor (pulls and floors in pairs)."""
    from apps.sandbox.economic.dataset import PROJECT_SIZES

    counts = dict(zip(PROJECT_TYPES, PROJECT_SIZES[size][::-1], strict=True))
    seconds: dict[str, list[float]] = {e: [] for e in PROJECT_TYPES}
    floors: dict[str, list[float]] = {e: [] for e in PROJECT_TYPES}
    ratios: dict[str, list[float]] = {e: [] for e in ["all", *PROJECT_TYPES]}
    totals: tuple[list[float], list[float]] = ([], [])
    own: list[float] = []  # together, each side minus the sandbox's own time (request log)
    first: dict = {}
    for r in range(max(plan.runs, 1)):
        reset_projects(conn)
        sent: dict[str, list] = {e: [] for e in PROJECT_TYPES}
        mark = _log_mark()
        first = pull_projects(conn, full=True, sent=sent)
        sandbox_first = _log_since(mark)[1]
        rows = project_rows(conn)
        mark = _log_mark()
        floor_times = project_floor(conn, sent, rows)
        sandbox_floor = _log_since(mark)[1]
        reset_projects(conn)
        mark = _log_mark()
        again = pull_projects(conn, full=True)
        sandbox_again = _log_since(mark)[1]
        own.append(
            median([total(first) - sandbox_first, total(again) - sandbox_again])
            / max(sum(f + i for f, i in floor_times.values()) - sandbox_floor, 1e-9)
        )
        pair_pull = pair_floor = 0.0
        for entity in PROJECT_TYPES:
            took = median([first[entity].seconds, again[entity].seconds])
            fetch, insert = floor_times[entity]
            seconds[entity].append(took)
            floors[entity].append(fetch + insert)
            ratios[entity].append(took / (fetch + insert))
            pair_pull += took
            pair_floor += fetch + insert
        totals[0].append(pair_pull)
        totals[1].append(pair_floor)
        ratios["all"].append(pair_pull / pair_floor)
        say(
            f"  full pull {r + 1} of employees, activities, projects: "
            + ", ".join(
                f"{TYPE_LABELS[e]} {seconds[e][-1] * 1000:.0f} ms (floor "
                f"{floors[e][-1] * 1000:.0f} ms, {first[e].fetched:,} records, "
                f"{first[e].requests} requests)"
                for e in PROJECT_TYPES
            )
        )
    ratio = median(ratios["all"])
    results.add(
        13,
        f"e-conomic: full pull at {size} of employees, activities and projects together "
        f"({counts['user']:,} / {counts['work_type']:,} / {counts['project']:,})",
        f"{median(totals[0]) * 1000:.0f} ms; floor {median(totals[1]) * 1000:.0f} ms (same "
        f"GETs replayed + JSON-decoded, no client or DB, + bulk insert of the work types, "
        f"projects and bindings)",
        "≤ 1.5 × floor",
        f"{ratio:.2f}",
        ratio <= 1.5,
    )
    results.add(
        13,
        f"e-conomic: full pull at {size} of employees, activities and projects, our side only "
        f"(each minus the sandbox's own time)",
        f"ratio per pair: {', '.join(f'{x:.2f}' for x in own)}",
        "—",
        f"{median(own):.2f}",
    )
    for entity in PROJECT_TYPES:
        ratio = median(ratios[entity])
        results.add(
            13,
            f"e-conomic: full pull at {size}, {TYPE_LABELS[entity]} "
            f"({first[entity].fetched:,}, {first[entity].requests} request"
            f"{'s' if first[entity].requests != 1 else ''})",
            f"{median(seconds[entity]) * 1000:.0f} ms; floor "
            f"{median(floors[entity]) * 1000:.0f} ms",
            "≤ 1.5 × floor",
            f"{ratio:.2f}",
            ratio <= 1.5,
        )


def erp_project_changes(round_no: int, n: int = 10) -> dict[str, int]:
    """`n` records edited in e-conomic (the sandbox's tables): projects, activities and
    employees by turns (4/3/3 of 10), exactly `n` at every size (the choice wraps around).

    The projects changed by earlier rounds are moved back past the overlap first, as the
    next hourly run would find them (rounds seconds apart would re-read them all)."""
    from apps.integrations.connectors.economic.rules import OVERLAP
    from apps.sandbox.economic.models import Activity, Employee, Project, next_version
    from apps.sandbox.economic.resources import now_to_second
    from apps.sandbox.economic.seed import AGREEMENT_NUMBER

    now = now_to_second()
    stamp = now + timedelta(seconds=1)
    mine = {"agreement__agreement_number": AGREEMENT_NUMBER}
    Project.objects.filter(**mine, last_updated__gt=now - timedelta(minutes=10)).update(
        last_updated=now - OVERLAP - timedelta(hours=1)
    )
    shares = {"project": n - 2 * (n // 3), "work_type": n // 3, "user": n // 3}
    changed = {}
    for entity, model in (("project", Project), ("work_type", Activity), ("user", Employee)):
        rows = list(model.objects.filter(**mine).order_by("number"))
        k = round_no * shares[entity]
        picked = [rows[(k + i) % len(rows)] for i in range(shares[entity])] if rows else []
        for row in picked:
            base = row.name.split(" · ")[0]
            row.name = f"{base} · {round_no}"[:100]
            row.object_version = next_version(row.object_version)
            fields = ["name", "object_version"]
            if entity == "project":
                row.last_updated = stamp
                fields.append("last_updated")
            row.save(update_fields=fields)
        changed[entity] = len(picked)
    # The next incremental run reads from its cursor on: wait out the second stamped.
    time.sleep(max(0.0, (stamp - now_to_second()).total_seconds()) + 1.05)
    return changed


def project_incremental(conn: Any, plan: Any) -> dict[str, list[dict]]:
    """Empty incremental runs, then runs after 10 changes each (medians of several)."""
    from bench import ops

    ops.settle_database()
    pull_projects(conn, full=False)  # not measured: the first after a full pull
    empty = [pull_projects(conn, full=False) for _ in range(plan.incremental_runs)]
    changed = []
    for r in range(plan.incremental_runs):
        erp_project_changes(r)
        changed.append(pull_projects(conn, full=False))
    return {"empty": empty, "changed": changed}


def total(run: dict) -> float:
    return sum(p.seconds for p in run.values())


def project_incremental_rows(
    results: Any, runs: dict[str, dict[str, list[dict]]], small: str, large: str
) -> None:
    """Rows 14 and 15 from `project_incremental`'s runs at the small and the large size."""
    worst = {
        e: max(run[e].requests for s in (small, large) for run in runs[s]["empty"])
        for e in PROJECT_TYPES
    }
    most = max(worst.values())
    results.add(
        14,
        f"e-conomic: empty incremental, requests per type (employees, activities, projects; "
        f"at {small} and {large})",
        ", ".join(f"{TYPE_LABELS[e]} {n}" for e, n in worst.items()) + f" (most: {most})",
        "= 1 per type",
        f"{most}",
        most == 1,
    )
    t_small = median([total(run) for run in runs[small]["empty"]])
    t_large = median([total(run) for run in runs[large]["empty"]])
    results.add(
        14,
        f"e-conomic: empty incremental of employees, activities and projects, time {large}/{small}",
        f"{t_large * 1000:.0f} ms / {t_small * 1000:.0f} ms (per type at {large}: "
        + ", ".join(
            f"{TYPE_LABELS[e]} {median([run[e].seconds for run in runs[large]['empty']]) * 1000:.0f}"
            f" ms"
            for e in PROJECT_TYPES
        )
        + ")",
        "≤ 1.2",
        f"{t_large / t_small:.2f}",
        t_large / t_small <= 1.2,
    )
    c_small = median([total(run) for run in runs[small]["changed"]])
    c_large = median([total(run) for run in runs[large]["changed"]])
    requests = max(sum(p.requests for p in run.values()) for run in runs[large]["changed"])
    results.add(
        15,
        f"e-conomic: incremental with 10 changes (4 projects, 3 activities, 3 employees), "
        f"time {large}/{small}",
        f"{c_large * 1000:.0f} ms / {c_small * 1000:.0f} ms ({requests} requests a run at "
        f"{large}; per type at {large}: "
        + ", ".join(
            f"{TYPE_LABELS[e]} "
            f"{median([run[e].seconds for run in runs[large]['changed']]) * 1000:.0f} ms"
            for e in PROJECT_TYPES
        )
        + ")",
        "≤ 1.5",
        f"{c_large / c_small:.2f}",
        c_large / c_small <= 1.5,
    )
    for size in dict.fromkeys((small, large)):
        for kind, what in (("empty", "empty incremental"), ("changed", "10 changes")):
            results.details.append(
                f"e-conomic {what} at {size}, per type (median): "
                + ", ".join(
                    f"{TYPE_LABELS[e]} "
                    f"{median([run[e].seconds for run in runs[size][kind]]) * 1000:.0f} ms "
                    f"({max(run[e].requests for run in runs[size][kind])} request, "
                    f"{max(run[e].fetched for run in runs[size][kind]):,} records read)"
                    for e in PROJECT_TYPES
                )
            )


def _log_mark() -> int:
    from apps.sandbox.economic.models import RequestLog

    return RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _log_since(mark: int) -> tuple[Counter, float]:
    """The sandbox's requests after `mark` (by method and path, numbers as {n}) and its own
    time for them (its request log's `duration_ms`)."""
    from apps.sandbox.economic.models import RequestLog

    time.sleep(0.2)  # the last request's log row is written as its answer leaves
    calls: Counter = Counter()
    took = 0
    for method, path, duration in RequestLog.objects.filter(pk__gt=mark).values_list(
        "method", "path", "duration_ms"
    ):
        # /sandbox/economic/[<service>api/v<x.y.z>]/<path>: the path as the service names it
        tail = re.sub(r"^.*?/sandbox/economic(/\w+api/v[\d.]+)?", "", path.split("?")[0])
        calls[f"{method} {re.sub(r'/[0-9]+', '/{n}', tail)}"] += 1
        took += duration
    return calls, took / 1000


def itemise(calls: Counter) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items(), key=lambda kv: -kv[1]))


@dataclass
class Pushed:
    hours: int
    seconds: float
    sandbox_seconds: float
    requests: int
    calls: Counter
    approved: int
    entries: list
    http_seconds: float
    queries: int


def push_hours(conn: Any, n: int) -> Pushed:
    """`n` hours registered, submitted and approved through the services, then pushed by the
    outbox (one batch), as the connection's transfer mode "on approval" does."""
    from apps.accounts.models import User
    from apps.integrations.connectors.economic.connector import EconomicConnector
    from apps.integrations.models import Binding, OutboxItem
    from apps.integrations.sync import outbox
    from apps.projects.models import Project
    from apps.projects.services import project_member_set
    from apps.sandbox.economic.models import Employee
    from apps.sandbox.economic.models import TimeEntry as ErpTimeEntry
    from apps.sandbox.economic.seed import AGREEMENT_NUMBER
    from apps.timesheets.services import time_entry_create, time_entry_transition
    from apps.worktypes.models import WorkType
    from bench import ops

    outbox.kick = lambda connection_id: None  # the bench drives the push, not the worker
    employee = Employee.objects.get(agreement__agreement_number=AGREEMENT_NUMBER, number=2)
    user, _ = User.objects.get_or_create(email=employee.email, defaults={"first_name": "Bench"})
    admin, _ = User.objects.get_or_create(
        email="bench-admin@tidsbro.no", defaults={"is_superuser": True, "is_staff": True}
    )
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True, is_active=True)
    admin.refresh_from_db()
    Binding.objects.filter(connection=conn, entity="user", local_id=user.pk).exclude(
        external_id=str(employee.number)
    ).update(local_id=None, state=Binding.State.REMOTE_ONLY)
    Binding.objects.filter(connection=conn, entity="user", external_id=str(employee.number)).update(
        local_id=user.pk, state=Binding.State.LINKED
    )
    bound = Binding.objects.filter(connection=conn, entity="project", local_id__isnull=False)
    project = (
        Project.objects.filter(
            pk__in=bound.values("local_id"),
            status=Project.Status.ACTIVE,
            customer__isnull=False,
        )
        .order_by("number")
        .first()
    )
    if project is None:
        raise RuntimeError("no active e-conomic project with a customer was pulled")
    Project.objects.filter(pk=project.pk).update(needs_approval=False)
    project.refresh_from_db()
    work_type = WorkType.objects.get(
        pk=Binding.objects.get(connection=conn, entity="work_type", external_id="1").local_id
    )
    # The office's product for the work type (orders bill it): set as a person would, without
    # a push of the work type (it is not what is measured).
    WorkType.objects.filter(pk=work_type.pk).update(product_number="1010", price=Decimal("1450.00"))
    work_type.refresh_from_db()
    project_member_set(project=project, user=user)  # only members register hours
    entries = []
    for i in range(n):
        entry = time_entry_create(
            actor=user,
            project=project,
            work_type=work_type,
            hours=Decimal("1.50"),
            date=date.today() - timedelta(days=1 + i % 20),
            description=f"Bench {i}",
        )
        entry = time_entry_transition(actor=user, entry=entry, action="submit")
        entries.append(time_entry_transition(actor=admin, entry=entry, action="approve_user"))
    waiting = OutboxItem.objects.filter(
        connection=conn, entity="hour", status=OutboxItem.Status.PENDING
    ).count()
    if waiting != n:
        raise RuntimeError(f"{waiting} hours waiting to be pushed, expected {n}")
    before = ErpTimeEntry.objects.filter(is_approved=True).count()
    mark = _log_mark()
    waited: list[int] = []  # each request's time as the client saw it (ms)
    connector = EconomicConnector(conn, on_request=lambda call: waited.append(call.duration_ms))
    try:
        with ops.count_queries() as queries:
            started = time.perf_counter()
            while outbox.push_pending(connection=conn, connector=connector, limit=100):
                pass
            seconds = time.perf_counter() - started
        requests = connector.requests
    finally:
        connector.close()
    left = OutboxItem.objects.filter(
        connection=conn,
        entity="hour",
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS],
    ).count()
    if left:
        raise RuntimeError(f"{left} hours were not pushed")
    calls, sandbox = _log_since(mark)
    return Pushed(
        hours=n,
        seconds=seconds,
        sandbox_seconds=sandbox,
        requests=requests,
        calls=calls,
        approved=ErpTimeEntry.objects.filter(is_approved=True).count() - before,
        entries=entries,
        http_seconds=sum(waited) / 1000,
        queries=queries[0],
    )


def hour_push_rows(conn: Any, plan: Any, results: Any, say: Any) -> list:
    """Row 16; returns the hours pushed (row 17 bills them)."""
    pushed = push_hours(conn, plan.push_hours)
    n = pushed.hours
    creates = pushed.calls.get("POST /TimeEntries", 0)
    say(
        f"  hour push: {n} hours, {pushed.requests} requests ({itemise(pushed.calls)}), "
        f"{pushed.seconds * 1000:.0f} ms (sandbox {pushed.sandbox_seconds * 1000:.0f} ms)"
    )
    results.add(
        16,
        "e-conomic: hour push, time entries written per hour (POST TimeEntries)",
        f"{creates / n:.2f} ({creates} for {n} hours approved here)",
        "1.0",
        f"{creates / n:.2f}",
        creates == n,
    )
    results.add(
        16,
        "e-conomic: hour push, all requests per hour (with e-conomic's approval)",
        f"{pushed.requests / n:.2f} ({itemise(pushed.calls)}; {n} hours in one push batch, "
        f"{pushed.approved} approved in e-conomic)",
        "1.0",
        f"{pushed.requests / n:.2f}",
        pushed.requests / n <= 1.0,
    )
    own = max(pushed.seconds - pushed.sandbox_seconds, 0.0)
    outside = max(pushed.seconds - pushed.http_seconds, 0.0)
    results.add(
        16,
        "e-conomic: hour push, time per hour excluding the sandbox",
        f"{own / n * 1000:.1f} ms (total {pushed.seconds / n * 1000:.1f} ms, sandbox "
        f"{pushed.sandbox_seconds / n * 1000:.1f} ms as its request log times it; outside the "
        f"HTTP calls as the client times them {outside / n * 1000:.1f} ms; "
        f"{pushed.queries / n:.1f} queries per hour)",
        "—",
    )
    # The other end: each hour approved alone and pushed before the next is approved (a
    # worker picking up every approval's kick at once): a push batch per hour.
    alone = [push_hours(conn, 1) for _ in range(min(3, plan.push_hours))]
    requests = sum(p.requests for p in alone)
    calls = sum((p.calls for p in alone), Counter())
    results.add(
        16,
        "e-conomic: hour push, all requests per hour when each hour is approved and pushed alone",
        f"{requests / len(alone):.2f} ({itemise(calls)}; {len(alone)} hours, a push batch each)",
        "1.0",
        f"{requests / len(alone):.2f}",
        requests <= len(alone),
    )
    return pushed.entries


def order_rows(conn: Any, entries: list, results: Any, say: Any) -> None:
    """Row 17: orders of the pushed hours become draft invoices (four hours an order)."""
    from apps.accounts.models import User
    from apps.integrations.connectors.economic.connector import EconomicConnector
    from apps.orders.services import order_create
    from apps.sandbox.economic.models import DraftInvoice, DraftInvoiceLine
    from apps.timesheets.models import TimeEntry

    admin = User.objects.get(email="bench-admin@tidsbro.no")
    current = list(TimeEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk"))
    groups = [current[i : i + 4] for i in range(0, len(current), 4)]
    drafts_before = DraftInvoice.objects.count()
    lines_before = DraftInvoiceLine.objects.count()
    mark = _log_mark()
    waited: list[int] = []  # each request's time as the client saw it (ms)
    connector = EconomicConnector(conn, on_request=lambda call: waited.append(call.duration_ms))
    try:
        started = time.perf_counter()
        for k, group in enumerate(groups):
            order_create(
                connection=conn,
                actor=admin,
                entries=group,
                customer=group[0].project.customer,
                project=group[0].project,
                title=f"Bench order {k}",
                connector=connector,
            )
        seconds = time.perf_counter() - started
        requests = connector.requests
    finally:
        connector.close()
    calls, sandbox = _log_since(mark)
    drafts = DraftInvoice.objects.count() - drafts_before
    lines = DraftInvoiceLine.objects.count() - lines_before
    orders = len(groups)
    say(
        f"  orders: {orders} → {drafts} draft invoices, {lines} lines, {requests} requests "
        f"({itemise(calls)}), {seconds * 1000:.0f} ms"
    )
    results.add(
        17,
        "e-conomic: order → draft invoice, requests per order",
        f"{requests / orders:.2f} ({itemise(calls)}; {orders} orders of up to 4 hours → "
        f"{drafts} drafts, {lines} lines, none booked); {seconds / orders * 1000:.0f} ms an "
        f"order (sandbox {sandbox / orders * 1000:.0f} ms; outside the HTTP calls "
        f"{max(seconds - sum(waited) / 1000, 0) / orders * 1000:.0f} ms)",
        "3 (customer, draft, lines)",
        f"{requests / orders:.2f}",
        requests <= 3 * orders and drafts == orders and lines == len(current),
    )
    forget_orders()
