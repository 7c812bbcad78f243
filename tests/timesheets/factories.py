import datetime
from decimal import Decimal

import factory

from apps.timesheets.models import TimeEntry
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """Writes rows directly (for list and permission tests); rule tests go through the services."""

    class Meta:
        model = TimeEntry

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    work_type = factory.LazyAttribute(lambda o: o.project.default_work_type)
    date = factory.LazyFunction(lambda: datetime.date(2026, 11, 16))
    hours = Decimal("7.50")
    billable_hours = Decimal("7.50")
    description = factory.Faker("sentence")
    status = TimeEntry.Status.DRAFT
