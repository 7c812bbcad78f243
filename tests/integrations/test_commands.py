"""The integrations management commands, against the 24SO sandbox over real HTTP."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db
from django.utils import timezone

from apps.core.crypto import DecryptionFailed
from apps.customers.models import Customer
from apps.integrations import jobs
from apps.integrations.models import Conflict, Connection, OutboxItem, SyncRun
from apps.integrations.sync import engine, outbox
from apps.projects.models import Project
from apps.projects.services import project_update
from apps.sandbox.twentyfourseven.models import Company
from apps.sandbox.twentyfourseven.models import Project as SandboxProject
from apps.sandbox.twentyfourseven.seed import DEMO_PASSWORD, DEMO_USERNAME, seed
from apps.tasks.models import Task
from apps.tasks.services import task_update
from tests.integrations.factories import connection_24so

FJORDLYS = "Fjordlys Rådgivning AS"


@pytest.fixture
def sandbox(live_server, settings, transactional_db):
    seed()
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return base


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv("TIDSBRO_24SO_PASSWORD", DEMO_PASSWORD)
    return "TIDSBRO_24SO_PASSWORD"


def run(*args, **options):
    """call_command with its output; CommandError is what makes manage.py exit non-zero."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


def connect(password_env, *extra):
    return run(
        "integrations_connect",
        "--system",
        "24so",
        "--username",
        DEMO_USERNAME,
        "--password-env",
        password_env,
        "--client",
        FJORDLYS,
        "--connect",
        "customers,projects,worktypes,tasks",
        *extra,
    )


# --- integrations_connect ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_connect_checks_the_login_and_stores_the_connection(sandbox, password_env):
    out = connect(password_env, "--sso")

    assert f"Connected 24SevenOffice: {FJORDLYS} as connection" in out
    assert f"Syncing as: {DEMO_USERNAME}" in out
    assert "customer, project, work_type, task" in out
    assert DEMO_PASSWORD not in out
    connection = Connection.objects.get()
    assert connection.connected == ["customer", "project", "work_type", "task"]
    assert connection.sso_allowed
    assert connection.credentials_doc["password"] == DEMO_PASSWORD
    assert connection.setting("client_id") == "2400101"


@pytest.mark.django_db(transaction=True)
def test_connect_with_a_wrong_password_exits_with_the_reason(sandbox, monkeypatch):
    monkeypatch.setenv("WRONG_PASSWORD", "not-the-password")
    with pytest.raises(CommandError, match="did not accept the username or password") as exc:
        connect("WRONG_PASSWORD")
    assert "not-the-password" not in str(exc.value)
    assert not Connection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_connect_without_a_client_lists_the_clients_and_exits(sandbox, password_env):
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="Choose the client with --client"):
        call_command(
            "integrations_connect",
            "--system",
            "24so",
            "--username",
            DEMO_USERNAME,
            "--password-env",
            password_env,
            stdout=out,
        )
    assert FJORDLYS in out.getvalue() and "Nordvik Bygg AS" in out.getvalue()
    assert not Connection.objects.exists()


@pytest.mark.django_db
def test_connect_with_an_unset_password_variable_exits_before_any_request(monkeypatch):
    monkeypatch.delenv("NO_SUCH_VARIABLE", raising=False)
    with pytest.raises(CommandError, match="NO_SUCH_VARIABLE"):
        connect("NO_SUCH_VARIABLE")


@pytest.mark.django_db
def test_connect_with_an_unknown_object_type_exits(password_env):
    with pytest.raises(CommandError, match="Unknown object type invoices"):
        run(
            "integrations_connect",
            "--system",
            "24so",
            "--username",
            DEMO_USERNAME,
            "--password-env",
            password_env,
            "--client",
            FJORDLYS,
            "--connect",
            "customers,invoices",
        )


@pytest.mark.django_db(transaction=True)
def test_connect_twice_exits_with_already_connected(sandbox, password_env):
    connect(password_env)
    with pytest.raises(CommandError, match="already connected"):
        connect(password_env)


# --- integrations_sync and integrations_status ------------------------------------------------


@pytest.mark.django_db
def test_sync_without_a_connection_exits_with_how_to_connect():
    with pytest.raises(CommandError, match="integrations_connect"):
        run("integrations_sync", "--object", "customers")


