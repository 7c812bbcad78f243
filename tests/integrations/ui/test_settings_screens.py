"""Settings → 24SevenOffice and Settings → General: health, user mapping, what is connected,
the integration user, the first-time setup and hour transfer; administrators only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.urls import reverse
from django.utils import timezone, translation

from apps.core.exceptions import ApplicationError
from apps.integrations import registry, services
from apps.integrations.connectors.base import Capabilities, ConnectorSpec, Entity
from apps.integrations.models import Binding, Connection, HourTransfer, SyncRun, Watermark
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.accounts.factories import (
    UserFactory,
    admin_user,
    employee,
    project_manager,
    support_user,
)
from tests.integrations.factories import connection_24so

SETTINGS = "admin:integrations_connection_settings"
GENERAL = "admin:integrations_connection_general"


def _connection(**extra) -> Connection:
    options = {
        "username": DEMO_USERNAME,
        "password": DEMO_PASSWORD,
        "client_name": "Fjordlys Rådgivning AS",
        "client_id": "2400101",
        "connected": ["customer", "project", "user"],
    }
    options.update(extra)
    return connection_24so(**options)


@pytest.fixture
def connection(db) -> Connection:
    return _connection()


@pytest.fixture
def office(client, db):
    user = admin_user(first_name="Berit", last_name="Boss", email="berit@fjordlys.no")
    client.force_login(user)
    return user


def erp_user(connection: Connection, external_id: str, name: str, email: str = "") -> Binding:
    return Binding.objects.create(
        connection=connection,
        entity="user",
        external_id=external_id,
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": name, "email": email},
    )


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def mapped(connection: Connection) -> dict[int, str]:
    return dict(
        Binding.objects.filter(
            connection=connection, entity="user", local_id__isnull=False
        ).values_list("local_id", "external_id")
    )


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [support_user, employee, project_manager])
def test_only_administrators_open_or_change_the_settings(client, connection, make_user):
    client.force_login(make_user())
    for name in (SETTINGS, GENERAL):
        assert client.get(reverse(name)).status_code == 403
        assert client.post(reverse(name), {"hour_transfer": "never"}).status_code == 403
    connection.refresh_from_db()
    assert connection.hour_transfer == HourTransfer.ON_APPROVAL
    html = client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "24SevenOffice settings" not in html


@pytest.mark.django_db
def test_without_a_connection_the_settings_point_to_the_wizard(client, office):
    for name in (SETTINGS, GENERAL):
        html = page(client.get(reverse(name)))
        assert reverse("admin:integrations_connection_connect") in html


# --- health -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_health_shows_when_each_type_was_updated_and_marks_stale_ones_red(
    client, office, connection
):
    now = timezone.now()
    SyncRun.objects.create(
        connection=connection,
        entity="customer",
        trigger="schedule",
        status=SyncRun.Status.SUCCEEDED,
        started_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=4),
    )
    SyncRun.objects.create(
        connection=connection,
        entity="project",
        trigger="schedule",
        status=SyncRun.Status.SUCCEEDED,
        started_at=now - timedelta(hours=5),
        finished_at=now - timedelta(hours=5),
    )
    SyncRun.objects.create(
        connection=connection,
        entity="project",
        trigger="schedule",
        status=SyncRun.Status.FAILED,
        started_at=now - timedelta(hours=1),
        error_text="24SevenOffice cannot be reached",
    )
    html = page(client.get(reverse(SETTINGS)))
    health = html.split('id="health"')[1].split("</section>")[0]
    customer = health.split('data-entity="customer"')[1].split("</tr>")[0]
    project = health.split('data-entity="project"')[1].split("</tr>")[0]
    assert (
        "health-ok" in customer and "stale" not in health.split('data-entity="customer"')[0][-30:]
    )
    assert 'class="stale" data-entity="project"' in health
    assert "24SevenOffice cannot be reached" in project
    assert "Never" in health.split('data-entity="user"')[1]


# --- user mapping -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_mapping_table_lists_every_user_with_a_suggestion_and_its_reason(
    client, office, connection
):
    kari = UserFactory(first_name="Kari", last_name="Nordmann", email="kari@fjordlys.no")
    ola = UserFactory(first_name="Ola", last_name="Hansen", email="ola@fjordlys.no")
    erp_user(connection, "11", "K. Someone", "KARI@fjordlys.no")
    erp_user(connection, "12", "Ola Hansen", "ola.h@private.no")
    erp_user(connection, "13", "Nobody Alike")

    html = page(client.get(reverse(SETTINGS)))
    table = html.split('id="user-mapping-table"')[1]
    for user in (office, kari, ola):
        assert f'data-user="{user.pk}"' in table
    kari_row = table.split(f'data-user="{kari.pk}"')[1].split("</tr>")[0]
    ola_row = table.split(f'data-user="{ola.pk}"')[1].split("</tr>")[0]
    assert "11" in kari_row and "same e-mail" in kari_row
    assert "12" in ola_row and "same name" in ola_row
    assert "Accept all 2 suggestions" in html


@pytest.mark.django_db
def test_the_mapping_table_makes_the_same_queries_for_more_users(
    client, office, connection, django_assert_num_queries, django_assert_max_num_queries
):
    def more(n: int, start: int) -> None:
        for i in range(start, start + n):
            user = UserFactory(email=f"u{i}@fjordlys.no")
            erp_user(connection, str(100 + i), user.get_full_name(), user.email)
            other = UserFactory(email=f"m{i}@fjordlys.no")
            Binding.objects.create(
                connection=connection, entity="user", external_id=str(500 + i), local_id=other.pk
            )

    more(3, 0)
    client.get(reverse(SETTINGS))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(40) as few:
        page(client.get(reverse(SETTINGS)))
    more(12, 3)
    with django_assert_num_queries(len(few.captured_queries)):
        html = page(client.get(reverse(SETTINGS)))
    assert html.count("data-user=") == 1 + 2 * 15


@pytest.mark.django_db
def test_accept_one_suggestion_then_all(client, office, connection):
    kari = UserFactory(first_name="Kari", last_name="Nordmann", email="kari@fjordlys.no")
    ola = UserFactory(first_name="Ola", last_name="Hansen", email="ola@fjordlys.no")
    erp_user(connection, "11", "Kari N", "kari@fjordlys.no")
    erp_user(connection, "12", "Ola Hansen")

    response = client.post(reverse(SETTINGS), {"accept": str(kari.pk)}, follow=True)
    assert "is mapped to 24SevenOffice user 11" in page(response)
    assert mapped(connection) == {kari.pk: "11"}

    response = client.post(reverse(SETTINGS), {"accept_all": "1"}, follow=True)
    assert "1 suggestion accepted." in page(response)
    assert mapped(connection) == {kari.pk: "11", ola.pk: "12"}
    assert LogEntry.objects.filter(object_id=str(connection.pk), user=office).exists()


@pytest.mark.django_db
def test_edit_and_unmap_a_user(client, office, connection):
    kari = UserFactory(first_name="Kari", last_name="Nordmann", email="kari@fjordlys.no")
    erp_user(connection, "11", "Kari N", "kari@fjordlys.no")
    erp_user(connection, "12", "Someone Else")

    client.post(reverse(SETTINGS), {"map": str(kari.pk), f"erp_{kari.pk}": "12"})
    assert mapped(connection) == {kari.pk: "12"}

    response = client.post(reverse(SETTINGS), {"unmap": str(kari.pk)}, follow=True)
    assert "is no longer mapped" in page(response)
    assert mapped(connection) == {}


@pytest.mark.django_db
def test_mapping_to_an_unknown_or_empty_erp_id_changes_nothing(client, office, connection):
    kari = UserFactory(first_name="Kari", email="kari@fjordlys.no")
    erp_user(connection, "11", "Zyx Qwv")

    html = page(client.post(reverse(SETTINGS), {"map": str(kari.pk), f"erp_{kari.pk}": "999"}))
    assert "24SevenOffice has no user with the id 999" in html
    html = page(client.post(reverse(SETTINGS), {"map": str(kari.pk), f"erp_{kari.pk}": ""}))
    assert "Enter the 24SevenOffice user id" in html
    html = page(client.post(reverse(SETTINGS), {"accept": str(kari.pk)}))
    assert "There is no suggestion" in html
    assert mapped(connection) == {}
    assert not Binding.objects.filter(external_id="999").exists()


# --- what is connected, hour transfer ---------------------------------------------------------


@pytest.mark.django_db
def test_change_what_is_connected_and_allow_sso(client, office, connection):
    response = client.post(
        reverse(SETTINGS),
        {"action": "connected", "connected": ["customer", "work_type"], "sso": "on"},
        follow=True,
    )
    assert "The settings were saved." in page(response)
    connection.refresh_from_db()
    assert connection.connected == ["customer", "work_type"]
    assert connection.sso_allowed

    html = page(client.post(reverse(SETTINGS), {"action": "connected", "connected": ["bogus"]}))
    assert "errorlist" in html
    connection.refresh_from_db()
    assert connection.connected == ["customer", "work_type"]


@pytest.mark.django_db
def test_hour_transfer_is_explained_and_saved(client, office, connection):
    html = page(client.get(reverse(GENERAL)))
    assert "as soon as they are approved" in html
    assert "until an order is created" in html
    assert "never sent to 24SevenOffice" in html

    response = client.post(reverse(GENERAL), {"hour_transfer": HourTransfer.ON_ORDER}, follow=True)
    assert "The settings were saved." in page(response)
    connection.refresh_from_db()
    assert connection.hour_transfer == HourTransfer.ON_ORDER

    html = page(client.post(reverse(GENERAL), {}))
    assert "Choose when hours are sent to 24SevenOffice." in html
    html = page(client.post(reverse(GENERAL), {"hour_transfer": "sometimes"}))
    assert "errorlist" in html
    connection.refresh_from_db()
    assert connection.hour_transfer == HourTransfer.ON_ORDER


# --- against the sandbox: integration user, first-time setup ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_switch_the_integration_user_checked_live_and_run_the_first_time_setup(
    client, live_server, settings
):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    connection = _connected_live()
    login = so.Login.objects.create(
        username="api@fjordlys.no", password=make_password("api-Pa55word")
    )
    person = so.Person.objects.filter(client__client_id=2400101).order_by("contact_id")[1]
    so.Identity.objects.create(login=login, client=person.client, person=person)
    client.force_login(admin_user())
    form = {"action": "integration_user", "mode": "separate", "api_username": "api@fjordlys.no"}

    html = page(client.post(reverse(SETTINGS), {**form, "api_password": "wrong"}))
    assert "did not accept the username or password of the integration user" in html
    connection.refresh_from_db()
    assert "api_username" not in connection.credentials_doc

    response = client.post(reverse(SETTINGS), {**form, "api_password": "api-Pa55word"})
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.credentials_doc["api_username"] == "api@fjordlys.no"
    assert connection.setting("integration_user_external_id") == str(person.contact_id)

    client.post(reverse(SETTINGS), {"action": "integration_user", "mode": "same"})
    connection.refresh_from_db()
    assert "api_username" not in connection.credentials_doc
    assert "api_password" not in connection.credentials_doc

    response = client.post(reverse(SETTINGS), {"action": "first_time_setup"}, follow=True)
    assert "First-time setup done" in page(response)
    assert SyncRun.objects.filter(connection=connection, entity="participant").exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_password_is_checked_live_and_never_shown(client, live_server, settings):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    connection = _connected_live()
    office = admin_user()
    client.force_login(office)
    assert 'name="replace_password"' in page(client.get(reverse(SETTINGS)))

    # The office changed its password in 24SevenOffice.
    so.Login.objects.filter(username=DEMO_USERNAME).update(password=make_password("New-Pa55"))
    html = page(client.post(reverse(SETTINGS), {"action": "passwords", "replace_password": "x"}))
    assert "did not accept the username or password" in html
    assert 'value="x"' not in html
    response = client.post(
        reverse(SETTINGS), {"action": "passwords", "replace_password": "New-Pa55"}, follow=True
    )
    assert "checked with 24SevenOffice and saved" in page(response)
    assert "New-Pa55" not in page(response)
    connection.refresh_from_db()
    assert connection.credentials_doc["password"] == "New-Pa55"
    entry = LogEntry.objects.filter(object_id=str(connection.pk), user=office).get()
    assert entry.get_change_message() == "Changed password."


def _connected_live() -> Connection:
    from apps.integrations.connectors.twentyfourseven.onboarding import connect
    from apps.integrations.services import connection_create

    documents = connect(
        username=DEMO_USERNAME, password=DEMO_PASSWORD, client_name="Fjordlys Rådgivning AS"
    )
    return connection_create(
        system="24so",
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        connected=["customer", "project", "user"],
    )


# --- four languages ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "nb", "sv", "da"])
def test_the_screens_render_in_every_language(client, connection, language):
    user = admin_user(language=language)
    client.force_login(user)
    with translation.override(language):
        heading = str(Connection._meta.verbose_name_plural).capitalize()
        home = translation.gettext("Home")
    if language != "en":
        assert heading != "Connections" and home != "Home"
    names = [
        SETTINGS,
        GENERAL,
        "admin:integrations_connection_connect",
        "admin:integrations_connection_changelist",
    ]
    for name in names:
        html = page(client.get(reverse(name)))
        assert f'<html lang="{language}"' in html, name
        assert home in html and heading in html, name
    url = reverse("admin:integrations_connection_first_sync", args=[connection.pk])
    html = page(client.get(url))
    assert f'<html lang="{language}"' in html and heading in html


# --- another system: only its own boxes -------------------------------------------------------


class _PlainSpec(ConnectorSpec):
    """A system with customers only, no settings boxes, no SSO, no first-time setup."""

    system = "plainledger"
    display_name = "Plain Ledger"
    capabilities = Capabilities(system="plainledger", pull=frozenset({Entity.CUSTOMER}))
    cursor_is_time = False

    def describe_cursor(self, cursor: str) -> str:
        return f"page token {cursor}"


@pytest.fixture
def plain_spec():
    spec = _PlainSpec()
    registry.register(spec)
    yield spec
    for table in (registry._specs, registry._connectors, registry._capabilities):
        table.pop(spec.system, None)


@pytest.mark.django_db
def test_another_systems_settings_show_only_what_it_has(client, plain_spec):
    connection = Connection.objects.create(system="plainledger", connected=["customer"])
    client.force_login(admin_user())
    html = page(client.get(reverse(SETTINGS), {"connection": connection.pk}))
    assert "Plain Ledger settings" in html
    assert 'id="user-mapping"' not in html and 'id="first-time-setup"' not in html
    assert 'name="replace_password"' not in html and 'name="sso"' not in html
    assert "24SevenOffice" not in html

    # Its sync position is its own string: shown in its words, not settable by date.
    mark = Watermark.objects.create(connection=connection, entity="customer", cursor="abc")
    html = page(client.get(reverse("admin:integrations_watermark_change", args=[mark.pk])))
    assert "page token abc" in html
    response = client.post(
        reverse("admin:integrations_watermark_change", args=[mark.pk]),
        {"value_0": "2026-11-20", "value_1": "08:00:00"},
    )
    assert response.status_code == 302
    mark.refresh_from_db()
    assert mark.cursor == "abc"  # a disabled date field changes nothing
    with pytest.raises(ApplicationError, match="does not keep its sync position as a time"):
        services.watermark_set(watermark=mark, value=timezone.now())
