"""Which remote id is this local record, which local record is that remote id: one query each."""

import pytest

from apps.customers.models import Customer
from apps.integrations import bindings
from apps.integrations.models import Binding
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import connection_24so

State = Binding.State


@pytest.fixture
def world(db):
    connection = connection_24so(connected=["customer"])
    other = connection_24so(connected=["customer"], is_active=False)
    linked, set_apart, gone, never, loose = CustomerFactory.create_batch(5)
    rows = [
        Binding(connection=connection, entity="customer", local_id=linked.pk, external_id="101"),
        Binding(
            connection=connection,
            entity="customer",
            local_id=set_apart.pk,
            external_id="102",
            state=State.EXCLUDED,
        ),
        Binding(
            connection=connection,
            entity="customer",
            local_id=gone.pk,
            external_id="103",
            state=State.MISSING_REMOTELY,
        ),
        # "No sync" before it was ever paired: no remote id.
        Binding(connection=connection, entity="customer", local_id=never.pk, state=State.EXCLUDED),
        # Only in the ERP.
        Binding(
            connection=connection,
            entity="customer",
            external_id="105",
            state=State.REMOTE_ONLY,
            remote_values={"name": "Only there"},
        ),
        # Another connection and another object type never answer for this one.
        Binding(connection=other, entity="customer", local_id=loose.pk, external_id="101"),
        Binding(connection=connection, entity="project", local_id=loose.pk, external_id="9"),
    ]
    Binding.objects.bulk_create(rows)
    return connection, linked, set_apart, gone, never, loose


def test_remote_ids_in_bulk_by_state(world, django_assert_num_queries):
    connection, linked, set_apart, gone, never, loose = world
    ids = [linked.pk, set_apart.pk, gone.pk, never.pk, loose.pk, None]
    with django_assert_num_queries(1):
        every = bindings.remote_ids(connection, "customer", ids)
    assert every == {linked.pk: "101", set_apart.pk: "102", gone.pk: "103"}
    with django_assert_num_queries(1):
        synced = bindings.remote_ids(connection, "customer", ids, which=bindings.SYNCED)
    assert synced == {linked.pk: "101", gone.pk: "103"}
    with django_assert_num_queries(1):
        present = bindings.remote_ids(connection, "customer", ids, which=bindings.PRESENT)
    assert present == {linked.pk: "101"}
    with django_assert_num_queries(0):
        assert bindings.remote_ids(connection, "customer", [None]) == {}


def test_one_remote_id(world, django_assert_num_queries):
    connection, linked, set_apart, _gone, never, _loose = world
    with django_assert_num_queries(1):
        assert bindings.remote_id(connection, "customer", linked.pk) == "101"
    assert bindings.remote_id(connection, "customer", never.pk) is None
    assert bindings.remote_id(connection, "customer", set_apart.pk) == "102"
    assert bindings.remote_id(connection, "customer", set_apart.pk, which=bindings.SYNCED) is None


def test_local_ids_in_bulk_and_one(world, django_assert_num_queries):
    connection, linked, set_apart, gone, _never, _loose = world
    with django_assert_num_queries(1):
        found = bindings.local_ids(connection, "customer", ["101", 102, "103", "105", "999", None])
    assert found == {"101": linked.pk, "102": set_apart.pk, "103": gone.pk}
    with django_assert_num_queries(1):
        assert bindings.local_id(connection, "customer", 101) == linked.pk
    assert bindings.local_id(connection, "customer", "105") is None  # only in the ERP
    with django_assert_num_queries(0):
        assert bindings.local_ids(connection, "customer", []) == {}
    assert bindings.all_local_ids(connection, "customer") == {
        "101": linked.pk,
        "102": set_apart.pk,
        "103": gone.pk,
    }


def test_paired_means_synced_with_a_remote_id(world, django_assert_num_queries):
    connection, linked, set_apart, gone, never, loose = world
    assert bindings.is_paired(connection, "customer", linked.pk)
    assert not bindings.is_paired(connection, "customer", set_apart.pk)
    assert not bindings.is_paired(connection, "customer", never.pk)
    assert not bindings.is_paired(connection, "customer", None)
    with django_assert_num_queries(1):
        paired = bindings.paired_local_ids(
            connection, "customer", [linked.pk, set_apart.pk, gone.pk, never.pk, loose.pk]
        )
    assert paired == {linked.pk, gone.pk}


def test_records_without_any_binding(world, django_assert_num_queries):
    connection, *_rest, loose = world
    with django_assert_num_queries(1):
        free = list(bindings.unbound(connection, "customer", Customer.objects.all()))
    assert free == [loose]


def test_what_the_bindings_hold(world, django_assert_num_queries):
    connection, linked, *_rest = world
    Binding.objects.filter(external_id="101", connection=connection).update(
        snapshot={"name": "Agreed"}
    )
    with django_assert_num_queries(1):
        values = bindings.remote_values(connection, "customer")
    assert values["105"] == {"name": "Only there"}
    assert values["101"] == {"name": "Agreed"}
    assert bindings.snapshots(connection, "customer", [linked.pk]) == {
        linked.pk: {"name": "Agreed"}
    }
    assert set(bindings.snapshots_by_remote_id(connection, "customer", which=bindings.SYNCED)) == {
        "101",
        "103",
        "105",
    }


def test_a_reference_tidsbro_cannot_hold_is_carried():
    assert bindings.carry_reference(None, None, "77", set()) == "77"
    assert bindings.carry_reference(None, None, "77", {"77"}) is None
    assert bindings.carry_reference("5", 3, "77", set()) == "5"


def test_subquery_of_paired_records_and_any_binding(world, django_assert_num_queries):
    connection, linked, set_apart, gone, never, loose = world
    with django_assert_num_queries(1):
        paired = set(
            Customer.objects.filter(
                pk__in=bindings.paired_subquery(connection, "customer", which=bindings.SYNCED)
            ).values_list("pk", flat=True)
        )
    assert paired == {linked.pk, gone.pk}
    assert bindings.has_binding(connection, "customer", never.pk)  # "no sync" counts
    assert not bindings.has_binding(connection, "customer", loose.pk)
