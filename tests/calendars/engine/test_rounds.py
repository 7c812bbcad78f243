"""Rounds of a person's calendar through the real path: the sandbox over HTTP, the
production client, the engine's rounds (apps/calendars/README.md §5)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.calendars import sync
from apps.calendars.models import CalendarAccount, CalendarEvent
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)


def test_connecting_reads_the_calendar_into_the_mirror_and_subscribes(calendar_account):
    from apps.sandbox.graph.models import Subscription

    user = world.person()
    account = world.fresh(calendar_account(user))
    # The first round ran at once (the connect asks for one): the mirror holds the window.
    subjects = {e.subject for e in world.mirror(account)}
    assert {"Project kick-off", "Design review", "Doctor", "Focus time"} <= subjects
    weekly = [e for e in world.mirror(account) if e.event_type == "occurrence"]
    assert len(weekly) >= 4  # a recurring meeting's occurrences are separate rows
    assert account.last_synced_at is not None and account.delta_link
    assert account.window_start < dt.datetime.now(dt.UTC) < account.window_end
    assert account.health == CalendarAccount.Health.OK
    sub = Subscription.objects.get(subscription_id=account.subscription_id)
    assert sub.notification_url.endswith("/calendars/notify/graph/")
    assert sub.client_state == account.state_doc["client_state"]
    # An unchanged round is one request and changes nothing.
    result = sync.run_round(account.pk)
    assert (result.requests, result.changed, result.removed) == (1, 0, 0)


def test_an_event_moved_in_outlook_is_moved_in_the_mirror_and_a_deleted_one_goes(
    calendar_account, settings
):
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}
    user = world.person()
    account = calendar_account(user)
    day = world.today() + dt.timedelta(days=1)
    event_id = world.outlook_add(
        "kari@tidsbro.no", "Harbour walk", world.at(day, 9), world.at(day, 10)
    )
    sync.run_round(account.pk)
    row = CalendarEvent.objects.get(account=account, event_id=event_id)
    assert row.starts_at == world.at(day, 9)
    world.outlook_move("kari@tidsbro.no", event_id, world.at(day, 13), world.at(day, 14, 30))
    result = sync.run_round(account.pk)
    assert result.changed == 1
    row.refresh_from_db()
    assert (row.starts_at, row.ends_at) == (world.at(day, 13), world.at(day, 14, 30))
    world.outlook_delete("kari@tidsbro.no", event_id)
    result = sync.run_round(account.pk)
    assert result.removed == 1
    assert not CalendarEvent.objects.filter(account=account, event_id=event_id).exists()
