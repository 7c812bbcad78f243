import pytest
from rest_framework.test import APIClient

from apps.projects.models import Project
from apps.projects.services import project_assign_number
from tests.accounts.factories import UserFactory, admin_user, employee, support_user
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db

# Literal paths on purpose: they are the API's published contract.

LIST_URL = "/api/v1/projects/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_anonymous_request_is_refused_with_401():
    assert APIClient().get(LIST_URL).status_code == 401


def test_staff_user_without_view_permission_gets_403():
    project = ProjectFactory()
    client = client_for(UserFactory())

    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{project.pk}/").status_code == 403


def test_employee_lists_projects_with_number_or_number_pending():
    numbered = ProjectFactory(name="Brygge")
    project_assign_number(project=numbered, number=4711)
    pending = ProjectFactory(name="Anlegg")

    body = client_for(employee()).get(LIST_URL).json()

    rows = {row["id"]: row for row in body["results"]}
    assert body["count"] == 2
    assert rows[numbered.pk]["number"] == 4711
    assert rows[numbered.pk]["number_display"] == "4711"
    assert rows[pending.pk]["number"] is None
    assert rows[pending.pk]["number_display"] == "number pending"
    assert rows[pending.pk]["status"] == "active"
    assert rows[pending.pk]["status_label"] == "Active"
    assert rows[pending.pk]["customer_name"] == pending.customer.name
    assert rows[pending.pk]["default_work_type_name"] == pending.default_work_type.name


def test_projects_filter_by_status_and_customer():
    customer = CustomerFactory()
    active = ProjectFactory(customer=customer)
    archived = ProjectFactory(customer=customer, status=Project.Status.ARCHIVED)
    ProjectFactory()
    client = client_for(support_user())

    def ids(**params):
        return {row["id"] for row in client.get(LIST_URL, params).json()["results"]}

    assert ids(status="archived") == {archived.pk}
    assert ids(customer=customer.pk) == {active.pk, archived.pk}
    assert ids(customer=customer.pk, status="active") == {active.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"customer": 10**20}, "customer"),
        ({"customer": "x"}, "customer"),
    ],
)
def test_bad_project_filter_is_a_400(params, field):
    response = client_for(employee()).get(LIST_URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_projects_are_read_only():
    project = ProjectFactory(name="Urørt")
    # Even an administrator, who may change them in the admin.
    client = client_for(admin_user())

    assert client.post(LIST_URL, {"name": "Ny"}, format="json").status_code == 405
    detail = f"{LIST_URL}{project.pk}/"
    assert client.patch(detail, {"name": "Endret"}, format="json").status_code == 405
    assert client.delete(detail).status_code == 405
    project.refresh_from_db()
    assert project.name == "Urørt"


@pytest.mark.parametrize("rows", [5, 50])
def test_project_list_uses_a_constant_number_of_queries(rows, django_assert_max_num_queries):
    ProjectFactory.create_batch(rows)
    client = client_for(employee())

    # session, user, its permissions (2), count, page
    with django_assert_max_num_queries(6):
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == rows
