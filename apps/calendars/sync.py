"""One round of a person's calendar (apps/calendars/README.md §5): read the changes of the window into the
mirror, let entries follow their events, write Tidsbro's due changes, keep the change
subscription alive.

- **Lease**: one round per account at a time, taken with a conditional UPDATE
  (`lease_owner`/`lease_until`); a round asked for while one runs makes the running one read
  once more (`pull_requested_at`).
- **Pages**: each page's rows and the cursor after it are saved in one transaction, so a
  round stopped anywhere resumes from the last saved page or reads a page again harmlessly
  (rows are upserted by event id; a removed id deletes the row; duplicates, replays, empty
  pages and items out of order change nothing twice — an older version never overwrites a
  newer one).
- **Full rounds** (first round, a moved window, "Full synchronisation now", or the calendar
  forgot the cursor: `SyncReset`) read into a staging set: rows seen get
  `seen_round = resync_round`; only when the round completes are the rows not seen deleted
  and the cursor replaced. Until then the old mirror stays usable.
- **Rules**: an event tied to an entry that was moved or edited in the calendar changes the
  entry while it is a draft; else the change is refused (a `Refusal` for the person) and a
  Tidsbro-made event is written back. A deleted event flags the tie; the entry stays.
  Tidsbro's own writes coming back (same change key, or the values it wrote) change nothing.
- Errors of the calendar (refused sign-in, slow down, unavailable) are recorded on the account
  (its health), never raised out of a round.
"""

from __future__ import annotations

import logging
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from apps.calendars import common, push, services
from apps.calendars.mirror import apply_items, upsert_event  # noqa: F401 - upsert_event: API
from apps.calendars.models import CalendarAccount, CalendarEvent, EntryEvent, Refusal
from apps.calendars.providers import RemoteEvent, SyncReset
from apps.core.exceptions import ApplicationError, ChangedMeanwhile
from apps.integrations.connectors.base import ConnectorError, RateLimited, Unavailable

if TYPE_CHECKING:
    from apps.calendars.providers import CalendarClient, DeltaPage

logger = logging.getLogger(__name__)

Health = CalendarAccount.Health
LEASE = timedelta(minutes=5)
# Rounds run back to back for requests that came while one ran, at most this many.
MAX_LOOPS = 3
# Pages read in one round at most (the cursor is kept; the next round goes on).
MAX_PAGES = 400
# Times the calendar may forget the cursor of a full round before the round gives up.
MAX_RESETS = 2
# A page read that failed or was asked to slow down (for at most READ_WAIT_MAX seconds) is
# tried again this many times within the round.
READ_RETRIES = 2
READ_WAIT_MAX = 3.0

# The entry being changed from its event right now: its "changed" hook writes nothing back.
_following: ContextVar[int | None] = ContextVar("calendars_following", default=None)


def following() -> int | None:
    return _following.get()


@contextmanager
def _follow(entry_pk: int):
    token = _following.set(entry_pk)
    try:
        yield
    finally:
        _following.reset(token)


@dataclass
class RoundResult:
    requests: int = 0
    changed: int = 0  # mirror rows written
    removed: int = 0  # mirror rows deleted
    pushed: int = 0  # writes to the calendar
    refused: int = 0  # calendar changes refused
    followed: int = 0  # entries changed from their events
    full: bool = False  # a full round completed
    loops: int = 0
    skipped: str = ""  # "busy", "disconnected", "gone", "no calendar"
    error: str = ""

    def summary(self) -> str:
        if self.skipped:
            return self.skipped
        text = (
            f"requests {self.requests}, changed {self.changed}, removed {self.removed}, "
            f"pushed {self.pushed}, followed {self.followed}, refused {self.refused}"
            + (", full" if self.full else "")
        )
        return f"{text}; failed: {self.error}" if self.error else text


@dataclass
class _Touched:
    """Event ids a round changed or removed (the rules look at their ties)."""

    changed: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    recheck: bool = False  # a full round completed: look at every tie


# --- lease ----------------------------------------------------------------------------------


