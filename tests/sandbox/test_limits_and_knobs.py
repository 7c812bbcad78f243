"""Rate-limit quarantine, knobs (latency, injected faults, forced expiry), client separation."""

import datetime as dt
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings
from django.utils import timezone
from zeep.exceptions import Fault

from apps.sandbox.twentyfourseven.models import Hour, Identity, RateWindow, RequestLog
from apps.sandbox.twentyfourseven.runtime import INJECTED_FAULT, fault_decision
from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_PASSWORD
from apps.sandbox.twentyfourseven.services import sandbox_sessions_expire

from .conftest import NS, Sandbox, envelope, fault_text, post


def _next_hour(now):
    return (now.astimezone(dt.UTC) + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")


def test_rate_limit_quarantines_the_login_until_the_hour_ends(logged_in, knobs):
    knobs.rate_limit_per_hour = 3
    knobs.save()
    logged_in.client.GetUsers()
    logged_in.client.GetUsers()  # Login was request 1, so this is 3 of 3
    before = _next_hour(timezone.now())
    with pytest.raises(Fault) as exc:
        logged_in.client.GetUsers()
    assert exc.value.message == (
        f"Limit exceeded by 1. Request is blocked. Quarantine ends at {before}"
    )
    with pytest.raises(Fault) as exc:
        logged_in.login()  # logging in again does not escape the quarantine
    assert exc.value.message.startswith("Limit exceeded by 2. Request is blocked.")
    response = post(logged_in, "client", envelope(f'<GetUsers xmlns="{NS}"/>'), "GetUsers")
    assert response.status_code == 500
    assert response.headers["APILimitRemaining"] == "0"
    assert fault_text(response).startswith("Limit exceeded by 3.")


def test_rate_limit_headers_count_down(sandbox, knobs):
    knobs.rate_limit_per_hour = 10
    knobs.save()
    before = _next_hour(timezone.now())
    sandbox.login()
    response = post(sandbox, "client", envelope(f'<GetUsers xmlns="{NS}"/>'), "GetUsers")
    after = _next_hour(timezone.now())
    reset = response.headers["APILimitReset"]
    assert reset in (before, after)
    # If the hour turned between Login and GetUsers, GetUsers opened a fresh window.
    assert response.headers["APILimitRemaining"] == ("8" if reset == before else "9")


def test_quarantine_ends_with_the_hour(logged_in, knobs):
    knobs.rate_limit_per_hour = 3
    knobs.save()
    window = RateWindow.objects.get()
    RateWindow.objects.filter(pk=window.pk).update(
        window_start=window.window_start - dt.timedelta(hours=1), count=500
    )
    assert logged_in.client.GetUsers()


def test_added_latency(logged_in, knobs):
    knobs.latency_ms = 300
    knobs.save()
    started = time.monotonic()
    logged_in.auth.HasSession()
    assert time.monotonic() - started >= 0.3


def test_fault_rate_one_fails_every_request_with_http_500(logged_in, knobs):
    knobs.fault_rate = 1.0
    knobs.save()
    response = post(logged_in, "auth", envelope(f'<HasSession xmlns="{NS}"/>'), "HasSession")
    assert response.status_code == 500
    assert fault_text(response) == INJECTED_FAULT
    with pytest.raises(Fault):
        logged_in.client.GetUsers()


def test_injected_faults_are_deterministic_for_a_seed(sandbox, knobs):
    knobs.fault_rate = 0.5
    knobs.fault_seed = 7
    knobs.save()
    body = envelope(f'<HasSession xmlns="{NS}"/>')
    seen = [post(sandbox, "auth", body, "HasSession").status_code for _ in range(12)]
    expected = [
        500 if fault_decision(seed=7, sequence=n, rate=0.5, kinds=["error"]) else 200
        for n in range(1, 13)
    ]
    assert seen == expected
    assert 200 in seen and 500 in seen


def test_fault_decision_is_pure():
    runs = [
        [fault_decision(seed=3, sequence=n, rate=0.3, kinds=["error", "drop"]) for n in range(50)]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert {None, "error", "drop"} == set(runs[0])
    assert fault_decision(seed=3, sequence=1, rate=0.0, kinds=["error"]) is None


def test_dropped_connection(sandbox, knobs):
    knobs.fault_rate = 1.0
    knobs.fault_error = False
    knobs.fault_drop = True
    knobs.save()
    with pytest.raises(requests.exceptions.ConnectionError):
        sandbox.auth.HasSession()


def test_slow_response_runs_past_the_client_timeout(sandbox, knobs):
    knobs.fault_rate = 1.0
    knobs.fault_error = False
    knobs.fault_slow = True
    knobs.slow_seconds = 1.0
    knobs.save()
    with pytest.raises(requests.exceptions.Timeout):
        sandbox.service("auth", timeout=0.3).HasSession()
    # Let the slow answer finish (it is logged last) before the database is flushed.
    deadline = time.monotonic() + 10
    while not RequestLog.objects.filter(operation="HasSession").exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.1)


def test_forced_session_expiry(logged_in, knobs):
    sandbox_sessions_expire(knobs=knobs)
    with pytest.raises(Fault) as exc:
        logged_in.client.GetUsers()
    assert exc.value.message == "Client is not authenticated on this identity"
    assert logged_in.login()
    assert logged_in.client.GetUsers()


def test_data_is_separate_per_client(live_server, world):
    fjordlys, nordvik = Sandbox(live_server.url), Sandbox(live_server.url)
    fjordlys.login()
    other = Identity.objects.get(client__client_id=2400102)
    nordvik.login(IdentityId=str(other.identity_id))
    assert len(fjordlys.project.GetProjectList(Ps={})) == 24
    assert [p.Id for p in nordvik.project.GetProjectList(Ps={})] == [
        1001,
        1002,
        1003,
        1004,
        1005,
        1006,
    ]
    assert len(nordvik.client.GetUsers()) == 9
    hour = {
        "StartTime": dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC),
        "StopTime": dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC),
        "ContactId": 3,
        "ProjectId": 1002,
    }
    new_id = nordvik.time.SaveHour(Hour={**hour, "Description": "Bare Nordvik"})
    assert Hour.objects.get(client__client_id=2400102, hour_id=new_id).description == (
        "Bare Nordvik"
    )
    search = {"hs": {"ContactId": 0, "ProjectId": 0, "StartTime": hour["StartTime"]}}
    assert "Bare Nordvik" in [h.Description for h in nordvik.time.GetHours(**search)]
    assert "Bare Nordvik" not in [h.Description for h in fjordlys.time.GetHours(**search) or []]
    one = fjordlys.company.GetCompanies(
        searchParams={"CompanyId": 10001}, returnProperties={"string": ["Name"]}
    )
    two = nordvik.company.GetCompanies(
        searchParams={"CompanyId": 10001}, returnProperties={"string": ["Name"]}
    )
    assert one[0].Name == two[0].Name  # same seed names, but they are different records
    nordvik.company.SaveCompanies(companies={"Company": [{"Id": 10001, "Name": "Bare Nordvik"}]})
    assert (
        fjordlys.company.GetCompanies(
            searchParams={"CompanyId": 10001}, returnProperties={"string": ["Name"]}
        )[0].Name
        != "Bare Nordvik"
    )


