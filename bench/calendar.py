"""The calendar rows of the bench (Microsoft 365 calendars, issue 18): the Graph sandbox over
HTTP (the same gunicorn server, under its https name routed to it), people signed in through
the real sign-in (Tidsbro's OAuth start → the sandbox's sign-in and consent pages → Tidsbro's
callback → MSAL), the production engine (`sync.run_round`, `jobs.round_all`) and connector
driven from this process. Counted from the sandbox's request log (every identity and Graph
request, with its mailbox and its own time).

- C1 (row 23) one person's full first sync of a year of events (S 500, M 2,000, L 8,000; the
  person's "last synchronised" date a year before the window's end, so the whole year is in
  the window) against the floor: requests against the pages of the client's
  `odata.maxpagesize` (100), and time against the same delta GETs replayed with a plain
  `requests` session + JSON-decoded, plus `bulk_create` of the same `CalendarEvent` rows in
  one transaction. Pairs of sync and floor, median of the ratios.
- C2 (row 24) an unchanged delta round: requests (= 1: the access token is cached), time
  M/S (L/S with L), queries per round; and a round whose access token has expired (what the
  renewal costs).
- C3 (row 25) 200 people's rounds in one worker cycle (`jobs.round_all`), each with the
  sandbox's seeded small calendar: the first cycle after they connected, an unchanged cycle
  and a cycle where 20 of them changed one event each; total requests, requests and
  concurrency per mailbox against Graph's limits, wall time and time per person.
Ratios are reported, not asserted; tests/bench/test_harness.py pins the request counts.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from bench.harness import itemise, ms, say

# Events in the one person's year, per size (XS: --quick).
SIZES = {"XS": 150, "S": 500, "M": 2_000, "L": 8_000}
PEOPLE = 200
PEOPLE_QUICK = 5
CHANGED = 20
CHANGED_QUICK = 2
# Graph's limits for Outlook resources (API-NOTES; the sandbox's README).
LIMIT_PER_10_MIN = 10_000
LIMIT_CONCURRENT = 4
CYCLE = dt.timedelta(minutes=5)  # jobs.ROUND_EVERY: the worker's cadence


# THE SANDBOX'S REQUEST LOG
# ------------------------------------------------------------------------------
@dataclass
class Logged:
    calls: Counter = field(default_factory=Counter)
    per_mailbox: Counter = field(default_factory=Counter)
    sandbox_seconds: float = 0.0
    most_at_once: int = 0  # most requests in flight against one mailbox

    @property
    def total(self) -> int:
        return sum(self.calls.values())


def log_mark() -> int:
    from apps.sandbox.graph.models import RequestLog

    return RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _operation(method: str, path: str) -> str:
    tail = path.split("?")[0]
    tail = re.sub(r"^.*?/sandbox/graph", "", tail)
    tail = re.sub(r"^/login/[^/]+", "/login/{tenant}", tail)
    tail = re.sub(r"/(events|subscriptions)/[^/]+", r"/\1/{id}", tail)
    return f"{method} {tail}"


def log_since(mark: int) -> Logged:
    """The sandbox's requests after `mark`: per operation, per mailbox, its own time, and the
    most requests in flight at once against one mailbox (from each row's end and duration)."""
    from apps.sandbox.graph.models import RequestLog

    time.sleep(0.2)  # the last request's row is written as its answer leaves
    got = Logged()
    spans: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for method, path, mailbox, took, at in RequestLog.objects.filter(pk__gt=mark).values_list(
        "method", "path", "mailbox", "duration_ms", "created_at"
    ):
        got.calls[_operation(method, path)] += 1
        got.per_mailbox[mailbox or "-"] += 1
        got.sandbox_seconds += took / 1000
        end = at.timestamp()
        spans[mailbox or "-"].append((end - took / 1000, end))
    for box, rows in spans.items():
        if box == "-":
            continue
        edges = sorted([(a, 1) for a, _ in rows] + [(b, -1) for _, b in rows])
        now = 0
        for _, step in edges:
            now += step
            got.most_at_once = max(got.most_at_once, now)
    return got


# PEOPLE AND THEIR CALENDARS
# ------------------------------------------------------------------------------
def connection_make() -> Any:
    from apps.integrations.models import Connection
    from apps.sandbox.graph.runtime import tenant_id

    Connection.objects.filter(system="graph").delete()
    connection = Connection(system="graph", settings={"tenant": tenant_id(), "allow_write": True})
    connection.credentials_doc = {}
    connection.save()
    return connection


def person(email: str) -> Any:
    """A staff person who registers hours (may connect their calendar); no password (the
    bench logs them in with `force_login`: hashing 200 passwords would only cost time)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user_model = get_user_model()
    user = user_model.objects.filter(email=email).first()
    if user is None:
        user = user_model(email=email, first_name=email.split("@")[0].title())
        user.set_unusable_password()
        user.save()
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="timesheets", codename="add_timeentry")
    )
    return user


def sign_in(user: Any) -> Any:
    """The person's real sign-in (as tests/integrations/graph/world.connect walks it: OAuth
    start, the sandbox's sign-in and consent pages, the callback finishing through MSAL and
    `services.account_connect`); returns the saved CalendarAccount."""
    from django.test import Client

    from tests.integrations.graph import world

    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(user)
    return world.connect(user, client=browser)


def year_start() -> dt.date:
    """The "last synchronised" date that puts a whole year in the window: the window ends 14
    weeks after this Monday (common.wanted_window); a year of events from this day (weekend
    days moved to Monday) ends before it."""
    from django.utils import timezone

    from apps.calendars.common import WINDOW_AHEAD

    today = timezone.now().astimezone(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    return monday + WINDOW_AHEAD - dt.timedelta(days=368)


def year_person(size: str, events: int) -> tuple[Any, dt.date]:
    """A person whose mailbox holds a year of `events` seeded events, signed in, with their
    "last synchronised" date at the year's start; the first round (unmeasured) is left to
    the caller."""
    from apps.calendars.services import account_set_sync_from
    from apps.sandbox.graph.dataset import dataset
    from apps.sandbox.graph.seed import mailbox_for

    email = f"bench-year-{size.lower()}@tidsbro.no"
    box = mailbox_for("Bench", size, email, "Europe/Oslo")
    day = year_start()
    dataset(mailbox=box, events=events, start=day)
    user = person(email)
    account = sign_in(user)
    account_set_sync_from(actor=user, account=account, day=day)
    return account, day


def reset_first(account: Any, day: dt.date) -> None:
    """The account as right after connecting (nothing read yet, its "last synchronised" date
    set); the change subscription made by its first round is kept (not part of a sync)."""
    from apps.calendars.models import CalendarAccount, CalendarEvent

    CalendarEvent.objects.filter(account=account).delete()
    CalendarAccount.objects.filter(pk=account.pk).update(
        window_start=None,
        window_end=None,
        delta_link="",
        resync_link="",
        resync_window_start=None,
        resync_window_end=None,
        sync_from=day,
        full_sync_requested_at=None,
        pull_requested_at=None,
        last_synced_at=None,
    )


# ROUNDS
# ------------------------------------------------------------------------------
@dataclass
class Measured:
    seconds: float
    result: Any
    logged: Logged
    queries: int
    sent: list = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.sent)

    @property
    def calls(self) -> Counter:
        return sent_calls(self.sent)


@contextmanager
def recording():
    """Every HTTP request this process sends (requests' Session.send: the connector's
    session, MSAL's, which is the same session): [(method, url, headers)]."""
    import requests

    sent: list = []
    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        sent.append((request.method, request.url, dict(request.headers)))
        return original(self, request, **kwargs)

    requests.Session.send = send
    try:
        yield sent
    finally:
        requests.Session.send = original


def sent_calls(sent: list) -> Counter:
    return Counter(_operation(method, url) for method, url, _h in sent)


def one_round(account_id: int) -> Measured:
    """`sync.run_round` of one account, timed, its queries and the HTTP requests it sent."""
    from apps.calendars import sync
    from bench import ops

    mark = log_mark()
    with recording() as sent, ops.count_queries() as queries:
        started = time.perf_counter()
        result = sync.run_round(account_id, reason="bench")
        seconds = time.perf_counter() - started
    if result.error or result.skipped:
        raise RuntimeError(f"calendar round failed: {result.summary()}")
    return Measured(seconds, result, log_since(mark), queries[0], sent)


def replay(sent: list) -> float:
    """The same delta GETs with a plain session, JSON-decoded: the floor's fetching."""
    import requests

    session = requests.Session()
    session.trust_env = False
    started = time.perf_counter()
    for method, url, headers in sent:
        reply = session.request(method, url, headers=headers, timeout=60)
        if reply.status_code != 200:
            raise RuntimeError(f"the floor's replay got {reply.status_code} for {url[:120]}")
        json.loads(reply.content)
    seconds = time.perf_counter() - started
    session.close()
    return seconds


def bulk_insert(rows: list) -> float:
    """The floor's database part: the same rows bulk-inserted in one transaction."""
    from django.db import transaction

    def copy(obj: Any) -> Any:
        clone = type(obj)()
        for f in obj._meta.concrete_fields:
            setattr(clone, f.attname, getattr(obj, f.attname))
        return clone

    started = time.perf_counter()
    with transaction.atomic():
        type(rows[0]).objects.bulk_create([copy(o) for o in rows], batch_size=1000)
    return time.perf_counter() - started


def floor_pages(instances: int, page: int) -> int:
    """Pages of `page` items, the last carrying the delta link (one page when empty)."""
    return max(1, math.ceil(instances / page))


def is_delta(method: str, url: str) -> bool:
    return method == "GET" and "/calendarView/delta" in url


# ROW 23: A YEAR, FULL FIRST SYNC
# ------------------------------------------------------------------------------
def full_sync_rows(plan: Any, results: Any, say: Any, size: str) -> Any:
    from apps.calendars.models import CalendarEvent
    from apps.integrations.connectors.graph.client import PAGE_SIZE

    events = SIZES[size]
    t0 = time.perf_counter()
    account, day = year_person(size, events)
    say(f"  {events:,} events seeded, person signed in ({time.perf_counter() - t0:.1f} s)")
    first = one_round(account.pk)
    say(
        f"  first round after connecting: {ms(first.seconds)}, {first.requests} requests "
        f"({itemise(first.calls)})"
    )
    syncs: list[Measured] = []
    floors: list[float] = []
    ratios: list[float] = []
    own_ratios: list[tuple[float, float]] = []
    for r in range(max(plan.runs, 1)):
        reset_first(account, day)
        got = one_round(account.pk)
        rows = list(CalendarEvent.objects.filter(account=account).order_by("pk"))
        gets = [s for s in got.sent if is_delta(s[0], s[1])]
        mark = log_mark()
        fetch = replay(gets)
        fetch_sandbox = log_since(mark).sandbox_seconds
        CalendarEvent.objects.filter(account=account).delete()
        insert = bulk_insert(rows)
        floor = fetch + insert
        syncs.append(got)
        floors.append(floor)
        ratios.append(got.seconds / floor)
        # Our side only: minus the sandbox's own time for the same pages (its request log).
        ours = max(got.seconds - got.logged.sandbox_seconds, 1e-9)
        ours_floor = max(fetch - fetch_sandbox, 0.0) + insert
        own_ratios.append((ours, ours_floor))
        say(
            f"  full sync {r + 1}: {ms(got.seconds)}, {got.requests} requests, "
            f"{len(rows):,} rows; floor {ms(floor)} (same {len(gets)} GETs replayed "
            f"{ms(fetch)}, bulk insert {ms(insert)})"
        )
    sync = syncs[0]
    instances = len(rows)
    pages = floor_pages(instances, PAGE_SIZE)
    delta_gets = sum(n for op, n in sync.calls.items() if "calendarView/delta" in op)
    results.add(
        23,
        f"Calendar: one person's full first sync of a year at {size} ({events:,} events, "
        f"{instances:,} instances with the series' occurrences), requests",
        f"{sync.requests} ({itemise(sync.calls)}); delta pages {delta_gets}",
        f"floor {pages} (pages of {PAGE_SIZE}, the client's odata.maxpagesize)",
        f"{sync.requests / pages:.2f}",
        sync.requests <= pages,
    )
    ratio = median(ratios)
    results.add(
        23,
        f"Calendar: one person's full first sync of a year at {size}, time",
        f"{ms(median([s.seconds for s in syncs]))}; floor {ms(median(floors))} (the same "
        f"{pages} delta GETs replayed + JSON-decoded, no client, + bulk_create of the same "
        f"{instances:,} CalendarEvent rows in one transaction); {len(syncs)} runs; "
        f"{sync.queries:,} queries ({sync.queries / max(instances, 1):.3f} a row)",
        "≤ 1.5 × floor",
        f"{ratio:.2f}",
        ratio <= 1.5,
    )
    ours = median([a for a, _ in own_ratios])
    ours_floor = median([b for _, b in own_ratios])
    results.add(
        23,
        f"Calendar: one person's full first sync of a year at {size}, time of our side only "
        f"(minus the sandbox's own time for the pages, from its request log)",
        f"{ms(ours)}; floor {ms(ours_floor)} (the replay's client side + the bulk_create)",
        "—",
        f"{median([a / max(b, 1e-9) for a, b in own_ratios]):.2f}",
    )
    results.details.append(
        f"Calendar full sync at {size}: the first round after connecting (its sync plus the "
        f"change subscription) {ms(first.seconds)}, {itemise(first.calls)}; "
        f"the sandbox's own time in a full sync (median) "
        f"{ms(median([s.logged.sandbox_seconds for s in syncs]))}"
    )
    return account


# ROW 24: THE UNCHANGED ROUND
# ------------------------------------------------------------------------------
def unchanged_rounds(account: Any, plan: Any) -> list[Measured]:
    from bench import ops

    ops.settle_database()
    one_round(account.pk)  # not measured: the first after a full sync
    return [one_round(account.pk) for _ in range(max(plan.incremental_runs, 1))]


def renewal_round(account: Any, *, after_start: bool) -> Measured:
    """A round whose stored access token has expired (what a renewal costs): the first one
    after the process started (`after_start`: MSAL asks for the tenant's configuration,
    which the process then keeps an hour) or a later one."""
    from apps.calendars.models import CalendarAccount
    from apps.integrations.connectors.graph import auth

    if after_start:
        auth.forget_discovery()
    stored = CalendarAccount.objects.get(pk=account.pk)
    doc = stored.state_doc
    doc["access_expires_at"] = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
    stored.state_doc = doc
    stored.save(update_fields=["state", "updated_at"])
    return one_round(account.pk)


def unchanged_rows(
    results: Any,
    runs: dict[str, list[Measured]],
    small: str,
    large: str,
    renewal: tuple[Measured, Measured],
) -> None:
    worst = max(r.requests for rounds in runs.values() for r in rounds)
    calls: Counter = Counter()
    for rounds in runs.values():
        for r in rounds:
            calls.update(r.calls)
    n_rounds = sum(len(rounds) for rounds in runs.values())
    results.add(
        24,
        f"Calendar: unchanged delta round, requests (at {', '.join(runs)}; {n_rounds} rounds)",
        f"{worst} at most ({itemise(calls)} in all); no token request while the access token lives",
        "= 1",
        f"{worst}",
        worst == 1,
    )
    t_small = median([r.seconds for r in runs[small]])
    t_large = median([r.seconds for r in runs[large]])
    q = {size: median([r.queries for r in rounds]) for size, rounds in runs.items()}
    own = {
        size: median([max(r.seconds - r.logged.sandbox_seconds, 0.0) for r in rounds])
        for size, rounds in runs.items()
    }
    results.add(
        24,
        f"Calendar: unchanged delta round, time {large}/{small} "
        f"({SIZES[large]:,} / {SIZES[small]:,} events)",
        f"{ms(t_large)} / {ms(t_small)}; our side only {ms(own[large])} / {ms(own[small])}; "
        f"queries per round " + ", ".join(f"{size} {n:.0f}" for size, n in q.items()),
        "≤ 1.2",
        f"{t_large / t_small:.2f}",
        t_large / t_small <= 1.2,
    )
    first, later = renewal
    results.add(
        24,
        "Calendar: a round whose access token expired (renewal through MSAL)",
        f"{later.requests} requests ({itemise(later.calls)}); {ms(later.seconds)}; the first "
        f"after the process started {first.requests} ({itemise(first.calls)}; the tenant's "
        f"configuration is then kept an hour); {ms(first.seconds)}",
        "1 + the renewal (once an hour a person)",
    )


# ROW 25: 200 PEOPLE IN ONE WORKER CYCLE
# ------------------------------------------------------------------------------
@dataclass
class Cycle:
    seconds: float
    summary: str
    logged: Logged
    queries: int
    changed: int = 0
    sent: list = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.sent)

    @property
    def calls(self) -> Counter:
        return sent_calls(self.sent)