@pytest.mark.django_db(transaction=True)
def test_sync_of_an_object_type_that_is_not_connected_exits(sandbox, password_env):
    connect(password_env)
    with pytest.raises(CommandError, match="users is not connected"):
        run("integrations_sync", "--object", "users")


@pytest.mark.django_db
def test_status_without_a_connection_says_so():
    assert "No ERP is connected." in run("integrations_status")


# --- keys -------------------------------------------------------------------------------------


def test_generate_encryption_key_prints_a_fernet_key():
    key = run("generate_encryption_key").strip()
    Fernet(key.encode())  # raises if it is not a key


def _raw(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT credentials, state FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()


def _connection(**extra) -> Connection:
    return connection_24so(
        **extra,
        username=DEMO_USERNAME,
        password=DEMO_PASSWORD,
        session_id="session-1234",
        client_name=FJORDLYS,
    )


@pytest.mark.django_db
def test_rotate_keys_re_encrypts_with_the_newest_key(settings):
    old = settings.TIDSBRO_ENCRYPTION_KEYS[0]
    connection = _connection()
    before = _raw(connection.pk)
    new = Fernet.generate_key().decode()
    settings.TIDSBRO_ENCRYPTION_KEYS = [new, old]

    out = run("rotate_keys")

    assert "integrations.connection.credentials: 1 re-encrypted" in out
    assert "integrations.connection.state: 1 re-encrypted" in out
    assert DEMO_PASSWORD not in out
    after = _raw(connection.pk)
    assert after[0] != before[0] and after[1] != before[1]
    settings.TIDSBRO_ENCRYPTION_KEYS = [new]
    fresh = Connection.objects.get(pk=connection.pk)
    assert fresh.credentials_doc["password"] == DEMO_PASSWORD
    assert fresh.state_doc == {"session_id": "session-1234"}
    settings.TIDSBRO_ENCRYPTION_KEYS = [old]
    with pytest.raises(DecryptionFailed):
        Connection.objects.get(pk=connection.pk)


@pytest.mark.django_db
def test_rotate_keys_fails_closed_when_a_value_cannot_be_decrypted(settings):
    old = settings.TIDSBRO_ENCRYPTION_KEYS[0]
    good = _connection()
    settings.TIDSBRO_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    stranger = _connection(is_active=False)  # written with a key that is about to be lost
    before = {pk: _raw(pk) for pk in (good.pk, stranger.pk)}
    settings.TIDSBRO_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), old]

    with pytest.raises(CommandError, match="cannot be decrypted") as exc:
        run("rotate_keys")

    assert f"integrations.connection.credentials id {stranger.pk}" in str(exc.value)
    assert {pk: _raw(pk) for pk in (good.pk, stranger.pk)} == before


@pytest.mark.django_db(transaction=True)
def test_sync_customers_prints_the_counts_of_the_run(sandbox, password_env):
    connect(password_env)
    companies = Company.objects.filter(client__client_id=2400101, active=True).count()

    out = run("integrations_sync", "--system", "24so", "--object", "customers")

    run_row = SyncRun.objects.get(entity="customer")
    assert run_row.status == SyncRun.Status.SUCCEEDED
    assert run_row.trigger == SyncRun.Trigger.COMMAND
    assert run_row.created == companies > 0
    assert f"customer pull: succeeded — fetched {run_row.fetched}, created {companies}," in out
    assert f"{run_row.requests} requests in" in out
    assert DEMO_PASSWORD not in out

    again = run("integrations_sync", "--object", "customers")
    assert "created 0" in again


@pytest.mark.django_db(transaction=True)
def test_sync_that_fails_exits_non_zero_with_the_error(sandbox, password_env):
    connect(password_env)
    connection = Connection.objects.get()
    connection.credentials_doc = {**connection.credentials_doc, "password": "changed-in-24so"}
    connection.state_doc = {}
    connection.save()

    with pytest.raises(CommandError, match="The sync failed for: customer"):
        run("integrations_sync", "--object", "customers")
    assert SyncRun.objects.get(entity="customer").status == SyncRun.Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_sync_without_an_object_runs_every_connected_type_in_dependency_order(
    sandbox, password_env
):
    connect(password_env)

    out = run("integrations_sync", "--full")

    order = [line.split()[0] for line in out.splitlines() if " pull: " in line]
    assert order == ["customer", "work_type", "project", "task"]
    runs = SyncRun.objects.order_by("pk")
    assert [r.entity for r in runs] == order
    assert all(r.status == SyncRun.Status.SUCCEEDED and r.full for r in runs)


