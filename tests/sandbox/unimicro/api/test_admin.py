"""The Unimicro sandbox's knobs and request log in the admin: superusers only, log read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.sandbox.unimicro.models import RequestLogEntry
from apps.sandbox.unimicro.runtime import knobs_get
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.fixture
def staff():
    return UserFactory(is_superuser=False, is_staff=True)


def test_knobs_open_as_one_page_for_a_superuser_and_not_for_other_staff(client, superuser, staff):
    url = reverse("admin:sandbox_unimicro_knobs_changelist")
    client.force_login(staff)
    assert client.get(url).status_code == 403
    client.force_login(superuser)
    response = client.get(url)
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "SoftRig-Signature" in page.content.decode()


def test_a_superuser_turns_the_fault_knob_up(client, superuser):
    client.force_login(superuser)
    knobs = knobs_get()
    url = reverse("admin:sandbox_unimicro_knobs_change", args=[knobs.pk])
    response = client.post(
        url,
        {
            "latency_ms": 0,
            "fault_rate": 0.25,
            "fault_http503": "on",
            "retry_after_seconds": 3,
            "hang_seconds": 35,
            "fault_seed": 5,
            "signature_header": "SoftRig-Signature",
            "webhook_delivery": "",
        },
    )
    assert response.status_code == 302
    knobs.refresh_from_db()
    assert (knobs.fault_rate, knobs.retry_after_seconds, knobs.signature_header) == (
        0.25,
        3,
        "SoftRig-Signature",
    )


def test_the_request_log_lists_for_a_superuser_only_and_cannot_be_changed(
    client, superuser, staff, django_assert_max_num_queries
):
    for n in range(30):
        RequestLogEntry.objects.create(
            method="GET", path=f"/sandbox/unimicro/api/biz/c/{n}", status=200
        )
    url = reverse("admin:sandbox_unimicro_requestlogentry_changelist")
    client.force_login(staff)
    assert client.get(url).status_code == 403
    client.force_login(superuser)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.status_code == 200 and "/api/biz/c/29" in response.content.decode()
    entry = RequestLogEntry.objects.first()
    change = reverse("admin:sandbox_unimicro_requestlogentry_change", args=[entry.pk])
    assert client.post(change, {"status": 500}).status_code == 403
    assert client.get(reverse("admin:sandbox_unimicro_requestlogentry_add")).status_code == 403
