"""What the calendar may do to a round: duplicates, replays, empty pages, small pages, a
forgotten cursor (410 / syncStateNotFound), a round stopped half-way, a refused sign-in —
through the sandbox's own imperfections over HTTP. The mirror always ends equal to the
calendar, one row per event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.calendars import services, sync
from apps.calendars.models import CalendarAccount, CalendarEvent
from apps.integrations.connectors.graph.client import GraphClient, graph_time
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)

KARI = "kari@tidsbro.no"


def _knobs(**values) -> None:
    from apps.sandbox.graph.models import Knobs
    from apps.sandbox.graph.runtime import knobs_get

    Knobs.objects.filter(pk=knobs_get().pk).update(**values)


def _truth(account: CalendarAccount) -> dict[str, tuple]:
    """The calendar's own view of the window (calendarView, not delta), read over HTTP."""
    account = world.fresh(account)
    client = GraphClient(account)
    found: dict[str, tuple] = {}
    try:
        reply = client.call(
            "GET",
            "me/calendarView",
            params={
                "startDateTime": graph_time(account.window_start),
                "endDateTime": graph_time(account.window_end),
            },
        )
        while True:
            for item in reply.data["value"]:
                found[item["id"]] = (item["subject"], item["start"]["dateTime"][:16])
            link = reply.data.get("@odata.nextLink")
            if not link:
                break
            reply = client.call("GET", link)
    finally:
        client.close()
    return found


def _mirror(account: CalendarAccount) -> dict[str, tuple]:
    return {
        e.event_id: (e.subject, e.starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"))
        for e in world.mirror(account)
    }


def _ours(context) -> list[str]:
    """Tidsbro's queries of a capture (not the sandbox's, nor its request log's)."""
    return [
        q["sql"]
        for q in context.captured_queries
        if "sandbox_graph" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]


def _suggested(user, day: dt.date) -> list[str]:
    """The subjects the person's week suggests for `day` (the pages' own selector)."""
    from apps.calendars.selectors import suggestions_for

    found = suggestions_for(user=user, start=day, end=day + dt.timedelta(days=1))
    return sorted(s.subject for s in found if s.subject.startswith("Meeting"))


MEETINGS = ["Meeting 0", "Meeting 2", "Meeting 3", "Meeting 4", "Meeting 5"]


@pytest.fixture
def quiet(settings):
    """Notifications off: only the rounds the test runs read the calendar."""
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}


def _outlook_busy_day(day: dt.date) -> list[str]:
    """Adds, moves and deletes events in Outlook; returns the ids added."""
    added = [
        world.outlook_add(KARI, f"Meeting {n}", world.at(day, 8 + n), world.at(day, 9 + n))
        for n in range(6)
    ]
    world.outlook_move(KARI, added[0], world.at(day, 16), world.at(day, 17))
    world.outlook_delete(KARI, added[1])
    return added


def test_duplicates_replays_empty_and_small_pages_leave_one_row_per_event(calendar_account, quiet):
    user = world.person(KARI)
    account = calendar_account(user)
    _knobs(duplicate_rate=0.5, replay_rate=1.0, empty_page_rate=0.3, max_page_size=3, page_seed=7)
    day = world.today() + dt.timedelta(days=2)
    added = _outlook_busy_day(day)
    for _ in range(3):  # replays: the next rounds send the same changes again
        result = sync.run_round(account.pk)
        assert not result.error
    mirror = _mirror(account)
    assert mirror == _truth(account)
    assert mirror[added[0]][1].endswith(world.at(day, 16).astimezone(dt.UTC).strftime("%H:%M"))
    assert added[1] not in mirror
    assert CalendarEvent.objects.filter(account=account, event_id=added[2]).count() == 1
    assert _suggested(user, day) == MEETINGS  # one suggestion each


def test_a_410_runs_a_full_round_that_replaces_the_mirror_when_complete(calendar_account, quiet):
    from apps.sandbox.graph.delta import sync_state_invalidate
    from apps.sandbox.graph.models import Mailbox

    user = world.person(KARI)
    account = calendar_account(user)
    _knobs(duplicate_rate=0.3, max_page_size=4)
    day = world.today() + dt.timedelta(days=3)
    added = _outlook_busy_day(day)
    old_round = world.fresh(account).resync_round
    sync_state_invalidate(mailbox=world.mailbox(KARI), reset=Mailbox.Reset.GONE)
    result = sync.run_round(account.pk)
    assert result.full and not result.error
    account = world.fresh(account)
    assert account.resync_round == old_round + 1 and not account.resync_link
    assert account.resync_window_start is None
    assert _mirror(account) == _truth(account)
    assert added[1] not in _mirror(account)
    assert _suggested(user, day) == MEETINGS
    # syncStateNotFound: the same.
    world.outlook_delete(KARI, added[2])
    sync_state_invalidate(mailbox=world.mailbox(KARI), reset=Mailbox.Reset.NOT_FOUND)
    assert sync.run_round(account.pk).full
    assert _mirror(account) == _truth(account) and added[2] not in _mirror(account)


