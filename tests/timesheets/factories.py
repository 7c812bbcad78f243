import datetime
from decimal import Decimal

import factory

from apps.timesheets.models import TimeEntry
from tests.accounts.factories import UserFactory
from tests.projects.factories import ProjectFactory, make_member


class TimeEntryFactory(factory.django.DjangoModelFactory):
    """Writes rows directly (for list and permission tests); rule tests go through the services."""

    class Meta:
        model = TimeEntry
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    work_type = factory.LazyAttribute(lambda o: o.project.default_work_type)
    date = factory.LazyFunction(lambda: datetime.date(2026, 11, 16))
    hours = Decimal("7.50")
    billable_hours = Decimal("7.50")
    description = factory.Faker("sentence")
    status = TimeEntry.Status.DRAFT

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):  # noqa: N805
        # Hours are registered by the project's members; `membership=False` for an hour whose
        # owner has left the project since.
        if create and extracted is not False:
            make_member(project=obj.project, user=obj.user)
