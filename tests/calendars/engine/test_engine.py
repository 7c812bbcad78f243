"""The engine's own machinery: the lease, a round asked for while one runs, a create whose
answer was lost, the 5-minute job and its schedule, a round at login, disconnect and connect
again — with the sandbox over HTTP where the calendar is involved."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from apps.calendars import jobs, push, schedules, services, sync
from apps.calendars.models import CalendarAccount, CalendarEvent, EntryEvent
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)

KARI = "kari@tidsbro.no"


@pytest.fixture
def quiet(settings):
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}


def _knobs(**values) -> None:
    from apps.sandbox.graph.models import Knobs
    from apps.sandbox.graph.runtime import knobs_get

    Knobs.objects.filter(pk=knobs_get().pk).update(**values)


def test_a_leased_account_is_not_read_by_a_second_worker(calendar_account, graph_sandbox, quiet):
    user = world.person(KARI)
    account = calendar_account(user)
    assert sync.take_lease(account.pk, "other worker")
    mark = graph_sandbox.mark()
    result = sync.run_round(account.pk)
    assert result.skipped == "busy" and result.requests == 0
    assert not [r for r in graph_sandbox.requests_since(mark) if r.surface == "graph"]
    assert not sync.take_lease(account.pk, "a third")
    # A lease left by a stopped worker runs out.
    CalendarAccount.objects.filter(pk=account.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    result = sync.run_round(account.pk)
    assert not result.skipped and result.requests == 1
    assert world.fresh(account).lease_owner == ""


def test_a_round_asked_for_while_one_runs_reads_once_more(calendar_account, quiet, monkeypatch):
    user = world.person(KARI)
    account = calendar_account(user)
    original = sync._one_pass
    asked: list[bool] = []

    def pass_with_a_request_arriving(account, owner, result):
        original(account, owner, result)
        if not asked:
            asked.append(services.request_round(account.pk, "meanwhile"))

    monkeypatch.setattr(sync, "_one_pass", pass_with_a_request_arriving)
    result = sync.run_round(account.pk)
    assert asked == [True]  # queued; its job found the round running (busy)
    assert result.loops == 2 and result.requests == 2
    assert world.fresh(account).pull_requested_at is None


def test_a_create_whose_answer_was_lost_makes_no_second_event(calendar_account, quiet, settings):
    from apps.integrations.connectors.graph.client import GraphClient
    from apps.sandbox.graph.models import Event

    user = world.person(KARI)
    account = calendar_account(user, write=True)
    services.account_set_write_hours(actor=user, account=account, on=True)
    project = world.project_for(user, "Pier")
    # The calendar answers too late: Tidsbro gives up waiting, the event is made anyway.
    _knobs(latency_ms=1200)
    settings.GRAPH_READ_TIMEOUT = 0.4
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    link = EntryEvent.objects.get(entry_ref=entry.pk)
    assert link.push_status == EntryEvent.Push.PENDING and not link.event_id
    client = GraphClient(world.fresh(account))
    try:
        result = push.push_due(world.fresh(account), client)
    finally:
        client.close()
    assert result.failed == 1
    link.refresh_from_db()
    assert link.transaction_id and link.push_attempts == 1 and "in time" in link.last_error
    time.sleep(1.5)  # the sandbox finishes the create it was sent
    assert Event.objects.filter(subject="Pier", deleted_at__isnull=True).count() == 1
    _knobs(latency_ms=0)
    settings.GRAPH_READ_TIMEOUT = 30
    CalendarAccount.objects.filter(pk=account.pk).update(pull_requested_at=None)
    EntryEvent.objects.filter(pk=link.pk).update(next_attempt_at=None)
    result = sync.run_round(account.pk)
    assert not result.error
    link.refresh_from_db()
    assert link.push_status == EntryEvent.Push.DONE and link.event_id
    assert link.transaction_id == ""
    made = Event.objects.filter(subject="Pier", deleted_at__isnull=True)
    assert made.count() == 1  # found and taken over, not made twice
    assert world.sandbox_event(KARI, link.event_id).pk == made.get().pk


def test_a_write_that_keeps_failing_is_dead_with_its_error_shown(calendar_account, quiet):
    user = world.person(KARI)
    account = calendar_account(user, write=True)
    services.account_set_write_hours(actor=user, account=account, on=True)
    project = world.project_for(user, "Pier")
    _knobs(fault_rate=1.0, fault_429=False, fault_503=True)
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    link = EntryEvent.objects.get(entry_ref=entry.pk)
    from apps.integrations.connectors.graph.client import GraphClient

    for _ in range(push.MAX_ATTEMPTS):
        EntryEvent.objects.filter(pk=link.pk).update(next_attempt_at=None)
        client = GraphClient(world.fresh(account))
        try:
            push.push_due(world.fresh(account), client)
        finally:
            client.close()
    link.refresh_from_db()
    assert link.push_status == EntryEvent.Push.DEAD
    assert "503" in link.last_error and link.push_attempts == push.MAX_ATTEMPTS
    # "Full synchronisation now" gives it a new start.
    _knobs(fault_rate=0.0)
    services.account_full_sync(actor=user, account=world.fresh(account))
    link.refresh_from_db()
    assert link.push_status == EntryEvent.Push.DONE and link.event_id


def test_round_all_reads_the_accounts_due_and_leaves_those_that_must_sign_in_again(
    calendar_account, quiet
):
    kari = world.person(KARI)
    lars = world.person("lars@tidsbro.no")
    first = calendar_account(kari)
    second = calendar_account(lars)
    assert set(jobs.due_accounts().values_list("pk", flat=True)) == set()  # just read
    old = timezone.now() - dt.timedelta(minutes=6)
    CalendarAccount.objects.update(last_synced_at=old)
    CalendarAccount.objects.filter(pk=second.pk).update(health=CalendarAccount.Health.RECONNECT)
    assert list(jobs.due_accounts().values_list("pk", flat=True)) == [first.pk]
    assert jobs.round_all() == "1 rounds, 0 failed, 0 busy"
    assert world.fresh(first).last_synced_at > old
    assert world.fresh(second).last_synced_at == old


def test_the_schedule_is_upserted_by_name():
    from django_q.models import Schedule

    schedules.ensure_schedules()
    assert schedules.ensure_schedules() == {schedules.NAME: "unchanged"}
    row = Schedule.objects.get(name=schedules.NAME)
    assert (row.func, row.schedule_type, row.minutes) == (
        "apps.calendars.jobs.round_all",
        Schedule.MINUTES,
        5,
    )
    Schedule.objects.filter(pk=row.pk).update(minutes=60)
    assert schedules.ensure_schedules() == {schedules.NAME: "updated"}
    assert Schedule.objects.filter(name=schedules.NAME).count() == 1


def test_logging_in_reads_the_calendar(calendar_account, quiet, client):
    user = world.person(KARI)
    account = calendar_account(user)
    day = world.today() + dt.timedelta(days=1)
    event_id = world.outlook_add(KARI, "Before login", world.at(day, 9), world.at(day, 10))
    CalendarAccount.objects.filter(pk=account.pk).update(pull_requested_at=None)
    from django.urls import reverse

    answer = client.post(reverse("admin:login"), {"username": KARI, "password": "pw-" + KARI})
    assert answer.status_code == 302
    assert CalendarEvent.objects.filter(account=account, event_id=event_id).exists()


def test_disconnect_forgets_the_calendar_and_connecting_again_reads_it(
    calendar_account, graph_sandbox
):
    from apps.sandbox.graph.models import Subscription

    user = world.person(KARI)
    account = calendar_account(user)
    subscription = world.fresh(account).subscription_id
    services.account_disconnect(actor=user, account=world.fresh(account))
    account = world.fresh(account)
    assert account.health == CalendarAccount.Health.DISCONNECTED and account.state == ""
    assert not CalendarEvent.objects.filter(account=account).exists()
    assert Subscription.objects.get(subscription_id=subscription).removed_at is not None
    assert sync.run_round(account.pk).skipped == "disconnected"
    again = world.fresh(calendar_account(user))
    assert again.pk == account.pk and again.health == CalendarAccount.Health.OK
    assert CalendarEvent.objects.filter(account=again).exists()


def test_the_commands_make_the_schedule_and_run_a_round(calendar_account, quiet):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("calendars_schedules", stdout=out)
    assert schedules.NAME in out.getvalue()
    user = world.person(KARI)
    calendar_account(user)
    out = StringIO()
    call_command("calendars_round", email=KARI, stdout=out)
    assert out.getvalue().startswith("requests 1, changed 0")
    out = StringIO()
    call_command("calendars_round", email=KARI, full=True, stdout=out)
    assert "full" in out.getvalue()
