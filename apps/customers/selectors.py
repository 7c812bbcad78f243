"""Reads of the customer register."""

from django.db.models import QuerySet

from apps.customers.models import Customer


def customer_list(*, active: bool | None = None) -> QuerySet[Customer]:
    qs = Customer.objects.all()
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs
