"""The four roles of PRODUCT.md as permission groups, kept in step with this table."""

from typing import Any

from django.utils.translation import gettext_lazy as _

ADMIN = "admin"
PROJECT_MANAGER = "project manager"
EMPLOYEE = "employee"
SUPPORT = "support"

ROLE_LABELS = {
    ADMIN: _("Administrator"),
    PROJECT_MANAGER: _("Project manager"),
    EMPLOYEE: _("Employee"),
    SUPPORT: _("Support"),
}

# "app.*" grants every permission of an app; "app.view_*" every view permission of it;
# "sandbox_*.*" every permission of every app whose label starts with "sandbox_".
# Which rows a role sees is narrowed further by selectors (employees: own hours only;
# project managers: own hours plus those on the projects they manage).
ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADMIN: [
        "accounts.*",
        "auth.view_group",
        "customers.*",
        "projects.*",
        "worktypes.*",
        "tasks.*",
        "timesheets.*",
        "django_q.*",
        "integrations.*",
        "sandbox_*.*",  # every ERP sandbox installed (local, test and demo only)
        "orders.*",
        "axes.*",  # failed logins and lockouts; deleting an attempt unlocks
        "core.view_auditrecord",  # the audit log
        "calendars.view_calendaraccount",
        "calendars.view_calendar_health",  # each person's calendar health, never its contents
    ],
    PROJECT_MANAGER: [
        "accounts.view_user",
        "accounts.view_apitoken",  # their own API tokens (everybody's: manage_all_apitoken)
        "accounts.add_apitoken",
        "accounts.delete_apitoken",
        "customers.view_customer",
        "projects.view_project",
        "projects.add_project",
        "projects.change_project",
        "projects.view_projectmember",
        "projects.add_projectmember",
        "projects.change_projectmember",
        "projects.delete_projectmember",
        "projects.view_projectrole",
        "worktypes.view_worktype",
        "tasks.view_task",
        "tasks.add_task",
        "tasks.change_task",
        "tasks.delete_task",
        "timesheets.view_timeentry",
        "timesheets.add_timeentry",
        "timesheets.change_timeentry",
        "timesheets.delete_timeentry",
        "timesheets.approve_project_timeentry",
        "timesheets.view_timeentrytransition",
        # My calendar: their own calendar connection and its rules (view = their own, as with
        # hours; everybody's health needs calendars.view_calendar_health).
        "calendars.view_calendaraccount",
        "calendars.view_categoryrule",
        "calendars.add_categoryrule",
        "calendars.change_categoryrule",
        "calendars.delete_categoryrule",
    ],
    EMPLOYEE: [
        "accounts.view_apitoken",  # their own API tokens (everybody's: manage_all_apitoken)
        "accounts.add_apitoken",
        "accounts.delete_apitoken",
        "customers.view_customer",
        "projects.view_project",
        "worktypes.view_worktype",
        "tasks.view_task",
        "timesheets.view_timeentry",
        "timesheets.add_timeentry",
        "timesheets.change_timeentry",
        "timesheets.delete_timeentry",
        "timesheets.view_timeentrytransition",
        # My calendar: their own calendar connection and its rules (view = their own, as with
        # hours; everybody's health needs calendars.view_calendar_health).
        "calendars.view_calendaraccount",
        "calendars.view_categoryrule",
        "calendars.add_categoryrule",
        "calendars.change_categoryrule",
        "calendars.delete_categoryrule",
    ],
    SUPPORT: [
        "accounts.view_user",
        "accounts.view_apitoken",  # their own API tokens (everybody's: manage_all_apitoken)
        "accounts.add_apitoken",
        "accounts.delete_apitoken",
        "customers.view_*",
        "projects.view_*",
        "worktypes.view_*",
        "tasks.view_*",
        "timesheets.view_*",
        "timesheets.view_all_timeentry",
        "django_q.view_*",
        "integrations.view_*",
        "integrations.resolve_conflict",
        "integrations.match_binding",
        "integrations.run_sync",
        "integrations.retry_outbox",
        "orders.view_*",
        "axes.view_*",
        "core.view_auditrecord",
        "calendars.view_calendaraccount",
        "calendars.view_calendar_health",
    ],
}


def _permissions_for(Permission: Any, specs: list[str]) -> list[Any]:
    perms: list[Any] = []
    for spec in specs:
        app_label, codename = spec.split(".", 1)
        if app_label.endswith("*"):
            qs = Permission.objects.filter(content_type__app_label__startswith=app_label[:-1])
        else:
            qs = Permission.objects.filter(content_type__app_label=app_label)
        if codename == "*":
            perms.extend(qs)
        elif codename.endswith("*"):
            perms.extend(qs.filter(codename__startswith=codename[:-1]))
        else:
            perms.extend(qs.filter(codename=codename))
    return perms


def sync_roles(apps: Any = None) -> None:
    """Creates the role groups and sets exactly the permissions of the table above."""
    if apps is None:
        from django.contrib.auth.models import Group, Permission
    else:
        Group = apps.get_model("auth", "Group")
        Permission = apps.get_model("auth", "Permission")
    for role, specs in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions_for(Permission, specs))


def sync_roles_after_migrate(sender: Any, **kwargs: Any) -> None:
    # post_migrate fires once per app; the last one (this app is not last) is enough,
    # but syncing is idempotent and cheap, so do it whenever accounts itself migrates.
    if getattr(sender, "label", None) != "accounts":
        return
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    sync_roles()
