"""A mailbox's calendar: events laid out into instances, rendered as Graph's JSON, and written
through one path (API, admin, seed) that numbers the change, records removed and moved
instances for delta and queues the change notifications.

Writes: `event_create`, `event_update`, `event_delete`, `event_move_folder`. Each takes the
mailbox's next change number first (a conditional UPDATE of the mailbox row, which also queues
concurrent writers of one mailbox behind each other), then changes the rows, then compares the
instances before and after (`InstanceChange` for each removed or moved one), and after the
commit has the subscriptions notified.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import ids
from .errors import GraphError
from .models import Event, InstanceChange, Mailbox
from .recurrence import RecurrenceError, occurrence_starts, series_bounds, validate
from .timezones import graph_datetime, parse_wall, utc_iso, zone

SHOW_AS = ("free", "tentative", "busy", "oof", "workingElsewhere", "unknown")
SENSITIVITY = ("normal", "personal", "private", "confidential")
RESPONSES = ("none", "organizer", "tentativelyAccepted", "accepted", "declined", "notResponded")
# How far around today a series is laid out to find the instances a write removed or moved.
HORIZON = dt.timedelta(days=730)
FAR_PAST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
FAR_FUTURE = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
# Writable through the API (Graph's read-only properties are ignored, as Graph does).
WRITABLE = {
    "subject",
    "body",
    "start",
    "end",
    "isAllDay",
    "showAs",
    "sensitivity",
    "categories",
    "location",
    "attendees",
    "recurrence",
    "importance",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "responseRequested",
    "isOnlineMeeting",
    "allowNewTimeProposals",
}
READ_ONLY = {
    "id",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
    "type",
    "seriesMasterId",
    "iCalUId",
    "webLink",
    "isCancelled",
    "isOrganizer",
    "responseStatus",
    "organizer",
    "bodyPreview",
    "originalStart",
    "originalStartTimeZone",
    "originalEndTimeZone",
    "hasAttachments",
    "locations",
    "onlineMeeting",
    "onlineMeetingProvider",
    "onlineMeetingUrl",
    "transactionId",
    "isDraft",
    "hideAttendees",
}
# Only the service (admin, seed) sets these: in Graph they follow from meeting responses.
SERVICE_ONLY = {"isCancelled", "responseStatus", "isOrganizer", "organizer"}


# Instances -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One thing a calendar view shows: a single event, an occurrence or an exception."""

    key: str
    row: Event  # the row holding its properties (the master for a plain occurrence)
    master: Event | None
    type: str  # singleInstance, occurrence, exception
    start: dt.datetime
    end: dt.datetime
    original_start: dt.datetime | None


def event_zone(event: Event) -> ZoneInfo:
    return zone(event.time_zone) or ZoneInfo("UTC")


def instances(event: Event, lo: dt.datetime, hi: dt.datetime) -> list[Instance]:
    """The instances of a single event or a series that overlap [lo, hi), by start."""
    if event.deleted_at is not None:
        return []
    if event.type == Event.Type.SINGLE:
        zero_length_inside = event.start == event.end and lo <= event.start
        if event.start < hi and (event.end > lo or zero_length_inside):
            return [Instance(str(event.pk), event, None, event.type, event.start, event.end, None)]
        return []
    if event.type != Event.Type.MASTER or not event.recurrence:
        return []
    duration = event.end - event.start
    exceptions = {exc.original_start: exc for exc in event.exceptions.all()}
    found: list[Instance] = []
    for original in occurrence_starts(
        event.recurrence, first_start=event.start, zone=event_zone(event), until=hi
    ):
        exc = exceptions.pop(original, None)
        key = ids.instance_key(event.pk, original)
        if exc is not None:
            if exc.deleted_at is None and exc.start < hi and exc.end > lo:
                found.append(Instance(key, exc, event, "exception", exc.start, exc.end, original))
        elif original < hi and original + duration > lo:
            found.append(
                Instance(key, event, event, "occurrence", original, original + duration, original)
            )
    for original, exc in exceptions.items():  # moved in from beyond `hi`
        if exc.deleted_at is None and exc.start < hi and exc.end > lo:
            key = ids.instance_key(event.pk, original)
            found.append(Instance(key, exc, event, "exception", exc.start, exc.end, original))
    return sorted(found, key=lambda i: (i.start, i.key))


