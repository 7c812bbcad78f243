"""Log in with 24SevenOffice: the person's own 24SO login, checked live against the sandbox,
opens Tidsbro as the user mapped to them; everyone else is refused with a clear message."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from apps.integrations import registry
from apps.integrations.connectors.base import Capabilities, ConnectorSpec, Entity
from apps.integrations.models import Binding, Connection
from apps.integrations.sso import BACKEND
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.accounts.factories import employee
from tests.integrations.factories import connection_24so

KARI_PASSWORD = "Fjell-og-fjord-24"
SSO = "sso_login"


@pytest.fixture
def world(live_server, settings):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    connection = connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        client_name="Fjordlys Rådgivning AS",
        client_id="2400101",
        connected=["user"],
        sso_allowed=True,
    )
    person = so.Person.objects.filter(client__client_id=2400101).order_by("contact_id")[2]
    login = so.Login.objects.create(
        username="kari@fjordlys.no", password=make_password(KARI_PASSWORD)
    )
    so.Identity.objects.create(login=login, client=person.client, person=person, is_default=True)
    kari = employee(email="kari.nordmann@tidsbro.no")
    Binding.objects.create(
        connection=connection, entity="user", external_id=str(person.contact_id), local_id=kari.pk
    )
    return {"connection": connection, "kari": kari, "person": person, "login": login}


def sso(client, username="kari@fjordlys.no", password=KARI_PASSWORD):
    return client.post(reverse(SSO), {"username": username, "password": password})


def refused(response) -> str:
    assert response.status_code == 200
    assert SESSION_KEY not in response.wsgi_request.session
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_mapped_colleague_logs_in_with_their_24so_login(client, world):
    login_page = client.get(reverse("admin:login")).content.decode()
    assert "Log in with 24SevenOffice" in login_page

    response = sso(client)

    assert response.status_code == 302 and response.url == reverse("admin:index")
    assert client.session[SESSION_KEY] == str(world["kari"].pk)
    assert client.session["_auth_user_backend"] == BACKEND
    assert client.get(reverse("admin:index")).status_code == 200
    # The 24SO password is kept nowhere: not as the Tidsbro password, not in the session.
    world["kari"].refresh_from_db()
    assert not world["kari"].check_password(KARI_PASSWORD)
    assert KARI_PASSWORD not in str(dict(client.session))


@pytest.mark.django_db(transaction=True)
def test_a_wrong_password_is_refused_and_counted_by_the_lockout(client, world):
    html = refused(sso(client, password="not-it"))
    assert "did not accept the username or password" in html
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "kari@fjordlys.no" and attempt.failures_since_start == 1
    assert "not-it" not in attempt.post_data


@pytest.mark.django_db(transaction=True)
def test_inactive_unmapped_other_client_and_switched_off_are_refused_with_the_reason(client, world):
    world["kari"].is_active = False
    world["kari"].save()
    assert "is deactivated" in refused(sso(client))

    Binding.objects.filter(entity="user").update(local_id=None)
    assert "not linked to a Tidsbro user" in refused(sso(client))

    so.Identity.objects.filter(login=world["login"]).update(
        client=so.Client.objects.get(client_id=2400102)
    )
    assert "has no access to Fjordlys" in refused(sso(client))

    Connection.objects.update(sso_allowed=False)
    assert "Log in with 24SevenOffice" not in client.get(reverse("admin:login")).content.decode()
    assert client.get(reverse(SSO)).status_code == 404
    assert client.post(reverse(SSO), {"username": "kari@fjordlys.no"}).status_code == 404


@pytest.mark.django_db
def test_the_plain_login_form_never_asks_24so(client, settings):
    settings.TWENTYFOURSEVEN_API_BASE = "http://127.0.0.1:9/never"
    connection_24so(username=DEMO_USERNAME, password="x", client_id="2400101", sso_allowed=True)
    user = employee(email="ola@tidsbro.no")
    user.set_password("local-Pa55word")
    user.save()
    response = client.post(
        reverse("admin:login"), {"username": "ola@tidsbro.no", "password": "local-Pa55word"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"


class _NoSsoSpec(ConnectorSpec):
    system = "nosso"
    display_name = "No SSO Ledger"
    capabilities = Capabilities(system="nosso", pull=frozenset({Entity.CUSTOMER}))


@pytest.mark.django_db
def test_a_system_without_log_in_offers_no_link_even_when_allowed(client):
    spec = _NoSsoSpec()
    registry.register(spec)
    try:
        Connection.objects.create(system="nosso", sso_allowed=True)
        html = client.get(reverse("admin:login")).content.decode()
        assert 'id="sso-login"' not in html
        assert client.get(reverse(SSO)).status_code == 404
        # The page's address names no system.
        assert reverse(SSO) == "/accounts/erp-login/"
    finally:
        for table in (registry._specs, registry._connectors, registry._capabilities):
            table.pop(spec.system, None)
