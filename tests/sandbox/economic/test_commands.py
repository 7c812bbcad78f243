"""manage.py sandbox_economic_seed [--demo-office] and sandbox_economic_dataset S|M|L."""

import pytest
from django.core.management import call_command

from apps.sandbox.economic.models import (
    Agreement,
    App,
    Currency,
    Customer,
    CustomerGroup,
    Employee,
    Grant,
    Layout,
    PaymentTerms,
    Product,
    VatZone,
)
from apps.sandbox.economic.seed import cvr_with_check_digit

pytestmark = pytest.mark.django_db

TIDSBRO_DEMO_NAMES = {"Øresund Medico Norge AS", "Limfjord Fødevarer Norge AS", "Nordhavn Data AS"}


def _counts():
    return {
        m.__name__: m.objects.count()
        for m in (
            Agreement,
            App,
            Grant,
            CustomerGroup,
            PaymentTerms,
            VatZone,
            Currency,
            Layout,
            Product,
            Employee,
            Customer,
        )
    }


def test_seed_builds_the_fixed_agreement_and_is_idempotent():
    call_command("sandbox_economic_seed")
    first = _counts()
    call_command("sandbox_economic_seed")
    assert _counts() == first
    grant = Grant.objects.select_related("app", "agreement").get(agreement__demo_access=True)
    assert grant.token == "tidsbro-demo-agreement"
    assert grant.app.secret_token == "tidsbro-demo-app-secret"
    assert grant.app.public_token == "tidsbro-demo-app-public"
    assert grant.agreement.demo_access
    # two agreements (with and without the Project module), each with the reference lists
    assert first["Agreement"] == 2 and first["Grant"] == 2
    assert first["VatZone"] == 2 * 4 and first["Currency"] == 4 and first["Customer"] == 0
    assert first["CustomerGroup"] >= 3 and first["Product"] >= 3 and first["Employee"] >= 3


def test_demo_office_has_danish_customers_with_valid_cvr_and_name_twins():
    call_command("sandbox_economic_seed", "--demo-office")
    call_command("sandbox_economic_seed", "--demo-office")
    customers = Customer.objects.all()
    assert customers.count() == 12
    danish = customers.filter(country="Danmark")
    assert danish.count() >= 8
    for customer in danish:
        cvr = customer.corporate_identification_number
        assert len(cvr) == 8 and cvr_with_check_digit(cvr[:7]) == cvr
    assert TIDSBRO_DEMO_NAMES <= set(customers.values_list("name", flat=True))


def test_dataset_s_fills_500_customers_fast():
    call_command("sandbox_economic_dataset", "S")
    assert Customer.objects.count() == 500
    assert Customer.objects.filter(customer_number=500).exists()
    call_command("sandbox_economic_dataset", "S")
    assert Customer.objects.count() == 500


def test_reset_empties_the_sandbox():
    call_command("sandbox_economic_seed", "--demo-office")
    call_command("sandbox_economic_reset")
    assert all(n == 0 for n in _counts().values())