def cycle(accounts: list[Any]) -> Cycle:
    """`jobs.round_all` as the 5-minute job finds these accounts: their last round moved
    back past the cadence (the previous cycle ran seconds ago)."""
    from django.utils import timezone

    from apps.calendars import jobs
    from apps.calendars.models import CalendarAccount, CalendarEvent
    from bench import ops

    ids = [a.pk for a in accounts]
    CalendarAccount.objects.filter(pk__in=ids, last_synced_at__isnull=False).update(
        last_synced_at=timezone.now() - CYCLE - dt.timedelta(minutes=1)
    )
    before = dict(CalendarEvent.objects.filter(account_id__in=ids).values_list("pk", "change_key"))
    mark = log_mark()
    with recording() as sent, ops.count_queries() as queries:
        started = time.perf_counter()
        summary = jobs.round_all()
        seconds = time.perf_counter() - started
    after = dict(CalendarEvent.objects.filter(account_id__in=ids).values_list("pk", "change_key"))
    changed = sum(1 for pk, key in after.items() if before.get(pk) != key)
    return Cycle(seconds, summary, log_since(mark), queries[0], changed, sent)


def outlook_change(account: Any, n: int) -> None:
    """The person edits one of their events in Outlook (the sandbox's write path)."""
    from apps.sandbox.graph import events, ids
    from apps.sandbox.graph.models import Event, Mailbox

    box = Mailbox.objects.get(user_principal_name=account.account_email.lower())
    event = (
        Event.objects.filter(mailbox=box, is_all_day=False)
        .exclude(type=Event.Type.MASTER)
        .order_by("pk")
        .first()
    )
    events.event_update(
        mailbox=box,
        graph_id=ids.immutable_id(box.pk, str(event.pk)),
        data={"subject": f"{event.subject} (moved room {n})"},
    )


