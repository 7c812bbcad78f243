"""A project create whose answer was lost is not imported back by the next pull as a second
Tidsbro project: the pull leaves it to the retried create, which pairs it (found by name and
customer). Found by the Unimicro chaos test (tests/reliability/test_unimicro_chaos.py)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.integrations.models import OutboxItem
from apps.projects.models import Project
from apps.projects.services import project_create
from tests.integrations.unimicro.sync_world import World, no_kick, world
from tests.integrations.unimicro.test_sync_flows import linked_customer
from tests.integrations.unimicro.test_sync_retries import hang

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_project_whose_create_answer_was_lost_is_not_pulled_in_twice(
    world: World, no_kick: None, settings: Any
):
    customer = linked_customer(world)
    settings.UNIMICRO_READ_TIMEOUT = 0.5
    settings.UNIMICRO_CALL_DEADLINE = 1.0
    project = project_create(data={"name": "Tapt prosjekt", "customer": customer})
    hang(True)
    world.push()
    assert world.outbox("project", project.pk).status == OutboxItem.Status.AMBIGUOUS
    hang(False)
    settings.UNIMICRO_READ_TIMEOUT = 30.0
    settings.UNIMICRO_CALL_DEADLINE = 60.0
    made = [p for p in world.erp_all("Project") if p["Name"] == "Tapt prosjekt"]
    assert len(made) == 1  # Unimicro made it; Tidsbro does not know yet

    world.pull("project", full=True)  # the hourly poll comes first
    assert Project.objects.filter(name="Tapt prosjekt").count() == 1
    world.push()  # the retry finds it
    assert world.binding("project", local_id=project.pk).external_id == str(made[0]["ID"])
    assert Project.objects.filter(name="Tapt prosjekt").count() == 1
    assert [p for p in world.erp_all("Project") if p["Name"] == "Tapt prosjekt"] == made
    project.refresh_from_db()
    assert project.number == int(made[0]["ProjectNumber"])
