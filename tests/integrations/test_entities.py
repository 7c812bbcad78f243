"""The entity registry: one place per object type, and an order that follows the references."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

from apps.integrations import entities, labels
from apps.integrations.adapters import ADAPTER_MODULES
from apps.integrations.connectors.base import Entity
from apps.integrations.connectors.twentyfourseven import mappers
from apps.integrations.registry import adapter_for

APP = Path(__file__).resolve().parents[2] / "apps" / "integrations"


def test_every_object_type_has_words_an_order_and_a_direction():
    assert set(entities.ENTITIES) == {str(e) for e in Entity}
    for key, found in entities.ENTITIES.items():
        assert str(found.label) and str(found.singular), key
        assert key in entities.ORDER
        assert found.directions <= {entities.PULL, entities.PUSH} and found.directions
        assert found.default_master in (entities.ERP, entities.TIDSBRO, entities.BOTH)


def test_synced_object_types_have_fields_and_a_local_model():
    for key, found in entities.ENTITIES.items():
        if found.pulled or entities.PUSH in found.directions:
            assert found.fields, key
            assert found.model, key
        if found.model:
            assert entities.local_model(key) is apps.get_model(found.model)
    with pytest.raises(LookupError):
        entities.local_model("client")  # Tidsbro keeps no client records


def test_the_order_puts_what_a_type_refers_to_first():
    for key, found in entities.ENTITIES.items():
        for name, target in found.references.items():
            assert name in found.fields or not found.fields, (key, name)
            assert entities.position(target) < entities.position(key), (key, name, target)
    order = entities.ORDER
    assert order.index("customer") < order.index("project")
    for before in ("project", "work_type", "user", "task"):
        assert order.index(before) < order.index("hour")


def test_the_sync_order_is_the_pulled_types_in_that_order():
    assert entities.SYNC_ORDER == (
        "user",
        "customer",
        "work_type",
        "project",
        "participant",
        "task",
    )
    assert list(entities.SYNC_ORDER) == [k for k in entities.ORDER if k in entities.SYNC_ORDER]
    assert entities.in_sync_order(["task", "hour", "customer"]) == ["customer", "task"]
    assert set(entities.default_masters()) == set(entities.SYNC_ORDER)


def test_users_and_members_are_never_pushed_and_hours_never_pulled():
    assert not entities.allows("user", entities.PUSH)
    assert not entities.allows("participant", entities.PUSH)
    assert not entities.allows("hour", entities.PULL)
    assert entities.allows("customer", entities.PUSH)  # where the system can take them


@pytest.mark.django_db
def test_every_adapter_reads_its_fields_from_the_registry():
    for key in ("customer", "project", "work_type", "task", "participant", "hour"):
        assert tuple(adapter_for(key).fields) == entities.fields(key), key
    # 24SevenOffice holds every canonical field but the customer's active flag.
    assert mappers.CUSTOMER_FIELDS == tuple(
        f for f in entities.fields("customer") if f != "is_active"
    )
    assert mappers.PROJECT_FIELDS == entities.fields("project")


def test_no_adapter_imports_a_connector_package():
    for name in ADAPTER_MODULES:
        tree = ast.parse((APP / "adapters" / f"{name}.py").read_text())
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        assert not [m for m in imported if ".connectors." in m], name


def test_labels_come_from_the_registry_and_name_no_system():
    assert labels.entity_label("work_type") == "work types"
    assert labels.entity_singular("participant") == "project member"
    assert labels.entity_label("something_new") == "something new"
    assert labels.kind_label("pull") == "fetched"
    assert labels.kind_label("push", system="Acme ERP") == "sent to Acme ERP"
    assert labels.kind_label("reconcile", system="Acme ERP") == "checked against Acme ERP"
    assert [k for k, _label in labels.entity_choices()] == list(entities.ORDER)
    assert "24" not in (APP / "labels.py").read_text()


def test_canonical_values_are_normalised():
    assert entities.text("  Nordvik  ") == "Nordvik"
    assert entities.text(None) == ""
    assert entities.text("abcdef", 3) == "abc"
    assert entities.money("12.345") == "12.35"
    assert entities.money("abc") is None
    assert entities.id_list([12, "3", "3", None, ""]) == ["3", "12"]
    assert entities.id_list(["b", "a"]) == ["a", "b"]


def test_nothing_outside_a_connector_package_reaches_into_its_client():
    found = []
    for path in (APP.parent).rglob("*.py"):
        if "/connectors/" in path.as_posix() or "/migrations/" in path.as_posix():
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "connector.client" in line:
                found.append(f"{path}:{number}")
    assert found == []
