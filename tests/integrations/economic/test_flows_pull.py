"""e-conomic customers into Tidsbro, end to end: the engine, the connector, the production
client and the e-conomic sandbox over real HTTP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from apps.customers.models import Customer
from apps.integrations.models import Binding, OutboxItem, Watermark
from tests.integrations.economic.flow_world import World, moment, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_full_pull_creates_the_customers_with_their_fields_and_bindings(world: World) -> None:
    world.erp_customer(
        101,
        name="Fjordlys ApS",
        corporate_identification_number="12345674",
        email="bogholderi@fjordlys.dk",
        telephone_and_fax_number="+45 70 10 20 30",
        address="Havnegade 4\n2. sal",
        zip="8000",
        city="Aarhus C",
        country="Danmark",
    )
    world.erp_customer(102, name="Kystbyg A/S", barred=True)

    run = world.pull()

    assert (run.fetched, run.created) == (2, 2)
    fjordlys = Customer.objects.get(number="101")
    assert fjordlys.name == "Fjordlys ApS"
    assert fjordlys.organisation_number == "12345674"
    assert fjordlys.email == "bogholderi@fjordlys.dk"
    assert fjordlys.phone == "+45 70 10 20 30"
    assert (fjordlys.address_line1, fjordlys.address_line2) == ("Havnegade 4", "2. sal")
    assert (fjordlys.postal_code, fjordlys.city, fjordlys.country) == ("8000", "Aarhus C", "DK")
    assert fjordlys.is_active
    assert not Customer.objects.get(number="102").is_active  # barred there
    binding = world.binding(local_id=fjordlys.pk)
    assert binding.external_id == "101"
    assert binding.state == Binding.State.LINKED
    assert binding.snapshot["name"] == "Fjordlys ApS"


def test_an_edit_in_e_conomic_reaches_tidsbro_on_the_next_incremental_pull(
    world: World,
) -> None:
    world.erp_customer(201, name="Skovly Rengøring", city="Vejle")
    world.pull()

    world.erp_edit(201, city="Kolding", zip="6000")
    run = world.pull()

    customer = Customer.objects.get(number="201")
    assert (customer.city, customer.postal_code) == ("Kolding", "6000")
    assert run.updated == 1


def test_an_incremental_pull_with_nothing_changed_costs_one_request(world: World) -> None:
    for number in range(301, 311):
        world.erp_customer(number)
    world.pull()
    cursor = Watermark.objects.get(connection=world.connection, entity="customer")

    started = moment()
    run = world.pull()

    assert run.requests == 1
    assert run.created == run.updated == run.conflicts == 0
    assert len(world.requests_since(started)) == 1
    # The cursor is e-conomic's own clock: the latest lastUpdated seen, to the second.
    cursor.refresh_from_db()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", cursor.cursor)


def test_a_pull_of_more_than_a_page_reads_every_page(world: World) -> None:
    from apps.integrations.connectors.economic import connector as economic_connector

    for number in range(401, 406):
        world.erp_customer(number)
    economic_connector.PAGE_SIZE, before = 2, economic_connector.PAGE_SIZE
    try:
        run = world.pull()
    finally:
        economic_connector.PAGE_SIZE = before

    assert run.created == 5
    assert run.requests == 3
    assert set(Customer.objects.values_list("number", flat=True)) == {
        "401",
        "402",
        "403",
        "404",
        "405",
    }


def test_an_edit_here_of_a_customer_that_came_from_e_conomic_reaches_e_conomic(
    world: World, no_kick: None
) -> None:
    from apps.customers.services import customer_update

    world.erp_customer(501, name="Havbris ApS", city="Skagen")
    world.pull()
    customer = Customer.objects.get(number="501")

    customer_update(customer=customer, data={"city": "Hirtshals"})
    world.push()

    assert world.erp(501).city == "Hirtshals"


def test_the_request_budget_shown_is_e_conomics_token_bucket(world: World) -> None:
    from apps.integrations.registry import spec_for

    world.knobs(rate_limit=500)
    world.erp_customer(601)
    world.pull()

    used, limit = spec_for("economic").request_budget(world.connection)

    assert limit == 500
    assert 1 <= used <= 10


def test_pulls_read_the_database_per_page_not_per_customer(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for number in range(1, 201):
        world.erp_customer(number)

    with django_assert_max_num_queries(60):
        world.pull()  # 200 customers created, bound
    with django_assert_max_num_queries(35):
        world.pull()  # the overlap reads all 200 again: all unchanged


def test_a_customer_named_like_one_here_waits_for_its_partner_instead_of_being_copied(
    world: World, no_kick: None
) -> None:
    from apps.customers.services import customer_create
    from apps.integrations.partners import candidates_for_remote

    # In Tidsbro before e-conomic was connected (nothing queued for it then).
    ours = customer_create(data={"name": "Nordhavn Data AS", "number": "50013", "country": "NO"})
    OutboxItem.objects.all().delete()
    world.erp_customer(12, name="Nordhavn  data as", city="København")
    world.erp_customer(13, name="Skagen Fiskeeksport A/S")

    world.pull(full=True)

    assert list(Customer.objects.filter(name__iexact="nordhavn data as")) == [ours]
    waiting = world.binding(external_id="12")
    assert (waiting.local_id, waiting.state) == (None, Binding.State.REMOTE_ONLY)
    assert Customer.objects.filter(name="Skagen Fiskeeksport A/S").exists()  # no namesake
    suggestions = candidates_for_remote(connection=world.connection, binding=waiting)
    assert suggestions and suggestions[0].key == ours.pk

    world.pull(full=True)  # the next pull leaves it waiting too: still one Nordhavn Data here
    assert Customer.objects.filter(name__iexact="nordhavn data as").count() == 1


def test_where_e_conomic_owns_customers_a_namesake_here_is_not_copied_either(
    world: World, no_kick: None
) -> None:
    """The demo's case: the office's own register meets e-conomic's on the first sync with the
    system as master; a same-named customer without a partner waits to be paired."""
    from apps.customers.services import customer_create

    ours = customer_create(data={"name": "Nordhavn Data AS", "number": "50013", "country": "NO"})
    OutboxItem.objects.all().delete()
    world.connection.masters = {**(world.connection.masters or {}), "customer": "erp"}
    world.connection.save(update_fields=["masters"])
    world.erp_customer(12, name="Nordhavn Data AS", city="København")

    world.pull(full=True)

    assert list(Customer.objects.filter(name__iexact="nordhavn data as")) == [ours]
    waiting = world.binding(external_id="12")
    assert (waiting.local_id, waiting.state) == (None, Binding.State.REMOTE_ONLY)
