"""Tasks edited in 24SO arrive without the daily full sync, against the sandbox over real HTTP.

24SO has no "changed after" for tasks and a task edit does not move its project's DateChanged:
an incremental run reads the tasks of the recently active projects every time and rotates
through the others (pull.py `_task_projects`).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.integrations.connectors.twentyfourseven.pull import (
    incremental_task_runs,
    rotation_share,
    task_settings,
)
from apps.integrations.models import Binding, Connection, SyncRun
from apps.integrations.sync import engine
from apps.projects.models import Project
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.tasks.models import Task
from tests.integrations.factories import connection_24so
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = 2400101
PROJECT_ID = re.compile(r"projectId>(\d+)<")


@pytest.fixture
def connection(live_server, settings) -> Connection:
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    connection = connection_24so(
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        connected=["customer", "work_type", "project", "task"],
        masters={"customer": "erp", "work_type": "erp"},
    )
    for entity in ("customer", "work_type", "project", "task"):
        run = engine.sync_entity(connection=connection, entity=entity, trigger="manual", full=True)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    return connection


def hourly(connection: Connection) -> tuple[SyncRun, list[str]]:
    """The hourly incremental task pull; the projects whose tasks it read from 24SO."""
    mark = so.RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    run = engine.sync_entity(connection=connection, entity="task", trigger="schedule")
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    bodies = so.RequestLog.objects.filter(pk__gt=mark, operation="GetProjectTasks").values_list(
        "request_body", flat=True
    )
    return run, [PROJECT_ID.search(body).group(1) for body in bodies]


def bound_projects(connection: Connection) -> list[str]:
    return sorted(
        Binding.objects.filter(connection=connection, entity="project").values_list(
            "external_id", flat=True
        ),
        key=int,
    )


def rename_in_24so(project_id: str, name: str) -> so.Task:
    """A task renamed by another 24SO client: its project's DateChanged stays as it was."""
    task = so.Task.objects.filter(
        client__client_id=CLIENT_ID, project__project_id=int(project_id)
    ).first()
    assert task is not None, f"project {project_id} has no task in the sandbox"
    so.Task.objects.filter(pk=task.pk).update(name=name)
    return task


def with_tasks(project_ids: list[str]) -> list[str]:
    have = set(
        str(i)
        for i in so.Task.objects.filter(client__client_id=CLIENT_ID).values_list(
            "project__project_id", flat=True
        )
    )
    return [p for p in project_ids if p in have]


def test_a_task_edited_in_24so_on_an_active_project_arrives_with_the_next_hourly_run(
    connection: Connection,
):
    bound = bound_projects(connection)
    _days, hours, per_run = task_settings()
    # A project outside the next run's share of the rotation, with hours registered today.
    runs = incremental_task_runs(connection)
    next_share = rotation_share(bound, run=runs, hours=hours, per_run=per_run)
    busy = with_tasks([p for p in bound if p not in next_share])[0]
    project = Project.objects.get(number=int(busy))
    TimeEntryFactory(project=project, date=timezone.localdate(), hours=Decimal("2.00"))
    task = rename_in_24so(busy, "Endret i 24SO")

    run, read = hourly(connection)

    assert Task.objects.get(name="Endret i 24SO").project == project
    assert run.updated == 1
    # GetProjectList, then the active project and this run's share: nothing else.
    assert sorted(read, key=int) == sorted({busy, *next_share}, key=int)
    assert run.requests == 1 + len(read)
    assert so.Task.objects.get(pk=task.pk).project.project_id == int(busy)


def test_the_rotation_reads_every_projects_tasks_within_its_hours(connection: Connection):
    bound = bound_projects(connection)
    _days, hours, _per_run = task_settings()
    # Nobody works on these projects (no hours, 24SO changed none of them for a month).
    quiet = with_tasks(bound)[-1]
    rename_in_24so(quiet, "Endret i 24SO, stille prosjekt")

    reads = [hourly(connection)[1] for _run in range(hours)]

    every = [p for read in reads for p in read]
    assert sorted(every, key=int) == bound  # each project once over the rotation's runs
    assert max(len(read) for read in reads) < len(bound)  # a share each, never all at once
    assert Task.objects.filter(name="Endret i 24SO, stille prosjekt").exists()
    # The next run starts the rotation again.
    assert sorted(hourly(connection)[1], key=int) == sorted(reads[0], key=int)
