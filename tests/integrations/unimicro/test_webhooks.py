"""Unimicro's signed eventplan calls at Tidsbro's receiver: a good signature is accepted and
queues a pull of the named record; a bad one, an old timestamp or no signature is refused
before the body is read; a replay or a duplicate only pulls the record again (its state now).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from apps.integrations.connectors.unimicro import webhooks as unimicro_webhooks
from apps.integrations.models import Connection
from apps.integrations.webhooks import receiver_path

pytestmark = pytest.mark.django_db

KEY = "a1" * 32
COMPANY = "4b3e9a10-0000-4000-8000-000000000001"


@pytest.fixture
def connection() -> Connection:
    connection = Connection(
        system="unimicro",
        connected=["customer", "project", "task", "work_type", "user"],
        masters={"customer": "tidsbro", "project": "tidsbro", "task": "tidsbro"},
        is_active=True,
    )
    connection.settings = {"mode": "api", "company_key": COMPANY}
    connection.state_doc = {"webhook": {"eventplan_id": 7, "signing_key": KEY}}
    connection.save()
    return connection


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The pull jobs the receiver hands to django-q (after commit), as (connection, type, ids)."""
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        "apps.integrations.webhooks._queue",
        lambda connection_id, entity, ids, attempt: calls.append((connection_id, entity, ids)),
    )
    return calls


def event(entity: str = "Customer", record_id: int = 12, **extra: Any) -> bytes:
    return json.dumps(
        {
            "EntityName": entity,
            "EventType": "Update",
            "EntityID": record_id,
            "CompanyKey": COMPANY,
            "Entity": {"ID": record_id},
            **extra,
        }
    ).encode()


def post(client: Any, connection: Connection, body: bytes, **headers: str) -> Any:
    path = receiver_path(system="unimicro", connection_id=connection.pk)
    return client.post(path, data=body, content_type="application/json", headers=headers)


def test_a_signed_call_queues_a_pull_of_the_named_record(client, connection, queued):
    body = event("Project", 31)
    signature = unimicro_webhooks.signature_header(KEY, body)
    response = post(client, connection, body, **{"Unimicro-Signature": signature})
    assert response.status_code == 202
    assert queued == [(connection.pk, "project", ["31"])]


def test_the_softrig_header_is_accepted_too(client, connection, queued):
    body = event("Customer", 5)
    response = post(
        client,
        connection,
        body,
        **{"SoftRig-Signature": unimicro_webhooks.signature_header(KEY, body)},
    )
    assert response.status_code == 202
    assert queued == [(connection.pk, "customer", ["5"])]


def test_a_wrong_signature_is_refused_and_nothing_is_queued(client, connection, queued):
    body = event()
    wrong = unimicro_webhooks.signature_header("another key", body)
    response = post(client, connection, body, **{"Unimicro-Signature": wrong})
    assert response.status_code == 403
    assert queued == []


def test_a_signature_over_another_body_is_refused(client, connection, queued):
    signed = unimicro_webhooks.signature_header(KEY, event(record_id=1))
    response = post(client, connection, event(record_id=2), **{"Unimicro-Signature": signed})
    assert response.status_code == 403
    assert queued == []


def test_an_old_timestamp_is_refused_even_when_signed_right(client, connection, queued):
    body = event()
    old = unimicro_webhooks.signature_header(KEY, body, now=time.time() - 301)
    response = post(client, connection, body, **{"Unimicro-Signature": old})
    assert response.status_code == 403
    assert queued == []


def test_a_call_without_signature_is_refused(client, connection, queued):
    assert post(client, connection, event()).status_code == 403
    assert queued == []


def test_a_connection_without_a_signing_key_refuses_every_call(client, connection, queued):
    connection.state_doc = {}
    connection.save()
    body = event()
    signature = unimicro_webhooks.signature_header(KEY, body)
    assert post(client, connection, body, **{"Unimicro-Signature": signature}).status_code == 403


def test_a_replay_within_the_window_only_pulls_the_record_again(client, connection, queued):
    body = event("WorkType", 4)
    signature = unimicro_webhooks.signature_header(KEY, body)
    for _ in range(2):
        response = post(client, connection, body, **{"Unimicro-Signature": signature})
        assert response.status_code == 202
    # Each pull reads the record as it is now: the second changes nothing a poll would not.
    assert queued == [(connection.pk, "work_type", ["4"]), (connection.pk, "work_type", ["4"])]


def test_events_of_types_tidsbro_does_not_pull_or_of_another_company_queue_nothing(
    client, connection, queued
):
    for body in (
        event("WorkItem", 9),
        event("Invoice", 9),
        event("Customer", 9, CompanyKey="4b3e9a10-0000-4000-8000-000000000003"),
    ):
        signature = unimicro_webhooks.signature_header(KEY, body)
        response = post(client, connection, body, **{"Unimicro-Signature": signature})
        assert response.status_code == 202
    assert queued == []


def test_a_body_that_is_no_event_is_a_bad_request(client, connection, queued):
    body = b'{"hello": 1}'
    signature = unimicro_webhooks.signature_header(KEY, body)
    assert post(client, connection, body, **{"Unimicro-Signature": signature}).status_code == 400


def test_the_signature_check_compares_hmac_of_timestamp_and_body():
    body = b'{"EntityName":"Customer","EntityID":1}'
    now = 1_800_000_000
    header = f"t={now},v1={unimicro_webhooks.signature(KEY, now, body)}"
    assert unimicro_webhooks.check(header, KEY, body, now=now + 300)
    assert not unimicro_webhooks.check(header, KEY, body, now=now + 301)
    assert not unimicro_webhooks.check(header, KEY, body, now=now - 301)
    assert not unimicro_webhooks.check(f"t={now}", KEY, body, now=now)
    assert not unimicro_webhooks.check("v1=abc", KEY, body, now=now)
    assert not unimicro_webhooks.check(header, "", body, now=now)
    # Several v1 values (a key being rotated): any that matches will do.
    assert unimicro_webhooks.check(f"t={now},v1=00,v1={header.split('v1=')[1]}", KEY, body, now=now)
