"""Hours → Unimicro work items (`/api/biz/workitems`), pushed only.

Tidsbro owns hours; Unimicro gets them by the connection's transfer rule (on approval, on
order, never: the engine decides) and keeps them in step after (edit → PUT, delete → DELETE).
The canonical values are the hour adapter's (`apps.integrations.adapters.hours`).

- Whose hour: the Unimicro user linked to the Tidsbro user (user binding, pulled and linked by
  e-mail) → its Worker (`workers?filter=UserID eq N`, else
  `POST workers?action=create-worker-from-user&userid=N`) → its active WorkRelation (else one
  is created). A person without a linked Unimicro user goes on the connection's integration
  user (setting `integration_user`, a Unimicro user id) with the binding flagged, as
  e-conomic's integration employee; without one the hour is refused with the reason.
- The work item: Date, StartTime/EndTime (when the entry has a start), Minutes, MinutesToOrder
  (billable minutes), Invoiceable, Description, WorkTypeID (work type binding), CustomerID (the
  project's customer in Unimicro), Dimensions {ProjectID, ProjectTaskID} and Label = the hour's
  reference ("TB-<id>").
- Exactly once: the create carries a `_createguid` derived from the connection and the hour
  (`hour_guid`), so a create sent again after a lost answer is refused by Unimicro instead of
  inserting twice; the work item is then found by its Label (`find`; also what the outbox asks
  before retrying an unsure create). Real Unimicro's filter on `_createguid` is not documented,
  the Label is a plain field every list filters on.
- Hours transferred on order creation reach Unimicro after their order (orders.py): the order
  line naming the hour (Comment = its reference) gets the new work item as its source, so
  Unimicro marks it transferred to that order (`attach_to_order`).
- A work item Unimicro has put on an order (`TransferedToOrder`) cannot change or go there: the
  change is refused with the reason (correct it in Unimicro).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.unimicro import mappers
from apps.integrations.connectors.unimicro.rules import quoted
from apps.integrations.sync.types import RemoteRecord

logger = logging.getLogger(__name__)

PLURAL = "workitems"
WORKERS = "workers"
RELATIONS = "workrelations"
PROJECTS = "projects"
ORDERS = "orders"
ORDER_ITEMS = "orderitems"
EXPAND = "Dimensions"
MAX_TEXT = 500
# The fields Tidsbro writes on a work item (the rest is Unimicro's).
WRITTEN = (
    "WorkRelationID",
    "WorkTypeID",
    "Date",
    "StartTime",
    "EndTime",
    "Minutes",
    "MinutesToOrder",
    "Invoiceable",
    "Description",
    "Label",
    "CustomerID",
)
DIMENSIONS = ("ProjectID", "ProjectTaskID")
# Per connector (one push run; no end-of-batch step, so the outbox needs no unfinished
# bookkeeping): Unimicro user → work relation id, project id → its customer id.
_RELATIONS = "_hour_relations"
_CUSTOMERS = "_hour_customers"
_READ = "_hour_documents"


# PULL: nothing (Tidsbro registers the hours)
# ------------------------------------------------------------------------------
def fetch(conn: Any, entity: str, *, since: Any) -> Iterator[list[RemoteRecord]]:
    """Nothing: Unimicro's work items are not imported (Tidsbro registers the hours)."""
    return iter(())


def next_cursor(conn: Any, entity: str, run_started: datetime) -> str:
    return ""


def fetch_ids(conn: Any, entity: str) -> set[str]:
    return set()


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    """One work item as the hour's canonical values (what Unimicro holds), or None."""
    document = _read(conn, external_id)
    if document is None:
        return None
    return RemoteRecord(
        external_id=str(external_id),
        values=values_of(document),
        changed_at=mappers.changed_at(document),
    )


