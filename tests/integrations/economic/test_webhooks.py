"""Instant updates from e-conomic, end to end over real HTTP: Tidsbro registers its webhooks in
the e-conomic sandbox, the sandbox delivers its events to Tidsbro's receiver on the live
server, and the receiver pulls the named record through the engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from apps.customers.models import Customer
from apps.integrations.connectors.economic import webhooks as economic_webhooks
from apps.integrations.models import SyncRun
from apps.integrations.webhooks import SECRET_HEADER, receiver_path
from apps.sandbox.economic import deliveries
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models_webhooks import Delivery, Webhook
from tests.integrations.economic.flow_world import (
    ProjectsWorld,
    World,
    no_kick,
    world,
    world_projects,
)

__all__ = ["no_kick", "world", "world_projects"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)

HOOKS = "webhooksapi/v1.0.0"
TOKENS = {
    "X-AppSecretToken": sandbox_seed.APP_SECRET_TOKEN,
    "X-AgreementGrantToken": sandbox_seed.AGREEMENT_GRANT_TOKEN,
}


@pytest.fixture
def hooked(world: World, live_server: Any, settings: Any) -> World:
    """The office's e-conomic with Tidsbro's webhooks registered; the sandbox delivers right
    after each change (before its answer), to the live server's receiver."""
    settings.TIDSBRO_BASE_URL = live_server.url
    settings.SANDBOX_ECONOMIC = {**settings.SANDBOX_ECONOMIC, "WEBHOOK_DELIVERY": "inline"}
    world.erp_customer(101, name="Fjordlys ApS", city="Aarhus C")
    world.pull()
    registration = economic_webhooks.register(world.connection)
    assert registration.registered == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]
    world.connection.refresh_from_db()
    return world


def edit_in_economic(world: World, number: int, **changes: Any) -> requests.Response:
    """A change made in e-conomic through its API (the sandbox raises the event)."""
    url = f"{world.url}/customers/{number}"
    document = requests.get(url, headers=TOKENS, timeout=10).json()
    response = requests.put(url, json={**document, **changes}, headers=TOKENS, timeout=10)
    assert response.status_code == 200, response.text
    return response


def runs(world: World, trigger: str) -> int:
    return SyncRun.objects.filter(connection=world.connection, trigger=trigger).count()


def test_a_customer_changed_in_economic_arrives_without_a_poll(hooked: World) -> None:
    polls = runs(hooked, "manual")

    edit_in_economic(hooked, 101, city="Odense C", name="Fjordlys Odense ApS")

    customer = Customer.objects.get(number="101")
    assert (customer.name, customer.city) == ("Fjordlys Odense ApS", "Odense C")
    assert runs(hooked, "manual") == polls  # no poll ran
    run = SyncRun.objects.get(connection=hooked.connection, trigger="webhook")
    assert (run.status, run.fetched, run.updated, run.requests) == ("succeeded", 1, 1, 1)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("delivered", 202)
    assert json.loads(delivery.body) == {"eventType": "CUSTOMER_UPDATED", "number": "101"}


