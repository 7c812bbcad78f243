"""Approved hours 24SO has not got (approved before connecting, or while hours were not sent):
counted per month on Settings → General and queued on request, each once, from a chosen date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from apps.core.exceptions import ApplicationError
from apps.integrations import selectors, services
from apps.integrations.adapters.hours import hour_ref
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem, SyncRun
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import admin_user, support_user
from tests.integrations.factories import connection_24so
from tests.integrations.twentyfourseven.test_push_world import (
    World,
    approve,
    erp_hours,
    register,
    world,
)
from tests.projects.factories import ProjectFactory
from tests.timesheets.factories import TimeEntryFactory

__all__ = ["world"]  # fixture

GENERAL = "admin:integrations_connection_general"
Status = TimeEntry.Status
NOV = date(2026, 11, 1)


@pytest.fixture
def connection(db) -> Connection:
    return connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        client_name="Fjordlys Rådgivning AS",
        client_id="2400101",
        connected=["customer", "project", "work_type", "hour"],
        hour_transfer=HourTransfer.ON_APPROVAL,
    )


@pytest.fixture
def project(db):
    return ProjectFactory()


def hour(project, day: date, status: str = Status.PROJECT_APPROVED, hours: str = "7.50"):
    return TimeEntryFactory(project=project, date=day, status=status, hours=Decimal(hours))


def queued(connection: Connection) -> list[int]:
    return sorted(
        OutboxItem.objects.filter(
            connection=connection, entity="hour", status=OutboxItem.Status.PENDING
        ).values_list("local_id", flat=True)
    )


# --- what is counted ------------------------------------------------------------------------


@pytest.mark.django_db
def test_backlog_counts_approved_hours_since_the_date_by_month(connection, project):
    hour(project, date(2026, 10, 31), hours="3.00")
    hour(project, date(2026, 11, 2), hours="7.50")
    hour(project, date(2026, 11, 30), Status.LOCKED, hours="2.25")
    hour(project, date(2026, 12, 1), Status.USER_APPROVED, hours="1.00")

    backlog = selectors.hours_transfer_backlog_summary(connection=connection, since=NOV)

    assert (backlog.count, backlog.hours) == (3, Decimal("10.75"))
    assert [(m.month, m.count, m.hours) for m in backlog.months] == [
        (date(2026, 11, 1), 2, Decimal("9.75")),
        (date(2026, 12, 1), 1, Decimal("1.00")),
    ]
    earlier = selectors.hours_transfer_backlog_summary(
        connection=connection, since=date(2026, 10, 1)
    )
    assert (earlier.count, earlier.hours) == (4, Decimal("13.75"))


@pytest.mark.django_db
def test_drafts_and_submitted_hours_are_not_in_the_backlog(connection, project):
    hour(project, date(2026, 11, 2), Status.DRAFT)
    hour(project, date(2026, 11, 2), Status.SUBMITTED)
    approved = hour(project, date(2026, 11, 2), Status.PROJECT_APPROVED)

    assert services.hours_transfer_backlog(connection=connection, since=NOV) == 1
    assert queued(connection) == [approved.pk]


@pytest.mark.django_db
def test_hours_transferred_waiting_or_failed_are_not_queued_again(connection, project):
    transferred = hour(project, date(2026, 11, 2))
    Binding.objects.create(
        connection=connection, entity="hour", local_id=transferred.pk, external_id="901"
    )
    waiting = hour(project, date(2026, 11, 3))
    OutboxItem.objects.create(connection=connection, entity="hour", local_id=waiting.pk)
    failed = hour(project, date(2026, 11, 4))
    OutboxItem.objects.create(
        connection=connection,
        entity="hour",
        local_id=failed.pk,
        status=OutboxItem.Status.DEAD,
        last_error="Project 7012 does not exist",
    )
    missing = hour(project, date(2026, 11, 5))

    assert selectors.hours_transfer_backlog_summary(connection=connection, since=NOV).count == 1
    assert services.hours_transfer_backlog(connection=connection, since=NOV) == 1
    assert queued(connection) == sorted([waiting.pk, missing.pk])
    assert OutboxItem.objects.filter(local_id=failed.pk).count() == 1


@pytest.mark.django_db
def test_pressing_twice_queues_nothing_more_and_is_audited_once(connection, project):
    office = admin_user()
    entries = [hour(project, date(2026, 11, day)) for day in (2, 3, 4)]

    assert services.hours_transfer_backlog(connection=connection, since=NOV, actor=office) == 3
    assert services.hours_transfer_backlog(connection=connection, since=NOV, actor=office) == 0

    assert queued(connection) == sorted(e.pk for e in entries)
    assert selectors.hours_transfer_backlog_summary(connection=connection, since=NOV).count == 0
    [entry] = LogEntry.objects.filter(user=office, object_id=str(connection.pk))
    assert entry.change_message == "Queued 3 approved hours since 11/01/2026 for 24SevenOffice"


@pytest.mark.django_db
def test_a_large_backlog_is_queued_in_a_constant_number_of_queries(
    connection, project, django_assert_max_num_queries
):
    entries = [hour(project, date(2026, 11, 1 + i % 28), hours="0.25") for i in range(120)]
    office = admin_user()

    with django_assert_max_num_queries(8):
        queued_now = services.hours_transfer_backlog(connection=connection, since=NOV, actor=office)

    assert queued_now == 120
    assert queued(connection) == sorted(e.pk for e in entries)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        (HourTransfer.ON_ORDER, "with their order"),
        (HourTransfer.NEVER, "never sent to 24SevenOffice"),
    ],
)
def test_backlog_follows_the_transfer_mode(connection, project, mode, reason):
    hour(project, date(2026, 11, 2))
    connection.hour_transfer = mode
    connection.save(update_fields=["hour_transfer"])

    assert selectors.hours_transfer_backlog_summary(connection=connection, since=NOV).count == 0
    with pytest.raises(ApplicationError, match=reason):
        services.hours_transfer_backlog(connection=connection, since=NOV)
    assert queued(connection) == []


# --- Settings → General ---------------------------------------------------------------------


@pytest.mark.django_db
def test_administrator_sees_the_backlog_and_transfers_it(client, connection, project):
    office = admin_user()
    client.force_login(office)
    first = timezone.localdate().replace(day=1)
    entries = [hour(project, first, hours="7.50"), hour(project, first, hours="2.00")]
    hour(project, date(2026, 10, 1))  # before the default date: not counted

    html = client.get(reverse(GENERAL)).content.decode()

    assert "Approved hours not yet in 24SevenOffice: 2 hours (9.5\xa0h) since" in html
    assert "Transfer them now" in html
    html = client.get(reverse(GENERAL), {"since": "2026-10-01"}).content.decode()
    assert "Approved hours not yet in 24SevenOffice: 3 hours" in html

    response = client.post(reverse(GENERAL), {"action": "backlog", "since": first.isoformat()})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse(GENERAL))
    assert queued(connection) == sorted(e.pk for e in entries)
    html = client.get(response["Location"]).content.decode()
    assert "2 approved hours since" in html and "are on their way to 24SevenOffice." in html
    assert "Approved hours not yet in 24SevenOffice: 0 hours" in html
    assert "Transfer them now" not in html

    response = client.post(
        reverse(GENERAL), {"action": "backlog", "since": first.isoformat()}, follow=True
    )
    assert "Nothing to transfer" in response.content.decode()
    assert queued(connection) == sorted(e.pk for e in entries)


@pytest.mark.django_db
def test_support_can_neither_see_nor_transfer_the_backlog(client, connection, project):
    client.force_login(support_user())
    hour(project, date(2026, 11, 2))

    assert client.get(reverse(GENERAL)).status_code == 403
    response = client.post(reverse(GENERAL), {"action": "backlog", "since": "2026-11-01"})

    assert response.status_code == 403
    assert queued(connection) == []


@pytest.mark.django_db
def test_transfer_without_the_csrf_token_is_refused(connection, project):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user())
    hour(project, date(2026, 11, 2))

    response = browser.post(reverse(GENERAL), {"action": "backlog", "since": "2026-11-01"})

    assert response.status_code == 403
    assert queued(connection) == []


@pytest.mark.django_db
def test_a_bad_date_is_said_and_nothing_is_queued(client, connection, project):
    client.force_login(admin_user())
    hour(project, date(2026, 11, 2))

    response = client.post(reverse(GENERAL), {"action": "backlog", "since": "soon"}, follow=True)

    assert "Enter a valid date." in response.content.decode()
    assert queued(connection) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mode", "reason"),
    [(HourTransfer.ON_ORDER, "with their order"), (HourTransfer.NEVER, "never sent")],
)
def test_the_section_says_why_nothing_is_transferred_in_the_other_modes(
    client, connection, project, mode, reason
):
    client.force_login(admin_user())
    hour(project, timezone.localdate().replace(day=1))
    connection.hour_transfer = mode
    connection.save(update_fields=["hour_transfer"])

    html = client.get(reverse(GENERAL)).content.decode()

    assert "Nothing is transferred" in html and reason in html
    assert "Transfer them now" not in html
    response = client.post(reverse(GENERAL), {"action": "backlog", "since": "2026-11-01"})
    assert response.status_code == 302
    assert queued(connection) == []


@pytest.mark.django_db
def test_the_section_in_norwegian_writes_hours_and_dates_the_norwegian_way(
    client, connection, project
):
    office = admin_user()
    client.force_login(office)
    hour(project, date(2026, 11, 2), hours="7.50")

    with translation.override("nb"):
        html = client.get(
            reverse(GENERAL), {"since": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="nb"
        ).content.decode()

    assert "7,5\xa0t" in html and "01.11.2026" in html


# --- against the sandbox --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backlog_reaches_the_sandbox_each_hour_exactly_once(world: World) -> None:
    # Approved while hours were not sent: the approval hook queued nothing.
    world.connection.hour_transfer = HourTransfer.NEVER
    world.connection.save(update_fields=["hour_transfer"])
    before = [
        approve(world, register(world, hours="2.50", day=date(2026, 11, 16))),
        approve(world, register(world, hours="1.00", day=date(2026, 11, 17))),
        approve(world, register(world, user=world.unmapped, day=date(2026, 11, 18))),
    ]
    old = approve(world, register(world, day=date(2026, 10, 30)))
    world.connection.hour_transfer = HourTransfer.ON_APPROVAL
    world.connection.save(update_fields=["hour_transfer"])
    after = approve(world, register(world, hours="4.00", day=date(2026, 11, 19)))
    assert len(erp_hours(hour_ref(after.pk))) == 1  # the hook sent this one
    assert all(erp_hours(hour_ref(e.pk)) == [] for e in before)

    sent = services.hours_transfer_backlog(
        connection=world.connection, since=NOV, actor=world.admin
    )
    again = services.hours_transfer_backlog(
        connection=world.connection, since=NOV, actor=world.admin
    )

    assert (sent, again) == (3, 0)
    for entry in [*before, after]:
        [erp] = erp_hours(hour_ref(entry.pk))
        binding = Binding.objects.get(connection=world.connection, entity="hour", local_id=entry.pk)
        assert binding.external_id == str(erp.hour_id)
    assert [h.total_hours for e in before for h in erp_hours(hour_ref(e.pk))] == [2.5, 1.0, 2.5]
    assert erp_hours(hour_ref(old.pk)) == []  # before the chosen date
    assert not OutboxItem.objects.filter(
        connection=world.connection,
        status__in=[OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS, OutboxItem.Status.DEAD],
    ).exists()


# --- the wizard's first-sync page -----------------------------------------------------------


def _first_sync_done(connection: Connection) -> None:
    now = timezone.now()
    for entity in selectors.entities_in_sync_order(connection=connection):
        SyncRun.objects.create(
            connection=connection,
            entity=entity,
            trigger=SyncRun.Trigger.ONBOARDING,
            status=SyncRun.Status.SUCCEEDED,
            started_at=now,
            finished_at=now,
        )


@pytest.mark.django_db
def test_first_sync_page_points_the_administrator_to_the_approved_hours(
    client, connection, project
):
    first = timezone.localdate().replace(day=1)
    hour(project, first)
    hour(project, first, Status.LOCKED)
    _first_sync_done(connection)
    url = reverse("admin:integrations_connection_first_sync", args=[connection.pk])

    client.force_login(admin_user())
    html = client.get(url).content.decode()

    assert "You have 2 approved hours since" in html
    assert f"{reverse(GENERAL)}?since={first.isoformat()}#hour-backlog" in html
    client.force_login(support_user())
    html = client.get(url).content.decode()
    assert "first-sync-done" in html and "approved hours since" not in html
