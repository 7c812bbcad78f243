import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
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


def test_projects_are_never_deleted_through_the_api():
    project = ProjectFactory(name="Urørt")
    # Even by an administrator: projects live on in the ERP with their hours; archive them.
    client = client_for(admin_user())

    assert client.delete(f"{LIST_URL}{project.pk}/").status_code == 405
    assert Project.objects.filter(pk=project.pk).exists()


@pytest.mark.parametrize("rows", [5, 50])
def test_project_list_uses_a_constant_number_of_queries(rows, django_assert_max_num_queries):
    ProjectFactory.create_batch(rows)
    client = client_for(employee())

    # session, user, its permissions (2), count, page
    with django_assert_max_num_queries(6):
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == rows


# --- writing (issue 14, item 16) -----------------------------------------------------------


def test_admin_creates_a_project_and_it_waits_for_its_number():
    customer = CustomerFactory(name="Fjordkraft AS")

    response = client_for(admin_user()).post(
        LIST_URL,
        {"name": "Ny nettside", "customer": customer.pk, "start_date": "2026-12-01"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["customer_name"], body["number"]) == (
        "Ny nettside",
        "Fjordkraft AS",
        None,
    )
    assert body["number_display"] == "number pending"
    project = Project.objects.get(pk=body["id"])
    assert LogEntry.objects.filter(object_id=str(project.pk), action_flag=ADDITION).exists()


def test_the_project_number_cannot_be_set_through_the_api():
    project = ProjectFactory()

    response = client_for(admin_user()).patch(
        f"{LIST_URL}{project.pk}/", {"number": 4711}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "number": ["The project number is assigned by the ERP when the project is transferred."]
    }
    project.refresh_from_db()
    assert project.number is None


def test_admin_changes_and_archives_a_project_through_the_services():
    project = ProjectFactory(name="Gammel")
    client = client_for(admin_user())

    changed = client.patch(f"{LIST_URL}{project.pk}/", {"name": "Ny"}, format="json")
    archived = client.post(f"{LIST_URL}{project.pk}/archive/")
    activated = client.post(f"{LIST_URL}{project.pk}/activate/")

    assert changed.status_code == archived.status_code == activated.status_code == 200
    assert changed.json()["name"] == "Ny"
    assert archived.json()["status"] == "archived"
    assert activated.json()["status"] == "active"
    assert LogEntry.objects.filter(object_id=str(project.pk), action_flag=CHANGE).count() == 3


def test_the_services_rules_come_back_as_field_errors():
    project = ProjectFactory()

    response = client_for(admin_user()).patch(
        f"{LIST_URL}{project.pk}/",
        {"start_date": "2026-12-10", "end_date": "2026-12-01"},
        format="json",
    )

    assert response.status_code == 400
    assert "The end date cannot be before the start date." in str(response.json())


@pytest.mark.parametrize("user", [employee, support_user])
def test_people_without_the_projects_permissions_cannot_write(user):
    project = ProjectFactory(name="Urørt")
    client = client_for(user())

    assert client.post(LIST_URL, {"name": "X"}, format="json").status_code == 403
    assert client.patch(f"{LIST_URL}{project.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.post(f"{LIST_URL}{project.pk}/archive/").status_code == 403
    project.refresh_from_db()
    assert (project.name, project.status) == ("Urørt", "active")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "x" * 256}, "name"),
        ({"name": "X", "description": "x" * 1_000_000}, "description"),
        ({"name": "X", "start_date": "0001-01-01"}, "start_date"),
        ({"name": "X", "end_date": "9999-12-31"}, "end_date"),
        ({"name": "X", "nmae": "Y"}, "nmae"),
    ],
)
def test_hostile_project_input_is_a_400_on_the_field(payload, field):
    response = client_for(admin_user()).post(LIST_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Project.objects.exists()
