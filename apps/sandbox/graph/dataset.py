"""Bulk calendars for benchmarks: a year of events in one mailbox, seeded (the same arguments
give the same calendar), written in bulk (no notifications; one change number each)."""

from __future__ import annotations

import base64
import datetime as dt
import random
import uuid
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .events import _set_range
from .models import Event, Mailbox
from .recurrence import validate

SUBJECTS = (
    "Customer meeting",
    "Project status",
    "Design review",
    "Planning",
    "One-to-one",
    "Workshop",
    "Sales call",
    "Support follow-up",
    "Lunch meeting",
    "Training",
)
CATEGORIES = (["Customer work"], ["Internal"], [], ["Tidsbro"], ["Sales"])


@transaction.atomic
def dataset(
    *, mailbox: Mailbox, events: int, seed: int = 2026, start: dt.date | None = None
) -> int:
    """Adds `events` events over the year from `start` (default: half a year ago) on working
    days 08:00–17:00 in the mailbox's zone; about one in fifty is a weekly series, the rest
    single events with a mix of all-day, free, private, declined and cancelled ones."""
    rng = random.Random(f"{seed}:{mailbox.user_principal_name}")
    zone = ZoneInfo(mailbox.time_zone)
    now = timezone.now()
    start = start or (now.astimezone(zone).date() - dt.timedelta(days=182))
    Mailbox.objects.filter(pk=mailbox.pk).update(next_seq=F("next_seq") + events)
    top = Mailbox.objects.filter(pk=mailbox.pk).values_list("next_seq", flat=True)[0]
    rows = []
    for number in range(events):
        day = start + dt.timedelta(days=rng.randrange(365))
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        hour, minute = rng.randrange(8, 16), rng.choice((0, 15, 30, 45))
        begin = dt.datetime.combine(day, dt.time(hour, minute), zone)
        length = dt.timedelta(minutes=rng.choice((15, 30, 30, 45, 60, 60, 90, 120)))
        roll = rng.random()
        event = Event(
            mailbox=mailbox,
            subject=f"{rng.choice(SUBJECTS)} {number + 1}",
            body_content="",
            start=begin.astimezone(dt.UTC),
            end=(begin + length).astimezone(dt.UTC),
            time_zone=mailbox.time_zone,
            categories=rng.choice(CATEGORIES),
            organizer_name=mailbox.display_name,
            organizer_address=mailbox.user_principal_name,
            ical_uid="040000008200E00074C5B7101A82E008"
            + uuid.UUID(int=rng.getrandbits(128)).hex.upper(),
            change_key=base64.b64encode(rng.randbytes(18)).decode(),
            created_at=now,
            last_modified=now,
            seq=top - events + number + 1,
        )
        if roll < 0.02:
            event.type = Event.Type.MASTER
            event.recurrence = validate(
                {
                    "pattern": {
                        "type": "weekly",
                        "interval": 1,
                        "daysOfWeek": [day.strftime("%A").lower()],
                    },
                    "range": {
                        "type": "numbered",
                        "startDate": day.isoformat(),
                        "numberOfOccurrences": rng.randrange(4, 26),
                    },
                }
            )
        elif roll < 0.07:
            event.is_all_day = True
            local = dt.datetime.combine(day, dt.time(), zone)
            event.start, event.end = (
                local.astimezone(dt.UTC),
                (local + dt.timedelta(days=1)).astimezone(dt.UTC),
            )
            event.show_as = "oof"
        elif roll < 0.12:
            event.show_as = "free"
        elif roll < 0.16:
            event.sensitivity = "private"
        elif roll < 0.19:
            event.response, event.is_organizer = "declined", False
        elif roll < 0.21:
            event.is_cancelled = True
        _set_range(event)
        rows.append(event)
    Event.objects.bulk_create(rows, batch_size=500)
    return len(rows)
