"""Reading 24SevenOffice for the sync engine: pages of canonical `RemoteRecord`s per object type.

`fetch` streams pages (never the whole ERP in memory at once where 24SO pages), `fetch_ids`
lists what exists now (nightly reconciliation) and `fetch_one` reads one record (merge before a
push). Values come from `mappers.py`; what each call costs in requests:

- customers: full = GetCompanySyncList pages (active and deleted ids, 1,000 per page) plus one
  GetCompanies(CompanyIds) per page; incremental = GetCompanySyncList(ChangedAfter) and, only
  when something changed, GetCompanies for the changed ids. 24SO's GetCompanies(ChangedAfter)
  never reports deletions; the sync list does, so an unchanged hour costs one request.
- projects: GetProjectsDetailed + GetDeactivatedProjects (ChangedAfter when incremental): 24SO
  lists active and deactivated projects in separate operations, so a run costs two requests.
  One list cannot do: ProjectSearch has no "include deactivated" criterion, GetProjectList /
  GetProjectsDetailed return active projects only, GetDeactivatedProjects inactive ones only,
  and a project deactivated since the last run is in neither active list. The alternatives
  cost more or lose edits: listing every active project each hour (no ChangedAfter, the
  whole client's projects with descriptions) to spot the missing ones, or leaving
  deactivations to the daily full sync (hours keep going to a project closed in 24SO).
- work types: GetWorkTypeList(Active=True) and (full only) GetWorkTypeList(Active=False); an
  incremental run is one request: a bound work type missing from the active list is inactive.
- tasks: full = GetProjectTasks per bound project. 24SO has no ChangedAfter for tasks, and a
  task edited there does not move its project's DateChanged, so an incremental run reads
  GetProjectTasks for (see `_task_projects`): the bound projects GetProjectList(ChangedAfter)
  lists, the recently active ones (hours dated in the last TASKS_ACTIVE_DAYS days, or changed
  in 24SO then; at most TASKS_PER_RUN, latest first) and one share of a rotation through
  every bound project, so that each is read at least every TASKS_ROTATION_HOURS runs (more
  runs when the projects exceed TASKS_PER_RUN a run). At M (2,000 projects) a run costs at
  most 1 + 500 + 500 requests (15 % of the 6,840 an hour allows): active projects' tasks
  arrive within the hour, every other project's within 4 hours.
- users: full = GetUsers + GetPersons(IsEmployee) for their e-mail addresses; incremental =
  GetPersons(ChangedAfter, IsEmployee) and GetUsers only when an employee changed (an
  unchanged run is one request, whatever the number of users).
- participants: GetProjectParticipants(ProjectIds, ChangedAfter) for the bound projects, only
  participants whose contact is mapped to a Tidsbro user (the others cannot be members here).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from apps.integrations.connectors.twentyfourseven import changed_after, mappers
from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient
from apps.integrations.connectors.twentyfourseven.types import Project
from apps.integrations.sync.types import RemoteRecord

PAGE = 500
# "Everything": 24SO lists need a criterion (GetCompanies returns nothing without one).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fetch(
    connector: Any, entity: str, *, since: datetime | None
) -> Iterator[Sequence[RemoteRecord]]:
    """Pages of records changed after `since` (all when None)."""
    try:
        reader = _FETCH[entity]
    except KeyError as exc:
        raise LookupError(f"24SevenOffice cannot pull {entity!r}") from exc
    after = changed_after(since, overlap=timedelta(0)) if since is not None else None
    return reader(connector, after)


def fetch_ids(connector: Any, entity: str) -> set[str]:
    """Every id that exists in 24SO now (for the nightly reconciliation)."""
    client = _client(connector)
    if entity == "customer":
        return {str(c.id) for c in client.iter_company_sync_list(active=True)}
    if entity == "project":
        active = client.get_project_list(changed_after=EPOCH)
        inactive = client.get_deactivated_projects(changed_after=EPOCH)
        return {str(p.id) for p in (*active, *inactive) if p.id}
    if entity == "work_type":
        return {str(w.id) for w in client.get_work_types()}
    if entity == "task":
        return {
            str(t.id)
            for project_id in _bound_projects(connector, active_only=False)
            for t in client.get_project_tasks(int(project_id))
            if t.id
        }
    if entity == "user":
        return {str(u.contact_id) for u in client.get_users() if u.contact_id}
    if entity == "participant":
        return {
            mappers.participant_id(p.project_id, p.contact_id)
            for p in _participants(connector, None)
            if mappers.is_member(p)
        }
    raise LookupError(f"24SevenOffice cannot list {entity!r}")


def fetch_one(connector: Any, entity: str, external_id: str) -> RemoteRecord | None:
    """One record as 24SO has it now; None when it is gone."""
    client = _client(connector)
    if entity == "customer":
        companies = client.get_companies(company_ids=[int(external_id)])
        return _customer(companies[0]) if companies else None
    if entity == "project":
        ids = [int(external_id)]
        found = client.get_projects_detailed(project_ids=ids)
        if found:
            return _project(found[0], active=True)
        found = client.get_deactivated_projects(project_ids=ids)
        return _project(found[0], active=False) if found else None
    if entity == "work_type":
        active = {w.id: w for w in client.get_work_types(active=True)}
        if int(external_id) in active:
            return _work_type(active[int(external_id)], active=True)
        every = {w.id: w for w in client.get_work_types()}
        found = every.get(int(external_id))
        return _work_type(found, active=False) if found else None
    if entity == "task":
        values = _bound_values(connector, "task", [external_id]).get(external_id) or {}
        project_id = values.get("project")
        if not project_id:
            return None
        for task in client.get_project_tasks(int(project_id)):
            if str(task.id) == str(external_id):
                return _task(task)
        return None
    if entity == "user":
        for record in _users(connector, None):
            for item in record:
                if item.external_id == str(external_id):
                    return item
        return None
    if entity == "participant":
        project_id, _, contact_id = external_id.partition(":")
        for p in client.get_project_participants(project_ids=[int(project_id)]):
            if str(p.contact_id) == contact_id:
                return _participant(p)
        return None
    raise LookupError(f"24SevenOffice cannot read {entity!r}")


# CUSTOMERS
# ------------------------------------------------------------------------------
def _customer(company: Any) -> RemoteRecord:
    return RemoteRecord(
        external_id=str(company.id),
        values=mappers.customer_from_company(company),
        changed_at=company.date_changed,
    )


def _customers(connector: Any, after: datetime | None) -> Iterator[list[RemoteRecord]]:
    client = _client(connector)
    page = 1
    while True:
        result = client.get_company_sync_list(changed_after=after, page=page)
        active = [item.id for item in result.items if item.active]
        details = {c.id: c for c in client.get_companies(company_ids=active)} if active else {}
        records: list[RemoteRecord] = []
        for item in result.items:
            company = details.get(item.id)
            if item.active and company is not None:
                records.append(_customer(company))
            elif not item.active:
                records.append(
                    RemoteRecord(
                        external_id=str(item.id),
                        values={},
                        changed_at=item.date_changed,
                        deleted=True,
                    )
                )
            # Active in the feed but not returned: deleted between the two calls; the next
            # run sees it in the feed as deleted.
        if records:
            yield records
        if not result.has_next or not result.items:
            return
        page += 1


# PROJECTS
# ------------------------------------------------------------------------------
def _project(project: Project, *, active: bool) -> RemoteRecord:
    return RemoteRecord(
        external_id=str(project.id),
        values=mappers.project_from_24so(project, active=active),
        changed_at=project.date_changed,
    )


def _projects(connector: Any, after: datetime | None) -> Iterator[list[RemoteRecord]]:
    client = _client(connector)
    since = after or EPOCH
    active = client.get_projects_detailed(changed_after=since)
    yield from _chunks([_project(p, active=True) for p in active if p.id])
    inactive = client.get_deactivated_projects(changed_after=since)
    yield from _chunks([_project(p, active=False) for p in inactive if p.id])


# WORK TYPES
# ------------------------------------------------------------------------------
def _work_type(work_type: Any, *, active: bool) -> RemoteRecord:
    return RemoteRecord(
        external_id=str(work_type.id), values=mappers.work_type_from_24so(work_type, active=active)
    )


def _work_types(connector: Any, after: datetime | None) -> Iterator[list[RemoteRecord]]:
    client = _client(connector)
    active = client.get_work_types(active=True)
    records = [_work_type(w, active=True) for w in active]
    seen = {r.external_id for r in records}
    if after is None:
        records += [
            _work_type(w, active=False)
            for w in client.get_work_types(active=False)
            if str(w.id) not in seen
        ]
    else:
        # One request per run: a work type we know that left the active list is inactive.
        for external_id, values in _bound_values(connector, "work_type", None).items():
            if external_id not in seen and values:
                records.append(
                    RemoteRecord(external_id=external_id, values={**values, "is_active": False})
                )
    yield from _chunks(records)


# TASKS
# ------------------------------------------------------------------------------
def _task(task: Any) -> RemoteRecord:
    return RemoteRecord(external_id=str(task.id), values=mappers.task_from_24so(task))


def _tasks(connector: Any, after: datetime | None) -> Iterator[list[RemoteRecord]]:
    client = _client(connector)
    if after is None:
        projects = _bound_projects(connector, active_only=False)
    else:
        changed = [str(p.id) for p in client.get_project_list(changed_after=after) if p.id]
        projects = _task_projects(connector, changed)
    batch: list[RemoteRecord] = []
    for project_id in projects:
        batch.extend(_task(t) for t in client.get_project_tasks(int(project_id)) if t.id)
        if len(batch) >= PAGE:
            yield batch
            batch = []
    if batch:
        yield batch


def task_settings() -> tuple[int, int, int]:
    """(TASKS_ACTIVE_DAYS, TASKS_ROTATION_HOURS, TASKS_PER_RUN) from the settings (0 = off)."""
    return (
        int(getattr(settings, "TWENTYFOURSEVEN_TASKS_ACTIVE_DAYS", 14)),
        int(getattr(settings, "TWENTYFOURSEVEN_TASKS_ROTATION_HOURS", 4)),
        int(getattr(settings, "TWENTYFOURSEVEN_TASKS_PER_RUN", 500)),
    )


def _task_projects(connector: Any, changed: list[str]) -> list[str]:
    """The bound projects whose tasks an incremental run reads (GetProjectTasks each): those
    24SO lists as changed, the recently active ones and this run's share of the rotation."""
    bound = _bound_projects(connector, active_only=False)
    if not bound:
        return []
    known = set(bound)
    active_days, rotation, per_run = task_settings()
    wanted = {p for p in changed if p in known}
    if active_days > 0 and per_run > 0:
        wanted.update(_recently_active(connector.connection, days=active_days, limit=per_run))
    if rotation > 0 and per_run > 0:
        runs = incremental_task_runs(connector.connection)
        wanted.update(rotation_share(bound, run=runs, hours=rotation, per_run=per_run))
    return [p for p in bound if p in wanted]


