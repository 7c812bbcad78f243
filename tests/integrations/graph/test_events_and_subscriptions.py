"""Events Tidsbro writes, and change subscriptions with the validation handshake."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from zoneinfo import ZoneInfo

import pytest
from django.test import RequestFactory

from apps.calendars.providers import EventWrite, Notice
from apps.integrations.connectors.base import AuthFailed
from apps.integrations.connectors.graph.provider import PROVIDER
from apps.integrations.connectors.graph.spec import SPEC
from apps.sandbox.graph.events import event_update
from apps.sandbox.graph.models import Event, Subscription
from apps.sandbox.graph.notifications import lifecycle_send
from tests.integrations.graph import world

pytestmark = pytest.mark.django_db(transaction=True)
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def writer(calendar_account):
    account = calendar_account(world.person_make("lars@tidsbro.no"), write=True)
    made = world.client_for(account)
    yield made
    made.close()


def _write(day: dt.date, start: int, end: int, **kw) -> EventWrite:
    return EventWrite(
        subject=kw.pop("subject", "Apollo · Design"),
        body_text=kw.pop("body_text", "Sketches for the lobby."),
        start=dt.datetime.combine(day, dt.time(start), OSLO),
        end=dt.datetime.combine(day, dt.time(end), OSLO),
        time_zone="Europe/Oslo",
        **kw,
    )


def test_create_update_and_delete_an_event(graph_sandbox, writer):
    day = dt.date.today() + dt.timedelta(days=3)
    made = writer.create_event(_write(day, 9, 11))
    assert made.subject == "Apollo · Design"
    assert made.categories == ("Tidsbro",) and made.show_as == "free"
    assert made.start == dt.datetime.combine(day, dt.time(9), OSLO).astimezone(dt.UTC)
    assert made.body_text == "Sketches for the lobby."
    row = Event.objects.get(subject="Apollo · Design")
    assert row.time_zone == "Europe/Oslo" and row.body_type == "text"
    assert row.start.astimezone(OSLO).hour == 9

    moved = writer.update_event(made.id, _write(day, 12, 13, subject="Apollo"))
    assert moved.id == made.id and moved.change_key != made.change_key
    assert moved.start.astimezone(OSLO).hour == 12 and moved.subject == "Apollo"
    assert writer.get_event(made.id).end.astimezone(OSLO).hour == 13

    writer.delete_event(made.id)
    assert writer.get_event(made.id) is None
    writer.delete_event(made.id)  # gone already: done


def test_a_read_only_sign_in_cannot_write(graph_sandbox, calendar_account):
    account = calendar_account(world.person_make("kari@tidsbro.no"))
    client = world.client_for(account)
    try:
        with pytest.raises(AuthFailed) as caught:
            client.create_event(_write(dt.date.today(), 9, 10))
    finally:
        client.close()
    assert "write access" in SPEC.explain(caught.value)
    assert not Event.objects.filter(subject="Apollo · Design").exists()


class Receiver:
    """A subscriber endpoint on loopback that answers through PROVIDER.parse_notifications
    (the same function the calendars receiver calls)."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []
        self.handshakes = 0
        outer = self
        factory = RequestFactory()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = factory.post(
                    self.path, data=body, content_type=self.headers.get("Content-Type", "")
                )
                answer = PROVIDER.parse_notifications(request)
                if isinstance(answer, list):
                    outer.notices.extend(answer)
                    self.send_response(202)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer.handshakes += 1
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer["Content-Type"])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def test_subscribe_with_the_handshake_then_notices_renew_and_unsubscribe(
    graph_sandbox, writer, receiver
):
    expires = dt.datetime.now(dt.UTC) + PROVIDER.subscription_lifetime
    sub_id, until = writer.subscribe(
        notification_url=f"{receiver.url}/calendars/notify/graph/",
        lifecycle_url=f"{receiver.url}/calendars/lifecycle/graph/",
        client_state="s3cret-client-state",
        expires_at=expires,
    )
    assert receiver.handshakes == 2  # the notification and the lifecycle URL
    assert abs((until - expires).total_seconds()) < 1
    sub = Subscription.objects.get(notification_url__startswith=receiver.url)
    assert sub.resource == "me/events" and sub.change_type == "created,updated,deleted"
    assert sub.immutable_ids

    made = writer.create_event(_write(dt.date.today() + dt.timedelta(days=1), 9, 10))
    event_update(
        mailbox=graph_sandbox.mailbox("lars@tidsbro.no"),
        graph_id=made.id,
        data={"subject": "Moved in Outlook"},
    )
    assert (
        receiver.notices[:2]
        == [Notice(subscription_id=sub_id, client_state="s3cret-client-state")] * 2
    )
    lifecycle_send(subscription=sub, event="reauthorizationRequired")
    assert receiver.notices[-1].lifecycle_event == "reauthorizationRequired"

    later = writer.renew_subscription(sub_id, expires + dt.timedelta(days=1))
    assert later > until
    writer.unsubscribe(sub_id)
    assert Subscription.objects.get(pk=sub.pk).removed_at is not None
    writer.unsubscribe(sub_id)  # gone already: done


def test_parse_notifications_handshake_and_bodies():
    factory = RequestFactory()
    handshake = PROVIDER.parse_notifications(
        factory.post("/calendars/notify/graph/?validationToken=Validation%3A%20abc+1")
    )
    assert handshake.status_code == 200
    assert handshake["Content-Type"].startswith("text/plain")
    assert handshake.content.decode() == "Validation: abc 1"
    body = {
        "value": [
            {
                "subscriptionId": "sub-1",
                "clientState": "cs",
                "changeType": "updated",
                "resource": "Users/x/Events/y",
            },
            {"subscriptionId": "sub-1", "clientState": "cs", "lifecycleEvent": "missed"},
        ]
    }
    notices = PROVIDER.parse_notifications(
        factory.post("/n/", data=json.dumps(body), content_type="application/json")
    )
    assert notices == [
        Notice(subscription_id="sub-1", client_state="cs"),
        Notice(subscription_id="sub-1", client_state="cs", lifecycle_event="missed"),
    ]
    for bad in (b"not json", b"[]", b'{"value": {}}', b'{"value": [{"clientState": "x"}]}'):
        with pytest.raises(ValueError):
            PROVIDER.parse_notifications(
                factory.post("/n/", data=bad, content_type="application/json")
            )