def test_a_customer_created_in_economic_arrives_without_a_poll(hooked: World) -> None:
    response = requests.post(
        f"{hooked.url}/customers",
        json={
            "customerNumber": 205,
            "name": "Kystbyg A/S",
            "currency": "DKK",
            "customerGroup": {"customerGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1},
            "vatZone": {"vatZoneNumber": 1},
        },
        headers=TOKENS,
        timeout=10,
    )
    assert response.status_code == 201

    assert Customer.objects.get(number="205").name == "Kystbyg A/S"


def test_webhooks_twice_and_out_of_order_leave_the_data_equal_to_a_plain_pull(
    hooked: World,
) -> None:
    deliveries.knobs_get()
    Delivery.objects.all().delete()
    knobs = deliveries.knobs_get()
    knobs.delay_seconds, knobs.duplicate_rate = 600, 1.0
    knobs.save()
    edit_in_economic(hooked, 101, city="Vejle")
    edit_in_economic(hooked, 101, city="Kolding")
    waiting = list(Delivery.objects.order_by("-id"))
    assert len(waiting) == 4 and all(d.status == "pending" for d in waiting)
    assert Customer.objects.get(number="101").city == "Aarhus C"

    for delivery in waiting:  # the newest first, each twice: late, doubled, out of order
        assert deliveries.deliver(delivery)

    assert Customer.objects.get(number="101").city == "Kolding"
    after_webhooks = {
        f: getattr(Customer.objects.get(number="101"), f) for f in ("name", "city", "email")
    }
    pull = hooked.pull(full=True)
    assert (pull.created, pull.updated, pull.conflicts) == (0, 0, 0)
    assert {
        f: getattr(Customer.objects.get(number="101"), f) for f in ("name", "city", "email")
    } == after_webhooks
    assert Customer.objects.count() == 1


def test_a_bad_secret_is_refused_and_changes_nothing(
    hooked: World, live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = live_server.url + receiver_path(system="economic", connection_id=hooked.connection.pk)
    secret = economic_webhooks.WEBHOOKS.secret(hooked.connection)
    body = json.dumps({"eventType": "CUSTOMER_UPDATED", "number": "101"})
    hooked.erp_edit(101, city="Skagen")  # changed in e-conomic, no event raised

    def post(headers: dict[str, str], data: str = body, target: str = url) -> int:
        sent = {"Content-Type": "application/json", **headers}
        return requests.post(target, data=data, headers=sent, timeout=10).status_code

    assert post({}) == 401
    assert post({SECRET_HEADER: "wrong-" + secret}) == 403
    assert (
        post({SECRET_HEADER: secret}, target=url.replace(f"/{hooked.connection.pk}/", "/999/"))
        == 404
    )
    assert post({SECRET_HEADER: secret}, target=url.replace("/economic/", "/nosuch/")) == 404
    assert requests.get(url, headers={SECRET_HEADER: secret}, timeout=10).status_code == 405
    assert post({SECRET_HEADER: secret}, data="not json") == 400
    assert post({SECRET_HEADER: secret}, data="x" * 70_000) == 413
    assert Customer.objects.get(number="101").city == "Aarhus C"
    assert runs(hooked, "webhook") == 0
    assert secret not in caplog.text and "CUSTOMER_UPDATED" not in caplog.text

    # e-conomic still sending a secret Tidsbro no longer holds: refused, nothing pulled.
    economic_webhooks._save_state(hooked.connection, webhook_secret="rotated-here-only")
    edit_in_economic(hooked, 101, city="Ribe")
    assert Delivery.objects.get().response_code == 403
    assert Customer.objects.get(number="101").city == "Aarhus C"
    assert runs(hooked, "webhook") == 0

    assert post({SECRET_HEADER: "rotated-here-only"}) == 202
    assert Customer.objects.get(number="101").city == "Ribe"


def test_polling_still_works_when_webhooks_are_dropped(hooked: World) -> None:
    knobs = deliveries.knobs_get()
    knobs.drop_rate = 1.0
    knobs.save()

    edit_in_economic(hooked, 101, city="Esbjerg")
    assert Delivery.objects.get().status == "dropped"
    assert Customer.objects.get(number="101").city == "Aarhus C"

    run = hooked.pull()

    assert run.updated == 1
    assert Customer.objects.get(number="101").city == "Esbjerg"


def test_another_apps_webhook_is_reported_not_overwritten(world: World, live_server, settings):
    settings.TIDSBRO_BASE_URL = live_server.url
    Webhook.objects.create(
        agreement=world.agreement,
        event_type="CUSTOMER_UPDATED",
        name="Other app",
        url="https://other.example/hook",
        content_type="application/json",
        last_updated="2026-01-01T00:00:00Z",
    )

    registration = economic_webhooks.register(world.connection)

    assert registration.registered == ["CUSTOMER_CREATED"]
    assert registration.others == {"CUSTOMER_UPDATED": "https://other.example/hook"}
    assert Webhook.objects.get(event_type="CUSTOMER_UPDATED").url == "https://other.example/hook"

    assert economic_webhooks.unregister(world.connection) == 1
    assert list(Webhook.objects.values_list("event_type", flat=True)) == ["CUSTOMER_UPDATED"]
    world.connection.refresh_from_db()
    assert economic_webhooks.WEBHOOKS.secret(world.connection) == ""


def test_a_new_secret_replaces_the_old_one_in_economic(hooked: World) -> None:
    old = economic_webhooks.WEBHOOKS.secret(hooked.connection)
    before = Webhook.objects.get(event_type="CUSTOMER_UPDATED").object_version

    registration = economic_webhooks.register(hooked.connection, rotate=True)

    new = economic_webhooks.WEBHOOKS.secret(hooked.connection)
    assert new != old and registration.registered == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]
    hook = Webhook.objects.get(event_type="CUSTOMER_UPDATED")
    assert hook.custom_headers == [{"key": SECRET_HEADER, "value": new}]
    assert hook.object_version != before
    assert Webhook.objects.count() == 2

    edit_in_economic(hooked, 101, city="Ribe")
    assert Customer.objects.get(number="101").city == "Ribe"


def test_webhooks_removed_in_economic_are_registered_again(hooked: World) -> None:
    """Someone deletes Tidsbro's webhooks in e-conomic; "register again" (same secret) really
    makes them again, and the changes arrive again without a poll."""
    for event in ("CUSTOMER_CREATED", "CUSTOMER_UPDATED"):
        response = requests.delete(
            f"{hooked.url}/{HOOKS}/webhooks/{event}", headers=TOKENS, timeout=10
        )
        assert response.status_code == 204, response.text
    assert economic_webhooks.status(hooked.connection).registered == []

    registration = economic_webhooks.register(hooked.connection)

    assert registration.registered == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]
    assert Webhook.objects.count() == 2
    edit_in_economic(hooked, 101, city="Skagen")
    assert Customer.objects.get(number="101").city == "Skagen"


