"""Connecting 24SO: its live checks (the connector's onboarding) and the generic services
that store what they accepted, against the sandbox over real HTTP."""

import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.db import connection as db

from apps.core.exceptions import ApplicationError
from apps.integrations import services
from apps.integrations.connectors.twentyfourseven import onboarding as checks
from apps.integrations.models import Connection, HourTransfer, Master, SyncRun, Watermark
from apps.sandbox.twentyfourseven.models import Identity, Login
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.accounts.factories import admin_user

FJORDLYS = "Fjordlys Rådgivning AS"
NORDVIK = "Nordvik Bygg AS"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(live_server, settings):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return base


def _connect(**overrides):
    """The command line's way: 24SO's live check, then the generic service stores it."""
    login = {"username": DEMO_USERNAME, "password": DEMO_PASSWORD, "client_name": FJORDLYS}
    for name in ("username", "password", "client_name", "api_username", "api_password"):
        if name in overrides:
            login[name] = overrides.pop(name)
    options = {"system": "24so", "connected": ["customers", "projects", "worktypes", "tasks"]}
    options.update(overrides)
    documents = checks.connect(**login)
    return services.connection_create(
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        **options,
    )


def _raw(column: str, pk: int) -> str:
    with db.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM integrations_connection WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_identities_lists_the_clients_the_login_reaches(sandbox):
    choices = checks.identities(username=DEMO_USERNAME, password=DEMO_PASSWORD)
    assert [c.client_name for c in choices] == [FJORDLYS, NORDVIK]
    assert choices[0].is_default


def test_identities_with_a_wrong_password_says_so(sandbox):
    with pytest.raises(ApplicationError, match="did not accept the username or password"):
        checks.identities(username=DEMO_USERNAME, password="wrong")


def test_identities_when_every_client_is_disabled_says_there_is_none(sandbox):
    Identity.objects.update(is_disabled=True)
    with pytest.raises(ApplicationError, match="has no 24SevenOffice client it may use"):
        checks.identities(username=DEMO_USERNAME, password=DEMO_PASSWORD)


def test_identities_when_the_erp_is_unreachable_says_so(settings, db):
    settings.TWENTYFOURSEVEN_API_BASE = "http://127.0.0.1:9/sandbox/24so"
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = "http://127.0.0.1:9/sandbox/24so"
    with pytest.raises(ApplicationError, match="cannot be reached"):
        checks.identities(username=DEMO_USERNAME, password=DEMO_PASSWORD)


def test_create_stores_the_credentials_encrypted_with_the_default_masters(sandbox):
    actor = admin_user()
    connection = _connect(actor=actor, sso=True, hour_transfer=HourTransfer.ON_ORDER)

    connection = Connection.objects.get(pk=connection.pk)
    assert connection.credentials_doc == {"username": DEMO_USERNAME, "password": DEMO_PASSWORD}
    assert DEMO_PASSWORD not in _raw("credentials", connection.pk)
    session = connection.state_doc["session_id"]
    assert session and session not in _raw("state", connection.pk)
    assert connection.setting("client_name") == FJORDLYS
    assert connection.setting("client_id") == "2400101"
    assert connection.setting("identity_id")
    assert str(connection) == f"24SevenOffice: {FJORDLYS}"
    assert connection.connected == ["customer", "project", "work_type", "task"]
    assert connection.masters["customer"] == Master.ERP
    assert connection.masters["project"] == Master.BOTH
    assert connection.masters["task"] == Master.BOTH
    assert connection.masters["work_type"] == Master.ERP
    assert connection.masters["user"] == Master.ERP
    assert connection.sso_allowed
    assert connection.hour_transfer == HourTransfer.ON_ORDER
    entry = LogEntry.objects.get(object_id=str(connection.pk))
    assert entry.user == actor
    assert DEMO_PASSWORD not in entry.change_message


def test_create_chooses_the_client_by_name(sandbox):
    connection = _connect(client_name=NORDVIK.upper())
    assert connection.setting("client_name") == NORDVIK
    assert connection.setting("client_id") == "2400102"


def test_create_with_a_wrong_password_stores_nothing(sandbox):
    with pytest.raises(ApplicationError, match="did not accept the username or password"):
        _connect(password="wrong")
    assert not Connection.objects.exists()


def test_create_for_a_client_the_login_cannot_reach_names_those_it_can(sandbox):
    with pytest.raises(ApplicationError, match="cannot reach the client Nowhere AS") as exc:
        _connect(client_name="Nowhere AS")
    assert FJORDLYS in exc.value.message and NORDVIK in exc.value.message
    assert not Connection.objects.exists()


def test_create_for_a_blocked_identity_says_it_is_blocked(sandbox):
    Identity.objects.filter(client__name=NORDVIK).update(is_blocked=True)
    with pytest.raises(ApplicationError, match="has blocked"):
        _connect(client_name=NORDVIK)
    assert not Connection.objects.exists()


def test_create_for_a_disabled_identity_says_it_is_blocked(sandbox):
    Identity.objects.filter(client__name=NORDVIK).update(is_disabled=True)
    with pytest.raises(ApplicationError, match="has blocked"):
        _connect(client_name=NORDVIK)


def test_create_refuses_a_second_active_connection(sandbox):
    _connect()
    with pytest.raises(ApplicationError, match="already connected"):
        _connect(client_name=NORDVIK)
    assert Connection.objects.count() == 1


def test_create_refuses_an_unknown_object_type(sandbox):
    with pytest.raises(ApplicationError, match="Unknown object type invoices"):
        _connect(connected=["customers", "invoices"])


