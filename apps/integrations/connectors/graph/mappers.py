"""Graph's event JSON ↔ the calendar vocabulary (`apps.calendars.providers`).

Read: `start`/`end` are `{dateTime (no offset, up to 7 fractional digits), timeZone}` — the
zone is the one asked with `Prefer: outlook.timezone` (UTC); they become aware UTC datetimes.
A private event keeps its subject in the person's own mirror; `sensitivity` says it is
private and the pages never show or copy it. Bad input (missing fields, unreadable dates)
raises `Unavailable` with a clear message, never something else.
Write: subject, plain-text body, start/end in the person's IANA zone, category "Tidsbro",
shown as free.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apps.calendars.providers import EventWrite, RemoteEvent, Removed
from apps.integrations.connectors.base import Unavailable

LABEL = "Microsoft Graph"
_DATETIME = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.(?P<frac>\d+))?(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h\d)\s*/?\s*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# Windows zone names Graph may use when no zone was asked (the common ones).
WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "GMT Standard Time": "Europe/London",
    "FLE Standard Time": "Europe/Helsinki",
    "Eastern Standard Time": "America/New_York",
    "Pacific Standard Time": "America/Los_Angeles",
}


def bad(message: str) -> Unavailable:
    return Unavailable(f"{LABEL} sent an event Tidsbro cannot read: {message}", operation="read")


def _zone(name: str) -> ZoneInfo:
    name = (name or "UTC").strip()
    try:
        return ZoneInfo(WINDOWS_ZONES.get(name, name))
    except (ZoneInfoNotFoundError, ValueError):
        raise bad(f"unknown time zone {name[:60]!r}") from None


def parse_datetime(value: Any, zone_name: str = "UTC") -> datetime:
    """Graph's `dateTime` (no offset, 7 fractional digits) in `zone_name` → aware UTC."""
    match = _DATETIME.match(str(value or "").strip())
    if not match:
        raise bad(f"unreadable date and time {str(value)[:40]!r}")
    frac = (match["frac"] or "")[:6].ljust(6, "0")
    text = f"{match['base']}.{frac}"
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise bad(f"unreadable date and time {str(value)[:40]!r}") from None
    if match["tz"]:
        offset = match["tz"].replace("Z", "+00:00")
        return datetime.fromisoformat(text + offset).astimezone(UTC)
    return naive.replace(tzinfo=_zone(zone_name)).astimezone(UTC)


def graph_datetime(value: datetime, zone_name: str) -> str:
    """An aware datetime as Graph's wall-clock `dateTime` in `zone_name`."""
    local = value.astimezone(_zone(zone_name)).replace(tzinfo=None)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0"


def body_text(body: Any, preview: Any = "") -> str:
    """The event's notes as plain text (from html or text content)."""
    if not isinstance(body, Mapping):
        return str(preview or "")
    content = str(body.get("content") or "")
    if str(body.get("contentType") or "").lower() == "html":
        content = _HIDDEN.sub("", content)
        content = _BREAKS.sub("\n", content)
        content = html.unescape(_TAGS.sub("", content))
        lines = [" ".join(line.split()) for line in content.splitlines()]
        content = "\n".join(line for line in lines if line)
    return content.strip()


def _when(data: Mapping[str, Any], name: str) -> datetime:
    value = data.get(name)
    if not isinstance(value, Mapping) or "dateTime" not in value:
        raise bad(f"no {name} time")
    return parse_datetime(value.get("dateTime"), str(value.get("timeZone") or "UTC"))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def remote_event(data: Any) -> RemoteEvent | Removed:
    """One item of a delta page or an event answer."""
    if not isinstance(data, Mapping):
        raise bad("an item is not an object")
    event_id = data.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise bad("an item has no id")
    if "@removed" in data:
        return Removed(id=event_id)
    start, end = _when(data, "start"), _when(data, "end")
    if end < start:
        raise bad("an event ends before it starts")
    status = data.get("responseStatus")
    response = _text(status.get("response")) if isinstance(status, Mapping) else ""
    categories = data.get("categories") or []
    if not isinstance(categories, list):
        raise bad("categories are not a list")
    modified = data.get("lastModifiedDateTime")
    return RemoteEvent(
        id=event_id,
        subject=_text(data.get("subject")),
        start=start,
        end=end,
        type=_text(data.get("type")) or "singleInstance",
        series_master_id=_text(data.get("seriesMasterId")),
        ical_uid=_text(data.get("iCalUId")),
        change_key=_text(data.get("changeKey")),
        body_text=body_text(data.get("body"), data.get("bodyPreview")),
        is_all_day=bool(data.get("isAllDay")),
        show_as=_text(data.get("showAs")) or "busy",
        is_cancelled=bool(data.get("isCancelled")),
        response=response,
        sensitivity=_text(data.get("sensitivity")) or "normal",
        is_organizer=bool(data.get("isOrganizer", True)),
        categories=tuple(str(c) for c in categories if isinstance(c, str)),
        web_link=_text(data.get("webLink")),
        last_modified=parse_datetime(modified) if modified else None,
    )


def event_body(write: EventWrite) -> dict[str, Any]:
    """Graph's JSON for creating or changing an event Tidsbro writes."""
    zone = write.time_zone or "UTC"
    _zone(zone)
    return {
        "subject": write.subject,
        "body": {"contentType": "text", "content": write.body_text},
        "start": {"dateTime": graph_datetime(write.start, zone), "timeZone": zone},
        "end": {"dateTime": graph_datetime(write.end, zone), "timeZone": zone},
        "categories": list(write.categories),
        "showAs": write.show_as,
    }
