"""/api/v1/customers/: the register through the API, with the admin's services and rules."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from rest_framework.test import APIClient

from apps.customers.models import Customer
from apps.integrations.models import Connection, Master
from apps.integrations.services import DEFAULT_MASTERS
from tests.accounts.factories import UserFactory, admin_user, employee, support_user
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

# Literal paths on purpose: they are the API's published contract.

LIST_URL = "/api/v1/customers/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def _erp_master_of_customers() -> Connection:
    return connection_24so(
        username="demo",
        password="secret-Pa55",
        client_name="Fjordlys Rådgivning AS",
        client_id="2400101",
        connected=["customer", "project"],
        masters={**DEFAULT_MASTERS, "customer": Master.ERP},
    )


def test_anonymous_request_is_refused_with_401():
    assert APIClient().get(LIST_URL).status_code == 401


def test_staff_user_without_view_permission_gets_403():
    customer = CustomerFactory()
    client = client_for(UserFactory())

    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{customer.pk}/").status_code == 403


def test_lists_and_filters_customers():
    CustomerFactory(name="Aktiv AS")
    CustomerFactory(name="Sovende AS", is_active=False)
    client = client_for(support_user())

    everyone = client.get(LIST_URL).json()["results"]
    active = client.get(LIST_URL, {"active": "true"}).json()["results"]

    assert [c["name"] for c in everyone] == ["Aktiv AS", "Sovende AS"]
    assert [c["name"] for c in active] == ["Aktiv AS"]


def test_admin_creates_and_changes_a_local_customer():
    client = client_for(admin_user())

    created = client.post(
        LIST_URL, {"name": "Fjordkraft AS", "email": "post@fjordkraft.no"}, format="json"
    )
    customer_id = created.json()["id"]
    changed = client.patch(f"{LIST_URL}{customer_id}/", {"city": "Bergen"}, format="json")

    assert created.status_code == 201
    assert changed.status_code == 200
    assert changed.json()["city"] == "Bergen"
    assert created.json()["erp_owned"] is False
    flags = set(
        LogEntry.objects.filter(object_id=str(customer_id)).values_list("action_flag", flat=True)
    )
    assert flags == {ADDITION, CHANGE}


def test_an_erp_owned_customer_is_refused_with_the_services_message():
    customer = CustomerFactory(name="Eid AS", erp_owned=True, erp_system="24SevenOffice")

    response = client_for(admin_user()).patch(
        f"{LIST_URL}{customer.pk}/", {"name": "Endret"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith(
        "This customer is owned by 24SevenOffice. Change it there"
    )
    customer.refresh_from_db()
    assert customer.name == "Eid AS"


def test_customers_are_not_created_here_while_the_erp_is_their_master():
    _erp_master_of_customers()

    response = client_for(admin_user()).post(LIST_URL, {"name": "Ny AS"}, format="json")

    assert response.status_code == 400
    assert "Customers are created in 24SevenOffice" in response.json()["non_field_errors"][0]
    assert not Customer.objects.exists()


def test_a_taken_customer_number_is_refused_by_the_service():
    CustomerFactory(number="20001")

    response = client_for(admin_user()).post(
        LIST_URL, {"name": "Dobbel AS", "number": "20001"}, format="json"
    )

    assert response.status_code == 400
    assert "Another customer already has this customer number." in str(response.json())


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x" * 256}, "name"),
        ({"name": "X", "email": "not an address"}, "email"),
        ({"name": "X", "erp_owned": True}, "erp_owned"),
        ({"name": "X", "citty": "Oslo"}, "citty"),
    ],
)
def test_hostile_customer_input_is_a_400_on_the_field(payload, field):
    response = client_for(admin_user()).post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Customer.objects.exists()


def test_people_without_the_customer_permissions_cannot_write():
    customer = CustomerFactory(name="Urørt AS")
    client = client_for(employee())

    assert client.post(LIST_URL, {"name": "X"}, format="json").status_code == 403
    assert (
        client.patch(f"{LIST_URL}{customer.pk}/", {"name": "X"}, format="json").status_code == 403
    )
    customer.refresh_from_db()
    assert customer.name == "Urørt AS"