def values_of(document: dict[str, Any]) -> dict[str, Any]:
    """A work item as the hour's canonical values (pure)."""
    dims = document.get("Dimensions") if isinstance(document.get("Dimensions"), dict) else {}
    minutes = _minutes(document.get("Minutes"))
    return {
        "date": str(document.get("Date") or "")[:10],
        "hours": f"{(Decimal(minutes) / 60):.2f}",
        "billable_hours": f"{(Decimal(_minutes(document.get('MinutesToOrder'))) / 60):.2f}",
        "project": _id(dims.get("ProjectID")),
        "task": _id(dims.get("ProjectTaskID")),
        "work_type": _id(document.get("WorkTypeID")),
        "description": str(document.get("Description") or ""),
        "ref": str(document.get("Label") or ""),
    }


# PUSH
# ------------------------------------------------------------------------------
def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    """The work item an earlier create of this hour made (by its Label), or None (one
    request). Two are never kept silently: the office picks which to delete."""
    ref = str(values.get("ref") or "")
    if not ref:
        return None
    matches = [
        d
        for d in conn.client.list(PLURAL, filter=f"Label eq {quoted(ref)}", expand=EXPAND)
        if d.get("Deleted") is not True and str(d.get("Label") or "") == ref
    ]
    if not matches:
        return None
    if len(matches) > 1:
        raise Rejected(
            gettext(
                "Unimicro holds %(count)d work items for hour %(ref)s (ids %(ids)s): delete the "
                "extra ones there, then retry."
            )
            % {
                "count": len(matches),
                "ref": ref,
                "ids": ", ".join(str(m.get("ID")) for m in matches),
            },
            operation="find work item",
        )
    _remember(conn, matches[0])
    return mappers.record_id(matches[0])


