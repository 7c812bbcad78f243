import factory
from django.contrib.auth.models import Group

from apps.accounts import roles
from apps.accounts.models import User

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.no")
    first_name = factory.Faker("first_name", locale="no_NO")
    last_name = factory.Faker("last_name", locale="no_NO")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):  # noqa: N805
        if extracted:
            obj.groups.add(Group.objects.get(name=extracted))
        obj.save()


def admin_user(**kwargs) -> User:
    return UserFactory(role=roles.ADMIN, **kwargs)


def project_manager(**kwargs) -> User:
    return UserFactory(role=roles.PROJECT_MANAGER, **kwargs)


def employee(**kwargs) -> User:
    return UserFactory(role=roles.EMPLOYEE, **kwargs)


def support_user(**kwargs) -> User:
    return UserFactory(role=roles.SUPPORT, **kwargs)
