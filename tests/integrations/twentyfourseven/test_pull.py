"""24SO pull flows end to end: the sync engine, the connector, the adapters and the sandbox
over real HTTP (live_server), as in production."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import connection as db
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from apps.customers.models import Customer
from apps.integrations.models import Binding, Connection, SyncRun
from apps.integrations.sync.engine import sync_entity
from apps.projects.models import Project
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.tasks.models import Task
from apps.worktypes.models import WorkType
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db(transaction=True)

CLIENT_ID = 2400101  # Fjordlys Rådgivning AS, the demo login's default client


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


def pull(connection: Connection, entity: str, **kwargs) -> SyncRun:
    run = sync_entity(connection=connection, entity=entity, trigger="manual", **kwargs)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    return run


@contextmanager
def queries_of_this_thread() -> Iterator[list[str]]:
    """SQL run by the test's thread only (the live server's sandbox runs in another)."""
    me = threading.get_ident()
    seen: list[str] = []

    def wrapper(execute: Callable, sql: str, params, many, context):
        if threading.get_ident() == me:
            seen.append(sql)
        return execute(sql, params, many, context)

    with db.execute_wrapper(wrapper):
        yield seen


# FIRST SYNC
# ------------------------------------------------------------------------------
def test_first_sync_imports_the_whole_client(connection: Connection, sandbox: so.Client):
    customers = pull(connection, "customer")
    work_types = pull(connection, "work_type")
    projects = pull(connection, "project")
    tasks = pull(connection, "task")

    active_companies = so.Company.objects.filter(client=sandbox, active=True)
    assert Customer.objects.count() == active_companies.count() == customers.created
    assert set(Customer.objects.values_list("number", flat=True)) == {
        str(c) for c in active_companies.values_list("company_id", flat=True)
    }
    assert all(c.erp_owned and c.erp_system == "24SevenOffice" for c in Customer.objects.all())
    # Deleted ones are read and skipped: nothing to import.
    assert customers.fetched == so.Company.objects.filter(client=sandbox).count()

    assert WorkType.objects.count() == so.WorkType.objects.filter(client=sandbox).count()
    assert work_types.created == WorkType.objects.count()
    assert set(WorkType.objects.filter(is_active=False).values_list("name", flat=True)) == set(
        so.WorkType.objects.filter(client=sandbox, active=False).values_list("name", flat=True)
    )

    sandbox_projects = so.Project.objects.filter(client=sandbox).select_related("status")
    assert Project.objects.count() == sandbox_projects.count() == projects.created
    for remote in sandbox_projects:
        local = Project.objects.get(number=remote.project_id)
        assert local.name == remote.name
        assert local.status == ("active" if remote.is_active else "archived")
        assert local.customer.number == str(remote.customer_id)
        assert local.needs_approval == (remote.need_approval == "True")
        assert local.start_date == timezone.localtime(remote.date_start).date()
        assert local.end_date == timezone.localtime(remote.date_stop).date()

    assert Task.objects.count() == so.Task.objects.filter(client=sandbox).count() == tasks.created
    remote_task = so.Task.objects.filter(client=sandbox).select_related("project").first()
    local_task = Task.objects.get(
        name=remote_task.name, project__number=remote_task.project.project_id
    )
    assert local_task.estimate_hours == remote_task.estimate
    assert Binding.objects.filter(connection=connection, entity="task").count() == tasks.created


def test_a_second_run_without_changes_writes_nothing_and_asks_little(connection: Connection):
    for entity in ("customer", "work_type", "project"):
        pull(connection, entity)
    stamps = {
        model: dict(model.objects.values_list("pk", "updated_at"))
        for model in (Customer, Project, WorkType)
    }
    bindings = dict(Binding.objects.values_list("pk", "synced_at"))

    again = {entity: pull(connection, entity) for entity in ("customer", "work_type", "project")}

    for entity, run in again.items():
        assert (run.created, run.updated, run.conflicts, run.errors) == (0, 0, 0, 0), entity
    # One GetCompanySyncList; one GetWorkTypeList(Active=True); projects need two lists
    # (24SO has no single operation for active and deactivated projects). No Login: the
    # session of the first run is reused.
    assert again["customer"].requests == 1
    assert again["work_type"].requests == 1
    assert again["project"].requests == 2
    for model, before in stamps.items():
        assert dict(model.objects.values_list("pk", "updated_at")) == before
    assert dict(Binding.objects.values_list("pk", "synced_at")) == bindings


# INCREMENTAL CHANGES
# ------------------------------------------------------------------------------
def test_a_company_renamed_in_24so_is_renamed_here(connection: Connection, sandbox: so.Client):
    pull(connection, "customer")
    so.Company.objects.filter(client=sandbox, company_id=10001).update(
        name="Havbris Nytt Navn AS", date_changed=timezone.now()
    )

    run = pull(connection, "customer")

    assert Customer.objects.get(number="10001").name == "Havbris Nytt Navn AS"
    assert (run.fetched, run.updated, run.created) == (1, 1, 0)
    assert run.requests == 2  # the sync list, then the one company's details


def test_a_project_deactivated_in_24so_is_archived_here(connection: Connection, sandbox: so.Client):
    for entity in ("customer", "work_type", "project"):
        pull(connection, entity)
    inactive = so.ProjectStatus.objects.get(client=sandbox, status_id=3)
    so.Project.objects.filter(client=sandbox, project_id=1002).update(
        status=inactive, date_changed=timezone.now()
    )
    assert Project.objects.get(number=1002).status == Project.Status.ACTIVE

    run = pull(connection, "project")

    assert Project.objects.get(number=1002).status == Project.Status.ARCHIVED
    assert run.updated == 1
    assert Project.objects.filter(status="archived").count() == (
        so.Project.objects.filter(client=sandbox, status__active=False).count()
    )


def _edit_in_24so(sandbox: so.Client, project_id: int, **changes) -> None:
    so.Project.objects.filter(client=sandbox, project_id=project_id).update(
        **changes, date_changed=timezone.now()
    )


def _edit_here(number: int, **changes) -> None:
    # A local edit whose push has not gone yet (queued, or 24SO was down): the pull meets it.
    Project.objects.filter(number=number).update(**changes)


def test_a_project_renamed_in_24so_is_renamed_here_after_the_next_pull(
    connection: Connection, sandbox: so.Client
):
    for entity in ("customer", "work_type", "project"):
        pull(connection, entity)
    _edit_in_24so(sandbox, 1001, name="Nytt navn i 24SO")

    run = pull(connection, "project")

    assert (run.fetched, run.updated, run.conflicts) == (1, 1, 0)
    assert Project.objects.get(number=1001).name == "Nytt navn i 24SO"


def test_a_project_renamed_differently_on_both_sides_is_a_conflict_and_other_fields_flow(
    connection: Connection, sandbox: so.Client
):
    from apps.integrations.models import Conflict

    for entity in ("customer", "work_type", "project"):
        pull(connection, entity)
    before = Project.objects.get(number=1001)
    new_end = before.end_date + timezone.timedelta(days=30)
    _edit_in_24so(sandbox, 1001, name="Navn fra 24SO", description="Beskrivelse fra 24SO")
    _edit_here(1001, name="Navn fra Tidsbro", end_date=new_end)

    run = pull(connection, "project")

    assert run.conflicts == 1
    binding = Binding.objects.get(connection=connection, entity="project", external_id="1001")
    assert binding.state == Binding.State.CONFLICT
    conflict = Conflict.objects.get(binding=binding, resolved_at__isnull=True)
    assert (conflict.field, conflict.base_value, conflict.local_value, conflict.remote_value) == (
        "name",
        before.name,
        "Navn fra Tidsbro",
        "Navn fra 24SO",
    )
    # Neither side's name touched; the ERP's description came here, the local end date went
    # there (the push the pull queued runs after its commit).
    local = Project.objects.get(number=1001)
    remote = so.Project.objects.get(client=sandbox, project_id=1001)
    assert (local.name, remote.name) == ("Navn fra Tidsbro", "Navn fra 24SO")
    assert local.description == "Beskrivelse fra 24SO"
    assert timezone.localtime(remote.date_stop).date() == new_end
    # Pulled again: the same conflict, still one, nothing new written.
    assert pull(connection, "project").conflicts == 0
    assert Conflict.objects.filter(binding=binding, resolved_at__isnull=True).count() == 1


def test_a_project_renamed_equally_on_both_sides_is_no_conflict(
    connection: Connection, sandbox: so.Client
):
    from apps.integrations.models import Conflict

    for entity in ("customer", "work_type", "project"):
        pull(connection, entity)
    _edit_in_24so(sandbox, 1001, name="Samme nye navn")
    _edit_here(1001, name="Samme nye navn")

    run = pull(connection, "project")

    assert (run.conflicts, run.errors) == (0, 0)
    binding = Binding.objects.get(connection=connection, entity="project", external_id="1001")
    assert (binding.state, binding.snapshot["name"]) == (Binding.State.LINKED, "Samme nye navn")
    assert not Conflict.objects.exists()
    assert Project.objects.get(number=1001).name == "Samme nye navn"


def test_a_customer_deleted_in_24so_becomes_inactive_and_stays(
    connection: Connection, sandbox: so.Client
):
    pull(connection, "customer")
    so.Company.objects.filter(client=sandbox, company_id=10002).update(
        active=False, date_changed=timezone.now()
    )

    run = pull(connection, "customer")

    customer = Customer.objects.get(number="10002")
    assert customer.is_active is False
    assert run.updated == 1
    binding = Binding.objects.get(connection=connection, entity="customer", external_id="10002")
    assert binding.state == Binding.State.MISSING_REMOTELY
    assert Customer.objects.filter(is_active=True).count() == (
        so.Company.objects.filter(client=sandbox, active=True).count()
    )


def test_a_work_type_deactivated_in_24so_is_inactive_here(
    connection: Connection, sandbox: so.Client
):
    pull(connection, "work_type")
    so.WorkType.objects.filter(client=sandbox, work_type_id=3).update(active=False)

    run = pull(connection, "work_type")

    assert WorkType.objects.get(name="Møte").is_active is False
    assert (run.updated, run.requests) == (1, 1)


# COST
# ------------------------------------------------------------------------------
def _touching(queries: list[str], *tables: str) -> list[str]:
    return [q for q in queries if any(f'"{t}"' in q for t in tables)]


def test_pulling_customers_writes_in_bulk(connection: Connection, sandbox: so.Client):
    with queries_of_this_thread() as queries:
        run = pull(connection, "customer")

    assert run.created == so.Company.objects.filter(client=sandbox, active=True).count() >= 35
    # The customers and their bindings: one look-up, one search for the same customers here
    # (to pair them), one look for namesakes without a partner (they wait for the office
    # instead of being copied), one number check, two INSERTs.
    writes = _touching(queries, "customers_customer", "integrations_binding")
    assert len(writes) <= 6, writes
    # The rest is fixed per run (lease, run row, watermark) and per request (the shared
    # request budget): 3 requests here. It does not grow with the number of customers.
    assert len(queries) <= 50, len(queries)


def test_queries_per_customer_fall_far_below_one_as_customers_grow(
    connection: Connection, sandbox: so.Client
):
    now = timezone.now()
    so.Company.objects.bulk_create(
        so.Company(
            client=sandbox,
            company_id=20001 + i,
            name=f"Ekstra kunde {i} AS",
            organization_number=str(800000000 + i),
            date_created=now,
            date_changed=now,
        )
        for i in range(200)
    )

    with queries_of_this_thread() as queries:
        run = pull(connection, "customer")

    assert run.created == so.Company.objects.filter(client=sandbox, active=True).count() >= 235
    assert len(queries) / run.created < 0.25, (len(queries), run.created)
    # SQLite splits a bulk INSERT by its parameter limit; still a handful for 237 rows.
    assert len(_touching(queries, "customers_customer", "integrations_binding")) < 12


def test_pulling_projects_and_tasks_writes_in_bulk(connection: Connection):
    for entity in ("customer", "work_type"):
        pull(connection, entity)
    with queries_of_this_thread() as queries:
        projects = pull(connection, "project")
    # Two pages (active, deactivated), each: bindings, the search for the same projects here
    # (to pair them), customer and work type look-ups, the number check, one INSERT of
    # projects and one of bindings.
    writes = _touching(queries, "projects_project", "integrations_binding")
    assert projects.created == 30 and len(writes) <= 14, writes

    with queries_of_this_thread() as queries:
        tasks = pull(connection, "task")
    writes = _touching(
        queries,
        "tasks_task",
        "tasks_task_assignees",
        "projects_projectmember",
        "integrations_binding",
    )
    assert tasks.created >= 20 and len(writes) <= 10, writes


# RECONCILIATION AND SINGLE READS
# ------------------------------------------------------------------------------
def test_fetch_ids_lists_what_exists_in_24so(connection: Connection, sandbox: so.Client):
    from apps.integrations.registry import connector_for

    pull(connection, "customer")
    pull(connection, "project")
    connector = connector_for(connection)
    try:
        assert connector.fetch_ids("customer") == {
            str(i)
            for i in so.Company.objects.filter(client=sandbox, active=True).values_list(
                "company_id", flat=True
            )
        }
        assert connector.fetch_ids("project") == {
            str(i)
            for i in so.Project.objects.filter(client=sandbox).values_list("project_id", flat=True)
        }
        assert connector.fetch_ids("work_type") == {
            str(i)
            for i in so.WorkType.objects.filter(client=sandbox).values_list(
                "work_type_id", flat=True
            )
        }
        assert connector.fetch_ids("task") == {
            str(i) for i in so.Task.objects.filter(client=sandbox).values_list("task_id", flat=True)
        }
        assert connector.fetch_ids("user") == {
            str(i)
            for i in so.Person.objects.filter(client=sandbox, user_guid__isnull=False).values_list(
                "contact_id", flat=True
            )
        }
    finally:
        connector.close()


def test_fetch_one_reads_the_current_record(connection: Connection, sandbox: so.Client):
    from apps.integrations.registry import connector_for

    so.Company.objects.filter(client=sandbox, company_id=10003).update(active=False)
    archived = so.Project.objects.filter(client=sandbox, status__active=False).first()
    connector = connector_for(connection)
    try:
        customer = connector.fetch_one("customer", "10001")
        assert (
            customer.values["name"] == so.Company.objects.get(client=sandbox, company_id=10001).name
        )
        assert connector.fetch_one("customer", "10003") is None
        project = connector.fetch_one("project", str(archived.project_id))
        assert (project.values["status"], project.values["number"]) == (
            "archived",
            archived.project_id,
        )
        assert connector.fetch_one("project", "1001").values["status"] == "active"
        inactive = connector.fetch_one("work_type", "6")
        assert (inactive.values["name"], inactive.values["is_active"]) == ("Gammel support", False)
        assert connector.fetch_one("user", "2").values["email"] == (
            so.Person.objects.get(client=sandbox, contact_id=2).email.lower()
        )
    finally:
        connector.close()


def test_nightly_reconciliation_marks_a_vanished_project_missing(
    connection: Connection, sandbox: so.Client
):
    from apps.integrations.sync.engine import reconcile_entity

    pull(connection, "customer")
    pull(connection, "project")
    vanished = so.Project.objects.get(client=sandbox, project_id=1003)
    so.Project.objects.filter(pk=vanished.pk).delete()

    run = reconcile_entity(connection=connection, entity="project", trigger="schedule")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    binding = Binding.objects.get(connection=connection, entity="project", external_id="1003")
    assert binding.state == Binding.State.MISSING_REMOTELY
    assert Project.objects.filter(number=1003).exists()
    assert run.updated == 1

    # Restored in 24SO (same id, renamed meanwhile): the next night links it again.
    vanished.name = "Gjenopprettet prosjekt"
    vanished.save(force_insert=True)
    run = reconcile_entity(connection=connection, entity="project", trigger="schedule")

    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    binding.refresh_from_db()
    assert binding.state == Binding.State.LINKED
    assert Project.objects.get(number=1003).name == "Gjenopprettet prosjekt"
    assert run.requests == 3  # the two id lists, then the one project read again
