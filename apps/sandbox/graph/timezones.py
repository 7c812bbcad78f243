"""Zone names as Outlook takes them: IANA names and the Windows names Outlook prefers."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WINDOWS_ZONES = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central Europe Standard Time": "Europe/Budapest",
    "Central European Standard Time": "Europe/Warsaw",
    "GMT Standard Time": "Europe/London",
    "FLE Standard Time": "Europe/Helsinki",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "Tokyo Standard Time": "Asia/Tokyo",
}


def zone(name: str) -> ZoneInfo | None:
    """The zone a Windows or IANA name means, None for a name Outlook would not know."""
    name = (name or "").strip()
    if not name:
        return None
    iana = WINDOWS_ZONES.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def graph_datetime(value: dt.datetime) -> str:
    """Graph's wall-clock `dateTime`: no offset, 7 fractional digits."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"


def parse_wall(text: str) -> dt.datetime:
    """A `dateTime` as Graph sends it (up to 7 fractional digits, no offset expected; an offset
    given is honoured). Raises ValueError."""
    text = (text or "").strip()
    if "." in text:
        head, frac = text.split(".", 1)
        digits = "".join(c for c in frac if c.isdigit())
        tail = frac[len(digits) :]
        text = f"{head}.{(digits + '000000')[:6]}{tail}"
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return dt.datetime.fromisoformat(text)


def utc_iso(value: dt.datetime) -> str:
    """An instant as Graph writes `lastModifiedDateTime`: UTC, 7 fractional digits, Z."""
    return graph_datetime(value.astimezone(dt.UTC)) + "Z"
