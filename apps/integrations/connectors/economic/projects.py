"""Employees, activities and projects through e-conomic's Projects service (`projectsapi`).

The engine's calls for `user` (Employees), `work_type` (Activities) and `project` (Projects),
as functions taking the connector first (`EconomicConnector._module` routes them here; the
client is `conn.apis`). What each costs in requests:

- users: Employees are read in full every run (they have no `lastUpdated` to filter on): one
  request below 1,000 employees, whatever changed. Pull only: e-conomic keeps its employees.
- work types: Activities likewise (no `lastUpdated`): one request a run below 1,000. Pushed
  where the office made Tidsbro master: a new work type is POSTed into the connection's
  `activity_group` under the next free activity number (e-conomic requires the caller to
  choose it: one more request), an edit is GET + PUT with the `objectVersion` read.
  Deactivating bars the activity; nothing is ever deleted.
- projects: incremental by `lastUpdated$gte:<cursor − OVERLAP>` (the cursor is the latest
  `lastUpdated` seen, e-conomic's clock): an unchanged hour is one request. A new project is
  POSTed (`Idempotency-Key` = the outbox item's key) into the connection's `project_group`,
  with the number typed here or e-conomic's next; an edit is read-modify-write (GET with the
  `objectVersion`, the canonical values applied, PUT of the whole project); a 409 (changed in
  e-conomic meanwhile) reads it again once and writes the change over what it holds now.
  "archived" here = barred there; a project closed in e-conomic is archived here too (closing
  is e-conomic's own, read-only in its API). Projects are never deleted.
- Project members are not kept: e-conomic's API has no project membership (project-employees
  are per-employee price settings; who may register is its recording rules').

Deletions in e-conomic are found by the nightly reconciliation (`fetch_ids`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext

from apps.integrations import entities
from apps.integrations.connectors.base import Entity, Rejected
from apps.integrations.connectors.economic import mappers
from apps.integrations.connectors.economic.apis import PROJECTS, StaleVersion
from apps.integrations.connectors.economic.client import filter_value
from apps.integrations.connectors.economic.rules import OVERLAP, cursor_text, parse_time
from apps.integrations.sync.types import RemoteRecord
from apps.integrations.sync.unsure import hold_back_unsure_creates

logger = logging.getLogger(__name__)

USER = Entity.USER.value
WORK_TYPE = Entity.WORK_TYPE.value
PROJECT = Entity.PROJECT.value
# The collection of each object type in the Projects service.
COLLECTIONS = {USER: "Employees", WORK_TYPE: "Activities", PROJECT: "Projects"}
# A project an unsure create may have made is looked for among projects changed this recently.
FIND_WINDOW = timedelta(days=2)
MAX_NUMBER = 999_999_999


@dataclass
class _Seen:
    """What the last project fetch saw: where it started and the latest `lastUpdated`."""

    since: datetime | None = None
    latest: datetime | None = None


def _seen(conn: Any) -> _Seen:
    state = getattr(conn, "_projects_seen", None)
    if state is None:
        state = _Seen()
        conn._projects_seen = state
    return state


def _documents(conn: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """Documents read by `fetch_one`, kept for the `update` that follows it in a push (the
    merge's read is the read of the read-modify-write): only the latest one."""
    found = getattr(conn, "_projects_documents", None)
    if found is None:
        found = {}
        conn._projects_documents = found
    return found


def _check(entity: str) -> str:
    if entity not in COLLECTIONS:
        raise Rejected(
            gettext("e-conomic's Projects service does not keep %(type)s.")
            % {"type": entities.label(entity)},
            operation=entity,
        )
    return COLLECTIONS[entity]


def _settings(conn: Any) -> dict[str, Any]:
    return dict(getattr(conn.connection, "settings", None) or {})


# PULL
# ------------------------------------------------------------------------------
def fetch(conn: Any, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
    """Pages of records: every employee or activity; projects changed since `since` (a cursor
    or a time) less the overlap, or all of them."""
    collection = _check(entity)
    if entity == PROJECT:
        yield from _projects(conn, since)
        return
    for items in conn.apis.iter_pages(PROJECTS, collection):
        yield [_record(entity, doc) for doc in items if _number(doc) is not None]
    if entity == USER:
        # Every page is applied when the generator resumes here: employees no Tidsbro user
        # matched wait "only in e-conomic"; any whose Tidsbro user appeared since are linked.
        from apps.integrations.registry import adapter_for

        settle = getattr(adapter_for(USER), "settle", None)
        if settle is not None:
            settle(conn.connection)


def _projects(conn: Any, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
    moment = parse_time(since) if isinstance(since, str) else since
    seen = _seen(conn)
    seen.since, seen.latest = moment, None
    query = None
    if moment is not None:
        query = f"lastUpdated$gte:{mappers.format_timestamp(moment - OVERLAP)}"
    for items in conn.apis.iter_pages(PROJECTS, "Projects", filter=query):
        records = []
        for doc in items:
            if _number(doc) is None:
                continue
            record = _record(PROJECT, doc)
            if record.changed_at is not None and (
                seen.latest is None or record.changed_at > seen.latest
            ):
                seen.latest = record.changed_at
            records.append(record)
        yield hold_back_own_creates(conn, records)


def next_cursor(conn: Any, entity: str, run_started: datetime) -> str:
    """Projects: the latest `lastUpdated` the fetch saw (e-conomic's clock), else where it
    started, else the run's start. Employees and activities are read in full: the run's
    start, for the screens."""
    _check(entity)
    if entity != PROJECT:
        return cursor_text(run_started)
    seen = _seen(conn)
    moment = seen.latest or seen.since or run_started
    if seen.since is not None and moment < seen.since:
        moment = seen.since
    return cursor_text(moment)


def fetch_ids(conn: Any, entity: str) -> set[str]:
    """Every number e-conomic has now (the nightly reconciliation)."""
    collection = _check(entity)
    return {
        str(_number(doc))
        for items in conn.apis.iter_pages(PROJECTS, collection)
        for doc in items
        if _number(doc) is not None
    }


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    """One record as e-conomic has it now; None when it is gone."""
    collection = _check(entity)
    number = _id(external_id)
    if number is None:
        return None
    doc = conn.apis.get(PROJECTS, f"{collection}/{number}")
    if doc is None:
        return None
    documents = _documents(conn)
    documents.clear()
    documents[(entity, str(number))] = doc
    return _record(entity, doc)


def hold_back_own_creates(conn: Any, records: Sequence[RemoteRecord]) -> list[RemoteRecord]:
    """`records` less the projects a create of ours whose answer was lost may have made (an
    outbox item "outcome unknown" for a Tidsbro project of the same name and customer, and no
    binding yet): the retried create pairs them. One query when no create is unsure."""
    return hold_back_unsure_creates(conn.connection, PROJECT, records, mappers.project_fingerprint)


# PUSH
# ------------------------------------------------------------------------------
def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    """The record an earlier create whose outcome is unknown made, or None.

    Projects: by the number typed here (when it is the same project), else by name and
    customer among the projects changed in the last two days (one only; several → refused,
    to be linked by hand). Activities: by name in the connection's activity group."""
    _check(entity)
    if entity == PROJECT:
        return _find_project(conn, values)
    if entity == WORK_TYPE:
        name = entities.text(values.get("name"))
        if not name:
            return None
        query = f"name$eq:{filter_value(name)}"
        group = _settings(conn).get("activity_group")
        if group:
            query += f"$and:groupNumber$eq:{int(group)}"
        found = [
            doc
            for items in conn.apis.iter_pages(PROJECTS, "Activities", filter=query)
            for doc in items
            if entities.text(doc.get("name")).casefold() == name.casefold()
        ]
        return str(_number(found[0])) if len(found) == 1 else None
    return None


def _find_project(conn: Any, values: dict[str, Any]) -> str | None:
    number = requested_number(values)
    if number is not None:
        record = fetch_one(conn, PROJECT, str(number))
        if record is None:
            return None
        # Ours only if it is what we sent: a project someone made under that number is not.
        mine = mappers.project_fingerprint(values) == mappers.project_fingerprint(record.values)
        return record.external_id if mine else None
    name = entities.text(values.get("name"))
    if not name:
        return None
    since = datetime.now(UTC) - FIND_WINDOW
    query = f"lastUpdated$gte:{mappers.format_timestamp(since)}$and:name$eq:{filter_value(name)}"
    customer = mappers._number(values.get("customer"))
    if customer:
        query += f"$and:customerNumber$eq:{customer}"
    wanted = mappers.project_fingerprint(values)
    found = [
        doc
        for items in conn.apis.iter_pages(PROJECTS, "Projects", filter=query)
        for doc in items
        if mappers.project_fingerprint(mappers.project_from_remote(doc)) == wanted
    ]
    if len(found) > 1:
        raise Rejected(
            gettext(
                "e-conomic has %(count)d recent projects named “%(name)s”: choose the right "
                "one as this project's partner in the sync center."
            )
            % {"count": len(found), "name": name},
            operation="find project",
        )
    return str(_number(found[0])) if found else None


def found_values(
    conn: Any, entity: str, external_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """What `create` would have returned for a record `find` found (no request)."""
    if entity == PROJECT:
        return {"number": int(external_id)}
    return {}


def create(
    conn: Any, entity: str, values: dict[str, Any], *, key: str = ""
) -> tuple[str, dict[str, Any]]:
    """Creates the record in e-conomic; returns its number (projects: also as `number`)."""
    _check(entity)
    settings = _settings(conn)
    if not key:
        raise ValueError("creating in e-conomic needs the outbox item's key")
    if entity == PROJECT:
        number = requested_number(values)
        document = mappers.project_to_remote(
            {**values, "number": number}, None, project_group=settings.get("project_group")
        )
        created = conn.apis.create(PROJECTS, "Projects", document, key=key)
        if conn.apis.replayed:
            # e-conomic answered with what our first request made: values changed here
            # since then are written now, so the binding's snapshot is what it holds.
            update(conn, entity, str(created), values)
        return str(created), {"number": created}
    if entity == WORK_TYPE:
        number = _next_activity_number(conn)
        document = mappers.work_type_to_remote(
            values, None, number=number, activity_group=settings.get("activity_group")
        )
        created = conn.apis.create(PROJECTS, "Activities", document, key=key)
        if conn.apis.replayed:
            update(conn, entity, str(created), values)
        return str(created), {}
    raise Rejected(
        gettext("Tidsbro does not create employees in e-conomic; they are made there."),
        operation="create user",
    )


def update(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Read-modify-write: e-conomic's current object (with its `objectVersion`) with the
    canonical values applied, PUT whole; changed there meanwhile (409) → read again once."""
    collection = _check(entity)
    if entity == USER:
        raise Rejected(
            gettext("Tidsbro does not change employees in e-conomic."), operation="update user"
        )
    number = _id(external_id)
    if entity == PROJECT:
        typed = str(values.get("number") or "")
        if typed and typed != str(external_id):
            raise Rejected(
                gettext(
                    "e-conomic cannot change a project's number (%(old)s to %(new)s). Change "
                    "it back here."
                )
                % {"old": external_id, "new": typed},
                operation="update project",
            )
    current = _documents(conn).pop((entity, str(number)), None)
    for attempt in (1, 2):
        if current is None:
            current = conn.apis.get(PROJECTS, f"{collection}/{number}")
        if current is None:
            raise Rejected(
                gettext(
                    "%(type)s %(number)s no longer exists in e-conomic; it is not created "
                    "again by a change here."
                )
                % {"type": entities.singular(entity).capitalize(), "number": external_id},
                operation=f"update {entity}",
            )
        document = _changed_document(conn, entity, values, current)
        if document is None:
            return {}
        try:
            conn.apis.replace(PROJECTS, collection, document)
        except StaleVersion:
            if attempt == 2:
                raise
            logger.info("e-conomic %s %s changed meanwhile: read again", entity, external_id)
            # Only what this write changes goes over the new state: a field someone changed
            # in e-conomic meanwhile that this write did not touch keeps their value.
            values = _changes(entity, values, current)
            current = None
            continue
        return {}
    return {}


def _changed_document(
    conn: Any, entity: str, values: dict[str, Any], current: dict[str, Any]
) -> dict[str, Any] | None:
    """The whole object to PUT, or None when e-conomic already holds the values."""
    if entity == PROJECT:
        held = mappers.project_from_remote(current)
        wanted = {f: values[f] for f in mappers.PROJECT_HELD_FIELDS if f in values}
        if (
            current.get("isClosed") is True
            and wanted.get("status") == entities.ACTIVE
            and held["status"] == entities.ARCHIVED
        ):
            raise Rejected(
                gettext(
                    "Project %(number)s is closed in e-conomic, and e-conomic does not let "
                    "other programs reopen a project. Reopen it in e-conomic, or archive it "
                    "here again."
                )
                % {"number": current.get("number")},
                operation="update project",
            )
        document = mappers.project_to_remote(wanted, current)
        after = mappers.project_from_remote({**document, "isClosed": current.get("isClosed")})
    else:
        held = mappers.work_type_from_remote(current)
        wanted = {f: values[f] for f in mappers.WORK_TYPE_HELD_FIELDS if f in values}
        document = mappers.work_type_to_remote(wanted, current)
        after = mappers.work_type_from_remote(document)
    # Nothing to write when e-conomic already holds every value (a PUT would only move its
    # lastUpdated and come back as a change).
    return None if after == held else document


def _changes(entity: str, values: dict[str, Any], read: dict[str, Any]) -> dict[str, Any]:
    """The canonical values that differ from what `read` holds (pure)."""
    if entity == PROJECT:
        return mappers.project_changes(values, read)
    return mappers.work_type_changes(values, read)


def delete(conn: Any, entity: str, external_id: str) -> None:
    _check(entity)
    raise Rejected(
        gettext(
            "Tidsbro never deletes %(type)s in e-conomic: archive a project or deactivate a work "
            "type here, and it is barred there."
        )
        % {"type": entities.label(entity)},
        operation=f"delete {entity}",
    )


# HELPERS
# ------------------------------------------------------------------------------
def requested_number(values: dict[str, Any]) -> int | None:
    """The project number typed here, as e-conomic takes it; None for "e-conomic's next"."""
    raw = str(values.get("number") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_NUMBER:
        raise Rejected(
            gettext(
                "e-conomic project numbers are whole numbers from 1 to 999999999; "
                "“%(number)s” cannot be used there."
            )
            % {"number": raw},
            operation="create project",
        )
    return int(raw)


def _next_activity_number(conn: Any) -> int:
    """The next free activity number (e-conomic requires the creator to choose one)."""
    highest = 0
    for items in conn.apis.iter_pages(PROJECTS, "Activities"):
        for doc in items:
            highest = max(highest, _number(doc) or 0)
    return highest + 1


def _record(entity: str, doc: dict[str, Any]) -> RemoteRecord:
    if entity == PROJECT:
        values = mappers.project_from_remote(doc)
        changed = mappers.project_changed_at(doc)
    elif entity == WORK_TYPE:
        values, changed = mappers.work_type_from_remote(doc), None
    else:
        values, changed = mappers.user_from_remote(doc), None
    return RemoteRecord(external_id=str(_number(doc)), values=values, changed_at=changed)


def _number(doc: dict[str, Any]) -> int | None:
    return mappers._number(doc.get("number"))


def _id(external_id: str) -> int | None:
    text = str(external_id or "").strip()
    return int(text) if text.isdigit() else None
