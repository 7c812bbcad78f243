"""Workers running the calendar rounds (reads, pushes of people's hours to their Microsoft 365
calendars) killed with SIGKILL at random moments while writes are in flight, and started
again — each restart after every access token was expired (so each new worker renews the
sign-in and rotates the refresh token the dead one left) and after the dead worker's lease
ran out. Between the kills the people go on registering, moving and deleting hours. After the
last worker: every entry with a start and stop is exactly one Tidsbro event with its times
(none doubled, none left behind by a deleted entry), every event was made once, no refresh
token was refused and the sign-in still works.

As test_unimicro_crash.py: workers are separate processes (`python -c` with django.setup())
on the same database as this test and the sandbox (`manage.py runserver`, here started with
the sandbox's https name); see `shared_db` in conftest.py. The sandbox's latency knob keeps a
write in flight when a worker dies.

Reproduce a failure with the seed printed in the output:
    TIDSBRO_CRASH_SEED=<seed> pytest tests/reliability/test_calendar_crash.py -s
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from django.utils import timezone

from apps.calendars.models import CalendarAccount, EntryEvent
from apps.calendars.providers import TIDSBRO_CATEGORY
from apps.sandbox.graph.models import Event, RequestLog
from apps.sandbox.graph.tokens import access_tokens_expire
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create, time_entry_delete, time_entry_update
from tests.calendars.engine import world as engine_world
from tests.integrations.graph import world as graph_world

from .calendar_world import (
    EVENTS_PATH,
    WRITES,
    Person,
    figures,
    hours_not_in_calendar,
    knobs,
    last_request_id,
    pending,
    people_make,
    revoked,
    rotations,
    rounds_until_quiet,
    settle,
    signs_in,
)
from .conftest import SharedDb, report, worker_env

SEED = int(os.environ.get("TIDSBRO_CRASH_SEED", "18"))
HOURS = 6  # per person before the first worker
KILLS = 3
LATENCY_MS = 250
OSLO = ZoneInfo("Europe/Oslo")
ROOT = Path(__file__).resolve().parents[2]

# The sandbox under runserver, its links under the https name MSAL needs (the connector
# routes that name to this server); notifications off: the workers' rounds are the point.
SERVER = """
import sys, django
django.setup()
from django.conf import settings
settings.SANDBOX_GRAPH = {
    **settings.SANDBOX_GRAPH, "BASE_URL": sys.argv[2], "NOTIFICATION_DELIVERY": "off"
}
from django.core.management import call_command
call_command("runserver", sys.argv[1], use_reloader=False, skip_checks=True)
"""

# A worker: the scheduler's job (`jobs.round_all`) until no account is due.
WORKER = """
import sys, django
django.setup()
from django.conf import settings
settings.GRAPH_ROUTE_TO = sys.argv[1] + "/sandbox/graph"
settings.TIDSBRO_BASE_URL = sys.argv[1]
from apps.calendars import jobs
while True:
    print(jobs.round_all(), flush=True)
    if not jobs.due_accounts().exists():
        break
