"""Change notification subscriptions over real HTTP: the validation handshake, clientState,
expiry and renewal, notifications on create/update/delete, lifecycle events, delivery modes."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.sandbox.graph import notifications
from apps.sandbox.graph.events import event_create
from apps.sandbox.graph.models import Mailbox, Notification, Subscription

from .conftest import Receiver


def _soon(minutes: int = 60) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%S.0000000Z"
    )


def _subscribe(sandbox, client, receiver, **extra):
    return client.post(
        f"{sandbox.graph}/subscriptions",
        json={
            "changeType": "created,updated,deleted",
            "notificationUrl": f"{receiver.url}/notify",
            "lifecycleNotificationUrl": f"{receiver.url}/lifecycle",
            "resource": "me/events",
            "expirationDateTime": _soon(),
            "clientState": "kari-secret",
            **extra,
        },
        timeout=20,
    )


def _new_event(sandbox, client, subject="Notified"):
    return client.post(
        f"{sandbox.graph}/me/events",
        json={
            "subject": subject,
            "start": {"dateTime": "2026-12-15T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-15T10:00:00", "timeZone": "UTC"},
        },
        timeout=20,
    ).json()


def test_subscribing_validates_the_url_with_the_token_handshake(sandbox, kari, receiver):
    answer = _subscribe(sandbox, kari, receiver)
    assert answer.status_code == 201, answer.text
    sub = answer.json()
    assert sub["changeType"] == "created,updated,deleted" and sub["clientState"] == "kari-secret"
    assert sub["resource"] == "me/events" and sub["applicationId"] == "tidsbro-demo-graph"
    # Both URLs were validated: the token came URL-encoded and was echoed decoded.
    assert len(receiver.validations) == 2
    assert receiver.validations[0].startswith("Validation: Testing client application reachability")
    silent = Receiver(echo=False)
    try:
        refused = _subscribe(sandbox, kari, silent)
    finally:
        silent.close()
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "ValidationError"
    unreachable = kari.post(
        f"{sandbox.graph}/subscriptions",
        json={
            "changeType": "created",
            "notificationUrl": "http://127.0.0.1:9/nothing",
            "resource": "me/events",
            "expirationDateTime": _soon(),
        },
        timeout=20,
    )
    assert unreachable.status_code == 400


def test_notifications_on_create_update_delete_echo_the_client_state(sandbox, kari, receiver):
    sub = _subscribe(sandbox, kari, receiver).json()
    event = _new_event(sandbox, kari)
    kari.patch(f"{sandbox.graph}/me/events/{event['id']}", json={"subject": "Renamed"}, timeout=20)
    kari.delete(f"{sandbox.graph}/me/events/{event['id']}", timeout=20)
    changes = [r["body"]["value"][0] for r in receiver.received if r["path"] == "/notify"]
    assert [c["changeType"] for c in changes] == ["created", "updated", "deleted"]
    first = changes[0]
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    assert first["subscriptionId"] == sub["id"] and first["clientState"] == "kari-secret"
    assert first["resourceData"]["id"] == event["id"]
    assert first["resource"] == f"Users/{mailbox.object_id}/Events/{event['id']}"
    assert first["resourceData"]["@odata.type"] == "#Microsoft.Graph.Event"
    assert (
        first["tenantId"] and first["subscriptionExpirationDateTime"] == sub["expirationDateTime"]
    )
    # Changes made in the sandbox itself (the admin's path) notify too.
    event_create(
        mailbox=mailbox,
        data={
            "subject": "From Outlook",
            "start": {"dateTime": "2026-12-16T09:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-16T09:30:00", "timeZone": "UTC"},
        },
    )
    assert receiver.received[-1]["body"]["value"][0]["changeType"] == "created"
    # Another mailbox's changes do not reach Kari's subscription.
    lars = sandbox.client(sandbox.sign_in(email="lars@tidsbro.no")["access_token"])
    before = len(receiver.received)
    _new_event(sandbox, lars)
    assert len(receiver.received) == before


def test_immutable_ids_in_notifications_when_subscribed_with_the_preference(
    sandbox, kari, receiver
):
    immutable = sandbox.client(kari.headers["Authorization"][7:], prefer='IdType="ImmutableId"')
    assert _subscribe(sandbox, immutable, receiver).status_code == 201
    event = _new_event(sandbox, immutable)
    assert receiver.received[-1]["body"]["value"][0]["resourceData"]["id"] == event["id"]


def test_expiry_limit_and_renewal(sandbox, kari, receiver):
    too_long = _subscribe(sandbox, kari, receiver, expirationDateTime=_soon(10081))
    assert too_long.status_code == 400
    assert "10080 minutes" in too_long.json()["error"]["message"]
    past = _subscribe(sandbox, kari, receiver, expirationDateTime=_soon(-5))
    assert past.status_code == 400
    sub = _subscribe(sandbox, kari, receiver).json()
    renewed = kari.patch(
        f"{sandbox.graph}/subscriptions/{sub['id']}",
        json={"expirationDateTime": _soon(4000)},
        timeout=20,
    )
    assert (
        renewed.status_code == 200
        and renewed.json()["expirationDateTime"] > sub["expirationDateTime"]
    )
    listed = kari.get(f"{sandbox.graph}/subscriptions", timeout=20).json()["value"]
    assert [s["id"] for s in listed] == [sub["id"]]
    # An expired subscription notifies no more.
    Subscription.objects.update(expiration=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    before = len(receiver.received)
    _new_event(sandbox, kari)
    assert len(receiver.received) == before
    assert kari.delete(f"{sandbox.graph}/subscriptions/{sub['id']}", timeout=20).status_code == 204
    assert kari.get(f"{sandbox.graph}/subscriptions/{sub['id']}", timeout=20).status_code == 404


@pytest.mark.parametrize("event", ["reauthorizationRequired", "subscriptionRemoved", "missed"])
def test_lifecycle_events_go_to_the_lifecycle_url(sandbox, kari, receiver, event):
    sub_id = _subscribe(sandbox, kari, receiver).json()["id"]
    sub = Subscription.objects.get(subscription_id=sub_id)
    notifications.lifecycle_send(subscription=sub, event=event)
    last = receiver.received[-1]
    assert last["path"] == "/lifecycle"
    item = last["body"]["value"][0]
    assert item["lifecycleEvent"] == event and item["subscriptionId"] == sub_id
    assert item["clientState"] == "kari-secret"
    gone = kari.get(f"{sandbox.graph}/subscriptions/{sub_id}", timeout=20).status_code == 404
    assert gone == (event == "subscriptionRemoved")


def test_failed_deliveries_are_retried_then_given_up(sandbox, kari, settings):
    failing = Receiver(status=500)
    try:
        _subscribe(sandbox, kari, failing)
        from apps.sandbox.graph.models import Knobs

        Knobs.objects.update(notification_retry_seconds=0, notification_max_attempts=2)
        _new_event(sandbox, kari)
        note = Notification.objects.get(kind="change")
        assert note.attempts == 1 and note.status == Notification.Status.PENDING
        notifications.deliver_due()
        note.refresh_from_db()
        assert note.status == Notification.Status.FAILED and note.response_code == 500
    finally:
        failing.close()


def test_delivery_off_waits_for_deliver_due(sandbox, kari, receiver, settings):
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}
    _subscribe(sandbox, kari, receiver)
    _new_event(sandbox, kari)
    assert [r for r in receiver.received if r["path"] == "/notify"] == []
    assert notifications.deliver_due() == 1
    assert len([r for r in receiver.received if r["path"] == "/notify"]) == 1


def test_delivery_by_thread_arrives(sandbox, kari, receiver, settings):
    import time

    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "thread"}
    _subscribe(sandbox, kari, receiver)
    _new_event(sandbox, kari)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not [
        r for r in receiver.received if r["path"] == "/notify"
    ]:
        time.sleep(0.05)
    assert [
        r["body"]["value"][0]["changeType"] for r in receiver.received if r["path"] == "/notify"
    ] == ["created"]
    assert notifications.wait_idle(10)
    assert Notification.objects.get().status == Notification.Status.DELIVERED
