"""Admin → Customers → Import: preview writes nothing, confirm writes exactly the preview."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from apps.customers.imports import org_number_valid
from apps.customers.models import Customer
from apps.integrations.models import Binding, Master
from tests.accounts.factories import UserFactory, admin_user, employee
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

IMPORT = "admin:customers_customer_import"
HEADER = ["customer_number", "name", "organisation_number", "email", "city", "active"]


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.CUSTOMER_IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def admin_client(client):
    client.force_login(admin_user())
    return client


def _csv(rows, *, delimiter=",", encoding="utf-8") -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _preview(client, content: bytes, name: str = "customers.csv"):
    return client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, content)})


def _confirm(client, preview):
    ctx = preview.context
    return client.post(
        reverse(IMPORT),
        {"token": ctx["token"], "digest": ctx["digest"], "filename": ctx["filename"]},
        follow=True,
    )


def _register() -> list[tuple]:
    return list(
        Customer.objects.order_by("number").values_list(
            "number", "name", "organisation_number", "email", "city", "is_active", "updated_at"
        )
    )


def _errors(response) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in response.context["plan"].errors}


def test_preview_shows_creates_field_changes_and_unchanged_and_writes_nothing(admin_client):
    CustomerFactory(number="1001", name="Bergen Bygg AS", email="post@bb.no", city="Bergen")
    CustomerFactory(number="1002", name="Voss Vatn AS", email="", city="Voss")
    before = _register()
    content = _csv(
        [
            HEADER,
            ["1001", "Bergen Bygg AS", "", "faktura@bb.no", "Åsane", ""],
            ["1002", "Voss Vatn AS", "", "", "Voss", ""],
            ["1003", "Ny Kunde AS", "987654325", "ny@kunde.no", "Oslo", "ja"],
        ]
    )

    response = _preview(admin_client, content)

    assert response.status_code == 200
    plan = response.context["plan"]
    assert [r.number for r in plan.creates] == ["1003"]
    assert [(r.number, r.changes) for r in plan.updates] == [
        ("1001", [("email", "post@bb.no", "faktura@bb.no"), ("city", "Bergen", "Åsane")])
    ]
    assert [r.number for r in plan.unchanged] == ["1002"]
    assert plan.errors == []
    page = response.content.decode()
    assert "post@bb.no" in page and "faktura@bb.no" in page and "Åsane" in page
    assert "Import 2 customers" in page
    assert _register() == before  # nothing written


def test_confirm_writes_exactly_the_preview_and_importing_again_changes_nothing(admin_client):
    CustomerFactory(number="1001", name="Bergen Bygg AS", email="post@bb.no", city="Bergen")
    content = _csv(
        [
            HEADER,
            ["1001", "Bergen Bygg AS", "", "faktura@bb.no", "Bergen", "nei"],
            ["1003", "Ny Kunde AS", "987 654 325", "ny@kunde.no", "Oslo", ""],
        ]
    )
    preview = _preview(admin_client, content)

    done = _confirm(admin_client, preview)

    assert "Customers created: 1, changed: 1, unchanged: 0" in done.content.decode()
    old = Customer.objects.get(number="1001")
    assert (old.email, old.is_active) == ("faktura@bb.no", False)
    new = Customer.objects.get(number="1003")
    assert (new.name, new.organisation_number, new.is_active, new.erp_owned) == (
        "Ny Kunde AS",
        "987654325",
        True,
        False,
    )
    after = _register()

    again = _preview(admin_client, content)

    plan = again.context["plan"]
    assert (len(plan.creates), len(plan.updates), len(plan.unchanged)) == (0, 0, 2)
    assert "Nothing to import" in again.content.decode()
    assert _register() == after


def test_every_error_class_is_reported_with_its_row_and_only_valid_rows_are_written(admin_client):
    CustomerFactory(number="2000", name="Fra ERP AS", erp_owned=True, erp_system="24SevenOffice")
    lines = [
        b"customer_number,name,organisation_number,email,city,active",
        b"3001,Gyldig AS,987654325,post@gyldig.no,Bergen,ja",  # row 2: fine
        b",Uten Nummer AS,,,,",  # 3: number missing
        b"3003,,,,Oslo,",  # 4: name missing
        b"3004,Feil Orgnr AS,987654321,,,",  # 5: mod-11 check digit wrong
        b"3005,Dobbel AS,,,,",  # 6: duplicate number (with 7)
        b"3005,Dobbel igjen AS,,,,",  # 7
        "3008,Kafé ".encode() + "Ørsta".encode("cp1252") + b",,,,",  # 8: Windows-1252 row
        b"3009,Feil Epost AS,,ikke-epost,,",  # 9: bad e-mail
        b"3010,Komma, i navn AS,,,,ja",  # 10: one column too many
        b"2000,Fra ERP AS endret,,,,",  # 11: ERP-owned customer
        b"3012,Aktiv?,,,,kanskje",  # 12: active not yes/no
    ]
    before = _register()

    response = _preview(admin_client, b"\r\n".join(lines))

    assert _errors(response) == {
        (3, "customer_number"),
        (4, "name"),
        (5, "organisation_number"),
        (6, "customer_number"),
        (7, "customer_number"),
        (8, "name"),
        (9, "email"),
        (10, ""),
        (11, ""),
        (12, "active"),
    }
    reasons = {(e.row, e.column): e.reason for e in response.context["plan"].errors}
    assert "also in row 7" in reasons[(6, "customer_number")]
    assert "Bad encoding" in reasons[(8, "name")]
    assert "owned by 24SevenOffice" in reasons[(11, "")]
    assert "mod-11" in reasons[(5, "organisation_number")]
    assert [r.number for r in response.context["plan"].creates] == ["3001"]
    assert _register() == before

    error_file = admin_client.get(
        reverse("admin:customers_customer_import_errors", args=[response.context["token"], "csv"])
    )
    rows = list(csv.reader(io.StringIO(error_file.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [*HEADER, "import_errors"]
    assert [r[0] for r in rows[1:]] == ["", "3003", "3004", "3005", "3005", "3008", "3009",
                                        "3010", "2000", "3012"]  # fmt: skip
    assert "name: The name is missing." in rows[2][-1]

    done = _confirm(admin_client, response)

    assert "Customers created: 1, changed: 0" in done.content.decode()
    assert "10 rows were not imported" in done.content.decode()
    assert _register()[:1] == before[:1]  # the ERP's customer is as it was
    assert list(Customer.objects.values_list("number", flat=True).order_by("number")) == [
        "2000",
        "3001",
    ]

    # The error file, fixed, imports (its import_errors column is ignored).
    rows[2][1] = "Med Navn AS"
    fixed = admin_client.post(
        reverse(IMPORT),
        {"file": SimpleUploadedFile("fixed.csv", _csv([rows[0], rows[2]], delimiter=";"))},
    )
    assert [r.number for r in fixed.context["plan"].creates] == ["3003"]
    assert fixed.context["plan"].errors == []


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (["customer_number", "name", "fax"], "Unknown column “fax”"),
        (["customer_number", "city"], "required column “name” is missing"),
    ],
)
def test_a_wrong_or_missing_column_is_reported_on_the_header_row(admin_client, header, reason):
    response = _preview(admin_client, _csv([header, ["1", "x", "y"][: len(header)]]))

    errors = response.context["plan"].errors
    assert {e.row for e in errors} == {1}
    assert reason in " ".join(e.reason for e in errors)
    assert not response.context["plan"].has_work


NORDIC = [
    ["kundenummer", "navn", "organisasjonsnummer", "e-post", "poststed", "aktiv"],
    ["4001", "Ærlig Øl Å/S", "NO 987 654 325 MVA", "post@ærlig.no", "Ålesund", "ja"],
    ["4002", "Smörgås AB", "", "", "Malmö", "nej"],
]


@pytest.mark.parametrize(
    ("name", "content", "detected"),
    [
        ("customers.xlsx", _xlsx(NORDIC), "Excel workbook"),
        ("customers.csv", _csv(NORDIC), "UTF-8, separated by comma"),
        ("customers.csv", b"\xef\xbb\xbf" + _csv(NORDIC, delimiter=";"), "UTF-8 (BOM)"),
        ("customers.csv", _csv(NORDIC, delimiter=";", encoding="cp1252"), "Windows-1252"),
    ],
    ids=["xlsx", "csv-utf8", "csv-utf8-bom", "csv-cp1252-semicolon"],
)
def test_xlsx_and_every_csv_flavour_import_the_same_customers(
    admin_client, name, content, detected
):
    preview = _preview(admin_client, content, name)

    assert detected in preview.context["detected"]
    assert preview.context["plan"].errors == []
    _confirm(admin_client, preview)

    assert list(
        Customer.objects.order_by("number").values_list(
            "number", "name", "organisation_number", "email", "city", "is_active"
        )
    ) == [
        ("4001", "Ærlig Øl Å/S", "987654325", "post@ærlig.no", "Ålesund", True),
        ("4002", "Smörgås AB", "", "", "Malmö", False),
    ]


def test_a_file_over_the_size_limit_is_refused_with_the_limit(admin_client, settings):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 1024 * 1024
    content = _csv([HEADER] + [[str(i), "x" * 60, "", "", "", ""] for i in range(20000)])

    response = _preview(admin_client, content)

    assert "the largest file that can be imported is 1 MB" in response.content.decode()
    assert "plan" not in response.context


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_xlsx(NORDIC), "looks like an Excel workbook renamed to .csv"),
        (bytes(range(256)) * 20, "contains binary data"),
        ("customer_number,name\n1,A\n".encode("utf-16"), "contains binary data"),
    ],
    ids=["xlsx-renamed", "binary", "utf16"],
)
def test_a_binary_file_renamed_csv_is_refused_clearly(admin_client, content, message):
    response = _preview(admin_client, content, "customers.csv")

    assert message in response.content.decode()
    assert Customer.objects.count() == 0


def test_a_change_between_preview_and_confirm_writes_nothing_and_shows_the_new_preview(
    admin_client,
):
    customer = CustomerFactory(number="5001", name="Før AS", email="", city="Bergen")
    preview = _preview(admin_client, _csv([HEADER, ["5001", "Før AS", "", "", "Oslo", ""]]))
    Customer.objects.filter(pk=customer.pk).update(city="Oslo")

    response = _confirm(admin_client, preview)

    assert "changed since the preview, so nothing was imported" in response.content.decode()
    assert response.context["plan"].updates == []


def test_imported_customers_have_no_binding_so_the_sync_sees_them_only_in_tidsbro(admin_client):
    connection_24so(
        username="demo@tidsbro.no",
        password="secret",
        client_name="Fjordlys Rådgivning AS",
        client_id="2400101",
        connected=["customer"],
        masters={"customer": Master.ERP},
    )
    preview = _preview(admin_client, _csv([HEADER, ["6001", "Lokal AS", "", "", "", ""]]))

    _confirm(admin_client, preview)

    customer = Customer.objects.get(number="6001")
    assert not customer.erp_owned
    assert not Binding.objects.filter(entity="customer", local_id=customer.pk).exists()


def test_only_people_who_may_add_and_change_customers_see_and_use_the_import(client):
    changelist = reverse("admin:customers_customer_changelist")
    client.force_login(employee())
    assert reverse(IMPORT) not in client.get(changelist).content.decode()
    assert client.get(reverse(IMPORT)).status_code == 403
    client.force_login(UserFactory())
    assert client.get(reverse(IMPORT)).status_code == 403
    client.force_login(admin_user())
    assert reverse(IMPORT) in client.get(changelist).content.decode()
    assert client.get(reverse(IMPORT)).status_code == 200


def test_the_template_downloads_in_both_formats_and_imports_as_is(admin_client):
    xlsx = admin_client.get(reverse("admin:customers_customer_import_template", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["customer_number", "name", "organisation_number"]
    csv_file = admin_client.get(reverse("admin:customers_customer_import_template", args=["csv"]))

    preview = _preview(admin_client, csv_file.content)

    assert preview.context["plan"].errors == []
    assert [r.data["phone"] for r in preview.context["plan"].creates] == ["+47 55 00 00 00"]


def test_norwegian_organisation_number_check_digit():
    assert org_number_valid("987654325")
    assert not org_number_valid("987654321")
    assert not org_number_valid("91234567" + "0")  # remainder gives 10: never valid
    assert not org_number_valid("98765432")


def test_a_large_file_is_planned_and_written_in_bulk_not_row_by_row(
    admin_client, django_assert_max_num_queries
):
    rows = [HEADER] + [[str(70000 + i), f"Kunde {i} AS", "", "", "Bergen", ""] for i in range(1000)]
    content = _csv(rows, delimiter=";", encoding="cp1252")

    with django_assert_max_num_queries(12):  # the 1,000 numbers are looked up in 2 queries
        preview = _preview(admin_client, content)
    with django_assert_max_num_queries(40):  # SQLite inserts ~60 rows a statement, PG all
        done = admin_client.post(
            reverse(IMPORT),
            {"token": preview.context["token"], "digest": preview.context["digest"]},
        )

    assert done.status_code == 302
    assert Customer.objects.count() == 1000


@pytest.mark.parametrize(
    "header",
    [
        ["kundenummer", "navn", "adresse1", "adresse2", "postnummer", "poststed", "besøksadresse"],
        ["kundnummer", "namn", "adress1", "adress2", "postnummer", "ort", "besöksadress"],
        ["kundenummer", "navn", "adresse1", "adresse2", "postnummer", "by", "besøgsadresse"],
    ],
    ids=["nb", "sv", "da"],
)
def test_the_documented_nordic_address_columns_are_understood(admin_client, header):
    row = [
        "4100",
        "Kaikanten AS",
        "Bryggen 1",
        "3. etasje",
        "5003",
        "Bergen",
        "Bryggen 1, inngang B",
    ]

    preview = _preview(admin_client, _csv([header, row]))

    assert preview.context["plan"].errors == []
    [created] = preview.context["plan"].creates
    assert created.data["address_line1"] == "Bryggen 1"
    assert created.data["address_line2"] == "3. etasje"
    assert created.data["visiting_address"] == "Bryggen 1, inngang B"


def test_a_norwegian_office_gets_the_format_and_the_template_in_norwegian(admin_client):
    from django.utils import translation

    with translation.override("nb"):
        page = admin_client.get(reverse(IMPORT), HTTP_ACCEPT_LANGUAGE="nb")
        xlsx = admin_client.get(
            reverse("admin:customers_customer_import_template", args=["xlsx"]),
            HTTP_ACCEPT_LANGUAGE="nb",
        )

    assert "<code>besøksadresse</code>" in page.content.decode()
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:3] == ["kundenummer", "navn", "organisasjonsnummer"]
    preview = _preview(
        admin_client, _csv([[c.value for c in sheet[1]], [c.value or "" for c in sheet[2]]])
    )
    assert preview.context["plan"].errors == []