def test_the_settings_box_turns_instant_updates_on_and_off(
    world: World, live_server: Any, settings: Any, admin_client: Any
) -> None:
    from django.urls import reverse

    settings.TIDSBRO_BASE_URL = live_server.url
    settings.SANDBOX_ECONOMIC = {**settings.SANDBOX_ECONOMIC, "WEBHOOK_DELIVERY": "inline"}
    world.erp_customer(101, name="Fjordlys ApS")
    world.pull()
    page = f"{reverse('admin:integrations_connection_settings')}?connection={world.connection.pk}"
    assert "Instant updates from e-conomic" in admin_client.get(page).content.decode()

    response = admin_client.post(page, {"action": "webhooks", "choice": "on"}, follow=True)

    html = response.content.decode()
    assert "Instant updates are on" in html
    assert "e-conomic calls Tidsbro for: customers." in html  # in words, not event codes
    assert sorted(Webhook.objects.values_list("event_type", flat=True)) == [
        "CUSTOMER_CREATED",
        "CUSTOMER_UPDATED",
    ]
    world.connection.refresh_from_db()
    assert economic_webhooks.WEBHOOKS.secret(world.connection) not in html
    edit_in_economic(world, 101, city="Odense C")
    html = admin_client.get(page).content.decode()
    assert "Last instant update" in html

    response = admin_client.post(page, {"action": "webhooks", "choice": "off"}, follow=True)

    assert "Instant updates are off" in response.content.decode()
    assert not Webhook.objects.exists()


def test_connecting_switches_instant_updates_on_when_tidsbro_has_a_public_address(
    world: World, live_server: Any, settings: Any
) -> None:
    from apps.integrations.webhooks import enable_job

    assert enable_job(world.connection.pk).startswith("no public address")
    assert not Webhook.objects.exists()

    settings.TIDSBRO_BASE_URL = live_server.url
    assert enable_job(world.connection.pk) == "registered CUSTOMER_CREATED, CUSTOMER_UPDATED"
    assert Webhook.objects.count() == 2


def test_a_project_changed_in_economic_arrives_without_a_poll(
    world_projects: ProjectsWorld, live_server: Any, settings: Any
) -> None:
    from apps.projects.models import Project

    world = world_projects
    settings.TIDSBRO_BASE_URL = live_server.url
    settings.SANDBOX_ECONOMIC = {**settings.SANDBOX_ECONOMIC, "WEBHOOK_DELIVERY": "inline"}
    world.erp_project(7001, name="Havbris – nyt lager")
    world.pull_all(full=True)
    registration = economic_webhooks.register(world.connection)
    assert registration.registered == sorted(
        f"{kind}_{change}"
        for kind in ("ACTIVITY", "CUSTOMER", "EMPLOYEE", "PROJECT")
        for change in ("CREATED", "UPDATED")
    )
    projects = f"{world.url}/projectsapi/v1.1.0/Projects"
    document = requests.get(f"{projects}/7001", headers=TOKENS, timeout=10).json()

    response = requests.put(
        projects, json={**document, "name": "Havbris – lager og kontor"}, headers=TOKENS, timeout=10
    )

    assert response.status_code in (200, 204), response.text
    assert Project.objects.get(number=7001).name == "Havbris – lager og kontor"
    run = SyncRun.objects.get(connection=world.connection, trigger="webhook")
    assert (run.entity, run.updated) == ("project", 1)


