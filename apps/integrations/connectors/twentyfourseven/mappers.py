"""24SevenOffice records ↔ canonical local values: pure functions, no database, no network.

The canonical records (fields, conventions) are the entity registry's
(`apps.integrations.entities`): the sync engine stores them as a binding's snapshot and
three-way merges them field by field. This module maps 24SO's records to and from them.

24SO specifics
--------------
- 24SO stores dateTimes in UTC: a date goes out as local midnight in UTC and comes back as
  the same day.
- References to other records are the **24SO ids as strings** (e.g. a project's `customer`
  is the 24SO company id "10001").

The fields 24SO holds per object type (the binding's `external_id` is always the 24SO id)
------------------------------------------------------------------------------------------
customer  (external id: Company.Id; the ERP owns customers)
    name, number (= the 24SO company id, str), organisation_number, email (invalid → ""),
    phone, address_line1, address_line2, postal_code, city, country (ISO-2, upper case),
    visiting_address (one line). Not `is_active`: 24SO cannot bar a customer;
    deleted in 24SO → `RemoteRecord(deleted=True)` → the customer becomes inactive locally.
project   (external id: Project.Id = the project number)
    name, number (int, = Project.Id), customer (24SO company id or None),
    status ("active" | "archived"; archived = in GetDeactivatedProjects), start_date,
    end_date, description, default_work_type (24SO work type id or None),
    needs_approval (bool; 24SO's unset TriState counts as False).
work_type (external id: WorkType.Id; read-only in 24SO)
    name, description, invoiceable (bool), price (str), product_number (24SO ProductId as
    str, "" when none), is_active (bool).
task      (external id: Task.Id)
    project (24SO project id), name, description, start_date, end_date,
    priority (local 1 low / 2 normal / 3 high = 24SO 0/1/2), estimate_hours (str or None),
    assignees (sorted list of 24SO contact ids as str; the adapter keeps contact ids that
    no Tidsbro user is mapped to, so Tidsbro never drops them from 24SO).
    24SO's Task.Status numbers have no documented meaning: status is not synced.
user      (external id: User.ContactId, the id hours are registered on)
    name, first_name, last_name, email (lower case), user_id (24SO user guid or ""),
    employee_id (int or None). Never written to Tidsbro users (see adapters/users.py).
participant (external id: "<project id>:<contact id>")
    project (24SO project id), user (24SO contact id), role (24SO role name or None).
    Removed/never-accepted participants are `deleted=True`.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from apps.integrations import entities
from apps.integrations.connectors.twentyfourseven.types import (
    Address,
    Company,
    Participant,
    Project,
    Task,
    User,
    WorkType,
)

ACTIVE = entities.ACTIVE
ARCHIVED = entities.ARCHIVED
CENTS = entities.CENTS
# Participant states that make someone a member (24SO ProjectParticipantState).
# Invitations not yet accepted do not count: they cannot register hours in 24SO either.
MEMBER_STATES = frozenset({"Participating", "ProjectInitiater"})
MEMBER_STATE_NUMBERS = frozenset({2, 3})

# The canonical fields 24SO holds (the registry's, less what 24SO has no place for).
CUSTOMER_FIELDS = tuple(f for f in entities.fields("customer") if f != "is_active")
PROJECT_FIELDS = entities.fields("project")
WORK_TYPE_FIELDS = entities.fields("work_type")
TASK_FIELDS = entities.fields("task")
USER_FIELDS = entities.fields("user")
PARTICIPANT_FIELDS = entities.fields("participant")

# Local column sizes: a longer ERP value is cut rather than failing the whole batch.
_MAX = {
    "name": 255,
    "organisation_number": 20,
    "phone": 40,
    "address_line1": 255,
    "address_line2": 255,
    "postal_code": 20,
    "city": 100,
    "visiting_address": 255,
    "product_number": 40,
}


# HELPERS
# ------------------------------------------------------------------------------
text = entities.text
money = entities.money


def ref(value: int | None) -> str | None:
    """A 24SO id as a canonical reference ("not set" ids are None already)."""
    return str(value) if value else None


def ref_int(value: Any) -> int | None:
    """A canonical reference back to the int 24SO wants."""
    if value in (None, ""):
        return None
    return int(value)


def local_zone() -> ZoneInfo:
    from django.conf import settings

    return ZoneInfo(getattr(settings, "TIME_ZONE", None) or "UTC")


def to_date(value: dt.datetime | None, zone: ZoneInfo | None = None) -> str | None:
    """The local day of a 24SO dateTime (UTC), ISO."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone or local_zone()).date().isoformat()


