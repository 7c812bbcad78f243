"""Access and refresh tokens: cached, renewed under a lock, rotated, refused."""

from __future__ import annotations

import pytest
import requests

from apps.calendars.models import CalendarAccount
from apps.integrations.connectors.base import AuthFailed
from apps.integrations.connectors.graph.spec import SPEC
from apps.sandbox.graph.tokens import access_tokens_expire, tokens_revoke
from tests.integrations.graph import world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kari(calendar_account):
    return calendar_account(world.person_make("kari@tidsbro.no"))


def _paths(rows) -> list[str]:
    return [f"{r.method} {r.path.split('?')[0]}" for r in rows]


def test_an_unchanged_round_is_one_request_and_no_token_request(graph_sandbox, kari):
    client = world.client_for(kari)
    try:
        _items, delta, _pages = world.full_round(client)
    finally:
        client.close()
    mark = graph_sandbox.mark()
    # The next round: a new client (as each round makes one), the stored access token.
    client = world.client_for(kari)
    try:
        page = client.delta_page(link=delta, window=world.window())
    finally:
        client.close()
    assert page.items == [] and page.delta_link
    rows = graph_sandbox.requests_since(mark)
    assert _paths(rows) == ["GET /sandbox/graph/v1.0/me/calendarView/delta"]
    assert client.keeper.renewals == 0


