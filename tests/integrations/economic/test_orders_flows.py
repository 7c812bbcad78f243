"""Orders to e-conomic draft invoices over real HTTP (live_server + the sandbox): one draft with
a line per hour (the work type's product, hours as quantity, rate as price) under the office's
layout and the customer's payment terms, never booked; exactly one even when sent again after
a timeout; the order shows the draft's number with a link into e-conomic."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from apps.core.exceptions import ApplicationError
from apps.integrations.models import HourTransfer
from apps.orders.models import Order
from apps.orders.services import order_create
from apps.sandbox.economic.models import DraftInvoice, DraftInvoiceLine
from apps.worktypes.models import WorkType
from tests.integrations.economic.hours_world import (
    CUSTOMER_NUMBER,
    CUSTOMER_TERMS,
    DAY,
    PROJECT_NUMBER,
    HoursWorld,
    bind,
    hours_world,
    last_request_id,
    requests_after,
    wait_for_requests,
)

__all__ = ["hours_world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _hours(world: HoursWorld) -> list:
    """Three approved hours on two work types (products 1010 and 1020)."""
    world.mode(HourTransfer.NEVER)
    lead = WorkType.objects.create(
        name="Projektledelse", price=Decimal("1350.00"), product_number="1020"
    )
    bind(world.connection, "work_type", lead.pk, 2)
    entries = [
        world.approve(world.register(day=DAY + timedelta(days=i), hours=h))
        for i, h in enumerate(("2.50", "1.00"))
    ]
    third = world.register(day=DAY + timedelta(days=2), hours="4.00", description="Styring")
    third.work_type = lead
    third.save(update_fields=["work_type"])
    return [*entries, world.approve(third)]


def _order(world: HoursWorld, entries: list) -> Order:
    return order_create(
        connection=world.connection,
        actor=world.admin,
        entries=entries,
        customer=world.customer,
        project=world.project,
        title="Havbris november",
    )


def _lines(draft: DraftInvoice) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (line.product_number, line.quantity, line.unit_net_price)
        for line in DraftInvoiceLine.objects.filter(draft=draft).order_by("position", "number")
    ]


EXPECTED_LINES = [
    ("1010", Decimal("2.50"), Decimal("1450.00")),
    ("1010", Decimal("1.00"), Decimal("1450.00")),
    ("1020", Decimal("4.00"), Decimal("1350.00")),
]


def test_an_order_becomes_one_draft_invoice_with_its_lines(hours_world: HoursWorld) -> None:
    world = hours_world
    entries = _hours(world)
    first = last_request_id()

    order = _order(world, entries)

    [draft] = DraftInvoice.objects.all()
    assert order.external_id == str(draft.number)
    assert (draft.customer_number, draft.customer_name) == (CUSTOMER_NUMBER, "Havbris ApS")
    assert draft.layout_number == 19  # the office's layout (connection settings)
    assert draft.term_of_payment_number == CUSTOMER_TERMS  # the customer's own terms
    assert (draft.vat_zone_number, draft.currency_code) == (1, "DKK")
    assert draft.project_number == PROJECT_NUMBER
    assert draft.heading == "Havbris november"
    assert _lines(draft) == EXPECTED_LINES
    # The customer, the draft, its lines; nothing booked.
    assert [r.method for r in requests_after(first)] == ["GET", "POST", "POST"]
    assert not any("booked" in r.path for r in requests_after(first))


@pytest.mark.parametrize("lost", ["draft", "lines"])
def test_an_order_sent_again_after_a_timeout_is_still_one_draft(
    hours_world: HoursWorld, settings: object, lost: str
) -> None:
    world = hours_world
    entries = _hours(world)
    settings.ECONOMIC_READ_TIMEOUT = 1.0
    # e-conomic does the write, but its answer never arrives.
    plan = [None, "hang"] if lost == "draft" else [None, None, "hang"]
    world.faults(plan)
    world.knobs(hang_seconds=3.0)
    first = last_request_id()

    with pytest.raises(ApplicationError, match="Send it again"):
        _order(world, entries)

    assert not Order.objects.exists()
    world.knobs(fault_rate=0.0)
    wait_for_requests(len(plan), after=first)

    order = _order(world, entries)

    [draft] = DraftInvoice.objects.all()
    assert order.external_id == str(draft.number)
    assert _lines(draft) == EXPECTED_LINES


def test_the_order_shows_the_draft_invoice_with_a_link_that_opens_it_in_e_conomic(
    hours_world: HoursWorld,
) -> None:
    world = hours_world
    order = _order(world, _hours(world))
    draft = DraftInvoice.objects.get(number=int(order.external_id))
    link = f"/sandbox/economic/ui/drafts/{order.external_id}/"
    client = Client()
    client.force_login(world.admin)

    page = client.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    listing = client.get(reverse("admin:orders_order_changelist")).content.decode()

    # The number is named for what it is in e-conomic: a draft invoice, not an order.
    text = f"Draft invoice {order.external_id} in e-conomic"
    assert "Draft invoice number" in page and "ERP order number" not in page
    assert f'href="{link}"' in page and f"{text} ↗</a>" in page
    assert f'href="{link}"' in listing and f"{text} ↗</a>" in listing
    # The link opens that draft itself (e-conomic's page of it), with its lines.
    opened = client.get(link, follow=True)
    assert opened.status_code == 200
    assert opened.redirect_chain[-1][0] == reverse(
        "admin:sandbox_economic_draftinvoice_change", args=[draft.pk]
    )
    shown = opened.content.decode()
    assert "Havbris november" in shown and "1020" in shown and "Styring" in shown
    # Only for someone logged in to the admin.
    assert Client().get(link).status_code == 302
