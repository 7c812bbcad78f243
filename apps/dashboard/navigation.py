"""The admin sidebar by role: daily work first, the office's registers, sync, then System.

django-unfold calls `sidebar_navigation(request)` on every admin page (settings UNFOLD). It only
asks the permissions Django has cached on the user already, so it adds no query to a page.
Screens another part of Tidsbro may not have yet (the week timesheet, approvals) are left out
until their URL exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

Check = Callable[[Any], bool]


def is_office(user: Any) -> bool:
    """Administrators and support: they work with every person's hours and the registers."""
    return user.is_superuser or user.has_perm("timesheets.view_all_timeentry")


def can_approve(user: Any) -> bool:
    return user.has_perm("timesheets.approve_user_timeentry") or user.has_perm(
        "timesheets.approve_project_timeentry"
    )


def sees_others_hours(user: Any) -> bool:
    return is_office(user) or user.has_perm("timesheets.approve_project_timeentry")


def url_or_none(name: str, query: str = "", **kwargs: Any) -> str | None:
    try:
        url = reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None
    return f"{url}?{query}" if query else url


def _perm(permission: str) -> Check:
    return lambda user: user.has_perm(permission)


def _office_and(permission: str) -> Check:
    return lambda user: is_office(user) and user.has_perm(permission)


def _item(title: Any, icon: str, url: str | None, allowed: bool) -> dict[str, Any] | None:
    if url is None or not allowed:
        return None
    return {"title": title, "icon": icon, "link": url}


def _group(title: Any, items: list, **options: Any) -> dict[str, Any] | None:
    shown = [item for item in items if item is not None]
    return {"title": title, "items": shown, **options} if shown else None


def _changelist(app_model: str) -> str | None:
    return url_or_none(f"admin:{app_model.replace('.', '_')}_changelist")


def _models(user: Any, rows: list[tuple[Any, str, str, Check]]) -> list:
    return [
        _item(title, icon, _changelist(app_model), check(user))
        for title, icon, app_model, check in rows
    ]


def daily_work(user: Any) -> dict[str, Any] | None:
    """Home, My week, My hours, Approvals: what every person opens each day."""
    my_hours_query = f"user__id__exact={user.pk}" if sees_others_hours(user) else ""
    return _group(
        _("My work"),
        [
            _item(_("Home"), "home", url_or_none("admin:index"), True),
            _item(
                _("My week"),
                "calendar_view_week",
                url_or_none("admin:timesheets_timeentry_week"),
                user.has_perm("timesheets.add_timeentry"),
            ),
            _item(
                _("My calendar"),
                "event",
                url_or_none("admin:calendars_my_calendar"),
                user.has_perm("timesheets.add_timeentry") and _calendars_on(),
            ),
            _item(
                _("My hours"),
                "schedule",
                url_or_none("admin:timesheets_timeentry_changelist", my_hours_query),
                user.has_perm("timesheets.view_timeentry"),
            ),
            _item(
                _("Approvals"),
                "task_alt",
                url_or_none("admin:timesheets_timeentry_approvals"),
                can_approve(user),
            ),
            _item(
                _("All hours"),
                "view_list",
                url_or_none("admin:timesheets_timeentry_changelist"),
                sees_others_hours(user),
            ),
        ],
    )


def _calendars_on() -> bool:
    """Whether the office has switched calendars on (a cached flag: no query on most pages)."""
    from django.apps import apps

    if not apps.is_installed("apps.calendars"):
        return False
    from apps.calendars.selectors import calendars_switched_on

    return calendars_switched_on()


def registers(user: Any) -> dict[str, Any] | None:
    """Customers, projects and the rest the office keeps (project managers: their projects)."""
    return _group(
        _("Office"),
        _models(
            user,
            [
                (
                    _("Customers"),
                    "domain",
                    "customers.customer",
                    _office_and("customers.view_customer"),
                ),
                (_("Projects"), "folder_open", "projects.project", _project_register),
                (_("Tasks"), "checklist", "tasks.task", _task_register),
                (
                    _("Work types"),
                    "category",
                    "worktypes.worktype",
                    _office_and("worktypes.view_worktype"),
                ),
                (_("Orders"), "receipt_long", "orders.order", _office_and("orders.view_order")),
                (_("Users"), "group", "accounts.user", _office_and("accounts.view_user")),
            ],
        ),
        separator=True,
    )


def _project_register(user: Any) -> bool:
    return is_office(user) or user.has_perm("projects.change_project")


def _task_register(user: Any) -> bool:
    return is_office(user) or user.has_perm("tasks.change_task")


