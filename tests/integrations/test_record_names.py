"""Records are named in the reader's language and time zone wherever Django shows their name
(breadcrumbs, the admin's history and messages): no code keys, no UTC, no "7.50 h"."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from apps.integrations.models import Connection, OutboxItem, SyncRun, Watermark
from tests.integrations.factories import connection_24so
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

UTC_EVENING = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)  # 00:30 in Oslo


@pytest.fixture
def connection() -> Connection:
    return connection_24so(username="api@example.no", password="secret", connected=["work_type"])


def test_an_hour_is_named_with_the_readers_date_and_hour_format():
    entry = TimeEntryFactory(hours=Decimal("7.50"), date=datetime.date(2026, 11, 16))

    with translation.override("nb"):
        name = str(entry)

    assert "7,5\u00a0t" in name and "7.50 h" not in name
    assert "16.11.2026" in name


def test_sync_records_are_named_with_translated_types_in_local_time(connection):
    run = SyncRun.objects.create(
        connection=connection, entity="work_type", trigger="manual", status="failed"
    )
    SyncRun.objects.filter(pk=run.pk).update(started_at=UTC_EVENING)
    run.refresh_from_db()
    watermark = Watermark.objects.create(
        connection=connection, entity="work_type", cursor=UTC_EVENING.isoformat()
    )
    item = OutboxItem.objects.create(connection=connection, entity="work_type", local_id=3)

    with translation.override("en"), timezone.override("Europe/Oslo"):
        names = [str(run), str(watermark), str(item)]

    assert all("work_type" not in name for name in names), names
    assert "2026-12-01 00:30" in names[0] and "2026-12-01 00:30" in names[1]
    assert "failed" in names[0].lower()


def test_the_conflict_list_names_fields_as_the_office_knows_them(client, connection):
    from django.urls import reverse

    from apps.integrations.models import Binding, Conflict
    from tests.accounts.factories import admin_user
    from tests.projects.factories import ProjectFactory

    project = ProjectFactory()
    binding = Binding.objects.create(
        connection=connection, entity="project", local_id=project.pk, external_id="77"
    )
    Conflict.objects.create(
        binding=binding, field="default_work_type", local_value=1, remote_value=2, base_value=3
    )
    client.force_login(admin_user())

    html = client.get(reverse("admin:integrations_conflict_changelist")).content.decode()

    assert "Default work type" in html
    assert ">default_work_type<" not in html
