"""Hours → e-conomic time entries (projectsapi `TimeEntries`), pushed only.

Tidsbro owns hours; e-conomic gets them by the connection's transfer mode and keeps them in
step after (edit, delete). The canonical values are the hour adapter's
(`apps.integrations.adapters.hours`).

- create: `POST TimeEntries` {employeeNumber, projectNumber, activityNumber, date, numberOfHours,
  text} with the outbox item's `Idempotency-Key`: a create that timed out after e-conomic stored
  the entry is answered with that entry when retried (within e-conomic's hour). The text ends with
  the hour's reference token (" [TB-<id>]"), and `find` looks for it among the employee's entries
  of that day: exactly once even when the key has expired.
- The employee is the user's binding; an unmapped user's hours go on the connection's
  `integration_employee` and the binding is flagged (the office sees whose hours they are).
- update: read (`GET TimeEntries/{n}`) and `PUT TimeEntries` with its `objectVersion` (a 409 is
  read again and tried once more); nothing is written when e-conomic already holds the values.
  e-conomic does not let an approved entry change: that is refused with the reason.
- delete: `DELETE TimeEntries/{n}`; one already gone counts as deleted.
- Approval: an hour is pushed when approved here, and (connection setting `approve_hours`, on
  unless switched off) approved in e-conomic too — one `POST TimeEntries/approve` for every
  entry a push batch created or changed (`finish_push`), so a push costs ≈ 1 request per hour.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext

from apps.integrations.connectors.base import ConnectorError, Rejected, Unavailable
from apps.integrations.sync.types import RemoteRecord

logger = logging.getLogger(__name__)

PATH = "TimeEntries"
# e-conomic's text of a time entry holds up to this many characters (the sandbox's column).
MAX_TEXT = 1000
# The connection's pending approvals live on the connector under this name (one push batch).
_PENDING = "_hours_to_approve"
# Time entries read in this batch (by `find` or `update`), by number.
_READ = "_hour_documents"
# The hours (refs) whose create is a retry in this batch (`find` was asked first).
_RETRIED = "_hours_retried"
# The properties Tidsbro writes; the rest of a time entry is kept as e-conomic has it.
WRITTEN = ("employeeNumber", "projectNumber", "activityNumber", "date", "numberOfHours", "text")
READ_ONLY = ("isApproved", "isReconciled", "lastUpdated")


class ApprovalFailed(ConnectorError):
    """Entries were written but e-conomic did not approve them; `external_ids` names them
    (their outbox items are tried again), `rejected` says whether retrying can help."""

    def __init__(
        self, message: str, *, external_ids: tuple[str, ...], rejected: bool, operation: str = ""
    ) -> None:
        super().__init__(message, operation=operation)
        self.external_ids = external_ids
        self.rejected = rejected
        self.messages = (message,)


# --- reading (hours are push-only) ------------------------------------------------------------


def fetch(conn: Any, entity: str, *, since: Any) -> Iterator[list[RemoteRecord]]:
    """Nothing: e-conomic's time entries are not imported (Tidsbro registers the hours)."""
    return iter(())


def next_cursor(conn: Any, entity: str, run_started: datetime) -> str:
    return ""


def fetch_ids(conn: Any, entity: str) -> set[str]:
    return set()


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    """One time entry as canonical values (for a look at what e-conomic holds), or None."""
    document = _read(conn, external_id)
    if document is None:
        return None
    return RemoteRecord(external_id=str(external_id), values=values_of(document))


def values_of(document: dict[str, Any]) -> dict[str, Any]:
    """A time entry as the hour's canonical values (what e-conomic holds of them; pure)."""
    text = str(document.get("text") or "")
    ref = ""
    if text.endswith("]") and " [" in f" {text}":
        head, _sep, token = f" {text}".rpartition(" [")
        ref, text = token[:-1], head.strip()
    number = document.get("employeeNumber")
    return {
        "date": str(document.get("date") or "")[:10],
        "hours": _hours_text(document.get("numberOfHours")),
        "project": _id(document.get("projectNumber")),
        "work_type": _id(document.get("activityNumber")),
        "user": _id(number),
        "description": text,
        "ref": ref,
    }


