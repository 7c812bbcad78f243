"""The demo office (apps.demo.office) as its 24SevenOffice client holds it, for `make demo`.

`sandbox_24so_seed --demo-office` seeds `erp_world()`: the same people, customers, projects
and work types under the same numbers, and a few deliberate differences so the sync center and
the conflict screen have something true to show.
"""

import datetime
import random
from typing import Any

from apps.demo.office import (
    CONSULTING,
    CUSTOMERS,
    DOMAIN,
    FIRST_CUSTOMER_NUMBER,
    PEOPLE,
    SEED,
    STREETS,
    WORK_TYPES,
    ascii_slug,
    customer_specs,
    org_number,
    project_plans,
)

ERP_CLIENT_NAME = "Tidsbro Rådgivning AS"
# What differs on purpose, so the sync center and the conflict screen show something true:
# customers only in Tidsbro (numbers), only in 24SO, projects changed in 24SO, only in 24SO.
LOCAL_ONLY_CUSTOMERS = frozenset({"50037", "50039"})
ERP_ONLY_CUSTOMERS = [
    ("Kvitfjell Trevare AS", "2636", "Øyer"),
    ("Sandnes Bilsenter AS", "4307", "Sandnes"),
    ("Orkdal Verft AS", "7300", "Orkanger"),
]
ERP_RENAMED_PROJECTS = {"Datavarehus": "Datavarehus og rapportering"}
ERP_REDESCRIBED_PROJECTS = {"Lagerstyring": "Lagerstyring, fase 2 avtalt med kunden i mai."}
# (name, customer number)
ERP_ONLY_PROJECTS = [("Ny kasseløsning", "50041"), ("Serviceavtale 2027", "50002")]
# In 24SO only: the bookkeeper, who never registers hours in Tidsbro.
ERP_ONLY_PEOPLE = [("Randi", "Aas", f"randi@{DOMAIN}")]


def erp_world() -> dict[str, Any]:
    """The demo office as its 24SO client holds it (pure): the same people (same e-mails),
    customers and projects under the same numbers, the work types' product ids, and the
    few deliberate differences above. `sandbox_24so_seed --demo-office` seeds it."""
    customers = customer_specs()
    names = {c["number"]: c["name"] for c in customers}
    companies = [
        {
            "company_id": int(c["number"]),
            "name": c["name"],
            "organization_number": c["organisation_number"],
            "email": c["email"],
            "phone": c["phone"],
            "street": c["address_line1"],
            "postal_code": c["postal_code"],
            "city": c["city"],
        }
        for c in customers
        if c["number"] not in LOCAL_ONLY_CUSTOMERS
    ]
    rng = random.Random(f"{SEED}:erp-customers")
    taken = {c["organisation_number"] for c in customers}
    for offset, (name, postal_code, city) in enumerate(ERP_ONLY_CUSTOMERS):
        number = FIRST_CUSTOMER_NUMBER + len(CUSTOMERS) + offset
        names[str(number)] = name
        companies.append(
            {
                "company_id": number,
                "name": name,
                "organization_number": org_number(rng, taken),
                "email": f"post@{ascii_slug(name.split(' ')[0])}.no",
                "phone": f"+47 {rng.randint(22, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                "street": f"{rng.choice(STREETS)} {rng.randint(1, 80)}",
                "postal_code": postal_code,
                "city": city,
            }
        )
    work_types = [
        {
            "work_type_id": index + 1,
            "name": name,
            "invoiceable": invoiceable,
            "price": price,
            "product_id": int(product) if product else None,
            "description": description,
            "active": True,
        }
        for index, (name, invoiceable, price, product, description) in enumerate(WORK_TYPES)
    ]
    work_type_ids = {w["name"]: w["work_type_id"] for w in work_types}
    plans = project_plans()
    projects = [
        {
            "project_id": plan.number,
            "name": ERP_RENAMED_PROJECTS.get(plan.name, plan.name),
            "customer_id": int(plan.customer_number) if plan.customer_number else None,
            "start": plan.start,
            "active": not plan.archived,
            "description": ERP_REDESCRIBED_PROJECTS.get(
                plan.name,
                f"{plan.name} for {names[plan.customer_number]}."
                if plan.customer_number
                else plan.name,
            ),
            "work_type_id": work_type_ids[plan.default_work_type],
            "need_approval": plan.needs_approval,
        }
        for plan in plans
        if plan.number is not None
    ]
    last = max(p["project_id"] for p in projects)
    for offset, (name, customer_number) in enumerate(ERP_ONLY_PROJECTS):
        projects.append(
            {
                "project_id": last + 1 + offset,
                "name": name,
                "customer_id": int(customer_number),
                "start": datetime.date(2026, 9, 1),
                "active": True,
                "description": f"{name} for {names[customer_number]}.",
                "work_type_id": work_type_ids[CONSULTING],
                "need_approval": True,
            }
        )
    people = [
        {"first_name": p.first_name, "last_name": p.last_name, "email": p.address} for p in PEOPLE
    ] + [{"first_name": f, "last_name": la, "email": e} for f, la, e in ERP_ONLY_PEOPLE]
    return {
        "client_name": ERP_CLIENT_NAME,
        "people": people,
        "companies": companies,
        "work_types": work_types,
        "projects": projects,
    }
