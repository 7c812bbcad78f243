"""What the e-conomic client returns: frozen records, no wire details beyond the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """`GET /self`: the agreement the grant token opens."""

    agreement_number: int
    company_name: str
    base_currency: str = ""
    user_name: str = ""
    user_email: str = ""


@dataclass(frozen=True, kw_only=True)
class Customer:
    """One customer: its number, when e-conomic last changed it, and its whole document.

    `document` is the JSON as e-conomic sent it (read-modify-write starts from it; see
    `mappers.to_remote`). Treat it as read-only.
    """

    number: int
    last_updated: datetime | None
    document: dict[str, Any] = field(hash=False, repr=False)

    @property
    def external_id(self) -> str:
        return str(self.number)


@dataclass(frozen=True, kw_only=True)
class CustomerPage:
    """One page of a customer listing."""

    customers: tuple[Customer, ...]
    page: int
    # Customers matching the filter, over all pages (e-conomic's `pagination.results`).
    results: int
    has_next: bool


@dataclass(frozen=True, kw_only=True)
class CustomerGroup:
    number: int
    name: str


@dataclass(frozen=True, kw_only=True)
class PaymentTerms:
    number: int
    name: str
    terms_type: str = ""
    days_of_credit: int | None = None


@dataclass(frozen=True, kw_only=True)
class VatZone:
    number: int
    name: str
    enabled_for_customer: bool = False


@dataclass(frozen=True, kw_only=True)
class Currency:
    code: str
    name: str


@dataclass(frozen=True, kw_only=True)
class Layout:
    number: int
    name: str
    deleted: bool = False


@dataclass(frozen=True, kw_only=True)
class Product:
    number: str
    name: str
    sales_price: Decimal | None = None
    barred: bool = False
    last_updated: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Employee:
    number: int
    name: str
    email: str = ""
    barred: bool = False