# --- pushing ---------------------------------------------------------------------------------


def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    """The time entry an earlier create of this hour made, or None: the employee's entries of
    that day whose text carries the hour's token (one request)."""
    from apps.integrations.connectors.economic.apis import PROJECTS

    ref = str(values.get("ref") or "")
    if not ref or not values.get("date"):
        return None
    # A retried create: if the look-up misses, the create's key may still replay the entry
    # made first (e.g. before the hour moved to another day): `create` checks it then.
    conn.__dict__.setdefault(_RETRIED, set()).add(ref)
    employee, _flag = employee_of(conn, values)
    day = _day(values)
    query = (
        f"employeeNumber$eq:{employee}"
        f"$and:date$gte:{_moment(day)}$and:date$lt:{_moment(day + timedelta(days=1))}"
        f"$and:text$like:{_escape(ref)}"
    )
    token = f"[{ref}]"
    matches = [
        item
        for page in conn.apis.iter_pages(PROJECTS, PATH, filter=query)
        for item in page
        if str(item.get("text") or "").rstrip().endswith(token)
    ]
    if not matches:
        return None
    if len(matches) > 1:
        # Never a second: if an earlier round did make one, the office picks which to keep.
        raise Rejected(
            gettext(
                "e-conomic holds %(count)d time entries for hour %(ref)s (numbers %(numbers)s): "
                "delete the extra ones there, then retry."
            )
            % {
                "count": len(matches),
                "ref": ref,
                "numbers": ", ".join(str(m.get("number")) for m in matches),
            },
            operation="find time entry",
        )
    found = matches[0]
    _remember(conn, found)
    return str(found.get("number"))


