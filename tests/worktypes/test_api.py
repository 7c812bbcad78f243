import pytest
from rest_framework.test import APIClient

from tests.accounts.factories import UserFactory, admin_user, employee
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

# Literal paths on purpose: they are the API's published contract.

LIST_URL = "/api/v1/work-types/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_anonymous_request_is_refused_with_401():
    assert APIClient().get(LIST_URL).status_code == 401


def test_staff_user_without_view_permission_gets_403():
    work_type = WorkTypeFactory()
    client = client_for(UserFactory())

    assert client.get(LIST_URL).status_code == 403
    assert client.get(f"{LIST_URL}{work_type.pk}/").status_code == 403


def test_work_types_list_all_or_by_active():
    in_use = WorkTypeFactory(name="Rådgivning", invoiceable=True)
    retired = WorkTypeFactory(name="Reise", is_active=False, invoiceable=False)
    client = client_for(employee())

    def ids(**params):
        return {row["id"] for row in client.get(LIST_URL, params).json()["results"]}

    assert ids() == {in_use.pk, retired.pk}
    assert ids(active="true") == {in_use.pk}
    assert ids(active="false") == {retired.pk}
    row = client.get(f"{LIST_URL}{in_use.pk}/").json()
    assert row["name"] == "Rådgivning"
    assert row["invoiceable"] is True
    assert row["price"] == "1250.00"
    assert row["is_active"] is True


def test_bad_active_filter_is_a_400():
    response = client_for(employee()).get(LIST_URL, {"active": "sometimes"})

    assert response.status_code == 400
    assert list(response.json()) == ["active"]


def test_work_types_are_read_only():
    # Even an administrator, who may change them in the admin.
    client = client_for(admin_user())

    assert client.post(LIST_URL, {"name": "Ny"}, format="json").status_code == 405