def found_values(
    conn: Any, entity: str, external_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """What `create` would have returned for the work item `find` found; Unimicro's copy
    gets the values of now when the hour changed since the lost create."""
    assigned = update(conn, entity, external_id, values)
    attach_to_order(conn, external_id, values, minutes=_to_minutes(values.get("hours")))
    return assigned


def create(
    conn: Any, entity: str, values: dict[str, Any], *, key: str = ""
) -> tuple[str, dict[str, Any]]:
    """Creates the work item (one request; the worker, relation and project's customer are
    looked up once a batch); returns its id and whom it went on. A create refused because it
    was made before (the same `_createguid`) is answered with that work item."""
    body, flag = item_body(conn, values)
    body["_createguid"] = hour_guid(conn.connection, values)
    if body.get("Dimensions") is not None:
        body["Dimensions"]["_createguid"] = hour_guid(conn.connection, values, part="dimensions")
    try:
        document = conn.client.create(PLURAL, body)
    except Rejected as exc:
        # The same guid again: an earlier attempt made it (its answer was lost).
        found = find(conn, entity, values)
        if found is not None:
            logger.info("unimicro: hour %s was created before as %s", values.get("ref"), found)
            assigned = update(conn, entity, found, values)
            attach_to_order(conn, found, values, minutes=body["Minutes"])
            return found, assigned
        if not _guid_used(exc):
            raise
        # Made once and deleted in Unimicro since (nothing carries its Label): a new one.
        body["_createguid"] = str(uuid.uuid4())
        if body.get("Dimensions") is not None:
            body["Dimensions"]["_createguid"] = str(uuid.uuid4())
        document = conn.client.create(PLURAL, body)
    external_id = mappers.record_id(document)
    attach_to_order(conn, external_id, values, minutes=body["Minutes"])
    return external_id, {"flagged": flag}


def update(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Read, then PUT what differs (nothing when Unimicro holds the values already). A work
    item Unimicro has put on an order cannot change: refused with the reason."""
    body, flag = item_body(conn, values)
    current = conn.__dict__.get(_READ, {}).pop(str(external_id), None) or _read(conn, external_id)
    if current is None:
        raise Rejected(
            gettext(
                "Work item %(id)s no longer exists in Unimicro (deleted there); the hour is not "
                "transferred again by a change here."
            )
            % {"id": external_id},
            operation="update work item",
        )
    changes = item_changes(body, current)
    if not changes:
        return {"flagged": flag}
    if current.get("TransferedToOrder"):
        raise Rejected(_on_order_text(current, external_id), operation="update work item")
    conn.client.update(PLURAL, int(external_id), {"ID": int(external_id), **changes})
    return {"flagged": flag}


def attach_to_order(conn: Any, external_id: str, values: dict[str, Any], *, minutes: int) -> None:
    """When hours are transferred on order creation, the order came first: its line that
    names this hour (Comment = the hour's reference) gets the work item as its source, so
    Unimicro marks the work item transferred to the order (two requests; none in the other
    transfer modes)."""
    from apps.integrations.models import HourTransfer

    ref = str(values.get("ref") or "")
    if not ref or getattr(conn.connection, "hour_transfer", None) != HourTransfer.ON_ORDER:
        return
    lines = [
        d
        for d in conn.client.list(ORDER_ITEMS, filter=f"Comment eq {quoted(ref)}")
        if d.get("Deleted") is not True and str(d.get("Comment") or "") == ref
    ]
    for line in lines:
        order = _int(line.get("CustomerOrderID"))
        if order is None or line.get("ItemSourceID"):
            continue  # not on an order, or its source is named already
        source = {
            "ID": 0,
            "_createguid": hour_guid(conn.connection, values, part=f"source-{line['ID']}"),
            "Details": [
                {
                    "ID": 0,
                    "_createguid": hour_guid(
                        conn.connection, values, part=f"source-{line['ID']}-detail"
                    ),
                    "SourceType": "WorkItem",
                    "SourceFK": int(external_id),
                    "Amount": minutes,
                }
            ],
        }
        body = {"ID": order, "Items": [{"ID": int(line["ID"]), "ItemSource": source}]}
        conn.client.update(ORDERS, order, body)


def delete(conn: Any, entity: str, external_id: str) -> None:
    """Deletes the work item; one already gone counts as deleted. One on an order in
    Unimicro stays: refused with the reason."""
    current = _read(conn, external_id)
    if current is None:
        return
    if current.get("TransferedToOrder"):
        raise Rejected(_on_order_text(current, external_id), operation="delete work item")
    conn.client.delete(PLURAL, int(external_id))


# THE WORK ITEM
# ------------------------------------------------------------------------------
def item_body(conn: Any, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The work item Unimicro gets for the hour's values, and the binding's flag."""
    work_type = _int(values.get("work_type"))
    if work_type is None:
        raise Rejected(
            gettext(
                "The hour's work type is not linked to a Unimicro work type: link it (or let "
                "the sync create it), then retry."
            ),
            operation="create work item",
        )
    project = _int(values.get("project"))
    if project is None:
        raise Rejected(
            gettext(
                "The hour's project is not in Unimicro, so the hour cannot be transferred: "
                "transfer the project first, then retry."
            ),
            operation="create work item",
        )
    user, flag = user_of(conn, values)
    relation = work_relation(conn, user)
    minutes = _to_minutes(values.get("hours"))
    billable = _to_minutes(values.get("billable_hours", values.get("hours")))
    body: dict[str, Any] = {
        "WorkRelationID": relation,
        "WorkTypeID": work_type,
        "Date": _day(values).isoformat(),
        "StartTime": None,
        "EndTime": None,
        "Minutes": minutes,
        "MinutesToOrder": billable,
        "Invoiceable": billable > 0,
        "Description": " ".join(str(values.get("description") or "").split())[:MAX_TEXT],
        "Label": str(values.get("ref") or ""),
        "CustomerID": project_customer(conn, project),
        "Dimensions": {"ProjectID": project, "ProjectTaskID": _int(values.get("task"))},
    }
    start = _start(values)
    if start is not None:
        body["StartTime"] = start.isoformat()
        body["EndTime"] = (start + timedelta(minutes=minutes)).isoformat()
    return body, flag


def item_changes(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """What of `body` differs from Unimicro's work item (pure): the fields, and Dimensions
    by the ID of the current one (a new one, with a guid, when it has none)."""
    changes = {
        name: body[name]
        for name in WRITTEN
        if name in body and not _same_field(name, body[name], current.get(name))
    }
    wanted = body.get("Dimensions") or {}
    dims = current.get("Dimensions") if isinstance(current.get("Dimensions"), dict) else None
    have = dims or {}
    if any(_int(wanted.get(n)) != _int(have.get(n)) for n in DIMENSIONS):
        if dims and dims.get("ID"):
            changes["Dimensions"] = {"ID": dims["ID"], **{n: wanted.get(n) for n in DIMENSIONS}}
        else:
            changes["Dimensions"] = {
                "ID": 0,
                "_createguid": str(uuid.uuid4()),
                **{n: wanted.get(n) for n in DIMENSIONS},
            }
    return changes


def hour_guid(connection: Any, values: dict[str, Any], *, part: str = "item") -> str:
    """The `_createguid` of an hour's work item (or its dimensions): the same for every
    attempt of this hour on this connection (pure)."""
    return mappers.guid(f"tidsbro:{getattr(connection, 'pk', '')}:hour:{values.get('ref')}:{part}")


def user_of(conn: Any, values: dict[str, Any]) -> tuple[int, str]:
    """The Unimicro user the hour goes on, and the flag text when it is the connection's
    integration user (an unmapped person)."""
    user = _int(values.get("user"))
    if user is not None:
        return user, ""
    fallback = _int((getattr(conn.connection, "settings", None) or {}).get("integration_user"))
    if fallback is None:
        raise Rejected(
            gettext(
                "The hour's person is not linked to a Unimicro user, so Unimicro has no worker "
                "to put the hour on: link the person (user mapping; Unimicro's users are matched "
                "by e-mail), then retry."
            ),
            operation="create work item",
        )
    from apps.integrations.adapters.hours import UNMAPPED_FLAG

    return fallback, str(values.get("flagged") or "") or UNMAPPED_FLAG


def work_relation(conn: Any, user: int) -> int:
    """The active work relation of the user's worker (the worker made from the user and a
    relation made when missing); looked up once a batch."""
    cache: dict[int, int] = conn.__dict__.setdefault(_RELATIONS, {})
    if user in cache:
        return cache[user]
    worker = _worker(conn, user)
    relation = _active_relation(conn, worker)
    if relation is None:
        relation = _new_relation(conn, worker)
    cache[user] = relation
    return relation


def _worker(conn: Any, user: int) -> int:
    found = [
        d
        for d in conn.client.list(WORKERS, filter=f"UserID eq {user}", select="ID,UserID")
        if d.get("Deleted") is not True and d.get("ID")
    ]
    if found:
        return int(min(found, key=lambda d: d["ID"])["ID"])
    try:
        worker = conn.client.action(
            WORKERS, None, "create-worker-from-user", method="POST", params={"userid": user}
        )
    except Rejected as exc:
        raise Rejected(
            gettext("Unimicro did not make a worker of user %(user)s for the hours: %(reason)s")
            % {"user": user, "reason": "; ".join(exc.messages) or exc},
            operation="create worker",
        ) from exc
    if not isinstance(worker, dict) or not worker.get("ID"):
        # The answer carried no worker: it exists now, read it.
        return _worker_listed(conn, user)
    return int(worker["ID"])


def _worker_listed(conn: Any, user: int) -> int:
    for document in conn.client.list(WORKERS, filter=f"UserID eq {user}", select="ID,UserID"):
        if document.get("ID") and document.get("Deleted") is not True:
            return int(document["ID"])
    raise Rejected(
        gettext("Unimicro made no worker of user %(user)s for the hours.") % {"user": user},
        operation="create worker",
    )


def _active_relation(conn: Any, worker: int) -> int | None:
    relations = [
        d
        for d in conn.client.list(RELATIONS, filter=f"WorkerID eq {worker}")
        if d.get("Deleted") is not True and d.get("ID") and d.get("IsActive") is not False
    ]
    if not relations:
        return None
    # The newest employment: the latest start, then the highest id.
    latest = max(relations, key=lambda d: (str(d.get("StartDate") or ""), d["ID"]))
    return int(latest["ID"])


def _new_relation(conn: Any, worker: int) -> int:
    today = date.today().isoformat()
    body = {
        "WorkerID": worker,
        "Description": "Tidsbro",
        "WorkPercentage": 100,
        "StartDate": today,
        "IsActive": True,
        "_createguid": mappers.guid(
            f"tidsbro:{getattr(conn.connection, 'pk', '')}:relation:{worker}:{today}"
        ),
    }
    try:
        return int(conn.client.create(RELATIONS, body)["ID"])
    except Rejected:
        # Made by an attempt whose answer was lost: it is there now.
        found = _active_relation(conn, worker)
        if found is None:
            raise
        return found


def project_customer(conn: Any, project: int) -> int | None:
    """The project's customer in Unimicro (ProjectCustomerID); read once a batch."""
    cache: dict[int, int | None] = conn.__dict__.setdefault(_CUSTOMERS, {})
    if project not in cache:
        document = conn.client.get(PROJECTS, project)
        if document is None or document.get("Deleted") is True:
            raise Rejected(
                gettext(
                    "Project %(id)s no longer exists in Unimicro; the hour cannot be "
                    "transferred to it."
                )
                % {"id": project},
                operation="create work item",
            )
        cache[project] = _int(document.get("ProjectCustomerID"))
    return cache[project]


def _on_order_text(current: dict[str, Any], external_id: Any) -> str:
    order = current.get("CustomerOrderID")
    return gettext(
        "Work item %(id)s is on order %(order)s in Unimicro, and Unimicro does not let hours "
        "on an order change or be deleted; the change made here is not transferred. Correct "
        "it in Unimicro (take the line off the order first), or register the difference as "
        "a new hour."
    ) % {"id": external_id, "order": order or "?"}


# HELPERS
# ------------------------------------------------------------------------------
def _read(conn: Any, external_id: Any) -> dict[str, Any] | None:
    if not str(external_id).isdigit():
        return None
    document = conn.client.get(PLURAL, int(external_id), expand=EXPAND)
    if document is None or document.get("Deleted") is True:
        return None
    return document


def _remember(conn: Any, document: dict[str, Any]) -> None:
    conn.__dict__.setdefault(_READ, {})[mappers.record_id(document)] = document


def _guid_used(exc: Rejected) -> bool:
    return any("createguid" in str(m).lower() for m in (*exc.messages, str(exc)))


def _same_field(name: str, mine: Any, theirs: Any) -> bool:
    if name == "Date":
        return str(mine or "")[:10] == str(theirs or "")[:10]
    if name in ("StartTime", "EndTime"):
        return _moment(mine) == _moment(theirs)
    if name in ("Minutes", "MinutesToOrder"):
        return _minutes(mine) == _minutes(theirs)
    if name == "Invoiceable":
        return bool(mine) == bool(theirs)
    if name in ("Description", "Label"):
        return str(mine or "").strip() == str(theirs or "").strip()
    return _int(mine) == _int(theirs)


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _start(values: dict[str, Any]) -> datetime | None:
    """The entry's start in the office's time zone (Unimicro's web client sends local time
    with its offset), or None when the entry has none."""
    moment = _moment(values.get("start"))
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE)).replace(microsecond=0)


def _to_minutes(value: Any) -> int:
    try:
        hours = Decimal(str(value if value not in (None, "") else "0"))
    except InvalidOperation as exc:
        raise Rejected(f"not a number of hours: {value!r}") from exc
    return int((hours * 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def _minutes(value: Any) -> int:
    try:
        return int(Decimal(str(value if value not in (None, "") else "0")))
    except InvalidOperation:
        return 0


def _day(values: dict[str, Any]) -> date:
    return date.fromisoformat(str(values["date"])[:10])


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
