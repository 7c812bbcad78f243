"""Tidsbro customers into e-conomic, end to end: local services, the outbox, the connector,
the production client and the e-conomic sandbox over real HTTP."""

from __future__ import annotations

import pytest

from apps.customers.models import Customer
from apps.customers.services import customer_create, customer_update
from apps.integrations.connectors.base import Rejected
from apps.integrations.models import Binding, OutboxItem
from apps.integrations.registry import spec_for
from apps.sandbox.economic.models import Customer as ErpCustomer
from tests.integrations.economic.flow_world import World, moment, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def new_customer(**values: object) -> Customer:
    data = {
        "name": "Bølgen Rengøring ApS",
        "organisation_number": "29876543",
        "email": "kontakt@bolgen.dk",
        "city": "Esbjerg",
        "postal_code": "6700",
        "country": "DK",
    }
    data.update(values)
    return customer_create(data=data)


def test_a_customer_created_here_with_a_typed_number_appears_in_e_conomic_with_it(
    world: World, no_kick: None
) -> None:
    customer = new_customer(number="5001")

    world.push()

    erp = world.erp(5001)
    assert erp is not None
    assert erp.name == "Bølgen Rengøring ApS"
    assert erp.corporate_identification_number == "29876543"
    assert (erp.zip, erp.city, erp.country) == ("6700", "Esbjerg", "Denmark")
    # The defaults chosen when connecting: e-conomic requires them on every customer.
    assert (erp.customer_group_number, erp.payment_terms_number, erp.vat_zone_number) == (1, 2, 1)
    assert erp.currency == "DKK"
    binding = world.binding(local_id=customer.pk)
    assert (binding.external_id, binding.state) == ("5001", Binding.State.LINKED)
    assert world.outbox(customer.pk).status == OutboxItem.Status.DONE


def test_a_customer_created_without_a_number_gets_e_conomics_next_free_one(
    world: World, no_kick: None
) -> None:
    world.erp_customer(1)
    world.erp_customer(2)
    customer = new_customer(number="")

    world.push()

    binding = world.binding(local_id=customer.pk)
    assert binding.external_id == "3"
    assert world.erp(3).name == "Bølgen Rengøring ApS"


def test_the_number_e_conomic_assigned_is_stored_on_the_customer_here(
    world: World, no_kick: None
) -> None:
    customer = new_customer(number="")

    world.push()

    customer.refresh_from_db()
    assert customer.number == world.binding(local_id=customer.pk).external_id


def test_a_typed_number_e_conomic_already_uses_is_refused_with_the_reason(
    world: World, no_kick: None
) -> None:
    world.erp_customer(5002, name="Nordvask I/S")
    customer = new_customer(number="5002")

    world.push()

    item = world.outbox(customer.pk)
    assert item.status == OutboxItem.Status.DEAD  # the same request would be refused again
    assert "5002" in item.last_error and "already in use" in item.last_error
    assert world.erp(5002).name == "Nordvask I/S"  # e-conomic's customer untouched
    assert ErpCustomer.objects.filter(agreement=world.agreement).count() == 1
    assert not Binding.objects.filter(connection=world.connection, local_id=customer.pk).exists()
    words = spec_for("economic").explain(Rejected(item.last_error))
    assert "already has a customer with this customer number" in words


def test_a_create_whose_reply_was_lost_is_retried_without_a_second_customer(
    world: World, no_kick: None, settings: object
) -> None:
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    # e-conomic stores the customer, but its answer never arrives (the client times out).
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)
    customer = new_customer(number="")

    world.push()

    item = world.outbox(customer.pk)
    assert item.status == OutboxItem.Status.AMBIGUOUS
    assert ErpCustomer.objects.filter(agreement=world.agreement).count() == 1
    world.knobs(fault_rate=0.0)

    world.push()

    assert ErpCustomer.objects.filter(agreement=world.agreement).count() == 1
    erp = ErpCustomer.objects.get(agreement=world.agreement)
    assert world.binding(local_id=customer.pk).external_id == str(erp.customer_number)
    assert world.outbox(customer.pk).status == OutboxItem.Status.DONE


def test_a_lost_create_retried_after_the_name_was_edited_here_makes_no_second_customer(
    world: World, no_kick: None, settings: object
) -> None:
    from apps.customers.services import customer_update

    settings.ECONOMIC_READ_TIMEOUT = 1.0
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)
    customer = new_customer(number="")
    world.push()
    assert world.outbox(customer.pk).status == OutboxItem.Status.AMBIGUOUS
    world.knobs(fault_rate=0.0)
    # The office corrects the name while the first create's outcome is unknown: the name and
    # organisation number no longer find it, the outbox item's own key still does.
    customer_update(customer=customer, data={"name": "Bølgen Rengøring og Vinduespolering ApS"})

    world.push()
    world.push()

    assert ErpCustomer.objects.filter(agreement=world.agreement).count() == 1
    erp = ErpCustomer.objects.get(agreement=world.agreement)
    assert world.binding(local_id=customer.pk).external_id == str(erp.customer_number)
    assert erp.name == "Bølgen Rengøring og Vinduespolering ApS"


