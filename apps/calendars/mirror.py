"""The mirror of a person's calendar window: one `CalendarEvent` row per event id, written by
the rounds (pages) and by Tidsbro's own writes (their answers). A leaf module."""

from __future__ import annotations

from django.utils import timezone

from apps.calendars.models import CalendarAccount, CalendarEvent
from apps.calendars.providers import RemoteEvent, Removed

# --- the mirror -----------------------------------------------------------------------------

_FIELDS = [
    "event_type",
    "series_master_id",
    "ical_uid",
    "change_key",
    "subject",
    "body_text",
    "starts_at",
    "ends_at",
    "is_all_day",
    "show_as",
    "is_cancelled",
    "response",
    "sensitivity",
    "is_organizer",
    "categories",
    "web_link",
    "last_modified",
    "seen_round",
    "updated_at",
]


def _row(account: CalendarAccount, event: RemoteEvent, seen_round: int) -> CalendarEvent:
    return CalendarEvent(
        account=account,
        event_id=event.id,
        event_type=event.type[:20],
        series_master_id=event.series_master_id[:512],
        ical_uid=event.ical_uid[:512],
        change_key=event.change_key[:200],
        subject=event.subject[:400],
        body_text=event.body_text,
        starts_at=event.start,
        ends_at=event.end,
        is_all_day=event.is_all_day,
        show_as=event.show_as[:30],
        is_cancelled=event.is_cancelled,
        response=event.response[:30],
        sensitivity=event.sensitivity[:20],
        is_organizer=event.is_organizer,
        categories=list(event.categories),
        web_link=event.web_link,
        last_modified=event.last_modified,
        seen_round=seen_round,
        updated_at=timezone.now(),
    )


def _same(row: CalendarEvent, new: CalendarEvent) -> bool:
    return all(getattr(row, f) == getattr(new, f) for f in _FIELDS if f != "updated_at")


def apply_items(
    account: CalendarAccount, items: list[RemoteEvent | Removed], *, seen_round: int
) -> tuple[set[str], set[str]]:
    """Writes one page's items into the mirror (call inside a transaction): upserts by id,
    deletes removed ids; the last word on an id in the page counts, and an older version
    (by its last-modified time) never overwrites a newer row. Three queries at most.
    Returns (changed ids, removed ids)."""
    last: dict[str, RemoteEvent | Removed] = {}
    for item in items:
        last.pop(item.id, None)
        last[item.id] = item
    if not last:
        return set(), set()
    existing = {
        row.event_id: row
        for row in CalendarEvent.objects.filter(account=account, event_id__in=list(last))
    }
    writes: list[CalendarEvent] = []
    changed: set[str] = set()
    removed: set[str] = set()
    for event_id, item in last.items():
        row = existing.get(event_id)
        if isinstance(item, Removed):
            if row is not None:
                removed.add(event_id)
            continue
        new = _row(account, item, seen_round)
        if row is not None:
            if row.last_modified and item.last_modified and item.last_modified < row.last_modified:
                if row.seen_round != seen_round:  # an older copy: seen, not newer
                    row.seen_round = seen_round
                    writes.append(row)
                continue
            if _same(row, new):
                continue
            if row.change_key != new.change_key or row.starts_at != new.starts_at:
                changed.add(event_id)
            elif any(
                getattr(row, f) != getattr(new, f) for f in ("subject", "body_text", "ends_at")
            ):
                changed.add(event_id)
        else:
            changed.add(event_id)
        writes.append(new)
    if removed:
        CalendarEvent.objects.filter(account=account, event_id__in=removed).delete()
    if writes:
        CalendarEvent.objects.bulk_create(
            writes,
            update_conflicts=True,
            unique_fields=["account", "event_id"],
            update_fields=_FIELDS,
        )
    return changed, removed


def upsert_event(account: CalendarAccount, event: RemoteEvent, *, seen_round: int) -> None:
    """One event into the mirror (a write's answer)."""
    apply_items(account, [event], seen_round=seen_round)
