import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory, admin_user, employee
from tests.projects.factories import ProjectFactory
from tests.tasks.factories import TaskFactory

pytestmark = pytest.mark.django_db

# Literal paths on purpose: they are the API's published contract.

LIST_URL = "/api/v1/tasks/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_anonymous_request_is_refused_with_401():
    assert APIClient().get(LIST_URL).status_code == 401


def test_staff_user_without_view_permission_gets_403():
    task = TaskFactory()
    client = client_for(UserFactory())

    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{task.pk}/").status_code == 403


def test_tasks_show_their_assignees_and_whether_i_am_one():
    worker, colleague = employee(), employee()
    mine = TaskFactory(name="Graving", assignees=[worker, colleague])
    theirs = TaskFactory(assignees=[colleague])

    body = client_for(worker).get(LIST_URL).json()

    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {mine.pk, theirs.pk}
    assert rows[mine.pk]["name"] == "Graving"
    assert rows[mine.pk]["project"] == mine.project_id
    assert rows[mine.pk]["project_name"] == mine.project.name
    assert sorted(rows[mine.pk]["assignees"]) == sorted([worker.pk, colleague.pk])
    assert rows[mine.pk]["assigned_to_me"] is True
    assert rows[theirs.pk]["assigned_to_me"] is False
    assert rows[mine.pk]["status_label"] == "Not started"
    assert rows[mine.pk]["priority_label"] == "Normal"


def test_tasks_filter_by_project_and_assigned_to_me():
    worker = employee()
    project = ProjectFactory()
    mine_here = TaskFactory(project=project, assignees=[worker])
    other_here = TaskFactory(project=project)
    mine_elsewhere = TaskFactory(assignees=[worker])
    client = client_for(worker)

    def ids(**params):
        return {row["id"] for row in client.get(LIST_URL, params).json()["results"]}

    assert ids(project=project.pk) == {mine_here.pk, other_here.pk}
    assert ids(assigned_to_me="true") == {mine_here.pk, mine_elsewhere.pk}
    assert ids(assigned_to_me="true", project=project.pk) == {mine_here.pk}
    assert ids(assigned_to_me="false") == {mine_here.pk, other_here.pk, mine_elsewhere.pk}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"project": 10**20}, "project"),
        ({"project": "one"}, "project"),
        ({"assigned_to_me": "perhaps"}, "assigned_to_me"),
    ],
)
def test_bad_task_filter_is_a_400(params, field):
    response = client_for(employee()).get(LIST_URL, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_tasks_are_read_only():
    task = TaskFactory()
    # Even an administrator, who may change them in the admin.
    client = client_for(admin_user())

    assert client.post(LIST_URL, {"name": "Ny"}, format="json").status_code == 405
    assert client.delete(f"{LIST_URL}{task.pk}/").status_code == 405


@pytest.mark.parametrize("rows", [5, 50])
def test_task_list_uses_a_constant_number_of_queries(rows, django_assert_max_num_queries):
    people = [employee() for _ in range(3)]
    for _ in range(rows):
        TaskFactory(assignees=people)
    client = client_for(people[0])

    # session, user, its permissions (2), count, page, assignees
    with django_assert_max_num_queries(7):
        response = client.get(LIST_URL)

    assert len(response.json()["results"]) == rows
