"""The benchmark harness itself works: `python -m bench --quick` on tiny data prints every row.

Benchmarks are not part of the test run; this runs the whole harness once on the XS dataset
(a fresh throwaway database, the sandbox over gunicorn, every measurement) in a few seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_quick_run_prints_and_writes_the_whole_table(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path), "--label", "smoke"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # about 105 s alone; a shared 2-core machine under load takes longer
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    [written] = tmp_path.glob("*-smoke.md")
    table = written.read_text()
    assert table.split("| # |", 1)[1] in done.stdout  # the same table is printed
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
