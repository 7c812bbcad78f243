"""Faults and limits (429 + Retry-After, 503, 401 on an expired token, 4 concurrent requests
per mailbox), events CRUD and the request log's redaction, over real HTTP."""

from __future__ import annotations

import threading

import requests

from apps.sandbox.graph.models import Knobs, Mailbox, RequestLog
from apps.sandbox.graph.runtime import fault_decision, knobs_get
from apps.sandbox.graph.tokens import access_tokens_expire

from .conftest import READ


def _knobs(**values) -> None:
    Knobs.objects.filter(pk=knobs_get().pk).update(**values)


def test_injected_429_and_503_carry_retry_after_and_graphs_error_body(sandbox, kari):
    _knobs(fault_rate=1.0, fault_429=True, fault_503=False, retry_after_seconds=7)
    answer = kari.get(f"{sandbox.graph}/me/events", timeout=10)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "7"
    assert answer.json()["error"]["code"] == "TooManyRequests"
    _knobs(fault_429=False, fault_503=True)
    answer = kari.get(f"{sandbox.graph}/me/events", timeout=10)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
    assert answer.json()["error"]["code"] == "serviceNotAvailable"
    _knobs(fault_rate=0.0)
    assert kari.get(f"{sandbox.graph}/me/events", timeout=10).status_code == 200


def test_fault_decisions_are_seeded():
    first = [fault_decision(seed=3, sequence=n, rate=0.3, kinds=["429", "503"]) for n in range(200)]
    again = [fault_decision(seed=3, sequence=n, rate=0.3, kinds=["429", "503"]) for n in range(200)]
    assert first == again and 30 < sum(1 for f in first if f) < 90


