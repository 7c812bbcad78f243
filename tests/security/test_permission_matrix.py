"""The permission matrix: every admin URL and every API endpoint, for every role.

Both lists are read from the running project (the admin site's registry and URL patterns; the
OpenAPI schema), so a screen or endpoint added later is covered without touching this file.
What each role may do is the role table of apps/accounts/roles.py, which encodes PRODUCT.md's
roles; the admin and API must never give more than it grants, and give what it grants.
"""

from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django_q.models import OrmQ
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.accounts import roles
from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create
from apps.integrations.models import Binding, Watermark
from apps.integrations.services import DEFAULT_MASTERS
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import UserFactory, employee
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import connection_24so
from tests.projects.factories import ProjectFactory, ProjectMemberFactory, manager_role
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

ROLES = [roles.ADMIN, roles.PROJECT_MANAGER, roles.EMPLOYEE, roles.SUPPORT, None]
STANDARD = ("changelist", "add", "change", "delete", "history")


# --- the world every role looks at ----------------------------------------------------------


@dataclass
class World:
    me: object  # the user of the role under test (None: anonymous)
    colleague: object  # an employee on a project nobody else here manages
    own_entry: TimeEntry | None
    other_entry: TimeEntry
    colleague_key: str = ""  # the key of the colleague's API token: no page may show it
    colleague_token: object = None


def _world(role) -> World:
    colleague = employee(email="colleague@example.no")
    other_project = ProjectFactory(name="Other project")
    TaskFactory(project=other_project, assignees=[colleague])
    other_entry = TimeEntryFactory(
        user=colleague, project=other_project, description="COLLEAGUE-SECRET-HOURS"
    )
    CustomerFactory()
    connection = connection_24so(
        username="erp@example.no",
        password="pw",
        client_name="Fjordlys",
        client_id="2400101",
        connected=["customer", "project", "work_type"],
        masters=dict(DEFAULT_MASTERS),
    )
    Binding.objects.create(
        connection=connection,
        entity="customer",
        local_id=other_project.customer_id,
        external_id="7",
    )
    Watermark.objects.create(connection=connection, entity="customer")
    token, key = api_token_create(user=colleague, name="Colleague's script")
    if role is None:
        return World(None, colleague, None, other_entry, key, token)
    me = UserFactory(role=role, email="me@example.no")
    own_project = ProjectFactory(name="My project")
    manages = {"role": manager_role()} if role == roles.PROJECT_MANAGER else {}
    ProjectMemberFactory(user=me, project=own_project, **manages)
    own_entry = TimeEntryFactory(user=me, project=own_project, description="MY-OWN-HOURS")
    api_token_create(user=me, name="My script")
    return World(me, colleague, own_entry, other_entry, key, token)


@pytest.fixture
def world(request):
    return _world(request.param)


def _client_for(world: World):
    from django.test import Client

    client = Client()
    if world.me is not None:
        client.force_login(world.me)
    return client


# --- every admin URL ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminUrl:
    name: str  # the URL name without "admin:"
    model: type | None  # the model whose admin defines it (None: the site's own)
    view: str  # changelist/add/change/delete/history, or "custom"
    kwargs: tuple  # (name, value source) pairs


def _admin_urls() -> list[AdminUrl]:
    urls = [AdminUrl("index", None, "site", ())]
    for app_label in sorted({m._meta.app_label for m in admin.site._registry}):
        urls.append(AdminUrl("app_list", None, "site", (("app_label", app_label),)))
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda i: i[0]._meta.label):
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            if not pattern.name:
                continue  # the old-style "<id>/" redirect to the change view
            view = pattern.name.removeprefix(prefix)
            if not pattern.name.startswith(prefix) or view not in STANDARD:
                view = "custom"
            keys = tuple(getattr(pattern.pattern, "converters", {}))
            urls.append(AdminUrl(pattern.name, model, view, tuple((k, k) for k in keys)))
    return urls


ADMIN_URLS = _admin_urls()