def test_create_with_an_integration_user_checks_it_and_syncs_as_it(sandbox):
    demo = Identity.objects.get(login__username=DEMO_USERNAME, client__name=FJORDLYS)
    api_login = Login.objects.create(
        username="api@tidsbro.no", password=make_password("api-secret"), name="API"
    )
    api_identity = Identity.objects.create(
        login=api_login, client=demo.client, person=demo.person, identity_id=uuid.uuid4()
    )

    with pytest.raises(ApplicationError, match="integration user api@tidsbro.no"):
        _connect(api_username="api@tidsbro.no", api_password="wrong")
    connection = _connect(api_username="api@tidsbro.no", api_password="api-secret")

    connection.refresh_from_db()
    assert connection.credentials_doc["api_username"] == "api@tidsbro.no"
    assert connection.credentials_doc["api_password"] == "api-secret"
    assert "api-secret" not in _raw("credentials", connection.pk)
    assert connection.setting("identity_id") == str(api_identity.identity_id)


def test_replacing_the_password_checks_it_live(sandbox):
    connection = _connect()
    with pytest.raises(ApplicationError, match="did not accept"):
        checks.replace_credentials(connection=connection, password="wrong")
    connection.refresh_from_db()
    assert connection.credentials_doc["password"] == DEMO_PASSWORD


# --- the generic services: documents validated against the connector's schemas --------------


def test_create_refuses_credentials_that_do_not_fit_the_schema_without_showing_them(db):
    with pytest.raises(ApplicationError, match="credentials for 24SevenOffice") as exc:
        services.connection_create(
            system="24so", credentials={"username": "office@example.no", "password": ""}
        )
    assert "office@example.no" not in exc.value.message
    with pytest.raises(ApplicationError, match="'password' is a required property"):
        services.connection_create(system="24so", credentials={"username": "u"})
    with pytest.raises(ApplicationError, match="settings for 24SevenOffice"):
        services.connection_create(
            system="24so",
            credentials={"username": "u", "password": "p"},
            settings={"no_such_setting": "x"},
        )
    assert not Connection.objects.exists()


def test_create_refuses_a_system_no_connector_serves(db):
    with pytest.raises(ApplicationError, match="cannot connect to sap"):
        services.connection_create(system="sap", credentials={})


def test_replace_credentials_stores_the_checked_document_and_logs_the_keys_only(db):
    actor = admin_user()
    connection = services.connection_create(
        system="24so",
        credentials={"username": "u", "password": "old-Pa55"},
        settings={"client_name": FJORDLYS},
        state={"session_id": "s-1"},
        display_name="Regnskap",
    )
    assert connection.system_name == "Regnskap" and str(connection) == f"Regnskap: {FJORDLYS}"
    services.connection_replace_credentials(
        connection=connection,
        credentials={"username": "u", "password": "new-Pa55"},
        state={"session_id": "s-2"},
        actor=actor,
    )
    connection = Connection.objects.get(pk=connection.pk)
    assert connection.credentials_doc["password"] == "new-Pa55"
    assert connection.state_doc == {"session_id": "s-2"}
    entry = LogEntry.objects.get(object_id=str(connection.pk), user=actor)
    assert entry.get_change_message() == "Changed password."
    assert "Pa55" not in entry.change_message


def test_update_settings_changes_what_is_connected_and_logs_it(sandbox):
    actor = admin_user()
    connection = _connect()
    services.connection_update_settings(
        connection=connection,
        connect=["customers"],
        masters={"project": Master.TIDSBRO},
        hour_transfer=HourTransfer.NEVER,
        actor=actor,
    )
    connection.refresh_from_db()
    assert connection.connected == ["customer"]
    assert connection.masters["project"] == Master.TIDSBRO
    assert connection.hour_transfer == HourTransfer.NEVER
    assert LogEntry.objects.filter(object_id=str(connection.pk), user=actor).count() == 1


def test_update_settings_refuses_an_unknown_master(sandbox):
    connection = _connect()
    with pytest.raises(ApplicationError, match="cannot have the master"):
        services.connection_update_settings(connection=connection, masters={"project": "x"})


def test_update_settings_refuses_making_tidsbro_master_of_what_24so_cannot_receive(sandbox):
    connection = _connect()
    for entity in ("customer", "work_type"):
        with pytest.raises(ApplicationError, match="in 24SevenOffice"):
            services.connection_update_settings(
                connection=connection, masters={entity: Master.BOTH}
            )
    connection.refresh_from_db()
    assert connection.masters["customer"] == Master.ERP
    assert connection.masters["work_type"] == Master.ERP


def test_sync_now_enqueues_ids_only(sandbox, monkeypatch):
    connection = _connect()
    calls = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: calls.append((func, args))
    )
    services.sync_now(connection=connection, entity="customer", trigger=SyncRun.Trigger.MANUAL)
    assert calls == [
        ("apps.integrations.jobs.sync_entity", (connection.pk, "customer", "manual", False))
    ]


def test_sync_now_refuses_an_object_type_that_is_not_connected(sandbox):
    connection = _connect(connected=["customers"])
    with pytest.raises(ApplicationError, match="not connected"):
        services.sync_now(connection=connection, entity="project")


def test_full_sync_now_resets_the_watermark_and_enqueues_a_full_run(sandbox, monkeypatch):
    connection = _connect()
    Watermark.objects.create(
        connection=connection, entity="project", cursor="2026-01-01T00:00:00+00:00"
    )
    calls = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: calls.append((func, args))
    )
    services.connection_full_sync_now(connection=connection, entity="project")
    assert Watermark.objects.get(connection=connection, entity="project").cursor == ""
    assert calls == [
        ("apps.integrations.jobs.sync_entity", (connection.pk, "project", "manual", True))
    ]
