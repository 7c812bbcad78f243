"""Playing a person's Outlook in the admin (add, move, delete through Graph's write path, so the
delta and the notifications follow), lifecycle and sync-state actions, seed and dataset."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.sandbox.graph import ids
from apps.sandbox.graph.models import Event, Mailbox, Notification, Subscription
from apps.sandbox.graph.seed import seed
from tests.accounts.factories import UserFactory

from .test_delta import sync, window
from .test_subscriptions import _subscribe


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_play_outlook_add_move_delete_flows_into_delta_and_notifications(
    sandbox, kari, receiver, superuser_client
):
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    _subscribe(sandbox, kari, receiver)
    url = f"{sandbox.graph}/me/calendarView/delta"
    _items, delta_link, _p = sync(kari, url, params=window())
    page = reverse("admin:sandbox_graph_mailbox_outlook", args=[mailbox.pk])
    shown = superuser_client.get(page)
    assert shown.status_code == 200
    assert (
        "Project kick-off" in shown.content.decode()
        and "Weekly status (moved)" in shown.content.decode()
    )
    today = dt.datetime.now(ZoneInfo("Europe/Oslo")).date()
    added = superuser_client.post(
        page,
        {
            "action": "add",
            "subject": "Played in Outlook",
            "day": today.isoformat(),
            "start": "11:00",
            "end": "11:45",
            "show_as": "busy",
            "sensitivity": "normal",
            "categories": "Tidsbro, Internal",
        },
    )
    assert added.status_code == 302
    event = Event.objects.get(subject="Played in Outlook")
    assert event.categories == ["Tidsbro", "Internal"]
    graph_id = ids.immutable_id(mailbox.pk, str(event.pk))
    prefix = f"m{event.pk}"
    moved = superuser_client.post(
        page,
        {
            "action": "move",
            "event": graph_id,
            f"{prefix}-day": today.isoformat(),
            f"{prefix}-start": "13:00",
            f"{prefix}-end": "14:00",
        },
    )
    assert moved.status_code == 302
    event.refresh_from_db()
    assert event.start.astimezone(ZoneInfo("Europe/Oslo")).hour == 13
    items, delta_link, _p = sync(kari, delta_link)
    assert [i["subject"] for i in items] == ["Played in Outlook"]
    assert superuser_client.post(page, {"action": "delete", "event": graph_id}).status_code == 302
    items, _link, _p = sync(kari, delta_link)
    assert [i.get("@removed") for i in items] == [{"reason": "deleted"}]
    kinds = [
        r["body"]["value"][0]["changeType"] for r in receiver.received if r["path"] == "/notify"
    ]
    assert kinds == ["created", "updated", "deleted"]
    shown = superuser_client.get(page).content.decode()
    assert "Notifications sent for this mailbox" in shown and "Delivered" in shown
    # An event's webLink leads here.
    link = superuser_client.get(
        f"/sandbox/graph/owa/?itemid={ids.rest_id(mailbox.pk, str(event.pk), 0)}"
    )
    assert link.status_code == 302 and link["Location"].startswith(page)


def test_staff_without_the_permission_cannot_play_outlook(sandbox, client):
    client.force_login(UserFactory(is_staff=True))
    mailbox = Mailbox.objects.first()
    page = reverse("admin:sandbox_graph_mailbox_outlook", args=[mailbox.pk])
    assert client.get(page).status_code == 403


def test_admin_actions_lifecycle_and_sync_state(sandbox, kari, receiver, superuser_client):
    _subscribe(sandbox, kari, receiver)
    sub = Subscription.objects.get()
    answer = superuser_client.post(
        reverse("admin:sandbox_graph_subscription_changelist"),
        {"action": "send_reauthorization_required", "_selected_action": [sub.pk]},
    )
    assert answer.status_code == 302
    assert receiver.received[-1]["body"]["value"][0]["lifecycleEvent"] == "reauthorizationRequired"
    url = f"{sandbox.graph}/me/calendarView/delta"
    _items, delta_link, _p = sync(kari, url, params=window())
    mailbox = Mailbox.objects.get(user_principal_name="kari@tidsbro.no")
    superuser_client.post(
        reverse("admin:sandbox_graph_mailbox_changelist"),
        {"action": "invalidate_sync_state_gone", "_selected_action": [mailbox.pk]},
    )
    assert kari.get(delta_link, timeout=10, allow_redirects=False).status_code == 410
    superuser_client.post(
        reverse("admin:sandbox_graph_mailbox_changelist"),
        {"action": "expire_access_tokens", "_selected_action": [mailbox.pk]},
    )
    assert kari.get(f"{sandbox.graph}/me", timeout=10).status_code == 401
    note = Notification.objects.filter(kind="lifecycle").first()
    superuser_client.post(
        reverse("admin:sandbox_graph_notification_changelist"),
        {"action": "deliver_again", "_selected_action": [note.pk]},
    )
    assert len([r for r in receiver.received if r["path"] == "/lifecycle"]) == 2


@pytest.mark.django_db
def test_admin_pages_render(superuser_client):
    seed()
    for name in (
        "knobs",
        "app",
        "mailbox",
        "event",
        "subscription",
        "notification",
        "token",
        "requestlog",
    ):
        assert (
            superuser_client.get(reverse(f"admin:sandbox_graph_{name}_changelist")).status_code
            == 200
        ), name


@pytest.mark.django_db
def test_seed_is_idempotent_and_the_demo_office_gets_a_mailbox_each(capsys):
    call_command("sandbox_graph_seed")
    first = Event.objects.count()
    call_command("sandbox_graph_seed")
    assert Event.objects.count() == first and Mailbox.objects.count() == 4
    call_command("sandbox_graph_seed", "--demo-office")
    from apps.demo.office import PEOPLE

    assert Mailbox.objects.count() == len(PEOPLE)
    emma = Mailbox.objects.get(user_principal_name="emma@tidsbro.no")
    assert emma.time_zone == "America/New_York"
    kinds = set(Event.objects.filter(mailbox=emma).values_list("type", flat=True))
    assert kinds == {"singleInstance", "seriesMaster", "exception"}


def test_dataset_makes_a_year_of_events_a_delta_round_reads(sandbox):
    call_command(
        "sandbox_graph_dataset",
        "--events",
        "300",
        "--mailbox",
        "bench@tidsbro.no",
        "--start",
        "2026-01-01",
    )
    mailbox = Mailbox.objects.get(user_principal_name="bench@tidsbro.no")
    assert Event.objects.filter(mailbox=mailbox).count() == 300
    tokens = sandbox.sign_in(email="bench@tidsbro.no")
    client = sandbox.client(tokens["access_token"], prefer="odata.maxpagesize=100")
    items, delta_link, pages = sync(
        client,
        f"{sandbox.graph}/me/calendarView/delta",
        params={"startDateTime": "2026-01-01T00:00:00Z", "endDateTime": "2027-01-01T00:00:00Z"},
    )
    assert len({i["id"] for i in items}) >= 300 and pages >= 3
    unchanged = client.get(delta_link, timeout=10).json()
    assert unchanged["value"] == [] and "@odata.deltaLink" in unchanged
