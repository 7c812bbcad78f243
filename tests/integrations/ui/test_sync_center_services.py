"""The partner services against the 24SO sandbox over real HTTP: link, no sync and undo,
stop sync, create the partner in either system, and resolving a conflict so that both
systems end equal."""

from __future__ import annotations

import pytest

from apps.core.exceptions import ApplicationError
from apps.core.hooks import sync_writes
from apps.integrations import partners
from apps.integrations.models import Binding, Conflict, OutboxItem
from apps.integrations.registry import adapter_for
from apps.integrations.sync.engine import apply_page
from apps.integrations.sync.types import RunStats
from apps.projects.models import Project
from apps.projects.services import project_update
from apps.sandbox.twentyfourseven.models import Project as SandboxProject
from tests.integrations.twentyfourseven.test_push_world import World, drain, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)
FIELDS = ("name", "description", "status", "number", "customer")


def settle(world: World, project: Project, connector) -> Binding:
    """Makes the local project and its binding agree with 24SO, as a pull would leave them."""
    binding = Binding.objects.get(
        connection=world.connection, entity="project", local_id=project.pk
    )
    record = connector.fetch_one("project", binding.external_id)
    with sync_writes():
        adapter_for("project").update_many(world.connection, [(project, dict(record.values))])
    Binding.objects.filter(pk=binding.pk).update(
        snapshot=record.values, remote_values=record.values
    )
    binding.refresh_from_db()
    return binding


def both_sides(world: World, project: Project, connector) -> tuple[dict, dict]:
    project.refresh_from_db()
    local = adapter_for("project").values(world.connection, [project])[project.pk]
    binding = Binding.objects.get(
        connection=world.connection, entity="project", local_id=project.pk
    )
    remote = connector.fetch_one("project", binding.external_id).values
    return {f: local[f] for f in FIELDS}, {f: remote[f] for f in FIELDS}


def test_a_conflict_resolved_field_by_field_leaves_both_systems_equal(
    world: World, no_kick: None
) -> None:
    connector = world.connector()
    binding = settle(world, world.project, connector)
    # Both sides change the name and the description differently since the last sync.
    SandboxProject.objects.filter(pk=world.erp_project.pk).update(
        name="Name from 24SO", description="Text from 24SO"
    )
    project_update(
        project=world.project, data={"name": "Name from Tidsbro", "description": "Tidsbro text"}
    )
    apply_page(
        world.connection,
        adapter_for("project"),
        [connector.fetch_one("project", binding.external_id)],
        RunStats(),
    )
    binding.refresh_from_db()
    assert binding.state == Binding.State.CONFLICT
    assert set(binding.conflicts.values_list("field", flat=True)) == {"name", "description"}

    partners.conflict_resolve(
        binding=binding,
        choices={
            "name": (partners.REMOTE, ""),
            "description": (partners.MERGED, "Tidsbro text + 24SO text"),
        },
        actor=world.admin,
    )
    drain(world, connector)

    local, remote = both_sides(world, world.project, connector)
    assert local == remote
    assert (local["name"], local["description"]) == ("Name from 24SO", "Tidsbro text + 24SO text")
    resolved = {c.field: c for c in Conflict.objects.filter(binding=binding)}
    assert resolved["name"].resolution == Conflict.Resolution.KEPT_REMOTE
    assert resolved["description"].resolution == Conflict.Resolution.MERGED
    assert resolved["description"].resolved_by == world.admin
    binding.refresh_from_db()
    assert binding.state == Binding.State.LINKED
    assert {f: binding.snapshot[f] for f in FIELDS} == remote


def test_a_project_only_here_is_created_in_24so_and_gets_its_number(world: World) -> None:
    # Made before the connection existed: no binding, nothing queued.
    here = Project.objects.create(name="Made before connecting", customer=world.customer)
    assert (
        partners.create_partner_remote(
            connection=world.connection, entity="project", local_ids=[here.pk], actor=world.admin
        )
        == 1
    )

    here.refresh_from_db()  # pushed at once (the queue runs inline in tests)
    assert here.number is not None
    assert (
        SandboxProject.objects.get(client=world.erp_project.client, project_id=here.number).name
        == "Made before connecting"
    )
    binding = Binding.objects.get(connection=world.connection, entity="project", local_id=here.pk)
    assert (binding.external_id, binding.state) == (str(here.number), Binding.State.LINKED)


def test_work_types_cannot_be_created_in_24so_and_nothing_is_queued(world: World) -> None:
    from apps.worktypes.models import WorkType

    local = WorkType.objects.create(name="Reisetid")
    with pytest.raises(ApplicationError, match="cannot create or change work types"):
        partners.create_partner_remote(
            connection=world.connection, entity="work_type", local_ids=[local.pk]
        )
    assert not OutboxItem.objects.filter(entity="work_type").exists()


