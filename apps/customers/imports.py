"""Customer file import: reads a CSV/XLSX in the Tidsbro format and plans what it would change.

Reading and planning only read the database; `services.customers_import` writes a plan. The
format (one header row, then one customer per row, matched on the customer number):

    customer_number; name; organisation_number; email; phone; address_line1; address_line2;
    postal_code; city; country; visiting_address; active

Only `customer_number` and `name` are required columns; a column left out is left unchanged on
existing customers. CSV may be UTF-8 (with or without BOM) or Windows-1252, separated by `,`,
`;` or tab (Excel in the Nordics writes `;` and Windows-1252).

A file is bounded before and while it is read (settings `CUSTOMER_IMPORT_MAX_*`): its size, what
an .xlsx unpacks to (checked on the zip's members before openpyxl opens it: a 1.5 MB workbook
can hold 10 million empty rows), the number of rows (empty ones count: they cost the same to
read) and the seconds spent reading and planning.
"""

import csv
import hashlib
import io
import re
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.core.formatting import FORMULA_STARTS
from apps.customers.models import Customer
from apps.customers.services import customer_erp_owned_message

# (header in the file, model field) in the template's order.
COLUMNS: list[tuple[str, str]] = [
    ("customer_number", "number"),
    ("name", "name"),
    ("organisation_number", "organisation_number"),
    ("email", "email"),
    ("phone", "phone"),
    ("address_line1", "address_line1"),
    ("address_line2", "address_line2"),
    ("postal_code", "postal_code"),
    ("city", "city"),
    ("country", "country"),
    ("visiting_address", "visiting_address"),
    ("active", "is_active"),
]
FIELD_OF = dict(COLUMNS)
HEADER_OF = {f: h for h, f in COLUMNS}
REQUIRED = ["customer_number", "name"]
ERROR_COLUMN = "import_errors"  # added to the error file; ignored when it is imported again

# The column names documented in each language (the template of that language uses them).
LOCAL_HEADERS: dict[str, dict[str, str]] = {
    "nb": {
        "customer_number": "kundenummer",
        "name": "navn",
        "organisation_number": "organisasjonsnummer",
        "email": "epost",
        "phone": "telefon",
        "address_line1": "adresse1",
        "address_line2": "adresse2",
        "postal_code": "postnummer",
        "city": "poststed",
        "country": "land",
        "visiting_address": "besøksadresse",
        "active": "aktiv",
    },
    "sv": {
        "customer_number": "kundnummer",
        "name": "namn",
        "organisation_number": "organisationsnummer",
        "email": "epost",
        "phone": "telefon",
        "address_line1": "adress1",
        "address_line2": "adress2",
        "postal_code": "postnummer",
        "city": "ort",
        "country": "land",
        "visiting_address": "besöksadress",
        "active": "aktiv",
    },
    "da": {
        "customer_number": "kundenummer",
        "name": "navn",
        "organisation_number": "cvr",
        "email": "email",
        "phone": "telefon",
        "address_line1": "adresse1",
        "address_line2": "adresse2",
        "postal_code": "postnummer",
        "city": "by",
        "country": "land",
        "visiting_address": "besøgsadresse",
        "active": "aktiv",
    },
}

# Headers people write instead (normalised: lower case, spaces and hyphens as "_"): every
# documented local name, and the variants offices use.
ALIASES = {
    **{local: header for names in LOCAL_HEADERS.values() for header, local in names.items()},
    "number": "customer_number",
    "customer_no": "customer_number",
    "kundenr": "customer_number",
    "kundnr": "customer_number",
    "navn_": "name",
    "org_number": "organisation_number",
    "organization_number": "organisation_number",
    "orgnr": "organisation_number",
    "org_nr": "organisation_number",
    "cvr_nummer": "organisation_number",
    "cvr_nr": "organisation_number",
    "e_mail": "email",
    "e_post": "email",
    "mail": "email",
    "tlf": "phone",
    "address": "address_line1",
    "address_1": "address_line1",
    "address_2": "address_line2",
    "adresse": "address_line1",
    "adresse_1": "address_line1",
    "adresse_2": "address_line2",
    "adress": "address_line1",
    "adress_1": "address_line1",
    "adress_2": "address_line2",
    "postadresse": "address_line1",
    "postadress": "address_line1",
    "utdelningsadress": "address_line1",
    "postnr": "postal_code",
    "post_nr": "postal_code",
    "postort": "city",
    "besoksadresse": "visiting_address",
    "besoksadress": "visiting_address",
    "besogsadresse": "visiting_address",
    "is_active": "active",
}


