"""An approved hour on a project only in Tidsbro (Unimicro over real HTTP, hours sent on
approval): the project is created in Unimicro first and the hour follows as soon as the project
is there, in the pushes the approval kicks, as a worker runs them; nothing waits for the
15-minute recheck."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.integrations.models import Binding, OutboxItem
from apps.projects.models import Project, ProjectMember
from apps.sandbox.unimicro import store as erp_store
from tests.integrations.unimicro.conftest import COMPANY_1
from tests.integrations.unimicro.test_hours_world import HoursWorld, erp_items, hours_world

__all__ = ["hours_world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_hour_on_a_project_only_in_tidsbro_goes_as_soon_as_its_project_is_in_unimicro(
    hours_world: HoursWorld,
) -> None:
    world = hours_world
    project = Project.objects.create(
        name="Fjordlys – kundeportal",
        number=7012,
        customer=world.customer,
        default_work_type=world.work_type,
        needs_approval=False,
    )
    ProjectMember.objects.create(project=project, user=world.mapped)
    before = timezone.now()
    entry = world.register(hours="1.50", description="Oppstart")
    entry.project = project
    entry.save(update_fields=["project"])

    # Approval queues the hour and kicks a push, run here as the worker runs it (no clock moved).
    world.approve(entry)

    binding = Binding.objects.get(
        connection=world.connection, entity="project", local_id=project.pk
    )
    erp_project = erp_store.read(COMPANY_1, "Project", int(binding.external_id))
    assert erp_project["Name"] == "Fjordlys – kundeportal"
    [item] = erp_items(entry)
    assert item["Dimensions"]["ProjectID"] == erp_project["ID"]
    assert item["Minutes"] == 90
    hour = world.outbox(entry)
    assert (hour.status, hour.last_error) == (OutboxItem.Status.DONE, "")
    assert hour.next_attempt_at < before + timezone.timedelta(minutes=1)
