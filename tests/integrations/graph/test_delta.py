"""The calendar's window over calendarView/delta through the production client."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.calendars.providers import RemoteEvent, Removed, SyncReset
from apps.integrations.connectors.base import RateLimited, Unavailable
from apps.sandbox.graph.delta import sync_state_invalidate
from apps.sandbox.graph.events import event_create, event_delete, event_move_folder, event_update
from apps.sandbox.graph.models import Event, Mailbox
from tests.integrations.graph import world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kari(calendar_account):
    return calendar_account(world.person_make("kari@tidsbro.no"))


@pytest.fixture
def client(kari):
    made = world.client_for(kari)
    yield made
    made.close()


def _by_subject(items) -> dict[str, list[RemoteEvent]]:
    found: dict[str, list[RemoteEvent]] = {}
    for item in items:
        if isinstance(item, RemoteEvent):
            found.setdefault(item.subject, []).append(item)
    return found


def _add_many(mailbox: Mailbox, count: int) -> None:
    day = dt.date.today() + dt.timedelta(days=1)
    for n in range(count):
        when = day + dt.timedelta(days=n % 20)
        event_create(
            mailbox=mailbox,
            data={
                "subject": f"Bulk {n:03d}",
                "start": {"dateTime": f"{when}T{6 + n % 10:02d}:00:00", "timeZone": "UTC"},
                "end": {"dateTime": f"{when}T{6 + n % 10:02d}:30:00", "timeZone": "UTC"},
            },
        )


def test_a_first_round_pages_by_100_and_ends_with_a_delta_link(graph_sandbox, client):
    _add_many(graph_sandbox.mailbox("kari@tidsbro.no"), 150)
    mark = graph_sandbox.mark()
    items, delta, pages = world.full_round(client)
    ids = [i.id for i in items]
    assert len(set(ids)) == len(ids) >= 150 + 8
    assert pages == 2
    assert delta.startswith("https://m365.sandbox.tidsbro.test/v1.0/me/calendarView/delta?")
    rows = graph_sandbox.requests_since(mark)
    assert [r.http_status for r in rows] == [200, 200]
    assert "startDateTime=" in rows[0].path and "endDateTime=" in rows[0].path
    assert "$skiptoken=" in rows[1].path and "startDateTime" not in rows[1].path


def test_the_seeded_calendar_reads_as_the_person_sees_it(graph_sandbox, client):
    items, _delta, _pages = world.full_round(client)
    found = _by_subject(items)
    kickoff = found["Project kick-off"][0]
    assert kickoff.start.tzinfo == dt.UTC
    assert kickoff.end - kickoff.start == dt.timedelta(minutes=90)
    assert kickoff.categories == ("Customer work",)
    assert kickoff.body_text == "Scope, plan and roles."
    assert kickoff.id.startswith("AAkALgAA")  # immutable ids
    assert kickoff.web_link.startswith("https://m365.sandbox.tidsbro.test/owa/")
    # A recurring meeting: each occurrence is its own item of the same series.
    weekly = found["Weekly status"]
    assert len(weekly) >= 3
    assert {w.type for w in weekly} == {"occurrence"}
    assert len({w.series_master_id for w in weekly}) == 1
    assert len({w.id for w in weekly}) == len(weekly)
    [moved] = [i for i in items if isinstance(i, RemoteEvent) and i.type == "exception"]
    assert moved.series_master_id == weekly[0].series_master_id
    # Private keeps its subject in the person's own mirror; sensitivity says private.
    [doctor] = found["Doctor"]
    assert doctor.sensitivity == "private"
    [conference] = found["Company conference"]
    assert conference.is_all_day and conference.start.hour == 0 and conference.show_as == "oof"
    assert found["Focus time"][0].show_as == "free"
    assert found["Vendor demo"][0].response == "declined"
    assert not found["Vendor demo"][0].is_organizer
    assert found["Steering group"][0].is_cancelled


def test_next_round_brings_changes_and_removals_with_the_same_immutable_id(graph_sandbox, client):
    items, delta, _pages = world.full_round(client)
    mailbox = graph_sandbox.mailbox("kari@tidsbro.no")
    kickoff = _by_subject(items)["Project kick-off"][0]
    design = _by_subject(items)["Design review"][0]
    event_update(mailbox=mailbox, graph_id=kickoff.id, data={"subject": "Project kick-off (moved)"})
    event_move_folder(event=Event.objects.get(mailbox=mailbox, subject="Project kick-off (moved)"))
    event_delete(mailbox=mailbox, graph_id=design.id)
    changes, delta2, _pages = world.full_round(client, link=delta)
    assert delta2 != delta
    changed = {i.id: i for i in changes if isinstance(i, RemoteEvent)}
    assert changed[kickoff.id].subject == "Project kick-off (moved)"
    assert Removed(id=design.id) in changes
    # Unchanged afterwards: one empty page.
    again = client.delta_page(link=delta2, window=world.window())
    assert again.items == [] and again.delta_link


@pytest.mark.parametrize("reset", [Mailbox.Reset.GONE, Mailbox.Reset.NOT_FOUND])
def test_an_outdated_cursor_is_a_sync_reset(graph_sandbox, client, reset):
    _items, delta, _pages = world.full_round(client)
    sync_state_invalidate(mailbox=graph_sandbox.mailbox("kari@tidsbro.no"), reset=reset)
    with pytest.raises(SyncReset) as caught:
        client.delta_page(link=delta, window=world.window())
    if reset == Mailbox.Reset.GONE:
        restart = caught.value.restart_link
        assert restart.startswith("https://m365.sandbox.tidsbro.test/v1.0/me/calendarView/delta")
        items, fresh, _pages = world.full_round(client, link=restart)
        assert _by_subject(items)["Project kick-off"] and fresh
    else:
        assert caught.value.restart_link == ""
        assert "syncStateNotFound" in str(caught.value)
        items, fresh, _pages = world.full_round(client)
        assert fresh


def test_throttling_is_rate_limited_with_retry_after(graph_sandbox, client):
    world.knobs(fault_rate=1.0, fault_429=True, fault_503=False, retry_after_seconds=7)
    with pytest.raises(RateLimited) as caught:
        client.delta_page(link="", window=world.window())
    assert caught.value.retry_after == 7


def test_service_unavailable_is_unavailable(graph_sandbox, client):
    world.knobs(fault_rate=1.0, fault_429=False, fault_503=True)
    with pytest.raises(Unavailable) as caught:
        client.delta_page(link="", window=world.window())
    assert "HTTP 503" in str(caught.value)


def test_a_link_to_another_host_is_refused(graph_sandbox, client):
    with pytest.raises(Unavailable):
        client.delta_page(
            link="https://evil.example/v1.0/me/calendarView/delta", window=world.window()
        )