def _value(model, key: str, world: World) -> str:
    if key == "app_label":
        return ""
    if key in ("object_id", "pk", "id"):
        if model is TimeEntry:
            return str(world.other_entry.pk)  # somebody else's hours: the hardest case
        if model is ApiToken:
            return str(world.colleague_token.pk)  # somebody else's token, likewise
        obj = model._default_manager.order_by("pk").first()
        return str(obj.pk) if obj is not None else "999999"
    if key == "binding_id":
        return str(Binding.objects.order_by("pk").first().pk)
    if key == "local_id":
        return str(world.other_entry.project.customer_id)
    if key == "entity":
        return "customer"
    if key == "fmt":
        return "csv"
    return "1"


def _reverse(url: AdminUrl, world: World) -> str | None:
    kwargs = {}
    for key, _source in url.kwargs:
        kwargs[key] = _value(url.model, key, world)
    if url.name == "app_list":
        kwargs = dict(url.kwargs)
    try:
        return reverse(f"admin:{url.name}", kwargs=kwargs)
    except NoReverseMatch:
        return None


def _model_perms(user, model) -> set[str]:
    opts = model._meta
    return {
        action
        for action in ("view", "add", "change", "delete")
        if user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
    }


# What PRODUCT.md says in so many words, checked by name on top of the generic rules below:
# the role gets the screen (200, or a redirect within it); every other role is refused.
PRODUCT_SCREENS = {
    "orders_order_create": {roles.ADMIN},  # "an admin picks approved, unbilled hours"
    "accounts_user_add": {roles.ADMIN},  # "colleagues are invited by e-mail (Users → Add user)"
    "integrations_connection_changelist": {roles.ADMIN, roles.SUPPORT},
    "integrations_connection_connect": {roles.ADMIN},  # the onboarding wizard
    "integrations_sync_center": {roles.ADMIN, roles.SUPPORT},
    "integrations_sync_history": {roles.ADMIN, roles.SUPPORT},
    "core_auditrecord_changelist": {roles.ADMIN, roles.SUPPORT},
    "axes_accessattempt_changelist": {roles.ADMIN, roles.SUPPORT},
    "timesheets_timeentry_changelist": {
        roles.ADMIN,
        roles.PROJECT_MANAGER,
        roles.EMPLOYEE,
        roles.SUPPORT,
    },
    "timesheets_timeentry_add": {roles.ADMIN, roles.PROJECT_MANAGER, roles.EMPLOYEE},
    "projects_project_add": {roles.ADMIN, roles.PROJECT_MANAGER},
    "customers_customer_changelist": {
        roles.ADMIN,
        roles.PROJECT_MANAGER,
        roles.EMPLOYEE,
        roles.SUPPORT,
    },
}

NEEDS = {
    "changelist": {"view", "change"},
    "change": {"view", "change"},
    "history": {"view", "change"},
}
NEEDS |= {"add": {"add"}, "delete": {"delete"}, "custom": {"view", "change"}}


def _login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def _refused(response, client=None) -> bool:
    """403, the login page, the admin's "no such object" redirect to its index, or a redirect
    (a GET on a POST-only view) to a page that refuses in turn."""
    if response.status_code in (403, 404, 405) or _login_redirect(response):
        return True
    if response.status_code != 302:
        return False
    target = urlparse(response["Location"]).path
    if target == reverse("admin:index"):
        return True
    return client is not None and _refused(client.get(response["Location"]))


def _granted(response, path: str, url: AdminUrl) -> bool:
    if response.status_code == 200:
        return True
    if response.status_code == 302 and url.model is not None:
        opts = url.model._meta
        return response["Location"].startswith(f"/admin/{opts.app_label}/{opts.model_name}/")
    return False


def _hours_of_others_shown(response, world: World) -> bool:
    return "COLLEAGUE-SECRET-HOURS" in response.content.decode(errors="replace")


def _token_key_shown(response, world: World) -> bool:
    return world.colleague_key in response.content.decode(errors="replace")


