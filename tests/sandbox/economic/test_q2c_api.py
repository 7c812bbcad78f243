"""q2capi v5.3.0 in the e-conomic sandbox, over real HTTP: draft invoices with lines and
computed amounts, references checked, objectVersion, paging, and no way to book a draft."""

from __future__ import annotations

import json

import pytest

from apps.sandbox.economic import events, openapi
from apps.sandbox.economic.models import DraftInvoice, DraftInvoiceLine
from apps.sandbox.economic.seed import APP_SECRET_TOKEN, SALES_GRANT_TOKEN, seed

from .conftest import TOKENS, Api

pytestmark = pytest.mark.django_db(transaction=True)

Q = "q2capi/v5.3.0"
SALES_TOKENS = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": SALES_GRANT_TOKEN}


@pytest.fixture
def api(live_server, transactional_db) -> Api:
    seed(demo_office=True)
    return Api(live_server.url)


def _valid(schema: dict, body) -> None:
    check = openapi.validator(openapi.Q2C.filename, "response", json.dumps(schema, sort_keys=True))
    assert [e.message for e in check.iter_errors(body)] == []


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    _valid(_ref("ProblemDetails"), body)
    assert body["errorCode"] == code
    return body


def _draft(**extra) -> dict:
    return {
        "customerNumber": 1,
        "customerName": "Kattegat Vindkraft A/S",
        "date": "2026-12-01",
        "currencyCode": "DKK",
        "layoutNumber": 19,
        "termOfPaymentNumber": 5,
        "vatZoneNumber": 1,
        "heading": "Timer november",
        "otherReference": "Tidsbro ordre 42",
        "externalId": "tidsbro-order-42",
        "projectNumber": 101,
        **extra,
    }


def test_a_draft_with_lines_has_computed_amounts(api):
    emitted: list = []
    original = events.emit
    events.emit = lambda agreement, event, **f: emitted.append((event, f))
    try:
        made = api.post(f"{Q}/invoices/drafts", json=_draft())
    finally:
        events.emit = original
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    _valid(_ref("CreatedResult"), made.json())
    assert emitted == [("DRAFTINVOICE_CREATED", {"DRAFTINVOICENUMBER": number})]
    bulk = api.post(
        f"{Q}/invoices/drafts/{number}/lines/bulk",
        json={
            "lines": [
                {"productNumber": "1010", "quantity": 7.5, "description": "Konsulenttimer"},
                {"productNumber": "1020", "quantity": 2, "unitNetPrice": 1000,
                 "discountPercentage": 10},
                {"description": "Tak for samarbejdet"},
            ]
        },
    )  # fmt: skip
    assert bulk.status_code == 201, bulk.text
    _valid(_ref("DraftInvoiceLineCreatedResultArray"), bulk.json())
    assert len(bulk.json()["numbers"]) == 3
    single = api.post(
        f"{Q}/invoices/drafts/{number}/lines", json={"productNumber": "1090", "quantity": 1}
    )
    assert single.status_code == 201
    lines = api.get(f"{Q}/invoices/drafts/{number}/lines").json()
    _valid({"type": "array", "items": _ref("DraftInvoiceLine")}, lines)
    assert [line.get("totalNetAmount") for line in lines] == [10875.0, 1800.0, 0.0, 650.0]
    assert lines[0]["unitNetPrice"] == 1450.0  # the product's sales price
    assert [line["userInterfaceNumber"] for line in lines] == [1, 2, 3, 4]
    draft = api.get(f"{Q}/invoices/drafts/{number}").json()
    _valid(_ref("DraftInvoice"), draft)
    assert draft["amount"] == 13325.0
    assert draft["vatAmount"] == 3331.25  # 25 % in the domestic VAT zone
    assert draft["amountInBaseCurrency"] == 13325.0
    assert draft["dueDate"] == "2026-12-31T00:00:00"  # net 30 days
    assert draft["externalId"] == "tidsbro-order-42" and draft["projectNumber"] == 101
    one = api.get(f"{Q}/invoices/drafts/{number}/lines/{lines[1]['number']}").json()
    assert one == lines[1]


