"""Exports (CSV/XLSX) of customers and hours: formulas neutralised, only what one may see."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin import helpers
from django.urls import reverse
from openpyxl import load_workbook

from apps.customers.models import Customer
from tests.accounts.factories import admin_user, employee
from tests.customers.factories import CustomerFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

EVIL = "=cmd|' /C calc'!A0"


def _export(client, changelist: str, action: str, objects) -> list[list]:
    response = client.post(
        reverse(changelist),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objects]},
    )
    assert response.status_code == 200, response.content[:500]
    if action.endswith("xlsx"):
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [[c.value for c in row] for row in sheet.iter_rows()]
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("action", ["export_csv", "export_xlsx"])
def test_customer_export_neutralises_formulas(client, action):
    client.force_login(admin_user())
    customer = CustomerFactory(number="9001", name=EVIL, phone="+47 55 00 00 00", city="Bø")

    rows = _export(client, "admin:customers_customer_changelist", action, [customer])

    assert rows[0][:3] == ["customer_number", "name", "organisation_number"]
    assert rows[1][1] == "'" + EVIL
    assert rows[1][4] == "'+47 55 00 00 00"
    assert rows[1][8] == "Bø"


def test_a_customer_export_imports_again_without_changes(client, settings, tmp_path):
    settings.CUSTOMER_IMPORT_DIR = tmp_path
    client.force_login(admin_user())
    customers = [
        CustomerFactory(number="9001", name=EVIL, phone="+47 55 00 00 00", country="NO"),
        CustomerFactory(number="9002", name="Ærlig AS", is_active=False, country="SE"),
    ]
    exported = client.post(
        reverse("admin:customers_customer_changelist"),
        {"action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [c.pk for c in customers]},
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    preview = client.post(
        reverse("admin:customers_customer_import"),
        {"file": SimpleUploadedFile("export.csv", exported.content)},
    )

    plan = preview.context["plan"]
    assert plan.errors == [] and plan.creates == [] and plan.updates == []
    assert len(plan.unchanged) == 2
    assert Customer.objects.get(number="9001").name == EVIL  # stored as typed, shown defused


@pytest.mark.parametrize("action", ["export_csv", "export_xlsx"])
def test_employees_export_only_their_own_hours(client, action):
    kari = employee()
    own = TimeEntryFactory(user=kari, hours=Decimal("7.50"), description=EVIL)
    others = TimeEntryFactory(hours=Decimal("3.00"))
    client.force_login(kari)

    rows = _export(client, "admin:timesheets_timeentry_changelist", action, [own, others])

    header, *entries = rows
    assert header[:2] == ["date", "employee"]
    assert [r[1] for r in entries] == [kari.email]
    assert Decimal(str(entries[0][header.index("hours")])) == Decimal("7.5")
    assert entries[0][header.index("description")] == "'" + EVIL


def test_administrators_export_everyones_hours(client):
    entries = [TimeEntryFactory(), TimeEntryFactory()]
    client.force_login(admin_user())

    rows = _export(client, "admin:timesheets_timeentry_changelist", "export_csv", entries)

    assert sorted(r[1] for r in rows[1:]) == sorted(e.user.email for e in entries)


def test_a_csv_of_hours_writes_decimals_the_way_the_reader_s_excel_reads_them(client):
    kari = employee(language="nb")
    entry = TimeEntryFactory(user=kari, hours=Decimal("7.50"))
    client.force_login(kari)

    rows = _export(client, "admin:timesheets_timeentry_changelist", "export_csv", [entry])

    assert rows[1][rows[0].index("hours")] == "7,50"
