"""The benchmark harness works and pins the request counts: `python -m bench --quick` on tiny
data prints and writes every row, once for all three tests of this file.

Benchmarks are not part of the test run; this runs the whole harness once on the XS plan (a
fresh throwaway database, the sandbox over gunicorn, every measurement: 24SO, e-conomic, the
Unimicro S dataset of 500 customers, a year of 150 calendar events for one person and 5 people
in the calendar's worker cycle, everyone signed in through the real sign-in). The request
counts a user's budget and the systems' limits depend on are pinned; times are reported, never
asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(what `python -m bench --quick` printed, the table it wrote)."""
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out), "--label", "smoke"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # about 40 s alone; a shared 2-core machine under load takes longer
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [written] = out.glob("*-smoke.md")
    return done.stdout, written.read_text()


def test_quick_run_prints_and_writes_the_whole_table(quick_run: tuple[str, str]) -> None:
    printed, table = quick_run
    assert table.split("| # |", 1)[1] in printed  # the same table is printed
    numbers = {int(n) for n in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    assert numbers == set(range(1, 26))  # 18–22: Unimicro, 23–25: Microsoft 365 calendars
    for measurement in (
        "Full pull at XS",
        "Empty incremental sync: requests per object type",
        "Empty incremental sync: time",
        "Incremental with 10 changes",
        "Hour push: requests per hour",
        "Requests per full sync",
        "Admin time entries, first page",
        "API time-entry list, first page",
        "API load",
        "Queries per record: full pull",
        "Queries per record: push",
        "Peak RSS of a full pull",
        "e-conomic: full customer pull",
        "e-conomic: empty incremental customer sync, requests",
        "e-conomic: incremental with 10 changes",
        "e-conomic: full pull at S of employees, activities and projects together",
        "e-conomic: empty incremental, requests per type",
        "e-conomic: incremental with 10 changes (4 projects, 3 activities, 3 employees)",
        "e-conomic: hour push, time entries written per hour",
        "e-conomic: hour push, all requests per hour",
        "e-conomic: order → draft invoice, requests per order",
    ):
        assert measurement in table
    # The hour push asks 24SO once per hour, and the load run met no errors.
    assert re.search(r"Hour push: requests per hour \| 1\.00", table)
    assert re.search(r"API load .*\| [\d.]+ req/s; .* 0 errors \|", table)
    # An unchanged e-conomic customer list costs one request.
    assert re.search(r"e-conomic: empty incremental customer sync, requests .*\| 1 \| ok \|", table)
    # Employees, activities and projects unchanged: one request each.
    assert re.search(
        r"e-conomic: empty incremental, requests per type .*\| employees 1, activities 1, "
        r"projects 1 \(most: 1\) \| = 1 per type \| 1 \| ok \|",
        table,
    )
    # One time entry written per hour; the batch's approval is counted beside it.
    assert re.search(r"time entries written per hour \(POST TimeEntries\) \| 1\.00", table)
    assert re.search(r"all requests per hour .*POST /TimeEntries/approve 1;", table)
    # An order is the customer read, the draft and its lines.
    assert re.search(r"order → draft invoice, requests per order \| 3\.00 ", table)


def test_the_unimicro_rows_pin_their_request_counts(quick_run: tuple[str, str]) -> None:
    _printed, table = quick_run
    # A first pull reads 500 a page until a short page: 500 customers take two, the rest one.
    assert re.search(
        r"full first pull at S, requests .*\| 6 \(per type: customer 2/2, work_type 1/1, "
        r"project 1/1, task 1/1, user 1/1;.*\| floor 6 \| 1\.00 \| ok \|",
        table,
    )
    # Nothing changed: one request per type, five an hour for the hourly poll.
    assert re.search(
        r"unchanged incremental round, requests per type .*\| customer 1, work_type 1, "
        r"project 1, task 1, user 1 \(most: 1\) \| = 1 per type \| 1 \| ok \|",
        table,
    )
    assert re.search(r"hourly poll .*requests an hour \| 5 .*\| floor 5 \| 1\.00 \| ok \|", table)
    # Two hours: two creates, and the worker, its relation and the project's customer once.
    assert re.search(
        r"pushing 2 approved hours .*\| 5 = 2\.50 an hour \(.*POST biz/workitems 2.*\| "
        r"floor 5 .*\| 1\.00 \| ok \|",
        table,
    )
    for call in ("GET biz/workers 1", "GET biz/workrelations 1", "GET biz/projects/{n} 1"):
        assert call in table
    # Four people on two projects: each worker and relation, each project's customer, once.
    assert re.search(
        r"pushing 8 approved hours of 4 people on 2 projects, requests \| 18 = 2\.25 an hour "
        r"\(.*\| floor 18 .*\| 1\.00 \| ok \|",
        table,
    )
    assert "GET biz/workers 4" in table and "GET biz/workrelations 4" in table
    # The order: the look-up, the customer, the product, the order with its lines, register.
    assert re.search(r"creating an order of 2 hours, requests \| 5 \(", table)
    assert "POST biz/orders 1" in table
    assert "PUT biz/orders/{n}?action=register 1" in table


def test_the_calendar_rows_pin_their_request_counts(quick_run: tuple[str, str]) -> None:
    _printed, table = quick_run
    # A year of 150 events is 172 instances (the weekly series' occurrences): two pages of
    # 100, nothing else — no token request, no subscription (made by the first round).
    assert re.search(
        r"full first sync of a year at XS \(150 events, 172 instances .*\), requests \| "
        r"2 \(GET /v1\.0/me/calendarView/delta 2\); delta pages 2 \| floor 2 .*\| 1\.00 \| ok \|",
        table,
    )
    assert "the first round after connecting" in table
    assert "GET /v1.0/me/calendarView/delta 2, POST /v1.0/subscriptions 1" in table
    # Nothing changed: one delta GET (the access token is cached).
    assert re.search(
        r"unchanged delta round, requests .*\| 1 at most \(GET /v1\.0/me/calendarView/delta "
        r"1 in all\).*\| = 1 \| 1 \| ok \|",
        table,
    )
    # An expired access token: the token request and the GET; the first renewal after the
    # process started also reads the tenant's configuration (then kept an hour).
    [renewal] = [line for line in table.splitlines() if "access token expired" in line]
    later, first = renewal.split("the first after the process started", 1)
    assert "| 2 requests (" in later and "openid-configuration" not in later
    assert "oauth2/v2.0/token 1" in later and "calendarView/delta 1" in later
    assert first.startswith(" 3 (") and "openid-configuration 1" in first
    # Five people in one cycle: one GET each, unchanged or with two people's event changed,
    # one at a time against a mailbox.
    for label, extra in (
        ("unchanged cycle", ""),
        ("cycle with 2 people's one event changed", "; 2 mirror rows changed"),
    ):
        assert re.search(
            rf"5 people in one worker cycle \(jobs\.round_all\), {label}, requests \| 5 \(GET "
            rf"/v1\.0/me/calendarView/delta 5\); 1 a mailbox at most, at most 1 at once against "
            rf"one mailbox{extra} \| floor 5 .*\| 1\.00 \| ok \|",
            table,
        ), label
    assert re.search(r"5 people, unchanged cycle, wall time \| .* a person", table)
