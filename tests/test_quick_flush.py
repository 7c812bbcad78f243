"""The quick flush after transactional tests (tests/conftest.py) leaves the database exactly as
Django's own flush does: every table empty but for what post_migrate writes, and that the same."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django_q.models import Schedule

from apps.accounts import roles
from apps.customers.models import Customer
from tests.accounts.factories import UserFactory
from tests.conftest import quick_flush

pytestmark = pytest.mark.django_db(transaction=True)


def _state() -> dict:
    """Every model's row count, and what post_migrate wrote, by natural key (ids differ)."""

    def perm_key(p: Permission) -> tuple:
        return (p.content_type.app_label, p.content_type.model, p.codename, p.name)

    return {
        "counts": {
            m._meta.label: m._base_manager.count()
            for m in apps.get_models(include_auto_created=True)
        },
        "content_types": sorted(ContentType.objects.values_list("app_label", "model")),
        "permissions": sorted(
            perm_key(p) for p in Permission.objects.select_related("content_type")
        ),
        "groups": {
            g.name: sorted(perm_key(p) for p in g.permissions.select_related("content_type"))
            for g in Group.objects.all()
        },
        "schedules": sorted(
            Schedule.objects.values_list("name", "func", "schedule_type", "minutes", "kwargs")
        ),
    }


def _make_a_mess() -> None:
    """Rows in ordinary tables and in the ones post_migrate fills."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name=roles.ADMIN))
    Customer.objects.create(name="Fjord AS", number="90001")
    Group.objects.create(name="left behind").permissions.add(Permission.objects.first())
    Permission.objects.filter(codename__startswith="view_").delete()
    Schedule.objects.all().delete()
    Schedule.objects.create(name="a test's schedule", func="math.floor")


def test_the_quick_flush_leaves_what_djangos_flush_leaves():
    _make_a_mess()
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)
    djangos = _state()

    for _ in range(2):  # the first may take the rows to replay; the second replays them
        _make_a_mess()
        quick_flush()
        assert _state() == djangos

    assert djangos["groups"].keys() == set(roles.ROLE_LABELS)
    assert all(djangos["groups"].values()) and djangos["content_types"]
    assert len(djangos["schedules"]) == 6  # the sync's five and the calendars' rounds
    assert "apps.calendars.jobs.round_all" in {func for _n, func, *_r in djangos["schedules"]}
    emptied = {label for label, n in djangos["counts"].items() if n}
    assert emptied == {
        "contenttypes.ContentType",
        "auth.Permission",
        "auth.Group",
        "auth.Group_permissions",
        "django_q.Schedule",
    }


def test_content_types_are_read_afresh_after_a_quick_flush():
    cached = ContentType.objects.get_for_model(Customer)
    quick_flush()
    assert ContentType.objects.get_for_model(Customer) == ContentType.objects.get(
        app_label="customers", model="customer"
    )
    assert cached.model == "customer"
