"""Connection secrets at rest: encrypted in the column, decrypted on read, failing closed."""

import pytest
from django.db import connection as db

from apps.core.crypto import DecryptionFailed, generate_key
from apps.integrations.models import Connection
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

PASSWORD = "Hemmelig-passord-42"
SESSION = "qz1cx0vbyfh2kqwe4jhbc0m5"


def raw(pk: int, column: str) -> str:
    table = Connection._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE id = %s', [pk])  # noqa: S608
        return cursor.fetchone()[0]


def make(*, active: bool = True) -> Connection:
    return connection_24so(
        is_active=active,
        username="office@example.no",
        password=PASSWORD,
        api_password="api-" + PASSWORD,
        session_id=SESSION,
    )


def test_the_columns_hold_no_plaintext():
    conn = make()
    for column in ("credentials", "state"):
        stored = raw(conn.pk, column)
        assert stored and PASSWORD not in stored and "office@example.no" not in stored
        assert "Hemmelig" not in stored and SESSION[:8] not in stored
        assert "password" not in stored  # not even the document's keys


def test_values_survive_a_round_trip():
    conn = make()
    loaded = Connection.objects.get(pk=conn.pk)
    assert loaded.credentials_doc == {
        "username": "office@example.no",
        "password": PASSWORD,
        "api_password": "api-" + PASSWORD,
    }
    assert loaded.state_doc == {"session_id": SESSION}
    loaded.state_doc = {"session_id": "fresh-session"}
    loaded.save()
    assert Connection.objects.get(pk=conn.pk).state_doc["session_id"] == "fresh-session"
    # Each write is encrypted anew (random IV): equal values give different columns.
    assert raw(conn.pk, "credentials") != raw(make(active=False).pk, "credentials")


def test_empty_values_are_stored_as_they_are():
    conn = connection_24so(username="u")
    assert raw(conn.pk, "state") == ""
    assert Connection.objects.get(pk=conn.pk).state_doc == {}


def test_a_wrong_key_fails_closed(settings):
    conn = make()
    settings.TIDSBRO_ENCRYPTION_KEYS = [generate_key()]
    with pytest.raises(DecryptionFailed):
        Connection.objects.get(pk=conn.pk)
    # Listing without the secret columns still works.
    assert Connection.objects.filter(pk=conn.pk).values_list("system", flat=True).get()


def test_an_old_key_still_decrypts_after_rotation_is_started(settings):
    conn = make()
    settings.TIDSBRO_ENCRYPTION_KEYS = [generate_key(), *settings.TIDSBRO_ENCRYPTION_KEYS]
    assert Connection.objects.get(pk=conn.pk).credentials_doc["password"] == PASSWORD


def test_a_ciphertext_copied_to_another_column_does_not_decrypt():
    conn = make()
    table = Connection._meta.db_table
    with db.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" SET "state" = "credentials" WHERE id = %s',  # noqa: S608
            [conn.pk],
        )
    with pytest.raises(DecryptionFailed):
        Connection.objects.get(pk=conn.pk)