def erp_sync(user: Any) -> dict[str, Any] | None:
    """The sync center and its settings, and calendar health: administrators and support."""
    return _group(
        _("ERP sync"),
        [
            _item(
                _("Sync center"),
                "sync_alt",
                url_or_none("admin:integrations_sync_center"),
                user.has_perm("integrations.view_binding"),
            ),
            _item(
                _("Conflicts"),
                "call_split",
                _changelist("integrations.conflict"),
                user.has_perm("integrations.view_conflict"),
            ),
            _item(
                _("Sync history"),
                "history",
                url_or_none("admin:integrations_sync_history"),
                user.has_perm("integrations.view_syncrun"),
            ),
            _item(  # every system Tidsbro can connect to, each with Activate
                _("Integrations"),
                "extension",
                url_or_none("admin:integrations_connection_connect"),
                user.has_perm("integrations.add_connection"),
            ),
            _item(  # its list offers the wizard and both settings pages
                capfirst(_("connections")),
                "settings",
                _changelist("integrations.connection"),
                user.has_perm("integrations.view_connection"),
            ),
            _item(  # each person's calendar health (never contents), when calendars are on
                _("Calendar health"),
                "event_available",
                _changelist("calendars.calendaraccount"),
                user.has_perm("calendars.view_calendar_health") and _calendars_on(),
            ),
        ],
        separator=True,
    )


def _superuser(user: Any) -> bool:
    return user.is_superuser


def sandboxes() -> list[dict[str, Any] | None]:
    """One item per installed ERP sandbox (apps labelled "sandbox_…", local/test/demo only),
    named by its app's verbose name."""
    from django.apps import apps

    return [
        _item(
            config.verbose_name,
            "science",
            url_or_none("admin:app_list", app_label=config.label),
            True,
        )
        for config in sorted(apps.get_app_configs(), key=lambda c: c.label)
        if config.label.startswith("sandbox_")
    ]


def system(user: Any) -> dict[str, Any] | None:
    """The sandboxes and the machinery under the sync: superusers only, folded away."""
    if not user.is_superuser:
        return None
    items = [
        *sandboxes(),
        *_models(
            user,
            [
                (_("Background jobs"), "pending_actions", "django_q.schedule", _superuser),
                (_("Failed jobs"), "error", "django_q.failure", _superuser),
                (_("Failed logins"), "lock_person", "axes.accessattempt", _superuser),
                (_("Login log"), "login", "axes.accesslog", _superuser),
                (_("Bindings"), "link", "integrations.binding", _superuser),
                (_("Outbox"), "outbox", "integrations.outboxitem", _superuser),
                (_("Sync runs"), "manage_history", "integrations.syncrun", _superuser),
                (_("Watermarks"), "water", "integrations.watermark", _superuser),
                (_("Leases"), "lock_clock", "integrations.lease", _superuser),
                (_("Audit log"), "policy", "core.auditrecord", _superuser),
            ],
        ),
    ]
    return _group(_("System"), items, separator=True, collapsible=True)


def sidebar_navigation(request: HttpRequest) -> list[dict[str, Any]]:
    """The sidebar's groups for the person logged in (UNFOLD["SIDEBAR"]["navigation"])."""
    user = request.user
    if not user.is_authenticated:
        return []
    groups = [daily_work(user), registers(user), erp_sync(user), system(user)]
    groups = [group for group in groups if group is not None]
    _mark_active(request, [item for group in groups for item in group["items"]])
    return groups


def _mark_active(request: HttpRequest, items: list[dict[str, Any]]) -> None:
    """Marks the one item whose link is the longest match of this page (the theme would mark
    every link that is a prefix: Connections inside the sync center, both hours lists)."""
    path, query = request.path, request.GET

    def score(item: dict[str, Any]) -> tuple[int, int]:
        link_path, _sep, link_query = item["link"].partition("?")
        if path != link_path and (
            link_path == url_or_none("admin:index") or not path.startswith(link_path)
        ):
            return (-1, 0)
        wanted = dict(pair.split("=", 1) for pair in link_query.split("&") if "=" in pair)
        if any(query.get(key) != value for key, value in wanted.items()):
            return (-1, 0)
        return (len(link_path), len(wanted))

    scored = [(score(item), index) for index, item in enumerate(items)]
    best = max(scored, default=((-1, 0), -1))
    for index, item in enumerate(items):
        item["active"] = best[0][0] >= 0 and index == best[1]


def account_links(request: HttpRequest) -> list[dict[str, Any]]:
    """The menu under the person's name (UNFOLD["ACCOUNT"]): their password and API tokens."""
    user = request.user
    links = []
    if user.is_authenticated and user.has_usable_password():
        links.append({"title": _("Change password"), "link": url_or_none("admin:password_change")})
    # One's own tokens; administrators see and revoke everybody's there too.
    tokens = url_or_none("admin:accounts_apitoken_changelist")
    if tokens and user.has_perm("accounts.view_apitoken"):
        links.append({"title": _("API tokens"), "link": tokens})
    return links


def show_all_applications(request: HttpRequest) -> bool:
    """The "all applications" list under the sidebar: for the office, who keep the rest."""
    return request.user.is_authenticated and is_office(request.user)


def stylesheet(request: HttpRequest) -> str:
    return static("tidsbro/admin.css")
