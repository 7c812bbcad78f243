"""Event ids: the default (REST) id and the immutable id, both opaque, case-sensitive strings.

The sandbox's model (API-NOTES §4): an instance has a *key* — the event's number, for an
occurrence or exception the series master's number and the occurrence's original start. The
immutable id (`Prefer: IdType="ImmutableId"`) encodes the mailbox and the key only, so it stays
the same for the event's life in the mailbox. The default id also encodes the event's folder
generation, so it changes each time the event is moved to another folder (the admin's "Move to
another folder and back"); the old default id then answers 404. Rescheduling never changes an
id. Both forms are accepted wherever an id is (delta tokens work with either).
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

REST_PREFIX = "AAMkAGI2"
IMMUTABLE_PREFIX = "AAkALgAA"


def instance_key(event_pk: int, original_start: dt.datetime | None = None) -> str:
    if original_start is None:
        return str(event_pk)
    return f"{event_pk}.{original_start.astimezone(dt.UTC):%Y%m%d%H%M%S}"


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _unb64(text: str) -> str:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()


def rest_id(mailbox_pk: int, key: str, folder_generation: int) -> str:
    return REST_PREFIX + _b64(f"R:{mailbox_pk}:{folder_generation}:{key}")


def immutable_id(mailbox_pk: int, key: str) -> str:
    return IMMUTABLE_PREFIX + _b64(f"I:{mailbox_pk}:{key}")


def graph_id(mailbox_pk: int, key: str, folder_generation: int, immutable: bool) -> str:
    if immutable:
        return immutable_id(mailbox_pk, key)
    return rest_id(mailbox_pk, key, folder_generation)


@dataclass(frozen=True)
class ParsedId:
    mailbox_pk: int
    event_pk: int
    original_start: dt.datetime | None
    folder_generation: int | None  # None: an immutable id

    @property
    def key(self) -> str:
        return instance_key(self.event_pk, self.original_start)


def parse(value: str) -> ParsedId | None:
    """What an id names, None for anything the sandbox did not hand out."""
    try:
        if value.startswith(REST_PREFIX):
            kind, mailbox, generation, key = _unb64(value[len(REST_PREFIX) :]).split(":")
            if kind != "R":
                return None
            folder_generation: int | None = int(generation)
        elif value.startswith(IMMUTABLE_PREFIX):
            kind, mailbox, key = _unb64(value[len(IMMUTABLE_PREFIX) :]).split(":")
            if kind != "I":
                return None
            folder_generation = None
        else:
            return None
        event, _, stamp = key.partition(".")
        original = (
            dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC) if stamp else None
        )
        return ParsedId(int(mailbox), int(event), original, folder_generation)
    except (ValueError, UnicodeDecodeError):
        return None
