"""The calendar rows of `make bench` on tiny data (`python -m bench --quick --only calendar`:
a year of 150 events for one person, 5 people in the worker cycle, the Microsoft 365 sandbox
served by gunicorn, everyone signed in through the real sign-in): they are all printed and
written, and the request counts Graph's limits depend on are pinned (times are reported,
never asserted).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_the_calendar_rows_pin_their_request_counts(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--only",
            "calendar",
            "--out",
            str(tmp_path),
            "--label",
            "calendar-smoke",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,  # about 15 s alone; a shared 2-core machine under load takes longer
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    [written] = tmp_path.glob("*-calendar-smoke.md")
    table = written.read_text()
    numbers = {int(n) for n in re.findall(r"^\| (\d+) \|", table, flags=re.MULTILINE)}
    assert numbers == {23, 24, 25}
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
    # An expired access token: the renewal (MSAL's discovery and the token) and the GET.
    assert re.search(
        r"access token expired .*\| 3 requests \(.*openid-configuration 1.*oauth2/v2\.0/token 1"
        r".*calendarView/delta 1",
        table,
    )
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