def test_an_expired_access_token_gets_401_invalid_authentication_token(sandbox):
    tokens = sandbox.sign_in(scope=READ)
    client = sandbox.client(tokens["access_token"])
    assert client.get(f"{sandbox.graph}/me", timeout=10).status_code == 200
    access_tokens_expire(mailbox=Mailbox.objects.get(user_principal_name="kari@tidsbro.no"))
    answer = client.get(f"{sandbox.graph}/me/events", timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "expired" in answer.json()["error"]["message"]
    assert "WWW-Authenticate" in answer.headers
    # Refreshing gives a working one.
    fresh = sandbox.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert sandbox.client(fresh["access_token"]).get(f"{sandbox.graph}/me/events", timeout=10).ok
    assert requests.get(f"{sandbox.graph}/me/events", timeout=10).status_code == 401
    # The access token knob: a token that lives one second.
    _knobs(access_token_seconds=1)
    assert sandbox.sign_in(scope=READ)["expires_in"] == 1


def test_a_read_token_cannot_write(sandbox):
    reader = sandbox.client(sandbox.sign_in(scope=READ, email="lars@tidsbro.no")["access_token"])
    answer = reader.post(f"{sandbox.graph}/me/events", json={}, timeout=10)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "ErrorAccessDenied"


def test_at_most_four_concurrent_requests_per_mailbox(sandbox, kari):
    _knobs(latency_ms=1500)
    other = sandbox.client(sandbox.sign_in(email="lars@tidsbro.no")["access_token"])
    barrier = threading.Barrier(6)
    results: list[tuple[str, int, dict]] = []

    def call(client, who):
        barrier.wait()
        answer = client.get(f"{sandbox.graph}/me", timeout=20)
        results.append((who, answer.status_code, answer.json()))

    threads = [threading.Thread(target=call, args=(kari, "kari")) for _ in range(5)]
    threads.append(threading.Thread(target=call, args=(other, "lars")))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    karis = sorted(code for who, code, _ in results if who == "kari")
    assert karis == [200, 200, 200, 200, 429]
    refused = next(body for who, code, body in results if code == 429)
    assert refused["error"]["code"] == "ApplicationThrottled"
    assert refused["error"]["message"] == "Application is over its MailboxConcurrency limit."
    # Another mailbox has its own four.
    assert [code for who, code, _ in results if who == "lars"] == [200]


def test_events_crud_with_a_new_change_key_on_every_update(sandbox, kari):
    url = f"{sandbox.graph}/me/events"
    created = kari.post(
        url,
        json={
            "subject": "Planning",
            "body": {"contentType": "text", "content": "Next quarter"},
            "start": {
                "dateTime": "2026-12-14T09:00:00.0000000",
                "timeZone": "W. Europe Standard Time",
            },
            "end": {"dateTime": "2026-12-14T10:00:00", "timeZone": "W. Europe Standard Time"},
            "showAs": "busy",
            "sensitivity": "normal",
            "categories": ["Tidsbro"],
            "isCancelled": True,  # read-only in Graph: ignored
        },
        timeout=10,
    )
    assert created.status_code == 201, created.text
    event = created.json()
    assert created.headers["Location"].endswith(event["id"])
    assert event["type"] == "singleInstance" and event["isCancelled"] is False
    assert event["start"] == {"dateTime": "2026-12-14T08:00:00.0000000", "timeZone": "UTC"}
    assert event["originalStartTimeZone"] == "W. Europe Standard Time"
    keys = {event["changeKey"]}
    for subject in ("Planning 2", "Planning 3"):
        updated = kari.patch(f"{url}/{event['id']}", json={"subject": subject}, timeout=10).json()
        assert updated["subject"] == subject and updated["changeKey"] not in keys
        keys.add(updated["changeKey"])
    fetched = kari.get(f"{url}/{event['id']}", timeout=10).json()
    assert fetched["subject"] == "Planning 3" and fetched["body"]["content"] == "Next quarter"
    assert kari.delete(f"{url}/{event['id']}", timeout=10).status_code == 204
    gone = kari.get(f"{url}/{event['id']}", timeout=10)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "ErrorItemNotFound"
    bad = kari.post(
        url,
        json={
            "subject": "x",
            "start": {"dateTime": "2026-12-14T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-14T10:00:00", "timeZone": "UTC"},
            "colour": "red",
        },
        timeout=10,
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "RequestBodyRead"
    listed = kari.get(url, params={"$top": 3}, timeout=10).json()
    assert len(listed["value"]) == 3 and "$skip=3" in listed["@odata.nextLink"]


def test_a_recurring_series_created_and_one_occurrence_changed(sandbox, kari):
    url = f"{sandbox.graph}/me/events"
    series = kari.post(
        url,
        json={
            "subject": "Stand-up",
            "start": {"dateTime": "2027-01-04T09:00:00", "timeZone": "Europe/Oslo"},
            "end": {"dateTime": "2027-01-04T09:15:00", "timeZone": "Europe/Oslo"},
            "recurrence": {
                "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday", "wednesday"]},
                "range": {"type": "numbered", "startDate": "2027-01-04", "numberOfOccurrences": 6},
            },
        },
        timeout=10,
    ).json()
    assert series["type"] == "seriesMaster"
    view = kari.get(
        f"{sandbox.graph}/me/calendarView",
        params={
            "startDateTime": "2027-01-01T00:00:00Z",
            "endDateTime": "2027-02-01T00:00:00Z",
            "$top": 50,
        },
        timeout=10,
    ).json()["value"]
    standups = [e for e in view if e["subject"] == "Stand-up"]
    assert len(standups) == 6 and {e["type"] for e in standups} == {"occurrence"}
    second = standups[1]
    changed = kari.patch(
        f"{url}/{second['id']}",
        json={
            "subject": "Stand-up (long)",
            "end": {"dateTime": "2027-01-06T10:00:00", "timeZone": "Europe/Oslo"},
        },
        timeout=10,
    ).json()
    assert changed["type"] == "exception" and changed["id"] == second["id"]
    assert changed["seriesMasterId"] == series["id"]
    bad = kari.post(
        url,
        json={
            "subject": "x",
            "start": {"dateTime": "2027-01-04T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2027-01-04T10:00:00", "timeZone": "UTC"},
            "recurrence": {
                "pattern": {"type": "hourly"},
                "range": {"type": "noEnd", "startDate": "2027-01-04"},
            },
        },
        timeout=10,
    )
    assert bad.status_code == 400


