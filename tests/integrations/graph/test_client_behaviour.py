"""The client's manners: one request at a time, a second 401 gives up, the real receiver's
handshake."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from apps.integrations.connectors.base import AuthFailed
from apps.sandbox.graph.models import Subscription
from apps.sandbox.graph.tokens import access_tokens_expire
from tests.integrations.graph import world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kari(calendar_account):
    return calendar_account(world.person_make("kari@tidsbro.no"))


def test_requests_go_one_at_a_time_per_client(graph_sandbox, kari):
    world.knobs(latency_ms=40)
    client = world.client_for(kari)
    items, _delta, _pages = world.full_round(client)
    ids = [i.id for i in items][:6]
    in_flight = peak = 0
    guard = threading.Lock()
    send = client._http.request

    def counted(*args, **kwargs):
        nonlocal in_flight, peak
        with guard:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            return send(*args, **kwargs)
        finally:
            with guard:
                in_flight -= 1

    client._http.request = counted
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda i=i: found.append(client.get_event(i).id)) for i in ids
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
    finally:
        client.close()
    assert sorted(found) == sorted(ids)
    assert peak == 1


def test_a_second_401_after_renewal_gives_up(graph_sandbox, kari):
    mailbox = graph_sandbox.mailbox("kari@tidsbro.no")
    access_tokens_expire(mailbox=mailbox)
    mark = graph_sandbox.mark()
    client = world.client_for(kari)
    renew = client.keeper.renew

    def renew_then_expire_again(**kwargs):
        token = renew(**kwargs)
        access_tokens_expire(mailbox=mailbox)  # the sandbox admin's "expire access tokens"
        return token

    client.keeper.renew = renew_then_expire_again
    try:
        with pytest.raises(AuthFailed) as caught:
            client.delta_page(link="", window=world.window())
    finally:
        client.close()
    assert "connect the calendar again" in str(caught.value)
    rows = graph_sandbox.requests_since(mark)
    assert [r.http_status for r in rows] == [401, 200, 401]  # delta, token, delta: no loop


def test_the_calendars_receiver_answers_the_handshake(graph_sandbox, calendar_account):
    account = calendar_account(world.person_make("lars@tidsbro.no"), write=True)
    client = world.client_for(account)
    url = f"{graph_sandbox.url}/calendars/notify/graph/"
    try:
        sub_id, _until = client.subscribe(
            notification_url=url,
            lifecycle_url=f"{graph_sandbox.url}/calendars/lifecycle/graph/",
            client_state="another-client-state",
            expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=2),
        )
    finally:
        client.close()
    sub = Subscription.objects.get(notification_url=url, client_state="another-client-state")
    assert sub_id and sub.removed_at is None  # made only after the handshake passed
