"""The first transfer to Unimicro, through the sandbox over real HTTP: customers pair by number,
then by organisation number; the rest wait in the sync center (with the sentence that the two
systems number customers differently) and nothing is sent until the office partners, creates
or sets each apart."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations import partners
from apps.integrations.models import Binding, Conflict
from tests.integrations.unimicro.sync_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)

State = Binding.State


@pytest.fixture
def office(world: World) -> dict[str, Any]:
    """Tidsbro's register and Unimicro's, as an office has them before the first transfer."""
    made = {
        # Same organisation number as a Unimicro customer numbered from 100000.
        "fjord": Customer.objects.create(
            name="Fjordlys AS", number="50001", organisation_number="912345678"
        ),
        # Same customer number as one in Unimicro.
        "berg": Customer.objects.create(name="Bergtatt AS", number="100007"),
        # Only in Tidsbro.
        "elv": Customer.objects.create(name="Elvekanten AS", number="50003"),
    }
    made["erp_fjord"] = world.erp_customer(100000, name="Fjordlys A/S", org="912345678")
    made["erp_berg"] = world.erp_customer(100007, name="Bergtatt AS")
    made["erp_only"] = world.erp_customer(100002, name="Skogly Regnskap AS")
    return made


def test_first_transfer_pairs_by_number_then_org_number_and_sends_nothing_else(
    world: World, office: dict[str, Any], no_kick: None
):
    before = len(world.erp_all("Customer"))
    run = world.pull(full=True)
    assert run.created == 0  # nothing of Unimicro's is copied into Tidsbro
    assert world.binding(local_id=office["fjord"].pk).external_id == str(office["erp_fjord"]["ID"])
    assert world.binding(local_id=office["berg"].pk).external_id == str(office["erp_berg"]["ID"])
    waiting = world.binding(external_id=str(office["erp_only"]["ID"]))
    assert waiting.state == State.REMOTE_ONLY and waiting.local_id is None
    assert not Binding.objects.filter(connection=world.connection, local_id=office["elv"].pk)
    assert Customer.objects.count() == 3
    # Nothing was created in Unimicro by the first transfer.
    assert len(world.erp_all("Customer")) == before


def test_the_sync_center_says_the_number_ranges_differ(
    world: World, office: dict[str, Any], admin_client: Any
):
    world.pull(full=True)
    url = reverse("admin:integrations_sync_center_list", args=["customer"])
    for tab in ("remote_only", "local_only"):
        page = admin_client.get(url, {"tab": tab, "connection": world.connection.pk})
        assert page.status_code == 200
        text = page.content.decode()
        assert "number ranges of the two systems often differ" in text
        assert "100000" in text
    remote_only = admin_client.get(url, {"tab": "remote_only", "connection": world.connection.pk})
    assert "Skogly Regnskap AS" in remote_only.content.decode()


def test_partner_create_and_exclude_after_the_first_transfer(
    world: World, office: dict[str, Any], no_kick: None
):
    world.pull(full=True)
    waiting = world.binding(external_id=str(office["erp_only"]["ID"]))
    # The office sets Unimicro's own customer apart ("no sync") …
    partners.binding_exclude(
        connection=world.connection, entity="customer", binding_ids=[waiting.pk]
    )
    assert world.binding(external_id=str(office["erp_only"]["ID"])).state == State.EXCLUDED
    # … and creates Tidsbro's own in Unimicro with its number.
    partners.create_partner_remote(
        connection=world.connection, entity="customer", local_ids=[office["elv"].pk]
    )
    world.push()
    made = world.erp_customer_by_number(50003)
    assert made is not None and made["Info"]["Name"] == "Elvekanten AS"
    assert world.binding(local_id=office["elv"].pk).external_id == str(made["ID"])
    # A later pull changes nothing of what was decided.
    world.pull()
    assert world.binding(external_id=str(office["erp_only"]["ID"])).state == State.EXCLUDED
    assert Customer.objects.count() == 3


def test_a_customer_waiting_for_review_is_not_created_for_its_project(
    world: World, office: dict[str, Any], no_kick: None
):
    from apps.projects.services import project_create

    world.pull(full=True)
    project_create(data={"name": "Nettside", "customer": office["elv"]})
    world.push()
    # The project waits for its customer; the customer is not sent behind the office's back.
    assert world.erp_customer_by_number(50003) is None
    assert not Binding.objects.filter(
        connection=world.connection, entity="customer", local_id=office["elv"].pk
    ).exclude(external_id="")


def test_a_unimicro_customer_left_waiting_can_still_be_created_in_tidsbro(
    world: World, office: dict[str, Any], no_kick: None
):
    world.pull(full=True)
    waiting = world.binding(external_id=str(office["erp_only"]["ID"]))
    (made,) = partners.create_partner_local(
        connection=world.connection, entity="customer", bindings=[waiting]
    )
    assert made.name == "Skogly Regnskap AS" and made.number == "100002"
    assert world.binding(external_id=str(office["erp_only"]["ID"])).local_id == made.pk


def test_a_paired_customer_takes_tidsbros_values_and_keeps_unimicros_where_tidsbro_had_none(
    world: World, office: dict[str, Any], no_kick: None
):
    erp = office["erp_fjord"]
    world.erp_update(
        "Customer",
        erp["ID"],
        {
            "Info": {
                "ID": erp["Info"]["ID"],
                "DefaultEmail": {
                    "ID": 0,
                    "EmailAddress": "post@fjordlys.no",
                    "_createguid": "6a1f0000-0000-4000-8000-000000000001",
                },
            }
        },
    )
    world.pull(full=True)
    world.push()
    fjord = Customer.objects.get(pk=office["fjord"].pk)
    assert fjord.email == "post@fjordlys.no"  # Tidsbro had none: Unimicro's fills it
    after = world.erp("Customer", erp["ID"], expand="Info")
    assert after["Info"]["Name"] == "Fjordlys AS"  # Tidsbro is the master of the name
    assert str(after["CustomerNumber"]) == "50001"  # and of the number: now the same in both
    assert not Conflict.objects.filter(binding__local_id=fjord.pk)