def from_date(value: str | None, zone: ZoneInfo | None = None) -> dt.datetime | None:
    """Local midnight of an ISO day, in UTC (what 24SO stores)."""
    if not value:
        return None
    day = dt.date.fromisoformat(value)
    return dt.datetime.combine(day, dt.time(), tzinfo=zone or local_zone()).astimezone(dt.UTC)


def clean_email(value: Any) -> str:
    email = text(value).lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _lines(street: str) -> tuple[str, str]:
    parts = [p.strip() for p in street.replace("\r", "\n").split("\n") if p.strip()]
    if not parts:
        return "", ""
    return parts[0], ", ".join(parts[1:])


def _one_line(address: Address | None) -> str:
    if address is None:
        return ""
    street = ", ".join(p for p in _lines(address.street) if p)
    place = " ".join(
        p for p in (text(address.postal_code), text(address.city or address.postal_area)) if p
    )
    return ", ".join(p for p in (street, place) if p)


# CUSTOMERS
# ------------------------------------------------------------------------------
def customer_from_company(company: Company) -> dict[str, Any]:
    """Canonical customer values of a 24SO company."""
    post = company.post_address or Address()
    line1, line2 = _lines(text(post.street))
    name = text(company.name)
    if company.type == "Consumer" and text(company.first_name):
        name = f"{text(company.first_name)} {name}".strip()
    return {
        "name": name[: _MAX["name"]],
        "number": str(company.id) if company.id else "",
        "organisation_number": text(company.organization_number, _MAX["organisation_number"]),
        "email": clean_email(company.email),
        "phone": text(company.phone or company.mobile, _MAX["phone"]),
        "address_line1": line1[: _MAX["address_line1"]],
        "address_line2": line2[: _MAX["address_line2"]],
        "postal_code": text(post.postal_code, _MAX["postal_code"]),
        "city": text(post.city or post.postal_area, _MAX["city"]),
        "country": text(company.country or post.country).upper()[:2],
        "visiting_address": _one_line(company.visit_address)[: _MAX["visiting_address"]],
    }


def company_from_customer(values: dict[str, Any], *, external_id: str | None = None) -> Company:
    """The 24SO company to save for canonical customer values (id None = create)."""
    street = "\n".join(
        p for p in (text(values.get("address_line1")), text(values.get("address_line2"))) if p
    )
    post = Address(
        street=street,
        postal_code=text(values.get("postal_code")),
        postal_area=text(values.get("city")),
        city=text(values.get("city")),
        country=text(values.get("country")).upper(),
    )
    visit = Address(street=text(values.get("visiting_address")))
    return Company(
        id=ref_int(external_id),
        name=text(values.get("name")),
        organization_number=text(values.get("organisation_number")),
        email=text(values.get("email")),
        phone=text(values.get("phone")),
        country=text(values.get("country")).upper(),
        post_address=None if post == Address() else post,
        visit_address=None if visit == Address() else visit,
    )