"""


@pytest.fixture
def graph_server(shared_db: SharedDb, settings: Any) -> Iterator[str]:
    """The sandbox under `runserver` on the shared database; its base address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, f"127.0.0.1:{port}", graph_world.SANDBOX_NAME],
        cwd=str(ROOT),
        env=worker_env(shared_db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/sandbox/graph/v1.0/me", timeout=5)
                break
            except requests.RequestException:
                assert process.poll() is None, "runserver exited"
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)
        settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "BASE_URL": graph_world.SANDBOX_NAME}
        settings.GRAPH_ROUTE_FROM = graph_world.SANDBOX_NAME
        settings.GRAPH_ROUTE_TO = f"{base}/sandbox/graph"
        settings.GRAPH_LOGIN_BASE = f"{graph_world.SANDBOX_NAME}/login"
        settings.GRAPH_API_BASE = graph_world.SANDBOX_NAME
        settings.TIDSBRO_BASE_URL = base
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def start(db: SharedDb, base: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, base],
        cwd=str(ROOT),
        env=worker_env(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def writes() -> int:
    """Event writes the sandbox has answered (logged when answered)."""
    return (
        RequestLog.objects.filter(surface="graph", method__in=WRITES)
        .filter(path__regex=EVENTS_PATH)
        .count()
    )


def restart_due(account_ids: list[int]) -> None:
    """What the minutes before the next worker do: the dead worker's lease runs out, writes
    backing off are due, and every access token has expired."""
    past = timezone.now() - dt.timedelta(seconds=1)
    CalendarAccount.objects.filter(pk__in=account_ids).update(
        lease_until=past, last_synced_at=past - dt.timedelta(minutes=10)
    )
    EntryEvent.objects.filter(
        account_id__in=account_ids, push_status=EntryEvent.Push.PENDING
    ).update(next_attempt_at=past)


class Office:
    """People registering hours between the kills (seeded)."""

    def __init__(self, people: list[Person], rng: random.Random) -> None:
        self.people = people
        self.rng = rng
        self.n = 0
        self.created = 0
        self.deleted = 0
        self.moved = 0
        self.starts: set[tuple[int, dt.datetime]] = set()

    def _slot(self, person: Person) -> tuple[dt.datetime, dt.datetime]:
        today = engine_world.today()
        while True:
            day = today + dt.timedelta(days=self.rng.randint(-3, 10))
            start = dt.datetime.combine(
                day, dt.time(self.rng.randint(7, 16), 15 * self.rng.randint(0, 3)), tzinfo=OSLO
            )
            if (person.account_id, start) not in self.starts:
                self.starts.add((person.account_id, start))
                return start, start + dt.timedelta(minutes=15 * self.rng.randint(2, 8))

    def create(self, person: Person) -> None:
        self.n += 1
        self.created += 1
        start, end = self._slot(person)
        time_entry_create(
            actor=person.user,
            user=person.user,
            project=person.project,
            task=person.task if self.n % 3 == 0 else None,
            started_at=start,
            ended_at=end,
            description=f"Crash {SEED}-{self.n}",
        )

    def work(self) -> None:
        """A few changes while no worker runs: new hours, moved ones, a deleted one."""
        for person in self.people:
            self.create(person)
            entries = list(
                TimeEntry.objects.filter(user=person.user, started_at__isnull=False).order_by("pk")
            )
            entry = self.rng.choice(entries)
            start, end = self._slot(person)
            time_entry_update(
                actor=person.user, entry=entry, data={"started_at": start, "ended_at": end}
            )
            self.moved += 1
            if self.rng.random() < 0.5:
                time_entry_delete(actor=person.user, entry=self.rng.choice(entries))
                self.deleted += 1


def test_workers_killed_at_random_while_writing_hours_to_calendars(
    shared_db: SharedDb, graph_server: str, monkeypatch: Any
) -> None:
    from apps.calendars import services
    from apps.sandbox.graph.seed import seed

    started = time.monotonic()
    base = graph_server
    rng = random.Random(SEED)

    # Saved changes only mark the account for a round: the workers run them.
    def mark(account: Any, reason: str = "") -> bool:
        account_id = account if isinstance(account, int) else account.pk
        CalendarAccount.objects.filter(pk=account_id).update(pull_requested_at=timezone.now())
        return True

    monkeypatch.setattr(services, "request_round", mark)
    seed()
    graph_world.connection_make()
    _admin, people = people_make(graph_world.connect)
    account_ids = [p.account_id for p in people]
    office = Office(people, rng)
    for _ in range(HOURS):
        for person in people:
            office.create(person)
    first = last_request_id()
    rotations_before = rotations()
    knobs(latency_ms=LATENCY_MS, fault_rate=0.0)

    kills = []
    orphaned = 0
    for _ in range(KILLS):
        restart_due(account_ids)
        for person in people:
            access_tokens_expire(mailbox=person.mailbox)
        worker = start(shared_db, base)
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
        settle(quiet=0.3)  # the write the worker was waiting for is carried out meanwhile
        orphaned += writes() - kills[-1]  # answered to a dead worker
        office.work()

    # The last worker, left alone, finishes the backlog.
    restart_due(account_ids)
    for person in people:
        access_tokens_expire(mailbox=person.mailbox)
    knobs(latency_ms=0)
    worker = start(shared_db, base)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err[-3000:]
    settle()
    left = pending(account_ids)
    cycles = rounds_until_quiet(account_ids)
    settle()

    seen = figures(first)
    made = RequestLog.objects.filter(
        surface="graph", method="POST", http_status=201, path__regex=EVENTS_PATH
    ).count()
    ever = [
        e
        for e in Event.objects.filter(mailbox__user_principal_name__in=[p.email for p in people])
        if TIDSBRO_CATEGORY in (e.categories or [])
    ]
    wrong = [problem for person in people for problem in hours_not_in_calendar(person)]
    dead = list(
        EntryEvent.objects.filter(
            account_id__in=account_ids, push_status=EntryEvent.Push.DEAD
        ).values_list("entry_ref", "last_error")
    )
    health = {p.email: CalendarAccount.objects.get(pk=p.account_id).health for p in people}
    report(
        f"calendar crash seed={SEED}: {KILLS} workers killed after {kills} event writes were "
        f"answered ({orphaned} more answered after their worker died); {office.created} hours made, {office.moved} moved, {office.deleted} deleted "
        f"by {len(people)} people; {made} events created ({len(ever)} Tidsbro events ever), "
        f"{seen.line()}, refresh-token rotations {rotations() - rotations_before}, "
        f"{left} writes left after the last worker, quiet after {cycles} cycles, "
        f"seconds={time.monotonic() - started:.1f}"
    )
    assert wrong == []
    assert dead == []
    # Nothing doubled: no entry ever got a second event (nobody deleted one in Outlook).
    assert len(ever) == made <= office.created
    assert seen.refused_refresh == 0 and revoked() == 0, "a refresh token was refused"
    assert rotations() - rotations_before >= KILLS + 1  # each worker renewed the sign-in
    assert set(health.values()) == {"ok"}, health
    assert all(signs_in(p) for p in people)
    assert time.monotonic() - started < 60
