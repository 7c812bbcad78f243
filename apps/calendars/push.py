"""Tidsbro's writes to a person's calendar: the small outbox on `EntryEvent` (TIDSBRO origin).

A local change of an hour queues its link (`queue_entry`, in the change's transaction); the
next round writes what is due (`push_due`): create, update or delete, retried with backoff,
dead after MAX_ATTEMPTS with the last error kept for the person.

A create whose answer was lost may have made the event: before a create is tried again, the
event is looked for in the mirror (the round has just read the calendar) by Tidsbro's
category, the subject and the start it was sent with (`link.pushed`), and taken over if found.
`transaction_id` marks that a create was tried and its outcome is not known yet.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.calendars.models import CalendarAccount, CalendarEvent, EntryEvent
from apps.calendars.providers import TIDSBRO_CATEGORY, EventWrite, RemoteEvent
from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
)

if TYPE_CHECKING:
    from apps.calendars.providers import CalendarClient
    from apps.timesheets.models import TimeEntry

logger = logging.getLogger(__name__)

Push = EntryEvent.Push
Operation = EntryEvent.Operation

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(minutes=30)
# At most this many writes per round (the rest wait for the next round).
PER_ROUND = 200


# --- what Tidsbro writes ------------------------------------------------------------------


def subject_of(entry: TimeEntry) -> str:
    """ "Project · Task" (or "Project")."""
    project = entry.project.name
    return f"{project} · {entry.task.name}" if entry.task_id else project


def event_write(entry: TimeEntry) -> EventWrite:
    return EventWrite(
        subject=subject_of(entry)[:255],
        body_text=entry.description or "",
        start=entry.started_at,
        end=entry.ended_at,
        time_zone=entry.user.time_zone or "UTC",
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def values_of(write: EventWrite) -> dict[str, str]:
    """What `EntryEvent.pushed` keeps of a write (compared with what the calendar says)."""
    return {
        "subject": write.subject,
        "body": (write.body_text or "").strip(),
        "start": _iso(write.start),
        "end": _iso(write.end),
    }


def event_values(event: RemoteEvent | CalendarEvent) -> dict[str, str]:
    """The same four values of an event the calendar sent (or the mirror keeps)."""
    if isinstance(event, CalendarEvent):
        return {
            "subject": event.subject,
            "body": (event.body_text or "").strip(),
            "start": _iso(event.starts_at),
            "end": _iso(event.ends_at),
        }
    return {
        "subject": event.subject,
        "body": (event.body_text or "").strip(),
        "start": _iso(event.start),
        "end": _iso(event.end),
    }


def has_times(entry: TimeEntry | None) -> bool:
    return entry is not None and entry.started_at is not None and entry.ended_at is not None


# --- queueing -------------------------------------------------------------------------------


def _pend(link: EntryEvent, operation: str) -> None:
    link.push_status = Push.PENDING
    link.push_operation = operation
    link.push_attempts = 0
    link.next_attempt_at = None
    link.last_error = ""


def queue_entry(account: CalendarAccount, entry: TimeEntry) -> bool:
    """Queues the write that makes the entry's event match it (or go, when the entry lost
    its times); True when something was queued. Call inside the change's transaction."""
    link = EntryEvent.objects.filter(account=account, entry_ref=entry.pk).first()
    if link is not None and link.origin == EntryEvent.Origin.CALENDAR:
        return False  # the person's own meeting: Tidsbro never writes it
    if not has_times(entry):
        if link is None:
            return False
        if link.event_id or link.transaction_id:
            _pend(link, Operation.DELETE)
            link.save()
            return True
        link.delete()
        return False
    wanted = values_of(event_write(entry))
    if link is None:
        link = EntryEvent(
            account=account, entry=entry, entry_ref=entry.pk, origin=EntryEvent.Origin.TIDSBRO
        )
        _pend(link, Operation.CREATE)
        link.save()
        return True
    if link.event_id and link.event_deleted_at is None:
        if link.pushed == wanted and not (
            link.push_status == Push.PENDING and link.push_operation == Operation.DELETE
        ):
            if link.push_status == Push.PENDING and _calendar_shows(account, link, wanted):
                # An older write still waits and the calendar already holds these values: no
                # need. (A refused change waiting to be put back shows other values: it stays.)
                link.push_status, link.push_operation = Push.DONE, ""
                link.save()
            return False
        _pend(link, Operation.UPDATE)
    else:
        # Never written, or deleted in the calendar: a new event (the flag stays until then).
        _pend(link, Operation.CREATE)
        link.event_id = ""
    link.save()
    return True


