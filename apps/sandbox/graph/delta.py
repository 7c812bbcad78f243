"""`GET /v1.0/me/calendarView/delta`: a window of the primary calendar in rounds of pages.

- The first call needs `startDateTime` and `endDateTime` (offset honoured, none = UTC); later
  calls send only the link they were given: the window, the round's change numbers and the
  position are inside the opaque, signed `$skiptoken`/`$deltatoken`.
- A round covers the changes numbered since < seq <= upto (`upto` = the mailbox's counter when
  the round starts; the first round: everything). Pages go event by event (by number) and, in
  a series, occurrence by occurrence, then through the removed and moved instances; a page has
  at most `Prefer: odata.maxpagesize` items (knob default without it) and ends with a
  `@odata.nextLink`, the last one with a `@odata.deltaLink`. An event changed while a round runs
  is left to the next round.
- A changed single event or series is sent in full for each instance in the window; an
  instance that was in the window and was deleted, or moved (out of the window, or to another
  folder when default ids are asked for), is sent as `@removed` `{"reason": "deleted"}`.
- Imperfections (knobs, seeded, so a test can predict them): items sent twice, rounds whose
  changes the next round sends again, empty pages that still carry a nextLink.
- An outdated link (the mailbox's sync state was invalidated): 410 Gone with `Location` (the
  first request again, with an empty `$deltatoken`) or 400 `syncStateNotFound`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace
from urllib.parse import urlencode

from django.core import signing
from django.db.models import F

from .errors import GraphError
from .events import View, instances, overlapping, render
from .ids import graph_id
from .models import Event, InstanceChange, Knobs, Mailbox
from .runtime import chance
from .timezones import parse_wall

SALT = "sandbox_graph.delta"
SUPPORTED = {"startDateTime", "endDateTime", "$skiptoken", "$deltatoken", "$deltaToken"}
UNSUPPORTED_OPTIONS = (
    "$select",
    "$filter",
    "$orderby",
    "$expand",
    "$search",
    "$top",
    "$count",
    "$skip",
)
# An empty page is never sent more than this many times in one round.
MAX_EMPTY_PAGES = 20


@dataclass(frozen=True)
class Cursor:
    m: int  # mailbox
    g: int  # sync generation
    lo: str
    hi: str
    since: int
    upto: int  # -1: not started (a delta token)
    phase: str  # "e": events, "t": removed/moved instances
    pk: int  # next event (phase e) / instance change (phase t) to look at
    idx: int  # next instance of that event
    n: int  # pages sent in this round
    f: int = 0  # 1: a first round (the client has nothing yet, so nothing to remove)

    def dumps(self) -> str:
        return signing.dumps(asdict(self), salt=SALT, compress=True)

    @classmethod
    def loads(cls, token: str) -> Cursor:
        return cls(**signing.loads(token, salt=SALT))

    @property
    def window(self) -> tuple[dt.datetime, dt.datetime]:
        return dt.datetime.fromisoformat(self.lo), dt.datetime.fromisoformat(self.hi)


@dataclass
class Page:
    body: dict
    applied: list[str]


def _bound(value: str, name: str) -> dt.datetime:
    try:
        moment = parse_wall(value)
    except ValueError:
        raise GraphError(
            400, "ErrorInvalidParameter", f"The value '{value}' of parameter '{name}' is invalid."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def refuse_unsupported(query: dict) -> None:
    """400 for the query options change tracking on events does not support (API-NOTES §2.1)."""
    given = [name for name in query if name in UNSUPPORTED_OPTIONS]
    if given:
        raise GraphError(
            400,
            "ErrorInvalidUrlQuery",
            "The following parameters are not supported with change tracking over the "
            f"'CalendarView' resource: '{', '.join(given)}'.",
        )


def start_cursor(mailbox: Mailbox, query: dict) -> Cursor:
    """The cursor a request stands for: from its token, or a first round from its window."""
    refuse_unsupported(query)
    token = query.get("$skiptoken") or query.get("$deltatoken") or query.get("$deltaToken")
    if token:
        try:
            cursor = Cursor.loads(token)
        except (signing.BadSignature, TypeError, ValueError):
            raise GraphError(
                400,
                "syncStateInvalid",
                "The sync state is invalid or was not issued for this request.",
            ) from None
        if cursor.m != mailbox.pk:
            raise GraphError(400, "syncStateInvalid", "The sync state belongs to another mailbox.")
        if cursor.g != mailbox.sync_generation:
            raise outdated(mailbox, cursor)
        if cursor.upto < 0:  # a delta token: a new round of what changed since
            return replace(cursor, upto=mailbox.next_seq)
        return cursor
    start, end = query.get("startDateTime"), query.get("endDateTime")
    if not start or not end:
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    lo, hi = _bound(start, "startDateTime"), _bound(end, "endDateTime")
    if hi <= lo:
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "The parameter 'EndDateTime' must be after 'StartDateTime'.",
        )
    return Cursor(
        m=mailbox.pk,
        g=mailbox.sync_generation,
        lo=lo.isoformat(),
        hi=hi.isoformat(),
        since=0,
        upto=mailbox.next_seq,
        phase="e",
        pk=0,
        idx=0,
        n=0,
        f=1,
    )


def outdated(mailbox: Mailbox, cursor: Cursor) -> GraphError:
    if mailbox.sync_reset == Mailbox.Reset.NOT_FOUND:
        return GraphError(400, "syncStateNotFound", "The sync state generation is not found.")
    lo, hi = cursor.window
    query = urlencode(
        {
            "startDateTime": lo.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endDateTime": hi.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return GraphError(
        410,
        "resyncRequired",
        "The delta token is no longer valid: start a full synchronization.",
        headers={"Location": f"{{delta_url}}?{query}&$deltatoken="},
    )


def page(
    *, mailbox: Mailbox, cursor: Cursor, view: View, size: int, knobs: Knobs, delta_url: str
) -> dict:
    """One page of a round from `cursor`: items, and a nextLink or a deltaLink."""
    if knobs.empty_page_rate > 0 and cursor.n < MAX_EMPTY_PAGES:
        if chance(knobs.page_seed, "empty", cursor.dumps()) < knobs.empty_page_rate:
            return {
                "value": [],
                "@odata.nextLink": f"{delta_url}?$skiptoken={replace(cursor, n=cursor.n + 1).dumps()}",
            }
    lo, hi = cursor.window
    items: list[dict] = []
    position = cursor
    more = False
    for item, after in _items(mailbox, cursor, lo, hi, view):
        if len(items) >= size:
            more = True
            break
        items.append(item)
        if (
            knobs.duplicate_rate > 0
            and chance(knobs.page_seed, "dup", cursor.since, cursor.upto, item["id"])
            < knobs.duplicate_rate
        ):
            items.append(item)
        position = after
    context = f"{view.base_url}/v1.0/$metadata#Collection(event)"
    if more:
        token = replace(position, n=cursor.n + 1).dumps()
        return {
            "@odata.context": context,
            "@odata.nextLink": f"{delta_url}?$skiptoken={token}",
            "value": items,
        }
    since = cursor.upto
    if (
        knobs.replay_rate > 0
        and chance(knobs.page_seed, "replay", cursor.m, cursor.since, cursor.upto)
        < knobs.replay_rate
    ):
        since = cursor.since  # the next round sends this round's changes again
    token = Cursor(
        m=cursor.m,
        g=cursor.g,
        lo=cursor.lo,
        hi=cursor.hi,
        since=since,
        upto=-1,
        phase="e",
        pk=0,
        idx=0,
        n=0,
    ).dumps()
    return {
        "@odata.context": context,
        "@odata.deltaLink": f"{delta_url}?$deltatoken={token}",
        "value": items,
    }


def _items(mailbox: Mailbox, cursor: Cursor, lo: dt.datetime, hi: dt.datetime, view: View):
    """(item, cursor after it) in the round's order, from `cursor` on."""
    if cursor.phase == "e":
        events = (
            overlapping(mailbox, lo, hi)
            .filter(seq__gt=cursor.since, seq__lte=cursor.upto, pk__gte=cursor.pk)
            .select_related("mailbox")
            .prefetch_related("exceptions")
            .order_by("pk")
        )
        for event in events.iterator(chunk_size=200):
            found = instances(event, lo, hi)
            start = cursor.idx if event.pk == cursor.pk else 0
            for index in range(start, len(found)):
                after = replace(cursor, pk=event.pk, idx=index + 1)
                yield render(found[index], view), after
        cursor = replace(cursor, phase="t", pk=0, idx=0)
        if cursor.f:
            return  # a first round has nothing to remove
    changes = (
        InstanceChange.objects.filter(
            mailbox=mailbox, seq__gt=cursor.since, seq__lte=cursor.upto, pk__gt=cursor.pk
        )
        .filter(old_start__lt=hi, old_end__gte=lo)
        .select_related("event")
        .order_by("pk")
    )
    current: dict[int, set[str]] = {}
    for change in changes.iterator(chunk_size=500):
        after = replace(cursor, phase="t", pk=change.pk, idx=0)
        event = change.event
        if event.pk not in current:
            fresh = Event.objects.prefetch_related("exceptions").get(pk=event.pk)
            current[event.pk] = {i.key for i in instances(fresh, lo, hi)}
            event = fresh
        old_id = graph_id(mailbox.pk, change.instance_key, change.folder_generation, view.immutable)
        still_there = change.instance_key in current[event.pk]
        if still_there and (view.immutable or change.folder_generation == event.folder_generation):
            continue
        yield (
            {
                "@odata.type": "#microsoft.graph.event",
                "id": old_id,
                "@removed": {"reason": "deleted"},
            },
            after,
        )


def sync_state_invalidate(*, mailbox: Mailbox, reset: str = Mailbox.Reset.GONE) -> Mailbox:
    """Makes every delta and skip link of the mailbox outdated: the next use answers as
    `reset` says (410 Gone with a Location, or 400 syncStateNotFound)."""
    Mailbox.objects.filter(pk=mailbox.pk).update(
        sync_generation=F("sync_generation") + 1, sync_reset=reset
    )
    mailbox.refresh_from_db()
    return mailbox