def test_a_full_round_stopped_half_way_keeps_the_old_mirror_and_resumes(
    calendar_account, quiet, monkeypatch
):
    user = world.person(KARI)
    account = calendar_account(user)
    day = world.today() + dt.timedelta(days=1)
    gone = world.outlook_add(KARI, "Cancelled later", world.at(day, 7), world.at(day, 8))
    sync.run_round(account.pk)
    before = _mirror(account)
    assert gone in before
    world.outlook_delete(KARI, gone)
    _knobs(max_page_size=2)
    monkeypatch.setattr(sync, "MAX_PAGES", 2)  # the round stops after two pages
    services.account_full_sync(actor=user, account=world.fresh(account))  # asks for it
    account = world.fresh(account)
    assert account.resync_link and account.resync_window_start is not None
    # The old mirror is still whole and usable (the deleted event waits for the end).
    assert gone in _mirror(account) and len(_mirror(account)) >= len(before)
    monkeypatch.setattr(sync, "MAX_PAGES", 400)
    result = sync.run_round(account.pk)
    assert result.full
    assert gone not in _mirror(account)
    assert _mirror(account) == _truth(account)


def test_the_last_synchronised_date_reads_the_calendar_from_that_day(calendar_account, quiet):
    user = world.person(KARI)
    account = calendar_account(user)
    long_ago = world.today() - dt.timedelta(days=90)
    old = world.outlook_add(KARI, "Old review", world.at(long_ago, 9), world.at(long_ago, 10))
    sync.run_round(account.pk)
    assert old not in _mirror(account)  # outside the window
    services.account_set_sync_from(actor=user, account=world.fresh(account), day=long_ago)
    sync.run_round(account.pk)
    account = world.fresh(account)
    assert old in _mirror(account)
    assert account.window_start.date() <= long_ago
    assert account.sync_from is None  # read from that day: done


def test_a_refused_sign_in_asks_the_person_to_connect_again(calendar_account, quiet):
    from apps.sandbox.graph.tokens import access_tokens_expire, tokens_revoke

    user = world.person(KARI)
    account = calendar_account(user)
    tokens_revoke(mailbox=world.mailbox(KARI))
    access_tokens_expire(mailbox=world.mailbox(KARI))
    result = sync.run_round(account.pk)  # never raises
    assert "AuthFailed" in result.error
    account = world.fresh(account)
    assert account.health == CalendarAccount.Health.RECONNECT
    assert "connect your calendar again" in account.problem.lower()
    assert account.lease_owner == "" and account.lease_until is None
    assert len(_mirror(account)) > 0  # the mirror stays


def test_a_slow_down_is_recorded_and_the_next_round_recovers(calendar_account, quiet):
    user = world.person(KARI)
    account = calendar_account(user)
    # A long slow-down: the round gives up at once (the next one reads again).
    _knobs(fault_rate=1.0, fault_429=True, fault_503=False, retry_after_seconds=60)
    result = sync.run_round(account.pk)
    assert "RateLimited" in result.error and result.requests == 1
    assert world.fresh(account).health == CalendarAccount.Health.FAILING
    _knobs(fault_rate=0.0)
    assert not sync.run_round(account.pk).error
    account = world.fresh(account)
    assert account.health == CalendarAccount.Health.OK and account.problem == ""


def test_a_failed_read_is_tried_again_within_the_round(calendar_account, quiet):
    user = world.person(KARI)
    account = calendar_account(user)
    _knobs(fault_rate=1.0, fault_429=False, fault_503=True)
    result = sync.run_round(account.pk)
    assert "Unavailable" in result.error and result.requests == 1 + sync.READ_RETRIES
    # A short slow-down (Retry-After 1 s) is waited out.
    _knobs(fault_rate=1.0, fault_429=True, fault_503=False, retry_after_seconds=1)
    assert sync.run_round(account.pk).requests == 1 + sync.READ_RETRIES


def test_query_counts_of_a_round_do_not_grow_with_the_changes(calendar_account, quiet):
    user = world.person(KARI)
    account = calendar_account(user)
    with CaptureQueriesContext(connection) as unchanged_all:
        result = sync.run_round(account.pk)
    assert result.requests == 1
    day = world.today() + dt.timedelta(days=1)
    world.outlook_add(KARI, "One", world.at(day, 8), world.at(day, 9))
    with CaptureQueriesContext(connection) as one:
        assert sync.run_round(account.pk).changed == 1
    for n in range(8):
        world.outlook_add(KARI, f"Many {n}", world.at(day, 9), world.at(day, 10))
    with CaptureQueriesContext(connection) as many:
        assert sync.run_round(account.pk).changed == 8
    assert len(_ours(one)) == len(_ours(many))
    # The pinned cost of an unchanged round (the sandbox's own queries, on the same database
    # connection on SQLite, left out): lease, request mark, load, page + cursor, ties to
    # look at, pushes due, finished, request check, release.
    unchanged = _ours(unchanged_all)
    assert len(unchanged) == 12, unchanged
