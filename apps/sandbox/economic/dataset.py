"""Benchmark-sized lists for the sandbox: S, M and L, bulk-inserted and seeded.

``generate("M")`` seeds the fixed agreement (``seed.py``), deletes its customers and writes
exactly ``SIZES[size]`` customers numbered 1…N, deterministic apart from ``lastUpdated``
(spread over the last 90 days, to the second, so incremental syncs have something to page).
The Project module's lists follow in proportion (``PROJECT_SIZES``): projects 1…N on those
customers, activities, employees and time entries (five per project, a fifth approved).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from .models import Activity, Customer, Employee, Project, TimeEntry
from .openapi import next_version
from .resources import now_to_second
from .seed import (
    ACTIVITIES,
    CUSTOMER_GROUPS,
    EMPLOYEES,
    PAYMENT_TERMS,
    cvr_with_check_digit,
    seed,
)

SIZES = {"S": 500, "M": 5_000, "L": 20_000}
# (projects, activities, employees) per size; time entries: ENTRIES_PER_PROJECT each.
PROJECT_SIZES = {"S": (50, 10, 20), "M": (500, 20, 100), "L": (2_000, 40, 300)}
ENTRIES_PER_PROJECT = 5
BATCH = 1000

_FIRST = ["Nord", "Syd", "Øst", "Vest", "Fjord", "Skov", "Hav", "Bro", "Lys", "Eng", "Sø", "Bjerg"]
_SECOND = ["kraft", "data", "bygg", "design", "handel", "teknik", "medico", "logistik", "mad"]
_SUFFIX = ["A/S", "ApS", "I/S", "IVS"]
_CITIES = [
    ("1050", "København K"),
    ("8000", "Aarhus C"),
    ("5000", "Odense C"),
    ("9000", "Aalborg"),
    ("6700", "Esbjerg"),
    ("7100", "Vejle"),
    ("4000", "Roskilde"),
    ("8900", "Randers"),
]
_STREETS = ["Vestergade", "Østergade", "Nørregade", "Søndergade", "Havnegade", "Industrivej"]


def generate(size: str, *, progress: Callable[[str], None] = lambda text: None) -> int:
    """Replaces the fixed agreement's customers with ``SIZES[size]`` generated ones."""
    count = SIZES[size]
    agreement = seed()
    rng = random.Random(f"economic-{size}")
    now = now_to_second()
    with transaction.atomic():
        Customer.objects.filter(agreement=agreement).delete()
        batch: list[Customer] = []
        for number in range(1, count + 1):
            name = f"{rng.choice(_FIRST)}{rng.choice(_SECOND)} {number} {rng.choice(_SUFFIX)}"
            zip_code, city = rng.choice(_CITIES)
            slug = name.split(" ")[0].lower().replace("ø", "o").replace("æ", "ae")
            batch.append(
                Customer(
                    agreement=agreement,
                    customer_number=number,
                    name=name,
                    address=f"{rng.choice(_STREETS)} {rng.randint(1, 120)}",
                    zip=zip_code,
                    city=city,
                    country="Danmark",
                    email=f"faktura@{slug}{number}.dk",
                    telephone_and_fax_number=f"+45 {rng.randint(20000000, 99999999)}",
                    corporate_identification_number=cvr_with_check_digit(
                        str(rng.randint(1000000, 9999999))
                    ),
                    currency="DKK",
                    customer_group_number=CUSTOMER_GROUPS[0][0],
                    payment_terms_number=rng.choice(PAYMENT_TERMS)[0],
                    vat_zone_number=1,
                    layout_number=19,
                    sales_person_number=rng.choice(EMPLOYEES)[0],
                    barred=rng.random() < 0.03,
                    last_updated=now - dt.timedelta(seconds=rng.randint(0, 90 * 86400)),
                )
            )
            if len(batch) >= BATCH:
                Customer.objects.bulk_create(batch)
                progress(f"{number} customers")
                batch = []
        if batch:
            Customer.objects.bulk_create(batch)
    progress(f"{count} customers")
    with transaction.atomic():
        projects = _project_lists(agreement, size, customers=count, now=now)
    progress(f"{projects} projects with activities, employees and time entries")
    return count


_PROJECT_WORDS = ["Webshop", "Datavarehus", "Migrering", "Driftsaftale", "Rådgivning", "Portal"]
_ACTIVITY_WORDS = ["Analyse", "Udvikling", "Test", "Møde", "Dokumentation", "Kursus", "Drift"]
_PEOPLE_FIRST = ["Mette", "Anders", "Sofie", "Lars", "Freja", "Mads", "Ida", "Jonas", "Emma"]
_PEOPLE_LAST = ["Kjær", "Holm", "Lund", "Jensen", "Nielsen", "Møller", "Berg", "Dahl"]


def _project_lists(agreement, size: str, *, customers: int, now: dt.datetime) -> int:
    """Replaces the agreement's projects, activities, employees (beyond the seeded ones) and
    time entries with ``PROJECT_SIZES[size]`` generated ones; returns the number of projects."""
    projects, activities, employees = PROJECT_SIZES[size]
    rng = random.Random(f"economic-projects-{size}")
    TimeEntry.objects.filter(agreement=agreement).delete()
    Project.objects.filter(agreement=agreement).delete()
    Activity.objects.filter(agreement=agreement).delete()
    Employee.objects.filter(agreement=agreement, number__gt=len(EMPLOYEES)).delete()
    version = next_version()
    named = {number: (name, group) for number, name, group in ACTIVITIES}
    Activity.objects.bulk_create(
        Activity(
            agreement=agreement,
            number=number,
            name=named.get(number, (f"{rng.choice(_ACTIVITY_WORDS)} {number}", 1))[0],
            group_number=named.get(number, ("", 1 + number % 2))[1],
            object_version=version,
        )
        for number in range(1, activities + 1)
    )
    Employee.objects.bulk_create(
        Employee(
            agreement=agreement,
            number=number,
            name=f"{rng.choice(_PEOPLE_FIRST)} {rng.choice(_PEOPLE_LAST)} {number}",
            email=f"medarbejder{number}@tidsbro.dk",
            object_version=version,
        )
        for number in range(len(EMPLOYEES) + 1, employees + 1)
    )
    Project.objects.bulk_create(
        (
            Project(
                agreement=agreement,
                number=number,
                name=f"{rng.choice(_PROJECT_WORDS)} {number}",
                project_group_number=1,
                customer_number=rng.randint(1, customers),
                status=2,
                is_barred=rng.random() < 0.05,
                responsible_employee_number=rng.randint(1, employees),
                last_updated=now - dt.timedelta(seconds=rng.randint(0, 90 * 86400)),
                object_version=version,
            )
            for number in range(1, projects + 1)
        ),
        batch_size=BATCH,
    )
    today = now.date()
    TimeEntry.objects.bulk_create(
        (
            TimeEntry(
                agreement=agreement,
                number=number,
                project_number=1 + (number - 1) // ENTRIES_PER_PROJECT,
                activity_number=rng.randint(1, activities),
                employee_number=rng.randint(1, employees),
                date=today - dt.timedelta(days=rng.randint(1, 60)),
                number_of_hours=Decimal(rng.randint(1, 16)) / 2,
                text=rng.choice(_ACTIVITY_WORDS),
                is_approved=number % 5 == 0,
                last_updated=now - dt.timedelta(seconds=rng.randint(0, 60 * 86400)),
                object_version=version,
            )
            for number in range(1, projects * ENTRIES_PER_PROJECT + 1)
        ),
        batch_size=BATCH,
    )
    return projects
