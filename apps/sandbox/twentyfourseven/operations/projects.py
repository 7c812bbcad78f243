"""ProjectService (and TimeService.GetProjectList): projects, tasks, participants."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from ..models import Company, Hour, Person, Project, ProjectParticipant, ProjectStatus, Task
from ..soap import SERVICES, element_names
from .common import Call, fault, get, ints, is_set, next_number, operation, out_dt, plain, utc

PROJECT_COLUMNS = {"Name", "NameDisplay", "TimeReg", "Version", "NeedApproval", "Description"}
PROJECT_READ_ONLY = {
    "Id",
    "DateChanged",
    "DateRegistered",
    "Owner",
    "CustomerName",
    "StatusName",
    "WorkTypeName",
    "Participants",
    "Enabled",
    "CustomerId",
    "StatusId",
    "WorkTypeId",
    "DateStart",
    "DateStop",
}


def _projects(call: Call):
    return (
        Project.objects.filter(client=call.client)
        .select_related("status")
        .prefetch_related("participants__person")
    )


def _names(call: Call, model, field: str, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = model.objects.filter(client=call.client, **{f"{field}__in": ids})
    return {getattr(r, field): r.name for r in rows}


def project_dicts(call: Call, projects: list[Project], *, detailed: bool) -> list[dict]:
    from ..models import WorkType

    customers = _names(
        call, Company, "company_id", {p.customer_id for p in projects if p.customer_id}
    )
    work_types = _names(
        call, WorkType, "work_type_id", {p.work_type_id for p in projects if p.work_type_id}
    )
    result = []
    for p in projects:
        item: dict[str, Any] = {
            "Id": p.project_id,
            "Enabled": False,  # "not in use, always false" per 24SO's documentation
            "Name": p.name,
            "NameDisplay": p.name_display,
            "DateChanged": out_dt(p.date_changed),
            "DateStart": out_dt(p.date_start),
            "DateStop": out_dt(p.date_stop),
            "DateRegistered": out_dt(p.date_registered),
            "CustomerId": p.customer_id or 0,
            "CustomerName": customers.get(p.customer_id),
            "StatusId": p.status.status_id if p.status else 0,
            "StatusName": p.status.name if p.status else None,
            "NeedApproval": p.need_approval,
            "WorkTypeId": p.work_type_id or 0,
            "WorkTypeName": work_types.get(p.work_type_id),
            "TimeReg": p.time_reg,
            "Version": p.version,
        }
        if detailed:
            item.update({k: v for k, v in p.data.items() if k not in PROJECT_READ_ONLY})
            members = [pp.person.contact_id for pp in p.participants.all() if pp.is_member]
            item.update(
                {
                    "Description": p.description or None,
                    "Owner": p.owner_contact_id or 0,
                    "Participants": {"int": members} if members else None,
                }
            )
        result.append(item)
    return result


def _search(call: Call, qs, search: Any, *, text: bool = True):
    if search is None:
        return qs
    ids = ints(get(search, "ProjectIds"))
    if ids:
        qs = qs.filter(project_id__in=ids)
    if is_set(get(search, "CustomerId")):
        qs = qs.filter(customer_id=search["CustomerId"])
    if text and get(search, "Search"):
        qs = qs.filter(name__icontains=search["Search"])
    if get(search, "ChangedAfter"):
        qs = qs.filter(date_changed__gt=utc(search["ChangedAfter"]))
    if get(search, "StartedAfter"):
        qs = qs.filter(date_start__gt=utc(search["StartedAfter"]))
    if get(search, "StartedBefore"):
        qs = qs.filter(date_start__lt=utc(search["StartedBefore"]))
    if get(search, "MyProjects"):
        me = call.identity.person
        qs = qs.filter(
            participants__person=me,
            participants__state__in=[
                ProjectParticipant.PARTICIPATING,
                ProjectParticipant.INITIATER,
            ],
        )
    return qs


def _active(qs, active: bool):
    if active:
        return qs.exclude(status__active=False)
    return qs.filter(status__active=False)


def _listing(call: Call, search: Any, *, active: bool, detailed: bool, text: bool = True):
    qs = _search(call, _active(_projects(call), active), search, text=text)
    items = project_dicts(call, list(qs.order_by("project_id").distinct()), detailed=detailed)
    return {"Project": items} if items else None


@operation("project", "GetProjectList")
def get_project_list(call: Call) -> dict | None:
    return _listing(call, call.params.get("Ps"), active=True, detailed=False)


@operation("time", "GetProjectList")
def time_get_project_list(call: Call) -> dict | None:
    result = _listing(call, call.params.get("Ps"), active=True, detailed=False)
    if result is None:
        return None
    # TimeService's Project is an older, smaller type than ProjectService's.
    fields = element_names(SERVICES["time"], "Project")
    return {"Project": [{k: v for k, v in p.items() if k in fields} for p in result["Project"]]}


@operation("project", "GetProjectsDetailed")
def get_projects_detailed(call: Call) -> dict | None:
    return _listing(call, call.params.get("Ps"), active=True, detailed=True)


@operation("project", "GetDeactivatedProjects")
def get_deactivated_projects(call: Call) -> dict | None:
    # "does not support freetext search"
    return _listing(call, call.params.get("ps"), active=False, detailed=True, text=False)


def _short(call: Call, active: bool) -> dict | None:
    qs = _active(Project.objects.filter(client=call.client), active).order_by("project_id")
    items = [{"Id": p.project_id, "Name": p.name} for p in qs]
    return {"ProjectShort": items} if items else None


@operation("project", "GetProjectNameList")
def get_project_name_list(call: Call) -> dict | None:
    return _short(call, True)


@operation("project", "GetDeactivatedProjectNameList")
def get_deactivated_project_name_list(call: Call) -> dict | None:
    return _short(call, False)


def project_or_fault(call: Call, project_id: Any) -> Project:
    project = _projects(call).filter(project_id=project_id or 0).first()
    if project is None:
        raise fault(f"System.Exception: Project {project_id} does not exist")
    return project


@operation("project", "GetSingleProject")
def get_single_project(call: Call) -> dict:
    project = project_or_fault(call, call.params.get("projectId"))
    return project_dicts(call, [project], detailed=True)[0]


def _persons_or_fault(call: Call, contact_ids: list[int]) -> list[Person]:
    persons = list(Person.objects.filter(client=call.client, contact_id__in=contact_ids))
    missing = set(contact_ids) - {p.contact_id for p in persons}
    if missing:
        raise fault(f"System.Exception: Unknown contact id(s): {sorted(missing)}")
    return persons


def set_participants(project: Project, persons: list[Person], now) -> None:
    """Adds the persons as participating and marks everyone else removed."""
    wanted = {p.pk for p in persons}
    for membership in project.participants.all():
        if membership.person_id not in wanted and membership.is_member:
            membership.state = ProjectParticipant.REMOVED
            membership.date_changed = now
            membership.save(update_fields=["state", "date_changed"])
    current = {m.person_id: m for m in project.participants.all()}
    for person in persons:
        membership = current.get(person.pk)
        if membership is None:
            ProjectParticipant.objects.create(
                project=project,
                person=person,
                state=ProjectParticipant.PARTICIPATING,
                date_changed=now,
            )
        elif not membership.is_member:
            membership.state = ProjectParticipant.PARTICIPATING
            membership.date_changed = now
            membership.save(update_fields=["state", "date_changed"])


@operation("project", "SaveProject")
def save_project(call: Call) -> int:
    data = plain(call.params.get("project")) or {}
    if not (data.get("Name") or "").strip():
        raise fault("System.Exception: Project name is required")
    project_id = data.get("Id")
    project = None
    if is_set(project_id):
        project = _projects(call).filter(project_id=project_id).first()
    if project is None:
        number = (
            project_id
            if is_set(project_id)
            else next_number(Project.objects.filter(client=call.client), "project_id", 1001)
        )
        project = Project(
            client=call.client,
            project_id=number,
            date_registered=call.now,
            owner_contact_id=call.identity.person.contact_id,
        )
    project.name = data["Name"].strip()
    for prop, column in (
        ("NameDisplay", "name_display"),
        ("TimeReg", "time_reg"),
        ("NeedApproval", "need_approval"),
        ("Description", "description"),
    ):
        if prop in data:
            setattr(project, column, data[prop])
    if data.get("Version") in (Project.OPEN, Project.RIGHTS_MANAGED):
        project.version = data["Version"]  # 1 = open, 2 = rights-managed; others ignored
    for prop, column in (("DateStart", "date_start"), ("DateStop", "date_stop")):
        if prop in data:
            setattr(project, column, utc(data[prop]))
    if "CustomerId" in data:
        customer_id = data["CustomerId"]
        if is_set(customer_id):
            if not Company.objects.filter(client=call.client, company_id=customer_id).exists():
                raise fault(f"System.Exception: Customer {customer_id} does not exist")
            project.customer_id = customer_id
        else:
            project.customer_id = None
    if is_set(data.get("StatusId")):
        status = ProjectStatus.objects.filter(
            client=call.client, status_id=data["StatusId"]
        ).first()
        if status is None:
            raise fault(f"System.Exception: Project status {data['StatusId']} does not exist")
        project.status = status
    elif project.status_id is None:
        project.status = (
            ProjectStatus.objects.filter(client=call.client, active=True)
            .order_by("status_id")
            .first()
        )
    if "WorkTypeId" in data:
        project.work_type_id = data["WorkTypeId"] if is_set(data["WorkTypeId"]) else None
    project.data = {
        **project.data,
        **{k: v for k, v in data.items() if k not in PROJECT_COLUMNS | PROJECT_READ_ONLY},
    }
    project.date_changed = call.now
    project.save()
    if "Participants" in data:
        contact_ids = [int(i) for i in (data["Participants"] or {}).get("int", [])]
        set_participants(project, _persons_or_fault(call, contact_ids), call.now)
    return project.project_id


@operation("project", "GetProjectStatuses")
def get_project_statuses(call: Call) -> dict | None:
    items = [
        {"Id": s.status_id, "Name": s.name, "Active": s.active}
        for s in call.client.project_statuses.order_by("status_id")
    ]
    return {"Status": items} if items else None


@operation("project", "GetProjectRoles")
def get_project_roles(call: Call) -> dict | None:
    items = [
        {"Id": r.role_id, "Name": r.name, "Parent": r.parent}
        for r in call.client.project_roles.order_by("role_id")
    ]
    return {"Role": items} if items else None


def _empty(call: Call) -> None:
    return None


for _name in ("GetProjectTypes", "GetPipeLines", "GetCategories"):
    operation("project", _name)(_empty)


def task_dicts(tasks: list[Task]) -> list[dict]:
    registered = dict(
        Hour.objects.filter(
            task_id__in=[t.task_id for t in tasks], client_id__in={t.client_id for t in tasks}
        )
        .values_list("task_id")
        .annotate(total=Sum("total_hours"))
    )
    result = []
    for t in tasks:
        members = [p.contact_id for p in t.participants.all()]
        result.append(
            {
                "Id": t.task_id,
                "Name": t.name,
                "Description": t.description or None,
                "DateStart": out_dt(t.date_start),
                "DateStop": out_dt(t.date_stop),
                "Overtime": 0,
                "Parent": t.parent or 0,
                "Priority": t.priority,
                "Project": t.project.project_id,
                "Status": t.status,
                "WorkTypeId": t.work_type_id or 0,
                "Estimate": t.estimate or 0,
                "Registered": registered.get(t.task_id, 0),
                "Participants": {"int": members} if members else None,
                "ProjectName": t.project.name,
            }
        )
    return result


def _tasks(call: Call):
    return (
        Task.objects.filter(client=call.client)
        .select_related("project")
        .prefetch_related("participants")
    )


@operation("project", "GetProjectTasks")
def get_project_tasks(call: Call) -> dict | None:
    project = project_or_fault(call, call.params.get("projectId"))
    items = task_dicts(list(_tasks(call).filter(project=project).order_by("task_id")))
    return {"Task": items} if items else None


@operation("project", "GetMyProjectTasks")
def get_my_project_tasks(call: Call) -> dict | None:
    me = call.identity.person
    items = task_dicts(list(_tasks(call).filter(participants=me).order_by("task_id")))
    return {"Task": items} if items else None


@operation("project", "SaveProjectTask")
def save_project_task(call: Call) -> int:
    data = plain(call.params.get("task")) or {}
    missing = [
        f for f in ("Name", "Project", "DateStart", "DateStop") if data.get(f) in (None, "", 0)
    ]
    if missing:
        raise fault(f"System.Exception: Missing required field(s): {', '.join(missing)}")
    project = project_or_fault(call, data["Project"])
    task = None
    if is_set(data.get("Id")):
        task = _tasks(call).filter(task_id=data["Id"]).first()
        if task is None:
            raise fault(f"System.Exception: Task {data['Id']} does not exist")
    if task is None:
        task = Task(
            client=call.client,
            task_id=next_number(Task.objects.filter(client=call.client), "task_id", 1),
        )
    task.project = project
    task.name = data["Name"]
    task.date_start = utc(data["DateStart"])
    task.date_stop = utc(data["DateStop"])
    task.description = data.get("Description", task.description) or ""
    task.status = data.get("Status")
    for prop, column in (
        ("Priority", "priority"),
        ("Parent", "parent"),
        ("WorkTypeId", "work_type_id"),
        ("Estimate", "estimate"),
    ):
        if prop in data:
            setattr(task, column, data[prop])
    task.date_changed = call.now
    task.save()
    if "Participants" in data:
        contact_ids = [int(i) for i in (data["Participants"] or {}).get("int", [])]
        task.participants.set(_persons_or_fault(call, contact_ids))
    return task.task_id


@operation("project", "GetProjectParticipants")
def get_project_participants(call: Call) -> dict | None:
    ids = ints(call.params.get("ProjectIds"))
    changed_after = utc(call.params.get("ChangedAfter"))
    qs = _projects(call).order_by("project_id")
    if ids:
        qs = qs.filter(project_id__in=ids)
    result = []
    for project in qs.prefetch_related("participants__role"):
        members = [
            m
            for m in project.participants.all()
            if changed_after is None or m.date_changed > changed_after
        ]
        if ids or members:
            result.append(
                {
                    "ProjectId": project.project_id,
                    "Participants": {
                        "Participant": [
                            {
                                "ContactId": m.person.contact_id,
                                "Name": m.person.name,
                                "Role": {
                                    "Id": m.role.role_id,
                                    "Name": m.role.name,
                                    "Parent": m.role.parent,
                                }
                                if m.role
                                else None,
                                "State": m.state,
                                "StateName": ProjectParticipant.STATES[m.state],
                            }
                            for m in members
                        ]
                    }
                    if members
                    else None,
                }
            )
    return {"ProjectParticipants": result} if result else None
