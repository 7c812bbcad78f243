"""The customer list's "Synchronisation" button: for those who may use the sync center,
one per active connection that keeps customers in step, opening its customer list."""

import pytest
from django.urls import reverse

from apps.integrations.models import Connection
from tests.accounts.factories import admin_user, employee, project_manager
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:customers_customer_changelist"


def economic(**kwargs) -> Connection:
    return Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": "x"},
        connected=kwargs.pop("connected", ["customer"]),
        **kwargs,
    )


def test_the_button_opens_the_sync_centers_customer_list(client) -> None:
    economic()
    client.force_login(admin_user())

    page = client.get(reverse(CHANGELIST)).content.decode()

    url = reverse("admin:integrations_sync_center_list", args=["customer"])
    assert f'href="{url}?tab=linked" class="sync-center-link">Synchronisation<' in page


def test_with_several_connections_each_button_names_its_system(client) -> None:
    one = economic()
    other = connection_24so(username="a", password="b", connected=["customer", "project"])
    client.force_login(admin_user())

    page = client.get(reverse(CHANGELIST)).content.decode()

    assert f"connection={one.pk}" in page and f"connection={other.pk}" in page
    assert "Synchronisation with e-conomic" in page
    assert "Synchronisation with 24SevenOffice" in page


def test_no_button_without_a_connection_keeping_customers_in_step(client) -> None:
    economic(connected=[])
    economic(is_active=False)
    client.force_login(admin_user())

    assert "sync-center-link" not in client.get(reverse(CHANGELIST)).content.decode()


def test_no_button_for_those_who_may_not_use_the_sync_center(client) -> None:
    economic()
    user = project_manager()
    if user.has_perm("integrations.view_binding"):
        user = employee()
    client.force_login(user)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert "sync-center-link" not in response.content.decode()
