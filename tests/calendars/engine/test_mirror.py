"""The mirror's upsert on its own (database only): pages with duplicates, items out of order,
removals of unknown ids, a page read twice — one row per event, the newest version kept."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.calendars.mirror import apply_items
from apps.calendars.models import CalendarAccount, CalendarEvent
from apps.calendars.providers import RemoteEvent, Removed
from tests.integrations.graph import world as graph_world

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def account(graph_connection):
    user = graph_world.person_make("kari@tidsbro.no")
    account = CalendarAccount(user=user, connection=graph_connection)
    account.state_doc = {"refresh_token": "x"}
    account.save()
    return account


def _event(
    event_id: str, *, hour: int = 8, version: int = 1, subject: str = "Review"
) -> RemoteEvent:
    return RemoteEvent(
        id=event_id,
        subject=subject,
        start=T0 + dt.timedelta(hours=hour - 8),
        end=T0 + dt.timedelta(hours=hour - 7),
        change_key=f"ck{version}",
        last_modified=T0 + dt.timedelta(minutes=version),
    )


def test_duplicates_in_a_page_and_a_page_read_twice_leave_one_row(account):
    page = [_event("a"), _event("b"), _event("a"), _event("b", version=2, hour=9)]
    changed, removed = apply_items(account, page, seen_round=1)
    assert (changed, removed) == ({"a", "b"}, set())
    changed, removed = apply_items(account, page, seen_round=1)  # replayed
    assert (changed, removed) == (set(), set())
    assert CalendarEvent.objects.filter(account=account).count() == 2
    assert CalendarEvent.objects.get(event_id="b").starts_at == T0 + dt.timedelta(hours=1)


def test_an_older_version_arriving_late_never_overwrites_a_newer_one(account):
    apply_items(account, [_event("a", version=3, hour=11)], seen_round=1)
    changed, _removed = apply_items(account, [_event("a", version=2, hour=9)], seen_round=1)
    assert changed == set()
    assert CalendarEvent.objects.get(event_id="a").starts_at == T0 + dt.timedelta(hours=3)


def test_removals_delete_once_and_unknown_ids_are_harmless(account):
    apply_items(account, [_event("a"), _event("b")], seen_round=1)
    changed, removed = apply_items(
        account, [Removed("a"), Removed("zz"), Removed("a")], seen_round=1
    )
    assert (changed, removed) == (set(), {"a"})
    assert list(CalendarEvent.objects.values_list("event_id", flat=True)) == ["b"]
    # Removed then made again in the same page: the last word counts.
    changed, removed = apply_items(account, [Removed("b"), _event("b", version=5)], seen_round=1)
    assert changed == {"b"} and CalendarEvent.objects.filter(event_id="b").exists()


def test_a_page_costs_the_same_queries_whatever_its_size(account, django_assert_num_queries):
    # (40 rows: SQLite's 999 parameters hold them in one statement; Graph's pages of 100
    # are two statements there, one on PostgreSQL.)
    with django_assert_num_queries(2):  # read the known rows, upsert all
        apply_items(account, [_event(f"e{n}") for n in range(40)], seen_round=1)
    with django_assert_num_queries(3):  # … and delete the removed ones
        apply_items(
            account,
            [_event(f"e{n}", version=2, hour=10) for n in range(25)]
            + [Removed(f"e{n}") for n in range(25, 40)],
            seen_round=1,
        )
    assert CalendarEvent.objects.count() == 25
