"""The "24SO sandbox" admin section: play the 24SO side, read the log, turn the knobs."""

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.sandbox.twentyfourseven.models import (
    Company,
    Hour,
    Knobs,
    Project,
    RequestLog,
    Session,
)
from apps.sandbox.twentyfourseven.runtime import knobs_get
from apps.sandbox.twentyfourseven.seed import seed
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = ["company", "project", "task", "hour", "requestlog", "person", "worktype", "session"]


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.fixture
def staff_without_permission():
    return UserFactory(is_superuser=False)


@pytest.fixture
def seeded():
    seed()


def test_models_say_24so_sandbox_in_their_names():
    from django.apps import apps

    config = apps.get_app_config("sandbox_24so")
    assert str(config.verbose_name) == "24SO sandbox"
    for model in config.get_models():
        assert str(model._meta.verbose_name_plural).startswith("24SO sandbox"), model


@pytest.mark.parametrize("name", LISTS)
def test_sandbox_lists_render_for_a_superuser(client, superuser, seeded, name):
    client.force_login(superuser)
    response = client.get(reverse(f"admin:sandbox_24so_{name}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["company", "project", "hour", "knobs"])
def test_sandbox_pages_are_forbidden_without_permission(
    client, staff_without_permission, seeded, name
):
    client.force_login(staff_without_permission)
    response = client.get(reverse(f"admin:sandbox_24so_{name}_changelist"))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name, model", [("company", Company), ("project", Project), ("hour", Hour)]
)
def test_list_screens_use_a_constant_number_of_queries(
    client, superuser, seeded, django_assert_max_num_queries, name, model
):
    client.force_login(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(reverse(f"admin:sandbox_24so_{name}_changelist"))
    assert response.context["cl"].result_count == model.objects.count()


def test_editing_a_company_stamps_date_changed_for_changed_after_sync(client, superuser, seeded):
    client.force_login(superuser)
    company = Company.objects.get(client__client_id=2400101, company_id=10001)
    before = timezone.now()
    url = reverse("admin:sandbox_24so_company_change", args=[company.pk])
    response = client.post(
        url,
        {
            "client": company.client_id,
            "company_id": company.company_id,
            "name": "Havbris AS (fra 24SO)",
            "type": "Business",
            "active": "on",
            "organization_number": company.organization_number,
            "external_id": "",
            "email": company.email,
            "phone": company.phone,
            "country": "NO",
            "note": "",
            "data": "{}",
        },
    )
    assert response.status_code == 302, response.content
    company.refresh_from_db()
    assert company.name == "Havbris AS (fra 24SO)"
    assert company.date_changed >= before


def test_adding_a_project_without_number_gets_the_next_one(client, superuser, seeded):
    client.force_login(superuser)
    project = Project.objects.filter(client__client_id=2400101).first()
    response = client.post(
        reverse("admin:sandbox_24so_project_add"),
        {
            "client": project.client_id,
            "project_id": "",
            "name": "Fra admin",
            "version": 1,
            "time_reg": "WorkType",
            "need_approval": "none",
            "name_display": "Plain",
            "data": "{}",
            "participants-TOTAL_FORMS": "0",
            "participants-INITIAL_FORMS": "0",
            "participants-MIN_NUM_FORMS": "0",
            "participants-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content
    created = Project.objects.get(name="Fra admin")
    assert created.project_id == 1031
    assert created.date_registered and created.date_changed


def test_request_log_is_read_only(client, superuser, seeded):
    entry = RequestLog.objects.create(service="auth", operation="Login", http_status=200)
    client.force_login(superuser)
    assert client.get(reverse("admin:sandbox_24so_requestlog_add")).status_code == 403
    url = reverse("admin:sandbox_24so_requestlog_change", args=[entry.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b'name="operation"' not in response.content
    assert (
        client.post(
            reverse("admin:sandbox_24so_requestlog_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )


def test_knobs_list_goes_straight_to_the_single_row(client, superuser, seeded):
    client.force_login(superuser)
    response = client.get(reverse("admin:sandbox_24so_knobs_changelist"))
    knobs = Knobs.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:sandbox_24so_knobs_change", args=[knobs.pk])
    page = client.get(response.url)
    assert b"Expire all sessions now" in page.content


def test_knobs_change_at_runtime(client, superuser, seeded):
    client.force_login(superuser)
    knobs = knobs_get()
    response = client.post(
        reverse("admin:sandbox_24so_knobs_change", args=[knobs.pk]),
        {
            "latency_ms": 250,
            "fault_rate": 0.25,
            "fault_error": "on",
            "fault_drop": "on",
            "slow_seconds": 35,
            "fault_seed": 99,
            "session_idle_seconds": 600,
            "rate_limit_per_hour": 100,
        },
    )
    assert response.status_code == 302
    knobs.refresh_from_db()
    assert (knobs.latency_ms, knobs.fault_rate, knobs.fault_drop, knobs.fault_slow) == (
        250,
        0.25,
        True,
        False,
    )
    assert (knobs.fault_seed, knobs.session_idle_seconds, knobs.rate_limit_per_hour) == (
        99,
        600,
        100,
    )


def test_expire_sessions_button_needs_post_and_permission(
    client, superuser, staff_without_permission, seeded
):
    url = reverse("admin:sandbox_24so_knobs_expire_sessions")
    client.force_login(staff_without_permission)
    assert client.post(url).status_code == 403
    assert knobs_get().sessions_expire_before is None
    client.force_login(superuser)
    assert client.get(url).status_code == 302  # a GET changes nothing
    assert knobs_get().sessions_expire_before is None
    response = client.post(url, follow=True)
    assert b"All 24SO sandbox sessions expired." in response.content
    assert knobs_get().sessions_expire_before is not None


def test_knobs_start_from_settings(settings):
    settings.SANDBOX_24SO = {**settings.SANDBOX_24SO, "LATENCY_MS": 40, "RATE_LIMIT_PER_HOUR": 9}
    knobs = knobs_get()
    assert (knobs.latency_ms, knobs.rate_limit_per_hour) == (40, 9)


def test_session_keys_are_not_shown_in_the_admin(client, superuser, seeded):
    from apps.sandbox.twentyfourseven.models import Identity
    from apps.sandbox.twentyfourseven.runtime import session_create

    session = session_create(identity=Identity.objects.first())
    client.force_login(superuser)
    response = client.get(reverse("admin:sandbox_24so_session_changelist"))
    assert session.key.encode() not in response.content
    assert Session.objects.count() == 1
