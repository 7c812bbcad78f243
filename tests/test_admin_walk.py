"""Every admin screen renders for a superuser, with rows present."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import Schedule

from apps.accounts.services import api_token_create, user_invite
from apps.timesheets.models import TimeEntryTransition
from apps.timesheets.services import time_entry_transition
from tests.accounts.factories import UserFactory, employee
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectMemberFactory, manager_role
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


def _add_demo_rows(superuser) -> None:
    """One more row of each of our models, each with its own related rows."""
    worker = employee()
    member = ProjectMemberFactory(user=worker, role=manager_role())
    CustomerFactory(erp_owned=True, erp_system="24SevenOffice")
    TaskFactory(project=member.project, assignees=[worker])
    entry = TimeEntryFactory(user=worker, project=member.project)
    time_entry_transition(actor=worker, entry=entry, action=TimeEntryTransition.Action.SUBMIT)
    TimeEntryFactory(user=worker, project=member.project)
    user_invite(email=f"invitee-{worker.pk}@example.no", invited_by=superuser, base_url="x")
    api_token_create(user=worker, name="Script")


@pytest.fixture
def demo_rows(superuser):
    """At least one row of every model with an admin, so changelists render rows."""
    _add_demo_rows(superuser)
    Schedule.objects.create(func="math.floor", args="1.5", name="demo schedule")


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _assert_stays_on_model(response, model) -> None:
    prefix = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    for url, _status in response.redirect_chain:
        assert url.startswith(prefix), (model._meta.label, url)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_every_changelist_renders_with_rows(client, superuser, demo_rows):
    client.force_login(superuser)
    for model, _model_admin in _registered():
        response = client.get(_url(model, "changelist"), follow=True)
        assert response.status_code == 200, model._meta.label
        if response.redirect_chain:
            # A one-row settings model may send its list straight to that row.
            _assert_stays_on_model(response, model)
        elif model._default_manager.exists():
            assert response.context["cl"].result_count > 0, model._meta.label


def test_every_add_form_renders_or_is_forbidden(client, superuser, demo_rows):
    client.force_login(superuser)
    request = RequestFactory().get("/")
    request.user = superuser
    for model, model_admin in _registered():
        response = client.get(_url(model, "add"))
        expected = 200 if model_admin.has_add_permission(request) else 403
        if response.status_code == 302 and expected == 200:
            # Adding is a wizard of its own (connections): it must render.
            assert response.url.startswith("/admin/"), model._meta.label
            response = client.get(response.url)
        assert response.status_code == expected, model._meta.label


def test_every_change_form_renders_for_one_object(client, superuser, demo_rows):
    client.force_login(superuser)
    walked = []
    for model, _model_admin in _registered():
        obj = model._default_manager.order_by("pk").first()
        if obj is None:
            continue  # django-q's task results: nothing has run in a test
        response = client.get(_url(model, "change", obj.pk))
        assert response.status_code == 200, model._meta.label
        walked.append(model._meta.label)
    for label in [
        "accounts.User",
        "accounts.Invitation",
        "customers.Customer",
        "projects.Project",
        "projects.ProjectMember",
        "projects.ProjectRole",
        "worktypes.WorkType",
        "tasks.Task",
        "timesheets.TimeEntry",
        "timesheets.TimeEntryTransition",
    ]:
        assert label in walked


def test_index_lists_every_domain_model(client, superuser):
    client.force_login(superuser)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    for model, _model_admin in _registered():
        assert _url(model, "changelist") in response.content.decode(), model._meta.label


OUR_APPS = {"accounts", "customers", "projects", "worktypes", "tasks", "timesheets"}


def test_our_changelists_make_the_same_number_of_queries_for_more_rows(client, superuser):
    client.force_login(superuser)
    ours = [model for model, _admin in _registered() if model._meta.app_label in OUR_APPS]

    def count_queries() -> dict[str, int]:
        counts = {}
        for model in ours:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(_url(model, "changelist")).status_code == 200
            counts[model._meta.label] = len(queries)
        return counts

    _add_demo_rows(superuser)
    few = count_queries()
    for _ in range(4):
        _add_demo_rows(superuser)
    assert count_queries() == few


@pytest.mark.parametrize("role", ["admin", "project manager", "employee", "support", None])
def test_each_role_reaches_exactly_the_screens_its_permissions_allow(client, superuser, role):
    _add_demo_rows(superuser)
    user = UserFactory(role=role)
    client.force_login(user)
    request = RequestFactory().get("/")
    request.user = user
    for model, model_admin in _registered():
        if model._meta.app_label not in OUR_APPS:
            continue
        may_view = model_admin.has_view_or_change_permission(request)
        response = client.get(_url(model, "changelist"))
        assert response.status_code == (200 if may_view else 403), (role, model._meta.label)
        response = client.get(_url(model, "add"))
        may_add = model_admin.has_add_permission(request)
        assert response.status_code == (200 if may_add else 403), (role, model._meta.label)
