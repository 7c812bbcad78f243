"""The calendar side of the reliability tests (issue #18): people who save their hours in their
Microsoft 365 calendar (the sandbox over real HTTP, a real sign-in each), the sandbox's fault
knobs, the scheduler's rounds with time compression, and the end checks the chaos and the
crash tests both make: every entry with a start and stop is one Tidsbro event with its times
and subject, no Tidsbro event without its entry, the mirror is the calendar's view of the
window, and the sign-in still works.

Production code all the way: the engine's rounds (`sync.run_round`, `jobs.round_all`), its
push outbox, the Graph client and MSAL over HTTP, and the sandbox's own request handling. The
only thing the tests add is time compression: writes waiting for their backoff are made due
at once, and a dead worker's lease is made to run out.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from apps.calendars import jobs, push, sync
from apps.calendars.models import CalendarAccount, CalendarEvent, EntryEvent, Refusal
from apps.calendars.providers import TIDSBRO_CATEGORY
from apps.sandbox.graph import events as sandbox_events
from apps.sandbox.graph import ids
from apps.sandbox.graph.models import Event, Mailbox, RequestLog, Token
from apps.sandbox.graph.runtime import knobs_get
from apps.timesheets.models import TimeEntry

PEOPLE = ("kari@tidsbro.no", "lars@tidsbro.no", "linnea@tidsbro.no")
WRITES = ("POST", "PATCH", "DELETE")
EVENTS_PATH = r"/v1\.0/me/events"


@dataclass
class Person:
    user: Any
    email: str
    account_id: int
    project: Any
    task: Any = None

    @property
    def account(self) -> CalendarAccount:
        return CalendarAccount.objects.select_related("connection").get(pk=self.account_id)

    @property
    def mailbox(self) -> Mailbox:
        return Mailbox.objects.get(user_principal_name=self.email)


def people_make(connect: Any, emails: tuple[str, ...] = PEOPLE) -> tuple[Any, list[Person]]:
    """An administrator and people who saved their hours in their calendar: each signed in for
    real (write access), members of one project with a task."""
    from apps.calendars import services
    from tests.accounts.factories import UserFactory
    from tests.calendars.engine import world as engine_world
    from tests.tasks.factories import TaskFactory

    admin = UserFactory(email="admin@tidsbro.no", is_superuser=True)
    users = [engine_world.person(email) for email in emails]
    project = engine_world.project_for(users[0], "Harbour")
    from tests.projects.factories import make_member

    for user in users[1:]:
        make_member(project=project, user=user)
    task = TaskFactory(project=project, name="Piling")
    for user in users:
        task.assignees.add(user)
    people = []
    for user in users:
        account = connect(user, write=True)
        services.account_set_write_hours(actor=user, account=account, on=True)
        people.append(Person(user=user, email=user.email, account_id=account.pk, project=project))
    for person in people:
        person.task = task
    return admin, people


# --- the sandbox's knobs and log ------------------------------------------------------------


def knobs(**values: Any) -> None:
    row = knobs_get()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()


def last_request_id() -> int:
    return RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def settle(*, quiet: float = 0.3, timeout: float = 15.0) -> None:
    """Waits (polling) until the sandbox's request log stops growing."""
    deadline = time.monotonic() + timeout
    seen = last_request_id()
    while True:
        time.sleep(quiet)
        now = last_request_id()
        if now == seen:
            return
        assert time.monotonic() < deadline, "the sandbox never went quiet"
        seen = now


@dataclass
class Figures:
    """What the sandbox's request log says happened after a mark."""

    requests: int = 0  # Graph requests
    faults: dict[str, int] = field(default_factory=dict)  # injected, by status
    throttled: int = 0  # over the mailbox's concurrency limit
    gone: int = 0  # 410 resyncRequired
    not_found: int = 0  # 400 syncStateNotFound
    expired: int = 0  # 401 (an access token past its life)
    token_requests: int = 0
    refused_refresh: int = 0  # invalid_grant answers of the token endpoint

    def line(self) -> str:
        return (
            f"requests={self.requests} faults={sum(self.faults.values())} {self.faults} "
            f"throttled={self.throttled} 410={self.gone} syncStateNotFound={self.not_found} "
            f"401={self.expired} token requests={self.token_requests} "
            f"refused refreshes={self.refused_refresh}"
        )


