"""Pushing Tidsbro's records to 24SevenOffice: projects, tasks and hours (exporter).

The engine hands over canonical local values (the contract is at the top of `mappers.py`);
projects and tasks go through its reverse mappers, hours through `_hour` below. Customers are
owned by 24SO and never pushed.

- project: creating returns `{"number": <project id>}` — 24SO's id is the number; an update
  keeps what Tidsbro does not carry (version, time registration, participants …) from the
  ERP's current record, and "archived" becomes a status whose Active flag is false.
- task: 24SO needs both dates; missing ones are kept from the ERP, else today + 30 days.
- hour: see `apps.integrations.adapters.hours` (`ref` is the token written into the
  description so that `find` recognises an hour an ambiguous create may have made).

Every function makes as few requests as it can: creating or changing an hour is one SaveHour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from apps.integrations.connectors.base import ConnectorError, Rejected
from apps.integrations.connectors.twentyfourseven import mappers
from apps.integrations.connectors.twentyfourseven.types import Hour, HourSearch, Project, Task

# A project created here is looked for among projects changed this long before the push.
FIND_WINDOW = timedelta(days=2)
# Tasks without dates get these (24SO requires both).
DEFAULT_TASK_DAYS = 30
# Where an hour without start time begins (UTC): inside the day in every European zone.
DEFAULT_HOUR_START = time(8, 0)


class NotReady(ConnectorError):
    """A record this one points at is not in 24SO yet (e.g. its project): try again later."""


# --- the engine's four calls ----------------------------------------------------------------


def create(connector: Any, entity: str, values: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Creates the record in 24SO; returns its id and what 24SO assigned."""
    client = connector.client
    if entity == "project":
        number = client.save_project(_project(connector, values))
        return str(number), {"number": number}
    if entity == "task":
        task_id = client.save_project_task(_task(values))
        return str(task_id), {}
    if entity == "hour":
        hour, assigned = _hour(connector, values)
        hour_id = client.save_hour(hour)
        return str(hour_id), assigned
    raise Rejected(f"{entity} cannot be pushed to 24SevenOffice", operation="push")


