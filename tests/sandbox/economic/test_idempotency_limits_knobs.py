"""Idempotency-Key replays, the X-RateLimiting token bucket, knobs and the request log."""

import time

import pytest
import requests

from apps.sandbox.economic.models import Customer, IdempotencyRecord, RequestLog
from apps.sandbox.economic.runtime import fault_decision
from apps.sandbox.economic.seed import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN

from .conftest import TOKENS, new_customer

pytestmark = pytest.mark.django_db(transaction=True)


def _keyed(key: str) -> dict:
    return {**TOKENS, "Idempotency-Key": key}


def test_a_replayed_post_returns_the_stored_answer_and_creates_nothing(econ):
    first = econ.post("customers", json=new_customer(), headers=_keyed("k-1"))
    again = econ.post("customers", json=new_customer(name="Other"), headers=_keyed("k-1"))
    assert first.status_code == again.status_code == 201
    assert again.headers["X-ResultFromCache"] == "true"
    assert "X-ResultFromCache" not in first.headers
    assert again.json() == first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert Customer.objects.count() == 1
    other = econ.post("customers", json=new_customer(), headers=_keyed("k-2"))
    assert other.json()["customerNumber"] == 2


def test_a_replayed_delete_is_204_again_not_404(econ):
    econ.post("customers", json=new_customer())
    assert econ.delete("customers/1", headers=_keyed("d-1")).status_code == 204
    replay = econ.delete("customers/1", headers=_keyed("d-1"))
    assert replay.status_code == 204 and replay.headers["X-ResultFromCache"] == "true"
    assert econ.delete("customers/1").status_code == 404


def test_get_ignores_the_key(econ):
    econ.get("customers", headers=_keyed("g-1"))
    assert not IdempotencyRecord.objects.exists()


def test_every_response_carries_the_rate_limit_header(econ):
    first = econ.get("customers")
    second = econ.get("customers/999")
    unauthorized = econ.get("customers", headers={})
    assert first.headers["X-RateLimiting"] == "token-limit-10000-per-60-seconds: 1/10000"
    # 2 of 10000, or 1 again if the 60-second window turned in between
    assert second.headers["X-RateLimiting"].rsplit(" ", 1)[1] in ("2/10000", "1/10000")
    assert second.headers["X-CallCost"] == "1"
    assert "X-RateLimiting" in unauthorized.headers


def test_an_empty_bucket_is_429_with_retry_after(econ, econ_knobs):
    econ_knobs.rate_limit = 3
    econ_knobs.rate_window_seconds = 3600  # a window that does not turn during the test
    econ_knobs.save()
    for _ in range(3):
        assert econ.get("vat-zones").status_code == 200
    response = econ.get("vat-zones")
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 3600
    assert response.headers["X-RateLimiting"] == "token-limit-3-per-3600-seconds: 3/3"
    assert response.json()["httpStatusCode"] == 429


def test_the_bucket_refills_when_the_window_turns(econ, econ_knobs):
    econ_knobs.rate_limit = 1
    econ_knobs.rate_window_seconds = 1
    econ_knobs.save()
    econ.get("vat-zones")
    blocked = econ.get("vat-zones")
    if blocked.status_code == 429:
        time.sleep(int(blocked.headers["Retry-After"]))
    assert econ.get("vat-zones").status_code == 200


def test_rate_limit_comes_from_settings(econ_world, settings):
    from apps.sandbox.economic.models import Knobs
    from apps.sandbox.economic.runtime import knobs_get

    Knobs.objects.all().delete()
    settings.SANDBOX_ECONOMIC = {**settings.SANDBOX_ECONOMIC, "RATE_LIMIT": 7}
    assert knobs_get().rate_limit == 7


def test_added_latency(econ, econ_knobs):
    econ_knobs.latency_ms = 300
    econ_knobs.save()
    started = time.monotonic()
    econ.get("vat-zones")
    assert time.monotonic() - started >= 0.3


