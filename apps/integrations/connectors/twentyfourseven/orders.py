"""24SevenOffice's orders (`spec.orders`): a Tidsbro order becomes a draft InvoiceOrder saved
with SaveInvoices. 24SO's ids are numbers: customers, projects and products alike."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from apps.integrations.connectors.base import Rejected


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


class TwentyFourSevenOrders:
    # What a 24SO product id looks like, for the office (order problems).
    product_number_rule = _lazy("a number such as 1010")
    # A draft InvoiceOrder: an order in 24SO's words.
    document_label = _lazy("order")

    def id_ok(self, external_id: str) -> bool:
        """24SO's customer and project ids are numbers."""
        return _number(external_id) is not None

    def product_number_ok(self, product_number: str) -> bool:
        """An order line names a 24SO product by its id, a number such as 1010."""
        return _number(product_number) is not None

    def create(self, connector: Any, order: Any) -> str:
        """SaveInvoices with one draft order; its OrderId. Rejected with 24SO's reasons when
        it refuses the order (or answers nothing)."""
        from apps.integrations.connectors.twentyfourseven.types import (
            InvoiceOrder,
            InvoiceOrderLine,
        )

        draft = InvoiceOrder(
            customer_id=_number(order.customer_external_id),
            project_id=_number(order.project_external_id),
            order_status="Draft",
            invoice_title=order.title[:255],
            lines=tuple(
                InvoiceOrderLine(
                    product_id=_number(line.product_number),
                    name=line.description,
                    quantity=line.quantity,
                    price=line.price,
                    project_id=_number(line.project_external_id),
                )
                for line in order.lines
            ),
        )
        results = connector.client.save_invoices([draft])
        result = results[0] if results else None
        if result is None or not result.ok:
            reasons = "; ".join(result.messages) if result else _("no answer")
            raise Rejected(reasons, messages=tuple(result.messages) if result else ())
        return str(result.id)
