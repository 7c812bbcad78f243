"""Login protection (django-axes): lockout per (e-mail, address) that expires; proxies."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.accounts.factories import PASSWORD, employee
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


@pytest.fixture
def kari():
    return employee(email="kari@example.no")


def _login(client, email, password, **extra):
    return client.post(reverse("admin:login"), {"username": email, "password": password}, **extra)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_locks_after_the_limit_and_says_so(client, kari):
    for _ in range(LIMIT - 1):
        response = _login(client, "kari@example.no", "wrong")
        assert response.status_code == 200  # the login form again, with its error

    response = _login(client, "kari@example.no", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "blocked for 15 minutes after 3 failed attempts" in page

    # The right password does not help while locked, and the case of the e-mail does not matter.
    response = _login(client, "KARI@example.no", PASSWORD)
    assert response.status_code == 429
    assert not _logged_in(client)


def test_the_lockout_page_is_translated(client, kari):
    for _ in range(LIMIT):
        response = _login(client, "kari@example.no", "wrong", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 429
    assert response.headers["Content-Language"] == "nb"


def test_the_lockout_expires_after_the_cool_off(client, kari):
    for _ in range(LIMIT):
        _login(client, "kari@example.no", "wrong")
    assert _login(client, "kari@example.no", PASSWORD).status_code == 429

    # Sixteen minutes later (the attempts moved back in time: the clock is the database's).
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    response = _login(client, "kari@example.no", PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_a_success_before_the_limit_starts_the_count_again(client, kari):
    for _ in range(LIMIT - 1):
        _login(client, "kari@example.no", "wrong")
    assert _login(client, "kari@example.no", PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        assert _login(client, "kari@example.no", "wrong").status_code == 200
    assert _login(client, "kari@example.no", PASSWORD).status_code == 302


def test_the_lock_is_per_user_and_address(client, kari):
    other = employee(email="ola@example.no")
    for _ in range(LIMIT):
        _login(client, "kari@example.no", "wrong", REMOTE_ADDR="10.0.0.1")

    # Kari from another address, and a colleague from the same one, still log in.
    assert _login(client, "kari@example.no", PASSWORD, REMOTE_ADDR="10.0.0.2").status_code == 302
    client.logout()
    assert _login(client, other.email, PASSWORD, REMOTE_ADDR="10.0.0.1").status_code == 302


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(client, kari):
    # An attacker cannot dodge the lock by writing a new X-Forwarded-For on every try.
    for n in range(LIMIT):
        _login(client, "kari@example.no", "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = _login(client, "kari@example.no", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_client_address_is_the_one_the_proxy_saw(client, kari, settings):
    settings.TIDSBRO_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.9.9.9"}
    for _ in range(LIMIT):
        # The client wrote "1.2.3.4" itself; the proxy appended the address it saw.
        _login(
            client,
            "kari@example.no",
            "wrong",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7",
            **proxy,
        )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]
    locked = _login(
        client, "kari@example.no", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy
    )
    assert locked.status_code == 429
    # Another office behind the same proxy is not locked out.
    other = _login(
        client, "kari@example.no", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy
    )
    assert other.status_code == 302


def test_the_api_token_endpoint_counts_and_is_locked_too(client, kari):
    api = APIClient()
    url = reverse("api:auth-token")
    for _ in range(LIMIT - 1):
        response = api.post(url, {"email": "kari@example.no", "password": "wrong"}, format="json")
        assert response.status_code == 400
    response = api.post(url, {"email": "kari@example.no", "password": "wrong"}, format="json")
    assert response.status_code == 429
    response = api.post(url, {"email": "kari@example.no", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "Too many failed logins. Try again in 15 minutes." in response.json()["detail"]
    # The API and the admin share the count: the admin login is locked as well.
    assert _login(client, "kari@example.no", PASSWORD).status_code == 429


@pytest.mark.django_db(transaction=True)
def test_failed_logins_with_24sevenoffice_count_towards_the_same_lock(live_server, settings):
    from apps.sandbox.twentyfourseven.seed import DEMO_USERNAME, seed

    seed()
    settings.TWENTYFOURSEVEN_API_BASE = settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = (
        f"{live_server.url}/sandbox/24so"
    )
    connection_24so(username=DEMO_USERNAME, password="x", client_id="2400101", sso_allowed=True)
    employee(email=DEMO_USERNAME)
    client = Client()
    sso = reverse("sso_login")
    for _ in range(LIMIT - 1):  # wrong 24SO passwords, checked live by the sandbox
        response = client.post(sso, {"username": DEMO_USERNAME, "password": "wrong"})
        assert response.status_code == 200
    # One more failure through the admin's own form reaches the limit: one counter.
    assert _login(client, DEMO_USERNAME, "wrong").status_code == 429
    response = client.post(sso, {"username": DEMO_USERNAME, "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
