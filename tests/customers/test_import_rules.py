"""The import's rules without the admin: reading files, planning, and the writing service."""

import pytest

from apps.core.exceptions import ApplicationError
from apps.customers import imports
from apps.customers.models import Customer
from apps.customers.services import customers_import
from tests.customers.factories import CustomerFactory


def _plan(text: str, encoding: str = "utf-8") -> imports.ImportPlan:
    table = imports.read_table(content=text.encode(encoding), filename="f.csv")
    return imports.plan_import(table=table)


@pytest.mark.django_db
def test_text_saved_twice_in_the_wrong_encoding_is_reported_not_imported():
    plan = _plan("customer_number;name\n1;BÃ¸ Bygg AS\n2;Bø Bygg AS\n")

    assert [(e.row, e.column) for e in plan.errors] == [(2, "name")]
    assert [r.data["name"] for r in plan.creates] == ["Bø Bygg AS"]


@pytest.mark.django_db
def test_tab_separated_files_and_blank_lines_are_read():
    plan = _plan("customer_number\tname\tcity\n\n1\tA AS\tBø\n\n")

    assert [(r.row, r.data) for r in plan.creates] == [
        (3, {"number": "1", "name": "A AS", "city": "Bø"})
    ]


@pytest.mark.django_db
def test_an_organisation_number_is_compared_the_way_it_is_normalised():
    CustomerFactory(number="1", name="A AS", organisation_number="987 654 325", country="NO")

    plan = _plan("customer_number,name,organisation_number\n1,A AS,NO987654325MVA\n")

    assert len(plan.unchanged) == 1 and plan.updates == []


@pytest.mark.django_db
def test_foreign_organisation_numbers_are_not_checked_as_norwegian():
    plan = _plan("customer_number,name,organisation_number,country\n1,Smörgås AB,556016-0680,se\n")

    assert plan.errors == []
    assert plan.creates[0].data["organisation_number"] == "556016-0680"
    assert plan.creates[0].data["country"] == "SE"


def test_an_empty_or_unsupported_file_is_refused():
    with pytest.raises(imports.ImportFileError, match="empty"):
        imports.read_table(content=b"  \n", filename="f.csv")
    with pytest.raises(imports.ImportFileError, match=r"\.csv or \.xlsx"):
        imports.read_table(content=b"a,b\n", filename="f.pdf")
    with pytest.raises(imports.ImportFileError, match="not an Excel workbook"):
        imports.read_table(content=b"a,b\n", filename="f.xlsx")


@pytest.mark.django_db
def test_the_service_refuses_erp_owned_customers_and_writes_nothing():
    owned = CustomerFactory(number="1", erp_owned=True, erp_system="24SevenOffice")

    with pytest.raises(ApplicationError, match="owned by 24SevenOffice"):
        customers_import(
            creates=[{"number": "2", "name": "Ny AS"}], updates=[(owned, {"name": "Endret"})]
        )

    assert not Customer.objects.filter(number="2").exists()
    assert Customer.objects.get(number="1").name == owned.name


@pytest.mark.django_db
def test_the_service_refuses_a_number_another_customer_has_meanwhile():
    CustomerFactory(number="3")

    with pytest.raises(ApplicationError, match="already used"):
        customers_import(creates=[{"number": "3", "name": "Ny AS"}], updates=[])

    assert Customer.objects.filter(number="3").count() == 1