def _calendar_shows(account: CalendarAccount, link: EntryEvent, wanted: dict[str, str]) -> bool:
    """Whether the event, as the last round read it, holds `wanted`."""
    row = CalendarEvent.objects.filter(account=account, event_id=link.event_id).first()
    return row is not None and event_values(row) == wanted


def queue_entry_gone(entry_pk: int) -> list[int]:
    """The entry was deleted: its event goes too. Returns the accounts that got a write."""
    accounts = []
    for link in EntryEvent.objects.filter(entry_ref=entry_pk).select_related("account"):
        if link.origin == EntryEvent.Origin.TIDSBRO and (link.event_id or link.transaction_id):
            _pend(link, Operation.DELETE)
            link.entry = None
            link.save()
            accounts.append(link.account_id)
        else:
            link.delete()  # a confirmed meeting becomes a suggestion again
    return accounts


def queue_put_back(link: EntryEvent) -> None:
    """The calendar's change was refused: the event is written back to the entry's values."""
    _pend(link, Operation.UPDATE)
    link.save()


def queue_window(account: CalendarAccount) -> int:
    """Queues every entry of the person with a start and stop in the window (write switched
    on). Returns how many."""
    from apps.calendars.common import wanted_window
    from apps.timesheets.models import TimeEntry

    start, end = (
        (account.window_start, account.window_end)
        if account.window_start and account.window_end
        else wanted_window(account)
    )
    entries = (
        TimeEntry.objects.filter(user_id=account.user_id, started_at__gte=start, started_at__lt=end)
        .exclude(calendar_links__account=account, calendar_links__origin=EntryEvent.Origin.CALENDAR)
        .select_related("project", "task", "user")
        .order_by("started_at")
    )
    return sum(1 for entry in entries if queue_entry(account, entry))


def queue_renamed(*, project_ids: Sequence[int] = (), task_ids: Sequence[int] = ()) -> list[int]:
    """Projects or tasks were changed: the events Tidsbro wrote for their entries whose
    subject ("Project · Task") is no longer the entry's are queued to be updated, for people
    whose hours go to their calendar. One query finds them (the subject compared in the
    database, so a change that renamed nothing reads no rows); returns the accounts that got
    writes."""
    from django.db.models import Case, F, Value, When
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Concat, Substr

    from apps.calendars.common import may_write

    if not project_ids and not task_ids:
        return []
    scope = Q(entry__project_id__in=list(project_ids)) | Q(entry__task_id__in=list(task_ids))
    subject = Substr(
        Case(
            When(entry__task__isnull=True, then=F("entry__project__name")),
            default=Concat(F("entry__project__name"), Value(" · "), F("entry__task__name")),
        ),
        1,
        255,
    )
    links = list(
        EntryEvent.objects.filter(scope, origin=EntryEvent.Origin.TIDSBRO, push_status=Push.DONE)
        .filter(event_deleted_at__isnull=True, account__write_hours=True)
        .exclude(event_id="")
        .exclude(account__health=CalendarAccount.Health.DISCONNECTED)
        .alias(sent=KeyTextTransform("subject", "pushed"), subject=subject)
        .exclude(subject=F("sent"))
        .select_related("account__connection")
        .only("id", "account", "pushed", "push_status", "push_operation", "updated_at")
    )
    writing = [link for link in links if may_write(link.account)]
    now = timezone.now()
    for link in writing:
        _pend(link, Operation.UPDATE)
        link.updated_at = now
    EntryEvent.objects.bulk_update(
        writing,
        [
            "push_status",
            "push_operation",
            "push_attempts",
            "next_attempt_at",
            "last_error",
            "updated_at",
        ],
        batch_size=500,
    )
    return sorted({link.account_id for link in writing})


