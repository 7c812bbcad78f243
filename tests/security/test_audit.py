"""The audit trail: who changed the connection, its credentials, a watermark, reopened hours.

Recorded through apps/core/audit.py into the admin's history (LogEntry) and listed read-only
in the admin's "Audit log" for administrators and support.
"""

from datetime import UTC, datetime

import pytest
from django.contrib.admin.models import CHANGE
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core import audit
from apps.core.models import AuditRecord
from apps.integrations import services
from apps.integrations.models import Connection, Watermark
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import admin_user, employee, project_manager, support_user
from tests.integrations.factories import connection_24so
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

Status = TimeEntry.Status
LIST = reverse("admin:core_auditrecord_changelist")


@pytest.fixture
def connection(db) -> Connection:
    return connection_24so(
        username="erp@example.no",
        password="s3cret-erp-password",
        connected=["customer", "project"],
        masters={"customer": "erp", "project": "both"},
    )


def _records(obj) -> list[tuple]:
    return [
        (r.user, r.get_change_message())
        for r in AuditRecord.objects.filter(object_id=str(obj.pk)).order_by("pk")
    ]


def test_changing_connection_settings_records_who_and_which_fields(connection):
    office = admin_user()
    services.connection_update_settings(
        connection=connection, hour_transfer="on_order", sso=True, actor=office
    )
    assert _records(connection) == [
        (office, "Changed hour transfer and allow log in with the ERP.")
    ]


def test_setting_a_watermark_records_who_and_to_what(connection):
    office = admin_user()
    watermark = Watermark.objects.create(connection=connection, entity="customer")
    services.watermark_set(
        watermark=watermark, value=datetime(2026, 11, 1, 8, tzinfo=UTC), actor=office
    )
    [(user, message)] = _records(connection)
    assert user == office
    assert message.startswith("Set the last sync of customer to 2026-11-01")


@pytest.mark.parametrize("path", ["api", "service"])
def test_reopening_locked_hours_records_who_which_entry_and_why(path):
    office = admin_user()
    entry = TimeEntryFactory(status=Status.LOCKED)
    if path == "api":
        api = APIClient()
        api.force_login(office)
        response = api.post(
            f"/api/v1/time-entries/{entry.pk}/reopen/", {"reason": "Wrong date"}, format="json"
        )
        assert response.status_code == 200, response.content
    else:
        from apps.timesheets.services import time_entry_transition

        time_entry_transition(actor=office, entry=entry, action="reopen", reason="Wrong date")
    assert _records(entry) == [(office, "Reopened Wrong date")]


def test_record_is_the_public_way_to_write_it_and_ignores_a_missing_actor(connection):
    office = admin_user()
    audit.record(None, connection, "scheduled: nobody to name")
    audit.record(office, connection, "Resolved the conflict: name → Kept the ERP value")
    [record] = AuditRecord.objects.all()
    assert (record.user, record.action_flag, record.object_repr) == (
        office,
        CHANGE,
        str(connection),
    )


@pytest.mark.parametrize("make", [admin_user, support_user])
def test_administrators_and_support_read_the_audit_log(client, connection, make):
    office = admin_user(email="boss@example.no")
    services.connection_update_settings(connection=connection, sso=True, actor=office)
    client.force_login(make())

    page = client.get(LIST)
    assert page.status_code == 200
    assert "Changed allow log in with the ERP." in page.content.decode()
    # Filter by who did it and search the message.
    assert client.get(LIST, {"user__id__exact": office.pk}).context["cl"].result_count == 1
    assert client.get(LIST, {"q": "boss@example"}).context["cl"].result_count == 1
    assert client.get(LIST, {"q": "nothing like it"}).context["cl"].result_count == 0
    record = AuditRecord.objects.get()
    detail = client.get(reverse("admin:core_auditrecord_change", args=[record.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()  # view only


@pytest.mark.parametrize("make", [employee, project_manager])
def test_nobody_else_reads_the_audit_log(client, make):
    client.force_login(make())
    assert client.get(LIST).status_code == 403


def test_the_audit_log_cannot_be_written_even_by_a_superuser(client, connection):
    boss = admin_user(is_superuser=True)
    services.connection_update_settings(connection=connection, sso=True, actor=boss)
    record = AuditRecord.objects.get()
    client.force_login(boss)

    assert client.get(reverse("admin:core_auditrecord_add")).status_code == 403
    change = reverse("admin:core_auditrecord_change", args=[record.pk])
    assert client.post(change, {"change_message": "nothing happened"}).status_code == 403
    delete = reverse("admin:core_auditrecord_delete", args=[record.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = client.post(LIST, {"action": "delete_selected", "_selected_action": [record.pk]})
    assert bulk.status_code in (200, 302)
    record.refresh_from_db()
    assert record.get_change_message() == "Changed allow log in with the ERP."


def test_resolving_a_conflict_records_who_kept_which_side(connection):
    from apps.integrations import partners
    from apps.integrations.models import Binding, Conflict
    from tests.customers.factories import CustomerFactory

    support = support_user()
    customer = CustomerFactory(name="Fjordlys AS")
    binding = Binding.objects.create(
        connection=connection,
        entity="customer",
        local_id=customer.pk,
        external_id="7",
        snapshot={"name": "Fjordlys"},
        state=Binding.State.CONFLICT,
    )
    Conflict.objects.create(
        binding=binding,
        field="name",
        base_value="Fjordlys",
        local_value="Fjordlys AS",
        remote_value="Fjordlys Rådgivning AS",
    )

    partners.conflict_resolve(
        binding=binding, choices={"name": (partners.REMOTE, "")}, actor=support
    )

    customer.refresh_from_db()
    assert customer.name == "Fjordlys Rådgivning AS"
    assert _records(customer) == [(support, "Resolved the conflict: name → Kept the ERP value")]
