"""The customer admin: local customers through the services, ERP-owned ones read-only."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.customers.models import Customer
from tests.accounts.factories import UserFactory, admin_user, employee, project_manager
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:customers_customer_changelist"
ADD = "admin:customers_customer_add"


def _change_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


def _delete_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_delete", args=[customer.pk])


def _form(**overrides) -> dict:
    data = {
        "name": "Fjordkraft AS",
        "number": "20001",
        "organisation_number": "987654321",
        "is_active": "on",
        "email": "post@fjordkraft.example",
        "phone": "",
        "address_line1": "Kaigaten 1",
        "address_line2": "",
        "postal_code": "5015",
        "city": "Bergen",
        "country": "NO",
        "visiting_address": "",
    }
    data.update(overrides)
    return data


def test_staff_without_permission_is_forbidden_and_customers_are_not_on_the_index(client):
    client.force_login(UserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert reverse(CHANGELIST) not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("role_user", [employee, project_manager])
def test_employees_and_project_managers_only_view_customers(client, role_user):
    customer = CustomerFactory()
    client.force_login(role_user())
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse(ADD)).status_code == 403
    assert client.post(_change_url(customer), _form()).status_code == 403


def test_admin_creates_a_customer_through_the_service(client):
    client.force_login(admin_user())
    response = client.post(reverse(ADD), _form())
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.number, customer.erp_owned) == ("Fjordkraft AS", "20001", False)


def test_duplicate_customer_number_is_a_form_error_and_saves_nothing(client):
    CustomerFactory(number="20001")
    client.force_login(admin_user())
    response = client.post(reverse(ADD), _form())
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "already has this customer number" in str(errors)
    assert Customer.objects.count() == 1


def test_admin_changes_a_local_customer(client):
    customer = CustomerFactory(name="Old name")
    client.force_login(admin_user())
    response = client.post(_change_url(customer), _form(name="New name", number=customer.number))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "New name"


def test_erp_owned_customer_is_read_only_with_the_reason(client):
    customer = CustomerFactory(name="Owned AS", erp_owned=True, erp_system="24SevenOffice")
    client.force_login(admin_user())
    response = client.get(_change_url(customer))
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert not response.context["has_delete_permission"]
    assert "This customer is owned by 24SevenOffice" in response.content.decode()
    response = client.post(_change_url(customer), _form(name="Changed here"))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Owned AS"


def test_erp_owned_customer_cannot_be_deleted(client):
    customer = CustomerFactory(erp_owned=True)
    client.force_login(admin_user())
    assert client.post(_delete_url(customer), {"post": "yes"}).status_code == 403
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_erp_owned_customers_are_refused_by_bulk_delete(client):
    owned = CustomerFactory(erp_owned=True)
    local = CustomerFactory()
    client.force_login(admin_user())
    data = {"action": "delete_selected", "_selected_action": [owned.pk, local.pk]}
    first = client.post(reverse(CHANGELIST), data)
    assert "permission to delete" in first.content.decode()
    assert client.post(reverse(CHANGELIST), {**data, "post": "yes"}).status_code == 403
    assert Customer.objects.count() == 2


def test_bulk_delete_through_the_service_refuses_all_when_one_has_projects(client):
    used = CustomerFactory()
    ProjectFactory(customer=used)
    unused = CustomerFactory()
    client.force_login(admin_user())
    # Django lists the PROTECTed projects and deletes nothing; the service would refuse too.
    data = {"action": "delete_selected", "_selected_action": [used.pk, unused.pk], "post": "yes"}
    response = client.post(reverse(CHANGELIST), data, follow=True)
    assert response.status_code == 200
    assert Customer.objects.count() == 2


def test_bulk_delete_deletes_unused_local_customers(client):
    customers = [CustomerFactory(), CustomerFactory()]
    client.force_login(admin_user())
    data = {
        "action": "delete_selected",
        "_selected_action": [c.pk for c in customers],
        "post": "yes",
    }
    response = client.post(reverse(CHANGELIST), data, follow=True)
    assert "Successfully deleted 2" in " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert not Customer.objects.exists()


def test_local_customer_without_projects_is_deleted_through_the_service(client):
    customer = CustomerFactory()
    client.force_login(admin_user())
    assert client.post(_delete_url(customer), {"post": "yes"}).status_code == 302
    assert not Customer.objects.exists()


def test_customer_with_projects_is_not_deleted(client):
    customer = CustomerFactory()
    ProjectFactory(customer=customer)
    client.force_login(admin_user())
    client.post(_delete_url(customer), {"post": "yes"})
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_changelist_searches_by_organisation_number(client):
    CustomerFactory(name="Wanted", organisation_number="912345678")
    CustomerFactory(name="Other", organisation_number="")
    client.force_login(admin_user())
    response = client.get(reverse(CHANGELIST), {"q": "912345678"})
    assert [c.name for c in response.context["cl"].result_list] == ["Wanted"]