# PROJECTS
# ------------------------------------------------------------------------------
def project_from_24so(
    project: Project, *, active: bool, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """Canonical project values; `active` says which list it came from."""
    return {
        "name": text(project.name, _MAX["name"]),
        "number": project.id,
        "customer": ref(project.customer_id),
        "status": ACTIVE if active else ARCHIVED,
        "start_date": to_date(project.date_start, zone),
        "end_date": to_date(project.date_stop, zone),
        "description": text(project.description),
        "default_work_type": ref(project.work_type_id),
        "needs_approval": bool(project.need_approval),
    }


def project_to_24so(
    values: dict[str, Any],
    *,
    external_id: str | None = None,
    status_ids: dict[str, int] | None = None,
    zone: ZoneInfo | None = None,
    **extra: Any,
) -> Project:
    """The 24SO project to save (id None = create; 24SO assigns the number).

    `status_ids` maps "active"/"archived" to a 24SO status id whose Active flag matches
    (from GetProjectStatuses); without it the status is left as 24SO has it. `extra` sets
    other Project fields the push keeps from the ERP's record (version, time_reg …).
    """
    status = values.get("status")
    return Project(
        id=ref_int(external_id),
        name=text(values.get("name")),
        customer_id=ref_int(values.get("customer")),
        description=text(values.get("description")),
        status_id=(status_ids or {}).get(status) if status else None,
        date_start=from_date(values.get("start_date"), zone),
        date_stop=from_date(values.get("end_date"), zone),
        work_type_id=ref_int(values.get("default_work_type")),
        need_approval=bool(values.get("needs_approval")),
        **extra,
    )


# WORK TYPES
# ------------------------------------------------------------------------------
def work_type_from_24so(work_type: WorkType, *, active: bool) -> dict[str, Any]:
    return {
        "name": text(work_type.name, _MAX["name"]),
        "description": text(work_type.description),
        "invoiceable": bool(work_type.invoiceable),
        "price": money(work_type.price) or "0.00",
        "product_number": str(work_type.product_id) if work_type.product_id else "",
        "is_active": bool(active),
    }


def work_type_to_24so(values: dict[str, Any], *, external_id: str | None = None) -> WorkType:
    """Only for completeness: 24SO's API has no operation to save work types."""
    product = text(values.get("product_number"))
    return WorkType(
        id=ref_int(external_id) or 0,
        name=text(values.get("name")),
        description=text(values.get("description")),
        invoiceable=bool(values.get("invoiceable")),
        price=Decimal(values["price"]) if values.get("price") is not None else None,
        product_id=int(product) if product.isdigit() else None,
    )


# TASKS
# ------------------------------------------------------------------------------
def _priority_in(value: int | None) -> int:
    if value is None:
        return 2
    return {0: 1, 1: 2, 2: 3}.get(value, 2)


def _priority_out(value: Any) -> int:
    return {1: 0, 2: 1, 3: 2}.get(int(value or 2), 1)


def contact_ids(values: Any) -> list[str]:
    """A canonical, sorted list of contact ids."""
    return entities.id_list(values)


def task_from_24so(task: Task, *, zone: ZoneInfo | None = None) -> dict[str, Any]:
    return {
        "project": ref(task.project_id),
        "name": text(task.name, _MAX["name"]),
        "description": text(task.description),
        "start_date": to_date(task.date_start, zone),
        "end_date": to_date(task.date_stop, zone),
        "priority": _priority_in(task.priority),
        "estimate_hours": money(task.estimate) if task.estimate else None,
        "assignees": contact_ids(task.participants),
    }


def task_to_24so(
    values: dict[str, Any],
    *,
    external_id: str | None = None,
    zone: ZoneInfo | None = None,
    **extra: Any,
) -> Task:
    """The 24SO task to save; 24SO needs name, project, start and stop (the push fills
    missing dates, e.g. from the project)."""
    estimate = values.get("estimate_hours")
    return Task(
        id=ref_int(external_id),
        project_id=ref_int(values.get("project")),
        name=text(values.get("name")),
        description=text(values.get("description")),
        date_start=from_date(values.get("start_date"), zone),
        date_stop=from_date(values.get("end_date"), zone),
        priority=_priority_out(values.get("priority")),
        # 24SO keeps whole hours.
        estimate=int(Decimal(estimate).to_integral_value(ROUND_HALF_UP)) if estimate else None,
        participants=tuple(int(c) for c in values.get("assignees") or ()),
        **extra,
    )


# USERS AND PARTICIPANTS
# ------------------------------------------------------------------------------
def user_from_24so(
    user: User, *, email: str = "", first_name: str = "", last_name: str = ""
) -> dict[str, Any]:
    name = text(user.name) or f"{text(first_name)} {text(last_name)}".strip()
    if not (first_name or last_name) and name:
        first_name, _, last_name = name.partition(" ")
    return {
        "name": name,
        "first_name": text(first_name),
        "last_name": text(last_name),
        "email": clean_email(email),
        "user_id": str(user.id) if user.id else "",
        "employee_id": user.employee_id,
    }


def participant_id(project_id: int | str, contact_id: int | str) -> str:
    return f"{int(project_id)}:{int(contact_id)}"


def is_member(participant: Participant) -> bool:
    if participant.state_name:
        return participant.state_name in MEMBER_STATES
    return participant.state in MEMBER_STATE_NUMBERS


def participant_from_24so(participant: Participant) -> dict[str, Any]:
    return {
        "project": str(participant.project_id),
        "user": str(participant.contact_id),
        "role": text(participant.role.name) or None if participant.role else None,
    }