def test_the_connector_reads_only_its_own_notice() -> None:
    parse = economic_webhooks.WEBHOOKS.parse
    notice = b'{"eventType": "CUSTOMER_UPDATED", "number": "0042"}'
    assert parse(None, notice, "application/json") == [("customer", "42")]
    assert parse(None, b'{"eventType": "PROJECT_CREATED", "number": 7}', "") == [("project", "7")]
    # An event Tidsbro does not follow names nothing.
    assert parse(None, b'{"eventType": "TIMEENTRY_CREATED", "number": "7"}', "") == []
    for garbage in (
        b"",
        b"[]",
        b'{"number": "1"}',
        b'{"eventType": "CUSTOMER_UPDATED", "number": "x"}',
        b'{"eventType": "CUSTOMER_UPDATED", "number": true}',
        b'{"eventType": "CUSTOMER_UPDATED"}',
    ):
        with pytest.raises(ValueError):
            parse(None, garbage, "")


def test_a_call_is_answered_with_one_query_when_nothing_is_pulled(
    client: Any, django_assert_num_queries: Any
) -> None:
    from apps.integrations.models import Connection

    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": "t"},
        settings={"agreement_number": 1},
        connected=["customer"],
        state_doc={"webhook_secret": "s3cret-value"},
    )
    url = receiver_path(system="economic", connection_id=connection.pk)
    project = json.dumps({"eventType": "PROJECT_UPDATED", "number": "7"})

    with django_assert_num_queries(1):
        refused = client.post(
            url, project, content_type="application/json", headers={SECRET_HEADER: "nope"}
        )
    with django_assert_num_queries(1):
        ignored = client.post(
            url, project, content_type="application/json", headers={SECRET_HEADER: "s3cret-value"}
        )

    assert refused.status_code == 403
    assert (ignored.status_code, ignored.json()["queued"]) == (202, 0)  # projects not connected


def test_customers_made_and_changed_here_echoed_by_webhooks_stay_one_each(
    hooked: World, no_kick: None
) -> None:
    from apps.customers.services import customer_create, customer_update

    created = customer_create(
        data={"name": "Bølgen Rengøring ApS", "organisation_number": "29876543", "number": ""}
    )
    hooked.push()  # e-conomic's CUSTOMER_CREATED arrives while the create is in flight
    numbered = customer_create(data={"name": "Nordlys ApS", "number": "5001"})
    hooked.push()
    customer_update(customer=Customer.objects.get(pk=numbered.pk), data={"city": "Skagen"})
    hooked.push()  # CUSTOMER_UPDATED echoes the change back

    assert Customer.objects.count() == 3
    assert hooked.binding(local_id=created.pk).external_id == "1"
    assert Customer.objects.get(pk=numbered.pk).city == "Skagen"
    assert hooked.erp(5001).city == "Skagen"
    assert {d.status for d in Delivery.objects.all()} == {"delivered"}
    assert Delivery.objects.filter(event_type="CUSTOMER_CREATED").count() == 2
    pull = hooked.pull(full=True)
    assert (pull.created, pull.updated, pull.conflicts) == (0, 0, 0)


def test_a_webhook_waits_for_a_running_poll_and_tries_again_later(hooked: World) -> None:
    from django_q.models import Schedule

    from apps.integrations.sync import locks
    from apps.integrations.sync.engine import lease_name
    from apps.integrations.webhooks import pull_job

    held = locks.claim(lease_name(hooked.connection, "customer"))  # a poll is running
    assert held is not None

    edit_in_economic(hooked, 101, city="Thisted")

    assert Customer.objects.get(number="101").city == "Aarhus C"  # nothing written meanwhile
    run = SyncRun.objects.get(connection=hooked.connection, trigger="webhook")
    assert run.status == SyncRun.Status.ALREADY_RUNNING
    retry = Schedule.objects.get(func="apps.integrations.webhooks.pull_job")
    assert retry.schedule_type == Schedule.ONCE

    locks.release(lease_name(hooked.connection, "customer"), held[0])
    pull_job(hooked.connection.pk, "customer", ["101"], 2)
    assert Customer.objects.get(number="101").city == "Thisted"


def test_tidsbro_moved_to_a_new_address_updates_its_webhooks_and_can_turn_them_off(
    hooked: World, live_server: Any, settings: Any
) -> None:
    Webhook.objects.update(url="https://old.tidsbro.example/integrations/webhooks/x/1/")

    registration = economic_webhooks.register(hooked.connection)

    assert registration.others == {}
    assert registration.registered == ["CUSTOMER_CREATED", "CUSTOMER_UPDATED"]
    assert {w.url for w in Webhook.objects.all()} == {
        live_server.url + receiver_path(system="economic", connection_id=hooked.connection.pk)
    }

    settings.TIDSBRO_BASE_URL = ""
    assert economic_webhooks.unregister(hooked.connection) == 2
    assert not Webhook.objects.exists()
