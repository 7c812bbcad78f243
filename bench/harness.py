"""`make bench`: sync and admin performance of Tidsbro against the 24SO sandbox, measured.

    python -m bench                 # S + M on SQLite (DATABASE_URL=postgres://… for PostgreSQL)
    BENCH_L=1 python -m bench       # + L (1M hours; admin at 1M time entries)
    python -m bench --quick         # the harness itself on tiny data (the smoke test)

Every run uses a fresh throwaway database (a temporary SQLite file, or a new PostgreSQL
database next to DATABASE_URL's, dropped at the end), fills the sandbox with
`sandbox_24so_dataset`'s generator, serves it over real HTTP from a gunicorn process on a free
loopback port, and drives the production code (sync engine, connector, client, outbox,
services, admin, API) from this process. Each figure is the median of several runs; the table
gives the ratio to its target. See bench/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BUDGET_PER_HOUR = 7200


# THE THROWAWAY DATABASE AND THE SERVER
# ------------------------------------------------------------------------------
class ThrowawayDatabase:
    def __init__(self, url: str | None) -> None:
        self.url = url or ""
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.name = ""

    @property
    def vendor(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def create(self) -> dict[str, str]:
        if not self.url:
            self.tmp = tempfile.TemporaryDirectory(prefix="tidsbro-bench-")
            return {"SQLITE_PATH": str(Path(self.tmp.name) / "bench.sqlite3"), "DATABASE_URL": ""}
        import psycopg

        parts = urlsplit(self.url)
        base = parts.path.lstrip("/") or "postgres"
        self.name = f"{base}_run{os.getpid()}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{self.name}"))}

    def drop(self) -> None:
        if self.tmp is not None:
            self.tmp.cleanup()
        if self.name:
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    """gunicorn serving Tidsbro with the sandbox (local settings) on 127.0.0.1:port."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    import requests

    url = f"http://127.0.0.1:{port}/sandbox/24so/authenticate/v001/authenticate.asmx?wsdl"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the sandbox server did not start")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return server
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the sandbox server did not answer within 60 s")


# RESULTS
# ------------------------------------------------------------------------------
@dataclass
class Row:
    no: int
    name: str
    value: str
    target: str
    ratio: str
    ok: bool | None


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def add(
        self, no: int, name: str, value: str, target: str, ratio: str = "", ok: bool | None = None
    ) -> None:
        self.rows.append(Row(no, name, value, target, ratio, ok))
        say(f"  [{no}] {name}: {value} (target {target}) {ratio} {verdict(ok)}")

    def table(self) -> str:
        lines = [
            "| # | measurement | median | target | ratio | |",
            "|---|---|---|---|---|---|",
        ]
        for r in sorted(self.rows, key=lambda r: r.no):
            lines.append(
                f"| {r.no} | {r.name} | {r.value} | {r.target} | {r.ratio} | {verdict(r.ok)} |"
            )
        return "\n".join(lines)


def verdict(ok: bool | None) -> str:
    return {True: "ok", False: "MISSED", None: ""}[ok]


def say(text: str) -> None:
    print(text, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def itemise(calls: Counter) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(calls.items(), key=lambda kv: -kv[1]))


# THE PLAN
# ------------------------------------------------------------------------------
@dataclass
class Plan:
    sizes: list[str]
    small: str
    large: str
    pull: str
    rss: list[str]
    admin: str
    runs: int
    incremental_runs: int
    push_hours: int
    load_seconds: float
    load_threads: int
    workers: int


