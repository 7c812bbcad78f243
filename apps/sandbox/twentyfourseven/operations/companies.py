"""CompanyService: companies (customers) with returnProperties, the sync list, saving."""

from __future__ import annotations

import math
from typing import Any

from ..models import Company
from ..soap import NS, document
from .common import Call, ints, is_set, next_number, operation, out_dt, plain, utc, values

ITEMS_PER_PAGE = 1000  # GetCompanySyncList pages, per 24SO's documentation
COLUMNS = {
    "ExternalId": "external_id",
    "OrganizationNumber": "organization_number",
    "Name": "name",
    "Type": "type",
    "Country": "country",
    "Note": "note",
}
READ_ONLY = {"Id", "APIException", "DateCreated", "DateChanged", "ExplicitlySpecifyNewCompanyId"}


def company_properties() -> list[str]:
    company_type = document("companyService.wsdl").types.get_type(f"{{{NS}}}Company")
    return [name for name, _ in company_type.elements]


def company_dict(company: Company) -> dict[str, Any]:
    data = dict(company.data)
    for prop, column in COLUMNS.items():
        value = getattr(company, column)
        data[prop] = value if value != "" else None
    if company.email and not data.get("EmailAddresses"):
        data["EmailAddresses"] = {"Primary": {"Value": company.email}}
    if company.phone and not data.get("PhoneNumbers"):
        data["PhoneNumbers"] = {"Primary": {"Value": company.phone}}
    data["Id"] = company.company_id
    data["DateCreated"] = out_dt(company.date_created)
    data["DateChanged"] = out_dt(company.date_changed)
    return data


def _primary(data: dict, key: str) -> str:
    return ((data.get(key) or {}).get("Primary") or {}).get("Value") or ""


@operation("company", "GetCompanies")
def get_companies(call: Call) -> dict | None:
    search = call.params.get("searchParams")
    wanted = [str(p) for p in values(call.params.get("returnProperties"), "string")]
    known = set(company_properties())
    unknown = [p for p in wanted if p not in known]
    if search is None:
        return None
    qs = Company.objects.filter(client=call.client, active=True)
    given = False
    if is_set(search["CompanyId"]):
        qs, given = qs.filter(company_id=search["CompanyId"]), True
    ids = ints(search["CompanyIds"])
    if ids:
        qs, given = qs.filter(company_id__in=ids), True
    if search["ExternalId"]:
        qs, given = qs.filter(external_id=search["ExternalId"]), True
    if search["CompanyName"]:
        qs, given = qs.filter(name__icontains=search["CompanyName"]), True
    if search["OrganizationNumber"]:
        qs, given = qs.filter(organization_number=search["OrganizationNumber"]), True
    if search["ChangedAfter"]:
        qs, given = qs.filter(date_changed__gt=utc(search["ChangedAfter"])), True
    if not (given or search["CompanyEmail"] or search["CompanyPhone"]):
        return None  # no search criterion: 24SO returns nothing (list all with ChangedAfter)
    companies = [company_dict(c) for c in qs.order_by("company_id")]
    if search["CompanyEmail"]:
        email = search["CompanyEmail"].lower()
        companies = [c for c in companies if _primary(c, "EmailAddresses").lower() == email]
    if search["CompanyPhone"]:
        companies = [c for c in companies if _primary(c, "PhoneNumbers") == search["CompanyPhone"]]
    result = []
    for data in companies:
        item = {p: data.get(p) for p in wanted if p in known}
        if unknown:
            item["APIException"] = {
                "Type": "Exception",
                "Message": f"Not a specifiable return property: {', '.join(unknown)}",
            }
        result.append(item)
    return {"Company": result} if result else None


@operation("company", "GetCompanySyncList")
def get_company_sync_list(call: Call) -> dict:
    params = call.params.get("syncSearchParameters")
    qs = Company.objects.filter(client=call.client)
    page = 1
    if params is not None:
        page = params["Page"] if params["Page"] and params["Page"] > 0 else 1
        if params["Active"] is not None:
            qs = qs.filter(active=params["Active"])
        if params["ChangedAfter"]:
            qs = qs.filter(date_changed__gt=utc(params["ChangedAfter"]))
        if params["RegisteredAfter"]:
            qs = qs.filter(date_created__gt=utc(params["RegisteredAfter"]))
    total = qs.count()
    start = (page - 1) * ITEMS_PER_PAGE
    rows = qs.order_by("company_id")[start : start + ITEMS_PER_PAGE]
    items = [
        {
            "CompanyId": c.company_id,
            "ExternalId": c.external_id or None,
            "DateChanged": out_dt(c.date_changed),
            "DateRegistered": out_dt(c.date_created),
            "Active": c.active,
        }
        for c in rows
    ]
    return {
        "CurrentPage": page,
        "TotalPages": math.ceil(total / ITEMS_PER_PAGE),
        "TotalItems": total,
        "ItemsPerPage": ITEMS_PER_PAGE,
        "Items": {"SyncCompany": items} if items else None,
    }


def _exception(message: str) -> dict:
    return {"Type": "Exception", "Message": message, "StackTrace": None}


def _validate(data: dict) -> str | None:
    if len(data.get("Name") or "") > 200:
        return "Name can not be longer than 200 characters"
    if len(data.get("OrganizationNumber") or "") > 20:
        return "OrganizationNumber can not be longer than 20 characters"
    country = data.get("Country")
    if country and len(country) != 2:
        return "Country must be a two-letter country code"
    return None


def _save_one(call: Call, data: dict) -> dict:
    company_id = data.get("Id")
    existing = None
    if is_set(company_id):
        existing = Company.objects.filter(client=call.client, company_id=company_id).first()
        if existing is None and not data.get("ExplicitlySpecifyNewCompanyId"):
            return {**data, "APIException": _exception(f"Company {company_id} does not exist")}
    if existing is None and not (data.get("Name") or "").strip():
        return {**data, "APIException": _exception("Name is required")}
    problem = _validate(data)
    if problem:
        return {**data, "APIException": _exception(problem)}
    company = existing or Company(
        client=call.client,
        company_id=company_id
        if is_set(company_id)
        else next_number(Company.objects.filter(client=call.client), "company_id", 10001),
        date_created=call.now,
    )
    for prop, column in COLUMNS.items():
        if prop in data:
            setattr(company, column, data[prop] or "")
    email, phone = _primary(data, "EmailAddresses"), _primary(data, "PhoneNumbers")
    if email:
        company.email = email
    if phone:
        company.phone = phone
    extra = {k: v for k, v in data.items() if k not in COLUMNS and k not in READ_ONLY}
    company.data = {**company.data, **extra}
    company.active = True
    company.date_changed = call.now
    company.save()
    return {**data, "Id": company.company_id, "DateChanged": call.now, "APIException": None}


@operation("company", "SaveCompanies")
def save_companies(call: Call) -> dict | None:
    items = values(call.params.get("companies"), "Company")
    result = [_save_one(call, plain(item)) for item in items]
    return {"Company": result} if result else None


@operation("company", "DeleteCompanies")
def delete_companies(call: Call) -> dict | None:
    """Marks companies deleted (Active=false in the sync list); returns the ones that failed."""
    failed = []
    for item in values(call.params.get("companies"), "Company"):
        data = plain(item)
        updated = Company.objects.filter(
            client=call.client, company_id=data.get("Id") or 0, active=True
        ).update(active=False, date_changed=call.now)
        if not updated:
            failed.append({**data, "APIException": _exception("Company does not exist")})
    return {"Company": failed} if failed else None