def take_lease(account_id: int, owner: str, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return bool(
        CalendarAccount.objects.filter(pk=account_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(health=Health.DISCONNECTED)
        .update(lease_owner=owner, lease_until=now + LEASE)
    )


def _extend_lease(account_id: int, owner: str) -> None:
    CalendarAccount.objects.filter(pk=account_id, lease_owner=owner).update(
        lease_until=timezone.now() + LEASE
    )


def release_lease(account_id: int, owner: str) -> None:
    CalendarAccount.objects.filter(pk=account_id, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )


# --- reading --------------------------------------------------------------------------------


class _Reader:
    """Reads pages of one account's calendar, saving the cursor with each page's rows."""

    def __init__(
        self, account: CalendarAccount, client: CalendarClient, owner: str, result: RoundResult
    ) -> None:
        self.account = account
        self.client = client
        self.owner = owner
        self.result = result
        self.touched = _Touched()
        self.pages = 0

    def _page(self, link: str, window: tuple[datetime, datetime]) -> DeltaPage:
        """One page; a short slow-down or a failed read is tried again (reads change
        nothing), at most READ_RETRIES times, before the round gives up."""
        if self.pages >= MAX_PAGES:
            raise _Pause
        self.pages += 1
        for attempt in range(READ_RETRIES + 1):
            self.result.requests += 1
            try:
                return self.client.delta_page(link=link, window=window)
            except RateLimited as exc:
                if attempt == READ_RETRIES or exc.retry_after > READ_WAIT_MAX:
                    raise
                time.sleep(exc.retry_after)
            except Unavailable:
                if attempt == READ_RETRIES:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def pull(self) -> None:
        account = self.account
        try:
            if account.resync_window_start is not None and account.full_sync_requested_at is None:
                self.full()
            elif account.full_sync_requested_at is not None or common.window_moved(account):
                self.start_full()
                self.full()
            else:
                self.changes()
        except _Pause:
            return

    # Changes since the cursor
    def changes(self) -> None:
        account = self.account
        link = account.delta_link
        window = (account.window_start, account.window_end)
        while True:
            try:
                page = self._page(link, window)
            except SyncReset:
                logger.info("calendar %s: the calendar forgot the cursor; full round", account.pk)
                self.start_full()
                self.full()
                return
            with transaction.atomic():
                changed, removed = apply_items(account, page.items, seen_round=account.resync_round)
                link = page.next_link or page.delta_link
                CalendarAccount.objects.filter(pk=account.pk).update(delta_link=link)
                account.delta_link = link
            self._count(changed, removed)
            _extend_lease(account.pk, self.owner)
            if not page.next_link:
                return

    # A full round into the staging set
    def start_full(self) -> None:
        account = self.account
        start, end = common.wanted_window(account)
        account.resync_round += 1
        account.resync_link = ""
        account.resync_window_start, account.resync_window_end = start, end
        account.full_sync_requested_at = None
        CalendarAccount.objects.filter(pk=account.pk).update(
            resync_round=account.resync_round,
            resync_link="",
            resync_window_start=start,
            resync_window_end=end,
            full_sync_requested_at=None,
        )

    def full(self) -> None:
        account = self.account
        resets = 0
        link = account.resync_link
        while True:
            window = (account.resync_window_start, account.resync_window_end)
            try:
                page = self._page(link, window)
            except SyncReset as exc:
                resets += 1
                if resets > MAX_RESETS:
                    raise Unavailable(
                        "the calendar keeps forgetting where the full round was",
                        operation=exc.operation,
                    ) from None
                self.start_full()
                link = ""
                continue
            with transaction.atomic():
                changed, removed = apply_items(account, page.items, seen_round=account.resync_round)
                if page.next_link:
                    link = page.next_link
                    CalendarAccount.objects.filter(pk=account.pk).update(resync_link=link)
                    account.resync_link = link
                else:
                    removed |= self._complete(page.delta_link)
            self._count(changed, removed)
            _extend_lease(account.pk, self.owner)
            if not page.next_link:
                return

    def _complete(self, delta_link: str) -> set[str]:
        """The full round is whole: rows it did not see go, its cursor and window replace
        the old ones (inside the last page's transaction)."""
        account = self.account
        stale = CalendarEvent.objects.filter(account=account).exclude(
            seen_round=account.resync_round
        )
        gone = set(stale.values_list("event_id", flat=True))
        if gone:
            stale.delete()
        values = {
            "delta_link": delta_link,
            "window_start": account.resync_window_start,
            "window_end": account.resync_window_end,
            "resync_link": "",
            "resync_window_start": None,
            "resync_window_end": None,
        }
        if account.sync_from is not None:
            values["sync_from"] = None  # read from that day: done
        CalendarAccount.objects.filter(pk=account.pk).update(**values)
        for name, value in values.items():
            setattr(account, name, value)
        self.touched.recheck = True
        self.result.full = True
        return gone

    def _count(self, changed: set[str], removed: set[str]) -> None:
        self.result.changed += len(changed)
        self.result.removed += len(removed)
        self.touched.changed |= changed
        self.touched.removed |= removed


class _Pause(Exception):
    """Enough pages for one round: the rest next round (the cursor is saved)."""


# --- the rules ------------------------------------------------------------------------------


def _when(entry_or_event: Any, start: datetime | None, end: datetime | None, tz: Any) -> str:
    if start is None or end is None:
        return ""
    a, b = timezone.localtime(start, tz), timezone.localtime(end, tz)
    day = formats.date_format(a.date(), "SHORT_DATE_FORMAT")
    if a.date() == b.date():
        return f"{day} {a:%H:%M}–{b:%H:%M}"
    last = formats.date_format(b.date(), "SHORT_DATE_FORMAT")
    return f"{day} {a:%H:%M} – {last} {b:%H:%M}"


def _refuse(
    account: CalendarAccount,
    link: EntryEvent,
    event: RemoteEvent | CalendarEvent,
    values: dict[str, str],
    reason: str,
    result: RoundResult,
) -> None:
    entry = link.entry
    tz = entry.user.tzinfo
    start, end = datetime.fromisoformat(values["start"]), datetime.fromisoformat(values["end"])
    calendar_said = _when(entry, start, end, tz)
    if (
        link.origin == EntryEvent.Origin.TIDSBRO
        and values["body"] != (entry.description or "").strip()
    ):
        calendar_said = f"{calendar_said} · {values['body']}".strip(" ·")
    Refusal.objects.create(
        account=account,
        entry=entry,
        event_id=link.event_id,
        subject=values["subject"][:400],
        entry_was=_when(entry, entry.started_at, entry.ended_at, tz)[:200],
        calendar_said=calendar_said[:200],
        reason=reason[:2000],
    )
    link.change_key = getattr(event, "change_key", "")
    if link.origin == EntryEvent.Origin.TIDSBRO:
        push.queue_put_back(link)  # saves the link
    else:
        link.save(update_fields=["change_key", "updated_at"])
    result.refused += 1


def _calendar_changes(entry: Any, values: dict[str, str], *, tidsbro: bool) -> dict[str, Any]:
    """The entry's fields the event now says otherwise (the description only of Tidsbro's own
    events: a meeting's body is not the entry's)."""
    start, end = datetime.fromisoformat(values["start"]), datetime.fromisoformat(values["end"])
    data: dict[str, Any] = {}
    if start != entry.started_at or end != entry.ended_at:
        data["started_at"], data["ended_at"] = start, end
    if tidsbro and values["body"] != (entry.description or "").strip():
        data["description"] = values["body"]
    return data


def _merge(
    base: dict[str, str], calendar: dict[str, str], tidsbro: dict[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """An edit in the calendar while Tidsbro's own change of the entry still waits to be
    written. `base` is what Tidsbro last wrote. A part (the times, start and end together, or
    the description) changed in the calendar only is taken into the entry; changed in Tidsbro
    only, Tidsbro's waiting write carries it; changed on both sides to different values,
    Tidsbro's is kept and the part is named in the returned clashes (listed for the person,
    never dropped silently). The subject is Tidsbro's (project · task)."""
    data: dict[str, Any] = {}
    clashes: list[str] = []

    def pick(keys: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(side[key] for key in keys) for side in (base, calendar, tidsbro))

    was, there, here = pick(("start", "end"))
    if there != was and here != there:
        if here == was:
            data["started_at"], data["ended_at"] = (datetime.fromisoformat(v) for v in there)
        else:
            clashes.append("times")
    was, there, here = pick(("body",))
    if there != was and here != there:
        if here == was:
            data["description"] = there[0]
        else:
            clashes.append("description")
    return data, clashes


def _in_their_words(entry: Any) -> Any:
    """A refusal is written once and read by the person: in their language."""
    return translation.override(entry.user.language or settings.LANGUAGE_CODE)


def _clash_reason(clashes: list[str]) -> str:
    if clashes == ["times"]:
        return _(
            "Changed in Tidsbro and in the calendar at the same time: Tidsbro's times were kept."
        )
    if clashes == ["description"]:
        return _(
            "Changed in Tidsbro and in the calendar at the same time: Tidsbro's description "
            "was kept."
        )
    return _(
        "Changed in Tidsbro and in the calendar at the same time: Tidsbro's times and "
        "description were kept."
    )


def follow(
    account: CalendarAccount,
    link: EntryEvent,
    event: RemoteEvent | CalendarEvent,
    result: RoundResult,
) -> None:
    """The entry tied to `event` follows it (a draft), or the change is refused."""
    from apps.timesheets.services import time_entry_read_only_reason, time_entry_update

    entry = link.entry
    if entry is None:
        return
    change_key = getattr(event, "change_key", "")
    if change_key and change_key == link.change_key:
        return  # seen already (or Tidsbro's own write)
    values = push.event_values(event)
    tidsbro = link.origin == EntryEvent.Origin.TIDSBRO
    if tidsbro and values == link.pushed:
        link.change_key = change_key
        link.save(update_fields=["change_key", "updated_at"])
        return
    pending = tidsbro and link.push_status == EntryEvent.Push.PENDING
    if pending and (link.push_operation != EntryEvent.Operation.UPDATE or not link.pushed):
        return  # the event is being made or deleted this round: nothing of it to keep
    if pending:
        # Both sides changed since Tidsbro's last write: a three-way merge (see _merge).
        data, clashes = _merge(link.pushed, values, push.values_of(push.event_write(entry)))
    else:
        data, clashes = _calendar_changes(entry, values, tidsbro=tidsbro), []
    if not data:
        if clashes:
            with _in_their_words(entry):
                _refuse(account, link, event, values, _clash_reason(clashes), result)
        else:
            link.change_key = change_key
            link.save(update_fields=["change_key", "updated_at"])
        return
    if not entry.is_editable:
        # Written once, read by the person: in their language and date format.
        with _in_their_words(entry):
            _refuse(
                account, link, event, values, time_entry_read_only_reason(entry=entry) or "", result
            )
        return
    try:
        with transaction.atomic(), _follow(entry.pk):
            time_entry_update(
                actor=entry.user, entry=entry, data=data, unchanged_since=entry.updated_at
            )
            link.change_key = change_key
            if tidsbro and not pending:
                link.pushed = push.values_of(push.event_write(entry))
            # (Pending: the merged values go to the calendar this round; `pushed` stays what
            # the calendar last had from Tidsbro until that write is done.)
            link.event_deleted_at = None
            link.save()
            if clashes:
                with _in_their_words(entry):
                    _refuse(account, link, event, values, _clash_reason(clashes), result)
    except ChangedMeanwhile:
        # Saved in Tidsbro since this round read it: nothing written (the other fields are not
        # put back as they were). The round reads once more and decides on the entry as it is.
        services.request_round(account.pk, "entry changed meanwhile")
        return
    except ApplicationError as exc:
        entry.refresh_from_db()
        _refuse(account, link, event, values, exc.message, result)
        return
    result.followed += 1


def _links(account: CalendarAccount) -> list[EntryEvent]:
    """The ties whose event is not as the tie last saw it: the mirror's version differs, or
    (the window read whole at least once) the event is not in the mirror although its entry
    is in the window. Worked out from the rows, not from what this round read, so a round
    stopped before its rules leaves nothing behind. One query."""
    mirror_key = CalendarEvent.objects.filter(
        account_id=OuterRef("account_id"), event_id=OuterRef("event_id")
    ).values("change_key")[:1]
    links = (
        EntryEvent.objects.filter(account=account, entry__isnull=False, event_deleted_at=None)
        .exclude(event_id="")
        .annotate(mirror_key=Subquery(mirror_key))
    )
    differs = Q(mirror_key__isnull=False) & ~Q(mirror_key=F("change_key"))
    if account.delta_link and account.window_start and account.window_end:
        missing = Q(
            mirror_key__isnull=True,
            entry__started_at__gte=account.window_start,
            entry__started_at__lt=account.window_end,
        )
        links = links.filter(differs | missing)
    else:
        links = links.filter(differs)
    return list(links.select_related("entry__user", "entry__project", "entry__task"))


def apply_rules(account: CalendarAccount, client: CalendarClient, result: RoundResult) -> None:
    """Entries follow their events (or the change is refused); deleted events flag ties."""
    links = _links(account)
    if not links:
        return
    mirror = {
        row.event_id: row
        for row in CalendarEvent.objects.filter(
            account=account, event_id__in=[link.event_id for link in links]
        )
    }
    for link in links:
        event: RemoteEvent | CalendarEvent | None = mirror.get(link.event_id)
        if event is None:
            if link.push_status == EntryEvent.Push.PENDING and (
                link.push_operation == EntryEvent.Operation.DELETE
            ):
                continue
            # Deleted, or moved out of the window: the calendar says which.
            result.requests += 1
            event = client.get_event(link.event_id)
            if event is None:
                link.event_deleted_at = timezone.now()
                link.save(update_fields=["event_deleted_at", "updated_at"])
                continue
            upsert_event(account, event, seen_round=account.resync_round)
        follow(account, link, event, result)


# --- a round --------------------------------------------------------------------------------


def _client(provider: Any, account: CalendarAccount, result: RoundResult) -> Any:
    try:
        return provider.client(account, on_request=None)
    except TypeError:  # a provider without the request callback
        return provider.client(account)


def _one_pass(account: CalendarAccount, owner: str, result: RoundResult) -> None:
    from apps.calendars import subscriptions

    provider = common.provider_of(account.connection)
    if provider is None or not account.connection.is_active:
        result.skipped = "no calendar"
        return
    if not account.state:
        result.skipped = "disconnected"
        return
    client = _client(provider, account, result)
    try:
        reader = _Reader(account, client, owner, result)
        reader.pull()
        apply_rules(account, client, result)
        if reader.touched.recheck and common.may_write(account):
            push.retry_dead(account)
            push.queue_window(account)
        pushed = push.push_due(account, client)
        result.pushed += pushed.pushed
        result.requests += pushed.requests
        result.requests += subscriptions.upkeep(account, client)
        now = timezone.now()
        CalendarAccount.objects.filter(pk=account.pk).update(last_synced_at=now)
        account.last_synced_at = now
        services.account_healthy(account)
    except ConnectorError as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:500]
        logger.info("calendar %s: round failed (%s)", account.pk, type(exc).__name__)
        services.account_problem(account, exc)
    finally:
        client.close()


def run_round(account_id: int, *, reason: str = "") -> RoundResult:
    """One round of the account (see the module's text). Never raises the calendar's errors:
    they are recorded on the account. Returns what it did."""
    result = RoundResult()
    owner = uuid.uuid4().hex
    while True:
        if not take_lease(account_id, owner):
            health = (
                CalendarAccount.objects.filter(pk=account_id)
                .values_list("health", flat=True)
                .first()
            )
            if health is None:
                result.skipped = "gone"
            elif health == Health.DISCONNECTED:
                result.skipped = "disconnected"
            elif result.loops == 0:
                result.skipped = "busy"
            return result
        try:
            while result.loops < MAX_LOOPS:
                result.loops += 1
                CalendarAccount.objects.filter(pk=account_id).update(pull_requested_at=None)
                account = (
                    CalendarAccount.objects.select_related("connection", "user")
                    .filter(pk=account_id)
                    .first()
                )
                if account is None:
                    result.skipped = "gone"
                    return result
                _one_pass(account, owner, result)
                if result.error or result.skipped:
                    return result
                if not _requested(account_id):
                    break
        finally:
            release_lease(account_id, owner)
        # A request that came just before the lease was let go: read once more.
        if result.loops >= MAX_LOOPS or not _requested(account_id):
            logger.debug("calendar %s round (%s): %s", account_id, reason, result.summary())
            return result


def _requested(account_id: int) -> bool:
    return CalendarAccount.objects.filter(pk=account_id, pull_requested_at__isnull=False).exists()
