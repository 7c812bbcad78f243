"""The fixed demo agreement, its reference lists and (optionally) a small Danish office.

Idempotent: running it again leaves one agreement, one app, one grant and the same lists.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from .models import (
    Agreement,
    App,
    Currency,
    Customer,
    CustomerGroup,
    Employee,
    Grant,
    Knobs,
    Layout,
    PaymentTerms,
    Product,
    RateWindow,
    RequestLog,
    VatZone,
)
from .resources import now_to_second

APP_NAME = "Tidsbro"
APP_SECRET_TOKEN = "tidsbro-demo-app-secret"  # noqa: S105 - the sandbox's published demo app
APP_PUBLIC_TOKEN = "tidsbro-demo-app-public"  # noqa: S105 - public by nature
AGREEMENT_GRANT_TOKEN = "tidsbro-demo-agreement"  # noqa: S105 - published demo grant
AGREEMENT_NUMBER = 7_301_001
DEMO_LOGIN = "demo@tidsbro.dk"
DEMO_PASSWORD = "tidsbro-demo"  # noqa: S105 - the documented demo login of the sandbox
DEMO_TOKEN = "demo"  # noqa: S105 - e-conomic's public demo token, not a secret

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
# (number, name, sales price, unit)
PRODUCTS = [
    ("1", "Konsulenttime", Decimal("950.00"), "timer"),
    ("2", "Seniorkonsulenttime", Decimal("1250.00"), "timer"),
    ("3", "Kørsel", Decimal("3.79"), "km"),
    ("KURSUS-1", "Kursusdag", Decimal("7500.00"), "dage"),
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
    Grant.objects.update_or_create(
        token=AGREEMENT_GRANT_TOKEN,
        defaults={"agreement": agreement, "app": app, "roles": ["SuperUser"], "revoked": False},
    )
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
    for code, name, iso in CURRENCIES:
        Currency.objects.update_or_create(code=code, defaults={"name": name, "iso_number": iso})
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
    if demo_office:
        seed_demo_office(agreement=agreement)
    return agreement


def seed_demo_office(*, agreement: Agreement) -> None:
    """A dozen customers of a small Danish office (numbers 1–12, left alone if present)."""
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


@transaction.atomic
def reset() -> None:
    """Empties every sandbox table; the knobs start again from settings on the next request."""
    for model in (Agreement, App, Currency, Knobs, RateWindow, RequestLog):
        model.objects.all().delete()  # agreements take their customers, lists and grants along
