"""The fixed demo agreement, its reference lists and (optionally) a small Danish office.

Idempotent: running it again leaves one agreement, one app, one grant and the same lists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import (
    Activity,
    ActivityGroup,
    Agreement,
    App,
    Currency,
    Customer,
    CustomerGroup,
    Employee,
    EmployeeGroup,
    Grant,
    Knobs,
    Layout,
    PaymentTerms,
    Product,
    Project,
    ProjectGroup,
    ProjectStatus,
    RateWindow,
    RequestLog,
    TimeEntry,
    VatZone,
)
from .openapi import next_version
from .resources import now_to_second

APP_NAME = "Tidsbro"
APP_SECRET_TOKEN = "tidsbro-demo-app-secret"  # noqa: S105 - the sandbox's published demo app
APP_PUBLIC_TOKEN = "tidsbro-demo-app-public"  # noqa: S105 - public by nature
AGREEMENT_GRANT_TOKEN = "tidsbro-demo-agreement"  # noqa: S105 - published demo grant
AGREEMENT_NUMBER = 7_301_001
DEMO_LOGIN = "demo@tidsbro.dk"
DEMO_PASSWORD = "tidsbro-demo"  # noqa: S105 - the documented demo login of the sandbox
DEMO_TOKEN = "demo"  # noqa: S105 - e-conomic's public demo token, not a secret
# A second agreement without the Project module: customers only (projectsapi answers 403).
SALES_AGREEMENT_NUMBER = 7_301_002
SALES_GRANT_TOKEN = "tidsbro-demo-agreement-sales"  # noqa: S105 - published demo grant
SALES_LOGIN = "salg@tidsbro.dk"
PROJECT_MODULES = ["Sales", "Project"]

CUSTOMER_GROUPS = [(1, "Danske kunder"), (2, "EU-kunder"), (3, "Udenlandske kunder")]
# (number, name, type, days of credit) — like the demo agreement's (API-NOTES §10.3).
PAYMENT_TERMS = [
    (1, "Netto 8 dage", "net", 8),
    (2, "Netto 14 dage", "net", 14),
    (3, "Kontant", "net", 0),
    (4, "Løbende måned + 30 dage", "invoiceMonth", 30),
    (5, "Netto 30 dage", "net", 30),
]
# (number, name, for customers, for suppliers) — API-NOTES §10.4.
VAT_ZONES = [
    (1, "Domestic", True, True),
    (2, "EU", True, True),
    (3, "Abroad", True, True),
    (4, "Domestic exempt VAT", True, False),
]
CURRENCIES = [
    ("DKK", "Danske kroner", "208"),
    ("EUR", "Euro", "978"),
    ("NOK", "Norske kroner", "578"),
    ("SEK", "Svenske kroner", "752"),
]
LAYOUTS = [(19, "Standardlayout")]
EMPLOYEES = [
    (1, "Mette Kjær", "mette@tidsbro.dk", "+45 31 22 40 10"),
    (2, "Anders Holm", "anders@tidsbro.dk", "+45 31 22 40 11"),
    (3, "Sofie Lund", "sofie@tidsbro.dk", "+45 31 22 40 12"),
]
# (number, name, sales price, unit); 1010–1090 are what hours are billed as.
PRODUCTS = [
    ("1", "Konsulenttime", Decimal("950.00"), "timer"),
    ("2", "Seniorkonsulenttime", Decimal("1250.00"), "timer"),
    ("3", "Kørsel", Decimal("3.79"), "km"),
    ("KURSUS-1", "Kursusdag", Decimal("7500.00"), "dage"),
    ("1010", "Konsulenttimer", Decimal("1450.00"), "timer"),
    ("1020", "Projektledelse", Decimal("1350.00"), "timer"),
    ("1030", "Kursus og undervisning", Decimal("1100.00"), "timer"),
    ("1040", "Support og drift", Decimal("1250.00"), "timer"),
    ("1090", "Rejsetid", Decimal("650.00"), "timer"),
]
# The Project module's lists. Group/status types: see the projectsapi document.
EMPLOYEE_GROUPS = [(1, "Medarbejdere")]
PROJECT_GROUPS = [(1, "Kundeprojekter", 1), (2, "Interne projekter", 2)]
PROJECT_STATUSES = [(1, "Tilbud sendt", 1, 1), (2, "I gang", 2, 2), (3, "Afsluttet", 2, 3)]
ACTIVITY_GROUPS = [(1, "Fakturerbare", 1), (2, "Ikke fakturerbare", 2)]
# (number, name, group)
ACTIVITIES = [
    (1, "Konsulenttimer", 1),
    (2, "Projektledelse", 1),
    (3, "Rejse", 2),
    (4, "Support", 1),
    (5, "Intern", 2),
]


def cvr_with_check_digit(first_seven: str) -> str:
    """A CVR number that passes the modulus-11 check (weights 2,7,6,5,4,3,2,1)."""
    weights = (2, 7, 6, 5, 4, 3, 2)
    for last in range(10):
        digits = [int(c) for c in first_seven] + [last]
        if sum(d * w for d, w in zip(digits, (*weights, 1), strict=True)) % 11 == 0:
            return first_seven + str(last)
    return cvr_with_check_digit(str(int(first_seven) + 1).zfill(7))


# A small Danish office's customers. The last three carry exactly the names of Tidsbro's demo
# customers (apps/core/demo.py) under other numbers: a sync center shows them as partner
# suggestions to confirm, not as automatic matches.
# (name, address, zip, city, country, e-mail, phone, group, terms, zone, currency)
DEMO_OFFICE = [
    ("Kattegat Vindkraft A/S", "Havnegade 12", "8000", "Aarhus C", "Danmark",
     "faktura@kattegatvind.dk", "+45 86 12 34 50", 1, 5, 1, "DKK"),
    ("Øresund Medico ApS", "Strandvejen 104", "2900", "Hellerup", "Danmark",
     "bogholderi@oresundmedico.dk", "+45 39 40 12 00", 1, 2, 1, "DKK"),
    ("Jyllands Møbler A/S", "Industrivej 7", "7400", "Herning", "Danmark",
     "kreditor@jyllandsmobler.dk", "+45 97 12 88 00", 1, 4, 1, "DKK"),
    ("Limfjord Fødevarer A/S", "Havnen 3", "9000", "Aalborg", "Danmark",
     "faktura@limfjordfood.dk", "+45 98 11 22 33", 1, 5, 1, "DKK"),
    ("Vesterhav Software ApS", "Kongensgade 55", "6700", "Esbjerg", "Danmark",
     "invoice@vesterhav.dk", "+45 75 12 40 40", 1, 1, 1, "DKK"),
    ("Fynbo Arkitekter I/S", "Vestergade 20", "5000", "Odense C", "Danmark",
     "post@fynbo-ark.dk", "+45 66 12 10 10", 1, 2, 1, "DKK"),
    ("Nørrebro Bageri ApS", "Jægersborggade 9", "2200", "København N", "Danmark",
     "ejer@norrebrobageri.dk", "+45 35 85 10 20", 1, 3, 1, "DKK"),
    ("Skagen Fiskeeksport A/S", "Auktionsvej 1", "9990", "Skagen", "Danmark",
     "faktura@skagenfisk.dk", "+45 98 44 10 00", 1, 5, 1, "DKK"),
    ("Hamburger Hafenlogistik GmbH", "Am Sandtorkai 40", "20457", "Hamburg", "Tyskland",
     "rechnung@hafenlogistik.de", "+49 40 3070 100", 2, 5, 2, "EUR"),
    ("Øresund Medico Norge AS", "Karl Johans gate 5", "0154", "Oslo", "Norge",
     "faktura@oresundmedico.no", "+47 22 33 44 55", 3, 5, 3, "NOK"),
    ("Limfjord Fødevarer Norge AS", "Strandkaien 2", "4005", "Stavanger", "Norge",
     "faktura@limfjordfood.no", "+47 51 12 34 56", 3, 5, 3, "NOK"),
    ("Nordhavn Data AS", "Kongsgårdbakken 1", "4005", "Stavanger", "Norge",
     "post@nordhavndata.no", "+47 51 98 76 54", 3, 5, 3, "NOK"),
]  # fmt: skip


@transaction.atomic
def seed(*, demo_office: bool = False) -> Agreement:
    """Creates (or refreshes) the fixed agreement, app, grant and reference lists."""
    app, _ = App.objects.update_or_create(
        public_token=APP_PUBLIC_TOKEN,
        defaults={
            "name": APP_NAME,
            "secret_token": APP_SECRET_TOKEN,
            "required_roles": ["SuperUser"],
        },
    )
    agreement, created = Agreement.objects.get_or_create(
        agreement_number=AGREEMENT_NUMBER,
        defaults={
            "company_name": "Tidsbro Demo ApS",
            "company_cvr": cvr_with_check_digit("4123456"),
            "company_address": "Store Kongensgade 40",
            "company_zip": "1264",
            "company_city": "København K",
            "base_currency": "DKK",
            "user_login": DEMO_LOGIN,
            "user_password": make_password(DEMO_PASSWORD),
            "user_name": "Demo Bruger",
            "user_email": DEMO_LOGIN,
            "demo_access": True,
        },
    )
    if agreement.modules != PROJECT_MODULES:
        agreement.modules = PROJECT_MODULES
        agreement.save(update_fields=["modules"])
    Grant.objects.update_or_create(
        token=AGREEMENT_GRANT_TOKEN,
        defaults={"agreement": agreement, "app": app, "roles": ["SuperUser"], "revoked": False},
    )
    sales, _ = Agreement.objects.get_or_create(
        agreement_number=SALES_AGREEMENT_NUMBER,
        defaults={
            "company_name": "Tidsbro Salg ApS",
            "company_cvr": cvr_with_check_digit("4123457"),
            "company_address": "Store Kongensgade 40",
            "company_zip": "1264",
            "company_city": "København K",
            "base_currency": "DKK",
            "user_login": SALES_LOGIN,
            "user_password": make_password(DEMO_PASSWORD),
            "user_name": "Salg Bruger",
            "user_email": SALES_LOGIN,
            "modules": ["Sales"],
        },
    )
    Grant.objects.update_or_create(
        token=SALES_GRANT_TOKEN,
        defaults={"agreement": sales, "app": app, "roles": ["SuperUser"], "revoked": False},
    )
    for code, name, iso in CURRENCIES:
        Currency.objects.update_or_create(code=code, defaults={"name": name, "iso_number": iso})
    for each in (agreement, sales):
        _seed_lists(each)
    _seed_project_lists(agreement)
    if demo_office:
        seed_demo_office(agreement=agreement)
    return agreement


def _seed_lists(agreement: Agreement) -> None:
    """The reference lists every agreement has (groups, terms, zones, layout, staff, products)."""
    for number, name in CUSTOMER_GROUPS:
        CustomerGroup.objects.update_or_create(
            agreement=agreement,
            number=number,
            defaults={"name": name, "account_number": 5600 + number, "layout_number": 19},
        )
    for number, name, kind, days in PAYMENT_TERMS:
        PaymentTerms.objects.update_or_create(
            agreement=agreement,
            number=number,
            defaults={"name": name, "terms_type": kind, "days_of_credit": days},
        )
    for number, name, for_customer, for_supplier in VAT_ZONES:
        VatZone.objects.update_or_create(
            agreement=agreement,
            number=number,
            defaults={
                "name": name,
                "enabled_for_customer": for_customer,
                "enabled_for_supplier": for_supplier,
            },
        )
    for number, name in LAYOUTS:
        Layout.objects.update_or_create(agreement=agreement, number=number, defaults={"name": name})
    for number, name, email, phone in EMPLOYEES:
        Employee.objects.update_or_create(
            agreement=agreement,
            number=number,
            defaults={"name": name, "email": email, "phone": phone},
        )
    now = now_to_second()
    for number, name, price, unit in PRODUCTS:
        Product.objects.get_or_create(
            agreement=agreement,
            number=number,
            defaults={
                "name": name,
                "sales_price": price,
                "unit_number": {"timer": 1, "km": 2, "dage": 3}[unit],
                "unit_name": unit,
                "product_group_number": 1,
                "product_group_name": "Ydelser",
                "last_updated": now,
            },
        )


def _seed_project_lists(agreement: Agreement) -> None:
    """The Project module's lists: employee, project and activity groups, statuses, activities."""
    for number, name in EMPLOYEE_GROUPS:
        EmployeeGroup.objects.get_or_create(
            agreement=agreement, number=number, defaults={"name": name}
        )
    for number, name, kind in PROJECT_GROUPS:
        ProjectGroup.objects.get_or_create(
            agreement=agreement, number=number, defaults={"name": name, "group_type": kind}
        )
    for number, name, kind, priority in PROJECT_STATUSES:
        ProjectStatus.objects.get_or_create(
            agreement=agreement,
            number=number,
            defaults={"name": name, "status_type": kind, "priority": priority},
        )
    for number, name, kind in ACTIVITY_GROUPS:
        ActivityGroup.objects.get_or_create(
            agreement=agreement, number=number, defaults={"name": name, "group_type": kind}
        )
    for number, name, group in ACTIVITIES:
        Activity.objects.get_or_create(
            agreement=agreement,
            number=number,
            defaults={"name": name, "group_number": group, "object_version": next_version()},
        )


