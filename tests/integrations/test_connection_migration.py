"""An existing database at the old schema (a 24SevenOffice login on the connection row, a
watermark as a time) migrates to the generic connection and opaque cursors without loss."""

from datetime import UTC, datetime

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from apps.core import crypto
from apps.integrations.models import Connection, Watermark

OLD = [("integrations", "0001_initial")]

OLD_ROW = {
    "system": "24so",
    "is_active": True,
    "username": "office@fjordlys.no",
    "password": "Office-Pa55 æøå",
    "api_username": "api@fjordlys.no",
    "api_password": "Api-Pa55",
    "session_id": "qz1cx0vbyfh2kqwe4jhbc0m5",
    "identity_id": "0b6c5a4e-2c1f-4d7e-9a8b-1c2d3e4f5a6b",
    "client_name": "Fjordlys Rådgivning AS",
    "client_id": "2400101",
    "integration_user_external_id": "7",
    "connected": ["customer", "project", "hour"],
    "masters": {"customer": "erp", "project": "both"},
    "hour_transfer": "on_order",
    "sso_allowed": True,
}
WATERMARK = datetime(2026, 11, 20, 7, 59, 30, 123456, tzinfo=UTC)


def _latest() -> list[tuple[str, str]]:
    """Every app's newest migration: going back to the old integrations schema also unapplies
    the migrations of other apps that depend on a later one (e.g. orders' export marks), and
    the database must be whole again for the tests that run after."""
    executor = MigrationExecutor(db)
    return list(executor.loader.graph.leaf_nodes())


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(db)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_a_24so_connection_and_its_watermarks_migrate_without_loss():
    latest = _latest()
    old = _migrate(OLD)
    OldConnection = old.get_model("integrations", "Connection")
    OldWatermark = old.get_model("integrations", "Watermark")
    row = OldConnection.objects.create(**OLD_ROW)
    # A second, inactive connection with the minimum: only a login.
    bare = OldConnection.objects.create(system="24so", is_active=False, username="u")
    OldWatermark.objects.create(connection=row, entity="customer", value=WATERMARK)
    OldWatermark.objects.create(connection=row, entity="project", value=None)
    created_at = OldConnection.objects.get(pk=row.pk).created_at
    with db.cursor() as cursor:  # the old columns held ciphertext
        cursor.execute("SELECT password FROM integrations_connection WHERE id = %s", [row.pk])
        assert OLD_ROW["password"] not in cursor.fetchone()[0]

    _migrate(latest)

    connection = Connection.objects.get(pk=row.pk)
    assert connection.credentials_doc == {
        "username": "office@fjordlys.no",
        "password": "Office-Pa55 æøå",
        "api_username": "api@fjordlys.no",
        "api_password": "Api-Pa55",
    }
    assert connection.state_doc == {"session_id": "qz1cx0vbyfh2kqwe4jhbc0m5"}
    assert connection.settings == {
        "identity_id": "0b6c5a4e-2c1f-4d7e-9a8b-1c2d3e4f5a6b",
        "client_name": "Fjordlys Rådgivning AS",
        "client_id": "2400101",
        "integration_user_external_id": "7",
    }
    # Nothing else changed.
    assert (connection.system, connection.is_active, connection.display_name) == ("24so", True, "")
    assert connection.connected == ["customer", "project", "hour"]
    assert connection.masters == {"customer": "erp", "project": "both"}
    assert connection.hour_transfer == "on_order" and connection.sso_allowed
    assert connection.created_at == created_at
    assert str(connection) == "24SevenOffice: Fjordlys Rådgivning AS"
    bare = Connection.objects.get(pk=bare.pk)
    assert bare.credentials_doc == {"username": "u"} and bare.state_doc == {}
    assert bare.settings == {} and not bare.is_active

    # The secrets stay encrypted, under the new column's own purpose.
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT credentials, state FROM integrations_connection WHERE id = %s", [row.pk]
        )
        credentials, state = cursor.fetchone()
    assert "Pa55" not in credentials and "qz1cx0" not in state
    assert "Api-Pa55" in crypto.decrypt(credentials, purpose="integrations.connection.credentials")

    marks = {m.entity: m for m in Watermark.objects.filter(connection=connection)}
    assert marks["customer"].cursor == WATERMARK.isoformat()
    assert marks["customer"].moment == WATERMARK
    assert marks["project"].cursor == ""
    columns = {
        c.name
        for c in db.introspection.get_table_description(db.cursor(), "integrations_connection")
    }
    assert not columns & {"username", "password", "session_id", "client_name", "identity_id"}


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_to_the_old_columns():
    latest = _latest()
    _migrate(latest)
    connection = Connection(system="24so", settings={"client_name": "Fjordlys", "client_id": "1"})
    connection.credentials_doc = {"username": "office@fjordlys.no", "password": "Pa55"}
    connection.state_doc = {"session_id": "s-1"}
    connection.save()
    Watermark.objects.create(connection=connection, entity="customer", cursor=WATERMARK.isoformat())

    old = _migrate(OLD)
    row = old.get_model("integrations", "Connection").objects.get(pk=connection.pk)
    assert (row.username, row.password, row.session_id) == ("office@fjordlys.no", "Pa55", "s-1")
    assert (row.client_name, row.client_id, row.api_username) == ("Fjordlys", "1", "")
    assert old.get_model("integrations", "Watermark").objects.get().value == WATERMARK
    _migrate(latest)