def test_a_lost_create_with_a_typed_number_is_found_by_that_number(
    world: World, no_kick: None, settings: object
) -> None:
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)
    customer = new_customer(number="6100")
    world.push()
    world.knobs(fault_rate=0.0)
    started = moment()

    world.push()

    assert ErpCustomer.objects.filter(agreement=world.agreement).count() == 1
    assert world.binding(local_id=customer.pk).external_id == "6100"
    sent = [(r.method, r.path.split("?")[0]) for r in world.requests_since(started)]
    assert sent == [("GET", "/sandbox/economic/customers/6100")]  # looked up, not re-created


def test_an_edit_here_is_written_to_e_conomic_keeping_what_tidsbro_does_not_hold(
    world: World, no_kick: None
) -> None:
    customer = new_customer(number="5003")
    world.push()
    ErpCustomer.objects.filter(customer_number=5003).update(
        ean="5790001234567", website="https://bolgen.dk", sales_person_number=2
    )

    customer_update(customer=customer, data={"city": "Ribe", "postal_code": "6760"})
    world.push()

    erp = world.erp(5003)
    assert (erp.city, erp.zip) == ("Ribe", "6760")
    # e-conomic's PUT replaces the whole customer: what Tidsbro does not hold is sent back.
    assert erp.ean == "5790001234567"
    assert erp.website == "https://bolgen.dk"
    assert erp.sales_person_number == 2
    assert (erp.customer_group_number, erp.payment_terms_number) == (1, 2)


def test_making_a_customer_inactive_here_bars_it_in_e_conomic(world: World, no_kick: None) -> None:
    customer = new_customer(number="5005")
    world.push()

    customer_update(customer=customer, data={"is_active": False})
    world.push()

    erp = world.erp(5005)
    assert erp is not None  # never deleted
    assert erp.barred


def test_a_lost_create_never_takes_over_another_customer_under_the_typed_number(
    world: World, no_kick: None
) -> None:
    # The connection drops before e-conomic stores anything: the outcome is unknown to us.
    world.knobs(fault_rate=1.0, fault_drop=True, fault_http500=False)
    customer = new_customer(number="6200")
    world.push()
    assert world.outbox(customer.pk).status == OutboxItem.Status.AMBIGUOUS
    world.knobs(fault_rate=0.0)
    # Meanwhile someone gives the number to another customer in e-conomic.
    world.erp_customer(6200, name="Andersen Maskiner", corporate_identification_number="55667788")

    world.push()

    assert not Binding.objects.filter(connection=world.connection, local_id=customer.pk).exists()
    item = world.outbox(customer.pk)
    assert item.status == OutboxItem.Status.DEAD
    assert "6200" in item.last_error and "already in use" in item.last_error
    assert world.erp(6200).name == "Andersen Maskiner"


def test_a_pull_between_a_lost_create_and_its_retry_makes_no_second_tidsbro_customer(
    world: World, no_kick: None, settings: object
) -> None:
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    world.knobs(fault_rate=1.0, fault_hang=True, fault_http500=False, hang_seconds=3.0)
    customer = new_customer(number="")
    world.push()  # e-conomic made the customer; Tidsbro does not know its number
    world.knobs(fault_rate=0.0)

    world.pull()  # sees the new e-conomic customer before the retry

    assert Customer.objects.count() == 1
    world.push()
    world.pull()
    assert Customer.objects.count() == 1
    erp = ErpCustomer.objects.get(agreement=world.agreement)
    assert world.binding(local_id=customer.pk).external_id == str(erp.customer_number)


def test_a_number_changed_here_is_refused_for_e_conomic_with_the_reason(
    world: World, no_kick: None
) -> None:
    from apps.customers.services import customer_update

    customer = new_customer(number="6300")
    world.push()
    assert world.binding(local_id=customer.pk).external_id == "6300"

    customer_update(customer=customer, data={"number": "6301"})
    world.push()

    item = world.outbox(customer.pk)
    assert item.status == OutboxItem.Status.DEAD
    assert "cannot change a customer's number" in item.last_error
    assert world.erp(6300).name == "Bølgen Rengøring ApS"
    assert world.erp(6301) is None