def local_headers(language: str | None) -> dict[str, str]:
    """File header → the name documented for `language` (the English ones if it has none)."""
    names = LOCAL_HEADERS.get((language or "")[:2], {})
    return {header: names.get(header, header) for header, _field in COLUMNS}


TRUE_WORDS = {"1", "yes", "y", "true", "x", "ja", "j", "active", "aktiv"}
FALSE_WORDS = {"0", "no", "n", "false", "nei", "nej", "inactive", "inaktiv"}

# Stored number of customers per query when looking up existing ones (SQLite's variable limit).
_LOOKUP_CHUNK = 900
_MOJIBAKE = re.compile("[ÃÂ][\u0080-\u00bf]")  # UTF-8 read as Windows-1252: "Ã¸" for "ø"
_ORG_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)

LABELS = {
    "customer_number": gettext_lazy("customer number"),
    "name": gettext_lazy("name"),
    "organisation_number": gettext_lazy("organisation number"),
    "email": gettext_lazy("e-mail"),
    "phone": gettext_lazy("phone"),
    "address_line1": gettext_lazy("address"),
    "address_line2": gettext_lazy("address line 2"),
    "postal_code": gettext_lazy("postal code"),
    "city": gettext_lazy("city"),
    "country": gettext_lazy("country"),
    "visiting_address": gettext_lazy("visiting address"),
    "active": gettext_lazy("active"),
}


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (too big, not a table, no usable header)."""


# --- reading ----------------------------------------------------------------------------------


@dataclass
class Table:
    """The cells of a file: the header row and the data rows with their row numbers (1 = header)."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ","
    deadline: float | None = None  # time.monotonic() by which reading and planning must end


@dataclass(frozen=True)
class Limits:
    """How much one import may read: bytes uploaded, bytes an .xlsx unpacks to, rows, seconds."""

    max_bytes: int
    max_unpacked_bytes: int
    max_rows: int
    max_seconds: float


def limits() -> Limits:
    return Limits(
        max_bytes=settings.CUSTOMER_IMPORT_MAX_BYTES,
        max_unpacked_bytes=settings.CUSTOMER_IMPORT_MAX_UNPACKED_BYTES,
        max_rows=settings.CUSTOMER_IMPORT_MAX_ROWS,
        max_seconds=settings.CUSTOMER_IMPORT_MAX_SECONDS,
    )


def max_upload_bytes() -> int:
    return settings.CUSTOMER_IMPORT_MAX_BYTES


# What opening an .xlsx may cost, in XML elements over all its parts: a customer row of 12
# columns is about 25 to 45 (row, cells, values, shared strings); themes and styles need a few
# thousand. openpyxl parses about half a million elements a second.
_XML_ELEMENTS_PER_ROW = 100
_XML_ELEMENTS_SPARE = 100_000
# Columns read from an .xlsx row: the format has 13 (with the error column); a sheet claiming
# 16,384 would otherwise make every row that wide.
_MAX_XLSX_COLUMNS = 64
_TIME_CHECK_EVERY = 256  # rows between looks at the clock


def read_table(*, content: bytes, filename: str) -> Table:
    """Reads a CSV or XLSX upload into cells; refuses with a clear message what it cannot read.

    Raises ImportFileError when the file is over a limit (size, unpacked size, rows, time).
    """
    bounds = limits()
    if len(content) > bounds.max_bytes:
        raise ImportFileError(
            _("The file is %(size)s MB; the largest file that can be imported is %(limit)s MB.")
            % {"size": _mb(len(content)), "limit": _mb(bounds.max_bytes)}
        )
    if not content.strip():
        raise ImportFileError(_("The file is empty."))
    deadline = time.monotonic() + bounds.max_seconds
    name = filename.lower()
    if name.endswith(".xlsx"):
        table = _read_xlsx(content, bounds, deadline)
    elif name.endswith((".csv", ".txt")):
        table = _read_csv(content, bounds, deadline)
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file (the template shows the columns)."))
    table.deadline = deadline
    return table


