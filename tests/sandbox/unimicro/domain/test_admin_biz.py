"""The "Unimicro sandbox" admin: play Unimicro through the API's write path."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from apps.sandbox.unimicro import entities, store
from apps.sandbox.unimicro.models import BizRecord
from apps.sandbox.unimicro.models_domain import EventplanDelivery
from apps.sandbox.unimicro.seed import DEMO_COMPANY_KEY, seed
from tests.accounts.factories import UserFactory

LISTS = [
    "customerrecord",
    "projectrecord",
    "productrecord",
    "worktyperecord",
    "userrecord",
    "workerrecord",
    "workitemrecord",
    "orderrecord",
    "invoicerecord",
    "eventplanrecord",
    "eventplandelivery",
    "blockedendpoint",
]


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("name", LISTS)
def test_every_list_opens_for_a_superuser_and_not_for_other_staff(client, superuser, name):
    seed(demo_office=True)
    url = reverse(f"admin:sandbox_unimicro_{name}_changelist")
    client.force_login(UserFactory(is_superuser=False, is_staff=True))
    assert client.get(url).status_code == 403
    client.force_login(superuser)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_customer_list_names_each_customer_in_a_fixed_number_of_queries(
    client, superuser, django_assert_max_num_queries
):
    seed(demo_office=True)
    client.force_login(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:sandbox_unimicro_customerrecord_changelist"))
    assert "Fjordkanten Revisjon AS" in response.content.decode()


@pytest.mark.django_db
def test_adding_a_customer_takes_the_next_number_and_refusals_show_on_the_form(client, superuser):
    client.force_login(superuser)
    url = reverse("admin:sandbox_unimicro_customerrecord_add")
    response = client.post(
        url,
        {
            "company_key": DEMO_COMPANY_KEY,
            "document": json.dumps({"Info": {"Name": "Ny kunde AS"}}),
        },
    )
    assert response.status_code == 302
    made = entities.find(DEMO_COMPANY_KEY, "Customer")
    assert [c["CustomerNumber"] for c in made] == [100000]
    response = client.post(
        url, {"company_key": DEMO_COMPANY_KEY, "document": json.dumps({"OrgNumber": "1"})}
    )
    assert response.status_code == 200
    assert "Name is required" in response.content.decode()
    assert len(entities.find(DEMO_COMPANY_KEY, "Customer")) == 1


@pytest.mark.django_db(transaction=True)
def test_editing_fires_the_eventplan_and_deliveries_can_be_replayed(
    client, superuser, receiver, settings
):
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "inline"}
    store.create(
        DEMO_COMPANY_KEY,
        "Eventplan",
        {"Name": "T", "ModelFilter": "Customer", "Subscribers": [{"Endpoint": receiver.url}]},
        None,
    )
    customer = store.create(DEMO_COMPANY_KEY, "Customer", {"Info": {"Name": "Gammel AS"}}, None)
    row = BizRecord.objects.get(
        company_key=DEMO_COMPANY_KEY, entity="Customer", record_id=customer["ID"]
    )
    client.force_login(superuser)
    url = reverse("admin:sandbox_unimicro_customerrecord_change", args=[row.pk])
    shown = client.get(url).content.decode()
    assert "Gammel AS" in shown
    document = {"Info": {"ID": customer["Info"]["ID"], "Name": "Ny AS"}}
    response = client.post(url, {"document": json.dumps(document)})
    assert response.status_code == 302
    assert (
        store.read(DEMO_COMPANY_KEY, "Customer", customer["ID"], expand="Info")["Info"]["Name"]
        == "Ny AS"
    )
    assert [c["json"]["EventType"] for c in receiver.calls] == ["Create", "Update"]
    response = client.post(
        reverse("admin:sandbox_unimicro_customerrecord_changelist"),
        {"action": "deactivate", "_selected_action": [row.pk]},
    )
    assert (
        store.read(DEMO_COMPANY_KEY, "Customer", customer["ID"])["StatusCode"]
        == entities.CUSTOMER_INACTIVE
    )
    last = EventplanDelivery.objects.order_by("-id").first()
    client.post(
        reverse("admin:sandbox_unimicro_eventplandelivery_changelist"),
        {"action": "deliver_again", "_selected_action": [last.pk]},
    )
    assert receiver.calls[-1]["raw"] == receiver.calls[-2]["raw"]


@pytest.mark.django_db
def test_the_company_filter_names_companies_and_keeps_to_one(client, superuser):
    seed(demo_office=True)
    client.force_login(superuser)
    url = reverse("admin:sandbox_unimicro_userrecord_changelist")
    page = client.get(url).content.decode()
    assert "Tidsbro Holding AS" in page
    holding = client.get(url, {"company": "4b3e9a10-0000-4000-8000-000000000003"})
    assert holding.context["cl"].result_count == 1