def test_references_are_checked(api):
    for change, code in [
        ({"customerNumber": 999}, "CustomerNotFound"),
        ({"layoutNumber": 7}, "LayoutNotFound"),
        ({"termOfPaymentNumber": 99}, "TermOfPaymentNotFound"),
        ({"vatZoneNumber": 9}, "VatZoneNotFound"),
        ({"currencyCode": "XYZ"}, "CurrencyNotFound"),
        ({"projectNumber": 9999}, "ProjectNotFound"),
    ]:
        _problem(api.post(f"{Q}/invoices/drafts", json=_draft(**change)), 400, code)
    missing = _problem(api.post(f"{Q}/invoices/drafts", json={"customerNumber": 1}), 400,
                       "ValidationError")  # fmt: skip
    assert "customerName" in {e["property"] for e in missing["errors"]}
    number = api.post(f"{Q}/invoices/drafts", json=_draft()).json()["number"]
    lines = f"{Q}/invoices/drafts/{number}/lines"
    _problem(api.post(lines, json={"productNumber": "NOPE", "quantity": 1}), 400, "ProductNotFound")
    _problem(api.post(lines, json={"quantity": 3}), 400, "QuantityRequiresProduct")
    body = _problem(
        api.post(f"{lines}/bulk", json={"lines": [{"productNumber": "1010", "quantity": 1},
                                                  {"quantity": 2}]}),
        400,
        "QuantityRequiresProduct",
    )  # fmt: skip
    assert body["errors"][0]["property"] == "lines[1].productNumber"
    assert DraftInvoiceLine.objects.count() == 0  # a refused bulk adds no line
    _problem(api.post(f"{Q}/invoices/drafts/9999/lines", json={}), 404, "NotFound")


def test_put_needs_the_object_version_and_delete_removes_one_draft(api):
    number = api.post(f"{Q}/invoices/drafts", json=_draft()).json()["number"]
    other = api.post(f"{Q}/invoices/drafts", json=_draft()).json()["number"]
    draft = api.get(f"{Q}/invoices/drafts/{number}").json()
    stale = dict(draft)
    changed = api.put(f"{Q}/invoices/drafts/{number}", json={**draft, "heading": "Ny"})
    assert changed.status_code == 204, changed.text
    assert api.get(f"{Q}/invoices/drafts/{number}").json()["heading"] == "Ny"
    _problem(api.put(f"{Q}/invoices/drafts/{number}", json=stale), 409, "UpdateConflict")
    no_version = {k: v for k, v in draft.items() if k != "objectVersion"}
    _problem(api.put(f"{Q}/invoices/drafts/{number}", json=no_version), 409, "UpdateConflict")
    assert api.delete(f"{Q}/invoices/drafts/{number}").status_code == 204
    _problem(api.get(f"{Q}/invoices/drafts/{number}"), 404, "NotFound")
    # DELETE takes one draft by number; the collection cannot be deleted
    _problem(api.delete(f"{Q}/invoices/drafts"), 405, "MethodNotAllowed")
    assert list(DraftInvoice.objects.values_list("number", flat=True)) == [other]


def test_drafts_page_count_and_filter_like_every_collection(api):
    for customer in (1, 2, 2):
        api.post(f"{Q}/invoices/drafts", json=_draft(customerNumber=customer))
    page = api.get(f"{Q}/invoices/drafts").json()
    _valid(_ref("DraftInvoiceCursorResults"), page)
    assert [d["number"] for d in page["items"]] == [1, 2, 3] and "cursor" not in page
    assert (
        api.get(f"{Q}/invoices/drafts/count", params={"filter": "customerNumber$eq:2"}).json() == 2
    )
    assert [d["number"] for d in api.get(f"{Q}/invoices/drafts/paged?sort=-number").json()] == [
        3,
        2,
        1,
    ]
    _problem(
        api.get(f"{Q}/invoices/drafts", params={"filter": "heading$eq:x"}), 400, "BadFilterRequest"
    )
    # drafts are Sales: an agreement without the Project module makes them too
    made = api.post(f"{Q}/invoices/drafts", json=_draft(projectNumber=None), headers=SALES_TOKENS)
    assert made.status_code == 400  # its own lists are there, but customer 1 is not
    assert made.json()["errorCode"] == "CustomerNotFound"


def test_nothing_can_book_a_draft(api):
    number = api.post(f"{Q}/invoices/drafts", json=_draft()).json()["number"]
    for method, path in [
        ("POST", "invoices/booked"),
        ("POST", f"invoices/drafts/{number}/book"),
        ("POST", "invoices/booked/lines"),
    ]:
        response = api.request(method, f"{Q}/{path}", json={"draftInvoice": {"number": number}})
        assert response.status_code in (404, 405), (path, response.status_code)
    assert DraftInvoice.objects.filter(number=number).exists()
    paths = openapi.spec(openapi.Q2C.filename)["paths"]
    assert not [p for p in paths if "book" in p and "post" in paths[p]]


def test_idempotency_key_replays_a_draft_create(api):
    keyed = {**TOKENS, "Idempotency-Key": "draft-1"}
    first = api.post(f"{Q}/invoices/drafts", json=_draft(), headers=keyed)
    again = api.post(f"{Q}/invoices/drafts", json=_draft(), headers=keyed)
    assert first.json() == again.json() and again.headers["X-ResultFromCache"] == "true"
    assert DraftInvoice.objects.count() == 1