def test_the_request_log_masks_tokens_codes_secrets_and_client_states(sandbox):
    tokens = sandbox.sign_in()
    refreshed = sandbox.token(
        grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    ).json()
    client = sandbox.client(refreshed["access_token"])
    client.get(f"{sandbox.graph}/me/events", timeout=10)
    client.post(
        f"{sandbox.graph}/subscriptions", json={"clientState": "very-secret-state-1"}, timeout=10
    )
    text = " ".join(
        f"{r.path} {r.request_body} {r.response_body}" for r in RequestLog.objects.all()
    )
    assert RequestLog.objects.filter(surface="identity").exists()
    assert RequestLog.objects.filter(surface="graph", mailbox="kari@tidsbro.no").exists()
    for secret in (
        tokens["access_token"],
        tokens["refresh_token"],
        tokens["id_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        "tidsbro-demo-graph-secret",
        "very-secret-state-1",
    ):
        assert secret not in text
    assert "***" in text


def test_all_day_events_must_span_midnights_and_a_series_move_drops_its_exceptions(sandbox, kari):
    url = f"{sandbox.graph}/me/events"
    bad = kari.post(
        url,
        json={
            "subject": "Off",
            "isAllDay": True,
            "start": {"dateTime": "2026-12-21T09:00:00", "timeZone": "Europe/Oslo"},
            "end": {"dateTime": "2026-12-22T00:00:00", "timeZone": "Europe/Oslo"},
        },
        timeout=10,
    )
    assert bad.status_code == 400 and "midnight" in bad.json()["error"]["message"]
    good = kari.post(
        url,
        json={
            "subject": "Off",
            "isAllDay": True,
            "start": {"dateTime": "2026-12-21T00:00:00", "timeZone": "Europe/Oslo"},
            "end": {"dateTime": "2026-12-22T00:00:00", "timeZone": "Europe/Oslo"},
        },
        timeout=10,
    )
    assert good.status_code == 201 and good.json()["isAllDay"] is True
    series = kari.post(
        url,
        json={
            "subject": "Retro",
            "start": {"dateTime": "2027-02-01T14:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2027-02-01T15:00:00", "timeZone": "UTC"},
            "recurrence": {
                "pattern": {"type": "daily", "interval": 7},
                "range": {"type": "endDate", "startDate": "2027-02-01", "endDate": "2027-03-01"},
            },
        },
        timeout=10,
    ).json()
    window = {
        "startDateTime": "2027-02-01T00:00:00Z",
        "endDateTime": "2027-03-02T00:00:00Z",
        "$top": 50,
    }
    view = [
        e
        for e in kari.get(f"{sandbox.graph}/me/calendarView", params=window, timeout=10).json()[
            "value"
        ]
        if e["subject"].startswith("Retro")
    ]
    assert len(view) == 5
    kari.patch(f"{url}/{view[0]['id']}", json={"subject": "Retro (first)"}, timeout=10)
    kari.patch(
        f"{url}/{series['id']}",
        json={
            "start": {"dateTime": "2027-02-01T13:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2027-02-01T14:00:00", "timeZone": "UTC"},
        },
        timeout=10,
    )
    view = [
        e
        for e in kari.get(f"{sandbox.graph}/me/calendarView", params=window, timeout=10).json()[
            "value"
        ]
        if e["subject"].startswith("Retro")
    ]
    assert {e["subject"] for e in view} == {"Retro"} and {e["type"] for e in view} == {"occurrence"}
    assert all(e["start"]["dateTime"].endswith("T13:00:00.0000000") for e in view)