@pytest.mark.django_db
def test_status_shows_health_per_object_type_and_what_needs_a_human():
    from datetime import timedelta

    from django.utils import timezone

    from apps.integrations.models import Binding, Conflict, OutboxItem, SyncRun
    from tests.accounts.factories import employee

    connection = _connection()
    connection.connected = ["customer", "project", "work_type", "hour"]
    connection.save()
    now = timezone.now()
    SyncRun.objects.create(
        connection=connection,
        entity="customer",
        trigger="schedule",
        status=SyncRun.Status.SUCCEEDED,
        started_at=now - timedelta(minutes=10),
        finished_at=now - timedelta(minutes=9),
    )
    SyncRun.objects.create(
        connection=connection,
        entity="project",
        trigger="schedule",
        status=SyncRun.Status.SUCCEEDED,
        started_at=now - timedelta(hours=5),
        finished_at=now - timedelta(hours=5),
    )
    SyncRun.objects.create(
        connection=connection,
        entity="project",
        trigger="schedule",
        status=SyncRun.Status.FAILED,
        error_text="24SevenOffice cannot be reached",
        started_at=now - timedelta(minutes=5),
        finished_at=now - timedelta(minutes=5),
    )
    binding = Binding.objects.create(
        connection=connection, entity="project", local_id=1, external_id="9", state="conflict"
    )
    Conflict.objects.create(binding=binding, field="name", local_value="a", remote_value="b")
    OutboxItem.objects.create(
        connection=connection, entity="project", local_id=1, status=OutboxItem.Status.DEAD
    )
    OutboxItem.objects.create(connection=connection, entity="hour", local_id=5)
    OutboxItem.objects.create(connection=connection, entity="hour", local_id=6)
    mapped, _unmapped = employee(), employee()
    Binding.objects.create(
        connection=connection, entity="user", local_id=mapped.pk, external_id="3"
    )

    out = run("integrations_status")

    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    assert "last error never" in lines["customer"] and "STALE" not in lines["customer"]
    assert "24SevenOffice cannot be reached" in lines["project"] and "STALE" in lines["project"]
    assert "last success never" in lines["work_type"] and "STALE" in lines["work_type"]
    assert "open conflicts: 1" in out
    assert "failed transfers: 1" in out
    assert "hours awaiting transfer: 2" in out
    assert "unmapped users: 1" in out
    assert FJORDLYS in out
    assert DEMO_PASSWORD not in out


# --- the demo's story ----------------------------------------------------------------------------


def test_the_demo_office_connects_to_the_sandbox_and_imports_without_clashes(sandbox, password_env):
    call_command("demo_data", verbosity=0)
    customers_before = Customer.objects.count()
    projects_before = Project.objects.count()

    connect(password_env)
    output = run("integrations_sync", "--object", "customers")
    output += run("integrations_sync", "--object", "projects")

    runs = SyncRun.objects.filter(entity__in=["customer", "project"])
    assert set(runs.values_list("status", flat=True)) == {SyncRun.Status.SUCCEEDED}, output
    live = Company.objects.filter(client__name=FJORDLYS, active=True)
    assert Customer.objects.count() == customers_before + live.count()
    assert Project.objects.count() > projects_before


# --- start-up output --------------------------------------------------------------------------