@pytest.mark.parametrize("world", ROLES, indirect=True, ids=lambda r: r or "anonymous")
def test_every_admin_url_answers_each_role_as_its_permissions_say(world):
    client = _client_for(world)
    request = RequestFactory().get("/")
    request.user = world.me or AnonymousUser()
    role = next(iter(world.me.groups.values_list("name", flat=True)), None) if world.me else None
    sees_all_hours = world.me is not None and world.me.has_perm("timesheets.view_all_timeentry")
    problems, checked = [], 0
    for url in ADMIN_URLS:
        path = _reverse(url, world)
        assert path is not None, url
        response = client.get(path)
        checked += 1
        status = f"{url.name} ({path}): {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"server error: {status}")
            continue
        if world.me is None:
            if not _login_redirect(response):
                problems.append(f"anonymous not sent to the login page: {status}")
            continue
        if url.name in PRODUCT_SCREENS:
            wanted = role in PRODUCT_SCREENS[url.name]
            if wanted and not _granted(response, path, url):
                problems.append(f"PRODUCT.md gives {role} this screen: {status}")
            if not wanted and not _refused(response, client):
                problems.append(f"PRODUCT.md refuses {role} this screen: {status}")
        if not sees_all_hours and _hours_of_others_shown(response, world):
            problems.append(f"{role} sees a colleague's hours: {status}")
        if _token_key_shown(response, world):  # administrators included
            problems.append(f"{role} reads a colleague's API token key: {status}")
        if url.model is None:
            continue
        has = _model_perms(world.me, url.model)
        if not has & NEEDS[url.view]:
            if not _refused(response, client):
                problems.append(f"{role} lacks {sorted(NEEDS[url.view])} but got {status}")
            if url.view == "custom":  # buttons (fetch now, full sync, ...) are POSTs
                posted = client.post(path, {})
                if not _refused(posted, client):
                    problems.append(f"{role} may POST to {url.name}: {posted.status_code}")
        elif url.view in ("changelist", "add") and not _granted(response, path, url):
            model_admin = admin.site._registry[url.model]
            allows = (
                model_admin.has_add_permission(request)
                if url.view == "add"
                else model_admin.has_view_or_change_permission(request)
            )
            if allows:
                problems.append(f"{role} holds {sorted(has)} but is refused: {status}")
    assert checked > 100
    assert not problems, "\n".join(problems)
    # Refused POSTs did nothing: no job queued, nothing in anybody's history.
    assert not OrmQ.objects.exists()
    assert not LogEntry.objects.exists()


# --- every API endpoint -----------------------------------------------------------------------


def _api_endpoints() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    found = [(method.upper(), path) for path, ops in schema["paths"].items() for method in ops]
    return [("GET", "/api/v1/"), *found]


API_ENDPOINTS = _api_endpoints()
NO_LOGIN_NEEDED = {("POST", "/api/v1/auth/token/")}


def _api_path(path: str, world: World, *, others: bool = False) -> str:
    if "{id}" not in path:
        return path
    resolver_model = {
        "time-entries": lambda: (
            (world.own_entry if world.own_entry and not others else world.other_entry).pk
        ),
        "projects": lambda: world.other_entry.project_id,
        "tasks": lambda: world.other_entry.project.tasks.first().pk,
        "work-types": lambda: world.other_entry.work_type_id,
        "tokens": lambda: world.colleague_token.pk,
        "customers": lambda: world.other_entry.project.customer_id,
    }
    collection = path.split("/")[3]
    return path.replace("{id}", str(resolver_model[collection]()))


def _api_allowed(method: str, path: str, user) -> bool:
    """What the endpoint's own permission classes say for this user (its declared rule)."""
    from django.urls import resolve
    from rest_framework.request import Request

    match = resolve(path)
    cls = match.func.cls
    view = cls(**getattr(match.func, "initkwargs", {}))
    actions = getattr(match.func, "actions", None) or {}
    view.action = actions.get(method.lower())
    view.kwargs, view.args, view.format_kwarg = match.kwargs, (), None
    http = getattr(RequestFactory(), method.lower())(path)
    http.user = user
    request = Request(http)
    request.user = user
    view.request = request
    return all(p.has_permission(request, view) for p in view.get_permissions())


# Each role's answer as PRODUCT.md puts it: may they call it at all (the service may still
# refuse the particular row or step with a 400).
API_PRODUCT = {
    ("GET", "/api/v1/time-entries/"): {
        roles.ADMIN,
        roles.PROJECT_MANAGER,
        roles.EMPLOYEE,
        roles.SUPPORT,
    },
    ("POST", "/api/v1/time-entries/"): {roles.ADMIN, roles.PROJECT_MANAGER, roles.EMPLOYEE},
    ("DELETE", "/api/v1/time-entries/{id}/"): {roles.ADMIN, roles.PROJECT_MANAGER, roles.EMPLOYEE},
    ("GET", "/api/v1/projects/"): {
        roles.ADMIN,
        roles.PROJECT_MANAGER,
        roles.EMPLOYEE,
        roles.SUPPORT,
    },
    ("GET", "/api/v1/me/"): {roles.ADMIN, roles.PROJECT_MANAGER, roles.EMPLOYEE, roles.SUPPORT},
}


