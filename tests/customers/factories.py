import factory

from apps.customers.models import Customer


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("company", locale="no_NO")
    number = factory.Sequence(lambda n: str(10000 + n))
    organisation_number = ""
    email = factory.Faker("company_email")
