"""Benchmark-sized data for the Unimicro sandbox: S, M and L, bulk-inserted and seeded.

``generate("M")`` seeds the sandbox (``seed.py``, with the demo office's products and work
types), empties the demo company's customers, projects, workers and hours and writes exactly
``SIZES[size]`` customers numbered 100000… (each with its BusinessRelation), then in proportion
(``PROJECT_SIZES``) projects "100"… on those customers, users with their workers and work
relations, and ENTRIES_PER_PROJECT work items per project (with Dimensions naming the project).
Deterministic apart from the timestamps (spread over the last 90 days, to the second, so an
incremental pull by UpdatedAt has something to page). Bulk writes: no events are raised.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from . import entities
from .models import BizRecord, NumberSeries
from .seed import DEMO_COMPANY_KEY, seed

SIZES = {"S": 500, "M": 5_000, "L": 20_000}
# (projects, users) per size; work items: ENTRIES_PER_PROJECT each.
PROJECT_SIZES = {"S": (50, 20), "M": (500, 100), "L": (2_000, 300)}
ENTRIES_PER_PROJECT = 5
BATCH = 1000
REPLACED = (
    "Customer",
    "BusinessRelation",
    "Project",
    "ProjectTask",
    "Worker",
    "WorkRelation",
    "WorkItem",
    "WorkItemGroup",
    "Dimensions",
)

_FIRST = ["Nord", "Sør", "Øst", "Vest", "Fjord", "Skog", "Hav", "Bro", "Lys", "Eng", "Sjø", "Fjell"]
_SECOND = ["kraft", "data", "bygg", "design", "handel", "teknikk", "medisin", "logistikk", "mat"]
_SUFFIX = ["AS", "ASA", "ANS", "NUF"]
_GIVEN = ["Kari", "Ola", "Nora", "Lars", "Ida", "Jonas", "Marte", "Sindre", "Tuva", "Eirik"]
_FAMILY = ["Hansen", "Olsen", "Bakken", "Larsen", "Dahl", "Lie", "Strand", "Berg", "Moen"]


def id_series(entity: str) -> str:
    """The NumberSeries row that hands out an entity's IDs (store._next_id's naming)."""
    return f"ID:{entity}"


class _Writer:
    """Collects rows per entity with consecutive IDs, written in batches at the end."""

    def __init__(self, company_key: str):
        self.company_key = company_key
        self.rows: list[BizRecord] = []
        self.next_id: dict[str, int] = {}

    def add(self, entity: str, data: dict, at: dt.datetime) -> int:
        record_id = self.next_id.get(entity, 1)
        self.next_id[entity] = record_id + 1
        self.rows.append(
            BizRecord(
                company_key=self.company_key,
                entity=entity,
                record_id=record_id,
                data={**data, **_stamps(at)},
                created_at=at,
                updated_at=at,
            )
        )
        return record_id

    def flush(self) -> None:
        BizRecord.objects.bulk_create(self.rows, batch_size=BATCH)
        for entity, following in self.next_id.items():
            NumberSeries.objects.update_or_create(
                company_key=self.company_key, name=id_series(entity), defaults={"next": following}
            )


def _stamps(at: dt.datetime) -> dict:
    text = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # store.stamp_now's form
    return {"CreatedAt": text, "CreatedBy": "", "UpdatedAt": text, "UpdatedBy": ""}


def generate(size: str, *, progress: Callable[[str], None] = lambda text: None) -> int:
    """Replaces the demo company's customers, projects, workers and hours with a benchmark
    set of ``SIZES[size]`` customers; returns the number of customers."""
    count = SIZES[size]
    projects, users = PROJECT_SIZES[size]
    seed(demo_office=True)
    rng = random.Random(f"unimicro-{size}")
    now = timezone.now().replace(microsecond=0)
    key = DEMO_COMPANY_KEY

    def when() -> dt.datetime:
        return now - dt.timedelta(seconds=rng.randint(0, 90 * 24 * 3600))

    with transaction.atomic():
        BizRecord.objects.filter(company_key=key, entity__in=REPLACED).delete()
        BizRecord.objects.filter(
            company_key=key, entity="User", data__Email__startswith="bench-"
        ).delete()
        first_user = _next_free_id(key, "User")
        writer = _Writer(key)
        writer.next_id["User"] = first_user
        customer_ids = []
        first_number = entities.SERIES_START["CustomerNumber"]
        for index in range(count):
            name = f"{rng.choice(_FIRST)}{rng.choice(_SECOND)} {index + 1} {rng.choice(_SUFFIX)}"
            at = when()
            relation = writer.add("BusinessRelation", {"Name": name}, at)
            customer_ids.append(
                writer.add(
                    "Customer",
                    {
                        "CustomerNumber": first_number + index,
                        "OrgNumber": None,
                        "BusinessRelationID": relation,
                        "StatusCode": entities.CUSTOMER_ACTIVE,
                        "IsPrivate": False,
                    },
                    at,
                )
            )
        progress(f"{count} customers")
        project_ids = []
        first_project = entities.SERIES_START["ProjectNumber"]
        for index in range(projects):
            project_ids.append(
                writer.add(
                    "Project",
                    {
                        "ProjectNumber": str(first_project + index),
                        "Name": f"Prosjekt {index + 1}",
                        "Description": "",
                        "ProjectCustomerID": customer_ids[index % len(customer_ids)],
                        "StatusCode": entities.PROJECT_ONGOING,
                    },
                    when(),
                )
            )
        progress(f"{projects} projects")
        work_types = [w["ID"] for w in entities.find(key, "WorkType")]
        relations = []
        for index in range(users):
            at = when()
            given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
            user = writer.add(
                "User",
                {
                    "DisplayName": f"{given} {family}",
                    "Email": f"bench-{index + 1}@tidsbro.no",
                    "GlobalIdentity": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                },
                at,
            )
            info = writer.add("BusinessRelation", {"Name": f"{given} {family}"}, at)
            worker = writer.add("Worker", {"UserID": user, "BusinessRelationID": info}, at)
            relations.append(
                writer.add(
                    "WorkRelation",
                    {
                        "WorkerID": worker,
                        "Description": "Fast ansatt",
                        "WorkPercentage": 100,
                        "StartDate": "2026-01-01",
                        "IsActive": True,
                    },
                    at,
                )
            )
        progress(f"{users} users with workers")
        for project in project_ids:
            for _ in range(ENTRIES_PER_PROJECT):
                at = when()
                dimensions = writer.add("Dimensions", {"ProjectID": project}, at)
                minutes = rng.choice([30, 60, 90, 120, 240, 450])
                writer.add(
                    "WorkItem",
                    {
                        "WorkRelationID": rng.choice(relations),
                        "WorkTypeID": rng.choice(work_types) if work_types else None,
                        "Date": (at.date()).isoformat(),
                        "Minutes": minutes,
                        "LunchInMinutes": 0,
                        "Description": "Arbeid",
                        "Invoiceable": True,
                        "TransferedToOrder": False,
                        "DimensionsID": dimensions,
                        "StatusCode": entities.WORKFLOW_DRAFT,
                    },
                    at,
                )
        progress(f"{projects * ENTRIES_PER_PROJECT} work items")
        writer.flush()
        for series, following in (
            ("CustomerNumber", first_number + count),
            ("ProjectNumber", first_project + projects),
        ):
            NumberSeries.objects.update_or_create(
                company_key=key, name=series, defaults={"next": following}
            )
    return count


def _next_free_id(company_key: str, entity: str) -> int:
    highest = (
        BizRecord.objects.filter(company_key=company_key, entity=entity)
        .order_by("-record_id")
        .values_list("record_id", flat=True)
        .first()
    )
    return (highest or 0) + 1
