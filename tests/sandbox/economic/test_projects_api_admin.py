"""The sandbox admin's Project module and draft invoices: an office sees them, approves hours,
and an edit there is what the API serves next (a new objectVersion)."""

import pytest
from django.urls import reverse

from apps.sandbox.economic import events
from apps.sandbox.economic.models import DraftInvoice, DraftInvoiceLine, Project, TimeEntry
from apps.sandbox.economic.seed import seed
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "project",
    "projectgroup",
    "projectstatus",
    "activity",
    "activitygroup",
    "employeegroup",
    "employee",
    "timeentry",
    "draftinvoice",
]


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.fixture
def office():
    agreement = seed(demo_office=True)
    draft = DraftInvoice.objects.create(
        agreement=agreement,
        number=1,
        customer_number=1,
        customer_name="Kattegat Vindkraft A/S",
        date="2026-12-01",
        currency_code="DKK",
        layout_number=19,
        term_of_payment_number=1,
        vat_zone_number=1,
        amount="1450.00",
        last_updated="2026-12-01T10:00:00Z",
    )
    DraftInvoiceLine.objects.create(
        agreement=agreement,
        draft=draft,
        number=1,
        product_number="1010",
        description="Konsulenttimer",
        quantity=1,
        unit_net_price="1450.00",
        total_net_amount="1450.00",
    )
    return agreement


@pytest.mark.parametrize("name", LISTS)
def test_the_project_module_and_drafts_are_listed_for_a_superuser(
    client, superuser, office, name, django_assert_max_num_queries
):
    client.force_login(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(reverse(f"admin:sandbox_economic_{name}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["project", "timeentry", "draftinvoice"])
def test_they_are_forbidden_without_permission(client, office, name):
    client.force_login(UserFactory(is_superuser=False))
    response = client.get(reverse(f"admin:sandbox_economic_{name}_changelist"))
    assert response.status_code == 403


def test_a_draft_is_shown_with_its_lines_and_the_never_booked_note(client, superuser, office):
    client.force_login(superuser)
    draft = DraftInvoice.objects.get(number=1)
    page = client.get(reverse("admin:sandbox_economic_draftinvoice_change", args=[draft.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "never books" in text and "Konsulenttimer" in text
    assert client.get(reverse("admin:sandbox_economic_draftinvoice_add")).status_code == 403


def test_agreements_show_their_modules(client, superuser, office):
    client.force_login(superuser)
    text = client.get(reverse("admin:sandbox_economic_agreement_changelist")).content.decode()
    assert "Sales, Project" in text and "7301002" in text


def test_approving_time_entries_in_the_admin_locks_them(client, superuser, office, monkeypatch):
    emitted = []
    monkeypatch.setattr(events, "emit", lambda a, event, **f: emitted.append((event, f)))
    open_entry = TimeEntry.objects.get(number=3)
    before = open_entry.object_version
    client.force_login(superuser)
    response = client.post(
        reverse("admin:sandbox_economic_timeentry_changelist"),
        {"action": "approve", "_selected_action": [open_entry.pk]},
    )
    assert response.status_code == 302
    open_entry.refresh_from_db()
    assert open_entry.is_approved and open_entry.object_version != before
    assert emitted == [("TIMEENTRY_UPDATED", {"TIMEENTRYNUMBER": 3})]


def test_a_project_edited_in_the_admin_gets_a_new_version(client, superuser, office):
    project = Project.objects.get(number=101)
    before = (project.object_version, project.last_updated)
    client.force_login(superuser)
    url = reverse("admin:sandbox_economic_project_change", args=[project.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(agreement=project.agreement_id, name="Omdøbt", is_closed="on", closed_date_0="",
                delivery_date_0="")  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    project.refresh_from_db()
    assert project.name == "Omdøbt" and project.is_closed
    assert project.object_version != before[0] and project.last_updated >= before[1]
