"""How 24SevenOffice reports trouble, turned into the connector's own errors.

Pure functions over fault texts so they can be tested without any SOAP traffic. Known texts
(API-NOTES §3.4, §3.6, §5, §6):

- quarantine: "Limit exceeded by N. Request is blocked. Quarantine ends at <time>";
- expired or missing session: "Client is not authenticated on this identity", or a fault
  that points at the authenticate service / asks to log in again;
- blocked identity: "Provided IdentityId is blocked. Please use GetIdentitiesWithCredential …".
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta

from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
)

__all__ = [
    "AuthFailed",
    "ConnectorError",
    "FaultKind",
    "RateLimited",
    "Rejected",
    "Unavailable",
    "classify_fault",
    "quarantine_end",
]


class FaultKind(enum.Enum):
    QUARANTINE = "quarantine"
    SESSION = "session"  # the session is gone: log in again and retry once
    IDENTITY = "identity"  # the identity is blocked or not available: a human must choose
    TRANSIENT = "transient"  # the server had a passing problem: retry later
    REJECTED = "rejected"  # anything else: the request itself was refused


_QUARANTINE = re.compile(r"limit\s+exceeded|request\s+is\s+blocked|quarantine", re.IGNORECASE)
_QUARANTINE_END = re.compile(
    r"quarantine\s+ends\s+at\s*:?\s*(?P<when>.+)", re.IGNORECASE | re.DOTALL
)
_SESSION = re.compile(
    r"not\s+authenticated"
    r"|not\s+logged\s+in"
    r"|no\s+(?:valid\s+|active\s+)?session"
    r"|session\s+(?:has\s+|is\s+)?(?:expired|timed\s+out|invalid|not\s+found|missing)"
    r"|invalid\s+session"
    r"|authenticate\.asmx"
    r"|please\s+(?:log\s*in|login|authenticate)",
    re.IGNORECASE,
)
_IDENTITY = re.compile(r"identity\S*\s+is\s+blocked|identity\s+is\s+disabled", re.IGNORECASE)
_TRANSIENT = re.compile(
    r"timeout\s+expired|deadlock|temporarily\s+unavailable|service\s+unavailable"
    r"|server\s+is\s+busy|try\s+again\s+later",
    re.IGNORECASE,
)

# Formats a .NET server may print a DateTime in; ISO-8601 is tried first.
_DATETIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",  # en-US, the invariant default of DateTime.ToString()
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",  # nb-NO
    "%d.%m.%Y %H.%M.%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def classify_fault(message: str | None) -> FaultKind:
    """Sort a SOAP fault text into what the client should do about it."""
    text = message or ""
    if _QUARANTINE.search(text):
        return FaultKind.QUARANTINE
    if _IDENTITY.search(text):
        return FaultKind.IDENTITY
    if _SESSION.search(text):
        return FaultKind.SESSION
    if _TRANSIENT.search(text):
        return FaultKind.TRANSIENT
    return FaultKind.REJECTED


def quarantine_end(message: str | None, *, now: datetime) -> datetime:
    """When a quarantine fault says the block ends (UTC); the next full hour if unreadable.

    24SO blocks "until the next hour"; times without an offset are taken as UTC like every
    other 24SO time. An end in the past (clock skew) still yields at least `now`.
    """
    fallback = (now.astimezone(UTC) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    match = _QUARANTINE_END.search(message or "")
    if not match:
        return fallback
    when = _parse_datetime(match.group("when"))
    if when is None:
        return fallback
    return max(when, now.astimezone(UTC))


def _parse_datetime(text: str) -> datetime | None:
    # Keep only the time itself: drop trailing sentence punctuation and anything after it.
    candidate = text.strip().splitlines()[0].strip() if text.strip() else ""
    candidate = re.sub(r"\s*(?:\(?UTC\)?|GMT)\s*\.?$", "", candidate, flags=re.IGNORECASE)
    candidate = candidate.rstrip(" .")
    if not candidate:
        return None
    iso = candidate.replace("Z", "+00:00") if candidate.endswith("Z") else candidate
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        parsed = None
        for fmt in _DATETIME_FORMATS:
            try:
                parsed = datetime.strptime(candidate, fmt)
            except ValueError:
                continue
            break
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