# The office's projects in e-conomic: (number, name, customer number, status, closed).
DEMO_PROJECTS = [
    (101, "Vindmøllepark Anholt – dataplatform", 1, 2, False),
    (102, "Medico kvalitetssystem", 2, 2, False),
    (103, "Møbler webshop", 3, 2, False),
    (104, "Fødevaresporing", 4, 1, False),
    (105, "Vesterhav driftsaftale 2026", 5, 2, False),
    (106, "Arkitekttegninger i skyen", 6, 3, True),
]
# (project, activity, employee, days ago, hours, text, approved)
DEMO_TIME_ENTRIES = [
    (101, 1, 1, 9, "7.50", "Workshop med kunden", True),
    (101, 2, 1, 8, "2.00", "Styregruppemøde", True),
    (101, 1, 2, 8, "6.00", "Dataintegration", False),
    (102, 1, 3, 6, "4.50", "Gennemgang af krav", False),
    (103, 1, 2, 5, "7.00", "Udvikling af kurv", False),
    (103, 3, 2, 5, "1.50", "Kørsel til Herning", False),
    (105, 4, 3, 3, "3.00", "Driftsopgaver", False),
    (104, 2, 1, 2, "1.00", "Tilbudsmøde", False),
]


def _demo_office_people(agreement: Agreement) -> None:
    """The office's Danish colleagues as employees 4… (with their e-mail addresses in Tidsbro's
    demo, apps/demo/office.py), so users and employees pair by e-mail."""
    from apps.demo.office import DK, PEOPLE

    danes = [p for p in PEOPLE if p.country == DK]
    for index, person in enumerate(danes):
        Employee.objects.get_or_create(
            agreement=agreement,
            number=len(EMPLOYEES) + 1 + index,
            defaults={
                "name": f"{person.first_name} {person.last_name}",
                "email": person.address,
                "object_version": next_version(),
            },
        )


