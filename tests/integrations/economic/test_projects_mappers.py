"""e-conomic Projects service documents ↔ canonical values (pure), and how its refusals read."""

from __future__ import annotations

import pytest

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.economic import mappers
from apps.integrations.connectors.economic.apis import ModuleMissing, StaleVersion
from apps.integrations.connectors.economic.spec import SPEC

PROJECT = {
    "number": 7001,
    "name": "Havbris – nyt lager",
    "projectGroupNumber": 1,
    "customerNumber": 5001,
    "isClosed": False,
    "isBarred": False,
    "lastUpdated": "2026-11-30T08:15:00Z",
    "responsibleEmployeeNumber": 2,
    "description": "Lager i Esbjerg",
    "costPrice": 1200.0,
    "objectVersion": "AAAB",
}


def test_a_project_reads_as_canonical_values():
    assert mappers.project_from_remote(PROJECT) == {
        "name": "Havbris – nyt lager",
        "number": 7001,
        "customer": "5001",
        "status": "active",
        "description": "Lager i Esbjerg",
    }
    assert mappers.project_from_remote({**PROJECT, "isClosed": True})["status"] == "archived"
    assert mappers.project_from_remote({**PROJECT, "isBarred": True})["status"] == "archived"
    assert mappers.project_from_remote({"number": 1, "name": "X"})["customer"] is None


def test_a_project_update_keeps_what_tidsbro_does_not_hold_and_drops_read_only():
    document = mappers.project_to_remote({"name": "Nyt navn", "status": "archived"}, PROJECT)
    assert document["name"] == "Nyt navn" and document["isBarred"] is True
    assert document["responsibleEmployeeNumber"] == 2
    assert document["objectVersion"] == "AAAB"
    assert not {"isClosed", "lastUpdated", "costPrice"} & document.keys()


def test_unchanged_values_leave_the_project_as_read():
    same = mappers.project_from_remote(PROJECT)
    assert mappers.project_changes(same, PROJECT) == {}
    assert mappers.project_changes({**same, "customer": None}, PROJECT) == {"customer": None}
    document = mappers.project_to_remote({**same, "customer": None}, PROJECT)
    assert "customerNumber" not in document


def test_a_new_project_gets_the_group_and_needs_a_name():
    document = mappers.project_to_remote(
        {"name": "Ny", "customer": "12", "status": "active"}, None, project_group=3
    )
    assert document == {
        "name": "Ny",
        "customerNumber": 12,
        "isBarred": False,
        "projectGroupNumber": 3,
    }
    with pytest.raises(Rejected):
        mappers.project_to_remote({"name": ""}, None, project_group=3)
    with pytest.raises(Rejected) as caught:
        mappers.project_to_remote({"name": "Uden gruppe"}, None)
    assert "project group" in str(caught.value)


def test_activities_and_employees():
    activity = {"number": 4, "groupNumber": 1, "name": "Support", "isBarred": True}
    assert mappers.work_type_from_remote(activity) == {"name": "Support", "is_active": False}
    assert mappers.work_type_to_remote({"is_active": True}, activity)["isBarred"] is False
    new = mappers.work_type_to_remote({"name": "Tilsyn"}, None, number=9, activity_group=2)
    assert new == {"name": "Tilsyn", "isBarred": False, "number": 9, "groupNumber": 2}
    assert mappers.user_from_remote(
        {"number": 2, "name": "Anders  Holm", "email": "Anders@Tidsbro.dk"}
    ) == {
        "name": "Anders Holm",
        "first_name": "Anders",
        "last_name": "Holm",
        "email": "anders@tidsbro.dk",
        "user_id": "",
        "employee_id": 2,
    }


def test_a_missing_module_and_a_stale_version_are_explained():
    missing = ModuleMissing(
        "HTTP 403 from e-conomic: Forbidden (AccessDeniedAgreementMissingModules)",
        operation="GET /projectsapi/v1.1.0/Projects",
    )
    assert "no Project module" in SPEC.explain(missing)
    stale = StaleVersion("HTTP 409 from e-conomic: objectVersion: changed (UpdateConflict)")
    assert "changed in e-conomic while Tidsbro was writing" in SPEC.explain(stale)
    refused = Rejected(
        "HTTP 400 from e-conomic: name: too long",
        operation="PUT /projectsapi/v1.1.0/Projects",
        messages=("name: too long",),
    )
    assert "customer" not in SPEC.explain(refused)


def test_without_the_module_only_customers_can_be_kept():
    assert SPEC.connectable({}) == frozenset({"customer"})
    assert SPEC.connectable({"project_module": False}) == frozenset({"customer"})
    assert SPEC.connectable({"project_module": True}) is None
    assert SPEC.can_keep({"project_module": True}, "project")
    assert not SPEC.can_keep({}, "project")
    assert not SPEC.can_keep({"project_module": True}, "task")
