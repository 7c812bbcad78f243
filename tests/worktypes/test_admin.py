"""The work type admin."""

import pytest
from django.urls import reverse

from apps.worktypes.models import WorkType
from tests.accounts.factories import UserFactory, admin_user, employee
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:worktypes_worktype_changelist"
ADD = "admin:worktypes_worktype_add"


def _form(**overrides) -> dict:
    data = {
        "name": "Consulting",
        "description": "",
        "is_active": "on",
        "invoiceable": "on",
        "price": "1450.00",
        "product_number": "P-100",
    }
    data.update(overrides)
    return data


def test_staff_without_permission_is_forbidden_and_work_types_are_not_on_the_index(client):
    client.force_login(UserFactory())
    assert client.get(reverse(CHANGELIST)).status_code == 403
    assert reverse(CHANGELIST) not in client.get(reverse("admin:index")).content.decode()


def test_employee_only_views_work_types(client):
    client.force_login(employee())
    assert client.get(reverse(CHANGELIST)).status_code == 200
    assert client.get(reverse(ADD)).status_code == 403


def test_admin_creates_and_changes_a_work_type(client):
    client.force_login(admin_user())
    assert client.post(reverse(ADD), _form()).status_code == 302
    work_type = WorkType.objects.get()
    change = reverse("admin:worktypes_worktype_change", args=[work_type.pk])
    assert client.post(change, _form(price="1500", is_active="")).status_code == 302
    work_type.refresh_from_db()
    assert str(work_type.price) == "1500.00"
    assert not work_type.is_active


def test_negative_price_is_a_form_error_and_saves_nothing(client):
    client.force_login(admin_user())
    response = client.post(reverse(ADD), _form(price="-1"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["price"]
    assert not WorkType.objects.exists()


def test_work_types_are_deactivated_not_deleted(client):
    work_type = WorkTypeFactory()
    client.force_login(admin_user())
    url = reverse("admin:worktypes_worktype_delete", args=[work_type.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert WorkType.objects.filter(pk=work_type.pk).exists()
