"""The domain over real HTTP: the API as a client calls it (bearer + CompanyKey), the
eventplan delivering to a loopback receiver, the work items an order takes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from tests.sandbox.unimicro.api.conftest import Api

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _inline(settings):
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "WEBHOOK_DELIVERY": "inline"}


def test_eventplan_over_the_api_signs_what_the_api_writes(api: Api, receiver):
    plan = api.ok(
        api.post(
            "eventplans",
            {
                "Name": "Tidsbro",
                "PlanType": 0,
                "ModelFilter": "Customer",
                "OperationFilter": "CU",
                "Subscribers": [{"ID": 0, "_createguid": "s-1", "Endpoint": receiver.url}],
            },
        )
    )
    key = plan["SigningKey"]
    assert len(key) == 64
    customer = api.ok(
        api.post("customers", {"Info": {"Name": "Fjordlys AS"}, "_createguid": "c-1"})
    )
    assert customer["CustomerNumber"] == 100000
    api.ok(api.put("customers", None, action="deactivate", ID=customer["ID"]))
    assert [c["json"]["EventType"] for c in receiver.calls] == ["Create", "Update"]
    for call in receiver.calls:
        stamp, digest = (
            p.split("=", 1)[1] for p in call["headers"]["Unimicro-Signature"].split(",")
        )
        expected = hmac.new(key.encode(), stamp.encode() + b"." + call["raw"], hashlib.sha256)
        assert hmac.compare_digest(digest, expected.hexdigest())
    assert receiver.calls[1]["json"]["Entity"]["StatusCode"] == 50001


def test_hours_to_order_to_invoice_over_the_api(api: Api):
    # the users a company lists are the server's; current-session adds the caller
    me = api.ok(api.get("users", action="current-session"))
    worker = api.ok(api.post("workers", None, action="create-worker-from-user", userid=me["ID"]))
    again = api.ok(api.post("workers", None, action="create-worker-from-user", userid=me["ID"]))
    assert again["ID"] == worker["ID"]
    relation = worker["Relations"][0]["ID"]
    product = api.ok(api.post("products", {"PartName": "1010", "Name": "Rådgivning"}))
    work_type = api.ok(api.post("worktypes", {"Name": "Rådgivning", "ProductID": product["ID"]}))
    project = api.ok(api.post("projects", {"Name": "Ny nettbutikk"}))
    customer = api.ok(api.post("customers", {"Info": {"Name": "Fjordlys AS"}}))
    item = api.ok(
        api.post(
            "workitems",
            {
                "WorkRelationID": relation,
                "WorkTypeID": work_type["ID"],
                "Date": "2026-11-30",
                "StartTime": "2026-11-30T08:00:00",
                "EndTime": "2026-11-30T12:00:00",
                "Dimensions": {"ProjectID": project["ID"], "_createguid": "d-1"},
            },
        )
    )
    assert item["Minutes"] == 240
    refused = api.post(
        "workitems", {"WorkRelationID": relation, "WorkTypeID": 999, "Date": "2026-11-30"}
    )
    assert refused.status_code == 400
    assert "WorkType with ID 999 does not exist" in refused.text
    order = api.ok(
        api.post(
            "orders",
            {
                "CustomerID": customer["ID"],
                "Items": [
                    {
                        "ID": 0,
                        "_createguid": "line-1",
                        "ProductID": product["ID"],
                        "NumberOfItems": 4,
                        "ItemSource": {
                            "_createguid": "src-1",
                            "Details": [
                                {
                                    "SourceType": "WorkItem",
                                    "SourceFK": item["ID"],
                                    "Amount": 240,
                                    "_createguid": "det-1",
                                }
                            ],
                        },
                    }
                ],
            },
        )
    )
    taken = api.ok(api.get(f"workitems/{item['ID']}"))
    assert (taken["TransferedToOrder"], taken["CustomerOrderID"], taken["OrderItemId"]) == (
        True,
        order["ID"],
        order["Items"][0]["ID"],
    )
    assert len(api.ok(api.get("workitems", filter="transferedtoorder eq 0"))) == 0
    registered = api.ok(api.post(f"orders/{order['ID']}", None, action="register"))
    assert registered["OrderNumber"] == 1 and registered["StatusCode"] == 41002
    invoice = api.ok(api.put(f"orders/{order['ID']}", None, action="transfer-to-invoice"))
    assert invoice["StatusCode"] == 42001 and invoice["InvoiceNumber"] is None
    booked = api.ok(api.put(f"invoices/{invoice['ID']}", None, action="invoice"))
    assert (booked["StatusCode"], booked["InvoiceNumber"]) == (42002, "1")


def test_current_session_is_the_seeded_user_of_the_token(api: Api):
    from apps.sandbox.unimicro.seed import seed

    seed()
    me = api.ok(api.get("users", action="current-session"))
    assert me["Email"] == "regnskap@tidsbro.no"
    listed = api.ok(api.get("users", filter="Email eq 'regnskap@tidsbro.no'"))
    assert [u["ID"] for u in listed] == [me["ID"]]
    assert api.post("users", {"DisplayName": "Ny"}).status_code == 400