def test_request_log_redacts_passwords_and_session_ids(logged_in):
    session_id = logged_in.http.cookies["ASP.NET_SessionId"]
    entry = RequestLog.objects.get(operation="Login")
    assert DEMO_PASSWORD not in entry.request_body
    assert "Password>***<" in entry.request_body
    assert session_id not in entry.response_body
    assert entry.username == "demo@tidsbro.no" and entry.http_status == 200


def test_runserver_with_threading_answers_concurrent_sessions(world, tmp_path):
    """The demo setup: the real runserver (threaded) on a SQLite file, several clients at once.

    live_server shares one in-memory SQLite connection between its threads, so concurrency
    is checked against a copy of the seeded database served by ``manage.py runserver``.
    """
    import sqlite3

    from django.db import connection

    if connection.vendor != "sqlite":
        db = connection.settings_dict
        host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        database = {"DATABASE_URL": f"postgres://{db['USER']}@{host}/{db['NAME']}"}
    else:
        connection.ensure_connection()
        target = sqlite3.connect(tmp_path / "sandbox.sqlite3")
        connection.connection.backup(target)
        target.close()
        database = {"SQLITE_PATH": str(tmp_path / "sandbox.sqlite3")}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **database, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "runserver",
            "--noreload",
            "--skip-checks",
            f"127.0.0.1:{port}",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(base + "/sandbox/24so/authenticate/v001/authenticate.asmx", timeout=5)
                break
            except requests.RequestException:  # refused while starting, or slow under load
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.1)
        sandboxes = [Sandbox(base) for _ in range(4)]

        def work(s):
            assert s.login()
            return [len(s.client.GetUsers()) for _ in range(3)]

        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(work, sandboxes))
        assert results == [[21, 21, 21]] * 4
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_request_log_is_pruned_to_the_newest_entries(sandbox, monkeypatch):
    from apps.sandbox.twentyfourseven import endpoint

    monkeypatch.setattr(endpoint, "LOG_KEEP", 3)
    monkeypatch.setattr(endpoint, "LOG_PRUNE_EVERY", 1)
    for _ in range(5):
        sandbox.auth.HasSession()
    assert RequestLog.objects.count() == 3


def test_a_password_at_the_log_cut_is_still_redacted(sandbox):
    from apps.sandbox.twentyfourseven.endpoint import LOG_LIMIT

    head = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<Login xmlns="{NS}"><credential><ApplicationId>{APPLICATION_ID}</ApplicationId>'
    )
    # In the body as sent, the cut falls five characters into the password's value (the padding
    # is whitespace: the log keeps it, as it keeps everything but secrets).
    padding = " " * (LOG_LIMIT - 15 - len(head))
    body = (
        head
        + padding
        + f"<Password>{DEMO_PASSWORD}</Password><Username>demo@tidsbro.no</Username>"
        + "</credential></Login></soap:Body></soap:Envelope>"
    ).encode()
    assert post(sandbox, "auth", body, "Login").status_code == 200
    entry = RequestLog.objects.get(operation="Login")
    assert len(entry.request_body) == LOG_LIMIT
    assert "<Password>***</Password>" in entry.request_body
    assert DEMO_PASSWORD not in entry.request_body and "tidsbro-d" not in entry.request_body
