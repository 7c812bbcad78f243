"""The hourly poll's filter (`UpdatedAt gt '…' or CreatedAt gt '…'`) is narrowed in the
database by the records' stamp columns: an unchanged poll reads the changed rows only, not
every customer of the company (the Unimicro rows of `make bench`: an unchanged round at M
read all 5,000 customers in the sandbox), and answers exactly what the filter keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.sandbox.unimicro import query, store
from apps.sandbox.unimicro.models import BizRecord

from .conftest import COMPANY

pytestmark = pytest.mark.django_db(transaction=True)


def _poll_filter(moment: dt.datetime) -> str:
    text = moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"UpdatedAt gt '{text}' or CreatedAt gt '{text}'"


def test_a_poll_reads_only_the_records_changed_since_its_cursor(api):
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=3)
    made = [
        store.create(COMPANY, "Customer", {"Info": {"Name": f"Kunde {n}"}}, None, internal=True)
        for n in range(30)
    ]
    # 28 of them made three days ago (as a dataset leaves them), two changed or made now.
    BizRecord.objects.filter(company_key=COMPANY, entity="Customer").update(created_at=old)
    for record in BizRecord.objects.filter(company_key=COMPANY, entity="Customer"):
        record.data = {**record.data, "CreatedAt": old.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        record.save(update_fields=["data"])
    cursor = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    store.update(COMPANY, "Customer", made[3]["ID"], {"WebUrl": "https://kunde3.no"}, None)
    fresh = store.create(COMPANY, "Customer", {"Info": {"Name": "Ny"}}, None, internal=True)
    text = _poll_filter(cursor)

    answered = api.ok(api.get("customers", filter=text, orderby="ID"))

    assert [c["ID"] for c in answered] == [made[3]["ID"], fresh["ID"]]
    read = BizRecord.objects.filter(company_key=COMPANY, entity="Customer", deleted=False).filter(
        query.prefilter(query.parse_filter(text), {})
    )
    assert sorted(read.values_list("record_id", flat=True)) == [made[3]["ID"], fresh["ID"]]
    # Nothing since: nothing read.
    later = _poll_filter(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5))
    assert api.ok(api.get("customers", filter=later)) == []
    assert (
        not BizRecord.objects.filter(company_key=COMPANY, entity="Customer")
        .filter(query.prefilter(query.parse_filter(later), {}))
        .exists()
    )


def test_stamp_comparisons_the_database_cannot_read_keep_every_row():
    everything = query.prefilter(query.parse_filter("UpdatedAt lt '2026-01-01'"), {})
    assert everything == query.prefilter(query.parse_filter("Name eq 'x'"), {})
    assert query.prefilter(query.parse_filter("CreatedAt gt 5"), {}) == everything