def snapshot(event: Event, now: dt.datetime | None = None) -> dict[str, tuple]:
    """Every instance's (start, end) by key: all of a single event, a series within HORIZON."""
    if event.type == Event.Type.SINGLE:
        lo, hi = FAR_PAST, FAR_FUTURE
    else:
        now = now or timezone.now()
        lo, hi = now - HORIZON, now + HORIZON
    return {i.key: (i.start, i.end) for i in instances(event, lo, hi)}


def overlapping(mailbox: Mailbox, lo: dt.datetime, hi: dt.datetime):
    """The mailbox's live singles and series masters that may have instances in [lo, hi)."""
    from django.db.models import Q

    return Event.objects.filter(
        mailbox=mailbox,
        type__in=[Event.Type.SINGLE, Event.Type.MASTER],
        deleted_at__isnull=True,
        range_start__lt=hi,
    ).filter(Q(range_end__isnull=True) | Q(range_end__gte=lo))


# Rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """How a request wants events: id format, the zone of start/end, absolute URL base."""

    immutable: bool = False
    zone_name: str = "UTC"
    base_url: str = ""


def event_id(mailbox_pk: int, key: str, event: Event, view: View) -> str:
    return ids.graph_id(mailbox_pk, key, event.folder_generation, view.immutable)


def _when(value: dt.datetime, event: Event, view: View) -> dict:
    target = zone(view.zone_name) or ZoneInfo("UTC")
    if event.is_all_day:
        # An all-day event is floating: the same dates at midnight in whatever zone is asked.
        local = value.astimezone(event_zone(event)).replace(tzinfo=None)
        return {"dateTime": graph_datetime(local), "timeZone": view.zone_name}
    return {
        "dateTime": graph_datetime(value.astimezone(target).replace(tzinfo=None)),
        "timeZone": view.zone_name,
    }


def render(inst: Instance, view: View) -> dict:
    """Graph's event JSON for an instance (API-NOTES §5)."""
    row = inst.row
    mailbox_pk = row.mailbox_id
    top = inst.master or row
    own_id = event_id(mailbox_pk, inst.key, top, view)
    rest = ids.rest_id(mailbox_pk, inst.key, top.folder_generation)
    preview = " ".join(row.body_content.split())[:255]
    organizer = {
        "emailAddress": {
            "name": row.organizer_name or top.mailbox.display_name,
            "address": row.organizer_address or top.mailbox.user_principal_name,
        }
    }
    body = {
        "@odata.etag": f'W/"{row.change_key}"',
        "id": own_id,
        "createdDateTime": utc_iso(row.created_at),
        "lastModifiedDateTime": utc_iso(row.last_modified),
        "changeKey": row.change_key,
        "categories": list(row.categories or []),
        "transactionId": None,
        "originalStartTimeZone": top.time_zone,
        "originalEndTimeZone": top.time_zone,
        "iCalUId": _ical_uid(top, inst.original_start),
        "reminderMinutesBeforeStart": 15,
        "isReminderOn": not row.is_all_day,
        "hasAttachments": False,
        "subject": row.subject,
        "bodyPreview": preview,
        "importance": "normal",
        "sensitivity": row.sensitivity,
        "isAllDay": row.is_all_day,
        "isCancelled": row.is_cancelled,
        "isOrganizer": row.is_organizer,
        "responseRequested": True,
        "seriesMasterId": (
            event_id(mailbox_pk, str(inst.master.pk), inst.master, view) if inst.master else None
        ),
        "showAs": row.show_as,
        "type": inst.type,
        "webLink": f"{view.base_url}/owa/?itemid={quote(rest, safe='')}&exvsurl=1&path=/calendar/item",
        "onlineMeetingUrl": None,
        "isOnlineMeeting": False,
        "onlineMeetingProvider": "unknown",
        "allowNewTimeProposals": True,
        "isDraft": False,
        "hideAttendees": False,
        "responseStatus": {
            "response": row.response,
            "time": "0001-01-01T00:00:00Z"
            if row.response in ("none", "organizer", "notResponded")
            else utc_iso(row.last_modified),
        },
        "body": {"contentType": row.body_type, "content": row.body_content},
        "start": _when(inst.start, row, view),
        "end": _when(inst.end, row, view),
        "location": {
            "displayName": row.location,
            "locationType": "default",
            "uniqueIdType": "unknown" if not row.location else "private",
            "address": {},
            "coordinates": {},
        },
        "locations": [{"displayName": row.location, "locationType": "default"}]
        if row.location
        else [],
        "recurrence": top.recurrence if inst.type == Event.Type.MASTER else None,
        "attendees": list(row.attendees or []),
        "organizer": organizer,
        "onlineMeeting": None,
    }
    if inst.original_start is not None:
        body["originalStart"] = utc_iso(inst.original_start)
    return body


