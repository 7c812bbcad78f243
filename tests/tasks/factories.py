import factory

from apps.tasks.models import Task
from tests.projects.factories import ProjectFactory, make_member


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"Task {n}")

    @factory.post_generation
    def assignees(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            # An assignee works on the project: a member of it, as the office sets it up.
            for user in extracted:
                make_member(project=obj.project, user=user)
            obj.assignees.set(extracted)
