"""The orders admin: read-only orders and the three-step "Create order" screen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.integrations.adapters.hours import UNMAPPED_FLAG
from apps.integrations.models import Binding, HourTransfer
from apps.orders.models import Order
from apps.projects.models import ProjectMember
from apps.sandbox.twentyfourseven.models import InvoiceOrder as SandboxOrder
from apps.timesheets.models import TimeEntry
from apps.timesheets.services import time_entry_create
from tests.accounts.factories import UserFactory
from tests.integrations.twentyfourseven.test_push_world import (
    World,
    approve,
    no_kick,
    register,
    world,
)

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = "admin:orders_order_create"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _entries(world: World, n: int = 2) -> list[TimeEntry]:
    world.connection.hour_transfer = HourTransfer.NEVER
    world.connection.save(update_fields=["hour_transfer"])
    return [
        approve(world, register(world, day=date(2026, 11, 3 + i), hours="2.00")) for i in range(n)
    ]


def test_create_order_in_three_steps(world: World) -> None:
    first, second = _entries(world)
    client = _client(world.admin)
    choose = {"connection": world.connection.pk, "project": world.project.pk, "title": "Nov"}

    page = client.post(reverse(CREATE), choose)
    assert page.status_code == 200
    assert page.context["step"] == "pick"
    assert [r["entry"].pk for r in page.context["rows"]] == [first.pk, second.pk]

    picked = {**choose, "entry": [first.pk], f"hours_{first.pk}": "1.00", "step": "confirm"}
    page = client.post(reverse(CREATE), picked)
    assert page.context["step"] == "confirm"
    assert [line.hours for line in page.context["lines"]] == [1]
    assert not SandboxOrder.objects.exists()  # nothing is sent before the confirmation

    page = client.post(reverse(CREATE), {**picked, "step": "send"})

    order = Order.objects.get()
    assert page.status_code == 302
    assert page["Location"] == reverse("admin:orders_order_change", args=[order.pk])
    assert SandboxOrder.objects.filter(order_id=int(order.external_id)).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.order == order and second.order is None


def test_the_pick_step_shows_hours_transferred_on_the_integration_user(world: World) -> None:
    entry = approve(world, register(world, user=world.unmapped))
    choose = {"connection": world.connection.pk, "project": world.project.pk}

    page = _client(world.admin).post(reverse(CREATE), choose)

    [row] = page.context["rows"]
    assert row["entry"].pk == entry.pk
    assert row["flag"] == UNMAPPED_FLAG
    assert UNMAPPED_FLAG in page.content.decode()


def test_a_refusal_is_shown_and_nothing_is_created(world: World) -> None:
    [entry] = _entries(world, 1)
    world.work_type.product_number = ""
    world.work_type.save(update_fields=["product_number"])
    data = {
        "connection": world.connection.pk,
        "project": world.project.pk,
        "entry": [entry.pk],
        "step": "send",
    }

    page = _client(world.admin).post(reverse(CREATE), data)

    assert page.status_code == 200
    assert "no ERP product number" in page.content.decode()
    assert not Order.objects.exists()


def test_orders_are_read_only(world: World) -> None:
    [entry] = _entries(world, 1)
    client = _client(world.admin)
    client.post(
        reverse(CREATE),
        {
            "connection": world.connection.pk,
            "project": world.project.pk,
            "entry": [entry.pk],
            "step": "send",
        },
    )
    order = Order.objects.get()

    page = client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    # The number is named as the system names what it made: an order in 24SevenOffice.
    system = world.connection.system_name
    assert "Order number" in page.content.decode()
    assert f"Order {order.external_id} in {system}" in page.content.decode()
    assert client.post(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    assert client.get(reverse("admin:orders_order_add")).status_code == 403


def test_changelist_offers_create_and_its_queries_do_not_grow(
    world: World, no_kick: None, django_assert_max_num_queries
) -> None:
    for n in range(6):
        Order.objects.create(
            connection=world.connection,
            external_id=str(900 + n),
            customer=world.customer,
            project=world.project,
            created_by=world.admin,
        )
    client = _client(world.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:orders_order_changelist"))
    assert reverse(CREATE).encode() in page.content
    assert page.content.count(b"/change/") >= 6


def test_staff_without_permission_cannot_create_orders(world: World) -> None:
    staff = UserFactory()

    assert _client(staff).get(reverse(CREATE)).status_code == 403
    assert _client(staff).get(reverse("admin:orders_order_changelist")).status_code == 403


# CHECKING AN ORDER BEFORE IT IS SENT (issue 13, point 5)
# ------------------------------------------------------------------------------
def _nb_client(user) -> Client:
    user.language = "nb"
    user.save(update_fields=["language"])
    return _client(user)


def test_the_period_picks_the_hours_and_totals_are_in_kroner(world: World) -> None:
    world.connection.hour_transfer = HourTransfer.NEVER
    world.connection.save(update_fields=["hour_transfer"])
    october = approve(world, register(world, day=date(2026, 10, 30), hours="7.50"))
    in_period = [
        approve(world, register(world, day=date(2026, 11, d), hours="4.00")) for d in (3, 4)
    ]
    choose = {
        "connection": world.connection.pk,
        "customer": world.customer.pk,
        "date_from": "2026-11-01",
        "date_to": "2026-11-30",
    }

    page = _nb_client(world.admin).post(reverse(CREATE), choose)

    assert [r["entry"].pk for r in page.context["rows"]] == [e.pk for e in in_period]
    assert october.pk not in [r["entry"].pk for r in page.context["rows"]]
    html = page.content.decode()
    assert 'id="order-select-all"' in html
    # 8 hours at 1 250,00 kr: thousands separated, decimal comma, the currency after.
    assert "10\xa0000,00\xa0kr" in html
    assert "5\xa0000,00\xa0kr" in html  # one line

    picked = {**choose, "entry": [e.pk for e in in_period], "step": "confirm"}
    page = _nb_client(world.admin).post(reverse(CREATE), picked)
    assert page.context["step"] == "confirm"
    assert page.context["total"] == Decimal("10000.00")
    assert "10\xa0000,00\xa0kr" in page.content.decode()
    assert not SandboxOrder.objects.exists()


def test_a_work_type_the_erp_cannot_bill_is_named_with_a_link_to_fix_it(world: World) -> None:
    [entry] = _entries(world, 1)
    world.work_type.product_number = "T-100"
    world.work_type.save(update_fields=["product_number"])
    data = {"connection": world.connection.pk, "project": world.project.pk}
    client = _client(world.admin)

    page = client.post(reverse(CREATE), data)

    html = page.content.decode()
    assert 'id="order-problems"' in html
    assert "T-100" in html and "not an ERP product id" in html
    fix = reverse("admin:worktypes_worktype_change", args=[world.work_type.pk])
    assert f'href="{fix}"' in html
    assert client.get(fix).status_code == 200

    page = client.post(reverse(CREATE), {**data, "entry": [entry.pk], "step": "confirm"})
    assert 'name="step" value="send" disabled' in page.content.decode()
    page = client.post(reverse(CREATE), {**data, "entry": [entry.pk], "step": "send"})
    assert page.status_code == 200
    assert not Order.objects.exists() and not SandboxOrder.objects.exists()


def test_a_customer_not_in_the_erp_links_to_pairing_it(world: World) -> None:
    [entry] = _entries(world, 1)
    Binding.objects.filter(connection=world.connection, entity="customer").delete()
    client = _client(world.admin)

    page = client.post(
        reverse(CREATE),
        {"connection": world.connection.pk, "customer": world.customer.pk, "entry": [entry.pk]},
    )

    html = page.content.decode()
    assert "is not in the ERP yet" in html
    pair = reverse(
        "admin:integrations_sync_center_partner_local", args=["customer", world.customer.pk]
    )
    assert f'href="{pair}"' in html
    page = client.post(
        reverse(CREATE),
        {
            "connection": world.connection.pk,
            "customer": world.customer.pk,
            "entry": [entry.pk],
            "step": "send",
        },
    )
    assert not SandboxOrder.objects.exists()  # not sent under a number 24SO does not know


def test_hours_registered_as_not_billable_wait_and_bill_nothing(world: World) -> None:
    # Hours are registered by the project's members only.
    ProjectMember.objects.get_or_create(project=world.project, user=world.mapped)
    [billable] = _entries(world, 1)
    travel = time_entry_create(
        actor=world.mapped,
        project=world.project,
        work_type=world.work_type,
        hours=Decimal("3.00"),
        billable_hours=Decimal("0"),
        date=date(2026, 11, 5),
        description="Reise hjem fra kunden",
    )
    travel = approve(world, travel)
    choose = {"connection": world.connection.pk, "project": world.project.pk}

    page = _client(world.admin).post(reverse(CREATE), choose)

    rows = {r["entry"].pk: r for r in page.context["rows"]}
    assert rows[billable.pk]["checked"] and not rows[travel.pk]["checked"]
    assert rows[travel.pk]["line"].amount == 0  # was 3 h × the rate
    assert page.context["total"] == billable.billable_hours * world.work_type.price