def test_stop_sync_then_create_here_refuses_a_duplicate_number_and_changes_nothing(
    world: World, no_kick: None
) -> None:
    binding = Binding.objects.get(
        connection=world.connection, entity="project", local_id=world.project.pk
    )
    binding.remote_values = world.connector().fetch_one("project", binding.external_id).values
    binding.save()
    partners.binding_unlink(binding=binding, actor=world.admin)
    binding.refresh_from_db()
    # Both kept out of the sync: the next pull imports nothing, the next edit creates
    # nothing in 24SO.
    assert (binding.local_id, binding.state) == (None, Binding.State.EXCLUDED)
    mark = Binding.objects.get(
        connection=world.connection, entity="project", local_id=world.project.pk
    )
    assert mark.state == Binding.State.EXCLUDED
    projects = Project.objects.count()

    with pytest.raises(ApplicationError, match="already used"):
        partners.create_partner_local(
            connection=world.connection, entity="project", bindings=[binding], actor=world.admin
        )
    assert Project.objects.count() == projects
    binding.refresh_from_db()
    assert binding.local_id is None

    # Linked again later, picked from the suggestions: the pair syncs again.
    [best, *_rest] = partners.candidates_for_local(
        connection=world.connection, entity="project", obj=world.project
    )
    assert (best.key, best.reason) == (binding.external_id, "same number")
    partners.binding_link(
        connection=world.connection,
        entity="project",
        local_id=world.project.pk,
        external_id=binding.external_id,
        actor=world.admin,
    )
    binding.refresh_from_db()
    assert binding.local_id == world.project.pk
    assert binding.state in (Binding.State.LINKED, Binding.State.CONFLICT)
    assert not Binding.objects.filter(
        entity="project", local_id=world.project.pk, external_id=""
    ).exists()


def test_a_project_only_in_24so_is_created_here_with_its_number(world: World) -> None:
    erp = (
        SandboxProject.objects.filter(client=world.erp_project.client)
        .exclude(project_id__in=[world.erp_project.project_id, world.erp_rights_project.project_id])
        .order_by("project_id")
        .first()
    )
    record = world.connector().fetch_one("project", str(erp.project_id))
    binding = Binding.objects.create(
        connection=world.connection,
        entity="project",
        external_id=record.external_id,
        state=Binding.State.REMOTE_ONLY,
        remote_values=record.values,
    )

    [created] = partners.create_partner_local(
        connection=world.connection, entity="project", bindings=[binding], actor=world.admin
    )

    assert (created.name, created.number) == (erp.name, erp.project_id)
    binding.refresh_from_db()
    assert (binding.local_id, binding.state) == (created.pk, Binding.State.LINKED)
    assert not OutboxItem.objects.filter(entity="project", local_id=created.pk).exists()


def test_link_takes_24sos_number_and_turns_other_differences_into_conflicts(
    world: World, no_kick: None
) -> None:
    erp = (
        SandboxProject.objects.filter(client=world.erp_project.client)
        .exclude(project_id__in=[world.erp_project.project_id, world.erp_rights_project.project_id])
        .order_by("project_id")
        .first()
    )
    here = Project.objects.create(
        name=erp.name, description="Written here", customer=world.customer
    )
    # Not known locally yet: the link asks 24SO for the record (one request).
    binding = partners.binding_link(
        connection=world.connection,
        entity="project",
        local_id=here.pk,
        external_id=str(erp.project_id),
        actor=world.admin,
    )
    here.refresh_from_db()
    assert here.number == erp.project_id  # the ERP assigns numbers: taken, not a conflict
    fields = set(binding.conflicts.filter(resolved_at__isnull=True).values_list("field", flat=True))
    assert "description" in fields and "name" not in fields and "number" not in fields
    assert binding.state == Binding.State.CONFLICT


def test_no_sync_keeps_a_linked_project_out_of_pushes_and_undo_checks_it_again(
    world: World, no_kick: None
) -> None:
    connector = world.connector()
    binding = settle(world, world.project, connector)
    partners.binding_exclude(
        connection=world.connection, entity="project", binding_ids=[binding.pk], actor=world.admin
    )
    project_update(project=world.project, data={"name": "Changed while excluded"})
    drain(world, connector)
    erp = SandboxProject.objects.get(pk=world.erp_project.pk)
    assert erp.name != "Changed while excluded"

    binding.refresh_from_db()
    assert partners.binding_include(connection=world.connection, bindings=[binding]) == 1
    drain(world, connector)
    erp.refresh_from_db()
    assert erp.name == "Changed while excluded"


def test_wrong_links_are_refused_with_a_reason(world: World) -> None:
    other = Binding.objects.get(
        connection=world.connection, entity="project", local_id=world.rights_project.pk
    )
    here = Project.objects.create(name="Loose", customer=world.customer)
    with pytest.raises(ApplicationError, match="already linked to another"):
        partners.binding_link(
            connection=world.connection,
            entity="project",
            local_id=here.pk,
            external_id=other.external_id,
        )
    with pytest.raises(ApplicationError, match="has no record"):
        partners.binding_link(
            connection=world.connection, entity="project", local_id=here.pk, external_id="999999"
        )
    assert not Binding.objects.filter(entity="project", local_id=here.pk).exists()