def plan_for(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(
            sizes=["XS"],
            small="XS",
            large="XS",
            pull="XS",
            rss=["XS"],
            admin="XS",
            runs=1,
            incremental_runs=1,
            push_hours=2,
            load_seconds=1.0,
            load_threads=2,
            workers=2,
        )
    with_l = args.large or os.environ.get("BENCH_L") == "1" or os.environ.get("SIZE") == "L"
    return Plan(
        sizes=["S", "M", "L"] if with_l else ["S", "M"],
        small="S",
        large="L" if with_l else "M",
        pull="M",
        rss=["M", "L"] if with_l else ["M"],
        admin="L" if with_l else "M",
        runs=args.runs,
        incremental_runs=max(args.runs, 7),  # cheap runs; medians of more settle the ratios
        push_hours=20,
        load_seconds=10.0,
        load_threads=4,
        workers=3,
    )


# MEASUREMENTS
# ------------------------------------------------------------------------------
def run_size(size: str, plan: Plan, results: Results, state: dict[str, Any], port: int) -> None:
    from apps.sandbox.twentyfourseven.dataset import SIZES, generate
    from bench import ops

    say(f"== size {size}: {SIZES[size]}")
    t0 = time.perf_counter()
    generate(size, progress=lambda text: None)
    say(f"  dataset written in {time.perf_counter() - t0:.1f} s")
    ops.reset_local()
    conn = ops.make_connection()

    if size == plan.pull:
        # The last sample is the RSS child's pull when this size's memory is measured too.
        full_pull_and_floor(conn, plan, results, state, size, rss=size in plan.rss)
    elif size in plan.rss:
        peak_rss(conn, results, size)  # a full pull from nothing in a child; leaves it pulled
    else:
        ops.reset_local()
        first = ops.pull(conn, full=True)
        say(f"  first full pull {ms(first.seconds)}, {sum(first.calls.values())} requests")
    if size in (plan.small, plan.large):
        incremental(conn, plan, state, size)
    if size == plan.small:
        hour_push(conn, plan, results)
    if size == plan.admin:
        admin_and_api(conn, plan, results, size, port)


def full_pull_and_floor(
    conn: Any, plan: Plan, results: Results, state: dict, size: str, *, rss: bool
) -> None:
    from bench import ops

    ops.install_recorder()
    # Pulls and floors alternate (pull, floor, floor, pull, floor, pull…) so that each pull is
    # compared with a floor measured next to it: on a shared machine the load drifts.
    pulls, samples, floors, ratios, own = [], [], [], [], []
    rows: dict = {}
    items: list = []

    def floor_run() -> tuple[float, float, float]:
        ops.reset_local()
        mark = ops.sandbox_mark()
        fetch = ops.replay_parse(conn, items)
        sandbox = ops.sandbox_seconds_since(mark)
        insert = ops.bulk_insert(rows)
        say(f"  floor: fetch+parse {ms(fetch)} (sandbox {ms(sandbox)}), bulk insert {ms(insert)}")
        return fetch, sandbox, insert

    def pull_run(r: int, child: bool) -> tuple[float, float]:
        ops.reset_local()
        mark = ops.sandbox_mark()
        if child:
            seconds = peak_rss(conn, results, size)  # leaves the size pulled
        else:
            ops.RECORDER.items.clear()
            ops.RECORDER.active = r == 0
            pulls.append(ops.pull(conn, full=True))
            ops.RECORDER.active = False
            seconds = pulls[-1].seconds
            per_type = ", ".join(f"{e} {ms(t)}" for e, t in pulls[-1].seconds_per_entity.items())
            say(f"  full pull {r + 1}: {ms(seconds)} ({pulls[-1].records} records; {per_type})")
        return seconds, ops.sandbox_seconds_since(mark)

    runs = max(plan.runs, 2 if rss else 1)
    for r in range(runs):
        last = r == runs - 1
        if r == 0:
            seconds, sandbox = pull_run(0, child=False)
            rows = ops.snapshot_rows()
            items = list(ops.RECORDER.items)
            floor = floor_run()
        else:
            floor = floor_run()
            seconds, sandbox = pull_run(r, child=rss and last)
        fetch, floor_sandbox, insert = floor
        samples.append(seconds)
        floors.append(fetch + insert)
        ratios.append(seconds / (fetch + insert))
        own.append((seconds - sandbox) / max(fetch - floor_sandbox + insert, 1e-9))
    if runs == 1 or not rss:
        ops.reset_local()
        ops.pull(conn, full=True)  # the size stays pulled for what follows
    real = ops.median(samples)
    floor = ops.median(floors)
    ratio = ops.median(ratios)
    first = pulls[0]
    n_rows = sum(len(v) for v in rows.values())
    results.add(
        1,
        f"Full pull at {size} (customers, work types, projects, tasks, users)",
        f"{ms(real)}; floor {ms(floor)} (same requests fetched + zeep-parsed, no DB, + bulk "
        f"insert of the same {n_rows:,} rows); {runs} pairs",
        "≤ 1.5 × floor",
        f"{ratio:.2f}",
        ratio <= 1.5,
    )
    results.add(
        1,
        f"Full pull at {size}, our side only (each minus the sandbox's own time)",
        f"ratio per pair: {', '.join(f'{x:.2f}' for x in own)}",
        "—",
        f"{ops.median(own):.2f}",
    )
    per = {
        entity: f"{ms(ops.median([p.seconds_per_entity[entity] for p in pulls]))}"
        for entity in ops.PULL_ENTITIES
    }
    results.details.append(
        f"Full pull at {size}, time per type (median): "
        + ", ".join(f"{e} {t}" for e, t in per.items())
    )
    total = sum(first.calls.values())
    results.add(
        5,
        f"Requests per full sync at {size}",
        f"{total:,} ({total / BUDGET_PER_HOUR:.0%} of the hourly budget)",
        f"≤ {BUDGET_PER_HOUR:,}/h",
        f"{total / BUDGET_PER_HOUR:.2f}",
        total <= BUDGET_PER_HOUR,
    )
    results.details.append(f"Requests per full sync at {size}, itemised: {itemise(first.calls)}")
    for entity, calls in first.per_entity.items():
        results.details.append(f"  - {entity}: {itemise(calls)}")
    state["pull_queries_per_record"] = first.queries / max(first.records, 1)
    state["pull_queries"] = (first.queries, first.records)


def peak_rss(conn: Any, results: Results, size: str) -> float:
    """Peak RSS of a child process doing one full pull from nothing; returns its seconds."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.rss", str(conn.pk)],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the RSS child failed:\n{out.stderr[-3000:]}")
    data = json.loads(out.stdout.strip().splitlines()[-1])
    target = 400
    results.add(
        9,
        f"Peak RSS of a full pull at {size}",
        f"{data['rss_peak_mb']:.0f} MB (process after start-up {data['rss_start_mb']:.0f} MB; "
        f"pull {data['seconds']:.1f} s, {data['records']:,} records)",
        f"≤ {target} MB at L",
        f"{data['rss_peak_mb'] / target:.2f}",
        data["rss_peak_mb"] <= target,
    )
    say(f"  full pull in a child process: {ms(data['seconds'])}, peak RSS {data['rss_peak_mb']} MB")
    return data["seconds"]


def incremental(conn: Any, plan: Plan, state: dict, size: str) -> None:
    from bench import ops

    def measured() -> tuple[Any, float]:
        """One incremental pull and the sandbox's own time for its requests."""
        mark = ops.sandbox_mark()
        result = ops.pull(conn, full=False)
        return result, ops.sandbox_seconds_since(mark)

    # The database as autovacuum leaves it after the bulk loads (else its work on the new
    # tables lands in the middle of the larger size's runs, on a 2-core machine).
    ops.settle_database()
    # Not measured: the first run after a full pull (it may log in again: the RSS child
    # process logged in with the same account, and 24SO keeps one session per login).
    ops.pull(conn, full=False)
    empty, changed, own = [], [], {"empty": [], "changed": []}
    for _ in range(plan.incremental_runs):
        result, sandbox = measured()
        empty.append(result)
        own["empty"].append(result.seconds - sandbox)
    for r in range(plan.incremental_runs):
        ops.erp_changes(r + 1)
        result, sandbox = measured()
        changed.append(result)
        own["changed"].append(result.seconds - sandbox)
    state.setdefault("incremental", {})[size] = (empty, changed)
    state.setdefault("incremental_own", {})[size] = own
    say(
        f"  incremental at {size}: empty {ms(ops.median([p.seconds for p in empty]))}, "
        f"10 changes {ms(ops.median([p.seconds for p in changed]))}"
    )


def incremental_rows(plan: Plan, results: Results, state: dict) -> None:
    from bench import ops

    runs = state["incremental"]
    small_empty, small_changed = runs[plan.small]
    large_empty, large_changed = runs[plan.large]
    worst = max(
        sum(p.per_entity[e].values())
        for p in (*small_empty, *large_empty)
        for e in ops.PULL_ENTITIES
    )
    per_type = {
        e: max(sum(p.per_entity[e].values()) for p in large_empty) for e in ops.PULL_ENTITIES
    }
    t_small = ops.median([p.seconds for p in small_empty])
    t_large = ops.median([p.seconds for p in large_empty])
    results.add(
        2,
        f"Empty incremental sync: requests per object type at {plan.large}",
        ", ".join(f"{e} {n}" for e, n in per_type.items())
        + f" (most: {worst})"
        + (
            "; projects: 24SO lists active and deactivated projects in two operations"
            if per_type.get("project") == 2
            else ""
        ),
        "≤ 1 per type",
        f"{worst:.0f}",
        worst <= 1,
    )
    results.add(
        2,
        f"Empty incremental sync: time {plan.large}/{plan.small}",
        f"{ms(t_large)} / {ms(t_small)}",
        "≤ 1.2",
        f"{t_large / t_small:.2f}",
        t_large / t_small <= 1.2,
    )
    c_small = ops.median([p.seconds for p in small_changed])
    c_large = ops.median([p.seconds for p in large_changed])
    results.add(
        3,
        f"Incremental with 10 changes: time {plan.large}/{plan.small}",
        f"{ms(c_large)} / {ms(c_small)}",
        "≤ 1.5",
        f"{c_large / c_small:.2f}",
        c_large / c_small <= 1.5,
    )
    own = state["incremental_own"]
    for no, kind, what in ((2, "empty", "Empty incremental sync"), (3, "changed", "10 changes")):
        small, large = ops.median(own[plan.small][kind]), ops.median(own[plan.large][kind])
        results.add(
            no,
            f"{what}: time {plan.large}/{plan.small}, our side only (minus the sandbox's time)",
            f"{ms(large)} / {ms(small)}",
            "—",
            f"{large / max(small, 1e-9):.2f}",
        )
    for size, (empty, changed) in runs.items():
        results.details.append(
            f"Empty incremental at {size}: {itemise(empty[-1].calls)}; "
            f"per type (median): "
            + ", ".join(
                f"{e} {ms(ops.median([p.seconds_per_entity[e] for p in empty]))}"
                for e in ops.PULL_ENTITIES
            )
        )
        results.details.append(f"10 changes at {size}: {itemise(changed[-1].calls)}")


def hour_push(conn: Any, plan: Plan, results: Results) -> None:
    from bench import ops

    result = ops.push_hours(conn, plan.push_hours)
    requests = sum(result.calls.values())
    own = max(result.seconds - result.sandbox_seconds, 0.0)
    results.add(
        4,
        "Hour push: requests per hour",
        f"{requests / result.hours:.2f} ({itemise(result.calls)}; {result.hours} hours)",
        "1.0",
        f"{requests / result.hours:.2f}",
        requests / result.hours <= 1.0,
    )
    results.add(
        4,
        "Hour push: time per hour excluding the sandbox",
        f"{own / result.hours * 1000:.1f} ms (total {result.seconds / result.hours * 1000:.1f} "
        f"ms, sandbox {result.sandbox_seconds / result.hours * 1000:.1f} ms)",
        "—",
    )
    results.add(
        8,
        "Queries per record: push",
        f"{result.queries / result.hours:.1f} per hour pushed",
        "constant, small",
    )


def admin_and_api(conn: Any, plan: Plan, results: Results, size: str, port: int) -> None:
    from apps.sandbox.twentyfourseven.dataset import SIZES
    from bench import ops

    n = SIZES[size].hours
    t0 = time.perf_counter()
    ids = ops.local_time_entries(n)
    say(f"  {n:,} local time entries written in {time.perf_counter() - t0:.1f} s")
    from django.test import Client

    from apps.accounts.models import User

    admin, _ = User.objects.get_or_create(
        email="bench-admin@tidsbro.no", defaults={"is_superuser": True, "is_staff": True}
    )
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True, is_active=True)
    admin.refresh_from_db()
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(admin)
    pages = {
        "Admin time entries, first page": "/admin/timesheets/timeentry/",
        "Admin time entries, filtered (status + user)": (
            f"/admin/timesheets/timeentry/?status__exact=user_approved&user__id__exact={ids['user']}"
        ),
        "API time-entry list, first page": "/api/v1/time-entries/",
        "API time-entry list, filtered (status + user)": (
            f"/api/v1/time-entries/?status=user_approved&user={ids['user']}"
        ),
    }
    for name, url in pages.items():
        t, queries, status = ops.time_page(browser, url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        results.add(
            6,
            f"{name} at {n:,} rows ({'PostgreSQL' if conn_vendor() == 'postgresql' else 'SQLite'})",
            f"{t * 1000:.0f} ms, {'/'.join(str(x) for x in sorted(queries))} queries",
            "≤ 150 ms, constant queries",
            f"{t / 0.150:.2f}",
            t <= 0.150 and len(queries) == 1,
        )

    week_browser = Client(HTTP_HOST="127.0.0.1")
    t, queries, status, hours = ops.week_page(week_browser)
    if status != 200:
        raise RuntimeError(f"the week view answered {status}")
    results.add(
        6,
        f"Admin week timesheet, a person with {hours:,} hours (5 years), "
        f"{'PostgreSQL' if conn_vendor() == 'postgresql' else 'SQLite'}",
        f"{t * 1000:.0f} ms, {'/'.join(str(x) for x in sorted(queries))} queries",
        "≤ 200 ms, constant queries",
        f"{t / 0.200:.2f}",
        t <= 0.200 and len(queries) == 1,
    )

    from apps.accounts.services import api_token_create

    _token, token_key = api_token_create(user=admin, name="bench")
    # The load run registers hours as the admin on this project: only members may.
    from apps.projects.models import Project
    from apps.projects.services import project_member_set

    project_member_set(project=Project.objects.get(pk=ids["project"]), user=admin)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.load",
            "--base",
            f"http://127.0.0.1:{port}",
            "--token",
            token_key,
            "--project",
            str(ids["project"]),
            "--work-type",
            str(ids["work_type"]),
            "--threads",
            str(plan.load_threads),
            "--seconds",
            str(plan.load_seconds),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"the load driver failed:\n{out.stderr[-3000:]}")
    load = json.loads(out.stdout.strip().splitlines()[-1])
    results.add(
        7,
        f"API load ({plan.workers} gunicorn workers, {load['threads']} client threads, "
        f"{load['seconds']} s, 3 lists : 1 create)",
        f"{load['throughput']} req/s; list p95 {load['list_p95_ms']} ms, create p95 "
        f"{load['create_p95_ms']} ms; {load['requests']} requests, {load['errors']} errors",
        "errors = 0",
        "",
        load["errors"] == 0,
    )
    if load["errors"]:
        results.details.append(f"Load errors: {load['first_errors']}")


