import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_digest
from tests.accounts.factories import PASSWORD, UserFactory, employee, project_manager

pytestmark = pytest.mark.django_db

# Literal paths on purpose: they are the API's published contract.


ME_URL = "/api/v1/me/"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    """The token endpoint counts attempts per address in the cache; start every test at 0."""
    cache.clear()
    yield
    cache.clear()


def test_me_returns_the_current_user():
    user = project_manager(
        email="kari@example.no", first_name="Kari", last_name="Nordmann", language="nb"
    )
    client = APIClient()
    client.force_login(user)

    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "kari@example.no",
        "name": "Kari Nordmann",
        "roles": ["project manager"],
        "role_labels": ["Prosjektleder"],  # in her profile language
        "language": "nb",
        "time_zone": "Europe/Oslo",
    }


def test_me_works_for_a_user_without_any_role():
    user = UserFactory()
    client = APIClient()
    client.force_login(user)

    assert client.get(ME_URL).json()["roles"] == []


def test_me_for_anonymous_is_401():
    assert APIClient().get(ME_URL).status_code == 401


def test_token_is_obtained_with_email_and_password_and_then_authenticates():
    user = employee(email="ola@example.no")

    response = APIClient().post(
        TOKEN_URL, {"email": "ola@example.no", "password": PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.json()
    token = response.json()["token"]
    assert ApiToken.objects.get(user=user).digest == api_token_digest(token)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get(ME_URL).json()["id"] == user.pk
    assert client.get("/api/v1/time-entries/").status_code == 200


def test_token_endpoint_gives_a_new_token_each_time_and_ignores_email_case():
    employee(email="ola@example.no")
    client = APIClient()

    first = client.post(TOKEN_URL, {"email": "ola@example.no", "password": PASSWORD})
    second = client.post(
        TOKEN_URL, {"email": "OLA@example.no", "password": PASSWORD, "name": "Nightly export"}
    )

    assert first.status_code == second.status_code == 200
    assert first.json()["token"] != second.json()["token"]
    assert second.json()["name"] == "Nightly export"
    assert "no-store" in first["Cache-Control"]
    for answer in (first, second):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
        assert api.get(ME_URL).status_code == 200


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "ola@example.no", "password": "wrong"}, "non_field_errors"),
        ({"email": "nobody@example.no", "password": PASSWORD}, "non_field_errors"),
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "ola@example.no"}, "password"),
    ],
)
def test_token_is_refused_for_bad_credentials(payload, field):
    employee(email="ola@example.no")

    response = APIClient().post(TOKEN_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not ApiToken.objects.exists()


def test_token_is_refused_for_an_inactive_user():
    employee(email="ola@example.no", is_active=False)

    response = APIClient().post(TOKEN_URL, {"email": "ola@example.no", "password": PASSWORD})

    assert response.status_code == 400
    assert response.json()["non_field_errors"] == [
        "Unable to log in with this e-mail address and password."
    ]


def test_a_wrong_token_is_401():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")

    assert client.get(ME_URL).status_code == 401


def test_token_endpoint_works_from_a_logged_in_browser_without_csrf():
    user = employee(email="ola@example.no")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(TOKEN_URL, {"email": "ola@example.no", "password": PASSWORD})

    assert response.status_code == 200


def test_session_writes_still_need_csrf():
    user = employee()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/api/v1/time-entries/", {}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_token_caller_gets_the_language_of_their_profile():
    user = employee(language="nb")
    _token, key = api_token_create(user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(ME_URL, HTTP_ACCEPT_LANGUAGE="sv")

    assert response.headers["Content-Language"] == "nb"


def test_caller_without_a_profile_language_gets_the_browsers():
    _token, key = api_token_create(user=employee(language=""), name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(ME_URL, HTTP_ACCEPT_LANGUAGE="sv")

    assert response.headers["Content-Language"] == "sv"


def test_api_index_needs_authentication_too():
    response = APIClient().get("/api/v1/")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"


def test_token_endpoint_slows_down_password_guessing():
    employee(email="ola@example.no")
    client = APIClient()
    for _ in range(10):
        response = client.post(TOKEN_URL, {"email": "ola@example.no", "password": "guess"})
        assert response.status_code == 400

    response = client.post(TOKEN_URL, {"email": "ola@example.no", "password": PASSWORD})

    assert response.status_code == 429
    assert not ApiToken.objects.exists()


def test_token_endpoint_refuses_deeply_nested_json_without_logging_in():
    response = APIClient().post(
        TOKEN_URL, data="[" * 5000 + "]" * 5000, content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested more than 32 levels" in response.json()["detail"]