def render_master(event: Event, view: View) -> dict:
    """A series master or single event as `/me/events` lists it."""
    inst = Instance(str(event.pk), event, None, event.type, event.start, event.end, None)
    body = render(inst, view)
    body["recurrence"] = event.recurrence
    return body


def _ical_uid(event: Event, original: dt.datetime | None) -> str:
    if original is None:
        return event.ical_uid
    # Each occurrence has its own iCalUId (API-NOTES §4).
    return f"{event.ical_uid}{original:%Y%m%dT%H%M%SZ}"


# Input -----------------------------------------------------------------------------------


def _bad(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def _parse_when(value, name: str) -> tuple[dt.datetime, str]:
    if not isinstance(value, dict) or "dateTime" not in value:
        raise _bad(f"'{name}' must be a dateTimeTimeZone with dateTime and timeZone.")
    zone_name = str(value.get("timeZone") or "UTC")
    tz = zone(zone_name)
    if tz is None:
        raise _bad(
            f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{zone_name}'.",
            "TimeZoneNotSupportedException",
        )
    try:
        wall = parse_wall(str(value["dateTime"]))
    except ValueError:
        raise _bad(
            f"Cannot convert the literal '{value['dateTime']}' to the expected type 'Edm.DateTime'."
        ) from None
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=tz)
    return wall.astimezone(dt.UTC), zone_name


def parse_fields(data: dict, *, partial: bool, trusted: bool = False) -> dict:
    """Graph's event JSON → Event field values. Unknown properties are refused; read-only ones
    are ignored, except the service-only ones when `trusted` (admin, seed)."""
    if not isinstance(data, dict):
        raise _bad("The request body must be a JSON object.", "BadRequest")
    out: dict = {}
    for name in data:
        if name.startswith("@odata"):
            continue
        if name not in WRITABLE and name not in READ_ONLY:
            raise _bad(
                f"The property '{name}' does not exist on type 'microsoft.graph.event'. "
                "Make sure to only use property names that are defined by the type.",
                "RequestBodyRead",
            )
    if "subject" in data:
        out["subject"] = str(data["subject"] or "")[:255]
    if "body" in data:
        body = data["body"] or {}
        kind = str(body.get("contentType") or "text").lower()
        out["body_type"] = "html" if kind == "html" else "text"
        out["body_content"] = str(body.get("content") or "")
    if "start" in data:
        out["start"], out["time_zone"] = _parse_when(data["start"], "start")
    if "end" in data:
        out["end"], _ = _parse_when(data["end"], "end")
    if "isAllDay" in data:
        out["is_all_day"] = bool(data["isAllDay"])
    if "showAs" in data:
        if data["showAs"] not in SHOW_AS:
            raise _bad(f"Requested value '{data['showAs']}' was not found.")
        out["show_as"] = data["showAs"]
    if "sensitivity" in data:
        if data["sensitivity"] not in SENSITIVITY:
            raise _bad(f"Requested value '{data['sensitivity']}' was not found.")
        out["sensitivity"] = data["sensitivity"]
    if "categories" in data:
        cats = data["categories"] or []
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            raise _bad("'categories' must be a list of strings.")
        out["categories"] = cats
    if "location" in data:
        out["location"] = str((data["location"] or {}).get("displayName") or "")[:255]
    if "attendees" in data:
        out["attendees"] = list(data["attendees"] or [])
    if "recurrence" in data:
        if data["recurrence"] is None:
            out["recurrence"] = None
        else:
            try:
                out["recurrence"] = validate(data["recurrence"])
            except RecurrenceError as exc:
                raise _bad(str(exc)) from None
    if trusted:
        if "isCancelled" in data:
            out["is_cancelled"] = bool(data["isCancelled"])
        if "responseStatus" in data:
            response = (data["responseStatus"] or {}).get("response", "none")
            if response not in RESPONSES:
                raise _bad(f"Unknown response '{response}'.")
            out["response"] = response
            out["is_organizer"] = response == "organizer"
        if "organizer" in data:
            address = (data["organizer"] or {}).get("emailAddress") or {}
            out["organizer_name"] = str(address.get("name") or "")
            out["organizer_address"] = str(address.get("address") or "")
    if not partial and ("start" not in out or "end" not in out):
        raise _bad("An event needs both 'start' and 'end'.")
    return out


# Writes ----------------------------------------------------------------------------------


def _change_key() -> str:
    return base64.b64encode(secrets.token_bytes(18)).decode()


