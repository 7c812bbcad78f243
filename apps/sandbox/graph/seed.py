"""The sandbox's fixed coordinates and its demo data: the app registration, the demo office's
people as mailboxes with seeded calendars (README "Coordinates")."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import ids
from .events import event_create, event_update
from .models import App, Mailbox

CLIENT_ID = "tidsbro-demo-graph"
CLIENT_SECRET = "tidsbro-demo-graph-secret"  # noqa: S105 - the published sandbox app secret
PUBLIC_CLIENT_ID = "tidsbro-demo-graph-public"
PASSWORD = "tidsbro-demo"  # noqa: S105 - the published demo login
CALLBACK_PATHS = (
    "/integrations/oauth/graph/callback/",
    "/me/calendar/callback/",
    "/sandbox/graph/test-callback",
)
# (first name, last name, e-mail, zone) when the demo office is not installed (tests).
FALLBACK_PEOPLE = [
    ("Kari", "Hansen", "kari@tidsbro.no", "Europe/Oslo"),
    ("Lars", "Olsen", "lars@tidsbro.no", "Europe/Oslo"),
    ("Linnea", "Svensson", "linnea@tidsbro.no", "Europe/Stockholm"),
    ("Emma", "Haugland", "emma@tidsbro.no", "America/New_York"),
]
OBJECT_NAMESPACE = uuid.UUID("0b7f1c3e-4d2a-4f6b-9c8d-1e2f3a4b5c6d")


def _redirect_uris() -> list[str]:
    base = getattr(settings, "TIDSBRO_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    hosts = {base, "http://127.0.0.1:8000", "http://localhost:8000"}
    return sorted(f"{host}{path}" for host in hosts for path in CALLBACK_PATHS)


def apps_seed() -> tuple[App, App]:
    """The confidential app (secret + PKCE) and a public one (PKCE only)."""
    confidential, _ = App.objects.update_or_create(
        client_id=CLIENT_ID,
        defaults={
            "name": "Tidsbro (demo)",
            "client_secret": CLIENT_SECRET,
            "redirect_uris": _redirect_uris(),
        },
    )
    public, _ = App.objects.update_or_create(
        client_id=PUBLIC_CLIENT_ID,
        defaults={
            "name": "Tidsbro (public demo client)",
            "client_secret": "",
            "redirect_uris": _redirect_uris(),
        },
    )
    return confidential, public


def people() -> list[tuple[str, str, str, str]]:
    try:
        from apps.demo.office import PEOPLE, ZONES
    except ImportError:  # the demo app is not installed
        return FALLBACK_PEOPLE
    return [(p.first_name, p.last_name, p.address, ZONES[p.country]) for p in PEOPLE]


def mailbox_for(first: str, last: str, email: str, zone: str) -> Mailbox:
    mailbox, _ = Mailbox.objects.get_or_create(
        user_principal_name=email.lower(),
        defaults={
            "display_name": f"{first} {last}".strip(),
            "password": PASSWORD,
            "object_id": uuid.uuid5(OBJECT_NAMESPACE, email.lower()),
            "time_zone": zone,
        },
    )
    return mailbox


def _when(day: dt.date, hour: int, minute: int, zone: str) -> dict:
    return {"dateTime": f"{day.isoformat()}T{hour:02d}:{minute:02d}:00", "timeZone": zone}


def calendar_seed(mailbox: Mailbox, *, today: dt.date | None = None) -> int:
    """A working fortnight around `today` in the mailbox's calendar: meetings, a weekly series
    with one moved occurrence, an all-day event, a free, a private, a declined and a cancelled
    meeting. Skipped when the mailbox has events already; returns how many were made."""
    if mailbox.events.exists():
        return 0
    zone = mailbox.time_zone
    today = today or timezone.now().astimezone(ZoneInfo(zone)).date()
    monday = today - dt.timedelta(days=today.weekday())
    made = 0

    def add(data: dict) -> dict:
        nonlocal made
        made += 1
        return event_create(mailbox=mailbox, data=data, trusted=True)

    add(
        {
            "subject": "Project kick-off",
            "body": {"contentType": "text", "content": "Scope, plan and roles."},
            "start": _when(monday, 9, 0, zone),
            "end": _when(monday, 10, 30, zone),
            "categories": ["Customer work"],
            "location": {"displayName": "Room Fjord"},
        }
    )
    add(
        {
            "subject": "Design review",
            "start": _when(monday + dt.timedelta(days=2), 13, 0, zone),
            "end": _when(monday + dt.timedelta(days=2), 14, 0, zone),
            "categories": ["Internal"],
        }
    )
    add(
        {
            "subject": "Customer workshop",
            "start": _when(monday + dt.timedelta(days=8), 10, 0, zone),
            "end": _when(monday + dt.timedelta(days=8), 12, 0, zone),
            "categories": ["Customer work"],
        }
    )
    series = add(
        {
            "subject": "Weekly status",
            "start": _when(monday - dt.timedelta(days=14), 8, 30, zone),
            "end": _when(monday - dt.timedelta(days=14), 9, 0, zone),
            "categories": ["Internal"],
            "recurrence": {
                "pattern": {
                    "type": "weekly",
                    "interval": 1,
                    "daysOfWeek": ["monday"],
                    "firstDayOfWeek": "monday",
                },
                "range": {
                    "type": "noEnd",
                    "startDate": (monday - dt.timedelta(days=14)).isoformat(),
                    "recurrenceTimeZone": zone,
                },
            },
        }
    )
    # This week's occurrence moved to Tuesday 10:00: an exception.
    original = (
        dt.datetime.combine(monday, dt.time(8, 30))
        .replace(tzinfo=ZoneInfo(zone))
        .astimezone(dt.UTC)
    )
    event_update(
        mailbox=mailbox,
        graph_id=ids.immutable_id(mailbox.pk, ids.instance_key(series.event.pk, original)),
        data={
            "start": _when(monday + dt.timedelta(days=1), 10, 0, zone),
            "end": _when(monday + dt.timedelta(days=1), 10, 30, zone),
            "subject": "Weekly status (moved)",
        },
        trusted=True,
    )
    add(
        {
            "subject": "Company conference",
            "isAllDay": True,
            "showAs": "oof",
            "start": _when(monday + dt.timedelta(days=3), 0, 0, zone),
            "end": _when(monday + dt.timedelta(days=4), 0, 0, zone),
        }
    )
    add(
        {
            "subject": "Focus time",
            "showAs": "free",
            "start": _when(monday + dt.timedelta(days=1), 13, 0, zone),
            "end": _when(monday + dt.timedelta(days=1), 15, 0, zone),
        }
    )
    add(
        {
            "subject": "Doctor",
            "sensitivity": "private",
            "start": _when(monday + dt.timedelta(days=4), 8, 0, zone),
            "end": _when(monday + dt.timedelta(days=4), 9, 0, zone),
        }
    )
    add(
        {
            "subject": "Vendor demo",
            "responseStatus": {"response": "declined"},
            "organizer": {"emailAddress": {"name": "Vendor AS", "address": "sales@vendor.example"}},
            "start": _when(monday + dt.timedelta(days=2), 15, 0, zone),
            "end": _when(monday + dt.timedelta(days=2), 16, 0, zone),
        }
    )
    add(
        {
            "subject": "Steering group",
            "isCancelled": True,
            "responseStatus": {"response": "accepted"},
            "organizer": {"emailAddress": {"name": "Astrid Haugen", "address": "admin@tidsbro.no"}},
            "start": _when(monday + dt.timedelta(days=9), 14, 0, zone),
            "end": _when(monday + dt.timedelta(days=9), 15, 0, zone),
        }
    )
    return made


@transaction.atomic
def seed(*, demo_office: bool = False) -> dict:
    """Idempotent: the app registrations, the mailboxes (the demo office's people with
    --demo-office, else four) and their seeded calendars."""
    apps_seed()
    chosen = people() if demo_office else FALLBACK_PEOPLE
    boxes = [mailbox_for(*person) for person in chosen]
    events = sum(calendar_seed(box) for box in boxes)
    return {"mailboxes": len(boxes), "events": events}