def figures(first: int, last: int | None = None) -> Figures:
    rows = RequestLog.objects.filter(pk__gt=first)
    if last is not None:
        rows = rows.filter(pk__lte=last)
    found = Figures()
    for surface, status, code, note, path in rows.values_list(
        "surface", "http_status", "error_code", "note", "path"
    ):
        if surface == "graph":
            found.requests += 1
            if note.endswith("(injected)"):
                found.faults[str(status)] = found.faults.get(str(status), 0) + 1
            elif code == "ApplicationThrottled":
                found.throttled += 1
            elif status == 410:
                found.gone += 1
            elif code == "syncStateNotFound":
                found.not_found += 1
            elif status == 401:
                found.expired += 1
        elif surface == "identity" and "/token" in path:
            found.token_requests += 1
            if code == "invalid_grant" or (status == 400 and "invalid_grant" in note):
                found.refused_refresh += 1
    return found


def rotations() -> int:
    """Refresh tokens spent by a renewal (each renewal rotates one)."""
    return Token.objects.filter(kind=Token.Kind.REFRESH, replaced_at__isnull=False).count()


def revoked() -> int:
    return Token.objects.filter(revoked_at__isnull=False).count()


# --- rounds ---------------------------------------------------------------------------------


def compress(account_ids: list[int]) -> None:
    """Minutes pass at once: writes backing off are due, every account is due a round."""
    now = timezone.now()
    EntryEvent.objects.filter(
        account_id__in=account_ids, push_status=EntryEvent.Push.PENDING
    ).update(next_attempt_at=now)
    CalendarAccount.objects.filter(pk__in=account_ids).update(
        last_synced_at=now - jobs.ROUND_EVERY - dt.timedelta(seconds=1)
    )


def round_cycle(account_ids: list[int]) -> list[sync.RoundResult]:
    """What the scheduler runs (every account due), then a round of each person as their
    login or a saved change asks for."""
    compress(account_ids)
    jobs.round_all()
    return [sync.run_round(pk, reason="chaos") for pk in account_ids]


def pending(account_ids: list[int]) -> int:
    return EntryEvent.objects.filter(
        account_id__in=account_ids, push_status=EntryEvent.Push.PENDING
    ).count()


def rounds_until_quiet(account_ids: list[int], *, timeout: float = 30.0) -> int:
    """Faults off: rounds until nothing waits and a whole cycle writes nothing to any
    calendar; returns how many cycles it took."""
    deadline = time.monotonic() + timeout
    cycles = 0
    while True:
        before = last_request_id()
        results = round_cycle(account_ids)
        cycles += 1
        writes = (
            RequestLog.objects.filter(pk__gt=before, surface="graph", method__in=WRITES)
            .filter(path__regex=EVENTS_PATH)
            .count()
        )
        errors = [r.error for r in results if r.error]
        if pending(account_ids) == 0 and writes == 0 and not errors:
            return cycles
        assert time.monotonic() < deadline, (
            f"not quiet after {cycles} cycles: {pending(account_ids)} waiting, {writes} writes, "
            f"{errors}"
        )


# --- the end checks -------------------------------------------------------------------------


def tidsbro_events(mailbox: Mailbox) -> dict[str, Event]:
    """The live events carrying Tidsbro's category in the mailbox, by immutable id."""
    found = {}
    for event in Event.objects.filter(mailbox=mailbox, deleted_at__isnull=True).exclude(
        type=Event.Type.EXCEPTION
    ):
        if any(str(c).lower() == TIDSBRO_CATEGORY.lower() for c in event.categories or []):
            found[ids.immutable_id(mailbox.pk, str(event.pk))] = event
    return found


def sandbox_event(mailbox: Mailbox, event_id: str) -> sandbox_events.Instance | None:
    """The instance an id names in "Outlook" (its own times also for an occurrence of a
    series), or None when it was deleted."""
    from apps.sandbox.graph.errors import GraphError

    try:
        event, original = sandbox_events.find(mailbox, event_id)
    except GraphError:
        return None
    return sandbox_events.instance_of(event, original)


