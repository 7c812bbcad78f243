import factory

from apps.tasks.models import Task
from tests.projects.factories import ProjectFactory


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Task {n}")

    @factory.post_generation
    def assignees(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            obj.assignees.set(extracted)
