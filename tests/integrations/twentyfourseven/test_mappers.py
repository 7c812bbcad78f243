"""24SO records ↔ canonical values: pure functions, no database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from apps.integrations.connectors.twentyfourseven import mappers
from apps.integrations.connectors.twentyfourseven.types import (
    Address,
    Company,
    Participant,
    Project,
    ProjectRole,
    Task,
    User,
    WorkType,
)

OSLO = ZoneInfo("Europe/Oslo")


def company(**changes) -> Company:
    values = {
        "id": 10001,
        "name": "  Havbris AS ",
        "organization_number": " 912345678",
        "email": "Faktura@Havbris.no ",
        "phone": "+47 22 00 00 00",
        "country": "no",
        "post_address": Address(
            street="Strandkaien 12\nPostboks 4", postal_code="5013", city="Bergen"
        ),
        "visit_address": Address(street="Bryggen 1", postal_code="5003", city="Bergen"),
    }
    return Company(**{**values, **changes})


def test_customer_values_are_stripped_and_normalised():
    values = mappers.customer_from_company(company())

    assert values == {
        "name": "Havbris AS",
        "number": "10001",
        "organisation_number": "912345678",
        "email": "faktura@havbris.no",
        "phone": "+47 22 00 00 00",
        "address_line1": "Strandkaien 12",
        "address_line2": "Postboks 4",
        "postal_code": "5013",
        "city": "Bergen",
        "country": "NO",
        "visiting_address": "Bryggen 1, 5003 Bergen",
    }
    assert tuple(values) == mappers.CUSTOMER_FIELDS
    assert json.loads(json.dumps(values)) == values


def test_customer_without_addresses_or_with_a_broken_email_gets_empty_text():
    values = mappers.customer_from_company(
        Company(id=7, name="X", email="not an address", mobile="+47 900 00 000")
    )

    assert values["email"] == ""
    assert values["phone"] == "+47 900 00 000"
    assert values["address_line1"] == values["city"] == values["visiting_address"] == ""


def test_a_consumer_customer_is_named_first_and_last():
    values = mappers.customer_from_company(
        Company(id=8, name="Hansen", first_name="Kari", type="Consumer")
    )
    assert values["name"] == "Kari Hansen"


def test_overlong_erp_values_are_cut_to_the_local_columns():
    values = mappers.customer_from_company(company(phone="1" * 60, organization_number="9" * 30))
    assert len(values["phone"]) == 40
    assert len(values["organisation_number"]) == 20


def test_customer_round_trip_keeps_the_synced_fields():
    values = mappers.customer_from_company(company())
    back = mappers.company_from_customer(values, external_id="10001")

    assert back.id == 10001
    assert mappers.customer_from_company(back) == values


def test_a_new_customer_has_no_id():
    assert mappers.company_from_customer({"name": "Ny AS"}).id is None


def test_project_values_use_erp_ids_for_references_and_local_days():
    project = Project(
        id=1004,
        name=" Nettbutikk ",
        customer_id=10002,
        description="Ny butikk",
        date_start=datetime(2026, 3, 31, 22, 0, tzinfo=UTC),  # 1 April in Oslo
        date_stop=None,
        work_type_id=2,
        need_approval=True,
    )

    values = mappers.project_from_24so(project, active=True, zone=OSLO)

    assert values == {
        "name": "Nettbutikk",
        "number": 1004,
        "customer": "10002",
        "status": "active",
        "start_date": "2026-04-01",
        "end_date": None,
        "description": "Ny butikk",
        "default_work_type": "2",
        "needs_approval": True,
    }
    assert tuple(values) == mappers.PROJECT_FIELDS


def test_a_deactivated_project_is_archived_and_unset_values_are_none():
    values = mappers.project_from_24so(Project(id=5, name="P"), active=False, zone=OSLO)

    assert values["status"] == "archived"
    assert values["customer"] is None
    assert values["default_work_type"] is None
    assert values["needs_approval"] is False


def test_project_round_trip_keeps_days_and_references():
    values = {
        "name": "P",
        "number": 1004,
        "customer": "10002",
        "status": "archived",
        "start_date": "2026-01-01",
        "end_date": "2026-06-30",
        "description": "",
        "default_work_type": "1",
        "needs_approval": False,
    }
    project = mappers.project_to_24so(
        values, external_id="1004", status_ids={"active": 1, "archived": 3}, zone=OSLO
    )

    assert (project.id, project.customer_id, project.status_id, project.work_type_id) == (
        1004,
        10002,
        3,
        1,
    )
    assert project.date_start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert mappers.project_from_24so(project, active=False, zone=OSLO) == values


def test_work_type_price_is_a_quantised_string():
    values = mappers.work_type_from_24so(
        WorkType(id=1, name="Rådgivning", invoiceable=True, price=Decimal("1250"), product_id=501),
        active=True,
    )

    assert values == {
        "name": "Rådgivning",
        "description": "",
        "invoiceable": True,
        "price": "1250.00",
        "product_number": "501",
        "is_active": True,
    }
    back = mappers.work_type_to_24so(values, external_id="1")
    assert (back.price, back.product_id) == (Decimal("1250.00"), 501)


def test_task_values_map_priority_estimate_and_assignees():
    task = Task(
        id=9,
        project_id=1001,
        name="Analyse",
        date_start=datetime(2026, 1, 5, 8, tzinfo=UTC),
        date_stop=datetime(2026, 2, 5, 8, tzinfo=UTC),
        priority=2,
        estimate=40,
        participants=(12, 3, 3),
    )

    values = mappers.task_from_24so(task, zone=OSLO)

    assert values == {
        "project": "1001",
        "name": "Analyse",
        "description": "",
        "start_date": "2026-01-05",
        "end_date": "2026-02-05",
        "priority": 3,
        "estimate_hours": "40.00",
        "assignees": ["3", "12"],
    }
    assert tuple(values) == mappers.TASK_FIELDS
    back = mappers.task_to_24so(values, external_id="9", zone=OSLO)
    assert (back.id, back.project_id, back.priority, back.estimate, back.participants) == (
        9,
        1001,
        2,
        40,
        (3, 12),
    )
    assert mappers.task_from_24so(back, zone=OSLO) == values


def test_a_task_without_priority_or_estimate_is_normal_and_unestimated():
    values = mappers.task_from_24so(Task(id=1, project_id=2, name="T"), zone=OSLO)
    assert (values["priority"], values["estimate_hours"], values["assignees"]) == (2, None, [])


def test_user_values_take_the_persons_email_in_lower_case():
    user = User(id=UUID(int=5), contact_id=5, name="Kari Hansen", employee_id=4)

    values = mappers.user_from_24so(user, email="Kari.Hansen@Example.no")

    assert values == {
        "name": "Kari Hansen",
        "first_name": "Kari",
        "last_name": "Hansen",
        "email": "kari.hansen@example.no",
        "user_id": str(UUID(int=5)),
        "employee_id": 4,
    }


def test_participants_are_members_only_while_participating():
    role = ProjectRole(id=1, name="Prosjektleder")
    member = Participant(
        project_id=1001, contact_id=5, role=role, state=2, state_name="Participating"
    )
    removed = Participant(project_id=1001, contact_id=6, state=4, state_name="Removed")
    invited = Participant(project_id=1001, contact_id=7, state=1)

    assert mappers.participant_from_24so(member) == {
        "project": "1001",
        "user": "5",
        "role": "Prosjektleder",
    }
    assert mappers.participant_id(1001, 5) == "1001:5"
    assert mappers.is_member(member)
    assert not mappers.is_member(removed)
    assert not mappers.is_member(invited)
    assert mappers.participant_from_24so(removed)["role"] is None


def test_money_and_days_survive_odd_input():
    assert mappers.money("12.345") == "12.35"
    assert mappers.money("abc") is None
    assert mappers.money(None) is None
    assert mappers.to_date(None) is None
    assert mappers.from_date("") is None
    assert mappers.to_date(datetime(2026, 6, 30, 22, 30), zone=OSLO) == "2026-07-01"