def _next_seq(mailbox: Mailbox) -> int:
    Mailbox.objects.filter(pk=mailbox.pk).update(next_seq=F("next_seq") + 1)
    return Mailbox.objects.filter(pk=mailbox.pk).values_list("next_seq", flat=True)[0]


def _check_times(fields: dict, event: Event) -> None:
    start = fields.get("start", event.start)
    end = fields.get("end", event.end)
    if end < start:
        raise _bad("The end of an event cannot be before its start.")
    if fields.get("is_all_day", event.is_all_day):
        tz = zone(fields.get("time_zone", event.time_zone)) or ZoneInfo("UTC")
        for value in (start, end):
            local = value.astimezone(tz)
            if (local.hour, local.minute, local.second) != (0, 0, 0):
                raise _bad(
                    "Your request can't be completed. If the event is an all-day event, the "
                    "start and end times must be at midnight."
                )


def _set_range(event: Event) -> None:
    if event.type == Event.Type.MASTER and event.recurrence:
        first, last = series_bounds(
            event.recurrence,
            first_start=event.start,
            duration=event.end - event.start,
            zone=event_zone(event),
        )
        event.range_start, event.range_end = min(first, event.start), last
    else:
        event.range_start, event.range_end = event.start, event.end


def _record(mailbox: Mailbox, event: Event, seq: int, before: dict, generation: int) -> None:
    after = snapshot(event)
    moved_folder = generation != event.folder_generation
    InstanceChange.objects.bulk_create(
        [
            InstanceChange(
                mailbox=mailbox,
                seq=seq,
                event=event,
                instance_key=key,
                folder_generation=generation,
                old_start=times[0],
                old_end=times[1],
            )
            for key, times in before.items()
            if moved_folder or after.get(key) != times
        ]
    )


@dataclass(frozen=True)
class Written:
    """What a write did: the event (series master) changed, its change type, the instance."""

    event: Event
    change_type: str
    key: str


def event_create(*, mailbox: Mailbox, data: dict, trusted: bool = False) -> Written:
    """Creates a single event or a series from Graph's JSON; numbers the change and has the
    subscriptions notified after the commit."""
    fields = parse_fields(data, partial=False, trusted=trusted)
    now = timezone.now()
    with transaction.atomic():
        seq = _next_seq(mailbox)
        event = Event(
            mailbox=mailbox,
            created_at=now,
            last_modified=now,
            change_key=_change_key(),
            ical_uid="040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper(),
            organizer_name=mailbox.display_name,
            organizer_address=mailbox.user_principal_name,
            seq=seq,
        )
        for name, value in fields.items():
            setattr(event, name, value)
        _check_times(fields, event)
        event.type = Event.Type.MASTER if event.recurrence else Event.Type.SINGLE
        _set_range(event)
        event.save()
        _notify_after_commit(mailbox, event, "created")
    return Written(event, "created", str(event.pk))


def find(mailbox: Mailbox, graph_id: str) -> tuple[Event, dt.datetime | None]:
    """The event (series master for an occurrence) and the occurrence's original start that an
    id names in this mailbox; 404 itemNotFound otherwise (also for a default id from before a
    folder move)."""
    parsed = ids.parse(graph_id)
    missing = GraphError(
        404, "ErrorItemNotFound", "The specified object was not found in the store."
    )
    if parsed is None or parsed.mailbox_pk != mailbox.pk:
        raise missing
    event = Event.objects.filter(pk=parsed.event_pk, mailbox=mailbox).first()
    if event is None or event.deleted_at is not None or event.type == Event.Type.EXCEPTION:
        raise missing
    if parsed.folder_generation is not None and parsed.folder_generation != event.folder_generation:
        raise missing
    if parsed.original_start is not None:
        if event.type != Event.Type.MASTER:
            raise missing
        exc = event.exceptions.filter(original_start=parsed.original_start).first()
        if exc is not None and exc.deleted_at is not None:
            raise missing
        if exc is None and not _is_occurrence(event, parsed.original_start):
            raise missing
    return event, parsed.original_start


def _is_occurrence(master: Event, original: dt.datetime) -> bool:
    for start in occurrence_starts(
        master.recurrence, first_start=master.start, zone=event_zone(master), until=original
    ):
        if start == original:
            return True
    return False


def instance_of(event: Event, original: dt.datetime | None) -> Instance:
    """The instance an id names (found by `find`)."""
    if original is None:
        return Instance(str(event.pk), event, None, event.type, event.start, event.end, None)
    key = ids.instance_key(event.pk, original)
    exc = event.exceptions.filter(original_start=original).first()
    if exc is not None:
        return Instance(key, exc, event, "exception", exc.start, exc.end, original)
    end = original + (event.end - event.start)
    return Instance(key, event, event, "occurrence", original, end, original)


