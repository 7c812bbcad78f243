"""API tokens: stored as digests, the key shown once; people make and revoke their own;
administrators list and revoke everybody's but can never read a key."""

import datetime
import importlib

import pytest
from django.apps import apps as global_apps
from django.db import connection
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_digest
from tests.accounts.factories import PASSWORD, admin_user, employee

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/me/"
TOKENS_URL = "/api/v1/tokens/"


def _works(key: str) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get(ME_URL).status_code == 200


def test_only_a_digest_of_the_key_is_stored():
    token, key = api_token_create(user=employee(), name="Nightly export")

    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in {str(v) for v in stored.values()}
    assert stored["digest"] == api_token_digest(key)
    assert stored["prefix"] == key[:8]
    assert _works(key)


def test_administrators_can_read_no_key_anywhere_in_the_admin(client):
    office = admin_user(email="office@example.no")
    _t, own_key = api_token_create(user=office, name="Office's own")
    colleague = employee(email="kari@example.no")
    token, key = api_token_create(user=colleague, name="Kari export")
    client.force_login(office)

    pages = [
        reverse("admin:accounts_apitoken_changelist"),
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        reverse("admin:accounts_apitoken_history", args=[token.pk]),
        reverse("admin:accounts_apitoken_delete", args=[token.pk]),
        reverse("admin:accounts_user_change", args=[colleague.pk]),
        reverse("admin:accounts_user_changelist"),
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert key not in body and own_key not in body, page
        assert token.digest not in body, page
    assert "Kari export" in client.get(pages[0]).content.decode()
    # DRF's authtoken admin (keys in clear) is gone.
    with pytest.raises(NoReverseMatch):
        reverse("admin:authtoken_tokenproxy_changelist")


def test_administrators_revoke_anybodys_token(client):
    _t, key = api_token_create(user=employee(), name="Leaked")
    client.force_login(admin_user())

    url = reverse("admin:accounts_apitoken_delete", args=[ApiToken.objects.get().pk])
    assert client.post(url, {"post": "yes"}).status_code == 302

    assert not ApiToken.objects.exists()
    assert not _works(key)


def test_a_person_makes_a_token_in_the_admin_and_sees_its_key_once(client):
    ola = employee(email="ola@example.no")
    api_token_create(user=employee(email="kari@example.no"), name="Kari export")
    client.force_login(ola)

    made = client.post(reverse("admin:accounts_apitoken_add"), {"name": "Power BI"})

    assert made.status_code == 200
    assert "no-store" in made["Cache-Control"]
    key = made.context["key"]
    assert key in made.content.decode()
    assert _works(key)
    listed = client.get(reverse("admin:accounts_apitoken_changelist"))
    assert [t.name for t in listed.context["cl"].result_list] == ["Power BI"]
    assert key not in listed.content.decode()
    assert "Kari export" not in listed.content.decode()
    token = ApiToken.objects.get(user=ola)
    shown = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert key not in shown.content.decode()


def test_a_person_revokes_their_own_token_but_not_a_colleagues(client):
    ola = employee(email="ola@example.no")
    mine, my_key = api_token_create(user=ola, name="Mine")
    theirs, their_key = api_token_create(user=employee(), name="Theirs")
    client.force_login(ola)

    client.post(reverse("admin:accounts_apitoken_delete", args=[theirs.pk]), {"post": "yes"})
    client.post(reverse("admin:accounts_apitoken_delete", args=[mine.pk]), {"post": "yes"})

    assert list(ApiToken.objects.values_list("name", flat=True)) == ["Theirs"]
    assert not _works(my_key)
    assert _works(their_key)


def test_people_manage_their_own_tokens_through_the_api():
    ola = employee(email="ola@example.no")
    _theirs_token, theirs_key = api_token_create(user=employee(), name="Theirs")
    theirs = ApiToken.objects.get(name="Theirs")
    login = APIClient().post(
        "/api/v1/auth/token/", {"email": "ola@example.no", "password": PASSWORD}
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")

    made = api.post(TOKENS_URL, {"name": "Power BI"}, format="json")
    listed = api.get(TOKENS_URL).json()["results"]

    assert made.status_code == 201
    assert _works(made.json()["token"])
    assert {row["name"] for row in listed} == {"Power BI", login.json()["name"]}
    assert all("token" not in row and "digest" not in row for row in listed)
    assert api.delete(f"{TOKENS_URL}{theirs.pk}/").status_code == 404
    assert api.delete(f"{TOKENS_URL}{made.json()['id']}/").status_code == 204
    assert not _works(made.json()["token"])
    assert _works(theirs_key)
    assert ApiToken.objects.filter(user=ola).count() == 1


def test_a_deactivated_persons_token_stops_working():
    ola = employee()
    _t, key = api_token_create(user=ola, name="Script")
    ola.is_active = False
    ola.save()

    assert not _works(key)


@pytest.mark.django_db(transaction=True)  # a schema change, as in the real migration
def test_existing_authtoken_keys_are_hashed_and_keep_working():
    """The data migration: DRF authtoken's clear keys become digests; the table goes."""
    ola = employee()
    key = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "user_id bigint NOT NULL, created timestamp with time zone NOT NULL)"
            if connection.vendor == "postgresql"
            else "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, "
            "user_id bigint NOT NULL, created datetime NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id, created) VALUES (%s, %s, %s)",
            [key, ola.pk, "2025-03-01 08:00:00+00:00"],
        )
    migration = importlib.import_module("apps.accounts.migrations.0003_api_tokens")

    with connection.schema_editor() as editor:
        migration.hash_authtoken_keys(global_apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=ola)
    assert (token.prefix, token.digest) == (key[:8], api_token_digest(key))
    assert token.created_at == datetime.datetime(2025, 3, 1, 8, tzinfo=datetime.UTC)
    assert _works(key)


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/auth/token/", {"email": "kari@example.no", "password": PASSWORD, "nmae": "x"}),
        (TOKENS_URL, {"name": "CI", "expires": "2030-01-01"}),
    ],
    ids=["login", "create"],
)
def test_a_misspelled_field_on_the_token_endpoints_is_refused_by_name(url, body):
    person = employee(email="kari@example.no")
    client = APIClient()
    if url == TOKENS_URL:
        client.force_authenticate(person)

    response = client.post(url, body, format="json")

    assert response.status_code == 400
    unknown = next(key for key in body if key not in ("email", "password", "name"))
    assert unknown in response.json()
    assert not ApiToken.objects.filter(user=person).exists()
