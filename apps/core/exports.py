"""Spreadsheet downloads (CSV, XLSX) with formula injection neutralised in every cell."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import tablib
from django.http import HttpResponse
from django.utils import formats

from apps.core.formatting import neutralise_formula

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def dataset_neutralised(dataset: tablib.Dataset) -> tablib.Dataset:
    """A copy of `dataset` in which no text cell starts like a formula (=, +, -, @, tab, CR)."""
    safe = tablib.Dataset(headers=[neutralise_formula(h) for h in dataset.headers or []])
    for row in dataset:
        safe.append([neutralise_formula(v) for v in row])
    return safe


def rows_dataset(rows: Sequence[Sequence[Any]]) -> tablib.Dataset:
    """A dataset whose first row is the header."""
    dataset = tablib.Dataset(headers=list(rows[0]) if rows else [])
    for row in rows[1:]:
        dataset.append(list(row))
    return dataset


def _numbers_localised(dataset: tablib.Dataset) -> tablib.Dataset:
    # A CSV is read as text: "7.50" must be "7,50" for Excel in Norwegian, Swedish or Danish
    # (XLSX keeps real numbers).
    out = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        out.append(
            [
                formats.number_format(v, use_l10n=True)
                if isinstance(v, Decimal | float) and not isinstance(v, bool)
                else v
                for v in row
            ]
        )
    return out


def spreadsheet_response(
    dataset: tablib.Dataset, *, fmt: str, filename: str, delimiter: str = ";"
) -> HttpResponse:
    """The dataset as a download: CSV in UTF-8 with BOM and `;` (what Nordic Excel opens
    directly), or XLSX. Formulas are neutralised here, so no export can forget it."""
    safe = dataset_neutralised(dataset)
    if fmt == "xlsx":
        content: Any = safe.export("xlsx")
    elif fmt == "csv":
        content = "\ufeff" + _numbers_localised(safe).export("csv", delimiter=delimiter)
    else:
        raise ValueError(fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