def _exception_for(master: Event, original: dt.datetime, now: dt.datetime) -> Event:
    exc = master.exceptions.filter(original_start=original).first()
    if exc is not None:
        return exc
    duration = master.end - master.start
    exc = Event(
        mailbox=master.mailbox,
        type=Event.Type.EXCEPTION,
        series_master=master,
        original_start=original,
        start=original,
        end=original + duration,
        range_start=original,
        range_end=original + duration,
        created_at=now,
        last_modified=now,
        ical_uid=master.ical_uid,
    )
    for name in (
        "subject",
        "body_content",
        "body_type",
        "time_zone",
        "is_all_day",
        "show_as",
        "sensitivity",
        "categories",
        "is_cancelled",
        "response",
        "is_organizer",
        "organizer_name",
        "organizer_address",
        "attendees",
        "location",
    ):
        setattr(exc, name, getattr(master, name))
    return exc


def event_update(
    *, mailbox: Mailbox, graph_id: str, data: dict, trusted: bool = False
) -> tuple[Written, Instance]:
    """Changes an event, a series (its master) or one occurrence (which becomes an exception);
    a new changeKey each time. Numbers the change; subscriptions notified after the commit."""
    fields = parse_fields(data, partial=True, trusted=trusted)
    now = timezone.now()
    with transaction.atomic():
        seq = _next_seq(mailbox)
        event, original = find(mailbox, graph_id)
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = snapshot(event, now)
        if original is not None:
            fields.pop("recurrence", None)
            target = _exception_for(event, original, now)
        else:
            target = event
            if event.type == Event.Type.MASTER and ({"start", "end", "recurrence"} & set(fields)):
                # Graph drops a series' exceptions when its pattern or times change.
                event.exceptions.all().delete()
        for name, value in fields.items():
            setattr(target, name, value)
        _check_times(fields, target)
        if original is None:
            target.type = Event.Type.MASTER if target.recurrence else Event.Type.SINGLE
        target.change_key = _change_key()
        target.last_modified = now
        target.seq = seq
        _set_range(target)
        if target.type == Event.Type.EXCEPTION:
            target.range_start, target.range_end = target.start, target.end
        target.save()
        if target is not event:
            event.seq = seq
            event.change_key = _change_key()
            event.last_modified = now
            event.save(update_fields=["seq", "change_key", "last_modified"])
        _record(mailbox, event, seq, before, event.folder_generation)
        _notify_after_commit(mailbox, event, "updated")
    return Written(event, "updated", str(event.pk)), instance_of(event, original)


def event_delete(*, mailbox: Mailbox, graph_id: str) -> Written:
    """Deletes an event or a series, or cancels one occurrence; numbers the change and has the
    subscriptions notified after the commit."""
    now = timezone.now()
    with transaction.atomic():
        seq = _next_seq(mailbox)
        event, original = find(mailbox, graph_id)
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = snapshot(event, now)
        if original is not None:
            exc = _exception_for(event, original, now)
            exc.deleted_at = now
            exc.seq = seq
            exc.change_key = _change_key()
            exc.save()
            event.change_key = _change_key()
            change = "updated"
        else:
            event.deleted_at = now
            change = "deleted"
        event.seq = seq
        event.last_modified = now
        event.save()
        _record(mailbox, event, seq, before, event.folder_generation)
        _notify_after_commit(mailbox, event, change)
    return Written(event, change, str(event.pk))


def event_move_folder(*, event: Event) -> Event:
    """Moves an event (a series) to another folder and back, as Outlook does when an item is
    moved: its default (REST) id changes, its immutable id stays. Numbers the change."""
    mailbox = event.mailbox
    with transaction.atomic():
        seq = _next_seq(mailbox)
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = snapshot(event)
        generation = event.folder_generation
        event.folder_generation = generation + 1
        event.seq = seq
        event.change_key = _change_key()
        event.last_modified = timezone.now()
        event.save()
        _record(mailbox, event, seq, before, generation)
        _notify_after_commit(mailbox, event, "updated")
    return event


def _notify_after_commit(mailbox: Mailbox, event: Event, change_type: str) -> None:
    from .notifications import notify_change

    transaction.on_commit(
        lambda: notify_change(mailbox_id=mailbox.pk, event_id=event.pk, change_type=change_type)
    )
