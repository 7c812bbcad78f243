import pytest
from django.core.exceptions import ValidationError

from apps.core.exceptions import ApplicationError
from apps.customers.models import Customer
from apps.customers.services import customer_create, customer_delete, customer_update
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def test_customer_create_stores_a_local_customer():
    customer = customer_create(data={"name": "Fjordlys AS", "number": "20001", "city": "Bergen"})

    customer.refresh_from_db()
    assert customer.name == "Fjordlys AS"
    assert customer.city == "Bergen"
    assert customer.erp_owned is False
    assert customer.erp_system == ""


def test_customer_created_from_the_erp_is_owned_by_it():
    customer = customer_create(
        data={"name": "Nordlys AS"}, from_erp=True, erp_system="24SevenOffice"
    )

    assert customer.erp_owned is True
    assert customer.erp_system == "24SevenOffice"


def test_customer_create_with_a_taken_number_is_refused():
    CustomerFactory(number="30001")

    with pytest.raises(ValidationError, match="already has this customer number"):
        customer_create(data={"name": "Kopi AS", "number": "30001"})
    assert Customer.objects.filter(number="30001").count() == 1


def test_customer_create_with_an_unknown_field_is_refused():
    with pytest.raises(ApplicationError, match="erp_owned"):
        customer_create(data={"name": "Sneaky AS", "erp_owned": True})
    assert not Customer.objects.exists()


def test_local_change_to_an_erp_owned_customer_is_refused_with_the_reason():
    customer = CustomerFactory(name="Old name", erp_owned=True, erp_system="24SevenOffice")

    with pytest.raises(ApplicationError) as excinfo:
        customer_update(customer=customer, data={"name": "New name"})

    assert "owned by 24SevenOffice" in excinfo.value.message
    assert "Fetch customers" in excinfo.value.message
    customer.refresh_from_db()
    assert customer.name == "Old name"


def test_erp_owned_customer_changes_when_the_change_comes_from_the_erp():
    customer = CustomerFactory(name="Old name", erp_owned=True, erp_system="24SevenOffice")

    customer_update(customer=customer, data={"name": "New name"}, from_erp=True)

    customer.refresh_from_db()
    assert customer.name == "New name"


def test_local_customer_update_changes_only_the_given_fields():
    customer = CustomerFactory(name="Havbris AS", city="Tromsø")

    customer_update(customer=customer, data={"phone": "+47 77 00 00 00"})

    customer.refresh_from_db()
    assert customer.phone == "+47 77 00 00 00"
    assert customer.city == "Tromsø"


def test_customer_update_with_an_invalid_email_is_refused_and_nothing_is_saved():
    customer = CustomerFactory(email="post@havbris.no")

    with pytest.raises(ValidationError, match="valid email"):
        customer_update(customer=customer, data={"email": "not-an-address"})

    customer.refresh_from_db()
    assert customer.email == "post@havbris.no"


def test_erp_owned_customer_cannot_be_deleted_locally():
    customer = CustomerFactory(erp_owned=True, erp_system="24SevenOffice")

    with pytest.raises(ApplicationError, match="owned by 24SevenOffice"):
        customer_delete(customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_customer_with_projects_cannot_be_deleted():
    project = ProjectFactory()

    with pytest.raises(ApplicationError, match="Mark it inactive instead"):
        customer_delete(customer=project.customer)
    assert Customer.objects.filter(pk=project.customer.pk).exists()


def test_customer_without_projects_is_deleted():
    customer = CustomerFactory()

    customer_delete(customer=customer)

    assert not Customer.objects.filter(pk=customer.pk).exists()
