"""Every failure a person must act on is shown where they look: the home panel (red/amber,
counts, links), the settings' health per type, the ERP column of the hour, and the history
(plain words first, the ERP's text behind "details"); labels instead of code keys, times in
the person's time zone. The walk found "OK" while transfers had failed, "–" on an hour
whose transfer failed, and raw .NET text as the explanation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from apps.integrations.explain import explain
from apps.integrations.models import Connection, OutboxItem, SyncRun
from apps.integrations.selectors import entity_health, health_panel
from apps.integrations.services import DEFAULT_MASTERS
from apps.integrations.sync.waiting import marker
from tests.accounts.factories import admin_user
from tests.integrations.factories import connection_24so
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

NET_ERROR = (
    "SaveHour: Server was unable to process request. ---> System.Exception: "
    "Project 7012 does not exist"
)


@pytest.fixture
def connection() -> Connection:
    connection = connection_24so(
        username="api@example.no",
        password="secret",
        client_name="Fjordlys",
        connected=["customer", "project", "work_type", "task", "hour"],
        masters=dict(DEFAULT_MASTERS),
    )
    for entity in ("customer", "project", "work_type", "task"):
        SyncRun.objects.create(
            connection=connection,
            entity=entity,
            trigger="schedule",
            status="succeeded",
            finished_at=datetime.now(UTC),
        )
    return connection


def dead_hour(connection: Connection, entry=None) -> OutboxItem:
    entry = entry or TimeEntryFactory()
    return OutboxItem.objects.create(
        connection=connection,
        entity="hour",
        local_id=entry.pk,
        status=OutboxItem.Status.DEAD,
        attempts=8,
        last_error=NET_ERROR,
    )


def test_failed_transfers_turn_the_home_panel_red_with_a_count_and_a_link(client, connection):
    dead_hour(connection)
    dead_hour(connection)
    client.force_login(admin_user(language="nb"))

    panel = health_panel()
    html = client.get(reverse("admin:index")).content.decode()

    assert panel.level == "error" and not panel.ok  # all pulls succeeded: it used to say OK
    failed = re.search(r'data-key="failed"><a href="([^"]+)"><span class="hp-count">(\d+)<', html)
    assert failed is not None
    assert failed.group(1) == reverse("admin:integrations_sync_history") + "#sc-dead"
    assert failed.group(2) == "2"
    assert 'data-level="error"' in html


def test_waiting_hours_and_unmapped_users_make_it_amber(connection):
    entry = TimeEntryFactory()
    OutboxItem.objects.create(
        connection=connection,
        entity="hour",
        local_id=entry.pk,
        last_error=marker("project", entry.project_id),
    )
    panel = health_panel()
    assert panel.level == "warning"
    assert {i.key: i.count for i in panel.items if i.count}["waiting"] == 1


def test_nothing_to_act_on_is_green(connection):
    admin_user()
    from apps.integrations.models import Binding

    Binding.objects.filter(entity="user").delete()
    panel = health_panel()
    # Only the unmapped user is left to look at: amber, never red.
    assert {i.key for i in panel.items if i.count} == {"unmapped"}
    assert panel.level == "warning"


def test_settings_health_per_type_shows_failed_transfers_instead_of_ok(client, connection):
    dead_hour(connection)
    OutboxItem.objects.create(
        connection=connection,
        entity="project",
        local_id=1,
        status=OutboxItem.Status.DEAD,
        last_error="SaveProject: Customer 50012 does not exist",
    )

    levels = {h.entity: h.level for h in entity_health(connection=connection)}
    assert levels["project"] == "error" and levels["customer"] == "ok"

    client.force_login(admin_user())
    html = client.get(reverse("admin:integrations_connection_settings")).content.decode()
    project_row = html.split('data-entity="project"')[1].split("</tr>")[0]
    assert "health-error" in project_row and "1 transfer failed" in project_row
    assert "#sc-dead" in project_row


def test_the_hour_list_shows_a_failed_transfer_in_plain_words_with_details(client, connection):
    failed = TimeEntryFactory()
    dead_hour(connection, failed)
    waiting = TimeEntryFactory()
    waiting.project.number = 7012
    waiting.project.save(update_fields=["number"])
    OutboxItem.objects.create(
        connection=connection,
        entity="hour",
        local_id=waiting.pk,
        last_error=marker("project", waiting.project_id),
    )
    client.force_login(admin_user())

    html = client.get(reverse("admin:timesheets_timeentry_changelist")).content.decode()

    assert "✖ transfer failed</summary>" in html
    assert "24SevenOffice has no project 7012" in html
    assert re.search(r"<summary[^>]*>Details</summary><pre[^>]*>[^<]*System.Exception", html)
    assert "waiting for project 7012 to reach 24SevenOffice" in html


def test_the_history_explains_in_plain_words_and_keeps_the_raw_text_behind_details(
    client, connection
):
    dead_hour(connection)
    SyncRun.objects.create(
        connection=connection,
        entity="work_type",
        kind="push",
        trigger="push",
        status="failed",
        error_text="Unavailable: 24SevenOffice timed out",
    )
    client.force_login(admin_user(language="nb"))

    html = client.get(reverse("admin:integrations_sync_history")).content.decode()

    dead = html.split('id="sc-dead"')[1].split("</form>")[0]
    with translation.override("nb"):
        plain = explain(NET_ERROR).plain
    assert plain in dead
    assert re.search(r"<details class=\"sc-raw\"><summary>[^<]+</summary><pre>[^<]*System", dead)
    runs = html.split('id="sc-runs"')[1]
    # Labels, never code keys.
    for key in (">work_type<", ">push<", ">pull<", ">participant<"):
        assert key not in runs and key not in html


def test_history_times_are_in_the_persons_time_zone(client, connection):
    SyncRun.objects.create(
        connection=connection,
        entity="customer",
        trigger="manual",
        status="succeeded",
        started_at=datetime(2026, 12, 3, 12, 0, tzinfo=UTC),
    )
    tokyo = admin_user(language="nb", time_zone="Asia/Tokyo")
    client.force_login(tokyo)
    html = client.get(reverse("admin:integrations_sync_history") + "?entity=customer").content
    runs = html.decode().split('id="sc-runs"')[1]
    [row] = [r for r in runs.split("<tr>") if "Manuelt" in r or "By hand" in r]
    assert "03.12.2026 21:00" in row  # Tokyo, not 12:00 UTC nor 13:00 Oslo


@pytest.mark.parametrize(
    "raw,expected",
    [
        (NET_ERROR, "24SevenOffice has no project 7012"),
        ("SaveProject: System.Exception: Customer 50012 does not exist", "no customer 50012"),
        ("Client is not authenticated on this identity (session expired)", "did not accept"),
        ("RateLimited: 24SevenOffice quarantined the login", "slow down"),
        ("Something nobody has seen", "refused the transfer"),
    ],
)
def test_known_24so_texts_become_plain_sentences(raw, expected, connection):
    explanation = explain(raw, connection)
    assert expected in explanation.plain
    assert explanation.raw == raw


def test_a_runs_hours_read_in_the_persons_language_not_as_code(client, connection):
    entry = TimeEntryFactory()
    run = SyncRun.objects.create(
        connection=connection,
        entity="hour",
        kind="push",
        trigger="push",
        status="succeeded",
        changes=[{"entity": "hour", "local_id": entry.pk, "external_id": "9", "action": "created"}],
    )
    client.force_login(admin_user(language="nb"))

    html = client.get(reverse("admin:integrations_syncrun_change", args=[run.pk])).content
    html = html.decode()

    assert "7,5\u00a0t" in html and "7.50 h" not in html  # was TimeEntry's "7.50 h"
    assert ">hour<" not in html and ">push<" not in html


def test_the_hours_own_page_says_its_transfer_failed_and_why(client, connection):
    entry = TimeEntryFactory()
    dead_hour(connection, entry)
    client.force_login(admin_user())

    html = client.get(
        reverse("admin:timesheets_timeentry_change", args=[entry.pk])
    ).content.decode()

    assert "✖ transfer failed</summary>" in html
    assert "24SevenOffice has no project 7012" in html
