import factory

from apps.projects.models import Project, ProjectMember, ProjectRole
from tests.customers.factories import CustomerFactory
from tests.worktypes.factories import WorkTypeFactory


class ProjectRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectRole
        django_get_or_create = ("name",)

    name = "Consultant"
    can_approve = False


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    customer = factory.SubFactory(CustomerFactory)
    default_work_type = factory.SubFactory(WorkTypeFactory)
    status = Project.Status.ACTIVE


class ProjectMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectMember

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory("tests.accounts.factories.UserFactory")
    role = factory.SubFactory(ProjectRoleFactory)


def manager_role() -> ProjectRole:
    return ProjectRoleFactory(name="Project manager", can_approve=True)
