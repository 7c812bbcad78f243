"""Create all partners over the whole filtered list (CleanManager's "Opret partnere"), in
the background against the e-conomic sandbox: every matching record on every page, numbers
kept or the next free ones, progress with each failure's reason, records partnered meanwhile
skipped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations import jobs_partners, partners
from apps.integrations.models import Binding, OutboxItem, SyncRun
from apps.sandbox.economic.models import Customer as ErpCustomer
from tests.accounts.factories import admin_user, project_manager
from tests.integrations.economic.flow_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def list_url(tab: str, q: str = "") -> str:
    base = reverse("admin:integrations_sync_center_list", args=["customer"])
    return f"{base}?tab={tab}&q={q}"


def local_customers(n: int, *, prefix: str = "Kunde", start: int = 300) -> list[Customer]:
    made = Customer.objects.bulk_create(
        [Customer(name=f"{prefix} {i}", number=str(start + i), city="Aarhus") for i in range(n)]
    )
    return made


def only_in_economic(world: World, number: int, name: str) -> Binding:
    return Binding.objects.create(
        connection=world.connection,
        entity="customer",
        external_id=str(number),
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": name, "number": str(number)},
    )


def test_all_matching_records_on_every_page_are_created_in_e_conomic_keeping_numbers(
    world: World, client
) -> None:
    local_customers(55, prefix="Fjordlys")  # more than a page (50)
    local_customers(3, prefix="Havbris", start=900)
    client.force_login(admin_user())

    listed = client.get(list_url("local_only", "Fjordlys")).content.decode()
    confirm = client.post(
        list_url("local_only", "Fjordlys"),
        {"action": "create_all", "tab": "local_only", "q": "Fjordlys"},
    )
    started = client.post(
        list_url("local_only", "Fjordlys"),
        {
            "action": "create_all",
            "tab": "local_only",
            "q": "Fjordlys",
            "numbers": "keep",
            "confirm": "yes",
        },
    )
    progress = client.get(started["Location"]).content.decode()

    assert "Create partners in e-conomic for all 55 records in this list" in listed
    assert "55 records in the list “Only in e-conomic”" not in confirm.content.decode()
    assert "55 records in the list “Only in Tidsbro” get a partner in e-conomic." in (
        confirm.content.decode()
    )
    run = SyncRun.objects.get(kind="partners_remote")
    assert (run.status, run.fetched, run.created, run.errors) == ("succeeded", 55, 55, 0)
    assert "55 / 55" in progress and "Done: 55 records are on their way to e-conomic" in progress
    numbers = set(ErpCustomer.objects.values_list("customer_number", flat=True))
    assert numbers == set(range(300, 355))  # their own numbers; the Havbris ones stay
    assert Binding.objects.filter(entity="customer", state="linked").count() == 55


def test_assign_the_next_free_numbers_in_e_conomic(world: World, client) -> None:
    only_in_economic(world, 500, "Eksisterende")
    local_customers(3, prefix="Nordhavn", start=10)
    client.force_login(admin_user())

    client.post(
        list_url("local_only"),
        {"action": "create_all", "tab": "local_only", "numbers": "next", "confirm": "yes"},
    )

    made = Customer.objects.filter(name__startswith="Nordhavn").order_by("name")
    assert [c.number for c in made] == ["501", "502", "503"]
    assert {c.customer_number for c in ErpCustomer.objects.filter(name__startswith="Nordhavn")} == {
        501,
        502,
        503,
    }


def test_create_all_in_tidsbro_keeps_e_conomics_numbers_and_lists_those_taken(
    world: World, client, no_kick: None
) -> None:
    Customer.objects.create(name="Gammel kunde", number="11")
    for i in range(3):
        only_in_economic(world, 10 + i, f"Nordhavn {i}")
    client.force_login(admin_user())

    started = client.post(
        list_url("remote_only"),
        {"action": "create_all", "tab": "remote_only", "numbers": "next", "confirm": "yes"},
    )
    progress = client.get(started["Location"]).content.decode()

    made = Customer.objects.filter(name__startswith="Nordhavn").order_by("name")
    assert [c.number for c in made] == ["10", "12"]  # e-conomic's: they cannot change there
    assert "Nordhavn 1 (11)" in progress
    assert "11 is already a customer number in Tidsbro." in progress


def test_records_partnered_meanwhile_are_skipped_and_failures_listed_with_the_reason(
    world: World, monkeypatch: pytest.MonkeyPatch, no_kick: None
) -> None:
    monkeypatch.setattr(jobs_partners, "_queue", lambda *args: None)  # the test runs the job
    meanwhile = only_in_economic(world, 21, "Sydhavn")
    nameless = only_in_economic(world, 22, "")
    fine = only_in_economic(world, 23, "Vesthavn")
    run = jobs_partners.create_all_start(
        connection=world.connection, entity="customer", action="create_local"
    )
    partners.create_partner_local(
        connection=world.connection, entity="customer", bindings=[meanwhile]
    )

    jobs_partners.create_all_job(run.pk, "", "keep", None)

    run.refresh_from_db()
    assert (run.fetched, run.created, run.skipped, run.errors) == (3, 1, 1, 1)
    assert run.changes[0]["record"] == "22 (22)"
    assert "name" in run.changes[0]["error"]
    assert Customer.objects.filter(name="Sydhavn").count() == 1
    fine.refresh_from_db()
    nameless.refresh_from_db()
    assert fine.local_id is not None and nameless.local_id is None
    assert not OutboxItem.objects.exists()  # the numbers were e-conomic's own


def test_only_those_who_may_match_start_it(world: World, client) -> None:
    local_customers(2)
    user = project_manager()
    client.force_login(user)

    response = client.post(
        list_url("local_only"),
        {"action": "create_all", "tab": "local_only", "confirm": "yes"},
    )

    assert response.status_code == 403
    assert not SyncRun.objects.filter(kind="partners_remote").exists()


def test_a_running_create_all_refreshes_itself_and_a_second_start_shows_it(
    world: World, client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_partners, "_queue", lambda *args: None)  # still running
    local_customers(4)
    client.force_login(admin_user())
    client.post(
        list_url("local_only"),
        {"action": "create_all", "tab": "local_only", "numbers": "keep", "confirm": "yes"},
    )
    run = SyncRun.objects.get(kind="partners_remote")

    again = client.post(list_url("local_only"), {"action": "create_all", "tab": "local_only"})
    progress = client.get(again["Location"]).content.decode()

    assert again["Location"].endswith(f"/create-all/{run.pk}/")
    assert 'http-equiv="refresh"' in progress and "sc-create-all-running" in progress
    assert "0 / 4" in progress
    assert SyncRun.objects.filter(kind="partners_remote").count() == 1
