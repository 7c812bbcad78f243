"""A person connects their Outlook calendar through the real sign-in (Tidsbro's OAuth start →
the sandbox's sign-in and consent pages over HTTP → Tidsbro's callback → MSAL)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db import connection as db
from django.test import Client

from apps.calendars.models import CalendarAccount
from apps.integrations.connectors.graph.auth import SESSION_KEY
from tests.integrations.graph import world

pytestmark = pytest.mark.django_db(transaction=True)

TENANT = "5d7c3f1a-2b4e-4c6d-8e9f-0a1b2c3d4e5f"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _stored_state(pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT state FROM calendars_calendaraccount WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def _person_client(email="kari@tidsbro.no"):
    user = world.person_make(email)
    client = Client()
    client.force_login(user)
    return user, client


def test_sign_in_and_consent_save_the_tokens_encrypted(calendar_account):
    user = world.person_make("kari@tidsbro.no")
    account = calendar_account(user)
    assert account.account_email == "kari@tidsbro.no"
    assert account.tenant_id == TENANT
    assert account.account_id == str(world.GraphSandbox("").mailbox("kari@tidsbro.no").object_id)
    assert [s for s in account.scopes if s.endswith("Calendars.Read")]
    assert not account.can_write
    doc = account.state_doc
    assert doc["refresh_token"] and doc["access_token"] and doc["access_expires_at"]
    stored = _stored_state(account.pk)
    assert doc["refresh_token"] not in stored
    assert doc["access_token"] not in stored


def test_write_access_asks_for_read_write(calendar_account):
    user = world.person_make("lars@tidsbro.no")
    account = calendar_account(user, write=True)
    assert account.can_write
    assert account.account_email == "lars@tidsbro.no"


def test_the_browser_goes_to_the_routed_sign_in_page_with_pkce(graph_sandbox, graph_connection):
    _user, client = _person_client()
    started = world.start_url(client)
    assert started.status_code == 302
    location = started["Location"]
    # The browser sees the sandbox's real (http) address; MSAL only ever saw the https name.
    assert location.startswith(f"{graph_sandbox.base}/login/{TENANT}/oauth2/v2.0/authorize?")
    assert "code_challenge_method=S256" in location
    assert "Calendars.Read" in location and "offline_access" in location
    flow = client.session[SESSION_KEY]
    assert flow["auth_uri"].startswith("https://m365.sandbox.tidsbro.test/login/")
    assert flow["redirect_uri"] == f"{graph_sandbox.url}/integrations/oauth/graph/callback/"


def test_a_reused_code_saves_nothing_and_says_so(graph_sandbox, graph_connection):
    user, client = _person_client()
    started = world.start_url(client)
    flow = dict(client.session[SESSION_KEY])
    location = world.browser_sign_in(started["Location"], email="kari@tidsbro.no")
    done = world.callback(client, location)
    assert "Your calendar is connected (kari@tidsbro.no)." in _messages(done)
    first = CalendarAccount.objects.get(user=user).state_doc
    # The same answer again, with the same pending flow: Microsoft refuses the used code.
    session = client.session
    session[SESSION_KEY] = flow
    session.save()
    again = world.callback(client, location)
    assert again.status_code == 302
    message = _messages(again)[-1]
    assert "Microsoft refused the sign-in (invalid_grant AADSTS" in message
    assert "Nothing was saved." in message
    assert CalendarAccount.objects.get(user=user).state_doc == first
    # And once more without a pending flow (the callback reloaded): nothing either.
    third = world.callback(client, location)
    assert "The sign-in has expired or was not started" in _messages(third)[-1]


def test_declined_consent_saves_nothing(graph_sandbox, graph_connection):
    user, client = _person_client()
    started = world.start_url(client)
    location = world.browser_sign_in(started["Location"], email="kari@tidsbro.no", consent=False)
    assert "error=access_denied" in location
    done = world.callback(client, location)
    assert _messages(done) == [
        "The sign-in was cancelled or permission was not given. Nothing was saved."
    ]
    assert not CalendarAccount.objects.filter(user=user).exists()


def test_a_tampered_state_saves_nothing(graph_sandbox, graph_connection):
    user, client = _person_client()
    started = world.start_url(client)
    location = world.browser_sign_in(started["Location"], email="kari@tidsbro.no")
    tampered = location.replace("state=", "state=x")
    done = world.callback(client, tampered)
    assert "did not match the one started here" in _messages(done)[-1]
    assert not CalendarAccount.objects.filter(user=user).exists()
    # The pending flow was used up: the real answer afterwards is refused too.
    assert "expired or was not started" in _messages(world.callback(client, location))[-1]


def test_start_needs_the_office_connection_and_write_permission(graph_sandbox, settings):
    _user, client = _person_client()
    refused = world.start_url(client, next_url="/admin/")
    assert refused["Location"] == "/admin/"
    assert _messages(refused) == ["Calendars are not switched on for this office."]
    world.connection_make(allow_write=False)
    refused = world.start_url(client, write=True, next_url="/admin/")
    assert _messages(refused)[-1] == "This office does not allow saving hours in the calendar."
    assert SESSION_KEY not in client.session
    assert world.start_url(client).status_code == 302


def test_a_person_without_hours_may_not_connect(graph_sandbox, graph_connection):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(email="guest@tidsbro.no", password="x")
    client = Client()
    client.force_login(user)
    refused = world.start_url(client, next_url="/admin/")
    assert _messages(refused) == ["You may not connect a calendar."]
