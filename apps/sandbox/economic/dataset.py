"""Benchmark-sized customer lists for the sandbox: S, M and L, bulk-inserted and seeded.

``generate("M")`` seeds the fixed agreement (``seed.py``), deletes its customers and writes
exactly ``SIZES[size]`` customers numbered 1…N, deterministic apart from ``lastUpdated``
(spread over the last 90 days, to the second, so incremental syncs have something to page).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction

from .models import Customer
from .resources import now_to_second
from .seed import CUSTOMER_GROUPS, EMPLOYEES, PAYMENT_TERMS, cvr_with_check_digit, seed

SIZES = {"S": 500, "M": 5_000, "L": 20_000}
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
    return count
