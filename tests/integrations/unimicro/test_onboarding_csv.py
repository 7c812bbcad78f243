"""Activating Unimicro in CSV mode: no login, nothing kept in step, no first sync; the
connection is active at once and its settings page says what it does."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from apps.integrations.admin_views.onboarding import STATE_KEY
from apps.integrations.models import Connection, SyncRun
from tests.accounts.factories import admin_user

STEP = "admin:integrations_connection_connect_step"


def step(name: str) -> str:
    return reverse(STEP, args=[name])


@pytest.mark.django_db
def test_activating_asks_full_integration_or_csv_first(client):
    client.force_login(admin_user())
    client.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    html = client.get(step("mode")).content.decode()
    assert "Full integration (API)" in html and "CSV export" in html
    # Before a mode is chosen the whole API path is listed.
    assert "Log in to Unimicro" in html and "Name the key" in html
    response = client.post(step("mode"), {})
    assert "Choose full integration or CSV export." in response.content.decode()


@pytest.mark.django_db
def test_csv_mode_creates_the_connection_at_once_without_a_first_sync(client):
    client.force_login(admin_user())
    client.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    response = client.post(step("mode"), {"mode": "csv"})

    connection = Connection.objects.get(system="unimicro")
    settings_url = f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"
    assert response.status_code == 302 and response.url == settings_url
    assert connection.is_active and connection.connected == []
    assert connection.settings == {"mode": "csv"}
    assert connection.credentials_doc == {} and connection.state_doc == {}
    assert not SyncRun.objects.filter(connection=connection).exists()
    assert STATE_KEY not in client.session
    assert LogEntry.objects.filter(object_id=str(connection.pk)).exists()

    page = client.get(response.url).content.decode()
    assert "is active. Nothing is kept in step" in page
    assert "Mode: CSV export" in page
    assert "orders go out as the file it imports" in page and "Export for Unimicro" in page
    assert 'id="unimicro-keys"' not in page  # no keys without a login
    # The connection offers the file export (the export helper's capability).
    assert connection.spec.order_export.available(connection)
    assert connection.spec.connectable(connection.settings) == frozenset()


@pytest.mark.django_db
def test_csv_mode_skips_the_login_steps(client):
    client.force_login(admin_user())
    client.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    client.post(step("mode"), {"mode": "csv"})
    Connection.objects.all().delete()
    # A login step of the API path is not part of a CSV wizard (it has ended anyway).
    assert client.get(step("login")).status_code == 302


@pytest.mark.django_db
def test_the_command_line_connects_unimicro_in_csv_mode():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("integrations_connect", "--system", "unimicro", stdout=out)
    connection = Connection.objects.get(system="unimicro")
    assert connection.settings == {"mode": "csv"} and connection.connected == []
    assert "Connected Unimicro (CSV export)" in out.getvalue()