def people_rows(plan: Any, results: Any, say: Any, quick: bool) -> None:
    from apps.sandbox.graph.seed import calendar_seed, mailbox_for

    n = PEOPLE_QUICK if quick else PEOPLE
    n_changed = CHANGED_QUICK if quick else CHANGED
    t0 = time.perf_counter()
    accounts = []
    with recording() as sent:
        for i in range(n):
            email = f"bench-cal-{i + 1:03d}@tidsbro.no"
            box = mailbox_for("Bench", f"{i + 1:03d}", email, "Europe/Oslo")
            if not box.events.exists():
                calendar_seed(box)
            accounts.append(sign_in(person(email)))
    signed = sent_calls(sent)
    setup = time.perf_counter() - t0
    say(f"  {n} people signed in through the real sign-in in {setup:.1f} s ({len(sent)} requests)")
    first = cycle(accounts)
    say(f"  first cycle: {first.summary}; {ms(first.seconds)}, {first.requests} requests")
    unchanged = cycle(accounts)
    say(f"  unchanged cycle: {unchanged.summary}; {ms(unchanged.seconds)}")
    for k, account in enumerate(accounts[:n_changed]):
        outlook_change(account, k)
    changed = cycle(accounts)
    say(f"  cycle with {n_changed} changes: {changed.summary}; {ms(changed.seconds)}")

    def per_box(c: Cycle) -> int:
        return max(c.logged.per_mailbox.values(), default=0)

    for label, c, floor in (
        ("unchanged cycle", unchanged, n),
        (f"cycle with {n_changed} people's one event changed", changed, n),
    ):
        results.add(
            25,
            f"Calendar: {n} people in one worker cycle (jobs.round_all), {label}, requests",
            f"{c.requests} ({itemise(c.calls)}); {per_box(c)} a mailbox at most, "
            f"at most {c.logged.most_at_once} at once against one mailbox"
            + (f"; {c.changed} mirror rows changed" if c is changed else ""),
            f"floor {floor} (one delta GET a person); Graph: {LIMIT_PER_10_MIN:,} a mailbox "
            f"per 10 min, {LIMIT_CONCURRENT} at once",
            f"{c.requests / floor:.2f}",
            c.requests <= floor
            and per_box(c) * 2 <= LIMIT_PER_10_MIN
            and c.logged.most_at_once <= LIMIT_CONCURRENT,
        )
        results.add(
            25,
            f"Calendar: {n} people, {label}, wall time",
            f"{ms(c.seconds)} = {c.seconds / n * 1000:.1f} ms a person (sandbox "
            f"{c.logged.sandbox_seconds / n * 1000:.1f} ms; {c.queries / n:.1f} queries a "
            f"person); {c.summary}",
            f"< {CYCLE.seconds // 60} min (the cadence)",
            f"{c.seconds / CYCLE.total_seconds():.3f}",
            c.seconds < CYCLE.total_seconds(),
        )
    results.details.append(
        f"Calendar, {n} people: setup (unmeasured) ran the real sign-in for every person "
        f"({setup:.1f} s, {len(sent)} requests: {itemise(signed)}); the "
        f"first cycle after it (each person's first full round of the seeded calendar and "
        f"their change subscription) {ms(first.seconds)}, {first.requests} requests "
        f"({itemise(first.calls)}), {first.logged.most_at_once} at once against a "
        f"mailbox at most; at the 5-minute cadence a mailbox gets two cycles' requests in 10 "
        f"minutes (notification-driven rounds add one GET per change burst)"
    )