def _demo_office_projects(agreement: Agreement) -> None:
    """Six projects on the office's customers and a week of hours, some approved."""
    now = now_to_second()
    for number, name, customer, status, closed in DEMO_PROJECTS:
        Project.objects.get_or_create(
            agreement=agreement,
            number=number,
            defaults={
                "name": name,
                "project_group_number": 1,
                "customer_number": customer,
                "status": status,
                "is_closed": closed,
                "closed_date": now - dt.timedelta(days=20) if closed else None,
                "responsible_employee_number": 1,
                "last_updated": now - dt.timedelta(days=10),
                "object_version": next_version(),
            },
        )
    if TimeEntry.objects.filter(agreement=agreement).exists():
        return
    today = dt.date.today()
    for index, row in enumerate(DEMO_TIME_ENTRIES):
        project, activity, employee, days_ago, hours, text, approved = row
        TimeEntry.objects.create(
            agreement=agreement,
            number=index + 1,
            project_number=project,
            activity_number=activity,
            employee_number=employee,
            date=today - dt.timedelta(days=days_ago),
            number_of_hours=Decimal(hours),
            text=text,
            is_approved=approved,
            last_updated=now - dt.timedelta(days=days_ago),
            object_version=next_version(),
        )


def seed_demo_office(*, agreement: Agreement) -> None:
    """A dozen customers of a small Danish office (numbers 1–12, left alone if present), its
    colleagues, six projects and some hours."""
    start = now_to_second() - dt.timedelta(days=30)
    for index, row in enumerate(DEMO_OFFICE):
        name, address, zip_code, city, country, email, phone, group, terms, zone, currency = row
        number = index + 1
        cvr = cvr_with_check_digit(str(3012345 + index * 7919).zfill(7)[-7:])
        Customer.objects.get_or_create(
            agreement=agreement,
            customer_number=number,
            defaults={
                "name": name,
                "address": address,
                "zip": zip_code,
                "city": city,
                "country": country,
                "email": email,
                "telephone_and_fax_number": phone,
                "corporate_identification_number": cvr if country == "Danmark" else "",
                "customer_group_number": group,
                "payment_terms_number": terms,
                "vat_zone_number": zone,
                "currency": currency,
                "layout_number": 19,
                "sales_person_number": 1 + index % len(EMPLOYEES),
                "last_updated": start + dt.timedelta(hours=index),
            },
        )
    _demo_office_people(agreement)
    _demo_office_projects(agreement)


@transaction.atomic
def reset() -> None:
    """Empties every sandbox table; the knobs start again from settings on the next request."""
    for model in (Agreement, App, Currency, Knobs, RateWindow, RequestLog):
        model.objects.all().delete()  # agreements take their customers, lists and grants along
