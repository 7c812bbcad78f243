"""Unimicro's eventplan deliveries reaching Tidsbro over real HTTP: the sandbox signs each
delivery with the key Tidsbro registered, Tidsbro's receiver checks it and pulls the record;
a delivery sent again (a replay) changes nothing; a key Tidsbro no longer holds is refused and
the change still arrives with the hourly poll."""

from __future__ import annotations

from typing import Any

import pytest

from apps.customers.services import customer_create
from apps.integrations.connectors.unimicro import webhooks as unimicro_webhooks
from apps.integrations.models import Conflict, SyncRun
from apps.sandbox.unimicro import deliveries
from apps.sandbox.unimicro.models_domain import EventplanDelivery
from apps.sandbox.unimicro.runtime import knobs_get
from tests.integrations.unimicro.sync_world import World, no_kick, world

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hooked(world: World, no_kick: None, live_server: Any, settings: Any) -> World:
    settings.TIDSBRO_BASE_URL = live_server.url
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "inline"}
    customer_create(data={"name": "Havbris AS", "number": "50011"})
    world.push()
    unimicro_webhooks.register(world.connection)
    world.connection.refresh_from_db()
    return world


def rename_in_unimicro(world: World, name: str) -> dict[str, Any]:
    made = world.erp_customer_by_number(50011)
    return world.erp_update(
        "Customer", made["ID"], {"Info": {"ID": made["Info"]["ID"], "Name": name}}
    )


def latest_delivery() -> EventplanDelivery:
    return EventplanDelivery.objects.filter(entity_name="Customer").latest("id")


def test_a_delivery_sent_again_changes_nothing(hooked: World):
    rename_in_unimicro(hooked, "Havbris Fisk AS")
    first = latest_delivery()
    assert first.response_code == 202
    assert Conflict.objects.filter(resolved_at__isnull=True).count() == 1
    replay = deliveries.deliver_again(first)
    deliveries.deliver(replay)
    replay.refresh_from_db()
    assert replay.response_code == 202
    assert Conflict.objects.filter(resolved_at__isnull=True).count() == 1
    webhook_runs = SyncRun.objects.filter(trigger=SyncRun.Trigger.WEBHOOK, entity="customer")
    assert webhook_runs.latest("id").conflicts == 0  # the same conflict, not news


def test_the_softrig_header_is_understood_too(hooked: World):
    knobs = knobs_get()
    knobs.signature_header = "SoftRig-Signature"
    knobs.save()
    rename_in_unimicro(hooked, "Havbris Fisk AS")
    assert latest_delivery().response_code == 202
    assert Conflict.objects.filter(remote_value="Havbris Fisk AS").exists()


def test_a_call_signed_with_an_old_key_is_refused_and_the_poll_still_brings_the_change(
    hooked: World,
):
    state = unimicro_webhooks.state_of(hooked.connection)
    unimicro_webhooks.save_state(hooked.connection, {**state, "signing_key": "f0" * 32})
    rename_in_unimicro(hooked, "Havbris Fisk AS")
    assert latest_delivery().response_code == 403
    assert not Conflict.objects.exists()
    hooked.pull(trigger="schedule")
    assert Conflict.objects.filter(remote_value="Havbris Fisk AS").exists()


def test_turning_instant_updates_off_removes_the_eventplan(hooked: World):
    assert unimicro_webhooks.status(hooked.connection) is not None
    assert unimicro_webhooks.unregister(hooked.connection) == 1
    hooked.connection.refresh_from_db()
    assert not unimicro_webhooks.is_on(hooked.connection)
    assert not [p for p in hooked.erp_all("Eventplan") if p.get("Name") == "Tidsbro"]
