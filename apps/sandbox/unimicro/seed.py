"""The sandbox's fixed coordinates and (optionally) the demo office in Unimicro.

`seed()` runs the identity seed (organisations, companies, users, clients — helper A's
`identity.seed`) and gives every company the sandbox users as Unimicro `User` records.
`seed(demo_office=True)` adds, in company "Tidsbro Rådgivning AS"
(4b3e9a10-0000-4000-8000-000000000001), an office that already keeps books in Unimicro:

- 12 customers numbered 100000…100011 (Unimicro's series; Tidsbro's demo numbers start at
  50001, so none match by number): 4 carry the organisation number of a Tidsbro demo customer
  (matched on the first transfer), 6 carry a Tidsbro demo customer's name without an
  organisation number (listed in the sync center to partner, create or exclude), 2 exist only
  in Unimicro;
- products 1010, 1020, 1030, 1040, 1090 (the product numbers of Tidsbro's demo work types);
- work types Rådgivning, Prosjektledelse, Kurs og opplæring (each with its product) and Timer;
- users = the demo office's people, with the same e-mails (Tidsbro links users by e-mail);
- no eventplans (Tidsbro registers its own).

Everything is written through the API's store (events fire) and looked up by its natural key
first, so running it again creates nothing new.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from . import entities

DEMO_COMPANY_KEY = "4b3e9a10-0000-4000-8000-000000000001"
SANDBOX_USERS = [("regnskap@tidsbro.no", "Regnskap Tidsbro"), ("les@tidsbro.no", "Les Tidsbro")]
# Indices into apps.demo.office.customer_specs(): the same organisation number …
SHARED_ORG_NUMBER = (0, 1, 2, 3)
# … and the same name without an organisation number.
SAME_NAME_ONLY = (4, 5, 6, 7, 8, 9)
ONLY_IN_UNIMICRO = [
    ("Fjordkanten Revisjon AS", "0158", "Oslo"),
    ("Lysaker Teknikk AS", "1366", "Lysaker"),
]
EXTRA_WORK_TYPES = [("Timer", "Timer uten fakturering", "0.00", None)]
PRODUCT_UNIT = "timer"
PRODUCT_TYPE_HOUR = 2


def global_identity(email: str) -> str:
    """A user's GlobalIdentity in the sandbox: the identity server's GUID for its own users,
    else a stable GUID made from the e-mail."""
    try:
        from .identity.models import SandboxUser

        user = SandboxUser.objects.filter(email__iexact=email).first()
        for name in ("guid", "global_identity", "subject", "uuid"):
            value = getattr(user, name, None) if user is not None else None
            if value:
                return str(value)
    except (ImportError, LookupError, AttributeError):  # no such model (yet)
        user = None
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"unimicro-sandbox:{email.lower()}"))


def company_keys() -> list[tuple[str, str]]:
    """(key, name) of every sandbox company (the identity server's; the fixed three when it
    cannot answer)."""
    try:
        from .identity.gate import company_keys as listed

        keys = listed()
        if keys:
            return list(keys)
    except ImportError:  # the identity app is not there yet
        keys = []
    return [
        (DEMO_COMPANY_KEY, "Tidsbro Rådgivning AS"),
        ("4b3e9a10-0000-4000-8000-000000000002", "Tidsbro Rådgivning AS (test)"),
        ("4b3e9a10-0000-4000-8000-000000000003", "Tidsbro Holding AS"),
    ]


def company_members() -> list[tuple[str, str, str]]:
    """(company key, e-mail, name) of each sandbox user in each company of their
    organisations (the identity server's; every fixed user in every company without it)."""
    try:
        from .identity.models import Company, SandboxUser
    except ImportError:
        return [(key, email, name) for key, _ in company_keys() for email, name in SANDBOX_USERS]
    members = []
    for company in Company.objects.select_related("organisation").order_by("name"):
        users = SandboxUser.objects.filter(organisations=company.organisation_id).order_by("email")
        members.extend((str(company.key), user.email, user.name) for user in users)
    return members


def _identity_seed() -> None:
    try:
        from .identity import seed as identity_seed
    except ImportError:
        return
    for name in ("seed", "run", "seed_identity"):
        function = getattr(identity_seed, name, None)
        if callable(function):
            function()
            return


def _store() -> Any:
    from . import store

    return store


def _ensure(
    company_key: str, entity: entities.EntityDef, key: dict, data: dict, internal: bool = False
) -> tuple[dict, bool]:
    """The live record whose fields equal `key`, created from `data` when absent."""
    found = entities.find(company_key, entity.name, **key)
    if found:
        return found[0], False
    kwargs = {"internal": True} if internal else {}
    return _store().create(company_key, entity, {**key, **data}, None, **kwargs), True


def seed(*, demo_office: bool = False) -> dict[str, int]:
    """Seeds the identity server, the companies' users and (optionally) the demo office;
    returns how many records of each kind it created."""
    _identity_seed()
    created: dict[str, int] = {}

    def count(kind: str, made: bool) -> None:
        if made:
            created[kind] = created.get(kind, 0) + 1

    with transaction.atomic():
        for key, email, name in company_members():
            _, made = _ensure(
                key,
                entities.User,
                {"Email": email},
                {"DisplayName": name, "GlobalIdentity": global_identity(email)},
                internal=True,
            )
            count("users", made)
        if demo_office:
            seed_demo_office(DEMO_COMPANY_KEY, count)
    return created


def demo_customers() -> list[dict[str, Any]]:
    """The demo office's customers in Unimicro (pure: the same list every run)."""
    from apps.demo.office import customer_specs

    specs = customer_specs()
    customers = []
    for index in SHARED_ORG_NUMBER + SAME_NAME_ONLY:
        spec = specs[index]
        customers.append(
            {
                "name": spec["name"],
                "org_number": spec["organisation_number"] if index in SHARED_ORG_NUMBER else None,
                "email": spec["email"],
                "phone": spec["phone"],
                "address": spec["address_line1"],
                "postal_code": spec["postal_code"],
                "city": spec["city"],
            }
        )
    for name, postal_code, city in ONLY_IN_UNIMICRO:
        customers.append(
            {
                "name": name,
                "org_number": _org_number(name),
                "email": f"post@{name.split(' ')[0].lower()}.no",
                "phone": "+47 22 00 00 00",
                "address": "Storgata 1",
                "postal_code": postal_code,
                "city": city,
            }
        )
    for number, customer in enumerate(customers, start=entities.SERIES_START["CustomerNumber"]):
        customer["number"] = number
    return customers


def _org_number(name: str) -> str:
    import random

    from apps.demo.office import org_number

    return org_number(random.Random(f"unimicro:{name}"), set())


def seed_demo_office(company_key: str, count: Any = lambda kind, made: None) -> None:
    """The demo office's customers, products, work types and users in `company_key`."""
    from apps.demo.office import PEOPLE, WORK_TYPES

    for customer in demo_customers():
        _, made = _ensure(
            company_key,
            entities.Customer,
            {"CustomerNumber": customer["number"]},
            {
                "OrgNumber": customer["org_number"],
                "Info": {
                    "Name": customer["name"],
                    "DefaultEmail": {"EmailAddress": customer["email"]},
                    "DefaultPhone": {"Number": customer["phone"]},
                    "InvoiceAddress": {
                        "AddressLine1": customer["address"],
                        "PostalCode": customer["postal_code"],
                        "City": customer["city"],
                        "Country": "Norge",
                        "CountryCode": "NO",
                    },
                },
            },
        )
        count("customers", made)
    products: dict[str, dict] = {}
    for name, _invoiceable, price, product_number, description in WORK_TYPES:
        if not product_number:
            continue
        product, made = _ensure(
            company_key,
            entities.Product,
            {"PartName": product_number},
            {
                "Name": name,
                "Description": description,
                "PriceExVat": float(price),
                "Unit": PRODUCT_UNIT,
                "Type": PRODUCT_TYPE_HOUR,
            },
        )
        products[name] = product
        count("products", made)
    chosen = [
        w for w in WORK_TYPES if w[0] in ("Rådgivning", "Prosjektledelse", "Kurs og opplæring")
    ]
    for name, _invoiceable, price, _number, description in chosen:
        _, made = _ensure(
            company_key,
            entities.WorkType,
            {"Name": name},
            {
                "Description": description,
                "Price": float(price),
                "ProductID": products[name]["ID"],
                "SystemType": 1,
            },
        )
        count("work types", made)
    for name, description, price, product_id in EXTRA_WORK_TYPES:
        _, made = _ensure(
            company_key,
            entities.WorkType,
            {"Name": name},
            {
                "Description": description,
                "Price": float(price),
                "ProductID": product_id,
                "SystemType": 1,
            },
        )
        count("work types", made)
    for person in PEOPLE:
        _, made = _ensure(
            company_key,
            entities.User,
            {"Email": person.address},
            {
                "DisplayName": f"{person.first_name} {person.last_name}",
                "GlobalIdentity": global_identity(person.address),
            },
            internal=True,
        )
        count("users", made)


def reset() -> None:
    """Removes every business record, number series, create guid and delivery of the
    sandbox's companies (the identity server's data stays)."""
    from . import models
    from .models_domain import BlockedEndpoint, EventplanDelivery

    with transaction.atomic():
        for name in ("BizRecord", "NumberSeries", "CreateGuid"):
            model = getattr(models, name, None)
            if model is not None:
                model.objects.all().delete()
        EventplanDelivery.objects.all().delete()
        BlockedEndpoint.objects.all().delete()
