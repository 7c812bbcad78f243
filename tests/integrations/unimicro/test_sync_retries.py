"""A create whose answer is lost (Unimicro carried it out, the answer never came) is looked up
before it is tried again: never a second customer, project or work type in Unimicro."""

from __future__ import annotations

from typing import Any

import pytest

from apps.customers.services import customer_create, customer_update
from apps.integrations.models import OutboxItem
from apps.projects.models import Project
from apps.projects.services import project_create, project_update
from apps.sandbox.unimicro.runtime import knobs_get
from tests.integrations.unimicro.sync_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def hang(on: bool) -> None:
    """Every API answer held back past the client's timeout (the request is carried out)."""
    knobs = knobs_get()
    knobs.fault_rate = 1.0 if on else 0.0
    knobs.fault_http503 = not on
    knobs.fault_hang = on
    knobs.hang_seconds = 2.0
    knobs.save()


@pytest.mark.parametrize("number", ["50021", ""])
def test_a_create_whose_answer_was_lost_is_found_not_made_twice(
    world: World, no_kick: None, settings: Any, number: str
):
    settings.UNIMICRO_READ_TIMEOUT = 0.5
    settings.UNIMICRO_CALL_DEADLINE = 1.0
    customer = customer_create(
        data={"name": "Tapt Svar AS", "number": number, "organisation_number": "911000111"}
    )
    hang(True)
    world.push()
    item = world.outbox("customer", customer.pk)
    assert item.status == OutboxItem.Status.AMBIGUOUS
    hang(False)
    # Answers come back again (a loaded machine still gets its time).
    settings.UNIMICRO_READ_TIMEOUT = 30.0
    settings.UNIMICRO_CALL_DEADLINE = 60.0
    world.push()
    made = [c for c in world.erp_all("Customer") if c.get("OrgNumber") == "911000111"]
    assert len(made) == 1
    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DONE, (item.status, item.last_error)
    assert world.binding(local_id=customer.pk).external_id == str(made[0]["ID"])
    customer.refresh_from_db()
    assert customer.number == str(made[0]["CustomerNumber"])


def lose_answers(settings: Any, on: bool) -> None:
    """Answers held back past the client's short timeout (on), or back to normal."""
    settings.UNIMICRO_READ_TIMEOUT = 0.5 if on else 30.0
    settings.UNIMICRO_CALL_DEADLINE = 1.0 if on else 60.0
    hang(on)


def test_a_customer_renamed_after_its_create_was_lost_is_found_and_renamed_there(
    world: World, no_kick: None, settings: Any
):
    # No number: Unimicro gives one, so the look-up goes by name and organisation number, the
    # name Unimicro got being the one sent, not the one the customer has now.
    customer = customer_create(
        data={"name": "Gammelt Navn AS", "number": "", "organisation_number": "911000222"}
    )
    lose_answers(settings, True)
    world.push()
    assert world.outbox("customer", customer.pk).status == OutboxItem.Status.AMBIGUOUS
    lose_answers(settings, False)
    customer_update(customer=customer, data={"name": "Nytt Navn AS"})
    world.push()
    made = [c for c in world.erp_all("Customer") if c.get("OrgNumber") == "911000222"]
    assert len(made) == 1
    assert world.erp("Customer", made[0]["ID"], expand="Info")["Info"]["Name"] == "Nytt Navn AS"
    assert world.binding(local_id=customer.pk).external_id == str(made[0]["ID"])
    item = world.outbox("customer", customer.pk)
    assert item.status == OutboxItem.Status.DONE, (item.status, item.last_error)


def test_a_project_renamed_after_its_create_was_lost_is_neither_doubled_nor_pulled_back(
    world: World, no_kick: None, settings: Any
):
    customer = customer_create(data={"name": "Havbris AS", "number": "50031"})
    world.push()
    project = project_create(data={"name": "Gammelt prosjekt", "customer": customer})
    lose_answers(settings, True)
    world.push()
    assert world.outbox("project", project.pk).status == OutboxItem.Status.AMBIGUOUS
    lose_answers(settings, False)
    project_update(project=project, data={"name": "Nytt prosjekt"})
    # A pull before the retry sees the project in Unimicro under its old name: it is the
    # unsure create's, left to the retry, not a new Tidsbro project.
    world.pull("project")
    assert Project.objects.count() == 1
    world.push()
    customer_id = int(world.binding(local_id=customer.pk).external_id)
    made = [p for p in world.erp_all("Project") if p.get("ProjectCustomerID") == customer_id]
    assert [p["Name"] for p in made] == ["Nytt prosjekt"]
    assert world.binding("project", local_id=project.pk).external_id == str(made[0]["ID"])
    world.pull("project")
    assert list(Project.objects.values_list("name", flat=True)) == ["Nytt prosjekt"]
