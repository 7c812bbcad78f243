"""An order made in Unimicro shows its number with a link into Unimicro (UNIMICRO_ORDER_URL;
in tests and locally the sandbox's page of the order, /sandbox/unimicro/ui/orders/<number>/,
which opens the order's admin page in the connection's company)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from apps.integrations.models import Connection
from apps.orders.services import order_create
from apps.sandbox.unimicro.models_proxies import OrderRecord
from tests.integrations.economic.flow_world import no_kick
from tests.integrations.unimicro.conftest import COMPANY_1, COMPANY_1_TEST
from tests.integrations.unimicro.test_hours_world import DAY, HoursWorld, hours_world

__all__ = ["hours_world", "no_kick"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_order_links_to_the_order_in_unimicro_which_opens_it(
    hours_world: HoursWorld, no_kick: None
) -> None:
    world = hours_world
    entry = world.approve(world.register(day=DAY, hours="2.50", description="Befaring"))
    world.push()
    order = order_create(
        connection=world.connection,
        actor=world.admin,
        entries=[entry],
        customer=world.customer,
        project=world.project,
        title="Fjordlys november",
    )
    mine = OrderRecord.objects.get(company_key=COMPANY_1, deleted=False)
    assert order.external_id == str(mine.data["OrderNumber"])
    # The other company of the organisation has an order with the same number, made later.
    other = OrderRecord.objects.create(
        company_key=COMPANY_1_TEST,
        entity="CustomerOrder",
        record_id=mine.record_id,
        data={**mine.data, "OurReference": "Feil selskap"},
        created_at=datetime.now(UTC),
    )
    link = f"/sandbox/unimicro/ui/orders/{order.external_id}/?company={COMPANY_1}"
    client = Client()
    client.force_login(world.admin)

    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    listing = client.get(reverse("admin:orders_order_changelist")).content.decode()

    text = f"Order {order.external_id} in Unimicro"
    assert f'href="{link}"' in page and f"{text} ↗</a>" in page
    assert f'href="{link}"' in listing and f"{text} ↗</a>" in listing
    # The link opens that order itself (Unimicro's page of it), in the connection's company.
    opened = client.get(link, follow=True)
    assert opened.status_code == 200
    assert opened.redirect_chain[-1][0] == reverse(
        "admin:sandbox_unimicro_orderrecord_change", args=[mine.pk]
    )
    assert "Fjordlys november" in opened.content.decode()
    # Without a company: the newest order with that number.
    newest = client.get(f"/sandbox/unimicro/ui/orders/{order.external_id}/")
    assert newest.url == reverse("admin:sandbox_unimicro_orderrecord_change", args=[other.pk])
    # No such order: not found; not logged in to the admin: the login page.
    assert client.get("/sandbox/unimicro/ui/orders/999999/").status_code == 404
    assert Client().get(link).status_code == 302


def test_the_link_follows_the_setting_and_is_absent_without_it(settings) -> None:
    connection = Connection(system="unimicro", settings={"mode": "api", "company_key": COMPANY_1})
    orders = connection.spec.orders
    settings.UNIMICRO_ORDER_URL = "https://unimicro.example/#/sales/orders?orderNumber={number}"
    assert orders.url(connection, "1042") == (
        "https://unimicro.example/#/sales/orders?orderNumber=1042"
    )
    settings.UNIMICRO_ORDER_URL = "https://unimicro.example/{company}/orders/{number}"
    assert orders.url(connection, "1042") == f"https://unimicro.example/{COMPANY_1}/orders/1042"
    assert orders.url(connection, "") == ""
    settings.UNIMICRO_ORDER_URL = ""
    assert orders.url(connection, "1042") == ""