def conn_vendor() -> str:
    from django.db import connection

    return connection.vendor


def queries_rows(results: Results, state: dict) -> None:
    queries, records = state["pull_queries"]
    results.add(
        8,
        "Queries per record: full pull",
        f"{queries / max(records, 1):.2f} ({queries:,} queries for {records:,} records)",
        "constant, < 1",
        "",
        queries / max(records, 1) < 1,
    )


# MACHINE
# ------------------------------------------------------------------------------
def machine() -> str:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            dbv = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("select sqlite_version()")
            dbv = f"SQLite {cursor.fetchone()[0]}"
    import django
    import lxml
    import zeep

    return (
        f"{os.cpu_count()} vCPU {cpu}, {mem} RAM; Python {platform.python_version()}, "
        f"Django {django.get_version()}, zeep {zeep.__version__}, lxml {lxml.__version__}; "
        f"{dbv} on loopback; sandbox served by gunicorn"
    )


# MAIN
# ------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 3)))
    parser.add_argument("--large", action="store_true", help="include size L")
    parser.add_argument("--quick", action="store_true", help="tiny data: checks the harness")
    parser.add_argument("--out", default=str(RESULTS), help="folder for the results file")
    parser.add_argument("--label", default="", help="added to the results file name")
    parser.add_argument(
        "--only",
        choices=["24so", "economic", "unimicro", "calendar"],
        help="only this system's rows (default: all)",
    )
    args = parser.parse_args(argv)
    plan = plan_for(args)
    # Stopped from outside: still stop the server and drop the throwaway database.
    signal.signal(signal.SIGTERM, _stop)

    database = ThrowawayDatabase(os.environ.get("DATABASE_URL"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/sandbox/24so"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "False",
            "TWENTYFOURSEVEN_API_BASE": base,
            "TWENTYFOURSEVEN_WEBSERVICES_BASE": base,
            # The bench measures requests; it must never wait for the hourly budget.
            "TWENTYFOURSEVEN_REQUESTS_PER_HOUR": "100000000",
            "SANDBOX_24SO_RATE_LIMIT_PER_HOUR": "100000000",
            "ECONOMIC_API_BASE": f"http://127.0.0.1:{port}/sandbox/economic",
            "SANDBOX_ECONOMIC_RATE_LIMIT": "100000000",
            "UNIMICRO_API_BASE": f"http://127.0.0.1:{port}/sandbox/unimicro",
            "UNIMICRO_ISSUER": f"http://127.0.0.1:{port}/sandbox/unimicro/identity",
            # The bench measures requests; webhook deliveries to nobody would only add load.
            "SANDBOX_UNIMICRO_WEBHOOK_DELIVERY": "off",
            # Microsoft 365 calendars: the sandbox's https name routed to this server (MSAL
            # takes https authorities only); Tidsbro's address for the sign-in's callback and
            # the change subscriptions' handshake. Notifications are not sent: the bench
            # drives the rounds, a delivery would only ask for more.
            "TIDSBRO_BASE_URL": f"http://127.0.0.1:{port}",
            "GRAPH_ROUTE_TO": f"http://127.0.0.1:{port}/sandbox/graph",
            "SANDBOX_GRAPH_NOTIFICATION_DELIVERY": "off",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "Q_WORKERS": "1",
        }
    )
    os.environ.update(database.create())
    if not os.environ.get("DATABASE_URL"):
        os.environ.pop("DATABASE_URL")
    sys.path.insert(0, str(ROOT))
    server = None
    started = time.perf_counter()
    try:
        import django

        django.setup()
        from django.core.management import call_command

        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        say(f"== {database.vendor}: fresh database migrated in {time.perf_counter() - t0:.1f} s")
        server = start_server(port, plan.workers)
        say(f"== sandbox served by gunicorn ({plan.workers} workers) on 127.0.0.1:{port}")
        results = Results()
        state: dict[str, Any] = {}
        if args.only in (None, "24so"):
            for size in plan.sizes:
                run_size(size, plan, results, state, port)
            incremental_rows(plan, results, state)
            queries_rows(results, state)
        if args.only in (None, "economic"):
            from bench import economic

            economic.run(plan, results, say)
        if args.only in (None, "unimicro"):
            from bench import unimicro

            unimicro.run(plan, results, say, base=f"http://127.0.0.1:{port}")
        if args.only in (None, "calendar"):
            from bench import calendar

            calendar.run(plan, results, say, base=f"http://127.0.0.1:{port}")
        elapsed = time.perf_counter() - started
        text = report(plan, results, elapsed, database.vendor)
        print()
        print(text)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        label = f"-{args.label}" if args.label else ""
        path = out / f"{datetime.now(UTC):%Y-%m-%d}-{database.vendor}{label}.md"
        path.write_text(text)
        say(f"\nwritten to {path}")
        return 0
    finally:
        if server is not None:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(10)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        database.drop()


def _stop(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def report(plan: Plan, results: Results, elapsed: float, vendor: str) -> str:
    sizes = ", ".join(plan.sizes)
    return "\n".join(
        [
            f"# Tidsbro benchmark — {vendor}, sizes {sizes}",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {elapsed / 60:.1f} min in all, "
            f"median of {plan.runs} runs per figure. Machine: {machine()}.",
            "",
            results.table(),
            "",
            "## Details",
            "",
            *[f"- {d}" if not d.startswith("  ") else d for d in results.details],
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