def hours_not_in_calendar(person: Person, *, flagged_ok: set[int] = frozenset()) -> list[tuple]:
    """What is wrong between the person's entries and their calendar: every entry with a
    start and stop made in Tidsbro is one live Tidsbro event with its times, subject and
    description; every Tidsbro event belongs to a live entry (none twice, no orphans)."""
    account = person.account
    mailbox = person.mailbox
    theirs = tidsbro_events(mailbox)
    problems: list[tuple] = []
    links = {
        link.entry_ref: link
        for link in EntryEvent.objects.filter(account=account).select_related("entry")
    }
    owned: set[str] = set()
    entries = (
        TimeEntry.objects.filter(user=person.user, started_at__isnull=False)
        .select_related("project", "task", "user")
        .order_by("pk")
    )
    for entry in entries:
        link = links.get(entry.pk)
        if link is not None and link.origin == EntryEvent.Origin.CALENDAR:
            continue  # a confirmed meeting: the person's own event (checked elsewhere)
        if link is None or not link.event_id:
            if entry.pk in flagged_ok and link is not None and link.event_deleted_at:
                continue
            problems.append((person.email, entry.pk, "no event", link and link.push_status))
            continue
        owned.add(link.event_id)
        event = theirs.get(link.event_id)
        if event is None:
            problems.append((person.email, entry.pk, "its event is gone", link.event_id[-12:]))
            continue
        want = (
            _short(entry.started_at),
            _short(entry.ended_at),
            push.subject_of(entry),
            (entry.description or "").strip(),
        )
        have = (_short(event.start), _short(event.end), event.subject, event.body_content.strip())
        if want != have:
            problems.append(
                (person.email, entry.pk, entry.status, "entry", want, "event", have, _state(link))
            )
        if link.push_status not in (EntryEvent.Push.DONE,):
            problems.append((person.email, entry.pk, "link", link.push_status, link.last_error))
    for event_id, event in theirs.items():
        if event_id not in owned:
            problems.append(
                (person.email, "orphan Tidsbro event", event.subject, event.start.isoformat())
            )
    return problems


def mirror_differences(person: Person) -> list[tuple]:
    """The mirror against the sandbox's calendar view of the account's window (ids, times)."""
    account = person.account
    mailbox = person.mailbox
    lo, hi = account.window_start, account.window_end
    view: dict[str, tuple] = {}
    shown = sandbox_events.View(immutable=True, zone_name="UTC")  # as the client asks
    for event in sandbox_events.overlapping(mailbox, lo, hi).prefetch_related("exceptions"):
        for inst in sandbox_events.instances(event, lo, hi):
            rendered = sandbox_events.render(inst, shown)
            view[rendered["id"]] = (_utc(rendered["start"]), _utc(rendered["end"]))
    mirror = {
        row.event_id: (row.starts_at, row.ends_at)
        for row in CalendarEvent.objects.filter(account=account)
    }
    found: list[tuple] = []
    for event_id in sorted(set(view) | set(mirror)):
        if view.get(event_id) != mirror.get(event_id):
            found.append((person.email, event_id[-12:], view.get(event_id), mirror.get(event_id)))
    return found


def _short(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%m-%d %H:%M") if moment else "-"


def _state(link: EntryEvent) -> dict:
    """What the tie says (for a failure's message)."""
    pushed = link.pushed or {}
    return {
        "push": f"{link.push_status}/{link.push_operation}",
        "pushed": (pushed.get("start", "")[5:16], pushed.get("end", "")[5:16]),
        "deleted": bool(link.event_deleted_at),
        "error": link.last_error[:80],
    }


def _utc(when: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(when["dateTime"][:19]).replace(tzinfo=dt.UTC)


def dead_writes(account_ids: list[int]) -> list[tuple]:
    return list(
        EntryEvent.objects.filter(
            account_id__in=account_ids, push_status=EntryEvent.Push.DEAD
        ).values_list("entry_ref", "push_operation", "push_attempts", "last_error")
    )


def open_refusals(entry_pk: int) -> int:
    return Refusal.objects.filter(entry_id=entry_pk, resolved_at__isnull=True).count()


def signs_in(person: Person) -> bool:
    """The person's stored sign-in still works after every access token was expired: a
    fresh client renews it (rotating the refresh token) and reads the calendar."""
    from apps.calendars.common import provider_of
    from apps.sandbox.graph.tokens import access_tokens_expire

    access_tokens_expire(mailbox=person.mailbox)
    account = person.account
    client = provider_of(account.connection).client(account)
    try:
        page = client.delta_page(link="", window=(account.window_start, account.window_end))
    finally:
        client.close()
    return page is not None
