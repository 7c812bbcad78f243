"""The seed (demo office) and the benchmark dataset of the Unimicro sandbox."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.demo.office import PEOPLE, WORK_TYPES, customer_specs
from apps.sandbox.unimicro import dataset, entities, store
from apps.sandbox.unimicro.models import BizRecord
from apps.sandbox.unimicro.seed import DEMO_COMPANY_KEY, seed

pytestmark = pytest.mark.django_db


def live(entity: str):
    return [
        store.read(DEMO_COMPANY_KEY, entity, r["ID"], expand="Info") if entity == "Customer" else r
        for r in entities.find(DEMO_COMPANY_KEY, entity)
    ]


def test_demo_office_seed_is_idempotent_and_matches_tidsbros_demo_office():
    first = seed(demo_office=True)
    assert first["customers"] == 12 and first["products"] == 5 and first["work types"] == 4
    rows = BizRecord.objects.count()
    assert seed(demo_office=True) == {}
    assert BizRecord.objects.count() == rows
    customers = live("Customer")
    assert sorted(c["CustomerNumber"] for c in customers) == list(range(100000, 100012))
    tidsbro_orgs = {c["organisation_number"] for c in customer_specs()}
    assert sum(c["OrgNumber"] in tidsbro_orgs for c in customers) == 4
    assert all(c["Info"]["Name"] for c in customers)
    product_numbers = {p["PartName"] for p in live("Product")}
    assert product_numbers == {w[3] for w in WORK_TYPES if w[3]}
    consulting = next(w for w in live("WorkType") if w["Name"] == "Rådgivning")
    assert store.read(DEMO_COMPANY_KEY, "Product", consulting["ProductID"])["PartName"] == "1010"
    emails = {u["Email"] for u in live("User")}
    assert {p.address for p in PEOPLE} <= emails
    assert "regnskap@tidsbro.no" in emails
    assert live("Eventplan") == []


def test_seed_command_with_reset_starts_again(capsys):
    call_command("sandbox_unimicro_seed", "--demo-office")
    store.create(DEMO_COMPANY_KEY, "Customer", {"Info": {"Name": "Ekstra AS"}}, None)
    call_command("sandbox_unimicro_seed", "--demo-office", "--reset")
    assert len(entities.find(DEMO_COMPANY_KEY, "Customer")) == 12
    assert "regnskap@tidsbro.no" in capsys.readouterr().out


def test_dataset_s_writes_numbered_customers_projects_and_hours(monkeypatch):
    monkeypatch.setitem(dataset.SIZES, "S", 30)
    monkeypatch.setitem(dataset.PROJECT_SIZES, "S", (4, 3))
    assert dataset.generate("S") == 30
    customers = entities.find(DEMO_COMPANY_KEY, "Customer")
    assert sorted(c["CustomerNumber"] for c in customers) == list(range(100000, 100030))
    assert len(entities.find(DEMO_COMPANY_KEY, "WorkItem")) == 4 * dataset.ENTRIES_PER_PROJECT
    # the series go on after the bulk rows: the next API create does not collide
    made = store.create(DEMO_COMPANY_KEY, "Customer", {"Info": {"Name": "Ny AS"}}, None)
    assert made["CustomerNumber"] == 100030
    project = store.create(DEMO_COMPANY_KEY, "Project", {"Name": "Ny"}, None)
    assert project["ProjectNumber"] == "104"
    expanded = store.read(DEMO_COMPANY_KEY, "Customer", customers[0]["ID"], expand="Info")
    assert expanded["Info"]["Name"]
    # run again: replaced, not added to
    assert dataset.generate("S") == 30
    assert len(entities.find(DEMO_COMPANY_KEY, "Customer")) == 30


def test_each_company_lists_the_sandbox_users_of_its_organisation():
    seed()
    holding = "4b3e9a10-0000-4000-8000-000000000003"
    assert [u["Email"] for u in entities.find(holding, "User")] == ["regnskap@tidsbro.no"]
    emails = {u["Email"] for u in entities.find(DEMO_COMPANY_KEY, "User")}
    assert emails == {"regnskap@tidsbro.no", "les@tidsbro.no"}
    from apps.sandbox.unimicro.identity.models import SandboxUser

    user = entities.find(DEMO_COMPANY_KEY, "User", Email="regnskap@tidsbro.no")[0]
    assert user["GlobalIdentity"] == str(SandboxUser.objects.get(email="regnskap@tidsbro.no").guid)
