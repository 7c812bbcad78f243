"""Graph's event JSON read and written, the routing session, the provider's words."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from zoneinfo import ZoneInfo

import pytest

from apps.calendars.providers import EventWrite, RemoteEvent, Removed, SyncReset
from apps.integrations.connectors.base import AuthFailed, RateLimited, Rejected, Unavailable
from apps.integrations.connectors.graph import mappers, transport
from apps.integrations.connectors.graph.provider import PROVIDER
from apps.integrations.connectors.graph.spec import SPEC

BASE = {
    "id": "AAkALgAA1",
    "subject": "Weekly",
    "start": {"dateTime": "2026-12-07T08:30:00.0000000", "timeZone": "UTC"},
    "end": {"dateTime": "2026-12-07T09:15:00.1234567", "timeZone": "UTC"},
}


def test_times_without_offset_become_aware_utc():
    event = mappers.remote_event(BASE)
    assert event.start == dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)
    assert event.end == dt.datetime(2026, 12, 7, 9, 15, 0, 123456, tzinfo=dt.UTC)
    oslo = mappers.remote_event(
        {**BASE, "start": {"dateTime": "2026-12-07T09:30:00", "timeZone": "Europe/Oslo"}}
    )
    assert oslo.start == dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC)
    windows = mappers.remote_event(
        {
            **BASE,
            "start": {"dateTime": "2026-07-07T09:30:00", "timeZone": "W. Europe Standard Time"},
        }
    )
    assert windows.start == dt.datetime(2026, 7, 7, 7, 30, tzinfo=dt.UTC)


def test_defaults_html_body_and_removed():
    event = mappers.remote_event(
        {
            **BASE,
            "body": {
                "contentType": "html",
                "content": "<html><head><style>p{}</style></head><body><p>Agenda &amp; notes"
                "</p><p>Second <b>line</b></p></body></html>",
            },
            "sensitivity": "private",
            "responseStatus": {"response": "accepted"},
            "categories": ["Customer work"],
        }
    )
    assert isinstance(event, RemoteEvent)
    assert event.body_text == "Agenda & notes\nSecond line"
    assert event.sensitivity == "private" and event.subject == "Weekly"
    assert event.response == "accepted" and event.categories == ("Customer work",)
    assert event.type == "singleInstance" and event.show_as == "busy"
    removed = {
        "@odata.type": "#microsoft.graph.event",
        "id": "x",
        "@removed": {"reason": "deleted"},
    }
    assert mappers.remote_event(removed) == Removed(id="x")


@pytest.mark.parametrize(
    "data",
    [
        "not an object",
        {"subject": "no id"},
        {**BASE, "start": None},
        {**BASE, "end": {"timeZone": "UTC"}},
        {**BASE, "start": {"dateTime": "07.12.2026 08:30", "timeZone": "UTC"}},
        {**BASE, "start": {"dateTime": "2026-13-40T08:30:00", "timeZone": "UTC"}},
        {**BASE, "start": {"dateTime": "2026-12-07T08:30:00", "timeZone": "Mars/Olympus"}},
        {**BASE, "start": {"dateTime": "2026-12-08T08:30:00", "timeZone": "UTC"}},
        {**BASE, "categories": "Customer work"},
    ],
)
def test_bad_input_is_unavailable_with_a_clear_message(data):
    with pytest.raises(Unavailable) as caught:
        mappers.remote_event(data)
    assert str(caught.value).startswith("read: Microsoft Graph sent an event Tidsbro cannot read")


def test_the_write_body_is_in_the_persons_zone():
    oslo = ZoneInfo("Europe/Oslo")
    body = mappers.event_body(
        EventWrite(
            subject="Apollo · Design",
            body_text="Notes",
            start=dt.datetime(2026, 12, 7, 9, 0, tzinfo=oslo),
            end=dt.datetime(2026, 12, 7, 8, 30, tzinfo=dt.UTC),
            time_zone="Europe/Oslo",
        )
    )
    assert body == {
        "subject": "Apollo · Design",
        "body": {"contentType": "text", "content": "Notes"},
        "start": {"dateTime": "2026-12-07T09:00:00.0000000", "timeZone": "Europe/Oslo"},
        "end": {"dateTime": "2026-12-07T09:30:00.0000000", "timeZone": "Europe/Oslo"},
        "categories": ["Tidsbro"],
        "showAs": "free",
    }


def test_routing_rewrites_only_the_configured_name(settings):
    settings.GRAPH_ROUTE_FROM = "https://m365.sandbox.tidsbro.test"
    settings.GRAPH_ROUTE_TO = "http://127.0.0.1:8000/sandbox/graph"
    assert (
        transport.route("https://m365.sandbox.tidsbro.test/v1.0/me/events?x=1")
        == "http://127.0.0.1:8000/sandbox/graph/v1.0/me/events?x=1"
    )
    assert transport.route("https://m365.sandbox.tidsbro.test.evil/v1.0") == (
        "https://m365.sandbox.tidsbro.test.evil/v1.0"
    )
    assert PROVIDER.browser_link("https://m365.sandbox.tidsbro.test/owa/?itemid=A") == (
        "http://127.0.0.1:8000/sandbox/graph/owa/?itemid=A"
    )
    settings.GRAPH_ROUTE_FROM = settings.GRAPH_ROUTE_TO = ""  # production: nothing rewritten
    assert PROVIDER.browser_link("https://outlook.office365.com/owa/?itemid=A") == (
        "https://outlook.office365.com/owa/?itemid=A"
    )


def test_the_session_follows_no_redirect_and_no_environment_proxy(settings, monkeypatch):
    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    settings.GRAPH_ROUTE_FROM = "https://m365.sandbox.tidsbro.test"
    settings.GRAPH_ROUTE_TO = f"http://127.0.0.1:{server.server_port}"
    session = transport.GraphSession()
    try:
        answer = session.get("https://m365.sandbox.tidsbro.test/login/x", timeout=5)
        assert answer.status_code == 302 and answer.url.endswith("/login/x")
    finally:
        session.close()
        server.shutdown()
        server.server_close()


def test_the_provider_declares_its_limits():
    assert PROVIDER.concurrency_limit == 4
    assert dt.timedelta(days=1) < PROVIDER.subscription_lifetime <= dt.timedelta(days=7)
    assert PROVIDER.scopes(write=False) == ["https://graph.microsoft.com/Calendars.Read"]
    assert PROVIDER.scopes(write=True) == ["https://graph.microsoft.com/Calendars.ReadWrite"]
    assert SPEC.calendar is PROVIDER


def test_explain_words_each_failure():
    assert SPEC.explain(AuthFailed("x")).startswith("Connect your calendar again:")
    assert "in 30 seconds" in SPEC.explain(RateLimited("x", retry_after=30))
    assert "tries again by itself" in SPEC.explain(Unavailable("x"))
    assert "Too long" in SPEC.explain(Rejected("HTTP 400: Too long", messages=("Too long",)))
    assert "full synchronisation" in SPEC.explain(SyncReset("x"))


def test_the_redirect_uri_is_this_tidsbros_callback(settings):
    from django.test import RequestFactory

    from apps.integrations.connectors.graph.provider import callback_uri

    request = RequestFactory().get("/admin/")
    settings.TIDSBRO_BASE_URL = "https://office.tidsbro.no"
    assert callback_uri(request) == "https://office.tidsbro.no/integrations/oauth/graph/callback/"
    settings.TIDSBRO_BASE_URL = ""
    assert callback_uri(request) == "http://testserver/integrations/oauth/graph/callback/"
