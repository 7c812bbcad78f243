"""User mapping and the first-time setup against the 24SO sandbox over real HTTP."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from apps.accounts.models import User
from apps.integrations.models import Binding, Connection, SyncRun
from apps.integrations.setup import (
    first_time_setup,
    initial_import,
    map_user,
    name_score,
    suggest_user_mappings,
    sync_users,
    unmap_user,
)
from apps.integrations.sync.engine import sync_entity
from apps.projects.models import Project, ProjectMember, ProjectRole
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.tasks.models import Task
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = 2400101


@pytest.fixture
def sandbox(live_server: LiveServer, settings) -> so.Client:
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return so.Client.objects.get(client_id=CLIENT_ID)


@pytest.fixture
def connection(sandbox: so.Client) -> Connection:
    return connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        connected=["customer", "project", "work_type", "task"],
        masters={"customer": "erp", "work_type": "erp"},
    )


def person(sandbox: so.Client, contact_id: int) -> so.Person:
    return so.Person.objects.get(client=sandbox, contact_id=contact_id)


def pull(connection: Connection, *entities: str) -> None:
    for entity in entities:
        run = sync_entity(connection=connection, entity=entity, trigger="manual")
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text


def user_binding(connection: Connection, contact_id: int) -> Binding:
    return Binding.objects.get(connection=connection, entity="user", external_id=str(contact_id))


# USERS
# ------------------------------------------------------------------------------
def test_users_are_linked_by_email_and_never_created(connection: Connection, sandbox: so.Client):
    kari = person(sandbox, 2)
    so.Person.objects.filter(pk=kari.pk).update(email=kari.email.upper())
    local = User.objects.create_user(
        email=kari.email.lower(), first_name="Someone", last_name="Else"
    )
    users_before = User.objects.count()

    run = sync_users(connection=connection)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert User.objects.count() == users_before
    sandbox_users = so.Person.objects.filter(client=sandbox, user_guid__isnull=False)
    bindings = Binding.objects.filter(connection=connection, entity="user")
    assert bindings.count() == sandbox_users.count()
    linked = user_binding(connection, 2)
    assert (linked.local_id, linked.state) == (local.pk, Binding.State.LINKED)
    others = bindings.exclude(pk=linked.pk)
    assert set(others.values_list("state", flat=True)) == {Binding.State.REMOTE_ONLY}
    assert not others.filter(local_id__isnull=False).exists()
    # Their 24SO values are kept for mapping by hand.
    third = user_binding(connection, 3)
    assert third.remote_values["name"] == person(sandbox, 3).name
    assert third.remote_values["email"] == person(sandbox, 3).email.lower()

    again = sync_users(connection=connection)
    assert (again.created, again.updated) == (0, 0)
    assert user_binding(connection, 2).local_id == local.pk


def test_a_user_created_later_with_the_same_email_is_linked_on_the_next_fetch(
    connection: Connection, sandbox: so.Client
):
    # As the scheduler runs it: the engine alone.
    pull(connection, "user")
    assert user_binding(connection, 4).state == Binding.State.REMOTE_ONLY
    later = User.objects.create_user(email=person(sandbox, 4).email)

    pull(connection, "user")

    assert user_binding(connection, 4).local_id == later.pk
    assert user_binding(connection, 4).state == Binding.State.LINKED


def test_an_incremental_user_pull_reads_only_employees_changed_in_24so(
    connection: Connection, sandbox: so.Client
):
    pull(connection, "user")  # the first pull reads every user
    bindings = dict(
        Binding.objects.filter(entity="user").values_list("external_id", "remote_values")
    )

    def again() -> SyncRun:
        run = sync_entity(connection=connection, entity="user", trigger="manual")
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
        return run

    # Nothing changed: one GetPersons(ChangedAfter), no GetUsers, nothing read.
    unchanged = again()
    assert (unchanged.requests, unchanged.fetched) == (1, 0)

    # An employee's address changed in 24SO, and a new employee got a login.
    now = timezone.now()
    kari = person(sandbox, 3)
    so.Person.objects.filter(pk=kari.pk).update(email="kari.ny@fjordlys.no", date_changed=now)
    so.Person.objects.create(
        client=sandbox,
        contact_id=990,
        first_name="Nina",
        last_name="Nyansatt",
        email="nina@fjordlys.no",
        employee_id=990,
        user_guid=uuid.uuid4(),
        date_registered=now,
        date_changed=now,
    )

    changed = again()

    # GetPersons(ChangedAfter) and, because employees changed, GetUsers: the two are read.
    assert (changed.requests, changed.fetched) == (2, 2)
    assert user_binding(connection, 3).remote_values["email"] == "kari.ny@fjordlys.no"
    nina = user_binding(connection, 990)
    assert (nina.remote_values["name"], nina.state) == ("Nina Nyansatt", Binding.State.REMOTE_ONLY)
    untouched = {k: v for k, v in bindings.items() if k != "3"}
    assert {
        k: v
        for k, v in Binding.objects.filter(
            entity="user", external_id__in=list(untouched)
        ).values_list("external_id", "remote_values")
    } == untouched


def test_suggestions_by_email_and_by_similar_name(connection: Connection, sandbox: so.Client):
    sync_users(connection=connection)
    namesake_person = person(sandbox, 3)
    namesake = User.objects.create_user(
        email="private@example.com",
        first_name=namesake_person.first_name.upper(),
        last_name=namesake_person.last_name,
    )
    same_email = User.objects.create_user(email=person(sandbox, 5).email, first_name="Annen")
    User.objects.create_user(email="nobody@example.com", first_name="Zyx", last_name="Qwv")

    suggestions = {s.user: s for s in suggest_user_mappings(connection)}

    assert set(suggestions) == {namesake, same_email}
    by_name = suggestions[namesake]
    assert (by_name.external_id, by_name.reason) == ("3", "same name")
    assert by_name.score >= 0.8
    by_email = suggestions[same_email]
    assert (by_email.external_id, by_email.reason, by_email.score) == ("5", "same e-mail", 1.0)
    # Best first.
    assert list(suggest_user_mappings(connection))[0].user == same_email


def test_mapping_and_unmapping_a_user(connection: Connection, sandbox: so.Client):
    sync_users(connection=connection)
    user = User.objects.create_user(email="someone@example.com")

    map_user(connection, user, "6")
    assert user_binding(connection, 6).local_id == user.pk
    assert not any(s.user == user for s in suggest_user_mappings(connection))

    map_user(connection, user, "7")  # moved: the old one is free again
    assert user_binding(connection, 6).local_id is None
    assert user_binding(connection, 6).state == Binding.State.REMOTE_ONLY
    assert user_binding(connection, 7).local_id == user.pk

    unmap_user(connection, user)
    assert user_binding(connection, 7).local_id is None
    assert user_binding(connection, 7).state == Binding.State.REMOTE_ONLY


def test_names_compare_without_case_accents_or_order():
    assert name_score("Kari Hansen", "hansen kari") == 1.0
    assert name_score("Bjørn Ås", "Bjorn As") == 1.0
    assert name_score("Kari Hansen", "Ola Nordmann") < 0.5
    assert name_score("", "Kari") == 0.0


# FIRST-TIME SETUP
# ------------------------------------------------------------------------------
def test_first_time_setup_makes_mapped_users_members_with_their_roles(
    connection: Connection, sandbox: so.Client
):
    pull(connection, "customer", "work_type", "project")
    participations = so.ProjectParticipant.objects.filter(
        project__client=sandbox,
        state__in=[so.ProjectParticipant.PARTICIPATING, so.ProjectParticipant.INITIATER],
    ).select_related("person", "role", "project")
    contacts = sorted({p.person.contact_id for p in participations})
    mapped_contacts = contacts[:3]
    users = {
        c: User.objects.create_user(email=person(sandbox, c).email.upper()) for c in mapped_contacts
    }
    sync_users(connection=connection)

    report = first_time_setup(connection)

    expected = {
        (p.project.project_id, users[p.person.contact_id].pk, p.role.name if p.role else None)
        for p in participations
        if p.person.contact_id in users
    }
    got = {
        (m.project.number, m.user_id, m.role.name if m.role else None)
        for m in ProjectMember.objects.select_related("project", "role")
    }
    assert got == expected
    assert report.memberships == len(expected)
    assert set(ProjectRole.objects.values_list("name", flat=True)) >= set(
        so.ProjectRole.objects.filter(client=sandbox).values_list("name", flat=True)
    )
    unmapped = {contact for contact, _name, _count in report.unmapped}
    assert unmapped == {str(c) for c in set(contacts) - set(mapped_contacts)}
    assert all(count >= 1 for _c, _n, count in report.unmapped)
    # Nobody was created for the unmapped ones.
    assert User.objects.count() == len(users)

    # Run again: nothing new, nothing duplicated.
    second = first_time_setup(connection)
    assert second.memberships == 0
    assert ProjectMember.objects.count() == len(expected)


def test_tasks_come_with_their_mapped_assignees(connection: Connection, sandbox: so.Client):
    pull(connection, "customer", "work_type", "project")
    task = (
        so.Task.objects.filter(client=sandbox)
        .prefetch_related("participants")
        .select_related("project")
        .first()
    )
    assigned = sorted(task.participants.all(), key=lambda p: p.contact_id)
    mapped = User.objects.create_user(email=assigned[0].email)
    sync_users(connection=connection)

    pull(connection, "task")

    local = Task.objects.get(project__number=task.project.project_id, name=task.name)
    assert list(local.assignees.all()) == [mapped]
    assert ProjectMember.objects.filter(project=local.project, user=mapped).exists()
    # The unmapped assignees are kept in the canonical values (never pushed away).
    binding = Binding.objects.get(connection=connection, entity="task", local_id=local.pk)
    assert binding.snapshot["assignees"] == sorted((str(p.contact_id) for p in assigned), key=int)
    from apps.integrations.registry import adapter_for

    values = adapter_for("task").values(connection, [local])[local.pk]
    assert values["assignees"] == binding.snapshot["assignees"]

    again = sync_entity(connection=connection, entity="task", trigger="manual")
    assert (again.created, again.updated, again.conflicts) == (0, 0, 0)


def test_initial_import_pulls_everything_in_order(connection: Connection, sandbox: so.Client):
    member = (
        so.ProjectParticipant.objects.filter(
            project__client=sandbox, state=so.ProjectParticipant.PARTICIPATING
        )
        .select_related("person")
        .first()
        .person
    )
    User.objects.create_user(email=member.email)

    report = initial_import(connection)

    assert all(r.status == SyncRun.Status.SUCCEEDED for r in report.runs), [
        (r.entity, r.error_text) for r in report.runs
    ]
    # The entity registry's sync order: what others point at comes first.
    assert [r.entity for r in report.runs] == [
        "user",
        "customer",
        "work_type",
        "project",
        "participant",
        "task",
    ]
    assert Project.objects.count() == so.Project.objects.filter(client=sandbox).count()
    assert Task.objects.count() == so.Task.objects.filter(client=sandbox).count()
    assert ProjectMember.objects.filter(user__email=member.email.lower()).exists()


def test_participant_changes_in_24so_follow_hourly(connection: Connection, sandbox: so.Client):
    from django.utils import timezone

    pull(connection, "customer", "work_type", "project")
    membership = (
        so.ProjectParticipant.objects.filter(
            project__client=sandbox,
            state=so.ProjectParticipant.PARTICIPATING,
            role__role_id=2,
        )
        .select_related("person", "project")
        .first()
    )
    user = User.objects.create_user(email=membership.person.email)
    sync_users(connection=connection)
    first_time_setup(connection)
    local = ProjectMember.objects.get(user=user, project__number=membership.project.project_id)
    assert local.role.name == "Deltaker"

    observer = so.ProjectRole.objects.get(client=sandbox, role_id=3)
    so.ProjectParticipant.objects.filter(pk=membership.pk).update(
        role=observer, date_changed=timezone.now()
    )
    pull(connection, "participant")
    local.refresh_from_db()
    assert local.role.name == "Observatør"

    so.ProjectParticipant.objects.filter(pk=membership.pk).update(
        state=so.ProjectParticipant.REMOVED, date_changed=timezone.now()
    )
    pull(connection, "participant")
    assert not ProjectMember.objects.filter(pk=local.pk).exists()
