"""Change notifications and the subscription's life, through the sandbox over HTTP: a change
in Outlook reaches Tidsbro's receiver (delivered inline) and runs a round; a storm of them
never runs more than 4 requests at once against the mailbox; lifecycle events renew or make
the subscription again, or read everything again."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time

import pytest
import requests
from django.db import connection
from django.utils import timezone

from apps.calendars import sync
from apps.calendars.models import CalendarAccount, CalendarEvent
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)

KARI = "kari@tidsbro.no"


def _subscription(account: CalendarAccount):
    from apps.sandbox.graph.models import Subscription

    return Subscription.objects.get(subscription_id=world.fresh(account).subscription_id)


def _post(url: str, account: CalendarAccount, *, client_state: str | None = None, **item):
    account = world.fresh(account)
    body = {
        "value": [
            {
                "subscriptionId": account.subscription_id,
                "clientState": account.state_doc["client_state"]
                if client_state is None
                else client_state,
                "changeType": "updated",
                **item,
            }
        ]
    }
    return requests.post(
        f"{url}/calendars/notify/graph/",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )


def test_a_change_in_outlook_reaches_the_mirror_within_the_notification(calendar_account):
    user = world.person(KARI)
    account = calendar_account(user)
    day = world.today() + dt.timedelta(days=1)
    event_id = world.outlook_add(KARI, "Site visit", world.at(day, 9), world.at(day, 10))
    # No round run by the test: the notification ran it.
    assert CalendarEvent.objects.filter(account=account, event_id=event_id).exists()
    from apps.sandbox.graph.models import Notification

    assert Notification.objects.filter(status=Notification.Status.DELIVERED).exists()


def test_the_receiver_answers_the_handshake_and_ignores_a_wrong_client_state(
    calendar_account, graph_sandbox, settings
):
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}
    user = world.person(KARI)
    account = calendar_account(user)
    handshake = requests.post(
        f"{graph_sandbox.url}/calendars/notify/graph/?validationToken=abc%20123", timeout=10
    )
    assert handshake.status_code == 200 and handshake.text == "abc 123"
    CalendarAccount.objects.filter(pk=account.pk).update(pull_requested_at=None)
    before = world.fresh(account).last_synced_at
    answer = _post(graph_sandbox.url, account, client_state="guessed")
    assert answer.status_code == 202
    assert world.fresh(account).last_synced_at == before  # no round
    unknown = _post(graph_sandbox.url, account, subscriptionId="nobody")
    assert unknown.status_code == 202 and world.fresh(account).last_synced_at == before
    assert (
        requests.post(f"{graph_sandbox.url}/calendars/notify/graph/", data=b"{", timeout=10)
    ).status_code == 400
    assert _post(graph_sandbox.url, account).status_code == 202
    assert world.fresh(account).last_synced_at > before  # a round ran


def test_a_notification_storm_never_runs_more_than_4_requests_at_once(
    calendar_account, graph_sandbox
):
    from apps.sandbox.graph.models import Knobs
    from apps.sandbox.graph.runtime import in_flight, knobs_get

    user = world.person(KARI)
    account = calendar_account(user)
    Knobs.objects.filter(pk=knobs_get().pk).update(latency_ms=40)
    box = world.mailbox(KARI)
    mark = graph_sandbox.mark()
    peak = [0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], in_flight(box.pk))
            time.sleep(0.002)

    answers: list[int] = []
    # The live server shares one in-memory connection between its threads on SQLite, which
    # cannot take concurrent writes: there the notifications come one after another (still
    # 40 of them); on PostgreSQL they come 8 at a time.
    gate = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def storm():
        for _ in range(5):
            with gate:
                answers.append(_post(graph_sandbox.url, account).status_code)

    watcher = threading.Thread(target=watch)
    watcher.start()
    senders = [threading.Thread(target=storm) for _ in range(8)]
    for sender in senders:
        sender.start()
    day = world.today() + dt.timedelta(days=1)
    added = []
    for n in range(3):
        with gate:
            added.append(world.outlook_add(KARI, f"Storm {n}", world.at(day, 8), world.at(day, 9)))
    for sender in senders:
        sender.join()
    stop.set()
    watcher.join()
    assert answers == [202] * 40
    assert peak[0] <= 4
    graph = [r for r in graph_sandbox.requests_since(mark) if r.surface == "graph"]
    assert not [r for r in graph if r.http_status == 429]
    if connection.vendor != "sqlite":  # arriving together, they are coalesced
        assert len([r for r in graph if "delta" in r.path]) < 40
    sync.run_round(account.pk)
    for event_id in added:
        assert CalendarEvent.objects.filter(account=account, event_id=event_id).count() == 1


def test_a_subscription_is_renewed_a_day_before_it_ends(calendar_account, settings):
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}
    user = world.person(KARI)
    account = calendar_account(user)
    sub = _subscription(account)
    soon = timezone.now() + dt.timedelta(hours=12)
    CalendarAccount.objects.filter(pk=account.pk).update(subscription_expires_at=soon)
    sync.run_round(account.pk)
    account = world.fresh(account)
    renewed = _subscription(account)
    assert renewed.pk == sub.pk
    assert account.subscription_expires_at > timezone.now() + dt.timedelta(days=2)
    assert abs(renewed.expiration - account.subscription_expires_at) < dt.timedelta(seconds=1)


def test_lifecycle_events_make_a_new_subscription_renew_or_read_everything(calendar_account):
    from apps.sandbox.graph.notifications import lifecycle_send

    user = world.person(KARI)
    account = calendar_account(user)
    first = _subscription(account)
    lifecycle_send(subscription=first, event="subscriptionRemoved")
    account = world.fresh(account)
    second = _subscription(account)
    assert second.pk != first.pk and second.removed_at is None
    assert second.client_state == account.state_doc["client_state"]
    # reauthorizationRequired: renewed at once.
    from apps.sandbox.graph.models import Subscription

    Subscription.objects.filter(pk=second.pk).update(
        expiration=timezone.now() + dt.timedelta(hours=2)
    )
    lifecycle_send(subscription=_subscription(account), event="reauthorizationRequired")
    assert _subscription(account).expiration > timezone.now() + dt.timedelta(days=2)
    # missed: a full round.
    rounds = world.fresh(account).resync_round
    lifecycle_send(subscription=_subscription(account), event="missed")
    account = world.fresh(account)
    assert account.resync_round == rounds + 1 and account.resync_window_start is None


def test_no_subscription_without_a_public_address(calendar_account, settings):
    user = world.person(KARI)
    account = calendar_account(user)
    settings.TIDSBRO_BASE_URL = ""
    CalendarAccount.objects.filter(pk=account.pk).update(
        subscription_id="", subscription_expires_at=None
    )
    result = sync.run_round(account.pk)
    assert result.requests == 1 and not world.fresh(account).subscription_id
