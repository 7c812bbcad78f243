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
    """`ProjectFactory(members=[worker])` puts people on it (without a project role)."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Project {n}")
    customer = factory.SubFactory(CustomerFactory)
    default_work_type = factory.SubFactory(WorkTypeFactory)
    status = Project.Status.ACTIVE

    @factory.post_generation
    def members(obj, create, extracted, **kwargs):  # noqa: N805
        if create and extracted:
            for user in extracted:
                make_member(project=obj, user=user)


def make_member(*, project: Project, user) -> ProjectMember:
    """Puts `user` on `project` (only members register hours on a project)."""
    return ProjectMember.objects.get_or_create(project=project, user=user)[0]


class ProjectMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectMember

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory("tests.accounts.factories.UserFactory")
    role = factory.SubFactory(ProjectRoleFactory)


def manager_role() -> ProjectRole:
    return ProjectRoleFactory(name="Project manager", can_approve=True)
