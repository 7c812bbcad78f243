"""Create partner from the sync center with the number the office types: the confirmation
offers the customer's own number or the next free one, and refuses a taken one on the form,
with the reason and what was typed kept."""

import pytest
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations.models import Binding, Connection, OutboxItem
from apps.integrations.sync import outbox
from tests.accounts.factories import admin_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_kick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)


@pytest.fixture
def connection() -> Connection:
    return Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": "x"},
        connected=["customer"],
        masters={"customer": "both"},
    )


@pytest.fixture
def admin(client):
    client.force_login(admin_user())
    return client


def url(tab: str) -> str:
    return reverse("admin:integrations_sync_center_list", args=["customer"]) + f"?tab={tab}"


def only_in_economic(connection: Connection, number: int, name: str) -> Binding:
    return Binding.objects.create(
        connection=connection,
        entity="customer",
        external_id=str(number),
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": name, "number": str(number)},
    )


def test_a_rows_create_partner_button_asks_for_the_number_prefilled(admin, connection) -> None:
    only_in_economic(connection, 40, "Nordhavn Kontor")
    own = Customer.objects.create(name="Fjordlys", number="12")
    taken = Customer.objects.create(name="Havbris", number="40")

    listed = admin.get(url("local_only")).content.decode()
    first = admin.post(url("local_only"), {"tab": "local_only", "create_one": str(own.pk)})
    second = admin.post(url("local_only"), {"tab": "local_only", "create_one": str(taken.pk)})

    assert f'name="create_one" value="{own.pk}"' in listed
    assert f'name="number-{own.pk}" value="12"' in first.content.decode()
    assert f'name="number-{taken.pk}" value="41"' in second.content.decode()  # e-conomic has 40


def test_the_typed_number_is_set_and_queued_for_e_conomic(admin, connection) -> None:
    customer = Customer.objects.create(name="Fjordlys", number="12")

    response = admin.post(
        url("local_only"),
        {
            "tab": "local_only",
            "action": "create_remote",
            "selected": [customer.pk],
            f"number-{customer.pk}": "8001",
            "confirm": "yes",
        },
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.number == "8001"
    assert OutboxItem.objects.filter(local_id=customer.pk, entity="customer").exists()


def test_a_taken_number_is_refused_on_the_form_with_the_reason(admin, connection) -> None:
    Customer.objects.create(name="Havbris", number="8001")
    customer = Customer.objects.create(name="Fjordlys", number="12")

    response = admin.post(
        url("local_only"),
        {
            "tab": "local_only",
            "action": "create_remote",
            "selected": [customer.pk],
            f"number-{customer.pk}": "8001",
            "confirm": "yes",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "8001 is already a customer number in Tidsbro." in page
    assert f'name="number-{customer.pk}" value="8001"' in page
    assert not OutboxItem.objects.filter(local_id=customer.pk).exists()
    customer.refresh_from_db()
    assert customer.number == "12"


def test_create_in_tidsbro_with_the_typed_number(admin, connection) -> None:
    binding = only_in_economic(connection, 40, "Nordhavn Kontor")

    confirm = admin.post(url("remote_only"), {"tab": "remote_only", "create_one": binding.pk})
    done = admin.post(
        url("remote_only"),
        {
            "tab": "remote_only",
            "action": "create_local",
            "selected": [binding.pk],
            f"number-{binding.pk}": "40",
            "confirm": "yes",
        },
    )

    assert f'name="number-{binding.pk}" value="40"' in confirm.content.decode()
    assert done.status_code == 302
    binding.refresh_from_db()
    assert Customer.objects.get(pk=binding.local_id).number == "40"


def test_the_create_all_progress_lists_each_failure_in_constant_queries(
    admin, connection, django_assert_max_num_queries
) -> None:
    from apps.integrations.models import SyncRun

    run = SyncRun.objects.create(
        connection=connection,
        entity="customer",
        kind="partners_remote",
        trigger="manual",
        status="succeeded",
        fetched=60,
        created=20,
        errors=40,
        changes=[{"record": f"Kunde {i}", "error": f"{i} is taken"} for i in range(40)],
    )
    url = reverse("admin:integrations_sync_center_create_all", args=["customer", run.pk])

    with django_assert_max_num_queries(12):
        page = admin.get(url).content.decode()

    assert "20 / 60" in page and "Kunde 39" in page and "39 is taken" in page
    assert 'http-equiv="refresh"' not in page
