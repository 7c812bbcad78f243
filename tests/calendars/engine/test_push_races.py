"""A person saves an entry again (or deletes it) while the previous write of its event is on its
way to the calendar (a round pushing in a worker, the person in the browser): the newer change
stays queued and reaches the calendar — found by the calendar chaos test
(tests/reliability/test_calendar_chaos.py), where the entry and its event stayed different for
good. The production client over HTTP; the person's save is made to land while the answer is
on its way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.calendars import push, services
from apps.calendars.models import EntryEvent
from apps.sandbox.graph.models import Event
from tests.calendars.engine import world

pytestmark = pytest.mark.django_db(transaction=True)

KARI = "kari@tidsbro.no"


class Meanwhile:
    """The production client; `during` runs after the calendar carried out a write and before
    its answer is recorded (the person's save commits in that moment)."""

    def __init__(self, client: Any, during: Callable[[], None]) -> None:
        self.client = client
        self.during = during

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def create_event(self, write: Any) -> Any:
        event = self.client.create_event(write)
        self.during()
        return event

    def update_event(self, event_id: str, write: Any) -> Any:
        event = self.client.update_event(event_id, write)
        self.during()
        return event


@pytest.fixture
def kari(calendar_account, settings, monkeypatch):
    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "NOTIFICATION_DELIVERY": "off"}
    user = world.person(KARI)
    account = calendar_account(user, write=True)
    services.account_set_write_hours(actor=user, account=account, on=True)
    # The rounds are run by the test (a worker's), not at each save.
    monkeypatch.setattr(services, "request_round", lambda account, reason="": False)
    return user, world.fresh(account), world.project_for(user, "Harbour")


def _push(account: Any, during: Callable[[], None] | None = None) -> None:
    from apps.integrations.connectors.graph.client import GraphClient

    client = GraphClient(world.fresh(account))
    try:
        target = Meanwhile(client, during) if during else client
        push.push_due(world.fresh(account), target)
    finally:
        client.close()


def _events(subject_start: str = "Harbour") -> list[Event]:
    return list(Event.objects.filter(subject__startswith=subject_start, deleted_at__isnull=True))


def test_an_entry_saved_again_while_its_update_is_on_its_way_is_written_after_it(kari):
    from apps.timesheets.services import time_entry_update

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    _push(account)
    time_entry_update(
        actor=user,
        entry=entry,
        data={"started_at": world.at(day, 10), "ended_at": world.at(day, 11)},
    )

    def saved_again() -> None:
        time_entry_update(actor=user, entry=entry, data={"description": "Newer"})

    _push(account, saved_again)
    link = EntryEvent.objects.get(entry_ref=entry.pk)
    assert link.push_status == EntryEvent.Push.PENDING  # the newer save still waits
    _push(account)
    link.refresh_from_db()
    assert link.push_status == EntryEvent.Push.DONE
    (event,) = _events()
    assert (event.start, event.end, event.body_content) == (
        world.at(day, 10),
        world.at(day, 11),
        "Newer",
    )


def test_an_entry_moved_while_its_create_is_on_its_way_gets_one_event_with_the_new_times(kari):
    from apps.timesheets.services import time_entry_update

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))

    def moved() -> None:
        time_entry_update(
            actor=user,
            entry=entry,
            data={"started_at": world.at(day, 13), "ended_at": world.at(day, 14)},
        )

    _push(account, moved)
    _push(account)
    link = EntryEvent.objects.get(entry_ref=entry.pk)
    assert link.push_status == EntryEvent.Push.DONE
    (event,) = _events()  # one event, not a second one made
    assert world.sandbox_event(KARI, link.event_id).pk == event.pk
    assert (event.start, event.end) == (world.at(day, 13), world.at(day, 14))


def test_an_entry_deleted_while_its_create_is_on_its_way_leaves_no_event(kari):
    from apps.timesheets.services import time_entry_delete

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    _push(account, lambda: time_entry_delete(actor=user, entry=entry))
    _push(account)
    assert _events() == []
    assert not EntryEvent.objects.filter(entry_ref=entry.pk).exists()


def test_a_full_round_keeps_a_refused_change_waiting_to_be_put_back(kari):
    """An approved entry's event moved in Outlook: refused, and the put-back's write failed
    (it waits). A full round then re-checks the window's entries: the entry is as Tidsbro last
    wrote it, but the calendar is not — the put-back must stay queued, not be dropped."""
    from apps.calendars import sync
    from apps.calendars.models import Refusal
    from apps.integrations.connectors.graph.client import GraphClient
    from apps.timesheets.services import time_entry_transition
    from tests.accounts.factories import UserFactory

    user, account, project = kari
    day = world.today()
    entry = world.entry(user, project, world.at(day, 8), world.at(day, 9))
    sync.run_round(account.pk)
    event_id = EntryEvent.objects.get(entry_ref=entry.pk).event_id
    entry = time_entry_transition(actor=user, entry=entry, action="submit")
    time_entry_transition(actor=UserFactory(is_superuser=True), entry=entry, action="approve_user")
    world.outlook_move(KARI, event_id, world.at(day, 15), world.at(day, 16))
    # A round that reads and refuses, and whose put-back write then fails (left waiting).
    client = GraphClient(world.fresh(account))
    try:
        result = sync.RoundResult()
        sync._Reader(world.fresh(account), client, "worker", result).pull()
        sync.apply_rules(world.fresh(account), client, result)
    finally:
        client.close()
    link = EntryEvent.objects.get(entry_ref=entry.pk)
    assert Refusal.objects.count() == 1 and link.push_status == EntryEvent.Push.PENDING
    services.account_full_sync(actor=user, account=world.fresh(account))
    sync.run_round(account.pk)
    event = world.sandbox_event(KARI, event_id)
    assert (event.start, event.end) == (world.at(day, 8), world.at(day, 9))  # put back
    assert EntryEvent.objects.get(entry_ref=entry.pk).push_status == EntryEvent.Push.DONE
    assert Refusal.objects.count() == 1