def test_fault_rate_one_fails_every_request_with_500(econ, econ_knobs):
    econ_knobs.fault_rate = 1.0
    econ_knobs.save()
    response = econ.get("customers")
    assert response.status_code == 500
    assert "injected" in response.json()["message"]


def test_injected_429(econ, econ_knobs):
    econ_knobs.fault_rate = 1.0
    econ_knobs.fault_http500 = False
    econ_knobs.fault_429 = True
    econ_knobs.save()
    response = econ.get("customers")
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"


def test_dropped_connection(econ, econ_knobs):
    econ_knobs.fault_rate = 1.0
    econ_knobs.fault_http500 = False
    econ_knobs.fault_drop = True
    econ_knobs.save()
    with pytest.raises(requests.exceptions.ConnectionError):
        econ.get("customers")


def test_a_hanging_answer_is_done_but_arrives_too_late(econ, econ_knobs):
    econ_knobs.fault_rate = 1.0
    econ_knobs.fault_http500 = False
    econ_knobs.fault_hang = True
    econ_knobs.hang_seconds = 1.0
    econ_knobs.save()
    with pytest.raises(requests.exceptions.Timeout):
        econ.http.post(
            econ.url("customers"),
            json=new_customer(),
            headers=TOKENS,
            timeout=0.3,
        )
    assert Customer.objects.count() == 1  # carried out, only the answer was late
    # Let the late answer finish (it is logged first) before the database is flushed.
    time.sleep(1.2)


def test_injected_faults_are_deterministic_for_a_seed():
    runs = [
        [fault_decision(seed=3, sequence=n, rate=0.3, kinds=["http500", "drop"]) for n in range(50)]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert {None, "http500", "drop"} == set(runs[0])
    assert fault_decision(seed=3, sequence=1, rate=0.0, kinds=["http500"]) is None


def test_the_request_log_never_stores_the_tokens(econ):
    econ.post("customers", json=new_customer(name=f"Echo {AGREEMENT_GRANT_TOKEN}"))
    econ.get(f"customers?token={APP_SECRET_TOKEN}")
    entries = list(RequestLog.objects.order_by("pk"))
    assert [e.http_status for e in entries] == [201, 200]
    assert entries[0].agreement_number == 7301001
    for entry in entries:
        text = f"{entry.path} {entry.request_body} {entry.response_body}"
        assert AGREEMENT_GRANT_TOKEN not in text and APP_SECRET_TOKEN not in text
    assert "Echo ***" in entries[0].request_body


def test_the_request_log_is_pruned_to_the_newest_entries(econ, monkeypatch):
    from apps.sandbox.economic import endpoint

    monkeypatch.setattr(endpoint, "LOG_KEEP", 3)
    monkeypatch.setattr(endpoint, "LOG_PRUNE_EVERY", 1)
    for _ in range(5):
        econ.get("vat-zones")
    assert RequestLog.objects.count() == 3


def test_a_filter_on_a_failing_property_answers_500(econ, econ_knobs):
    econ_knobs.failing_filter_fields = "email, lastUpdated"
    econ_knobs.save()
    assert econ.get("customers?filter=name$eq:x$and:email$eq:a@b.dk").status_code == 500
    assert econ.get("customers?filter=lastUpdated$gte:2026-01-01").status_code == 500
    assert econ.get("customers?filter=name$eq:email$").status_code in (200, 400)
    assert econ.get("customers?filter=name$eq:x").status_code == 200


def test_a_key_is_remembered_for_an_hour(econ):
    import datetime as dt

    from django.utils import timezone

    econ.post("customers", json=new_customer(), headers=_keyed("old"))
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    again = econ.post("customers", json=new_customer(), headers=_keyed("old"))
    assert again.status_code == 201 and "X-ResultFromCache" not in again.headers
    assert Customer.objects.count() == 2
