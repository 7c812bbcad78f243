from decimal import Decimal

import factory

from apps.worktypes.models import WorkType


class WorkTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkType

    name = factory.Sequence(lambda n: f"Work type {n}")
    invoiceable = True
    price = Decimal("1250.00")
