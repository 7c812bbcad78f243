"""projectsapi v1.1.0 in the sandbox: projects, activities, employees and time entries.

Only an agreement with the Project module reaches these (``openapi.dispatch``). Error codes are
the document's own ``x-error-codes`` where it has one for the case; the few the sandbox had to
pick say "sandbox" in a comment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from . import events
from .endpoint import Outcome
from .models import (
    Activity,
    ActivityGroup,
    Customer,
    DraftInvoice,
    Employee,
    EmployeeGroup,
    Project,
    ProjectGroup,
    ProjectStatus,
    TimeEntry,
)
from .openapi import (
    PROJECTS,
    Call,
    Collection,
    as_float,
    compact,
    created,
    date_time,
    extras,
    invalid,
    location,
    next_version,
    not_found,
    one,
    parse_date,
    parse_datetime,
    require_version,
    standard_reads,
    updated,
    version_token,
)
from .resources import now_to_second

FILE = PROJECTS.filename


def _next_number(model: type[models.Model], agreement) -> int:
    highest = model.objects.filter(agreement=agreement).aggregate(m=models.Max("number"))["m"]
    return (highest or 0) + 1


def _emit(call: Call, event: str, **fields) -> None:
    events.emit(call.agreement, event, **fields)


def _with_extra(row, doc: dict) -> dict:
    return {**compact(row.extra or {}), **doc}


# Project groups and statuses ---------------------------------------------------------------


def project_group_json(g: ProjectGroup) -> dict:
    return _with_extra(
        g,
        compact(
            {
                "number": g.number,
                "name": g.name,
                "type": g.group_type,
                "objectVersion": version_token(g.object_version),
            }
        ),
    )


def _group_post(call: Call, model: Any, label: str, path: str) -> Outcome:
    """POST of a project or activity group: the number given or the next free one (a taken
    number is refused with the service's code), name and type."""
    doc = call.body
    name = model.__name__
    value = doc.get("number") or _next_number(model, call.agreement)
    if model.objects.filter(agreement=call.agreement, number=value).exists():
        raise invalid(
            f"{label} {value} already exists.",
            f"{name}CannotBeCreatedUpdatedNumberAlreadyExists",
            "number",
        )
    model.objects.create(
        agreement=call.agreement,
        number=value,
        name=doc["name"],
        group_type=doc["type"],
        object_version=next_version(),
        extra=extras(doc, name, FILE, {"number", "name", "type", "objectVersion"}),
    )
    return created(value, location(call, f"{path}/{value}"))


PROJECT_GROUPS = Collection(
    service=PROJECTS,
    schema="ProjectGroup",
    model=ProjectGroup,
    render=project_group_json,
    label="Project group",
    columns={"number": ("number", "int"), "name": ("name", "str"), "type": ("group_type", "int")},
)
standard_reads(PROJECT_GROUPS, "/ProjectGroups")


@PROJECTS.route("POST", "/ProjectGroups")
def project_group_post(call: Call) -> Outcome:
    return _group_post(call, ProjectGroup, "Project group", "ProjectGroups")


def project_status_json(s: ProjectStatus) -> dict:
    return compact(
        {
            "number": s.number,
            "name": s.name,
            "type": s.status_type,
            "priority": s.priority,
            "objectVersion": version_token(s.object_version),
        }
    )


PROJECT_STATUSES = Collection(
    service=PROJECTS,
    schema="ProjectStatus",
    model=ProjectStatus,
    render=project_status_json,
    label="Project status",
    columns={
        "number": ("number", "int"),
        "name": ("name", "str"),
        "type": ("status_type", "int"),
        "priority": ("priority", "int"),
    },
)
standard_reads(PROJECT_STATUSES, "/ProjectStatuses")


# Projects -----------------------------------------------------------------------------------

PROJECT_COLUMNS = {
    "number": ("number", "int"),
    "name": ("name", "str"),
    "projectGroupNumber": ("project_group_number", "int"),
    "customerNumber": ("customer_number", "int"),
    "isClosed": ("is_closed", "bool"),
    "isBarred": ("is_barred", "bool"),
    "isMainProject": ("is_main_project", "bool"),
    "lastUpdated": ("last_updated", "datetime"),
    "responsibleEmployeeNumber": ("responsible_employee_number", "int"),
    "mainProjectNumber": ("main_project_number", "int"),
    "status": ("status", "int"),
    "description": ("description", "str"),
    "deliveryDate": ("delivery_date", "datetime"),
    "closedDate": ("closed_date", "datetime"),
    "otherReference": ("other_reference", "str"),
}


def project_json(p: Project) -> dict:
    return _with_extra(
        p,
        compact(
            {
                "number": p.number,
                "name": p.name,
                "projectGroupNumber": p.project_group_number,
                "customerNumber": p.customer_number,
                "isClosed": p.is_closed,
                "isBarred": p.is_barred,
                "isMainProject": p.is_main_project,
                "lastUpdated": updated(p.last_updated),
                "responsibleEmployeeNumber": p.responsible_employee_number,
                "mainProjectNumber": p.main_project_number,
                "status": p.status,
                "description": p.description,
                "deliveryDate": date_time(p.delivery_date),
                "closedDate": date_time(p.closed_date),
                "otherReference": p.other_reference,
                "objectVersion": version_token(p.object_version),
            }
        ),
    )


PROJECTS_COLL = Collection(
    service=PROJECTS,
    schema="Project",
    model=Project,
    render=project_json,
    label="Project",
    columns=PROJECT_COLUMNS,
)
standard_reads(PROJECTS_COLL, "/Projects")


def _project_values(call: Call, doc: dict, *, number_value: int) -> dict:
    """Model values for a Project document; 400 with the document's error code if refused."""
    agreement = call.agreement
    if not ProjectGroup.objects.filter(
        agreement=agreement, number=doc["projectGroupNumber"]
    ).exists():
        raise invalid(
            f"Project group {doc['projectGroupNumber']} does not exist.",
            "ProjectCannotBeCreatedUpdatedGroupDoesNotExist",
            "projectGroupNumber",
        )
    customer = doc.get("customerNumber")
    if (
        customer is not None
        and not Customer.objects.filter(agreement=agreement, customer_number=customer).exists()
    ):
        raise invalid(
            f"Customer {customer} was not found.",
            "ProjectCannotBeCreatedUpdatedCustomerNotFound",
            "customerNumber",
        )
    main = doc.get("mainProjectNumber")
    if main is not None and (
        main == number_value
        or not Project.objects.filter(
            agreement=agreement, number=main, is_main_project=True
        ).exists()
    ):
        raise invalid(
            f"Main project {main} does not exist or is not a main project.",
            "ProjectCannotBeCreatedUpdatedMainProjectNumberDoesNotExistOrInvalid",
            "mainProjectNumber",
        )
    status = doc.get("status")
    if (
        status is not None
        and not ProjectStatus.objects.filter(agreement=agreement, number=status).exists()
    ):
        raise invalid(  # sandbox: the document names no code for an unknown status
            f"Project status {status} does not exist.",
            "ProjectCannotBeCreatedUpdatedStatusDoesNotExist",
            "status",
        )
    employee = doc.get("responsibleEmployeeNumber")
    if (
        employee is not None
        and not Employee.objects.filter(agreement=agreement, number=employee).exists()
    ):
        raise invalid(  # sandbox: the document names no code for an unknown employee
            f"Employee {employee} does not exist.",
            "ProjectCannotBeCreatedUpdatedEmployeeNotFound",
            "responsibleEmployeeNumber",
        )
    return {
        "name": doc["name"],
        "project_group_number": doc["projectGroupNumber"],
        "customer_number": customer,
        "is_barred": bool(doc.get("isBarred", False)),
        "is_main_project": bool(doc.get("isMainProject", False)),
        "main_project_number": main,
        "responsible_employee_number": employee,
        "status": status,
        "description": doc.get("description") or "",
        "delivery_date": parse_datetime(doc, "deliveryDate"),
        "closed_date": parse_datetime(doc, "closedDate"),
        "other_reference": doc.get("otherReference") or "",
        "extra": extras(doc, "Project", FILE, set(PROJECT_COLUMNS) | {"objectVersion"}),
    }


@PROJECTS.route("POST", "/Projects")
def project_post(call: Call) -> Outcome:
    doc = call.body
    value = doc.get("number")
    if value is None:
        value = _next_number(Project, call.agreement)
    elif Project.objects.filter(agreement=call.agreement, number=value).exists():
        raise invalid(
            f"Project number {value} already exists.",
            "ProjectCannotBeCreatedUpdatedNumberAlreadyExists",
            "number",
        )
    values = _project_values(call, doc, number_value=value)
    Project.objects.create(
        agreement=call.agreement,
        number=value,
        last_updated=now_to_second(),
        object_version=next_version(),
        **values,
    )
    _emit(call, "PROJECT_CREATED", PROJECTNUMBER=value)
    return created(value, location(call, f"Projects/{value}"))


@PROJECTS.route("PUT", "/Projects")
def project_put(call: Call) -> Outcome:
    doc = call.body
    project = _for_update(call, Project, doc, "Project")
    values = _project_values(call, doc, number_value=project.number)
    if values["is_main_project"] and not project.is_main_project:
        if TimeEntry.objects.filter(agreement=call.agreement, project_number=project.number):
            raise invalid(
                "The project has time entries: it cannot be made a main project.",
                "ProjectCannotBeMadeMainHasTimeEntries",
                "isMainProject",
            )
    for column, value in values.items():
        setattr(project, column, value)
    _saved(project)
    _emit(call, "PROJECT_UPDATED", PROJECTNUMBER=project.number)
    return Outcome(204)


@PROJECTS.route("DELETE", "/Projects/{number}")
def project_delete(call: Call, number: str) -> Outcome:
    project = one(call, PROJECTS_COLL, number)
    agreement = call.agreement
    if TimeEntry.objects.filter(agreement=agreement, project_number=project.number).exists():
        raise invalid(
            "The project cannot be deleted: it has time entries.",
            "ProjectCannotBeDeletedHasTimeEntries",
        )
    if Project.objects.filter(agreement=agreement, main_project_number=project.number).exists():
        raise invalid(
            "The project cannot be deleted: it has subprojects.",
            "ProjectCannotBeDeletedHasSubProjects",
        )
    if DraftInvoice.objects.filter(agreement=agreement, project_number=project.number).exists():
        raise invalid(
            "The project cannot be deleted: it has sales documents (draft invoices).",
            "ProjectCannotBeDeletedHasSalesDocuments",
        )
    project.delete()
    _emit(call, "PROJECT_DELETED", PROJECTNUMBER=project.number)
    return Outcome(204)


def _for_update(call: Call, model, doc: dict, label: str):
    """The row a PUT names by ``number`` in its body, locked, its objectVersion checked."""
    value = doc.get("number")
    if value is None:
        raise invalid("number is required on PUT.", "PropertyRequired", "number")
    row = model.objects.select_for_update().filter(agreement=call.agreement, number=value).first()
    if row is None:
        raise not_found(f"{label} {value}")
    require_version(doc, row)
    return row


def _saved(row) -> None:
    row.object_version = next_version(row.object_version)
    if hasattr(row, "last_updated"):
        row.last_updated = now_to_second()
    row.save()


# Activities ---------------------------------------------------------------------------------


def activity_group_json(g: ActivityGroup) -> dict:
    return _with_extra(
        g,
        compact(
            {
                "number": g.number,
                "name": g.name,
                "type": g.group_type,
                "objectVersion": version_token(g.object_version),
            }
        ),
    )


ACTIVITY_GROUPS = Collection(
    service=PROJECTS,
    schema="ActivityGroup",
    model=ActivityGroup,
    render=activity_group_json,
    label="Activity group",
    columns={"number": ("number", "int"), "name": ("name", "str"), "type": ("group_type", "int")},
)
standard_reads(ACTIVITY_GROUPS, "/ActivityGroups")


@PROJECTS.route("POST", "/ActivityGroups")
def activity_group_post(call: Call) -> Outcome:
    return _group_post(call, ActivityGroup, "Activity group", "ActivityGroups")


ACTIVITY_COLUMNS = {
    "number": ("number", "int"),
    "groupNumber": ("group_number", "int"),
    "name": ("name", "str"),
    "isBarred": ("is_barred", "bool"),
}


def activity_json(a: Activity) -> dict:
    return _with_extra(
        a,
        compact(
            {
                "number": a.number,
                "groupNumber": a.group_number,
                "name": a.name,
                "isBarred": a.is_barred,
                "objectVersion": version_token(a.object_version),
            }
        ),
    )


ACTIVITIES = Collection(
    service=PROJECTS,
    schema="Activity",
    model=Activity,
    render=activity_json,
    label="Activity",
    columns=ACTIVITY_COLUMNS,
)
standard_reads(ACTIVITIES, "/Activities")


def _activity_values(call: Call, doc: dict) -> dict:
    if not (doc.get("name") or "").strip():
        raise invalid("The activity needs a name.", "ActivityNameNullOrEmpty", "name")
    if not ActivityGroup.objects.filter(agreement=call.agreement, number=doc["groupNumber"]):
        raise invalid(
            f"Activity group {doc['groupNumber']} does not exist.",
            "ActivityGroupNumberDoesNotExist",
            "groupNumber",
        )
    return {
        "name": doc["name"],
        "group_number": doc["groupNumber"],
        "is_barred": bool(doc.get("isBarred", False)),
        "extra": extras(doc, "Activity", FILE, set(ACTIVITY_COLUMNS) | {"objectVersion"}),
    }


@PROJECTS.route("POST", "/Activities")
def activity_post(call: Call) -> Outcome:
    doc = call.body
    value = doc["number"]
    if Activity.objects.filter(agreement=call.agreement, number=value).exists():
        raise invalid(f"Activity {value} already exists.", "ActivityNumberAlreadyExists", "number")
    Activity.objects.create(
        agreement=call.agreement,
        number=value,
        object_version=next_version(),
        **_activity_values(call, doc),
    )
    _emit(call, "ACTIVITY_CREATED", ACTIVITYNUMBER=value)
    return created(value, location(call, f"Activities/{value}"))


@PROJECTS.route("PUT", "/Activities")
def activity_put(call: Call) -> Outcome:
    doc = call.body
    activity = _for_update(call, Activity, doc, "Activity")
    for column, value in _activity_values(call, doc).items():
        setattr(activity, column, value)
    _saved(activity)
    _emit(call, "ACTIVITY_UPDATED", ACTIVITYNUMBER=activity.number)
    return Outcome(204)


# Employees ----------------------------------------------------------------------------------


def employee_group_json(g: EmployeeGroup) -> dict:
    return compact(
        {"number": g.number, "name": g.name, "objectVersion": version_token(g.object_version)}
    )


EMPLOYEE_GROUPS = Collection(
    service=PROJECTS,
    schema="EmployeeGroup",
    model=EmployeeGroup,
    render=employee_group_json,
    label="Employee group",
    columns={"number": ("number", "int"), "name": ("name", "str")},
)
standard_reads(EMPLOYEE_GROUPS, "/EmployeeGroups")

EMPLOYEE_COLUMNS = {
    "number": ("number", "int"),
    "groupNumber": ("employee_group_number", "int"),
    "name": ("name", "str"),
    "isBarred": ("barred", "bool"),
    "phone": ("phone", "str"),
    "email": ("email", "str"),
}


def employee_json(e: Employee) -> dict:
    return compact(
        {
            "number": e.number,
            "groupNumber": e.employee_group_number,
            "name": e.name,
            "isBarred": e.barred,
            "phone": e.phone,
            "email": e.email,
            "objectVersion": version_token(e.object_version),
        }
    )


EMPLOYEES = Collection(
    service=PROJECTS,
    schema="Employee",
    model=Employee,
    render=employee_json,
    label="Employee",
    columns=EMPLOYEE_COLUMNS,
)
standard_reads(EMPLOYEES, "/Employees")


def _employee_values(call: Call, doc: dict) -> dict:
    if not (doc.get("name") or "").strip():
        raise invalid(
            "The employee needs a name.", "EmployeeCannotBeCreatedUpdatedNameNullOrEmpty", "name"
        )
    if not EmployeeGroup.objects.filter(agreement=call.agreement, number=doc["groupNumber"]):
        raise invalid(
            f"Employee group {doc['groupNumber']} was not found.",
            "EmployeeCannotBeCreatedUpdatedGroupNotFound",
            "groupNumber",
        )
    return {
        "name": doc["name"],
        "employee_group_number": doc["groupNumber"],
        "barred": bool(doc.get("isBarred", False)),
        "phone": doc.get("phone") or "",
        "email": doc.get("email") or "",
    }


@PROJECTS.route("POST", "/Employees")
def employee_post(call: Call) -> Outcome:
    doc = call.body
    value = doc.get("number")
    if value is None:
        value = _next_number(Employee, call.agreement)
    elif Employee.objects.filter(agreement=call.agreement, number=value).exists():
        raise invalid(
            f"Employee {value} already exists.",
            "EmployeeCannotBeCreatedUpdatedNumberAlreadyExists",
            "number",
        )
    Employee.objects.create(
        agreement=call.agreement,
        number=value,
        object_version=next_version(),
        **_employee_values(call, doc),
    )
    _emit(call, "EMPLOYEE_CREATED", EMPLOYEENUMBER=value)
    return created(value, location(call, f"Employees/{value}"))


@PROJECTS.route("PUT", "/Employees")
def employee_put(call: Call) -> Outcome:
    doc = call.body
    employee = _for_update(call, Employee, doc, "Employee")
    for column, value in _employee_values(call, doc).items():
        setattr(employee, column, value)
    _saved(employee)
    _emit(call, "EMPLOYEE_UPDATED", EMPLOYEENUMBER=employee.number)
    return Outcome(204)


def project_employee_json(e: Employee) -> dict:
    """An employee's project settings (prices, approval rights): e-conomic has no project
    membership; the sandbox keeps no prices, so these are the employee's plain data."""
    return compact(
        {
            "number": e.number,
            "groupNumber": e.employee_group_number,
            "name": e.name,
            "isBarred": e.barred,
            "canApprove": False,
            "canInvoice": False,
            "objectVersion": version_token(e.object_version),
        }
    )


PROJECT_EMPLOYEES = Collection(
    service=PROJECTS,
    schema="ProjectEmployee",
    model=Employee,
    render=project_employee_json,
    label="Project employee",
    columns=EMPLOYEE_COLUMNS,
)
standard_reads(PROJECT_EMPLOYEES, "/project-employees")


# Time entries -------------------------------------------------------------------------------

TIME_ENTRY_COLUMNS = {
    "number": ("number", "int"),
    "projectNumber": ("project_number", "int"),
    "activityNumber": ("activity_number", "int"),
    "employeeNumber": ("employee_number", "int"),
    "date": ("date", "datetime"),
    "text": ("text", "str"),
    "numberOfHours": ("number_of_hours", "number"),
    "isApproved": ("is_approved", "bool"),
    "isReconciled": ("is_reconciled", "bool"),
    "lastUpdated": ("last_updated", "datetime"),
}


def time_entry_json(t: TimeEntry) -> dict:
    return compact(
        {
            "number": t.number,
            "projectNumber": t.project_number,
            "activityNumber": t.activity_number,
            "employeeNumber": t.employee_number,
            "date": date_time(t.date),
            "text": t.text,
            "numberOfHours": as_float(t.number_of_hours),
            "isApproved": t.is_approved,
            "isReconciled": t.is_reconciled,
            "lastUpdated": updated(t.last_updated),
            "objectVersion": version_token(t.object_version),
        }
    )


TIME_ENTRIES = Collection(
    service=PROJECTS,
    schema="TimeEntry",
    model=TimeEntry,
    render=time_entry_json,
    label="Time entry",
    columns=TIME_ENTRY_COLUMNS,
)
standard_reads(TIME_ENTRIES, "/TimeEntries")


def _time_entry_values(call: Call, doc: dict) -> dict:
    """Values for a time entry; 400 with the reason when hours cannot be recorded there."""
    agreement = call.agreement
    project = Project.objects.filter(agreement=agreement, number=doc["projectNumber"]).first()
    if project is None:
        raise invalid(
            f"Project {doc['projectNumber']} does not exist.",
            "EntriesNotAllowedProjectNotFound",
            "projectNumber",
        )
    if project.is_main_project:
        raise invalid(
            f"Project {project.number} is a main project: hours go on its subprojects.",
            "EntriesNotAllowedProjectIsMain",
            "projectNumber",
        )
    if project.is_closed:
        raise invalid(
            f"Project {project.number} is closed.",
            "EntriesNotAllowedProjectIsClosed",
            "projectNumber",
        )
    if project.is_barred:
        raise invalid(
            f"Project {project.number} is barred.",
            "EntriesNotAllowedProjectIsBarred",
            "projectNumber",
        )
    activity = Activity.objects.filter(agreement=agreement, number=doc["activityNumber"]).first()
    if activity is None:
        raise invalid(
            f"Activity {doc['activityNumber']} was not found.",
            "CannotCreateUpdateActivityNotFound",
            "activityNumber",
        )
    if activity.is_barred:
        raise invalid(
            f"Activity {activity.number} is barred.",
            "CannotCreateUpdateActivityIsBarred",
            "activityNumber",
        )
    employee = Employee.objects.filter(agreement=agreement, number=doc["employeeNumber"]).first()
    if employee is None:
        raise invalid(
            f"Employee {doc['employeeNumber']} was not found.",
            "EntriesNotAllowedEmployeeNotFound",
            "employeeNumber",
        )
    if employee.barred:
        raise invalid(
            f"Employee {employee.number} is barred.",
            "EntriesNotAllowedEmployeeIsBarred",
            "employeeNumber",
        )
    day = parse_date(doc, "date", "TimeEntryCannotBeCreatedUpdatedDateIsNotSet")
    if day is None or day.year < 1900:
        raise invalid(
            "The date must be set.", "TimeEntryCannotBeCreatedUpdatedDateIsNotSet", "date"
        )
    hours = doc.get("numberOfHours")
    return {
        "project_number": project.number,
        "activity_number": activity.number,
        "employee_number": employee.number,
        "date": day,
        "text": doc.get("text") or "",
        "number_of_hours": None if hours is None else Decimal(str(hours)).quantize(Decimal("0.01")),
    }


@PROJECTS.route("POST", "/TimeEntries")
def time_entry_post(call: Call) -> Outcome:
    values = _time_entry_values(call, call.body)
    value = _next_number(TimeEntry, call.agreement)
    TimeEntry.objects.create(
        agreement=call.agreement,
        number=value,
        last_updated=now_to_second(),
        object_version=next_version(),
        **values,
    )
    _emit(call, "TIMEENTRY_CREATED", TIMEENTRYNUMBER=value)
    return created(value, location(call, f"TimeEntries/{value}"))


def _refuse_approved(entry: TimeEntry) -> None:
    if entry.is_approved:
        raise invalid(
            f"Time entry {entry.number} is approved: it cannot be updated or deleted.",
            "TimeEntryCannotBeUpdatedAlreadyApproved",
            "number",
        )


@PROJECTS.route("PUT", "/TimeEntries")
def time_entry_put(call: Call) -> Outcome:
    doc = call.body
    entry = _for_update(call, TimeEntry, doc, "Time entry")
    _refuse_approved(entry)
    for column, value in _time_entry_values(call, doc).items():
        setattr(entry, column, value)
    _saved(entry)
    _emit(call, "TIMEENTRY_UPDATED", TIMEENTRYNUMBER=entry.number)
    return Outcome(204)


@PROJECTS.route("DELETE", "/TimeEntries/{number}")
def time_entry_delete(call: Call, number: str) -> Outcome:
    entry = one(call, TIME_ENTRIES, number)
    _refuse_approved(entry)
    entry.delete()
    _emit(call, "TIMEENTRY_DELETED", TIMEENTRYNUMBER=entry.number)
    return Outcome(204)


@PROJECTS.route("POST", "/TimeEntries/approve")
def time_entries_approve(call: Call) -> Outcome:
    """Approves the entries all or none: an approved entry is locked (and booked)."""
    numbers = list(dict.fromkeys(call.body.get("numbers") or []))
    if not numbers:
        raise invalid(
            "Give the numbers of the time entries to approve.",
            "TimeEntryNumberListCannotBeEmpty",
            "numbers",
        )
    entries = {
        e.number: e
        for e in TimeEntry.objects.select_for_update().filter(
            agreement=call.agreement, number__in=numbers
        )
    }
    missing = [n for n in numbers if n not in entries]
    if missing:
        raise not_found(
            "Time entry " + ", ".join(map(str, missing)), "TimeEntryCannotBeApprovedNotFound"
        )
    barred = set(
        Project.objects.filter(
            agreement=call.agreement,
            number__in={e.project_number for e in entries.values()},
            is_barred=True,
        ).values_list("number", flat=True)
    )
    for value in numbers:
        entry = entries[value]
        if entry.is_approved:
            raise invalid(
                f"Time entry {value} is already approved.", "TimeEntryIsApproved", "numbers"
            )
        if entry.project_number in barred:
            raise invalid(
                f"Time entry {value} is on barred project {entry.project_number}.",
                "TimeEntryOnBarredProjectCannotBeApproved",
                "numbers",
            )
    for value in numbers:
        entry = entries[value]
        entry.is_approved = True
        _saved(entry)
    for value in numbers:
        _emit(call, "TIMEENTRY_APPROVED", TIMEENTRYNUMBER=value)
    return Outcome(204)
