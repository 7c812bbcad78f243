"""The Unimicro rows of `make bench` on tiny data (`python -m bench --quick --only unimicro`:
the S dataset, 500 customers, served by gunicorn): they are all printed and written, and the
request counts a user's budget depends on are pinned (times are reported, never asserted).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_the_unimicro_rows_pin_their_request_counts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--only",
            "unimicro",
            "--out",
            str(tmp_path),
            "--label",
            "unimicro-smoke",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,  # about 15 s alone; a shared 2-core machine under load takes longer
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    [written] = tmp_path.glob("*-unimicro-smoke.md")
    table = written.read_text()
    numbers = {int(n) for n in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    assert numbers == {18, 19, 20, 21, 22}
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