def found_values(
    conn: Any, entity: str, external_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """What `create` would have returned for the entry `find` found; it is approved with the
    batch like a new one (when it is not yet)."""
    document = conn.__dict__.get(_READ, {}).get(str(external_id))
    body, flag = entry_body(conn, values)
    if document is not None and not _same(document, body):
        # Changed here since the lost create: e-conomic's entry gets the values now.
        return update(conn, entity, external_id, values)
    if not (document or {}).get("isApproved"):
        _approve_later(conn, external_id)
    return {"flagged": flag}


def create(
    conn: Any, entity: str, values: dict[str, Any], *, key: str = ""
) -> tuple[str, dict[str, Any]]:
    """Creates the time entry (one request); returns its number and whom it went on."""
    from apps.integrations.connectors.economic.apis import PROJECTS

    body, flag = entry_body(conn, values)
    number = conn.apis.create(PROJECTS, PATH, body, key=key or _key(conn, values))
    if str(values.get("ref") or "") in conn.__dict__.get(_RETRIED, ()):
        # The key may have replayed the first attempt's entry, with the values of then.
        current = _read(conn, str(number))
        if current is not None and not _same(current, body):
            _remember(conn, current)
            return str(number), update(conn, entity, str(number), values)
    _approve_later(conn, number)
    return str(number), {"flagged": flag}


def update(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Read, then PUT with its objectVersion when e-conomic's values differ (a 409 is read
    again and tried once more). An entry approved in e-conomic cannot change: refused."""
    from apps.integrations.connectors.economic.apis import PROJECTS, StaleVersion

    body, flag = entry_body(conn, values)
    for attempt in range(2):
        current = conn.__dict__.get(_READ, {}).pop(str(external_id), None) if not attempt else None
        current = current or _read(conn, external_id)
        if current is None:
            raise Rejected(
                gettext(
                    "Time entry %(number)s no longer exists in e-conomic (deleted there); the "
                    "hour is not transferred again by a change here."
                )
                % {"number": external_id},
                operation="update time entry",
            )
        if _same(current, body):
            break
        if current.get("isApproved"):
            raise Rejected(
                gettext(
                    "Time entry %(number)s is approved in e-conomic, and e-conomic does not "
                    "allow an approved time entry to change; the change made here is not "
                    "transferred. Correct it in e-conomic, or register the difference as a new "
                    "hour."
                )
                % {"number": external_id},
                operation="update time entry",
            )
        document = {k: v for k, v in current.items() if k not in READ_ONLY}
        document.update(body, number=int(external_id))
        try:
            conn.apis.replace(PROJECTS, PATH, document)
        except StaleVersion:
            if attempt:
                raise
            logger.info("e-conomic time entry %s changed meanwhile: read again", external_id)
            continue
        break
    if not current.get("isApproved"):
        _approve_later(conn, external_id)
    return {"flagged": flag}


def delete(conn: Any, entity: str, external_id: str) -> None:
    """Deletes the time entry; one already gone counts as deleted. e-conomic keeps approved
    entries: its refusal is given with the reason."""
    from apps.integrations.connectors.economic.apis import PROJECTS, ModuleMissing

    try:
        conn.apis.delete(PROJECTS, f"{PATH}/{int(external_id)}")
    except ModuleMissing:
        raise
    except Rejected as exc:
        raise Rejected(
            gettext(
                "e-conomic did not delete time entry %(number)s (an approved time entry cannot "
                "be deleted there): %(reason)s"
            )
            % {"number": external_id, "reason": "; ".join(exc.messages)},
            operation="delete time entry",
        ) from exc


def finish_push(conn: Any, entity: str) -> None:
    """Approves in e-conomic, in one request, every entry this push batch created or changed
    (when the connection approves hours there). ApprovalFailed names them if it fails."""
    from apps.integrations.connectors.economic.apis import PROJECTS

    numbers = list(dict.fromkeys(conn.__dict__.pop(_PENDING, [])))
    conn.__dict__.pop(_READ, None)
    conn.__dict__.pop(_RETRIED, None)
    if not numbers:
        return
    try:
        conn.apis.post(PROJECTS, f"{PATH}/approve", {"numbers": numbers})
    except Rejected as exc:
        # e-conomic approves all or none: one it refuses must not hold back the others.
        refused = _approve_one_by_one(conn, numbers) if len(numbers) > 1 else {numbers[0]: exc}
        refused = {n: e for n, e in refused.items() if not _already_approved(e)}
        if not refused:
            return
        raise ApprovalFailed(
            gettext("e-conomic did not approve the transferred hours: %(reason)s")
            % {"reason": "; ".join(m for e in refused.values() for m in e.messages)},
            external_ids=tuple(str(n) for n in refused),
            rejected=True,
            operation="approve time entries",
        ) from exc
    except Unavailable as exc:
        raise ApprovalFailed(
            gettext(
                "e-conomic could not be reached to approve the transferred hours; they are "
                "approved there on the next try. (%(reason)s)"
            )
            % {"reason": exc},
            external_ids=tuple(str(n) for n in numbers),
            rejected=False,
            operation="approve time entries",
        ) from exc


def _approve_one_by_one(conn: Any, numbers: list[int]) -> dict[int, Rejected]:
    """Approves each entry alone; the refusals by number."""
    from apps.integrations.connectors.economic.apis import PROJECTS

    refused: dict[int, Rejected] = {}
    for number in numbers:
        try:
            conn.apis.post(PROJECTS, f"{PATH}/approve", {"numbers": [number]})
        except Rejected as exc:
            refused[number] = exc
    return refused


def _already_approved(exc: Rejected) -> bool:
    return any("TimeEntryIsApproved" in m for m in exc.messages)


# --- the time entry --------------------------------------------------------------------------


def entry_body(conn: Any, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The time entry e-conomic gets for the hour's values, and the binding's flag."""
    project = _int(values.get("project"))
    if project is None:
        raise Rejected(
            gettext(
                "The hour's project is not in e-conomic (it has no e-conomic project number), "
                "so the hour cannot be transferred."
            ),
            operation="create time entry",
        )
    activity = _int(values.get("work_type"))
    if activity is None:
        raise Rejected(
            gettext(
                "The hour's work type is not linked to an e-conomic activity: link it (or let "
                "the sync create it), then retry."
            ),
            operation="create time entry",
        )
    employee, flag = employee_of(conn, values)
    try:
        hours = Decimal(str(values.get("hours") or "0"))
    except InvalidOperation as exc:
        raise Rejected(f"not a number of hours: {values.get('hours')!r}") from exc
    body = {
        "employeeNumber": employee,
        "projectNumber": project,
        "activityNumber": activity,
        "date": _moment(_day(values)),
        "numberOfHours": float(hours),
        "text": entry_text(values),
    }
    return body, flag


def entry_text(values: dict[str, Any]) -> str:
    """The entry's text: the hour's description and its reference token (pure)."""
    ref = str(values.get("ref") or "")
    token = f" [{ref}]" if ref else ""
    text = " ".join(str(values.get("description") or "").split())
    return (text[: MAX_TEXT - len(token)] + token).strip()


def employee_of(conn: Any, values: dict[str, Any]) -> tuple[int, str]:
    """The e-conomic employee the hour goes on, and the flag text when it is the connection's
    integration employee (an unmapped user)."""
    employee = _int(values.get("user"))
    if employee is not None:
        return employee, ""
    settings = getattr(conn.connection, "settings", None) or {}
    fallback = _int(settings.get("integration_employee"))
    if fallback is None:
        raise Rejected(
            gettext(
                "The hour's user is not linked to an e-conomic employee, and the connection has "
                "no integration employee to transfer such hours on: link the user (user "
                "mapping) or choose an integration employee in the connection's settings."
            ),
            operation="create time entry",
        )
    from apps.integrations.adapters.hours import UNMAPPED_FLAG

    return fallback, str(values.get("flagged") or "") or UNMAPPED_FLAG


def approves(connection: Any) -> bool:
    """Whether hours transferred are approved in e-conomic too (setting `approve_hours`)."""
    return (getattr(connection, "settings", None) or {}).get("approve_hours", True) is not False


# --- helpers ---------------------------------------------------------------------------------


def _read(conn: Any, external_id: str) -> dict[str, Any] | None:
    from apps.integrations.connectors.economic.apis import PROJECTS

    try:
        number = int(external_id)
    except (TypeError, ValueError):
        return None
    return conn.apis.get(PROJECTS, f"{PATH}/{number}")


def _remember(conn: Any, document: dict[str, Any]) -> None:
    conn.__dict__.setdefault(_READ, {})[str(document.get("number"))] = document


def _approve_later(conn: Any, number: Any) -> None:
    if approves(conn.connection):
        conn.__dict__.setdefault(_PENDING, []).append(int(number))


def _same(current: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether e-conomic's entry already holds what `body` would write (pure)."""
    for name in WRITTEN:
        mine, theirs = body.get(name), current.get(name)
        if name == "date":
            if str(mine or "")[:10] != str(theirs or "")[:10]:
                return False
        elif name == "numberOfHours":
            if _hours_text(mine) != _hours_text(theirs):
                return False
        elif name == "text":
            if str(mine or "").strip() != str(theirs or "").strip():
                return False
        elif _int(mine) != _int(theirs):
            return False
    return True


def _key(conn: Any, values: dict[str, Any]) -> str:
    return f"tidsbro-{getattr(conn.connection, 'pk', '')}-hour-{values.get('ref') or ''}"


def _day(values: dict[str, Any]) -> date:
    return date.fromisoformat(str(values["date"])[:10])


def _moment(day: date) -> str:
    """A day as e-conomic's date-time (midnight, UTC)."""
    return f"{day.isoformat()}T00:00:00Z"


def _escape(text: str) -> str:
    """A filter value with e-conomic's escapes (API-NOTES §8)."""
    for char in "$()*,":
        text = text.replace(char, f"${char}")
    return text


def _hours_text(value: Any) -> str:
    try:
        return f"{Decimal(str(value if value is not None else 0)):.2f}"
    except InvalidOperation:
        return ""


def _int(value: Any) -> int | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number or None


def _id(value: Any) -> str | None:
    number = _int(value)
    return str(number) if number is not None else None
