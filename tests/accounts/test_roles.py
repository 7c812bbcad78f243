import importlib

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from apps.accounts import roles
from apps.accounts.roles import ROLE_PERMISSIONS, sync_roles, sync_roles_after_migrate
from tests.accounts.factories import admin_user, employee, project_manager, support_user

pytestmark = pytest.mark.django_db

DOMAIN_APPS = ["accounts", "customers", "projects", "worktypes", "tasks", "timesheets"]


def _expected(role: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in roles._permissions_for(Permission, ROLE_PERMISSIONS[role])
    }


def _granted(role: str) -> set[str]:
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name=role).permissions.select_related("content_type")
    }


def test_the_four_role_groups_exist():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        roles.ADMIN,
        roles.PROJECT_MANAGER,
        roles.EMPLOYEE,
        roles.SUPPORT,
    }
    assert set(ROLE_PERMISSIONS) == set(roles.ROLE_LABELS)


@pytest.mark.parametrize("role", list(ROLE_PERMISSIONS))
def test_each_role_has_exactly_the_permissions_of_the_table(role):
    assert _expected(role)  # every role is given something
    assert _granted(role) == _expected(role)


def test_the_data_migration_creates_the_groups_with_their_permissions():
    Group.objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()
    migration = importlib.import_module("apps.accounts.migrations.0002_roles")
    state_apps = MigrationLoader(connection).project_state(("accounts", "0002_roles")).apps

    migration.create_roles(state_apps, None)

    for role in ROLE_PERMISSIONS:
        assert _granted(role) == _expected(role)


def test_the_data_migration_can_be_reversed():
    migration = importlib.import_module("apps.accounts.migrations.0002_roles")
    state_apps = MigrationLoader(connection).project_state(("accounts", "0002_roles")).apps

    migration.remove_roles(state_apps, None)

    assert not Group.objects.filter(name__in=list(ROLE_PERMISSIONS)).exists()


def test_sync_roles_is_idempotent_and_restores_a_removed_permission():
    group = Group.objects.get(name=roles.EMPLOYEE)
    group.permissions.remove(
        Permission.objects.get(codename="add_timeentry", content_type__app_label="timesheets")
    )

    sync_roles()
    sync_roles()

    assert _granted(roles.EMPLOYEE) == _expected(roles.EMPLOYEE)
    assert Group.objects.filter(name=roles.EMPLOYEE).count() == 1


def test_every_migrate_of_accounts_keeps_the_groups_in_step():
    group = Group.objects.get(name=roles.SUPPORT)
    group.permissions.clear()

    sync_roles_after_migrate(sender=global_apps.get_app_config("customers"), using="default")
    assert not group.permissions.exists()  # only the accounts app's signal syncs

    sync_roles_after_migrate(sender=global_apps.get_app_config("accounts"), using="default")
    assert _granted(roles.SUPPORT) == _expected(roles.SUPPORT)


def test_employee_registers_hours_but_cannot_approve_them():
    user = employee()

    for perm in ["add_timeentry", "change_timeentry", "delete_timeentry", "view_timeentry"]:
        assert user.has_perm(f"timesheets.{perm}"), perm
    for perm in [
        "approve_user_timeentry",
        "approve_project_timeentry",
        "lock_timeentry",
        "reopen_timeentry",
        "view_all_timeentry",
    ]:
        assert not user.has_perm(f"timesheets.{perm}"), perm
    assert not user.has_perm("projects.add_project")
    assert not user.has_perm("customers.change_customer")


def test_support_sees_everything_but_changes_nothing():
    user = support_user()
    granted = _granted(roles.SUPPORT)

    assert user.has_perm("timesheets.view_all_timeentry")
    for app in DOMAIN_APPS:
        for perm in Permission.objects.filter(content_type__app_label=app):
            name = f"{app}.{perm.codename}"
            if perm.codename.startswith("view_") and app != "accounts":
                assert user.has_perm(name), name
    # Only view permissions in the domain apps; the integrations' support actions (resolve a
    # conflict, re-run a sync) come with that app.
    # Their own API tokens are theirs to make and revoke, as for everybody.
    own_tokens = {"accounts.add_apitoken", "accounts.delete_apitoken"}
    domain_writes = [
        p
        for p in granted
        if p.split(".")[0] in DOMAIN_APPS and ".view_" not in p and p not in own_tokens
    ]
    assert domain_writes == []
    assert not user.has_perm("accounts.manage_all_apitoken")
    assert user.has_perm("accounts.view_user")
    assert not user.has_perm("accounts.change_user")


def test_project_manager_approves_projects_but_not_per_user():
    user = project_manager()

    assert user.has_perm("timesheets.approve_project_timeentry")
    assert not user.has_perm("timesheets.approve_user_timeentry")
    assert not user.has_perm("timesheets.lock_timeentry")
    assert not user.has_perm("timesheets.reopen_timeentry")
    assert not user.has_perm("timesheets.view_all_timeentry")
    assert user.has_perm("projects.change_project")
    assert user.has_perm("tasks.add_task")
    assert not user.has_perm("projects.delete_project")
    assert not user.has_perm("customers.change_customer")


def test_admin_has_every_permission_of_the_domain_apps():
    user = admin_user()

    missing = [
        f"{app}.{perm.codename}"
        for app in DOMAIN_APPS
        for perm in Permission.objects.filter(content_type__app_label=app)
        if not user.has_perm(f"{app}.{perm.codename}")
    ]
    assert missing == []
    assert not user.is_superuser


def test_administrators_play_every_installed_sandbox_and_nobody_else_does():
    sandboxes = [c.label for c in global_apps.get_app_configs() if c.label.startswith("sandbox_")]
    assert sandboxes  # the test settings install the ERP sandboxes
    office, support = admin_user(), support_user()

    for label in sandboxes:
        perms = Permission.objects.filter(content_type__app_label=label)
        assert perms.exists(), label
        assert all(office.has_perm(f"{label}.{p.codename}") for p in perms), label
        assert not any(support.has_perm(f"{label}.{p.codename}") for p in perms), label
