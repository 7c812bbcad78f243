"""Unimicro records ↔ Tidsbro's canonical records (pure: no database, no requests).

Canonical values follow `apps.integrations.entities` (text stripped, "" when absent; money as
"1250.00"; dates "YYYY-MM-DD"). A field Unimicro does not hold is left out of its records, so
the merge never compares it (e.g. a customer's visiting address, a work type's invoiceable).

Who is who (external ids are Unimicro's `ID`):
- customer  ← Customer + Info (BusinessRelation): Info.Name, CustomerNumber, OrgNumber,
  Info.DefaultEmail.EmailAddress, Info.DefaultPhone.Number, Info.InvoiceAddress (lines, postal
  code, city, country), StatusCode 30001 active / 50001 inactive.
- project   ← Project: Name, ProjectNumber, ProjectCustomerID, Description, StartDate, EndDate,
  StatusCode 42201–42203 active / 42204–42205 archived.
- task      ← ProjectTask: ProjectID, Name, Description, StartDate, EndDate.
- work_type ← WorkType: Name, Description, Price, Product.PartName (the product number).
- user      ← User: DisplayName, Email, GlobalIdentity.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.integrations import entities
from apps.integrations.connectors.unimicro.rules import (
    CUSTOMER_ACTIVE,
    CUSTOMER_DELETED,
    CUSTOMER_INACTIVE,
    PROJECT_ARCHIVED,
    PROJECT_FIRST_CLOSED,
    PROJECT_ONGOING,
    parse_time,
)

CUSTOMER_FIELDS = (
    "name",
    "number",
    "organisation_number",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "is_active",
)
PROJECT_FIELDS = ("name", "number", "customer", "status", "start_date", "end_date", "description")
TASK_FIELDS = ("project", "name", "description", "start_date", "end_date")
WORK_TYPE_FIELDS = ("name", "description", "price", "product_number")
# What a customer read expands (the name, e-mail, phone and address live on Info).
CUSTOMER_EXPAND = "Info,Info.DefaultEmail,Info.DefaultPhone,Info.InvoiceAddress"
WORK_TYPE_EXPAND = "Product"
# Keys a PUT never sends back (server-stamped, navigation helpers).
READ_ONLY = frozenset({"CreatedAt", "CreatedBy", "UpdatedAt", "UpdatedBy", "_links"})
GUID_NAMESPACE = uuid.UUID("6f1c1f52-7a0e-4b8e-9a57-2f3b1c0d7e11")


def text(value: Any, limit: int | None = None) -> str:
    return entities.text(value, limit)


def record_id(document: Mapping[str, Any]) -> str:
    value = document.get("ID")
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else ""


def changed_at(document: Mapping[str, Any]) -> datetime | None:
    """The latest of UpdatedAt and CreatedAt (a never-updated row may lack UpdatedAt)."""
    stamps = [parse_time(document.get(k)) for k in ("UpdatedAt", "CreatedAt")]
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


def is_deleted(document: Mapping[str, Any]) -> bool:
    return document.get("Deleted") is True or document.get("StatusCode") == CUSTOMER_DELETED


def guid(seed: str) -> str:
    """A `_createguid` derived from `seed` (the same logical child gets the same guid on a
    retry, which Unimicro refuses twice: no second insert)."""
    return str(uuid.uuid5(GUID_NAMESPACE, seed))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    raw = str(value or "").strip()
    return int(raw) if raw.isdigit() else None


def _day(value: Any) -> str | None:
    raw = text(value)
    return raw[:10] if len(raw) >= 10 else None


def _money(value: Any) -> str:
    try:
        return str(Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01")))
    except InvalidOperation:
        return "0.00"


def _nested(document: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    current: Any = document
    for key in path:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


# CUSTOMERS
# ------------------------------------------------------------------------------
def customer_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical values (`CUSTOMER_FIELDS`) of a Customer read with `CUSTOMER_EXPAND`."""
    info = _nested(document, "Info")
    address = _nested(info, "InvoiceAddress")
    number = _int(document.get("CustomerNumber"))
    return {
        "name": text(info.get("Name")),
        "number": str(number) if number is not None else "",
        "organisation_number": text(document.get("OrgNumber")).replace(" ", ""),
        "email": text(_nested(info, "DefaultEmail").get("EmailAddress")).lower(),
        "phone": text(_nested(info, "DefaultPhone").get("Number")),
        "address_line1": text(address.get("AddressLine1")),
        "address_line2": text(address.get("AddressLine2")),
        "postal_code": text(address.get("PostalCode")),
        "city": text(address.get("City")),
        "country": text(address.get("CountryCode") or address.get("Country")),
        "is_active": document.get("StatusCode") not in (CUSTOMER_INACTIVE, CUSTOMER_DELETED),
    }