def _too_many_rows(bounds: Limits) -> ImportFileError:
    return ImportFileError(
        _(
            "The file has more than %(limit)s rows below the header; at most %(limit)s can be "
            "imported at once. Empty rows count too: delete the rows below the last customer, "
            "or split the file."
        )
        % {"limit": number_format(bounds.max_rows, force_grouping=True)}
    )


def check_time(deadline: float | None) -> None:
    """Raises ImportFileError once the import has used its seconds."""
    if deadline is not None and time.monotonic() > deadline:
        raise ImportFileError(
            _(
                "Reading the file took more than %(seconds)s seconds, so the import was stopped "
                "and nothing was written. Split the file into smaller ones."
            )
            % {"seconds": f"{settings.CUSTOMER_IMPORT_MAX_SECONDS:g}"}
        )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def _looks_binary(content: bytes) -> bool:
    head = content[:8192]
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x89PNG", b"\xff\xd8")):
        return True
    if b"\x00" in head:  # UTF-16 text or any binary format
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 100


def _decode(content: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (BOM or not) or Windows-1252.

    A file that is UTF-8 except for a few bad rows stays UTF-8; those rows carry U+FFFD and
    are reported as badly encoded instead of garbling every other row.
    """
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    non_ascii = [line for line in content.splitlines() if max(line, default=0) > 127]
    utf8_lines = 0
    for line in non_ascii:
        try:
            line.decode("utf-8")
            utf8_lines += 1
        except UnicodeDecodeError:
            pass
    if utf8_lines * 2 >= len(non_ascii):
        return content.decode("utf-8", errors="replace"), "utf-8"
    return content.decode("cp1252", errors="replace"), "cp1252"


def _read_csv(content: bytes, bounds: Limits, deadline: float) -> Table:
    if _looks_binary(content):
        if content.startswith(b"PK\x03\x04"):
            raise ImportFileError(
                _(
                    "This file is not a CSV text file: it looks like an Excel workbook renamed "
                    "to .csv. Upload it as .xlsx, or save it from Excel as “CSV”."
                )
            )
        raise ImportFileError(
            _(
                "This file is not a CSV text file (it contains binary data). Save the sheet as "
                "“CSV” or “Excel workbook (.xlsx)” and upload that."
            )
        )
    text, encoding = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max([";", ",", "\t"], key=first_line.count)
    if not first_line.count(delimiter):
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
        rows = []
        for count, cells in enumerate(reader, start=1):
            if count > bounds.max_rows:
                raise _too_many_rows(bounds)
            if count % _TIME_CHECK_EVERY == 0:
                check_time(deadline)
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise ImportFileError(
            _("The file cannot be read as CSV near line %(line)d: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    return Table(headers, rows, "csv", encoding=encoding, delimiter=delimiter)


def _not_a_workbook() -> ImportFileError:
    return ImportFileError(_("This file is not an Excel workbook (.xlsx) that can be read."))


def _check_workbook(content: bytes, bounds: Limits, deadline: float) -> None:
    """Refuses a workbook that would cost too much to open, before openpyxl opens it.

    First the unpacked size from the zip's directory (zipfile stops reading a member at its
    stated size and then fails its CRC, so a member that lies cannot unpack to more). Then the
    XML parts are streamed and their elements counted on the bytes, without building a tree:
    openpyxl parses some parts whole when it opens the file (every sheet without a
    <dimension>, the shared strings, the styles), before a row can be counted.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            unpacked = sum(member.file_size for member in members)
            if unpacked > bounds.max_unpacked_bytes:
                raise ImportFileError(
                    _(
                        "The workbook unpacks to %(size)s MB; at most %(limit)s MB can be "
                        "imported. Delete other sheets, pictures and empty rows, or save the "
                        "customers as CSV."
                    )
                    % {"size": _mb(unpacked), "limit": _mb(bounds.max_unpacked_bytes)}
                )
            _count_elements(archive, members, bounds, deadline)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _not_a_workbook() from exc


