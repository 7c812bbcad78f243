"""TimeService (behaves as the 2022 documentation): work types and hours."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from ..models import Hour, Project, ProjectParticipant, WorkType
from ..soap import SERVICES, element_names
from .common import Call, fault, get, ints, is_set, next_number, operation, out_dt, plain, utc

MAX_TOTAL_HOURS = 255  # "max value is 255" (TimeService data types)
MAX_HOUR_IDS = 1000  # HourSearch.HourIds: "maximum 1000 IDs"


def work_type_dict(w: WorkType) -> dict:
    return {
        "Id": w.work_type_id,
        "Name": w.name,
        "Description": w.description or None,
        "Invoiceable": w.invoiceable,
        "Price": w.price,
        "ProductId": w.product_id or 0,
    }


@operation("time", "GetWorkTypeList")
def get_work_type_list(call: Call) -> dict | None:
    search = call.params.get("Wts")
    qs = WorkType.objects.filter(client=call.client).order_by("work_type_id")
    project_id = get(search, "ProjectId")
    active = get(search, "Active")
    if is_set(project_id):
        # With ProjectId, Active is ignored; no work types checked off = all are active.
        project = Project.objects.filter(client=call.client, project_id=project_id).first()
        if project is not None and project.work_types.exists():
            qs = project.work_types.order_by("work_type_id")
    elif active in ("True", "False"):
        qs = qs.filter(active=active == "True")
    items = [work_type_dict(w) for w in qs]
    return {"WorkType": items} if items else None


def hour_dict(h: Hour) -> dict:
    return {
        "Id": h.hour_id,
        "TypeOfWorkId": h.type_of_work_id or 0,
        "StartTime": out_dt(h.start_time),
        "StopTime": out_dt(h.stop_time),
        "TotalHours": h.total_hours,
        "TotalHoursInvoice": h.total_hours_invoice
        if h.total_hours_invoice is not None
        else h.total_hours,
        "ContactId": h.contact_id,
        "ProjectId": h.project_id or 0,
        "Description": h.description,
        "Locked": h.locked,
        "Approved": h.approved,
        "ApprovedBy": h.approved_by or 0,
        "ProjectTaskId": h.task_id or 0,
        "NeedApproval": h.need_approval,
        "SalaryTypeId": h.salary_type_id or 0,
        "CustomerId": h.customer_id or 0,
        "OrderId": h.order_id or 0,
        "Price": h.price if h.price is not None else Decimal("0"),
        # Only set notes are sent: a client built from the 2018 WSDL knows no InternalNote.
        "InternalNote": h.internal_note or None,
    }


def _minute(value: dt.datetime) -> dt.datetime:
    """ChangedAfter/RegisteredAfter: "seconds are disregarded in the search"."""
    return utc(value).replace(second=0, microsecond=0)


@operation("time", "GetHours")
def get_hours(call: Call) -> dict | None:
    hs = call.params.get("hs")
    qs = Hour.objects.filter(client=call.client)
    if hs is not None:
        if is_set(get(hs, "ContactId")):
            qs = qs.filter(contact_id=hs["ContactId"])
        if is_set(get(hs, "ProjectId")):
            qs = qs.filter(project_id=hs["ProjectId"])
        if is_set(get(hs, "TypeOfWorkId")):
            qs = qs.filter(type_of_work_id=hs["TypeOfWorkId"])
        if get(hs, "StartTime") and utc(hs["StartTime"]).year > 1:
            qs = qs.filter(start_time__gte=utc(hs["StartTime"]))
        if get(hs, "StopTime") and utc(hs["StopTime"]).year > 1:
            qs = qs.filter(start_time__lt=utc(hs["StopTime"]))
        if get(hs, "ChangedAfter"):
            qs = qs.filter(date_changed__gte=_minute(hs["ChangedAfter"]))
        if get(hs, "RegisteredAfter"):
            qs = qs.filter(date_registered__gte=_minute(hs["RegisteredAfter"]))
        hour_ids = ints(get(hs, "HourIds"))
        if len(hour_ids) > MAX_HOUR_IDS:
            raise fault(f"System.Exception: HourIds can contain at most {MAX_HOUR_IDS} ids")
        if hour_ids:
            qs = qs.filter(hour_id__in=hour_ids)
        hours = list(qs.order_by("start_time", "hour_id"))
        status = get(hs, "Status")
        if status and status != "none":
            hours = [h for h in hours if h.status == status]
    else:
        hours = list(qs.order_by("start_time", "hour_id"))
    items = [hour_dict(h) for h in hours]
    return {"Hour": items} if items else None


@operation("time", "GetHoursForApproval")
def get_hours_for_approval(call: Call) -> dict | None:
    params = call.params.get("approvalSearchParameters")
    qs = Hour.objects.filter(client=call.client, need_approval=True, approved="none")
    if is_set(get(params, "ContactId")):
        qs = qs.filter(contact_id=params["ContactId"])
    if is_set(get(params, "ProjectId")):
        qs = qs.filter(project_id=params["ProjectId"])
    items = [hour_dict(h) for h in qs.order_by("start_time")]
    return {"Hour": items} if items else None


def _check_rights(call: Call, project: Project, contact_id: int) -> None:
    if project.version != Project.RIGHTS_MANAGED:
        return
    member = project.participants.filter(
        person__contact_id=contact_id,
        state__in=[ProjectParticipant.PARTICIPATING, ProjectParticipant.INITIATER],
    ).exists()
    if not member:
        raise fault(
            f"System.Exception: Contact {contact_id} is not a participant in project "
            f"{project.project_id}"
        )


def _check_hours(prop: str, value: float | None) -> None:
    # .NET reads NaN and INF as doubles too; 24SO allows at most 255 hours.
    if value is not None and not (math.isfinite(value) and 0 <= value <= MAX_TOTAL_HOURS):
        raise fault(f"System.Exception: {prop} must be between 0 and {MAX_TOTAL_HOURS}")


@operation("time", "SaveHour")
def save_hour(call: Call) -> int:
    data = plain(call.params.get("Hour")) or {}
    existing = None
    if is_set(data.get("Id")):
        existing = Hour.objects.filter(client=call.client, hour_id=data["Id"]).first()
        if existing is None:
            raise fault(f"System.Exception: Hour {data['Id']} does not exist")
        if existing.approved == "True" or existing.locked == "True":
            raise fault(f"System.Exception: Hour {data['Id']} is approved or locked")
    start = utc(data.get("StartTime")) if data.get("StartTime") else None
    stop = utc(data.get("StopTime")) if data.get("StopTime") else None
    if existing is None and (start is None or start.year < 2):
        raise fault("System.Exception: StartTime is required")
    hour = existing or Hour(
        client=call.client,
        hour_id=next_number(Hour.objects.filter(client=call.client), "hour_id", 100001),
        date_registered=call.now,
    )
    contact_id = data.get("ContactId")
    if is_set(contact_id):
        hour.contact_id = contact_id
    elif existing is None:
        hour.contact_id = call.identity.person.contact_id
    if not call.client.persons.filter(contact_id=hour.contact_id).exists():
        raise fault(f"System.Exception: Contact {hour.contact_id} does not exist")
    if start is not None:
        hour.start_time = start
    for prop in ("TotalHours", "TotalHoursInvoice"):
        _check_hours(prop, data.get(prop))
    if stop is not None and stop.year > 1:
        hour.stop_time = stop
    elif existing is None:
        hour.stop_time = hour.start_time + dt.timedelta(hours=float(data.get("TotalHours") or 0))
    total = data.get("TotalHours")
    if total is None or (existing is None and total == 0):
        total = (hour.stop_time - hour.start_time).total_seconds() / 3600
    _check_hours("TotalHours", total)
    hour.total_hours = total
    if data.get("TotalHoursInvoice") is not None:
        hour.total_hours_invoice = data["TotalHoursInvoice"]
    project_id = data.get("ProjectId", hour.project_id if existing else None)
    if is_set(project_id):
        project = Project.objects.filter(client=call.client, project_id=project_id).first()
        if project is None:
            raise fault(f"System.Exception: Project {project_id} does not exist")
        _check_rights(call, project, hour.contact_id)
        hour.project_id = project_id
    else:
        hour.project_id = None
    for prop, column in (
        ("TypeOfWorkId", "type_of_work_id"),
        ("ProjectTaskId", "task_id"),
        ("ApprovedBy", "approved_by"),
        ("SalaryTypeId", "salary_type_id"),
        ("CustomerId", "customer_id"),
    ):
        if prop in data:
            setattr(hour, column, data[prop] if is_set(data[prop]) else None)
    for prop, column in (
        ("Description", "description"),
        ("InternalNote", "internal_note"),
        ("Locked", "locked"),
        ("Approved", "approved"),
        ("NeedApproval", "need_approval"),
        ("Price", "price"),
    ):
        if prop in data:
            setattr(hour, column, data[prop])
    if (
        hour.type_of_work_id
        and not WorkType.objects.filter(
            client=call.client, work_type_id=hour.type_of_work_id
        ).exists()
    ):
        raise fault(f"System.Exception: Work type {hour.type_of_work_id} does not exist")
    if hour.task_id and not call.client.tasks.filter(task_id=hour.task_id).exists():
        raise fault(f"System.Exception: Task {hour.task_id} does not exist")
    hour.date_changed = call.now
    hour.save()
    return hour.hour_id


@operation("time", "DeleteHour")
def delete_hour(call: Call) -> bool:
    data = plain(call.params.get("Hour")) or {}
    if not is_set(data.get("Id")):
        return False
    hour = Hour.objects.filter(client=call.client, hour_id=data["Id"]).first()
    if hour is None or hour.approved == "True" or hour.locked == "True":
        return False
    hour.delete()
    return True


@operation("time", "GetSalaryTypes")
def get_salary_types(call: Call) -> dict:
    return {"SalaryType": [{"Id": 1, "Name": "Ordinary"}]}


@operation("time", "GetTimeSettings")
def get_time_settings(call: Call) -> dict:
    return {"KeyValuePair": [{"Key": "UseApproval", "Value": "True"}]}


@operation("time", "GetProjectData")
def get_project_data(call: Call) -> dict:
    """One project with the work types and tasks hours can be registered on."""
    from .projects import project_dicts, project_or_fault, task_dicts

    search = call.params.get("Pds")
    project = project_or_fault(call, get(search, "ProjectId"))
    fields = element_names(SERVICES["time"], "Project")
    data = {
        k: v for k, v in project_dicts(call, [project], detailed=True)[0].items() if k in fields
    }
    if get(search, "ProjectOnly"):
        return {"Project": data}
    work_types = project.work_types.order_by("work_type_id")
    if not work_types.exists():
        work_types = WorkType.objects.filter(client=call.client, active=True).order_by(
            "work_type_id"
        )
    tasks = project.tasks.select_related("project").prefetch_related("participants")
    if is_set(get(search, "ContactId")):
        tasks = tasks.filter(participants__contact_id=search["ContactId"])
    task_fields = element_names(SERVICES["time"], "Task")
    task_items = [
        {k: v for k, v in t.items() if k in task_fields}
        for t in task_dicts(list(tasks.order_by("task_id")))
    ]
    return {
        "Project": data,
        "WorkTypes": {"WorkType": [work_type_dict(w) for w in work_types]},
        "Tasks": {"Task": task_items} if task_items else None,
    }
