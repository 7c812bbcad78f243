"""The first pull meets records the office already has (typed in, imported, the demo): they
are paired with the ERP's instead of copied, or failing the batch on a number already used."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, Connection
from apps.projects.models import Project
from apps.sandbox.twentyfourseven import models as so
from apps.worktypes.models import WorkType
from tests.integrations.twentyfourseven.test_pull import connection, pull, sandbox

__all__ = ["connection", "sandbox"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)
State = Binding.State


def test_a_customer_with_the_erp_number_is_paired_not_refused(
    connection: Connection, sandbox: so.Client
):
    company = so.Company.objects.filter(client=sandbox, active=True).order_by("company_id")[0]
    ours = Customer.objects.create(
        name=company.name,
        number=str(company.company_id),
        organisation_number=company.organization_number,
        email=company.email,
        phone="",  # left empty here: takes the ERP's
    )

    run = pull(connection, "customer")

    assert run.error_text == ""
    binding = Binding.objects.get(connection=connection, entity="customer", local_id=ours.pk)
    assert binding.external_id == str(company.company_id)
    assert Customer.objects.filter(number=str(company.company_id)).count() == 1
    ours.refresh_from_db()
    assert ours.phone == company.phone


def test_a_project_with_the_erp_number_is_paired_and_what_differs_is_a_conflict(
    connection: Connection, sandbox: so.Client
):
    pull(connection, "customer")
    pull(connection, "work_type")
    erp = so.Project.objects.filter(client=sandbox).order_by("project_id")[0]
    ours = Project.objects.create(name="Vår egen prosjekttittel", number=erp.project_id)

    pull(connection, "project")

    binding = Binding.objects.get(connection=connection, entity="project", local_id=ours.pk)
    assert binding.external_id == str(erp.project_id)
    assert binding.state == State.CONFLICT
    assert Project.objects.filter(number=erp.project_id).count() == 1
    conflict = Conflict.objects.get(binding=binding, field="name")
    assert (conflict.local_value, conflict.remote_value) == (ours.name, erp.name)


def test_a_work_type_with_the_erp_product_number_is_paired(
    connection: Connection, sandbox: so.Client
):
    erp = so.WorkType.objects.filter(client=sandbox, active=True).order_by("work_type_id")[0]
    ours = WorkType.objects.create(
        name=erp.name, price=Decimal(erp.price), product_number=str(erp.product_id)
    )

    pull(connection, "work_type")

    binding = Binding.objects.get(connection=connection, entity="work_type", local_id=ours.pk)
    assert binding.external_id == str(erp.work_type_id)
    assert WorkType.objects.filter(name=erp.name).count() == 1


def test_a_record_marked_no_sync_is_not_paired(connection: Connection, sandbox: so.Client):
    company = so.Company.objects.filter(client=sandbox, active=True).order_by("company_id")[0]
    ours = Customer.objects.create(name="Annen kunde", number="", organisation_number="")
    ours_same = Customer.objects.create(
        name=company.name, number="", organisation_number=company.organization_number
    )
    Binding.objects.create(
        connection=connection,
        entity="customer",
        local_id=ours_same.pk,
        external_id="",
        state=State.EXCLUDED,
    )

    pull(connection, "customer")

    assert (
        not Binding.objects.filter(
            connection=connection, entity="customer", local_id__in=[ours.pk, ours_same.pk]
        )
        .exclude(state=State.EXCLUDED)
        .exists()
    )
