"""The Hours box of a Unimicro connection's settings screen: the integration user is chosen
among the Unimicro users Tidsbro pulled (over real HTTP from the sandbox), saved in the
settings, and the hours of a person with no linked Unimicro user then go on that user's
worker in Unimicro, flagged; "None" refuses them again."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.exceptions import ApplicationError
from apps.integrations import services
from apps.integrations.adapters.hours import UNMAPPED_FLAG
from apps.integrations.models import Connection, OutboxItem, SyncRun
from apps.integrations.sync.engine import sync_entity
from tests.integrations.economic.flow_world import no_kick
from tests.integrations.unimicro.test_export import csv_connection
from tests.integrations.unimicro.test_hours_world import HoursWorld, erp_items, hours_world

__all__ = ["hours_world", "no_kick"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)

BOX = "Hours in Unimicro"


def settings_url(connection: Connection) -> str:
    return f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"


def admin_client(world: HoursWorld) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def box(page) -> dict:  # noqa: ANN001
    [found] = [b for b in page.context["sections"] if b["section"].name == "unimicro_hours"]
    return found


def choices(page) -> dict[str, str]:  # noqa: ANN001
    return {str(k): str(v) for k, v in box(page)["form"].fields["integration_user"].choices}


def test_the_integration_user_is_chosen_among_the_pulled_users_and_gets_unlinked_hours(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    client = admin_client(world)
    run = sync_entity(connection=world.connection, entity="user", trigger="manual", full=True)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
    page = client.get(settings_url(world.connection))
    offered = choices(page)
    kari = str(world.erp["user"])
    assert offered[kari] == "Kari Nordmann (kari@fjordlys.no)"
    assert offered[str(world.erp["fresh_user"])] == "Ola Hansen (ola@fjordlys.no)"
    assert offered[""].startswith("None")
    assert BOX in page.content.decode()
    assert "unimicro-hours-no-users" not in page.content.decode()

    answer = client.post(
        settings_url(world.connection),
        {"action": "unimicro_hours", "integration_user": kari},
        follow=True,
    )
    assert "go on Kari Nordmann (kari@fjordlys.no) in Unimicro, flagged" in answer.content.decode()
    world.connection.refresh_from_db()
    assert world.connection.settings["integration_user"] == world.erp["user"]
    assert f'<option value="{kari}" selected>' in answer.content.decode()  # shown as chosen

    entry = world.approve(world.register(user=world.unmapped))
    world.push()

    [item] = erp_items(entry)
    assert item["WorkRelationID"] == world.erp["relation"]  # Kari's employment
    assert world.binding(entry).flagged == UNMAPPED_FLAG


def test_before_unimicros_users_are_pulled_the_box_says_so(unimicro_connection, admin_user):
    client = Client()
    client.force_login(admin_user)
    page = client.get(settings_url(unimicro_connection))
    assert BOX in page.content.decode()
    assert 'id="unimicro-hours-no-users"' in page.content.decode()
    assert choices(page) == {"": "None: refuse the hours of people not linked"}


def test_none_refuses_the_hours_of_people_not_linked_again(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    world.settings(integration_user=world.erp["user"])
    client = admin_client(world)

    answer = client.post(
        settings_url(world.connection), {"action": "unimicro_hours", "integration_user": ""}
    )
    assert answer.status_code == 302
    world.connection.refresh_from_db()
    assert world.connection.settings["integration_user"] is None

    entry = world.approve(world.register(user=world.unmapped))
    world.push()
    assert erp_items(entry) == []
    item = world.outbox(entry)
    assert item.status == OutboxItem.Status.DEAD
    assert "not linked to a Unimicro user" in item.last_error


def test_a_user_not_pulled_cannot_be_chosen(hours_world: HoursWorld) -> None:
    world = hours_world
    page = admin_client(world).post(
        settings_url(world.connection), {"action": "unimicro_hours", "integration_user": "999999"}
    )
    assert page.status_code == 200
    assert "integration_user" in box(page)["form"].errors
    world.connection.refresh_from_db()
    assert "integration_user" not in world.connection.settings


def test_the_settings_schema_takes_a_user_id_or_none_only(hours_world: HoursWorld) -> None:
    connection = hours_world.connection
    with pytest.raises(ApplicationError):
        services.connection_update_settings(
            connection=connection, settings={"integration_user": "Kari"}
        )
    services.connection_update_settings(connection=connection, settings={"integration_user": 7})
    assert Connection.objects.get(pk=connection.pk).settings["integration_user"] == 7


def test_a_csv_export_connection_has_no_hours_box(admin_client_csv: Client) -> None:
    client, connection = admin_client_csv
    page = client.get(settings_url(connection))
    assert page.status_code == 200
    assert BOX not in page.content.decode()


@pytest.fixture
def admin_client_csv(db: None) -> tuple[Client, Connection]:
    from tests.accounts.factories import admin_user

    client = Client()
    client.force_login(admin_user())
    return client, csv_connection()
