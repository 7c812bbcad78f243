"""The sync center with an e-conomic connection, through the admin against the sandbox: the
lists name e-conomic, and "Create partner" makes the customer in e-conomic."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from apps.customers.services import customer_create
from apps.integrations.models import OutboxItem
from tests.integrations.economic.flow_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def customers_url(tab: str) -> str:
    return reverse("admin:integrations_sync_center_list", args=["customer"]) + f"?tab={tab}"


def test_the_sync_center_lists_customers_by_side_and_names_e_conomic(
    world: World, no_kick: None, admin_client: Any
) -> None:
    world.erp_customer(9001, name="Klitgården Feriecenter")
    world.pull()
    customer_create(data={"name": "Lokal Kunde ApS"})  # waits in the outbox, not pushed yet

    linked = admin_client.get(customers_url("linked"))
    local_only = admin_client.get(customers_url("local_only"))

    assert linked.status_code == local_only.status_code == 200
    assert "Klitgården Feriecenter" in linked.content.decode()
    text = local_only.content.decode()
    assert "Lokal Kunde ApS" in text
    assert "e-conomic" in text
    assert "24SevenOffice" not in text


def test_create_partner_from_the_sync_center_makes_the_customer_in_e_conomic(
    world: World, no_kick: None, admin_client: Any
) -> None:
    customer = customer_create(data={"name": "Lokal Kunde ApS", "number": "9002"})
    OutboxItem.objects.filter(local_id=customer.pk).delete()  # made before connecting

    answer = admin_client.post(
        customers_url("local_only"),
        {
            "tab": "local_only",
            "action": "create_remote",
            "selected": [str(customer.pk)],
            "confirm": "yes",
        },
    )
    assert answer.status_code == 302
    world.push()

    assert world.erp(9002).name == "Lokal Kunde ApS"
    assert world.binding(local_id=customer.pk).external_id == "9002"
