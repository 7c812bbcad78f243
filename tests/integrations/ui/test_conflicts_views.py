"""The conflict screen: base, Tidsbro and 24SevenOffice values side by side; the chosen or
typed value is kept, the decision recorded and logged; wrong input changes nothing."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, OutboxItem
from apps.integrations.services import DEFAULT_MASTERS
from apps.projects.models import Project
from tests.accounts.factories import admin_user, support_user
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db


@pytest.fixture
def binding() -> Binding:
    connection = connection_24so(
        username="api@example.no",
        password="secret",
        connected=["customer", "project"],
        masters=dict(DEFAULT_MASTERS),
    )
    customer = Customer.objects.create(name="Havbris AS", number="10001")
    project = Project.objects.create(
        name="Portal v2", number=4711, description="Ours", customer=customer, needs_approval=True
    )
    binding = Binding.objects.create(
        connection=connection,
        entity="project",
        local_id=project.pk,
        external_id="4711",
        state=Binding.State.CONFLICT,
        snapshot={"name": "Portal", "description": "Old", "needs_approval": False},
    )
    for field, base, local, remote in [
        ("name", "Portal", "Portal v2", "Portal 2.0"),
        ("description", "Old", "Ours", "Theirs"),
        ("needs_approval", False, True, False),
    ]:
        Conflict.objects.create(
            binding=binding, field=field, base_value=base, local_value=local, remote_value=remote
        )
    return binding


def url(binding) -> str:
    return reverse("admin:integrations_conflict_resolve", args=[binding.pk])


def test_the_screen_shows_base_tidsbro_and_24so_side_by_side(client, binding):
    client.force_login(support_user())
    response = client.get(url(binding))
    rows = {r["field"]: r for r in response.context["rows"]}
    assert (rows["name"]["base"], rows["name"]["local"], rows["name"]["remote"]) == (
        "Portal",
        "Portal v2",
        "Portal 2.0",
    )
    assert rows["needs_approval"]["local"] == "yes"
    assert 'data-side="remote"' in response.content.decode()


def test_each_field_keeps_the_chosen_or_typed_value_and_the_decision_is_logged(client, binding):
    boss = admin_user()
    client.force_login(boss)
    response = client.post(
        url(binding),
        {
            "choice-name": "remote",
            "choice-description": "merged",
            "merged-description": "Ours and theirs",
            "choice-needs_approval": "local",
        },
        follow=True,
    )
    assert "The conflict is resolved" in response.content.decode()
    project = Project.objects.get(pk=binding.local_id)
    assert (project.name, project.description, project.needs_approval) == (
        "Portal 2.0",
        "Ours and theirs",
        True,
    )
    done = {c.field: c for c in Conflict.objects.filter(binding=binding)}
    assert {f: c.resolution for f, c in done.items()} == {
        "name": "kept_remote",
        "description": "merged",
        "needs_approval": "kept_local",
    }
    assert all(c.resolved_by == boss and c.resolved_at for c in done.values())
    binding.refresh_from_db()
    assert binding.state == Binding.State.LINKED
    # The fields 24SO has not got yet keep its value as the base: the push sends them.
    assert binding.snapshot["name"] == "Portal 2.0"
    assert binding.snapshot["description"] == "Theirs"
    assert binding.snapshot["needs_approval"] is False
    assert OutboxItem.objects.filter(entity="project", local_id=project.pk).count() == 1
    entry = LogEntry.objects.get(object_id=str(project.pk))
    assert "Resolved the conflict" in entry.get_change_message()


def test_a_field_left_without_a_choice_is_refused_and_nothing_changes(client, binding):
    client.force_login(admin_user())
    response = client.post(url(binding), {"choice-name": "remote"})
    assert response.status_code == 200
    assert "Choose a value for every field" in response.content.decode()
    assert Conflict.objects.filter(binding=binding, resolved_at__isnull=True).count() == 3
    assert Project.objects.get(pk=binding.local_id).name == "Portal v2"
    assert not OutboxItem.objects.exists()


def test_a_merged_value_of_the_wrong_kind_is_refused(client, binding):
    Conflict.objects.filter(binding=binding, field="name").update(local_value=3, remote_value=4)
    client.force_login(admin_user())
    response = client.post(
        url(binding),
        {
            "choice-name": "merged",
            "merged-name": "three",
            "choice-description": "local",
            "choice-needs_approval": "local",
        },
    )
    assert "is not a whole number" in response.content.decode()
    assert Conflict.objects.filter(binding=binding, resolved_at__isnull=True).count() == 3


def test_support_without_resolve_permission_only_looks(client, binding):
    user = support_user()
    user.groups.first().permissions.remove(
        *user.groups.first().permissions.filter(codename="resolve_conflict")
    )
    client.force_login(user)
    assert client.get(url(binding)).status_code == 200
    assert client.post(url(binding), {"choice-name": "remote"}).status_code == 403
