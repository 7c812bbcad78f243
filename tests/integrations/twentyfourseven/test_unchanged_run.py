"""What a second `integrations_sync` run costs when nothing changed, per object type, against
the sandbox over real HTTP: the acceptance line "at most one request per object type", tasks
excepted (24SO cannot say which changed: each run reads a share of the projects' tasks)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import User
from apps.integrations.connectors.twentyfourseven.pull import (
    incremental_task_runs,
    rotation_share,
    task_settings,
)
from apps.integrations.models import Binding, Connection, SyncRun
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.tasks.models import Task
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = 2400101


@pytest.fixture
def connection(live_server, settings) -> Connection:
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        connected=["customer", "work_type", "project", "task", "user", "participant"],
        masters={"customer": "erp", "work_type": "erp"},
    )


def sync() -> dict[str, SyncRun]:
    """`manage.py integrations_sync` for every connected type; its runs by object type."""
    before = set(SyncRun.objects.values_list("pk", flat=True))
    call_command("integrations_sync", stdout=StringIO())
    runs = SyncRun.objects.exclude(pk__in=before)
    assert all(r.status == SyncRun.Status.SUCCEEDED for r in runs), [
        (r.entity, r.error_text) for r in runs
    ]
    return {r.entity: r for r in runs}


def next_share(connection: Connection) -> list[str]:
    """The projects the next incremental task run reads by rotation (pull.py)."""
    bound = sorted(
        Binding.objects.filter(connection=connection, entity="project").values_list(
            "external_id", flat=True
        ),
        key=int,
    )
    _days, hours, per_run = task_settings()
    run = incremental_task_runs(connection)
    return rotation_share(bound, run=run, hours=hours, per_run=per_run)


def test_an_unchanged_run_asks_24so_once_per_object_type(connection: Connection):
    # Tidsbro users for two 24SO users (linked by e-mail): their memberships are pulled.
    client = so.Client.objects.get(client_id=CLIENT_ID)
    for person in so.Person.objects.filter(client=client, contact_id__in=[2, 3]):
        User.objects.create_user(email=person.email)
    first = sync()
    assert first["task"].created >= 20 and first["project"].created == 30
    assert first["participant"].created >= 1
    bindings = list(Binding.objects.order_by("pk").values_list("pk", "synced_at", "state"))
    assert {e for e, *_rest in Binding.objects.values_list("entity")} >= {"user", "participant"}
    share = next_share(connection)

    again = sync()

    requests = {entity: run.requests for entity, run in again.items()}
    # Projects: 24SO lists active and deactivated projects in two operations and no
    # ProjectSearch criterion returns both. Tasks: GetProjectList, then GetProjectTasks for
    # this run's share of the rotation through every project (see pull.py).
    assert requests == {
        "customer": 1,
        "work_type": 1,
        "project": 2,
        "task": 1 + len(share),
        "user": 1,
        "participant": 1,
    }
    for entity, run in again.items():
        assert (run.created, run.updated, run.conflicts) == (0, 0, 0), entity
    # No writes: not one binding (of any type) touched.
    assert list(Binding.objects.order_by("pk").values_list("pk", "synced_at", "state")) == bindings

    # integrations_status shows the hour budget every run drew on (logins included).
    status = StringIO()
    call_command("integrations_status", stdout=status)
    used = sum(SyncRun.objects.values_list("requests", flat=True))
    assert f"24SevenOffice requests in the last hour: {used} of 6840" in status.getvalue()
    assert "hour transfer: 0 done, 0 waiting (0 being checked), 0 failed" in status.getvalue()


def test_an_incremental_task_run_reads_only_the_projects_24so_changed(
    connection: Connection,
):
    sync()
    client = so.Client.objects.get(client_id=CLIENT_ID)
    task = so.Task.objects.filter(client=client).select_related("project").first()
    so.Task.objects.filter(pk=task.pk).update(name="Omdøpt oppgave")
    so.Project.objects.filter(pk=task.project.pk).update(date_changed=timezone.now())
    share = {*next_share(connection), str(task.project.project_id)}

    again = sync()

    # GetProjectList(ChangedAfter), the changed project's GetProjectTasks and the rotation's.
    assert (again["task"].requests, again["task"].updated) == (1 + len(share), 1)
    assert Task.objects.get(name="Omdøpt oppgave").project.number == task.project.project_id