# --- writing --------------------------------------------------------------------------------


@dataclass
class PushResult:
    pushed: int = 0
    failed: int = 0
    requests: int = 0


def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


def due(account: CalendarAccount, *, now: datetime | None = None):
    now = now or timezone.now()
    return (
        EntryEvent.objects.filter(account=account, push_status=Push.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .select_related("entry__project", "entry__task", "entry__user")
        .order_by("updated_at", "id")
    )


def mirror_upsert(account: CalendarAccount, event: RemoteEvent) -> None:
    """Keeps the mirror in step with an event Tidsbro wrote (the answer of the write)."""
    from apps.calendars.mirror import upsert_event

    upsert_event(account, event, seen_round=account.resync_round)


def _lost_create(account: CalendarAccount, link: EntryEvent) -> CalendarEvent | None:
    """The event an earlier create (answer lost) made, if the mirror shows it."""
    sent = link.pushed or {}
    if not sent.get("start") or not sent.get("subject"):
        return None
    taken = EntryEvent.objects.filter(account=account).exclude(pk=link.pk).exclude(event_id="")
    candidates = CalendarEvent.objects.filter(
        account=account,
        subject=sent["subject"],
        starts_at=datetime.fromisoformat(sent["start"]),
    ).exclude(event_id__in=taken.values("event_id"))
    for event in candidates:
        if any(str(c).lower() == TIDSBRO_CATEGORY.lower() for c in event.categories or []):
            return event
    return None


def _done(link: EntryEvent, event: RemoteEvent | None, values: dict[str, str]) -> None:
    if event is not None:
        link.event_id = event.id
        link.change_key = event.change_key
        link.web_link = event.web_link
        link.event_deleted_at = None
    link.pushed = values
    link.push_status = Push.DONE
    link.push_operation = ""
    link.push_attempts = 0
    link.next_attempt_at = None
    link.last_error = ""
    link.transaction_id = ""


def _write_one(account: CalendarAccount, client: CalendarClient, link: EntryEvent) -> int:
    """Writes one due link; returns the number of requests made. Raises connector errors."""
    requests = 0
    entry = link.entry
    operation = link.push_operation
    if operation != Operation.DELETE and not has_times(entry):
        operation = Operation.DELETE
    if operation == Operation.DELETE:
        event_id = link.event_id
        if not event_id and link.transaction_id:
            found = _lost_create(account, link)
            event_id = found.event_id if found else ""
        if event_id:
            client.delete_event(event_id)
            requests += 1
            CalendarEvent.objects.filter(account=account, event_id=event_id).delete()
        with transaction.atomic():
            fresh = EntryEvent.objects.select_for_update().filter(pk=link.pk).first()
            if fresh is not None and fresh.updated_at != link.updated_at:
                # The entry was saved again meanwhile (its times back): a new event.
                fresh.event_id = fresh.change_key = fresh.web_link = fresh.transaction_id = ""
                fresh.pushed = {}
                if fresh.push_status == Push.PENDING and fresh.push_operation != Operation.DELETE:
                    fresh.push_operation = Operation.CREATE
                fresh.save()
            elif entry is None:
                link.delete()
            else:
                link.event_id = link.change_key = link.web_link = link.transaction_id = ""
                link.pushed = {}
                link.push_status, link.push_operation = Push.NONE, ""
                link.push_attempts, link.next_attempt_at, link.last_error = 0, None, ""
                link.save()
        return requests
    write = event_write(entry)
    values = values_of(write)
    if operation == Operation.CREATE and not link.event_id and link.transaction_id:
        found = _lost_create(account, link)
        if found is not None:
            link.event_id = found.event_id
            link.change_key = found.change_key
            link.web_link = found.web_link
            link.event_deleted_at = None
            link.transaction_id = ""
            if event_values(found) == values:
                _done(link, None, values)
                link.save()
                return requests
    if link.event_id:
        try:
            event = client.update_event(link.event_id, write)
            requests += 1
        except Rejected:
            requests += 1
            gone = client.get_event(link.event_id) is None
            requests += 1
            if not gone:
                raise
            # Deleted in the calendar meanwhile; the entry changed after: a new event.
            CalendarEvent.objects.filter(account=account, event_id=link.event_id).delete()
            link.event_id = ""
            return requests + _write_one(account, client, link)
    else:
        # Remember what is sent before sending: a lost answer is looked up by it next time.
        link.pushed = values
        link.transaction_id = link.transaction_id or uuid.uuid4().hex
        link.save(update_fields=["pushed", "transaction_id", "updated_at"])
        event = client.create_event(write)
        requests += 1
    with transaction.atomic():
        _finish(link, event, values)
        mirror_upsert(account, event)
    return requests


def _finish(link: EntryEvent, event: RemoteEvent, values: dict[str, str]) -> None:
    """Records a write's answer on the link. The entry may have been saved again (or
    deleted) while the write was on its way: its hook re-queued the link then, and that newer
    change must stay queued — marking the link written would leave the calendar behind for
    good. So the link is read again under a lock: untouched since it was loaded, it is done;
    else the answer's event is recorded and the link waits for the write the entry now wants."""
    fresh = (
        EntryEvent.objects.select_for_update(of=("self",))
        .select_related("entry__project", "entry__task", "entry__user")
        .filter(pk=link.pk)
        .first()
    )
    if fresh is None or fresh.updated_at == link.updated_at:
        _done(link, event, values)
        link.save()
        return
    fresh.event_id = event.id
    fresh.change_key = event.change_key
    fresh.web_link = event.web_link
    fresh.event_deleted_at = None
    fresh.transaction_id = ""
    fresh.pushed = values
    if fresh.push_status == Push.PENDING:
        if fresh.push_operation == Operation.CREATE:  # queued while the create was on its way
            fresh.push_operation = Operation.UPDATE
    elif fresh.push_status == Push.DONE:
        wanted = values_of(event_write(fresh.entry)) if has_times(fresh.entry) else None
        if wanted != values:
            _pend(fresh, Operation.UPDATE if wanted else Operation.DELETE)
        else:
            fresh.push_operation = ""
    fresh.save()


def push_due(
    account: CalendarAccount, client: CalendarClient, *, now: datetime | None = None
) -> PushResult:
    """Writes the account's due links. A refused sign-in or a slow-down stops at once (raised
    for the round to record); other failures are counted on the link and retried later."""
    from apps.calendars.common import may_write

    result = PushResult()
    if not may_write(account):
        return result
    for link in list(due(account, now=now)[:PER_ROUND]):
        try:
            result.requests += _write_one(account, client, link)
            result.pushed += 1
        except (AuthFailed, RateLimited):
            raise
        except ConnectorError as exc:
            result.failed += 1
            attempts = link.push_attempts + 1
            dead = attempts >= MAX_ATTEMPTS
            EntryEvent.objects.filter(pk=link.pk).update(
                push_attempts=attempts,
                push_status=Push.DEAD if dead else Push.PENDING,
                next_attempt_at=None if dead else timezone.now() + _backoff(attempts),
                last_error=str(exc)[:1000],
                updated_at=timezone.now(),
            )
            logger.info(
                "calendar %s: write of entry %s failed (%s, attempt %s)",
                account.pk,
                link.entry_ref,
                type(exc).__name__,
                attempts,
            )
    return result


def pending_count(account: CalendarAccount) -> int:
    return EntryEvent.objects.filter(account=account, push_status=Push.PENDING).count()


def retry_dead(account: CalendarAccount) -> int:
    """Gives failed writes a new start (after a reconnect or a full synchronisation)."""
    return EntryEvent.objects.filter(account=account, push_status=Push.DEAD).update(
        push_status=Push.PENDING, push_attempts=0, next_attempt_at=None
    )