def test_an_expired_access_token_is_renewed_once_and_the_new_refresh_token_saved(
    graph_sandbox, kari
):
    before = kari.state_doc
    access_tokens_expire(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
    mark = graph_sandbox.mark()
    client = world.client_for(kari)
    try:
        items, _delta, _pages = world.full_round(client)
    finally:
        client.close()
    assert items
    after = CalendarAccount.objects.get(pk=kari.pk).state_doc
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_token"] != before["access_token"]
    rows = graph_sandbox.requests_since(mark)
    statuses = [(r.path.split("?")[0].rsplit("/", 1)[-1], r.http_status) for r in rows]
    assert statuses == [("delta", 401), ("token", 200), ("delta", 200)]
    assert client.keeper.renewals == 1
    # The old refresh token was rotated away: using it again is refused.
    answer = requests.post(
        f"{graph_sandbox.base}/login/{kari.tenant_id}/oauth2/v2.0/token",
        data={
            "client_id": "tidsbro-demo-graph",
            "client_secret": "tidsbro-demo-graph-secret",
            "grant_type": "refresh_token",
            "refresh_token": before["refresh_token"],
        },
        timeout=10,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_reused_refresh_token_asks_the_person_to_connect_again(graph_sandbox, kari):
    old = kari.state_doc
    access_tokens_expire(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
    client = world.client_for(kari)
    try:
        world.full_round(client)  # renews: the stored refresh token is replaced
    finally:
        client.close()
    # A stale copy of the token document (e.g. a backup restored) holds the used one.
    account = CalendarAccount.objects.get(pk=kari.pk)
    account.state_doc = {**old, "access_expires_at": "2000-01-01T00:00:00+00:00"}
    account.save()
    client = world.client_for(account)
    try:
        with pytest.raises(AuthFailed) as caught:
            client.delta_page(link="", window=world.window())
    finally:
        client.close()
    message = str(caught.value)
    assert "connect the calendar again" in message
    assert "AADSTS" in message
    assert old["refresh_token"] not in message and old["access_token"] not in message
    assert SPEC.explain(caught.value).startswith("Connect your calendar again:")


def test_revoked_tokens_fail_with_connect_again(graph_sandbox, kari):
    tokens_revoke(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
    client = world.client_for(kari)
    try:
        with pytest.raises(AuthFailed) as caught:
            client.get_event("AAkALgAAnothing")
    finally:
        client.close()
    assert "connect the calendar again" in str(caught.value)
    assert kari.state_doc["refresh_token"] not in str(caught.value)


def test_a_renewal_by_another_worker_is_used_without_a_token_request(graph_sandbox, kari):
    first = world.client_for(kari)
    second = world.client_for(kari)  # another worker, holding the same (soon old) token
    try:
        access_tokens_expire(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
        first.delta_page(link="", window=world.window())  # 401 → renews, saves
        mark = graph_sandbox.mark()
        second.delta_page(link="", window=world.window())  # 401 → finds the new one
    finally:
        first.close()
        second.close()
    rows = graph_sandbox.requests_since(mark)
    assert [r.http_status for r in rows] == [401, 200]
    assert not [r for r in rows if r.path.endswith("/token")]
    assert first.keeper.renewals == 1 and second.keeper.renewals == 0


def test_the_token_endpoint_down_is_unavailable_not_reconnect(graph_sandbox, kari, settings):
    from apps.integrations.connectors.base import Unavailable

    account = CalendarAccount.objects.get(pk=kari.pk)
    account.state_doc = {**account.state_doc, "access_expires_at": "2000-01-01T00:00:00+00:00"}
    account.save()
    settings.GRAPH_ROUTE_TO = "http://127.0.0.1:9/sandbox/graph"  # nothing listens there
    client = world.client_for(account)
    try:
        with pytest.raises(Unavailable) as caught:
            client.delta_page(link="", window=world.window())
    finally:
        client.close()
    assert "could not be reached" in str(caught.value)
    assert CalendarAccount.objects.get(pk=kari.pk).state_doc == account.state_doc


class _TokenEndpointDown:
    """Between Tidsbro and the sandbox: discovery passes through, the token endpoint
    answers `status` with `body` (Microsoft's outage answers)."""

    def __init__(self, upstream: str, status: int, body: bytes) -> None:
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                answer = requests.get(upstream + self.path, timeout=10)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_POST(self):  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (
            503,
            b'{"error": "temporarily_unavailable", "error_description": "AADSTS50196: '
            b'The server is busy.", "error_codes": [50196]}',
        ),
        (500, b"<html>Internal error</html>"),
        (400, b'{"error": "temporarily_unavailable", "error_codes": [90033]}'),
    ],
)
def test_the_token_endpoint_in_trouble_is_unavailable(graph_sandbox, kari, settings, status, body):
    from apps.integrations.connectors.base import Unavailable

    account = CalendarAccount.objects.get(pk=kari.pk)
    account.state_doc = {**account.state_doc, "access_expires_at": "2000-01-01T00:00:00+00:00"}
    account.save()
    down = _TokenEndpointDown(graph_sandbox.base, status, body)
    settings.GRAPH_ROUTE_TO = down.url
    client = world.client_for(account)
    try:
        with pytest.raises(Unavailable) as caught:
            client.delta_page(link="", window=world.window())
    finally:
        client.close()
        down.close()
    assert not isinstance(caught.value, AuthFailed)
    assert CalendarAccount.objects.get(pk=kari.pk).state_doc == account.state_doc
    assert account.state_doc["refresh_token"] not in str(caught.value)


def test_two_workers_renewing_at_once_both_go_on(graph_sandbox, kari):
    """Two rounds of the same person at once, both with an expired token: the refresh token
    is spent once (row lock), or the one that lost the race takes the winner's new token."""
    import threading

    from django.db import connection as db

    clients = [world.client_for(kari), world.client_for(kari)]
    access_tokens_expire(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
    mark = graph_sandbox.mark()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run(client):
        from django.db import connections

        try:
            start.wait(10)
            client.delta_page(link="", window=world.window())
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 - the outcome is the assertion
            outcomes.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == ["ok", "ok"]
    spent = [r for r in graph_sandbox.requests_since(mark) if r.path.endswith("/token")]
    if db.vendor == "postgresql":
        assert len(spent) == 1  # the second worker waited for the lock and used the new token
    # Whatever happened, the stored sign-in still works.
    access_tokens_expire(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
    client = world.client_for(kari)
    try:
        assert client.delta_page(link="", window=world.window()).items
    finally:
        client.close()


def test_a_process_asks_for_the_tenants_discovery_once_for_many_renewals(
    graph_sandbox, kari, monkeypatch
):
    """MSAL reads the tenant's OpenID configuration for each app object (one a renewal): the
    answer is kept an hour, so a second renewal costs the token request only."""
    from apps.integrations.connectors.graph import auth

    sent: list[str] = []
    send = requests.Session.send

    def counting_send(session, request, **kwargs):
        sent.append(f"{request.method} {request.url.split('?')[0]}")
        return send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", counting_send)

    def renewal() -> list[str]:
        """A round after the access token expired: what it asked the identity platform."""
        access_tokens_expire(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"))
        sent.clear()
        client = world.client_for(CalendarAccount.objects.get(pk=kari.pk))
        try:
            world.full_round(client)
        finally:
            client.close()
        assert client.keeper.renewals == 1
        return [s.rsplit("/", 1)[-1] for s in sent if "/sandbox/graph/login/" in s]

    auth.forget_discovery()
    assert [renewal(), renewal()] == [["openid-configuration", "token"], ["token"]]
    # Dropped (or an hour later): asked again.
    auth.forget_discovery()
    assert renewal() == ["openid-configuration", "token"]
