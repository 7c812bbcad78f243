"""Integrations → Connect → 24SevenOffice: each step checked live against the sandbox.

Every wrong answer shows a message on the page and leaves nothing behind; the passwords wait
between steps only encrypted; finishing connects and runs the first full sync.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations.admin_views.onboarding import STATE_KEY
from apps.integrations.models import Connection, SyncRun
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.accounts.factories import admin_user, employee, project_manager, support_user
from tests.integrations.factories import connection_24so

FJORDLYS = 2400101
NORDVIK = 2400102
START = "admin:integrations_connection_connect"
STEP = "admin:integrations_connection_connect_step"
OBJECTS = "admin:integrations_connection_connect_objects"


def url(name: str) -> str:
    """The wizard's steps: the generic ones by name, 24SO's own as connect/step/<name>/."""
    if name in ("credentials", "client", "integration_user"):
        return reverse(STEP, args=[name])
    return reverse(name)


LOGIN, CLIENT, API_USER = "credentials", "client", "integration_user"


@pytest.fixture
def sandbox(live_server, settings):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return base


@pytest.fixture
def office(client):
    user = admin_user()
    client.force_login(user)
    return user


def identity(client_id: int) -> so.Identity:
    return so.Identity.objects.get(login__username=DEMO_USERNAME, client__client_id=client_id)


def sandbox_login(username: str, password: str, *client_ids: int) -> so.Login:
    """Another 24SO login, reaching the given clients as their second person."""
    login = so.Login.objects.create(username=username, password=make_password(password))
    for client_id in client_ids:
        person = so.Person.objects.filter(client__client_id=client_id).order_by("contact_id")[1]
        so.Identity.objects.create(login=login, client=person.client, person=person)
    return login


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def choose_24so(client):
    response = client.post(reverse(START), {"system": "24so"})
    assert response.status_code == 302 and response.url == url(LOGIN)
    return response


def log_in_step(client, password: str = DEMO_PASSWORD, username: str = DEMO_USERNAME):
    if STATE_KEY not in client.session:
        choose_24so(client)
    return client.post(url(LOGIN), {"username": username, "password": password})


def choose_client(client, client_id: int = FJORDLYS):
    return client.post(url(CLIENT), {"identity_id": str(identity(client_id).identity_id)})


# --- the whole way ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_wizard_connects_step_by_step_and_runs_the_first_sync(client, sandbox, office):
    html = page(client.get(reverse(START)))
    # The Integrations page: every system with what it does and an Activate button.
    assert "Integrations" in html and "24SevenOffice" in html
    assert '<button type="submit" class="button default" name="system" value="24so">' in html
    choose_24so(client)
    assert "Log in to 24SevenOffice" in page(client.get(url(LOGIN)))

    response = log_in_step(client)
    assert response.status_code == 302 and response.url == url(CLIENT)
    # The password waits encrypted, bound to this wizard and user.
    state = client.session[STATE_KEY]
    assert state["password"] != DEMO_PASSWORD
    assert DEMO_PASSWORD not in str(dict(client.session))

    html = page(client.get(url(CLIENT)))
    assert "Fjordlys Rådgivning AS" in html and "Nordvik Bygg AS" in html

    assert choose_client(client).url == url(API_USER)
    html = page(client.get(url(API_USER)))
    assert "The same login" in html and DEMO_USERNAME in html

    response = client.post(url(API_USER), {"mode": "same"})
    assert response.url == reverse(OBJECTS)
    html = page(client.get(reverse(OBJECTS)))
    assert "Fjordlys Rådgivning AS" in html
    assert 'name="master_project"' in html and 'name="master_customer"' not in html

    response = client.post(
        reverse(OBJECTS),
        {
            "connected": ["customer", "project", "work_type"],
            "master_project": "tidsbro",
            "sso": "on",
        },
    )

    connection = Connection.objects.get()
    assert response.url == reverse("admin:integrations_connection_first_sync", args=[connection.pk])
    assert connection.setting("client_name") == "Fjordlys Rådgivning AS"
    assert connection.setting("identity_id") == str(identity(FJORDLYS).identity_id)
    assert connection.connected == ["customer", "project", "work_type"]
    assert connection.masters["project"] == "tidsbro"  # chosen on the last step
    assert connection.masters["customer"] == "erp"  # 24SO cannot take customers: not offered
    assert connection.sso_allowed and "api_username" not in connection.credentials_doc
    assert STATE_KEY not in client.session  # the wizard forgot the passwords
    runs = SyncRun.objects.filter(connection=connection)
    assert {r.entity for r in runs} == {"customer", "project", "work_type"}
    assert all(r.trigger == SyncRun.Trigger.ONBOARDING and r.full for r in runs)
    assert Customer.objects.count() > 0

    html = page(client.get(response.url))
    assert "The first sync is done." in html
    assert html.count('data-status="done"') == 3
    assert 'http-equiv="refresh"' not in html


@pytest.mark.django_db(transaction=True)
def test_a_separate_integration_user_is_checked_and_used_for_the_sync(client, sandbox, office):
    sandbox_login("api@fjordlys.no", "api-Pa55word", FJORDLYS)
    log_in_step(client)
    choose_client(client)

    response = client.post(
        url(API_USER),
        {"mode": "separate", "api_username": "api@fjordlys.no", "api_password": "wrong"},
    )
    assert "did not accept the username or password" in page(response)
    assert not client.session[STATE_KEY].get("api_password")

    response = client.post(
        url(API_USER),
        {"mode": "separate", "api_username": "api@fjordlys.no", "api_password": "api-Pa55word"},
    )
    assert response.url == reverse(OBJECTS)
    assert "api@fjordlys.no" in page(client.get(reverse(OBJECTS)))
    client.post(reverse(OBJECTS), {"connected": ["work_type"]})

    connection = Connection.objects.get()
    assert connection.credentials_doc["api_username"] == "api@fjordlys.no"
    assert connection.credentials_doc["api_password"] == "api-Pa55word"
    assert connection.setting("identity_id") != str(identity(FJORDLYS).identity_id)


# --- wrong input: a message on the page, nothing changed --------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_login_step_says_what_went_wrong_in_plain_words(client, sandbox, office, settings):
    html = page(log_in_step(client, password="not-it"))
    assert "did not accept the username or password" in html
    assert "not-it" not in html

    # 24SO lists the login's only client as disabled for it.
    login = sandbox_login("lonely@example.no", "Lonely-Pa55", NORDVIK)
    login.identities.update(is_disabled=True)
    html = page(log_in_step(client, username="lonely@example.no", password="Lonely-Pa55"))
    assert "has no 24SevenOffice client it may use" in html

    settings.TWENTYFOURSEVEN_API_BASE = "http://127.0.0.1:9/sandbox/24so"
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = "http://127.0.0.1:9/sandbox/24so"
    html = page(log_in_step(client))
    assert "cannot be reached right now" in html

    assert not client.session[STATE_KEY].get("clients")  # nothing was accepted
    assert not client.session[STATE_KEY].get("password")
    assert not Connection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_later_steps_refuse_empty_choices_blocked_clients_and_a_second_connection(
    client, sandbox, office
):
    log_in_step(client)
    html = page(client.post(url(CLIENT), {}))
    assert "Choose the 24SevenOffice client to connect." in html

    so.Identity.objects.filter(pk=identity(NORDVIK).pk).update(is_blocked=True)
    html = page(choose_client(client, NORDVIK))
    assert "has blocked" in html
    assert not client.session[STATE_KEY].get("identity_id")

    choose_client(client)
    html = page(client.post(url(API_USER), {"mode": "separate", "api_username": ""}))
    assert "Enter the username of the integration user." in html
    client.post(url(API_USER), {"mode": "same"})

    html = page(client.post(reverse(OBJECTS), {}))
    assert "Choose at least one kind of record to keep in step." in html
    assert not Connection.objects.exists()

    # Someone else connected meanwhile: the last step refuses, one connection stays.
    connection_24so(username=DEMO_USERNAME, password=DEMO_PASSWORD, client_id=str(FJORDLYS))
    html = page(client.post(reverse(OBJECTS), {"connected": ["customer"]}))
    assert "24SevenOffice is already connected" in html
    assert Connection.objects.count() == 1
    assert "already connected" in page(client.get(reverse(START)))
    assert "already connected" in page(client.get(url(LOGIN)))


@pytest.mark.django_db
def test_a_step_without_the_earlier_ones_starts_again(client, office):
    for name in (LOGIN, CLIENT, API_USER, OBJECTS):
        response = client.get(url(name))
        assert response.status_code == 302 and response.url == reverse(START)
    choose_24so(client)
    for name in (CLIENT, API_USER, OBJECTS):  # the system is chosen, the login is not
        response = client.get(url(name))
        assert response.status_code == 302 and response.url == reverse(START)
    response = client.post(reverse(OBJECTS), {"connected": ["customer"]}, follow=True)
    assert "Please start again" in page(response)
    assert not Connection.objects.exists()


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [support_user, employee, project_manager])
def test_only_administrators_may_connect(client, make_user):
    client.force_login(make_user())
    for name in (START, LOGIN, CLIENT, API_USER, OBJECTS):
        assert client.get(url(name)).status_code == 403, name
    assert client.post(reverse(START), {"system": "24so"}).status_code == 403
    response = client.post(url(LOGIN), {"username": DEMO_USERNAME, "password": "x"})
    assert response.status_code == 403
    html = client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "Connect 24SevenOffice" not in html


@pytest.mark.django_db
def test_support_follows_the_first_sync_but_employees_do_not(client):
    connection = connection_24so(username=DEMO_USERNAME, password="x", connected=["customer"])
    url = reverse("admin:integrations_connection_first_sync", args=[connection.pk])
    client.force_login(support_user())
    html = page(client.get(url))
    assert 'data-status="pending"' in html and 'http-equiv="refresh"' in html
    client.force_login(employee())
    assert client.get(url).status_code == 403


# --- the first sync's result -----------------------------------------------------------------


def _row(html: str, entity: str) -> str:
    start = html.index(f'data-entity="{entity}"')
    return html[start : html.index("</tr>", start)]


def _cell(row: str, name: str) -> str:
    start = row.index(f'class="first-sync-{name}">') + len(f'class="first-sync-{name}">')
    return row[start : row.index("</td>", start)]


@pytest.mark.django_db
def test_the_first_sync_result_counts_linked_users_apart_and_stays_the_first_sync(client, office):
    """Users linked by e-mail are "linked", not "created"; a later instant update or scheduled
    run does not replace the first sync's numbers on its result page."""
    from datetime import timedelta

    from django.utils import timezone

    connection = connection_24so(connected=["user", "customer", "work_type"])
    start = timezone.now() + timedelta(seconds=1)

    def run(entity, trigger, minutes, status=SyncRun.Status.SUCCEEDED, **counts):
        return SyncRun.objects.create(
            connection=connection,
            entity=entity,
            trigger=trigger,
            full=True,
            status=status,
            started_at=start + timedelta(minutes=minutes),
            finished_at=start + timedelta(minutes=minutes, seconds=5),
            **counts,
        )

    run("user", SyncRun.Trigger.ONBOARDING, 0, fetched=8, created=5)
    run("customer", SyncRun.Trigger.ONBOARDING, 0, fetched=3, created=3)
    # Later: an instant update of one customer, then the schedule.
    run("customer", SyncRun.Trigger.WEBHOOK, 5, fetched=1, updated=1)
    run("user", SyncRun.Trigger.SCHEDULE, 60, fetched=8, created=1)
    # Work types: the wizard's run found another holding the lock; the next full run did it.
    run("work_type", SyncRun.Trigger.ONBOARDING, 0, status=SyncRun.Status.ALREADY_RUNNING)
    run("work_type", SyncRun.Trigger.SCHEDULE, 2, fetched=4, created=4)
    run("work_type", SyncRun.Trigger.SCHEDULE, 90, fetched=4, created=2)

    html = page(
        client.get(reverse("admin:integrations_connection_first_sync", args=[connection.pk]))
    )
    assert ">Linked</th>" in html and ">Created</th>" in html
    users = _row(html, "user")
    assert _cell(users, "linked") == "5" and _cell(users, "created") == "0"
    customers = _row(html, "customer")
    assert _cell(customers, "created") == "3" and _cell(customers, "linked") == "0"
    assert "<td>3</td>" in customers  # fetched by the first sync, not the instant update's 1
    work_types = _row(html, "work_type")
    assert 'data-status="done"' in work_types and _cell(work_types, "created") == "4"
    assert "The first sync is done." in html