def _count_elements(
    archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], bounds: Limits, deadline: float
) -> None:
    """Raises ImportFileError when the XML parts hold more elements than the rows can need."""
    elements = 0
    budget = bounds.max_rows * _XML_ELEMENTS_PER_ROW + _XML_ELEMENTS_SPARE
    for member in members:
        if not member.filename.endswith((".xml", ".rels")):
            continue
        rows = 0
        with archive.open(member) as part:
            while chunk := part.read(1024 * 1024):
                # Every element opens with "<" and most close with "</" (comments and
                # declarations count as elements too: erring on the safe side).
                elements += chunk.count(b"<") - chunk.count(b"</")
                rows += chunk.count(b"<row")
                if rows > bounds.max_rows + 1:
                    raise _too_many_rows(bounds)
                if elements > budget:
                    raise ImportFileError(
                        _(
                            "The workbook holds far more cells and formatting than %(limit)s "
                            "customers need. Copy only the customers into a new workbook, or "
                            "save them as CSV."
                        )
                        % {"limit": number_format(bounds.max_rows, force_grouping=True)}
                    )
                check_time(deadline)


def _read_xlsx(content: bytes, bounds: Limits, deadline: float) -> Table:
    from openpyxl import load_workbook

    _check_workbook(content, bounds, deadline)
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _not_a_workbook() from exc
    try:
        sheet = book.worksheets[0]
        # The sheet's own dimension is not trusted: "A1:L10000000" would be padded with
        # millions of empty rows after the last real one.
        sheet.reset_dimensions()
        rows_iter = sheet.iter_rows(
            max_row=bounds.max_rows + 2, max_col=_MAX_XLSX_COLUMNS, values_only=True
        )
        try:
            headers = [_cell(v) for v in next(rows_iter)]
        except StopIteration:
            raise ImportFileError(_("The file is empty.")) from None
        rows = []
        for number, values in enumerate(rows_iter, start=2):
            if number - 1 > bounds.max_rows:
                raise _too_many_rows(bounds)
            if number % _TIME_CHECK_EVERY == 0:
                check_time(deadline)
            cells = [_cell(v) for v in values]
            if any(c.strip() for c in cells):
                while not cells[-1].strip():
                    cells.pop()
                rows.append((number, cells))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as exc:
        raise _not_a_workbook() from exc  # a broken member shows only once it is read
    finally:
        book.close()
    while headers and not headers[-1]:
        headers.pop()
    return Table(headers, rows, "xlsx")


