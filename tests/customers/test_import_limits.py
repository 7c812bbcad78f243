"""The customer import bounds what one file may cost: unpacked size, rows and time.

The hostile workbooks are generated here (a real openpyxl workbook with its sheet rewritten),
never committed: a 10-million-row sheet compresses to a few hundred kilobytes.
"""

import io
import time
import zipfile
from collections.abc import Iterable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from apps.customers.models import Customer
from tests.accounts.factories import admin_user

pytestmark = pytest.mark.django_db

IMPORT = "admin:customers_customer_import"
SHEET = "xl/worksheets/sheet1.xml"
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
HEADER_ROW = (
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>customer_number</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)
CUSTOMER_ROW = (
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>90001</t></is></c>'
    b'<c r="B2" t="inlineStr"><is><t>Bombe AS</t></is></c></row>'
)


@pytest.fixture(autouse=True)
def _import_dir(settings, tmp_path):
    settings.CUSTOMER_IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def admin_client(client):
    client.force_login(admin_user())
    return client


def _workbook(sheet_parts: Iterable[bytes], *, dimension: bytes = b"") -> bytes:
    """An .xlsx whose first sheet is the given XML, streamed into the zip part by part."""
    book = Workbook()
    book.active.append(["customer_number", "name"])
    source = io.BytesIO()
    book.save(source)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as hostile,
    ):
        for member in original.infolist():
            if member.filename != SHEET:
                hostile.writestr(member, original.read(member.filename))
                continue
            with hostile.open(SHEET, "w", force_zip64=True) as sheet:
                sheet.write(HEAD + dimension + b"<sheetData>")
                for part in sheet_parts:
                    sheet.write(part)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _empty_rows(count: int, row: bytes = b"<row/>") -> Iterable[bytes]:
    block = row * 100_000
    for _ in range(count // 100_000):
        yield block


def _unpacked(content: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return sum(m.file_size for m in archive.infolist())


def _preview(client, content: bytes, name: str = "customers.xlsx"):
    started = time.monotonic()
    response = client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, content)})
    return response, time.monotonic() - started


def _file_errors(response) -> list[str]:
    return response.context["form"].errors.get("file", [])


def test_a_workbook_that_unpacks_to_half_a_gigabyte_is_refused_before_it_is_read(admin_client):
    # The file: 10 million empty rows as Excel writes them, about 50 bytes each.
    row = b'<row spans="1:12" ht="15" customHeight="1" x14ac:dyDescent="0"/>'
    content = _workbook([HEADER_ROW, CUSTOMER_ROW, *_empty_rows(10_000_000, row)])
    assert len(content) < 2 * 1024 * 1024 and _unpacked(content) > 500 * 1024 * 1024

    response, seconds = _preview(admin_client, content)

    [error] = _file_errors(response)
    assert "The workbook unpacks to 6" in error and "at most 100 MB can be imported" in error
    assert seconds < 5
    assert "plan" not in response.context and Customer.objects.count() == 0


def test_ten_million_empty_rows_within_the_unpacked_limit_stop_at_the_row_limit(admin_client):
    content = _workbook([HEADER_ROW, CUSTOMER_ROW, *_empty_rows(10_000_000)])  # 60 MB unpacked

    response, seconds = _preview(admin_client, content)

    [error] = _file_errors(response)
    assert "more than 20,000 rows below the header" in error
    assert "Empty rows count too" in error
    assert seconds < 10
    assert Customer.objects.count() == 0


def test_a_row_numbered_a_million_down_counts_the_empty_rows_before_it(admin_client):
    # Three rows of XML; openpyxl fills the gap with a million empty rows.
    far = b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    content = _workbook([HEADER_ROW, CUSTOMER_ROW, far])

    response, seconds = _preview(admin_client, content)

    assert "more than 20,000 rows" in _file_errors(response)[0]
    assert seconds < 10


def test_a_sheet_that_claims_ten_million_rows_is_read_for_the_rows_it_has(admin_client):
    content = _workbook([HEADER_ROW, CUSTOMER_ROW], dimension=b'<dimension ref="A1:XFD10000000"/>')

    response, seconds = _preview(admin_client, content)

    plan = response.context["plan"]
    assert [row.number for row in plan.creates] == ["90001"]
    assert seconds < 5


def test_the_row_limit_is_a_setting_and_the_limit_itself_is_allowed(admin_client, settings):
    settings.CUSTOMER_IMPORT_MAX_ROWS = 100
    rows = ["customer_number,name"] + [f"{80000 + i},Kunde {i}" for i in range(100)]

    at_limit, _s = _preview(admin_client, "\n".join(rows).encode(), "customers.csv")
    over, _s = _preview(admin_client, "\n".join([*rows, "80100,Én til"]).encode(), "x.csv")

    assert len(at_limit.context["plan"].creates) == 100
    assert "more than 100 rows below the header" in _file_errors(over)[0]


def test_an_import_that_runs_out_of_time_is_stopped_and_writes_nothing(admin_client, settings):
    settings.CUSTOMER_IMPORT_MAX_SECONDS = 0
    content = b"customer_number,name\n80001,Treg AS\n"

    response, _seconds = _preview(admin_client, content, "customers.csv")

    [error] = _file_errors(response)
    assert "took more than 0 seconds, so the import was stopped and nothing was written" in error
    assert Customer.objects.count() == 0


def test_a_limit_reached_at_confirmation_is_a_message_not_a_server_error(admin_client, settings):
    content = b"customer_number,name\n80001,Treg AS\n"
    preview, _seconds = _preview(admin_client, content, "customers.csv")
    settings.CUSTOMER_IMPORT_MAX_ROWS = 0

    response = admin_client.post(
        reverse(IMPORT),
        {"token": preview.context["token"], "digest": preview.context["digest"]},
        follow=True,
    )

    assert response.status_code == 200
    assert "more than 0 rows" in response.content.decode()
    assert Customer.objects.count() == 0


def test_the_import_page_states_the_limits(admin_client, settings):
    settings.CUSTOMER_IMPORT_MAX_ROWS = 20_000
    settings.CUSTOMER_IMPORT_MAX_UNPACKED_BYTES = 100 * 1024 * 1024
    settings.CUSTOMER_IMPORT_MAX_SECONDS = 30

    page = admin_client.get(reverse(IMPORT)).content.decode()

    assert "at most 20,000 rows below the header (empty rows count too)" in page
    assert "unpack to at most 100 MB" in page
    assert "at most 30 seconds" in page


def test_a_sheet_of_millions_of_other_elements_is_refused_before_openpyxl_parses_it(admin_client):
    # No <dimension>: openpyxl would parse the whole sheet when opening it, row or not.
    content = _workbook(
        [HEADER_ROW, CUSTOMER_ROW, b"<rowBreaks/>", *_empty_rows(10_000_000, b"<b/>")]
    )
    assert _unpacked(content) < 100 * 1024 * 1024

    response, seconds = _preview(admin_client, content)

    assert "far more cells and formatting than 20,000 customers need" in _file_errors(response)[0]
    assert seconds < 10
