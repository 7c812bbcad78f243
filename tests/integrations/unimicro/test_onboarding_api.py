"""Activating Unimicro with full integration, as an administrator does it in the browser:
Log in to Unimicro (the sandbox's login, organisation and consent pages over real HTTP), back
to Tidsbro, choose the company from Unimicro's list, name the key, connect."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.integrations.admin_views.onboarding import STATE_KEY
from apps.integrations.connectors.unimicro import auth
from apps.integrations.models import Connection
from tests.accounts.factories import admin_user
from tests.integrations.unimicro.conftest import (
    COMPANY_1,
    COMPANY_1_TEST,
    COMPANY_2,
    TIDSBRO_HOST,
    sandbox_authorize,
)

pytestmark = pytest.mark.django_db(transaction=True)
STEP = "admin:integrations_connection_connect_step"


def step(name: str) -> str:
    return reverse(STEP, args=[name])


def local(url: str) -> str:
    split = urlsplit(url)
    return f"{split.path}?{split.query}" if split.query else split.path


@pytest.fixture
def admin(client):
    # Tidsbro as the sandbox's loopback redirect URI expects it.
    client.defaults["SERVER_NAME"] = TIDSBRO_HOST
    client.force_login(admin_user())
    return client


def log_in(admin, sandbox, **login) -> None:
    admin.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    assert admin.post(step("mode"), {"mode": "api"}).url == step("login")
    html = admin.get(step("login")).content.decode()
    assert 'id="unimicro-login"' in html and "Log in to Unimicro" in html
    response = admin.post(step("login"), {"login": "1"})
    assert response.status_code == 302
    assert response.url.startswith(f"{sandbox.issuer}/connect/authorize?")
    back = sandbox_authorize(response.url, **login)
    assert back.startswith(f"http://{TIDSBRO_HOST}/integrations/oauth/unimicro/callback/?")
    response = admin.get(local(back))
    assert response.status_code == 302
    return response


def test_the_wizard_logs_in_picks_the_company_names_the_key_and_connects(admin, unimicro_sandbox):
    response = log_in(admin, unimicro_sandbox)
    assert response.url == step("company")
    assert any("Logged in to Unimicro as" in str(m) for m in get_messages(response.wsgi_request))
    # The tokens wait encrypted in the wizard; no plain token in the session.
    wizard = admin.session[STATE_KEY]
    assert wizard["login"]["user_name"] and wizard["access_token"]
    assert not wizard["access_token"].startswith("eyJ")  # not the JWT itself
    assert not wizard["refresh_token"].startswith("eyJ")

    html = admin.get(step("company")).content.decode()
    assert "Tidsbro Rådgivning AS (org. no. 912345670)" in html
    assert COMPANY_1 in html and COMPANY_1_TEST in html
    assert COMPANY_2 not in html  # the other organisation's company

    assert admin.post(step("company"), {"company_key": COMPANY_1}).url == step("key")
    html = admin.get(step("key")).content.decode()
    assert 'value="Tidsbro – Tidsbro Rådgivning AS"' in html  # the default name
    assert admin.post(step("key"), {"name": "  Regnskap   Rådgivning "}).url == reverse(
        "admin:integrations_connection_connect_objects"
    )

    html = admin.get(reverse("admin:integrations_connection_connect_objects")).content.decode()
    assert "Full integration with Unimicro company <strong>Tidsbro Rådgivning AS</strong>" in html
    # Tidsbro is the master of customers and projects by default (CONTRACT-17 §5).
    assert '<option value="tidsbro" selected>' in html.split('name="master_customer"')[1][:400]

    response = admin.post(
        reverse("admin:integrations_connection_connect_objects"),
        {
            "connected": ["customer", "project", "work_type"],
            "master_customer": "tidsbro",
            "master_project": "tidsbro",
            "master_work_type": "both",
            "hour_transfer": "on_approval",
        },
    )
    connection = Connection.objects.get(system="unimicro")
    assert response.status_code == 302
    settings = connection.settings
    assert settings["mode"] == "api" and settings["auth"] == "login"
    assert settings["company_key"] == COMPANY_1
    assert settings["company_name"] == "Tidsbro Rådgivning AS"
    assert settings["issuer"] == unimicro_sandbox.issuer
    assert settings["api_base"] == unimicro_sandbox.api_base
    [key] = settings["keys"]
    assert key["name"] == "Regnskap Rådgivning" and settings["active_key"] == key["id"]
    assert key["company_key"] == COMPANY_1 and key["revoked_at"] is None and key["user_name"]
    assert connection.credentials_doc == {}
    tokens = connection.state_doc["tokens"][key["id"]]
    assert tokens["refresh_token"] and tokens["access_token"]
    assert connection.masters["customer"] == "tidsbro"
    assert STATE_KEY not in admin.session


def test_a_login_for_the_second_organisation_lists_its_company_only(admin, unimicro_sandbox):
    log_in(admin, unimicro_sandbox, organisation="Tidsbro Holding AS")
    html = admin.get(step("company")).content.decode()
    assert COMPANY_2 in html and COMPANY_1 not in html


def test_declining_the_permissions_returns_to_the_login_step_with_the_reason(
    admin, unimicro_sandbox
):
    response = log_in(admin, unimicro_sandbox, deny=True)
    assert response.url == step("login")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("permissions were not accepted" in t for t in texts)
    # Without a login the company step is not reachable.
    assert admin.get(step("company")).status_code == 302
    assert not Connection.objects.exists()


def test_a_forged_callback_is_refused_and_the_wizard_stays_where_it_was(admin, unimicro_sandbox):
    admin.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    admin.post(step("mode"), {"mode": "api"})
    admin.post(step("login"), {"login": "1"})
    response = admin.get(
        reverse("integrations_oauth_callback", args=["unimicro"])
        + f"?code=x&state=forged&iss={unimicro_sandbox.issuer}"
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("does not belong to a login started here" in t for t in texts)
    assert not admin.session[STATE_KEY].get("login")


def test_the_callback_needs_a_signed_in_administrator(client, unimicro_sandbox):
    response = client.get(reverse("integrations_oauth_callback", args=["unimicro"]) + "?state=x")
    assert response.status_code == 302 and reverse("admin:login") in response.url
    assert client.get(reverse("integrations_oauth_callback", args=["nosuch"])).status_code in (
        302,
        404,
    )


def test_server_access_is_offered_only_when_configured(admin, unimicro_sandbox, settings):
    admin.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    admin.post(step("mode"), {"mode": "api"})
    assert "server access (a certificate" not in admin.get(step("login")).content.decode()
    settings.UNIMICRO_SERVER_CLIENT_ID = "tidsbro-demo-server"
    settings.UNIMICRO_SERVER_CERTIFICATE = "/nonexistent.p12"
    assert auth.server_access_configured()
    assert "server access (a certificate" in admin.get(step("login")).content.decode()


def test_an_unreachable_login_service_is_said_on_the_login_step(client, settings):
    settings.UNIMICRO_ISSUER = "http://127.0.0.1:9/sandbox/unimicro/identity"  # nothing listens
    auth.forget_providers()
    client.force_login(admin_user())
    client.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    client.post(step("mode"), {"mode": "api"})
    response = client.post(step("login"), {"login": "1"})
    assert response.status_code == 200
    assert "Could not reach Unimicro&#x27;s login service." in response.content.decode()