def test_a_command_prints_only_its_own_output(tmp_path):
    """django-axes' start-up banner ("AXES: BEGIN version …") is not printed by every command."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", SQLITE_PATH=str(tmp_path / "db"))
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "System check identified no issues" in done.stdout
    assert "AXES" not in done.stdout + done.stderr


# --- local changes waiting for the ERP --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("args", [(), ("--object", "projects")])
def test_sync_pushes_a_waiting_project_rename_without_hours_connected(
    sandbox, password_env, monkeypatch, args
):
    connect(password_env)  # customers,projects,worktypes,tasks as in the README: no hours
    run("integrations_sync")
    # No worker picks up the kick after the rename (not started, or it failed to push).
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)
    project = Project.objects.exclude(number=None).order_by("number").first()
    project_update(project=project, data={"name": "Omdøpt i Tidsbro"})

    status = run("integrations_status")
    assert "changes waiting to be pushed: 1\n    project: 1, oldest queued " in status

    out = run("integrations_sync", *args)

    assert "project push: succeeded — fetched 0, created 0, updated 1, pushed 1," in out
    erp = SandboxProject.objects.get(client__client_id=2400101, project_id=project.number)
    assert erp.name == "Omdøpt i Tidsbro"
    assert OutboxItem.objects.get().status == OutboxItem.Status.DONE
    assert "changes waiting to be pushed: 0\n" in run("integrations_status")


@pytest.mark.django_db(transaction=True)
def test_status_lists_waiting_changes_per_type_with_the_last_error(sandbox, password_env):
    connect(password_env)
    run("integrations_sync")
    connection = Connection.objects.get()
    projects = list(Project.objects.exclude(number=None).order_by("number")[:2])
    later = timezone.now() + timedelta(minutes=4)
    for project in projects:
        OutboxItem.objects.create(connection=connection, entity="project", local_id=project.pk)
    OutboxItem.objects.filter(local_id=projects[1].pk).update(
        attempts=2, next_attempt_at=later, last_error="24SevenOffice did not answer in time"
    )
    customer = Customer.objects.order_by("pk").first()
    OutboxItem.objects.create(connection=connection, entity="customer", local_id=customer.pk)

    status = run("integrations_status")

    assert "changes waiting to be pushed: 3\n    customer: 1, oldest queued " in status
    assert "    project: 2, oldest queued " in status
    assert (
        f"; 1 failed before, next try {timezone.localtime(later):%Y-%m-%d %H:%M} "
        "(last error: 24SevenOffice did not answer in time)"
    ) in status


# --- what History says -------------------------------------------------------------------------


def _renamed_in_both(monkeypatch) -> tuple[Project, Task]:
    """A project and a task renamed in Tidsbro, their pushes not sent yet (no worker)."""
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)
    project = Project.objects.exclude(number=None).order_by("number").first()
    project_update(project=project, data={"name": "Prosjekt omdøpt her"})
    task = Task.objects.order_by("pk").first()
    task_update(task=task, data={"name": "Oppgave omdøpt her"})
    return project, task


@pytest.mark.django_db(transaction=True)
def test_a_push_of_projects_and_tasks_is_one_run_per_object_type(
    sandbox, password_env, monkeypatch
):
    connect(password_env)
    run("integrations_sync")
    connection = Connection.objects.get()
    _renamed_in_both(monkeypatch)

    said = jobs.push_pending(connection.pk)  # what the worker runs after a kick

    pushes = SyncRun.objects.filter(kind="push").order_by("pk")
    # The job's result (shown in the admin's background jobs) names every run, not the first.
    assert said.startswith("project succeeded") and "; task succeeded" in said
    assert [(r.entity, r.pushed, r.status) for r in pushes] == [
        ("project", 1, "succeeded"),
        ("task", 1, "succeeded"),
    ]
    # Each run's requests are its own: together what the push cost.
    assert all(r.requests >= 1 for r in pushes)


@pytest.mark.django_db(transaction=True)
def test_a_conflict_found_by_the_pull_is_not_counted_again_by_the_push(
    sandbox, password_env, monkeypatch
):
    connect(password_env)
    run("integrations_sync")
    connection = Connection.objects.get()
    project, _task = _renamed_in_both(monkeypatch)
    SandboxProject.objects.filter(client__client_id=2400101, project_id=project.number).update(
        name="Prosjekt omdøpt i 24SO", date_changed=timezone.now()
    )

    pull = engine.sync_entity(connection=connection, entity="project", trigger="manual")
    jobs.push_pending(connection.pk)

    assert pull.conflicts == 1
    push = SyncRun.objects.get(kind="push", entity="project")
    assert (push.conflicts, push.status) == (0, "succeeded")
    assert sum(SyncRun.objects.values_list("conflicts", flat=True)) == 1
    (conflict,) = Conflict.objects.all()
    assert (conflict.field, conflict.local_value, conflict.remote_value) == (
        "name",
        "Prosjekt omdøpt her",
        "Prosjekt omdøpt i 24SO",
    )
