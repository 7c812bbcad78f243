"""History: every run with trigger, duration, counts, requests and errors; a run opens to
the records it changed; failed transfers can be retried now."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.integrations.models import Connection, OutboxItem, SyncRun
from tests.accounts.factories import admin_user, employee, support_user
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db
HISTORY = "admin:integrations_sync_history"


@pytest.fixture
def connection() -> Connection:
    return connection_24so(username="api@example.no", password="secret", connected=["project"])


def run(connection, **extra) -> SyncRun:
    start = timezone.now() - timedelta(minutes=5)
    options = {
        "connection": connection,
        "entity": "project",
        "trigger": SyncRun.Trigger.SCHEDULE,
        "status": SyncRun.Status.SUCCEEDED,
        "started_at": start,
        "finished_at": start + timedelta(seconds=12),
        "fetched": 40,
        "updated": 3,
        "requests": 7,
        "changes": [
            {
                "entity": "project",
                "local_id": 5,
                "external_id": "4711",
                "action": "updated",
                "fields": ["name"],
            }
        ],
    }
    options.update(extra)
    return SyncRun.objects.create(**options)


def test_history_lists_runs_with_duration_counts_requests_and_errors(client, connection):
    run(connection)
    run(connection, status=SyncRun.Status.FAILED, error_text="24SO cannot be reached")
    client.force_login(support_user())
    html = client.get(reverse(HISTORY)).content.decode()
    assert "12.0 s" in html and "7 requests" in html and "40 fetched" in html and "Schedule" in html
    assert "24SO cannot be reached" in html  # the health line's last error
    failed = client.get(reverse(HISTORY) + "?failed=1").context["page"].object_list
    assert [r.status for r in failed] == ["failed"]


def test_a_run_opens_to_the_records_it_changed(client, connection):
    r = run(connection)
    client.force_login(support_user())
    html = client.get(reverse("admin:integrations_syncrun_change", args=[r.pk])).content.decode()
    assert "4711" in html and "updated" in html and "name" in html


def test_history_costs_the_same_queries_with_more_runs(
    client, connection, django_assert_num_queries
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin_user())
    for _ in range(3):
        run(connection)
    client.get(reverse(HISTORY))
    with CaptureQueriesContext(db) as few:
        client.get(reverse(HISTORY))
    for _ in range(30):
        run(connection)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse(HISTORY))


def test_a_failed_transfer_is_retried_now(client, connection, monkeypatch):
    kicks = []
    monkeypatch.setattr("apps.integrations.sync.outbox.kick", kicks.append)
    item = OutboxItem.objects.create(
        connection=connection,
        entity="project",
        local_id=9,
        status=OutboxItem.Status.DEAD,
        attempts=8,
        last_error="Rejected: name too long",
    )
    client.force_login(support_user())
    assert "name too long" in client.get(reverse(HISTORY)).content.decode()
    response = client.post(reverse(HISTORY), {"selected": [item.pk]}, follow=True)
    assert "1 transfer queued again." in response.content.decode()
    item.refresh_from_db()
    assert (item.status, item.attempts) == (OutboxItem.Status.PENDING, 0)


def test_employees_see_no_history(client, connection):
    client.force_login(employee())
    assert client.get(reverse(HISTORY)).status_code == 403
    assert client.post(reverse(HISTORY), {"selected": []}).status_code == 403


def test_a_runs_changes_link_to_the_records(client, connection):
    from apps.customers.models import Customer
    from apps.projects.models import Project

    project = Project.objects.create(
        name="Portal", number=4711, customer=Customer.objects.create(name="Havbris AS")
    )
    r = run(
        connection,
        changes=[
            {
                "entity": "project",
                "local_id": project.pk,
                "external_id": "4711",
                "action": "updated",
                "fields": ["name"],
            }
        ],
    )
    client.force_login(support_user())
    html = client.get(reverse("admin:integrations_syncrun_change", args=[r.pk])).content.decode()
    link = reverse("admin:projects_project_change", args=[project.pk])
    assert f'<a href="{link}">4711 Portal</a>' in html