def update(connector: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """Writes the whole record (24SO resets what a save leaves out); returns assigned values."""
    client = connector.client
    if entity == "project":
        current = client.get_single_project(int(external_id))
        client.save_project(_project(connector, values, current=current, project_id=external_id))
        return {}
    if entity == "task":
        current = _current_task(client, values, int(external_id))
        client.save_project_task(_task(values, current=current, task_id=int(external_id)))
        return {}
    if entity == "hour":
        hour, assigned = _hour(connector, values, hour_id=int(external_id))
        client.save_hour(hour)
        return assigned
    raise Rejected(f"{entity} cannot be pushed to 24SevenOffice", operation="push")


def find(connector: Any, entity: str, values: dict[str, Any]) -> str | None:
    """The 24SO id of a record an earlier, ambiguous create may have made; None if none."""
    client = connector.client
    if entity == "project":
        return _find_project(client, values)
    if entity == "hour":
        return _find_hour(connector, values)
    if entity == "task":
        return _find_task(client, values)
    return None


def found_values(
    connector: Any, entity: str, external_id: str, values: dict[str, Any]
) -> dict[str, Any]:
    """What `create` would have returned for a record `find` found (no request)."""
    if entity == "project":
        return {"number": int(external_id)}  # 24SO's project id is its number
    if entity == "hour":
        _contact_id, flag = _contact(connector, values)
        return {"flagged": flag}
    return {}


def delete(connector: Any, entity: str, external_id: str) -> None:
    """Deletes the record in 24SO; an hour already gone counts as deleted."""
    if entity != "hour":
        raise Rejected(f"24SevenOffice cannot delete a {entity}", operation="delete")
    client = connector.client
    if client.delete_hour(int(external_id)):
        return
    if client.get_hours_by_ids([int(external_id)]):
        raise Rejected(
            "24SevenOffice did not delete the hour: it is approved or locked there",
            operation="DeleteHour",
        )


# --- projects --------------------------------------------------------------------------------


# What a save keeps from the ERP's record: fields Tidsbro does not carry.
_KEPT_PROJECT_FIELDS = (
    "name_display",
    "time_reg",
    "version",
    "type_id",
    "department_id",
    "participants",
    "budget_hours",
    "fixed_price",
)
_KEPT_TASK_FIELDS = ("parent_id", "category_id", "sub_status", "work_type_id")


def _project(
    connector: Any,
    values: dict[str, Any],
    *,
    current: Project | None = None,
    project_id: str | int | None = None,
) -> Project:
    status = values.get("status")
    status_ids = {}
    if status:
        status_ids[status] = _status_id(connector, active=status != "archived", current=current)
    extra = {name: getattr(current, name) for name in _KEPT_PROJECT_FIELDS} if current else {}
    return mappers.project_to_24so(
        values,
        external_id=str(project_id) if project_id is not None else None,
        status_ids=status_ids,
        **extra,
    )


def _status_id(connector: Any, *, active: bool, current: Project | None) -> int | None:
    statuses = _cached(connector, "statuses", lambda: connector.client.get_project_statuses())
    if current is not None and current.status_id is not None:
        mine = next((s for s in statuses if s.id == current.status_id), None)
        if mine is not None and mine.active == active:
            return current.status_id  # keep "planned" vs "in progress": only the side matters
    match = next((s for s in statuses if s.active == active), None)
    if match is None:
        # Saving without a status would leave the project as it is in 24SO, and the next
        # pull would undo the local change: refuse visibly (a dead outbox item with this).
        raise Rejected(
            "24SevenOffice has no "
            + ("active" if active else "inactive")
            + " project status, so the project cannot be "
            + ("activated" if active else "deactivated")
            + " there: add one in 24SevenOffice's project statuses and retry",
            operation="SaveProject",
        )
    return match.id


def _find_project(client: Any, values: dict[str, Any]) -> str | None:
    name = values.get("name") or ""
    customer = _opt_int(values.get("customer"))
    since = datetime.now(UTC) - FIND_WINDOW
    candidates = [
        p
        for p in client.get_project_list(changed_after=since, customer_id=customer)
        if p.name == name and (customer is None or p.customer_id == customer)
    ]
    if len(candidates) == 1:
        return str(candidates[0].id)
    if len(candidates) > 1:
        raise Rejected(
            f"24SevenOffice has {len(candidates)} recent projects named {name!r}: "
            "link the right one by hand",
            operation="find",
        )
    return None


# --- tasks -----------------------------------------------------------------------------------


def _task(
    values: dict[str, Any], *, current: Task | None = None, task_id: int | None = None
) -> Task:
    if mappers.ref_int(values.get("project")) is None:
        raise NotReady(
            "the task's project is not in 24SevenOffice yet", operation="SaveProjectTask"
        )
    # 24SO requires both dates: keep the ERP's, else today and a month on.
    start = values.get("start_date") or (
        mappers.to_date(current.date_start) if current and current.date_start else None
    )
    start = start or date.today().isoformat()
    stop = values.get("end_date") or (
        mappers.to_date(current.date_stop) if current and current.date_stop else None
    )
    if not stop or stop < start:
        stop = (date.fromisoformat(start) + timedelta(days=DEFAULT_TASK_DAYS)).isoformat()
    extra = {name: getattr(current, name) for name in _KEPT_TASK_FIELDS} if current else {}
    return mappers.task_to_24so(
        {**values, "start_date": start, "end_date": stop},
        external_id=str(task_id) if task_id is not None else None,
        **extra,
    )


def _current_task(client: Any, values: dict[str, Any], task_id: int) -> Task | None:
    project_id = _opt_int(values.get("project"))
    if project_id is None:
        return None
    return next((t for t in client.get_project_tasks(project_id) if t.id == task_id), None)


def _find_task(client: Any, values: dict[str, Any]) -> str | None:
    project_id = _opt_int(values.get("project"))
    if project_id is None:
        return None
    name = values.get("name") or ""
    matches = [t for t in client.get_project_tasks(project_id) if t.name == name]
    return str(matches[-1].id) if len(matches) == 1 else None


# --- hours -----------------------------------------------------------------------------------


def hour_description(values: dict[str, Any]) -> str:
    """The description 24SO gets: the entry's text and our reference token."""
    text = (values.get("description") or "").strip()
    ref = values.get("ref") or ""
    if not ref:
        return text
    return f"{text} [{ref}]" if text else f"[{ref}]"


def _hour(
    connector: Any, values: dict[str, Any], *, hour_id: int | None = None
) -> tuple[Hour, dict[str, Any]]:
    project_id = _opt_int(values.get("project"))
    if project_id is None:
        raise NotReady("the hour's project is not in 24SevenOffice yet", operation="SaveHour")
    contact_id, flag = _contact(connector, values)
    hours = Decimal(str(values["hours"]))
    start = _hour_start(values)
    hour = Hour(
        id=hour_id,
        contact_id=contact_id,
        project_id=project_id,
        task_id=_opt_int(values.get("task")),
        type_of_work_id=_opt_int(values.get("work_type")),
        start_time=start,
        stop_time=start + timedelta(seconds=float(hours) * 3600),
        total_hours=hours,
        total_hours_invoice=Decimal(str(values.get("billable_hours") or 0)),
        description=hour_description(values),
        internal_note=values.get("internal_note") or "",
        need_approval=False,
    )
    return hour, {"flagged": flag}


def _contact(connector: Any, values: dict[str, Any]) -> tuple[int, str]:
    """The 24SO person the hour goes on, and the flag text when it is the integration user."""
    user = _opt_int(values.get("user"))
    if user is not None:
        return user, ""
    fallback = _opt_int(
        (getattr(connector.connection, "settings", None) or {}).get("integration_user_external_id")
    )
    if fallback is None:
        raise Rejected(
            "the user is not mapped to a 24SevenOffice user and the connection has no "
            "integration user to transfer their hours on",
            operation="SaveHour",
        )
    return fallback, str(values.get("flagged") or "") or "unmapped user"


def _hour_start(values: dict[str, Any]) -> datetime:
    start = values.get("start")
    if start:
        moment = datetime.fromisoformat(start)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    day = date.fromisoformat(values["date"])
    return datetime.combine(day, DEFAULT_HOUR_START, tzinfo=UTC)


def _find_hour(connector: Any, values: dict[str, Any]) -> str | None:
    """Same person, project, day, hours and work type, and our token in the description."""
    project_id = _opt_int(values.get("project"))
    ref = values.get("ref") or ""
    if project_id is None or not ref:
        return None
    contact_id, _flag = _contact(connector, values)
    start = _hour_start(values)
    day_start = datetime.combine(start.date(), time(0, 0), tzinfo=UTC) - timedelta(hours=14)
    found = connector.client.get_hours(
        HourSearch(
            contact_id=contact_id,
            project_id=project_id,
            start_time=day_start,
            stop_time=day_start + timedelta(hours=48),
        )
    )
    hours = Decimal(str(values["hours"]))
    work_type = _opt_int(values.get("work_type"))
    token = f"[{ref}]"
    matches = [
        h
        for h in found
        if token in (h.description or "")
        and h.total_hours is not None
        and abs(Decimal(h.total_hours) - hours) < Decimal("0.01")
        and (work_type is None or h.type_of_work_id == work_type)
    ]
    if not matches:
        return None
    # Never two: if an earlier round did make a second, keep the first and say so.
    if len(matches) > 1:
        raise Rejected(
            f"24SevenOffice holds {len(matches)} hours for {ref}: delete the extra ones there",
            operation="find",
        )
    return str(matches[0].id)


# --- helpers ---------------------------------------------------------------------------------


def _opt_int(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number or None


def _cached(connector: Any, key: str, load: Any) -> Any:
    cache = connector.__dict__.setdefault("_push_cache", {})
    if key not in cache:
        cache[key] = load()
    return cache[key]
