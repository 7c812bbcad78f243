"""e-conomic's orders (`spec.orders`): a Tidsbro order becomes a draft invoice (q2capi
`invoices/drafts` and `…/lines/bulk`), never booked by Tidsbro (booking is irreversible and the
office's decision, in e-conomic).

- The draft's head comes from the customer as e-conomic holds it (classic `GET /customers/{n}`:
  name, address, VAT zone, currency, payment terms) and the connection's settings (`layout`;
  `payment_terms` when the customer has none). Its heading is the order's title; its other
  reference and external id are Tidsbro's key of the order.
- Lines: one per order line, the work type's product by number, the hours as quantity and the
  rate as unit net price.
- Both POSTs carry an Idempotency-Key derived from the order's key: an order sent again after a
  timeout (within e-conomic's hour) gets the same single draft with its lines once.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Rejected

# e-conomic's product numbers are text of 1 to 25 characters (API-NOTES §10.5).
MAX_PRODUCT_NUMBER = 25
MAX_NUMBER = 999_999_999


def _number(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text.isdigit():
        return None
    number = int(text)
    return number if 1 <= number <= MAX_NUMBER else None


def _ref(document: dict[str, Any], name: str, key: str) -> int | None:
    inner = document.get(name)
    return _number(inner.get(key)) if isinstance(inner, dict) else None


def order_key(order: Any) -> str:
    """The Idempotency-Key of the draft: the order's own key (Tidsbro's, made from its hours),
    else one made from what identifies it (pure)."""
    key = str(getattr(order, "key", "") or "").strip()
    if key:
        return key[:100]
    identity = "|".join(
        [
            str(order.customer_external_id or ""),
            str(order.project_external_id or ""),
            order.title,
            *(
                f"{line.product_number}:{line.quantity}:{line.price}:{line.description}"
                for line in order.lines
            ),
        ]
    )
    return f"tidsbro-order-{hashlib.sha256(identity.encode()).hexdigest()[:40]}"


class EconomicOrders:
    # What an e-conomic product number looks like, for the office (order problems).
    product_number_rule = _("an e-conomic product number has 1 to 25 characters")
    # A draft sent again with the same key is e-conomic's first answer: resending is safe.
    retries_safely = True
    # What the order's number is in e-conomic (the order's page and list say it).
    document_label = _("draft invoice")

    def id_ok(self, external_id: str) -> bool:
        """e-conomic's customer and project numbers are whole numbers."""
        return _number(external_id) is not None

    def product_number_ok(self, product_number: str) -> bool:
        """e-conomic's product numbers are text, 1 to 25 characters."""
        text = (product_number or "").strip()
        return 1 <= len(text) <= MAX_PRODUCT_NUMBER

    def create(self, connector: Any, order: Any) -> str:
        """Creates the draft invoice and its lines (three requests: the customer, the draft,
        the lines); returns the draft's number. Rejected with e-conomic's reasons when it
        refuses."""
        from apps.integrations.connectors.economic.apis import Q2C

        head = draft_head(connector, order)
        key = order_key(order)
        number = connector.apis.create(Q2C, "invoices/drafts", head, key=f"{key}-draft")
        lines = [
            {
                "productNumber": line.product_number.strip(),
                "description": (line.description or "")[:2500],
                "quantity": float(line.quantity),
                "unitNetPrice": float(line.price),
            }
            for line in order.lines
        ]
        if lines:
            connector.apis.post(
                Q2C, f"invoices/drafts/{number}/lines/bulk", {"lines": lines}, key=f"{key}-lines"
            )
        return str(number)

    def url(self, connection: Any, number: str) -> str:
        """A link to the draft invoice in e-conomic (`ECONOMIC_DRAFT_INVOICE_URL`), or ""."""
        template = str(getattr(settings, "ECONOMIC_DRAFT_INVOICE_URL", "") or "")
        text = str(number or "").strip()
        if not template or not text.isdigit():
            return ""
        return template.replace("{number}", text)


def draft_head(connector: Any, order: Any) -> dict[str, Any]:
    """The draft invoice's head: the customer as e-conomic has it, the connection's layout
    and (when the customer has none) payment terms (one request)."""
    customer_number = _number(order.customer_external_id)
    if customer_number is None:
        raise Rejected(
            gettext("The order's customer is not in e-conomic (it has no customer number)."),
            operation="create draft invoice",
        )
    customer = connector.client.get_customer(customer_number)
    if customer is None:
        raise Rejected(
            gettext("Customer %(number)s does not exist in e-conomic (any more).")
            % {"number": customer_number},
            operation="create draft invoice",
        )
    document = customer.document
    options = getattr(connector.connection, "settings", None) or {}
    layout = _number(options.get("layout")) or _ref(document, "layout", "layoutNumber")
    terms = _ref(document, "paymentTerms", "paymentTermsNumber") or _number(
        options.get("payment_terms")
    )
    vat_zone = _ref(document, "vatZone", "vatZoneNumber") or _number(options.get("vat_zone"))
    missing = [
        str(label)
        for label, value in (
            (_("layout"), layout),
            (_("payment terms"), terms),
            (pgettext_lazy("inside a sentence", "VAT zone"), vat_zone),
        )
        if value is None
    ]
    if missing:
        raise Rejected(
            gettext(
                "e-conomic needs a %(what)s on the draft invoice: choose one in the "
                "connection's settings (defaults for new customers)."
            )
            % {"what": ", ".join(missing)},
            operation="create draft invoice",
        )
    key = order_key(order)
    head: dict[str, Any] = {
        "customerNumber": customer_number,
        "customerName": str(document.get("name") or "")[:255] or str(customer_number),
        "customerAddress": _text(document.get("address"), 255),
        "customerPostalCode": _text(document.get("zip"), 50),
        "customerCity": _text(document.get("city"), 250),
        "customerCountry": _text(document.get("country"), 50),
        "date": f"{date.today().isoformat()}T00:00:00Z",
        "currencyCode": str(document.get("currency") or options.get("currency") or "DKK")[:3],
        "layoutNumber": layout,
        "termOfPaymentNumber": terms,
        "vatZoneNumber": vat_zone,
        "projectNumber": _number(order.project_external_id),
        "heading": _text(order.title, 250),
        "otherReference": key[:250],
        "externalId": key[:50],
    }
    return head


def _text(value: Any, limit: int) -> str | None:
    text = str(value or "").strip()
    return text[:limit] or None


ORDERS = EconomicOrders()
