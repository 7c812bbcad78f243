"""The integration screens: who sees what, write-only credentials, retry, full sync, fetch now."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import (
    Binding,
    Connection,
    HourTransfer,
    Lease,
    Master,
    OutboxItem,
    SyncRun,
    Watermark,
)
from apps.integrations.services import DEFAULT_MASTERS
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from tests.accounts.factories import admin_user, employee, project_manager, support_user
from tests.integrations.factories import connection_24so

STORED_PASSWORD = "stored-secret-Pa55"
MODELS = ["connection", "binding", "watermark", "syncrun", "conflict", "outboxitem", "lease"]


def _connection(**extra) -> Connection:
    options = {
        "username": DEMO_USERNAME,
        "password": STORED_PASSWORD,
        "client_name": "Fjordlys Rådgivning AS",
        "client_id": "2400101",
        "connected": ["customer", "project", "work_type"],
        "masters": dict(DEFAULT_MASTERS),
    }
    options.update(extra)
    return connection_24so(**options)


@pytest.fixture
def connection(db) -> Connection:
    return _connection()


@pytest.fixture
def rows(connection):
    Binding.objects.create(connection=connection, entity="customer", local_id=1, external_id="42")
    Watermark.objects.create(connection=connection, entity="customer")
    SyncRun.objects.create(connection=connection, entity="customer", trigger="manual")
    OutboxItem.objects.create(connection=connection, entity="project", local_id=1)
    Lease.objects.create(name="sync:1:customer")


def _url(model: str, view: str = "changelist", *args) -> str:
    return reverse(f"admin:integrations_{model}_{view}", args=args)


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: calls.append((func, args))
    )
    return calls


# --- who sees what ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [admin_user, support_user])
def test_admin_and_support_see_every_integration_screen(client, rows, make_user):
    client.force_login(make_user())
    for model in MODELS:
        assert client.get(_url(model)).status_code == 200, model


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [employee, project_manager])
def test_employees_and_project_managers_see_none_of_it(client, rows, make_user, connection):
    client.force_login(make_user())
    for model in MODELS:
        assert client.get(_url(model)).status_code == 403, model
    assert client.get(_url("connection", "change", connection.pk)).status_code == 403
    assert "integrations" not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_support_sees_the_connection_but_cannot_change_it(client, connection):
    client.force_login(support_user())
    response = client.get(_url("connection", "change", connection.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="replace_password"' not in html
    assert 'name="hour_transfer"' not in html
    response = client.post(
        _url("connection", "change", connection.pk), {"hour_transfer": HourTransfer.NEVER}
    )
    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.hour_transfer == HourTransfer.ON_APPROVAL


@pytest.mark.django_db
def test_the_stored_password_is_never_rendered(client, connection):
    client.force_login(admin_user())
    for url in (_url("connection"), _url("connection", "change", connection.pk)):
        html = client.get(url).content.decode()
        assert STORED_PASSWORD not in html
        assert "gAAAA" not in html  # nor its ciphertext
    html = client.get(_url("connection", "change", connection.pk)).content.decode()
    assert 'name="password"' not in html and 'name="credentials"' not in html
    assert "Fjordlys Rådgivning AS" in html  # the connector's settings, read-only


@pytest.mark.django_db
def test_the_connection_list_shows_client_types_transfer_and_health(client, connection):
    client.force_login(admin_user())
    html = client.get(_url("connection")).content.decode()
    assert "Fjordlys Rådgivning AS" in html
    assert "customers, projects, work types" in html
    assert "When hours are approved" in html
    assert "needs attention" in html  # nothing has synced yet: stale


@pytest.mark.django_db
def test_admin_changes_the_settings_and_it_is_logged(client, connection):
    office = admin_user()
    client.force_login(office)
    response = client.post(
        _url("connection", "change", connection.pk),
        {
            "is_active": "on",
            "connected": ["customer", "project"],
            "masters": '{"customer": "erp", "project": "tidsbro"}',
            "hour_transfer": HourTransfer.NEVER,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    connection.refresh_from_db()
    assert connection.connected == ["customer", "project"]
    assert connection.masters["project"] == Master.TIDSBRO
    assert connection.hour_transfer == HourTransfer.NEVER
    assert connection.credentials_doc["password"] == STORED_PASSWORD
    assert LogEntry.objects.filter(object_id=str(connection.pk), user=office).exists()


# --- sync runs --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_shows_its_changes_and_is_read_only(client, connection):
    run = SyncRun.objects.create(
        connection=connection,
        entity="customer",
        trigger="command",
        status=SyncRun.Status.SUCCEEDED,
        created=1,
        changes=[
            {"entity": "customer", "local_id": 7, "external_id": "4711", "action": "created"},
            {
                "entity": "customer",
                "local_id": 8,
                "external_id": "<b>",
                "action": "updated",
                "fields": ["name", "email"],
            },
        ],
    )
    client.force_login(support_user())
    html = client.get(_url("syncrun", "change", run.pk)).content.decode()
    assert "4711" in html and "name, email" in html
    assert "&lt;b&gt;" in html and "<b>" not in html.split("4711")[1]
    assert 'name="_save"' not in html
    assert client.get(_url("syncrun", "add")).status_code == 403


@pytest.mark.django_db
def test_the_run_list_makes_the_same_queries_for_more_rows(
    client, connection, django_assert_max_num_queries
):
    client.force_login(admin_user())
    SyncRun.objects.create(connection=connection, entity="customer", trigger="manual")
    with django_assert_max_num_queries(12) as few:
        client.get(_url("syncrun"))
    for _ in range(20):
        SyncRun.objects.create(connection=connection, entity="project", trigger="manual")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(_url("syncrun")).status_code == 200


# --- outbox -----------------------------------------------------------------------------------


def _retry(client, item):
    return client.post(
        _url("outboxitem"),
        {"action": "retry_now", "_selected_action": [item.pk]},
    )


@pytest.mark.django_db
def test_support_retries_a_dead_transfer(client, connection):
    item = OutboxItem.objects.create(
        connection=connection,
        entity="project",
        local_id=3,
        status=OutboxItem.Status.DEAD,
        attempts=8,
        last_error="refused",
    )
    client.force_login(support_user())
    assert "refused" in client.get(_url("outboxitem") + "?status=dead").content.decode()

    response = _retry(client, item)

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.PENDING
    assert item.attempts == 0


@pytest.mark.django_db
def test_a_user_without_the_retry_permission_cannot_retry(client, connection):
    item = OutboxItem.objects.create(
        connection=connection, entity="project", local_id=3, status=OutboxItem.Status.DEAD
    )
    client.force_login(employee())
    assert _retry(client, item).status_code == 403
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DEAD


# --- watermarks -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_full_sync_now_resets_the_watermark_and_enqueues_a_full_run(
    client, connection, enqueued, django_capture_on_commit_callbacks
):
    watermark = Watermark.objects.create(
        connection=connection, entity="project", cursor="2026-11-01T10:00:00+00:00"
    )
    client.force_login(support_user())
    assert "Full sync now" in client.get(_url("watermark", "change", watermark.pk)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("watermark", "full_sync", watermark.pk))

    assert response.status_code == 302
    watermark.refresh_from_db()
    assert watermark.cursor == ""
    assert enqueued == [
        ("apps.integrations.jobs.sync_entity", (connection.pk, "project", "manual", True))
    ]


@pytest.mark.django_db
def test_full_sync_now_needs_a_post_and_the_permission(client, connection):
    watermark = Watermark.objects.create(
        connection=connection, entity="project", cursor="2026-11-01T10:00:00+00:00"
    )
    client.force_login(admin_user())
    assert client.get(_url("watermark", "full_sync", watermark.pk)).status_code == 405
    client.force_login(employee())
    assert client.post(_url("watermark", "full_sync", watermark.pk)).status_code == 403
    watermark.refresh_from_db()
    assert watermark.cursor


@pytest.mark.django_db
def test_full_sync_now_as_an_action(client, connection, enqueued):
    watermark = Watermark.objects.create(
        connection=connection, entity="customer", cursor="2026-11-01T10:00:00+00:00"
    )
    client.force_login(support_user())
    response = client.post(
        _url("watermark"), {"action": "full_sync_now", "_selected_action": [watermark.pk]}
    )
    assert response.status_code == 302
    watermark.refresh_from_db()
    assert watermark.cursor == ""


@pytest.mark.django_db
def test_admin_edits_the_last_sync_and_support_cannot(client, connection):
    watermark = Watermark.objects.create(connection=connection, entity="customer")
    client.force_login(support_user())
    data = {"value_0": "2026-11-20", "value_1": "08:00:00"}
    assert client.post(_url("watermark", "change", watermark.pk), data).status_code == 403
    client.force_login(admin_user())
    response = client.post(_url("watermark", "change", watermark.pk), data)
    assert response.status_code == 302
    watermark.refresh_from_db()
    assert watermark.moment is not None
    assert timezone.localtime(watermark.moment).strftime("%Y-%m-%d %H:%M") == "2026-11-20 08:00"
    html = client.get(_url("watermark")).content.decode()
    assert "2026-11-20 08:00" in html  # the cursor in words, as the connector says it


# --- "Fetch now" on the domain lists ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changelist", "label"),
    [
        ("admin:customers_customer_changelist", "Fetch customers"),
        ("admin:projects_project_changelist", "Fetch projects"),
        ("admin:worktypes_worktype_changelist", "Fetch work types"),
    ],
)
def test_the_fetch_button_shows_when_the_type_is_connected(client, changelist, label):
    client.force_login(admin_user())
    assert label not in client.get(reverse(changelist)).content.decode()
    _connection()
    html = client.get(reverse(changelist)).content.decode()
    assert label in html
    assert "Not fetched yet" in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_the_fetch_button_says_how_the_last_run_ended(client, connection):
    SyncRun.objects.create(
        connection=connection,
        entity="project",
        trigger="schedule",
        status=SyncRun.Status.FAILED,
        error_text="24SevenOffice cannot be reached",
    )
    client.force_login(support_user())
    html = client.get(reverse("admin:projects_project_changelist")).content.decode()
    assert "Last fetched" in html and "Failed" in html
    assert "24SevenOffice cannot be reached" in html


@pytest.mark.django_db
def test_the_fetch_button_is_hidden_without_the_run_permission(client, connection):
    client.force_login(employee())
    html = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "Fetch customers" not in html


@pytest.mark.django_db
def test_fetch_now_enqueues_a_run_of_that_type(
    client, connection, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(support_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:worktypes_worktype_fetch_now"))
    assert response.status_code == 302
    assert enqueued == [
        ("apps.integrations.jobs.sync_entity", (connection.pk, "work_type", "manual", False))
    ]


@pytest.mark.django_db
def test_fetch_now_needs_a_post_and_the_permission(client, connection, enqueued):
    client.force_login(admin_user())
    assert client.get(reverse("admin:customers_customer_fetch_now")).status_code == 405
    client.force_login(employee())
    assert client.post(reverse("admin:customers_customer_fetch_now")).status_code == 403
    assert enqueued == []


@pytest.mark.django_db
def test_fetch_now_checks_csrf(connection, enqueued):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user())
    assert browser.post(reverse("admin:customers_customer_fetch_now")).status_code == 403
    assert enqueued == []


@pytest.mark.django_db
def test_customers_are_created_in_the_erp_while_it_is_their_master(client, connection):
    client.force_login(admin_user())
    html = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "Customers are created and changed in 24SevenOffice" in html
    assert client.get(reverse("admin:customers_customer_add")).status_code == 403

    connection.masters = {**connection.masters, "customer": Master.BOTH}
    connection.save()
    html = client.get(reverse("admin:customers_customer_changelist")).content.decode()
    assert "Customers are created and changed in" not in html
    assert client.get(reverse("admin:customers_customer_add")).status_code == 200


@pytest.mark.django_db
def test_sync_now_action_queues_one_job_for_the_whole_connection(
    client, connection, enqueued, django_capture_on_commit_callbacks
):
    client.force_login(support_user())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("connection"), {"action": "sync_changes_now", "_selected_action": [connection.pk]}
        )
    assert response.status_code == 302
    assert enqueued == [
        ("apps.integrations.jobs.sync_connection", (connection.pk, "manual", False))
    ]


@pytest.mark.django_db
def test_adding_a_connection_goes_through_the_wizard(client):
    client.force_login(admin_user())
    response = client.get(_url("connection", "add"))
    assert response.status_code == 302
    assert response.url == reverse("admin:integrations_connection_connect")
    response = client.post(_url("connection", "add"), {"system": "24so"})
    assert response.status_code == 302 and not Connection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_fetch_customers_runs_against_the_sandbox(client, live_server, settings):
    from apps.integrations.services import connection_create

    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    from apps.integrations.connectors.twentyfourseven.onboarding import connect

    documents = connect(
        username=DEMO_USERNAME, password=DEMO_PASSWORD, client_name="Fjordlys Rådgivning AS"
    )
    connection_create(
        system="24so",
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        connected=["customers"],
    )
    client.force_login(support_user())

    response = client.post(reverse("admin:customers_customer_fetch_now"), follow=True)

    run = SyncRun.objects.get(entity="customer")
    assert run.status == SyncRun.Status.SUCCEEDED
    assert run.trigger == SyncRun.Trigger.MANUAL
    assert run.created > 0
    html = response.content.decode()
    assert "Last fetched" in html and "Succeeded" in html