# ALL ROWS
# ------------------------------------------------------------------------------
def run(plan: Any, results: Any, say: Any = say, *, base: str) -> None:
    import logging

    from apps.calendars.models import CalendarAccount
    from apps.sandbox.graph.runtime import knobs_get
    from apps.sandbox.graph.seed import seed

    for name in ("axes", "django-q"):  # a line per sign-in and per queued round otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    quick = "XS" in plan.sizes
    seed()
    knobs_get()
    connection_make()
    sizes = ["XS"] if quick else [s for s in plan.sizes if s in SIZES] or ["S"]
    small, large = sizes[0], sizes[-1]
    pull = plan.pull if plan.pull in sizes else large
    runs: dict[str, list[Measured]] = {}
    renewal = None
    done = []
    for size in sizes:
        say(f"== Calendar size {size}: {SIZES[size]:,} events in a year")
        if size in (pull, "L"):  # the largest calendar's full sync too, when run
            account = full_sync_rows(plan, results, say, size)
        else:
            account, _day = year_person(size, SIZES[size])
            first = one_round(account.pk)
            say(f"  first round {ms(first.seconds)}, {first.requests} requests")
        runs[size] = unchanged_rounds(account, plan)
        say(f"  unchanged round at {size}: {ms(median([r.seconds for r in runs[size]]))}")
        if size == large:
            renewal = (
                renewal_round(account, after_start=True),
                renewal_round(account, after_start=False),
            )
        done.append(account.pk)
    unchanged_rows(results, runs, small, large, renewal)
    # The year people are not part of the 200 people's cycles.
    CalendarAccount.objects.filter(pk__in=done).delete()
    say(f"== Calendar: {PEOPLE_QUICK if quick else PEOPLE} people in one worker cycle")
    people_rows(plan, results, say, quick)