@pytest.mark.parametrize("world", ROLES, indirect=True, ids=lambda r: r or "anonymous")
def test_every_api_endpoint_answers_each_role_as_its_permissions_say(world):
    api = APIClient()
    if world.me is not None:
        api.force_authenticate(world.me)
    role = next(iter(world.me.groups.values_list("name", flat=True)), None) if world.me else None
    problems = []
    for method, template in API_ENDPOINTS:
        path = _api_path(template, world)
        response = getattr(api, method.lower())(path, {}, format="json")
        status = f"{method} {path}: {response.status_code}"
        if response.status_code >= 500:
            problems.append(f"server error: {status}")
            continue
        if (method, template) in NO_LOGIN_NEEDED:
            continue
        if world.me is None:
            if response.status_code != 401:
                problems.append(f"anonymous not asked to log in: {status}")
            continue
        allowed = _api_allowed(method, path, world.me)
        if (method, template) in API_PRODUCT:
            assert allowed == (role in API_PRODUCT[method, template]), (role, method, template)
        if not allowed and response.status_code != 403:
            problems.append(f"{role} may not call it but got {status}")
        if allowed and response.status_code in (401, 403):
            problems.append(f"{role} may call it but was refused: {status}")
    assert not problems, "\n".join(problems)


# --- nobody sees a colleague's hours through any path -------------------------------------------

LIMITED = [roles.EMPLOYEE, roles.PROJECT_MANAGER]


@pytest.mark.parametrize("world", LIMITED, indirect=True)
def test_a_colleagues_hours_stay_hidden_in_every_path(world):
    from apps.timesheets.services import time_entry_transition

    time_entry_transition(actor=world.colleague, entry=world.other_entry, action="submit")
    other, mine = world.other_entry, world.own_entry
    client = _client_for(world)
    api = APIClient()
    api.force_authenticate(world.me)

    # Admin: the list, the approval trail, the entry itself, its history and delete page.
    listed = client.get(reverse("admin:timesheets_timeentry_changelist"))
    assert [e.pk for e in listed.context["cl"].result_list] == [mine.pk]
    trail = client.get(reverse("admin:timesheets_timeentrytransition_changelist"))
    assert other.pk not in {t.entry_id for t in trail.context["cl"].result_list}
    for view in ("change", "history", "delete"):
        response = client.get(reverse(f"admin:timesheets_timeentry_{view}", args=[other.pk]))
        assert response.status_code == 302, view  # "does not exist" for them
        assert "COLLEAGUE-SECRET-HOURS" not in response.content.decode()
    # Every bulk action they are offered (exports too), with the colleague's row selected.
    actions = listed.context["action_form"].fields["action"].choices
    for action, _label in actions:
        if not action:
            continue
        response = client.post(
            reverse("admin:timesheets_timeentry_changelist"),
            {"action": action, "_selected_action": [other.pk], "post": "yes", "reason": "x"},
            follow=True,
        )
        assert "COLLEAGUE-SECRET-HOURS" not in response.content.decode(errors="replace"), action
    other.refresh_from_db()
    assert other.status == TimeEntry.Status.SUBMITTED
    assert not TimeEntry.objects.filter(pk=other.pk, transitions__actor=world.me).exists()

    # API: the list, filtered by the colleague, the entry by id, and every write on it.
    ids = [row["id"] for row in api.get("/api/v1/time-entries/").json()["results"]]
    assert ids == [mine.pk]
    filtered = api.get("/api/v1/time-entries/", {"user": world.colleague.pk}).json()["results"]
    assert filtered == []
    project = api.get("/api/v1/time-entries/", {"project": other.project_id}).json()["results"]
    assert project == []
    detail = f"/api/v1/time-entries/{other.pk}/"
    assert api.get(detail).status_code == 404
    assert api.patch(detail, {"description": "mine now"}, format="json").status_code == 404
    assert api.delete(detail).status_code == 404
    for step in ("approve-user", "approve-project", "reject", "lock", "reopen", "submit"):
        assert api.post(f"{detail}{step}/", {"reason": "x"}, format="json").status_code == 404
    bulk = api.post(
        "/api/v1/time-entries/bulk-transition/",
        {"ids": [other.pk], "action": "approve_user"},
        format="json",
    )
    if bulk.status_code == 200:  # an approver: the answer names the id as not found
        assert bulk.json()["moved"] == []
        assert "may not see it" in bulk.json()["refused"][0]["reason"]
    else:
        assert bulk.status_code == 403
    other.refresh_from_db()
    assert (other.status, other.description) == (
        TimeEntry.Status.SUBMITTED,
        "COLLEAGUE-SECRET-HOURS",
    )


