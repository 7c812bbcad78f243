"""Customers over real HTTP: create, read, replace, delete, numbers and lastUpdated."""

import datetime as dt

import pytest

from apps.sandbox.economic.models import Customer
from apps.sandbox.economic.schemas import check_response

from .conftest import new_customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_self_answers_the_fixed_agreement(econ):
    response = econ.get("self")
    assert response.status_code == 200
    body = response.json()
    assert body["agreementNumber"] == 7301001
    assert body["application"]["appPublicToken"] == "tidsbro-demo-app-public"
    assert body["self"] == f"{econ.base}/self"
    check_response("self.get", body)


def test_post_creates_with_201_location_and_the_full_body(econ):
    response = econ.post("customers", json=new_customer(city="København", email="a@b.dk"))
    assert response.status_code == 201
    body = response.json()
    assert response.headers["Location"] == body["self"] == f"{econ.base}/customers/1"
    assert body["customerNumber"] == 1
    assert body["city"] == "København"
    assert body["paymentTerms"]["self"] == f"{econ.base}/payment-terms/1"
    assert body["lastUpdated"].endswith("Z") and len(body["lastUpdated"]) == 20
    check_response("customers.customerNumber.get", body)
    assert econ.get("customers/1").json()["name"] == "Nyhavn Rådgivning ApS"


def test_post_with_a_number_uses_it_and_refuses_a_taken_one(econ):
    assert econ.post("customers", json=new_customer(customerNumber=500)).status_code == 201
    taken = econ.post("customers", json=new_customer(customerNumber=500))
    assert taken.status_code == 400
    entry = taken.json()["errors"]["customerNumber"]["errors"][0]
    assert entry["errorCode"] == "E06100"
    assert Customer.objects.count() == 1


def test_post_accepts_a_reference_by_self_only(econ):
    body = new_customer(customerGroup={"self": f"{econ.base}/customer-groups/2"})
    response = econ.post("customers", json=body)
    assert response.status_code == 201
    assert response.json()["customerGroup"]["customerGroupNumber"] == 2


def test_post_names_the_missing_and_unknown_properties(econ):
    body = new_customer(vatZone={"vatZoneNumber": 99})
    del body["name"]
    response = econ.post("customers", json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["httpStatusCode"] == 400 and error["logId"] and error["message"]
    assert error["errors"]["name"]["errors"][0]["errorCode"] == "E04042"
    assert Customer.objects.count() == 0
    body["name"] = "X"
    unknown = econ.post("customers", json=body).json()
    assert unknown["errors"]["vatZone"]["errors"][0]["errorCode"] == "E06000"


def test_null_is_refused_where_the_schema_wants_a_string(econ):
    response = econ.post("customers", json=new_customer(address=None))
    assert response.status_code == 400
    entry = response.json()["errors"]["address"]["errors"][0]
    assert entry["message"] == "Expected String but got Null"


def test_read_only_and_unknown_properties_are_ignored(econ):
    response = econ.post("customers", json=new_customer(balance=999.99, colour="green"))
    assert response.status_code == 201
    assert response.json()["balance"] == 0
    assert "colour" not in response.json()


def test_put_replaces_the_whole_document(econ):
    econ.post("customers", json=new_customer(city="Aarhus", email="x@y.dk", barred=True))
    before = econ.get("customers/1").json()
    assert before["barred"] is True
    response = econ.put("customers/1", json=new_customer(name="Nyt navn"))
    assert response.status_code == 200
    after = response.json()
    assert after["name"] == "Nyt navn"
    assert "city" not in after and "email" not in after and "barred" not in after
    stored = Customer.objects.get(customer_number=1)
    assert (stored.city, stored.email, stored.barred) == ("", "", False)


def test_put_to_a_missing_number_creates_it(econ):
    response = econ.put("customers/4711", json=new_customer())
    assert response.status_code == 201
    assert response.headers["Location"] == f"{econ.base}/customers/4711"
    assert econ.get("customers/4711").status_code == 200


def test_put_refuses_null(econ):
    econ.post("customers", json=new_customer())
    response = econ.put("customers/1", json=new_customer(city=None))
    assert response.status_code == 400
    assert "city" in response.json()["errors"]


def test_delete_then_404_and_the_number_is_reused(econ):
    for _ in range(3):
        econ.post("customers", json=new_customer())
    assert econ.delete("customers/2").status_code == 204
    gone = econ.get("customers/2")
    assert gone.status_code == 404
    assert gone.json()["errorCode"] == "E06000"
    again = econ.delete("customers/2")
    assert again.status_code == 404 and again.json()["errorCode"] == "E06000"
    reused = econ.post("customers", json=new_customer(name="Ny kunde"))
    assert reused.json()["customerNumber"] == 2


def test_numbering_knob_next_after_max(econ, econ_knobs):
    econ_knobs.numbering = "max"
    econ_knobs.save()
    for _ in range(3):
        econ.post("customers", json=new_customer())
    econ.delete("customers/2")
    assert econ.post("customers", json=new_customer()).json()["customerNumber"] == 4


def test_last_updated_moves_on_every_change(econ):
    created = econ.post("customers", json=new_customer()).json()
    Customer.objects.filter(customer_number=1).update(
        last_updated=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert econ.get("customers/1").json()["lastUpdated"] == "2026-01-01T00:00:00Z"
    replaced = econ.put("customers/1", json=new_customer(city="Vejle")).json()
    assert replaced["lastUpdated"] > "2026-01-01T00:00:00Z"
    assert replaced["lastUpdated"] >= created["lastUpdated"]


def test_unknown_customer_and_bad_number_are_404(econ):
    assert econ.get("customers/999").status_code == 404
    assert econ.get("customers/abc").status_code == 404
    assert econ.get("no-such-thing").status_code == 404


def test_writes_need_json(econ):
    response = econ.post(
        "customers", data="name=x", headers={**econ_tokens(), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415


def econ_tokens():
    from .conftest import TOKENS

    return TOKENS


def test_a_body_over_the_upload_limit_is_413(econ, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = econ.post("customers", json=new_customer(address="x" * 5000))
    assert response.status_code == 413
    assert not Customer.objects.exists()