def rotation_share(bound: list[str], *, run: int, hours: int, per_run: int) -> list[str]:
    """The projects run number `run` reads (pure): every project falls in one of
    max(hours, ⌈projects / per_run⌉) fixed shares (by a hash of its id, so adding projects
    moves no other), and consecutive runs take the shares in turn."""
    shares = max(hours, -(-len(bound) // per_run))
    return [p for p in bound if zlib.crc32(p.encode()) % shares == run % shares]


def _recently_active(connection: Any, *, days: int, limit: int) -> list[str]:
    """Bound projects with hours dated in the last `days` days (latest first), then those
    24SO changed in that time: at most `limit` 24SO ids (two queries)."""
    from apps.integrations import bindings
    from apps.integrations.models import Binding
    from apps.timesheets.models import TimeEntry

    since = timezone.now() - timedelta(days=days)
    local_ids = list(
        TimeEntry.objects.filter(date__gte=timezone.localdate(since))
        .values("project_id")
        .annotate(last=Max("date"))
        .order_by("-last", "project_id")
        .values_list("project_id", flat=True)[:limit]
    )
    by_local = bindings.remote_ids(connection, "project", local_ids, which=bindings.SYNCED)
    active = [by_local[i] for i in local_ids if i in by_local]
    if len(active) < limit:
        changed = (
            Binding.objects.filter(connection=connection, entity="project")
            .exclude(external_id="")
            .exclude(state=Binding.State.EXCLUDED)
            .filter(remote_changed_at__gte=since)
            .exclude(external_id__in=active)
            .order_by("-remote_changed_at")
            .values_list("external_id", flat=True)[: limit - len(active)]
        )
        active.extend(changed)
    return active


def incremental_task_runs(connection: Any) -> int:
    """How many incremental task pulls of this connection succeeded: the rotation's clock
    (a failed run leaves it, so its share is read by the next one)."""
    from apps.integrations.models import SyncRun

    return SyncRun.objects.filter(
        connection=connection,
        entity="task",
        kind="pull",
        full=False,
        status=SyncRun.Status.SUCCEEDED,
    ).count()


# USERS
# ------------------------------------------------------------------------------
def _users(connector: Any, after: datetime | None) -> Iterator[list[RemoteRecord]]:
    client = _client(connector)
    if after is None:
        users = [u for u in client.get_users() if u.contact_id]
        persons = {p.id: p for p in client.get_persons(is_employee=True)}
    else:
        # GetUsers has no "changed after" (and no e-mail addresses); GetPersons has both, and
        # a 24SO user is an employee person. So an incremental run asks which employees
        # changed and reads the users only when one did: an unchanged hour is one request
        # however many users the client has. A login given to an employee without touching
        # the person comes with the daily full sync; removed users with the nightly
        # reconciliation (which lists GetUsers).
        persons = {p.id: p for p in client.get_persons(changed_after=after, is_employee=True)}
        users = [u for u in client.get_users() if u.contact_id in persons] if persons else []
    records = []
    for user in users:
        person = persons.get(user.contact_id)
        values = mappers.user_from_24so(
            user,
            email=person.email if person else "",
            first_name=person.first_name if person else "",
            last_name=person.last_name if person else "",
        )
        records.append(RemoteRecord(external_id=str(user.contact_id), values=values))
    yield from _chunks(records)
    # The engine has applied every page when the generator resumes here (users no Tidsbro
    # user matched are "only in the ERP"): link any whose Tidsbro user has appeared since.
    from apps.integrations.registry import adapter_for

    settle = getattr(adapter_for("user"), "settle", None)
    if settle is not None:
        settle(connector.connection)


# PARTICIPANTS
# ------------------------------------------------------------------------------
def _participant(participant: Any) -> RemoteRecord:
    return RemoteRecord(
        external_id=mappers.participant_id(participant.project_id, participant.contact_id),
        values=mappers.participant_from_24so(participant),
        deleted=not mappers.is_member(participant),
    )


def _participants(connector: Any, after: datetime | None) -> list[Any]:
    client = _client(connector)
    projects = [int(p) for p in _bound_projects(connector, active_only=False)]
    found: list[Any] = []
    for start in range(0, len(projects), PAGE):
        found.extend(
            client.get_project_participants(
                project_ids=projects[start : start + PAGE], changed_after=after
            )
        )
    return found


def _participant_records(connector: Any, after: datetime | None) -> Iterator[list[RemoteRecord]]:
    mapped = mapped_contacts(connector.connection)
    records = [
        _participant(p) for p in _participants(connector, after) if str(p.contact_id) in mapped
    ]
    yield from _chunks(records)


# LOCAL LOOK-UPS (one query each)
# ------------------------------------------------------------------------------
def _bound_projects(
    connector: Any, *, active_only: bool, external_ids: Iterable[str] | None = None
) -> list[str]:
    """The bound projects' ids in number order (of `external_ids` only, when given)."""
    from apps.integrations import bindings

    rows = bindings.snapshots_by_remote_id(
        connector.connection, "project", external_ids, which=bindings.SYNCED
    )
    return sorted(
        (
            external_id
            for external_id, snapshot in rows.items()
            if not active_only or snapshot.get("status") != mappers.ARCHIVED
        ),
        key=int,
    )


def _bound_values(
    connector: Any, entity: str, external_ids: Iterable[str] | None
) -> dict[str, dict[str, Any]]:
    from apps.integrations import bindings

    return bindings.remote_values(connector.connection, entity, external_ids)


def mapped_contacts(connection: Any) -> dict[str, int]:
    """24SO contact id → Tidsbro user id, for the users mapped on this connection."""
    from apps.integrations import bindings

    return bindings.all_local_ids(connection, "user")


def _client(connector: Any) -> TwentyFourSevenClient:
    return connector.client


def _chunks(records: list[RemoteRecord]) -> Iterator[list[RemoteRecord]]:
    for start in range(0, len(records), PAGE):
        yield records[start : start + PAGE]


_FETCH = {
    "customer": _customers,
    "project": _projects,
    "work_type": _work_types,
    "task": _tasks,
    "user": _users,
    "participant": _participant_records,
}