@pytest.mark.parametrize("world", [roles.SUPPORT, roles.ADMIN], indirect=True)
def test_support_and_administrators_see_everybodys_hours(world):
    client = _client_for(world)
    listed = client.get(reverse("admin:timesheets_timeentry_changelist"))
    assert {e.pk for e in listed.context["cl"].result_list} >= {world.other_entry.pk}
    api = APIClient()
    api.force_authenticate(world.me)
    assert api.get(f"/api/v1/time-entries/{world.other_entry.pk}/").status_code == 200


# --- nobody gives themselves rights they were not given -----------------------------------------


def _project_form(project, rows: list[dict]) -> dict:
    data = {
        "name": project.name,
        "customer": project.customer_id,
        "status": project.status,
        "default_work_type": project.default_work_type_id or "",
        "needs_approval": "on" if project.needs_approval else "",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"memberships-{i}-{key}": value for key, value in row.items()})
    return data


@pytest.mark.parametrize("world", ROLES[:-1], indirect=True, ids=lambda r: r)
def test_memberships_are_granted_only_by_those_who_may_grant_them(world):
    from apps.projects.models import ProjectMember

    role = next(iter(world.me.groups.values_list("name", flat=True)))
    other, approver = world.other_entry.project, manager_role()
    held = ProjectMemberFactory(project=other, user=employee(email="held@example.no"), role=None)
    client = _client_for(world)

    # On a project they do not manage: join it as its approver, in every screen that could.
    client.post(
        reverse("admin:projects_projectmember_add"),
        {"project": other.pk, "user": world.me.pk, "role": approver.pk},
    )
    client.post(
        reverse("admin:projects_project_change", args=[other.pk]),
        _project_form(other, [{"user": world.me.pk, "role": approver.pk}]),
    )
    client.post(
        reverse("admin:projects_projectmember_change", args=[held.pk]), {"role": approver.pk}
    )
    client.post(reverse("admin:projects_projectmember_delete", args=[held.pk]), {"post": "yes"})

    joined = ProjectMember.objects.filter(project=other, user=world.me).exists()
    held = ProjectMember.objects.filter(pk=held.pk).first()
    if role == roles.ADMIN:
        assert joined and held is None
        return
    assert not joined, f"{role} put themselves on a project they do not manage"
    assert held is not None and held.role is None, f"{role} changed another project's member"
    # ... so the colleague's hours there stay out of reach (support sees, never approves, all).
    api = APIClient()
    api.force_authenticate(world.me)
    listed = api.get("/api/v1/time-entries/", {"project": other.pk}).json()
    if role != roles.SUPPORT:
        assert listed.get("results", []) == []
    before = world.other_entry.status
    api.post(f"/api/v1/time-entries/{world.other_entry.pk}/approve-project/", {})
    world.other_entry.refresh_from_db()
    assert world.other_entry.status == before

    # On their own project: a manager staffs it; nobody else may.
    own = world.own_entry.project
    newcomer = employee(email="newcomer@example.no")
    client.post(
        reverse("admin:projects_projectmember_add"),
        {"project": own.pk, "user": newcomer.pk, "role": approver.pk},
    )
    staffed = ProjectMember.objects.filter(project=own, user=newcomer, role=approver).exists()
    assert staffed == (role == roles.PROJECT_MANAGER), role