def _cell(value: Any) -> str:
    """A spreadsheet value as the text the person typed (10001 stays "10001", not "10001.0")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str  # the header in the file ("" for the row as a whole)
    reason: str


@dataclass
class PlannedRow:
    row: int
    number: str
    data: dict[str, Any]
    customer: Customer | None = None
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (field, old, new)


@dataclass
class ImportPlan:
    """What importing the file would do; computed without writing anything."""

    table: Table
    columns: list[str]  # the Tidsbro headers present, in file order
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})

    @property
    def total_rows(self) -> int:
        return len(self.table.rows)

    @property
    def has_work(self) -> bool:
        return bool(self.creates or self.updates)

    def digest(self) -> str:
        """Fingerprint of the writes, so a confirmation writes exactly what was previewed."""
        h = hashlib.sha256()
        for row in self.creates:
            h.update(repr(("c", row.row, sorted(row.data.items()))).encode())
        for row in self.updates:
            h.update(repr(("u", row.row, row.customer.pk, row.changes)).encode())
        return h.hexdigest()


def _header_key(header: str) -> str:
    key = re.sub(r"[\s\-]+", "_", header.strip().lstrip("\ufeff").lower())
    return ALIASES.get(key, key)


def org_number_valid(number: str) -> bool:
    """A Norwegian organisation number: nine digits, the last a mod-11 check digit."""
    if not re.fullmatch(r"\d{9}", number):
        return False
    remainder = sum(int(d) * w for d, w in zip(number, _ORG_WEIGHTS, strict=False)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(number[8])


def normalise_org_number(value: str, country: str) -> str:
    if country in ("", "NO"):
        compact = re.sub(r"[\s.\-]", "", value).upper()
        compact = compact.removeprefix("NO").removesuffix("MVA")
        if compact.isdigit():
            return compact
    return value.strip()


def _parse_active(value: str) -> bool | None:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def plan_import(*, table: Table) -> ImportPlan:
    """Compares the file with the register: creates, field-by-field updates, errors. No writes."""
    header_errors: list[RowError] = []
    positions: dict[str, int] = {}
    ignored: set[int] = set()
    for i, raw in enumerate(table.headers):
        key = _header_key(raw)
        if not key:
            continue
        if key == ERROR_COLUMN:
            ignored.add(i)
        elif key not in FIELD_OF:
            header_errors.append(
                RowError(
                    1,
                    raw,
                    _("Unknown column “%(column)s”. The columns are: %(columns)s.")
                    % {"column": raw, "columns": ", ".join(h for h, _f in COLUMNS)},
                )
            )
        elif key in positions:
            header_errors.append(
                RowError(1, raw, _("Column “%(column)s” appears twice.") % {"column": raw})
            )
        else:
            positions[key] = i
    for required in REQUIRED:
        if required not in positions:
            header_errors.append(
                RowError(
                    1,
                    required,
                    _("The required column “%(column)s” is missing.") % {"column": required},
                )
            )
    columns = [h for h, _i in sorted(positions.items(), key=lambda item: item[1])]
    plan = ImportPlan(table=table, columns=columns)
    if header_errors:
        plan.errors = header_errors  # no row can be read right with a wrong header
        return plan

    width = len(table.headers)
    parsed: list[PlannedRow] = []
    numbers: list[tuple[int, str]] = []
    for count, (row_number, cells) in enumerate(table.rows, start=1):
        if count % _TIME_CHECK_EVERY == 0:
            check_time(table.deadline)
        shape = _row_errors_shape(row_number, cells, width, ignored)
        if shape:  # the values are shifted: reporting them one by one would only confuse
            plan.errors += shape
            continue
        row_errors: list[RowError] = []
        values = {
            h: _unneutralise(cells[i].strip() if i < len(cells) else "")
            for h, i in positions.items()
        }
        if values["customer_number"]:
            numbers.append((row_number, values["customer_number"]))
        for header, value in values.items():
            if "\ufffd" in value or _MOJIBAKE.search(value):
                row_errors.append(
                    RowError(
                        row_number,
                        header,
                        _(
                            "Bad encoding: the text is garbled (“%(value)s”). Save the file as "
                            "UTF-8 or as Excel's “CSV (semicolon separated)”."
                        )
                        % {"value": value[:40]},
                    )
                )
        data, value_errors = _row_data(row_number, values)
        row_errors += value_errors
        if row_errors:
            plan.errors += row_errors
        else:
            parsed.append(PlannedRow(row_number, data["number"], data))

    _refuse_duplicates(plan, numbers)
    errored = set(plan.error_rows)
    parsed = [p for p in parsed if p.row not in errored]
    existing = _existing_by_number([p.number for p in parsed])
    check_time(table.deadline)
    for planned in parsed:
        customer = existing.get(planned.number)
        error = _compare(planned, customer)
        if error:
            plan.errors.append(error)
        elif customer is None:
            plan.creates.append(planned)
        elif planned.changes:
            plan.updates.append(planned)
        else:
            plan.unchanged.append(planned)
    plan.errors.sort(key=lambda e: e.row)
    return plan


def _unneutralise(value: str) -> str:
    # Tidsbro's exports (and error files) put an apostrophe before text that starts like a
    # formula; importing such a file again gives back the value ("+47 55 …"), not "'+47 55 …".
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _row_errors_shape(row: int, cells: list[str], width: int, ignored: set[int]) -> list[RowError]:
    extra = [c for i, c in enumerate(cells[width:], start=width) if c.strip() and i not in ignored]
    if not extra:
        return []
    return [
        RowError(
            row,
            "",
            _(
                "The row has %(cells)d columns but the header has %(width)d: a separator inside "
                "a value must be in quotes."
            )
            % {"cells": len(cells), "width": width},
        )
    ]


def _row_data(row: int, values: dict[str, str]) -> tuple[dict[str, Any], list[RowError]]:
    """The model values of one row, and what is wrong with them (the model's rules included)."""
    errors: list[RowError] = []
    data: dict[str, Any] = {}
    if not values.get("customer_number"):
        errors.append(RowError(row, "customer_number", _("The customer number is missing.")))
    if not values.get("name"):
        errors.append(RowError(row, "name", _("The name is missing.")))
    country = values.get("country", "").upper()
    for header, value in values.items():
        name = FIELD_OF[header]
        if header == "active":
            if value == "":
                continue  # not given: new customers are active, existing ones stay as they are
            parsed = _parse_active(value)
            if parsed is None:
                errors.append(
                    RowError(
                        row,
                        header,
                        _("“%(value)s” is not yes or no (ja/nei, 1/0).") % {"value": value},
                    )
                )
            data[name] = parsed
        elif header == "country":
            if value:
                data[name] = country
        elif header == "organisation_number":
            data[name] = normalise_org_number(value, country)
        else:
            data[name] = value
    org = data.get("organisation_number", "")
    if org and country in ("", "NO") and not org_number_valid(org):
        errors.append(
            RowError(
                row,
                "organisation_number",
                _(
                    "“%(value)s” is not a valid Norwegian organisation number (nine digits with "
                    "a mod-11 check digit)."
                )
                % {"value": values["organisation_number"]},
            )
        )
    if data.get("email"):
        try:
            validate_email(data["email"])
        except ValidationError:
            errors.append(
                RowError(
                    row,
                    "email",
                    _("“%(value)s” is not a valid e-mail address.") % {"value": data["email"]},
                )
            )
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        errors.append(
            RowError(
                row,
                "country",
                _("The country must be a two-letter code such as NO, SE or DK."),
            )
        )
    for header, value in values.items():
        limit = getattr(Customer._meta.get_field(FIELD_OF[header]), "max_length", None)
        if limit and len(value) > limit:
            errors.append(
                RowError(
                    row,
                    header,
                    _("At most %(limit)d characters (this has %(length)d).")
                    % {"limit": limit, "length": len(value)},
                )
            )
    return data, errors


def _refuse_duplicates(plan: ImportPlan, numbers: list[tuple[int, str]]) -> None:
    counts = Counter(number for _row, number in numbers)
    rows_of: dict[str, list[int]] = {}
    for row, number in numbers:
        if counts[number] > 1:
            rows_of.setdefault(number, []).append(row)
    for number, rows in rows_of.items():
        for row in rows:
            others = ", ".join(str(r) for r in rows if r != row)
            plan.errors.append(
                RowError(
                    row,
                    "customer_number",
                    _("Customer number %(number)s is also in row %(rows)s of the file.")
                    % {"number": number, "rows": others},
                )
            )


def _existing_by_number(numbers: list[str]) -> dict[str, Customer]:
    found: dict[str, Customer] = {}
    for start in range(0, len(numbers), _LOOKUP_CHUNK):
        chunk = numbers[start : start + _LOOKUP_CHUNK]
        for customer in Customer.objects.filter(number__in=chunk):
            found[customer.number] = customer
    return found


def _compare(planned: PlannedRow, customer: Customer | None) -> RowError | None:
    if customer is None:
        return None
    for name, new in planned.data.items():
        old = getattr(customer, name)
        if name == "organisation_number":
            same = normalise_org_number(old, customer.country) == new
        else:
            same = old == new
        if not same:
            planned.changes.append((name, old, new))
    planned.customer = customer
    if planned.changes and customer.erp_owned:
        return RowError(planned.row, "", customer_erp_owned_message(customer))
    return None


# --- files for the person importing -----------------------------------------------------------


def template_rows(language: str | None = None) -> list[list[str]]:
    """The template file: its header in `language`'s column names, and one example row."""
    names = local_headers(language)
    return [
        [names[h] for h, _f in COLUMNS],
        [
            "10001",
            "Fjordlys Rådgivning AS",
            "987654325",
            "post@fjordlys.example",
            "+47 55 00 00 00",
            "Strandkaien 2",
            "",
            "5013",
            "Bergen",
            "NO",
            "",
            "yes",
        ],
    ]


def error_rows(plan: ImportPlan) -> list[list[str]]:
    """The header and the rows that were not imported, each with its reasons in a last column."""
    table = plan.table
    reasons: dict[int, list[str]] = {}
    for error in plan.errors:
        text = f"{error.column}: {error.reason}" if error.column else error.reason
        reasons.setdefault(error.row, []).append(text)
    keep = [i for i, h in enumerate(table.headers) if _header_key(h) != ERROR_COLUMN]
    out = [[table.headers[i] for i in keep] + [ERROR_COLUMN]]
    if 1 in reasons:
        out.append([""] * len(keep) + ["; ".join(reasons[1])])
    for number, cells in table.rows:
        if number in reasons:
            row = [cells[i] if i < len(cells) else "" for i in keep]
            out.append(row + ["; ".join(reasons[number])])
    return out
