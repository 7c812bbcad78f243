"""manage.py sandbox_24so_seed / sandbox_24so_reset."""

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from apps.sandbox.twentyfourseven.models import (
    Application,
    Client,
    Company,
    Hour,
    Identity,
    Login,
    Person,
    Project,
    ProjectParticipant,
    ProjectRole,
    ProjectStatus,
    Task,
    WorkType,
)
from apps.sandbox.twentyfourseven.seed import APPLICATION_ID

pytestmark = pytest.mark.django_db


def _counts():
    return {
        m.__name__: m.objects.count()
        for m in (Client, Person, Company, Project, Task, Hour, Identity, ProjectParticipant)
    }


def test_seed_builds_the_demo_world_and_is_idempotent():
    call_command("sandbox_24so_seed", stdout=None)
    first = _counts()
    call_command("sandbox_24so_seed")
    assert _counts() == first
    login = Login.objects.get()
    assert login.username == "demo@tidsbro.no"
    assert check_password("tidsbro-demo", login.password)
    assert Application.objects.get().application_id == APPLICATION_ID
    assert first["Client"] == 2 and first["Identity"] == 2
    demo = Client.objects.get(client_id=2400101)
    assert demo.persons.filter(is_employee=True, employee_id__isnull=False).count() == 20
    assert demo.persons.filter(first_name="API").count() == 1
    assert demo.companies.count() == 40
    projects = demo.projects.all()
    assert projects.count() == 30
    assert projects.filter(status__active=False).exists()
    assert projects.filter(version=Project.RIGHTS_MANAGED).exists()
    assert projects.filter(version=Project.OPEN).exists()
    assert Task.objects.filter(client=demo).exists()
    assert Task.objects.filter(client=demo, participants__isnull=False).exists()
    assert WorkType.objects.filter(client=demo).count() == 6
    assert ProjectStatus.objects.filter(client=demo).count() == 4
    assert ProjectRole.objects.filter(client=demo).count() == 3
    assert Hour.objects.filter(client=demo).count() > 20
    assert ProjectParticipant.objects.filter(project__client=demo, role__isnull=False).exists()


def test_hours_on_rights_managed_projects_are_by_participants():
    call_command("sandbox_24so_seed")
    for hour in Hour.objects.all():
        project = Project.objects.get(client=hour.client, project_id=hour.project_id)
        if project.version == Project.RIGHTS_MANAGED:
            assert project.participants.filter(person__contact_id=hour.contact_id).exists()


def test_reset_empties_the_sandbox():
    call_command("sandbox_24so_seed")
    call_command("sandbox_24so_reset")
    assert all(n == 0 for n in _counts().values())
    assert not Login.objects.exists()