def customer_changes(canonical: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """The held canonical values that differ from what `document` holds now."""
    now = customer_from_remote(document)
    out = {}
    for name in CUSTOMER_FIELDS:
        if name not in canonical:
            continue
        wanted = canonical[name]
        if name == "is_active":
            if (wanted is not False) != now[name]:
                out[name] = wanted is not False
        elif name == "email":
            if text(wanted).lower() != now[name]:
                out[name] = text(wanted).lower()
        elif text(wanted) != now[name]:
            out[name] = text(wanted)
    return out


def customer_to_remote(
    canonical: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    *,
    seed: str = "",
) -> dict[str, Any]:
    """The Customer to POST (no `current`: every child new, with `_createguid`s derived from
    `seed`) or the partial PUT body (only what changed, children by their IDs; a missing
    child is created). `is_active` is not written here: it is an action (see customers.py)."""
    changes = customer_changes(canonical, current) if current is not None else dict(canonical)
    new = current is None
    info_now = _nested(current or {}, "Info")
    body: dict[str, Any] = {}
    info: dict[str, Any] = {}
    if new:
        body["_createguid"] = guid(f"{seed}:customer")
        info["_createguid"] = guid(f"{seed}:info")
    else:
        body["ID"] = current.get("ID")  # type: ignore[union-attr]
        if info_now.get("ID"):
            info["ID"] = info_now["ID"]
    if "number" in changes and _int(changes["number"]) is not None:
        body["CustomerNumber"] = _int(changes["number"])
    if "organisation_number" in changes:
        body["OrgNumber"] = text(changes["organisation_number"]).replace(" ", "") or None
    if "name" in changes:
        info["Name"] = text(changes["name"])

    def child(key: str, values: dict[str, Any]) -> None:
        existing = _nested(info_now, key)
        if existing.get("ID"):
            info[key] = {"ID": existing["ID"], **values}
        else:
            # The same child asked again (a retried PUT) gets the same guid: one insert.
            mark = f"{seed}:{key}:{sorted(values.items())}"
            info[key] = {"ID": 0, "_createguid": guid(mark), **values}

    if "email" in changes and (changes["email"] or _nested(info_now, "DefaultEmail")):
        child("DefaultEmail", {"EmailAddress": text(changes["email"]).lower()})
    if "phone" in changes and (changes["phone"] or _nested(info_now, "DefaultPhone")):
        child("DefaultPhone", {"Number": text(changes["phone"])})
    address_keys = {
        "address_line1": "AddressLine1",
        "address_line2": "AddressLine2",
        "postal_code": "PostalCode",
        "city": "City",
        "country": "CountryCode",
    }
    address = {
        remote: text(changes[local]) for local, remote in address_keys.items() if local in changes
    }
    if any(address.values()) or (address and _nested(info_now, "InvoiceAddress")):
        child("InvoiceAddress", address)
    if new or len(info) > ("ID" in info):
        body["Info"] = info
    if new:
        body["StatusCode"] = CUSTOMER_ACTIVE
    return body


def customer_fingerprint(values: Mapping[str, Any]) -> str:
    """Name and organisation number ("" without a name): tells our own lost create."""
    name = " ".join(text(values.get("name")).casefold().split())
    if not name:
        return ""
    return f"{name}\x1f{text(values.get('organisation_number')).replace(' ', '')}"


# PROJECTS AND TASKS
# ------------------------------------------------------------------------------
def project_fingerprint(values: Mapping[str, Any]) -> str:
    """Name and customer ("" without a name): tells our own lost create of a project."""
    name = " ".join(text(values.get("name")).casefold().split())
    if not name:
        return ""
    return f"{name}\x1f{_int(values.get('customer')) or ''}"


def task_fingerprint(values: Mapping[str, Any]) -> str:
    """Project and name ("" without a name): tells our own lost create of a task."""
    name = " ".join(text(values.get("name")).casefold().split())
    if not name:
        return ""
    return f"{_int(values.get('project')) or ''}\x1f{name}"


def project_status(code: Any) -> str:
    code = _int(code)
    return (
        entities.ARCHIVED if code is not None and code >= PROJECT_FIRST_CLOSED else entities.ACTIVE
    )


def project_code(status: Any, current: Any = None) -> int:
    """The StatusCode for Tidsbro's status: archived → 42205 (Completed 42204 kept as it is),
    active → Ongoing 42203 (an active code Unimicro had kept as it is)."""
    now = _int(current)
    if status == entities.ARCHIVED:
        return now if now is not None and now >= PROJECT_FIRST_CLOSED else PROJECT_ARCHIVED
    return now if now is not None and now < PROJECT_FIRST_CLOSED else PROJECT_ONGOING


def project_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    customer = _int(document.get("ProjectCustomerID"))
    return {
        "name": text(document.get("Name")),
        "number": _int(document.get("ProjectNumber")),
        "customer": str(customer) if customer else None,
        "status": project_status(document.get("StatusCode")),
        "start_date": _day(document.get("StartDate")),
        "end_date": _day(document.get("EndDate")),
        "description": text(document.get("Description")),
    }


def _project_canonical(name: str, value: Any) -> Any:
    if name == "number":
        return _int(value)
    if name == "customer":
        number = _int(value)
        return str(number) if number else None
    if name == "status":
        return entities.ARCHIVED if value == entities.ARCHIVED else entities.ACTIVE
    if name in ("start_date", "end_date"):
        return _day(value)
    return text(value)


def project_changes(canonical: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    now = project_from_remote(document)
    return {
        f: canonical[f]
        for f in PROJECT_FIELDS
        if f in canonical and _project_canonical(f, canonical[f]) != now[f]
    }


def project_to_remote(
    canonical: Mapping[str, Any], current: Mapping[str, Any] | None = None, *, seed: str = ""
) -> dict[str, Any]:
    """The Project to POST (no `current`) or the partial PUT body (what changed)."""
    changes = project_changes(canonical, current) if current is not None else dict(canonical)
    body: dict[str, Any] = (
        {"_createguid": guid(f"{seed}:project")} if current is None else {"ID": current.get("ID")}
    )
    if "name" in changes:
        body["Name"] = text(changes["name"])
    if "number" in changes and _int(changes["number"]) is not None:
        body["ProjectNumber"] = str(_int(changes["number"]))
    if "customer" in changes:
        body["ProjectCustomerID"] = _int(changes["customer"])
    if "description" in changes:
        body["Description"] = text(changes["description"])
    for local, remote in (("start_date", "StartDate"), ("end_date", "EndDate")):
        if local in changes:
            body[remote] = _day(changes[local])
    if "status" in changes or current is None:
        body["StatusCode"] = project_code(
            canonical.get("status"), (current or {}).get("StatusCode")
        )
    return body


def task_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    project = _int(document.get("ProjectID"))
    return {
        "project": str(project) if project else None,
        "name": text(document.get("Name")),
        "description": text(document.get("Description")),
        "start_date": _day(document.get("StartDate")),
        "end_date": _day(document.get("EndDate")),
    }


def task_to_remote(
    canonical: Mapping[str, Any], current: Mapping[str, Any] | None = None, *, seed: str = ""
) -> dict[str, Any]:
    now = task_from_remote(current or {})
    body: dict[str, Any] = (
        {"_createguid": guid(f"{seed}:task")} if current is None else {"ID": current.get("ID")}
    )
    keys = {
        "project": "ProjectID",
        "name": "Name",
        "description": "Description",
        "start_date": "StartDate",
        "end_date": "EndDate",
    }
    for local, remote in keys.items():
        if local not in canonical:
            continue
        value = canonical[local]
        if local == "project":
            value = _int(value)
            if current is None or str(value or "") != str(now["project"] or ""):
                body[remote] = value
        elif local in ("start_date", "end_date"):
            if current is None or _day(value) != now[local]:
                body[remote] = _day(value)
        elif current is None or text(value) != now[local]:
            body[remote] = text(value)
    return body


# WORK TYPES
# ------------------------------------------------------------------------------
def product_number(product: Mapping[str, Any]) -> str:
    """A Product's number: `PartName` (Unimicro's product number field), else
    `ProductNumber` where a system names it so."""
    return text(product.get("PartName") or product.get("ProductNumber"))


def work_type_from_remote(
    document: Mapping[str, Any], products: Mapping[int, str] | None = None
) -> dict[str, Any]:
    """Canonical values of a WorkType (its product from `Product` when expanded, else from
    `products`: product id → number)."""
    product = _nested(document, "Product")
    number = product_number(product) if product else ""
    if not number and products is not None:
        number = products.get(_int(document.get("ProductID")) or 0, "")
    return {
        "name": text(document.get("Name")),
        "description": text(document.get("Description")),
        "price": _money(document.get("Price")),
        "product_number": number,
    }


def work_type_changes(canonical: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    now = work_type_from_remote(document)
    out = {}
    for name in WORK_TYPE_FIELDS:
        if name not in canonical:
            continue
        value = _money(canonical[name]) if name == "price" else text(canonical[name])
        if value != now[name]:
            out[name] = value
    return out


def work_type_to_remote(
    canonical: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    *,
    product_id: int | None = None,
    seed: str = "",
) -> dict[str, Any]:
    """The WorkType to POST or the partial PUT; `product_id` is the Unimicro product matched
    by number (None: none is linked; never created)."""
    changes = work_type_changes(canonical, current) if current is not None else dict(canonical)
    body: dict[str, Any] = (
        {"_createguid": guid(f"{seed}:worktype"), "SystemType": 1}
        if current is None
        else {"ID": current.get("ID")}
    )
    if "name" in changes:
        body["Name"] = text(changes["name"])
    if "description" in changes:
        body["Description"] = text(changes["description"])
    if "price" in changes:
        body["Price"] = float(_money(changes["price"]))
    if "product_number" in changes or current is None:
        body["ProductID"] = product_id
    return body


# USERS
# ------------------------------------------------------------------------------
def user_from_remote(document: Mapping[str, Any]) -> dict[str, Any]:
    name = " ".join(text(document.get("DisplayName") or document.get("Name")).split())
    first, _sep, last = name.partition(" ")
    return {
        "name": name,
        "first_name": first,
        "last_name": last,
        "email": text(document.get("Email") or document.get("EmailAddress")).lower(),
        "user_id": text(document.get("GlobalIdentity")),
        "employee_id": None,
    }


def clean_for_put(document: Mapping[str, Any]) -> dict[str, Any]:
    """A read document without server stamps and `_links` (never PUT back)."""
    return {k: v for k, v in document.items() if k not in READ_ONLY}
