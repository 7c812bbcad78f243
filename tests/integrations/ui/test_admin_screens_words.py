"""What an office administrator reads on the integration and order screens (found by the
Unimicro browser walk in Norwegian): the health table words a stored failure in the viewer's
language, a connection that keeps nothing in step shows no sync boxes but says where its files
are made, the export confirmation's table is a styled module, an exported-as-file order links
nowhere, and "Tidsbro" keeps its capital in the Integrations cards."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import translation

from apps.integrations.admin_views.onboarding import integration_features
from apps.integrations.explain import explain
from apps.integrations.models import SyncRun
from apps.integrations.registry import spec_for
from apps.integrations.services import DEFAULT_MASTERS
from tests.accounts.factories import admin_user
from tests.integrations.factories import connection_24so
from tests.integrations.unimicro.test_export import csv_connection, two_orders

pytestmark = pytest.mark.django_db

SETTINGS = "admin:integrations_connection_settings"
NET_ERROR = (
    "SaveProject: Server was unable to process request. ---> System.Exception: "
    "Customer 50012 does not exist"
)


def test_the_health_table_words_the_stored_failure_in_the_viewers_language(client):
    connection = connection_24so(
        username="api@example.no",
        password="secret",
        connected=["customer", "project", "work_type", "task", "hour"],
        masters=dict(DEFAULT_MASTERS),
    )
    SyncRun.objects.create(
        connection=connection,
        entity="project",
        trigger="schedule",
        status="failed",
        error_text=NET_ERROR,
        finished_at=datetime.now(UTC),
    )
    with translation.override("nb"):
        norwegian = explain(NET_ERROR, connection).plain
    with translation.override("en"):
        assert norwegian != explain(NET_ERROR, connection).plain  # it is translated

    client.force_login(admin_user(language="nb"))
    html = client.get(f"{reverse(SETTINGS)}?connection={connection.pk}").content.decode()

    row = html.split('data-entity="project"')[1].split("</tr>")[0]
    plain = row.split('class="health-plain">')[1].split("</span>")[0]
    assert plain == norwegian
    # The system's own text stays behind "details", never in the plain words.
    assert "System.Exception" not in plain and "<details" in row and "50012" in row


def test_a_connection_keeping_nothing_in_step_shows_where_its_files_are_made(client):
    connection = csv_connection()
    client.force_login(admin_user())

    html = client.get(f"{reverse(SETTINGS)}?connection={connection.pk}").content.decode()

    for sync_only in ('id="health"', 'id="connected"', "Keep in step", 'id="user-mapping"'):
        assert sync_only not in html
    assert 'id="first-time-setup"' not in html
    line = html.split('id="nothing-in-step">')[1].split("</p>")[0]
    assert "This connection exports files" in line
    assert f'href="{reverse("admin:orders_order_changelist")}"' in line
    assert "Orders → Export for Unimicro" in line


def test_a_connection_keeping_things_in_step_still_shows_its_sync_boxes(client):
    connection = connection_24so(username="x", password="y", connected=["customer"])
    client.force_login(admin_user())

    html = client.get(f"{reverse(SETTINGS)}?connection={connection.pk}").content.decode()

    assert 'id="health"' in html and 'id="connected"' in html
    assert 'id="nothing-in-step"' not in html


def test_the_export_confirmation_table_is_a_styled_module_and_an_exported_order_links_nowhere(
    client,
):
    actor = admin_user()
    connection = csv_connection()
    first, second = two_orders(connection, actor=actor)
    client.force_login(actor)

    page = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": f"export_for_{connection.pk}", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
    ).content.decode()

    # Inside #content-main > .module the admin stylesheet pads and rules the cells.
    module = page.split('id="content-main"')[1].split('class="module"')[1]
    assert module.index('id="export-orders"') < module.index("</table>")
    assert "2 orders go into the file" in module.split("</caption>")[0]

    change = client.get(reverse("admin:orders_order_change", args=[first.pk])).content.decode()
    assert "for Unimicro (file export)" in change
    assert "erp-order-link" not in change and "↗" not in change


def test_the_integrations_card_keeps_tidsbro_capitalised():
    with translation.override("en"):
        features = [str(f) for f in integration_features(spec_for("unimicro"))]
    kept = next(f for f in features if f.startswith("Keeps in step:"))
    assert "users (to map them to Tidsbro users)" in kept
    assert "customers, projects" in kept  # each type still starts in lower case
