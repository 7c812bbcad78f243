"""The Unimicro sandbox's entities and actions through the API's store (what the API calls)."""

from __future__ import annotations

import pytest

from apps.sandbox.unimicro import actions, entities, store
from apps.sandbox.unimicro.entities import ValidationFailed

from .conftest import COMPANY, OTHER_COMPANY

pytestmark = pytest.mark.django_db


def customer(caller, name="Fjordlys Rådgivning AS", **extra):
    return store.create(COMPANY, "Customer", {"Info": {"Name": name}, **extra}, caller)


def refusal(call) -> list[dict]:
    with pytest.raises(ValidationFailed) as raised:
        call()
    return raised.value.messages


def test_customer_numbers_start_at_100000_per_company_and_refuse_a_taken_number(caller):
    first, second = customer(caller), customer(caller, "Nordlys Energi AS")
    assert (first["CustomerNumber"], second["CustomerNumber"]) == (100000, 100001)
    assert first["StatusCode"] == entities.CUSTOMER_ACTIVE
    assert first["Info"]["Name"] == "Fjordlys Rådgivning AS"
    other = store.create(OTHER_COMPANY, "Customer", {"Info": {"Name": "Holding"}}, caller)
    assert other["CustomerNumber"] == 100000
    messages = refusal(lambda: customer(caller, "Kopi AS", CustomerNumber=100001))
    assert messages[0]["PropertyName"] == "CustomerNumber"
    assert messages[0]["Level"] == 30 and messages[0]["EntityType"] == "Customer"
    assert "100001" in messages[0]["Message"]
    # a number the office chooses is kept
    assert customer(caller, "Eget nummer AS", CustomerNumber=50001)["CustomerNumber"] == 50001


def test_customer_without_a_name_is_refused_with_info_name(caller):
    messages = refusal(
        lambda: store.create(COMPANY, "Customer", {"OrgNumber": "912345670"}, caller)
    )
    assert [(m["PropertyName"], m["Message"]) for m in messages] == [
        ("Info.Name", "Name is required")
    ]


def test_customer_activate_and_deactivate(caller):
    made = customer(caller)
    status, answer = actions.run(
        COMPANY, entities.Customer, None, "deactivate", {"ID": str(made["ID"])}, None, caller
    )
    assert (status, answer["StatusCode"]) == (200, entities.CUSTOMER_INACTIVE)
    status, answer = actions.run(
        COMPANY, entities.Customer, made["ID"], "Activate", {}, None, caller
    )
    assert (status, answer["StatusCode"]) == (200, entities.CUSTOMER_ACTIVE)
    status, answer = actions.run(COMPANY, entities.Customer, 999, "activate", {}, None, caller)
    assert status == 404


def test_projects_are_numbered_as_text_from_100_with_tasks(caller):
    made = store.create(
        COMPANY,
        "Project",
        {"Name": "Ny nettbutikk", "ProjectTasks": [{"Name": "Design", "Number": "1"}]},
        caller,
    )
    assert made["ProjectNumber"] == "100"
    assert made["StatusCode"] == entities.PROJECT_REGISTERED
    assert [t["Name"] for t in made["ProjectTasks"]] == ["Design"]
    assert store.create(COMPANY, "Project", {"Name": "ERP"}, caller)["ProjectNumber"] == "101"
    messages = refusal(
        lambda: store.create(COMPANY, "Project", {"ProjectNumber": "100", "Name": "X"}, caller)
    )
    assert messages[0]["PropertyName"] == "ProjectNumber"


@pytest.fixture
def hours_world(caller):
    user = store.create(
        COMPANY,
        "User",
        {"DisplayName": "Kari Hansen", "Email": "kari@tidsbro.no"},
        caller,
        internal=True,
    )
    product = store.create(COMPANY, "Product", {"PartName": "1010", "Name": "Rådgivning"}, caller)
    work_type = store.create(
        COMPANY, "WorkType", {"Name": "Rådgivning", "ProductID": product["ID"]}, caller
    )
    status, worker = actions.run(
        COMPANY,
        entities.Worker,
        None,
        "create-worker-from-user",
        {"userid": user["ID"]},
        None,
        caller,
    )
    assert status == 200
    project = store.create(COMPANY, "Project", {"Name": "Ny nettbutikk"}, caller)
    return {
        "user": user,
        "product": product,
        "work_type": work_type,
        "worker": worker,
        "relation": worker["Relations"][0],
        "project": project,
        "customer": customer(caller),
    }


def work_item(caller, world, **extra):
    body = {
        "WorkRelationID": world["relation"]["ID"],
        "WorkTypeID": world["work_type"]["ID"],
        "Date": "2026-11-30",
        "StartTime": "2026-11-30T08:00:00+01:00",
        "EndTime": "2026-11-30T16:00:00+01:00",
        "LunchInMinutes": 30,
        "Dimensions": {"ProjectID": world["project"]["ID"], "_createguid": None},
        **extra,
    }
    return store.create(COMPANY, "WorkItem", body, caller)


def test_create_worker_from_user_is_idempotent_and_gives_a_work_relation(caller, hours_world):
    worker = hours_world["worker"]
    assert worker["UserID"] == hours_world["user"]["ID"]
    assert worker["Info"]["Name"] == "Kari Hansen"
    assert hours_world["relation"]["IsActive"] is True
    status, again = actions.run(
        COMPANY,
        entities.Worker,
        None,
        "create-worker-from-user",
        {"UserID": str(hours_world["user"]["ID"])},
        None,
        caller,
    )
    assert (status, again["ID"], len(again["Relations"])) == (200, worker["ID"], 1)
    assert (
        actions.run(COMPANY, entities.Worker, None, "create-worker-from-user", {}, None, caller)[0]
        == 400
    )


def test_work_item_minutes_are_computed_and_unknown_ids_refused(caller, hours_world):
    item = work_item(caller, hours_world)
    assert item["Minutes"] == 450
    assert item["Dimensions"]["ProjectID"] == hours_world["project"]["ID"]
    assert item["TransferedToOrder"] is False
    messages = refusal(lambda: work_item(caller, hours_world, WorkTypeID=999))
    assert ("WorkTypeID", "WorkType with ID 999 does not exist") in [
        (m["PropertyName"], m["Message"]) for m in messages
    ]
    messages = refusal(lambda: work_item(caller, hours_world, WorkRelationID=None))
    assert "WorkRelationID" in [m["PropertyName"] for m in messages]


def order_body(world, items):
    return {
        "CustomerID": world["customer"]["ID"],
        "CustomerName": "Fjordlys Rådgivning AS",
        "Items": [
            {
                "ProductID": world["product"]["ID"],
                "ItemText": "Rådgivning",
                "NumberOfItems": round(item["Minutes"] / 60, 2),
                "PriceExVat": 1450,
                "Dimensions": {"ProjectID": world["project"]["ID"]},
                "ItemSource": {
                    "Details": [
                        {
                            "SourceType": "WorkItem",
                            "SourceFK": item["ID"],
                            "Amount": item["Minutes"],
                        }
                    ]
                },
            }
            for item in items
        ],
    }


def test_an_order_naming_work_items_marks_them_transferred_and_locks_them(caller, hours_world):
    first, second = (
        work_item(caller, hours_world),
        work_item(caller, hours_world, Date="2026-12-01"),
    )
    order = store.create(COMPANY, "CustomerOrder", order_body(hours_world, [first, second]), caller)
    assert order["StatusCode"] == entities.ORDER_DRAFT and order["OrderNumber"] is None
    lines = {line["ItemSource"]["Details"][0]["SourceFK"]: line["ID"] for line in order["Items"]}
    for item in (first, second):
        stored = store.read(COMPANY, "WorkItem", item["ID"])
        assert stored["TransferedToOrder"] is True
        assert stored["CustomerOrderID"] == order["ID"]
        assert stored["OrderItemId"] == lines[item["ID"]]
    # another order cannot take them again
    messages = refusal(
        lambda: store.create(COMPANY, "CustomerOrder", order_body(hours_world, [first]), caller)
    )
    assert "already transferred" in messages[0]["Message"]
    # and the hours cannot change any more
    messages = refusal(
        lambda: store.update(COMPANY, "WorkItem", first["ID"], {"Minutes": 60}, caller)
    )
    assert messages[0]["PropertyName"] == "TransferedToOrder"


def test_an_order_with_an_unknown_product_is_refused(caller, hours_world):
    body = order_body(hours_world, [])
    body["Items"] = [{"ProductID": 999, "NumberOfItems": 1}]
    messages = refusal(lambda: store.create(COMPANY, "CustomerOrder", body, caller))
    assert ("ProductID", "Product with ID 999 does not exist") in [
        (m["PropertyName"], m["Message"]) for m in messages
    ]
    messages = refusal(
        lambda: store.create(COMPANY, "CustomerOrder", {"CustomerName": "x"}, caller)
    )
    assert messages[0]["PropertyName"] == "CustomerID"


def test_register_transfer_to_invoice_and_invoice(caller, hours_world):
    item = work_item(caller, hours_world)
    order = store.create(COMPANY, "CustomerOrder", order_body(hours_world, [item]), caller)
    status, registered = actions.run(
        COMPANY, entities.CustomerOrder, order["ID"], "register", {}, None, caller
    )
    assert status == 200
    assert (registered["StatusCode"], registered["OrderNumber"]) == (entities.ORDER_REGISTERED, 1)
    with pytest.raises(ValidationFailed):
        actions.run(COMPANY, entities.CustomerOrder, order["ID"], "register", {}, None, caller)
    status, invoice = actions.run(
        COMPANY, entities.CustomerOrder, order["ID"], "transfer-to-invoice", {}, None, caller
    )
    assert status == 200
    assert invoice["StatusCode"] == entities.INVOICE_DRAFT and invoice["InvoiceNumber"] is None
    assert invoice["CustomerOrderID"] == order["ID"]
    assert [(i["NumberOfItems"], i["OrderItemId"]) for i in invoice["Items"]] == [
        (7.5, order["Items"][0]["ID"])
    ]
    assert (
        store.read(COMPANY, "CustomerOrder", order["ID"])["StatusCode"]
        == entities.ORDER_TRANSFERRED
    )
    with pytest.raises(ValidationFailed):
        actions.run(
            COMPANY, entities.CustomerOrder, order["ID"], "transfer-to-invoice", {}, None, caller
        )
    status, booked = actions.run(
        COMPANY, entities.CustomerInvoice, invoice["ID"], "invoice", {}, None, caller
    )
    assert (status, booked["StatusCode"], booked["InvoiceNumber"]) == (
        200,
        entities.INVOICE_INVOICED,
        "1",
    )


def test_a_draft_order_transferred_to_invoice_is_registered_first(caller, hours_world):
    order = store.create(
        COMPANY, "CustomerOrder", order_body(hours_world, [work_item(caller, hours_world)]), caller
    )
    status, invoice = actions.run(
        COMPANY, entities.CustomerOrder, order["ID"], "transfer-to-invoice", {}, None, caller
    )
    assert status == 200
    assert store.read(COMPANY, "CustomerOrder", order["ID"])["OrderNumber"] == 1


def test_work_item_groups_collect_a_period_and_are_approved(caller, hours_world):
    inside = work_item(caller, hours_world, Date="2026-11-30")
    work_item(caller, hours_world, Date="2026-12-15")
    relation = hours_world["relation"]["ID"]
    params = {"workrelationid": str(relation), "fromdate": "2026-11-30", "todate": "2026-12-06"}
    status, group = actions.run(
        COMPANY, entities.WorkItemGroup, None, "create-from-items", params, None, caller
    )
    assert status == 200
    assert [i["ID"] for i in group["Items"]] == [inside["ID"]]
    status, assigned = actions.run(
        COMPANY, entities.WorkItemGroup, group["ID"], "Assign", {}, None, caller
    )
    assert assigned["StatusCode"] == entities.WORKFLOW_AWAITING_APPROVAL
    status, approved = actions.run(
        COMPANY, entities.WorkItemGroup, group["ID"], "Approve", {}, None, caller
    )
    assert approved["StatusCode"] == entities.WORKFLOW_APPROVED
    assert store.read(COMPANY, "WorkItem", inside["ID"])["StatusCode"] == entities.WORKFLOW_APPROVED
    with pytest.raises(ValidationFailed):
        actions.run(COMPANY, entities.WorkItemGroup, group["ID"], "Reject", {}, None, caller)
    # nothing left to group in the period
    with pytest.raises(ValidationFailed):
        actions.run(
            COMPANY, entities.WorkItemGroup, None, "create-from-items", params, None, caller
        )


def test_current_session_is_the_callers_user(caller):
    status, user = actions.run(COMPANY, entities.User, None, "current-session", {}, None, caller)
    assert status == 200 and user["GlobalIdentity"] == caller.subject
    status, again = actions.run(COMPANY, entities.User, None, "current-session", {}, None, caller)
    assert again["ID"] == user["ID"]


def test_unknown_action_is_a_400(caller):
    status, answer = actions.run(COMPANY, entities.Customer, None, "explode", {}, None, caller)
    assert status == 400 and "explode" in answer["Message"]


def test_eventplan_gets_a_signing_key_and_refuses_bad_operations(caller):
    plan = store.create(
        COMPANY,
        "Eventplan",
        {"Name": "Tidsbro", "Subscribers": [{"Name": "T", "Endpoint": "http://127.0.0.1:9/x"}]},
        caller,
    )
    assert len(plan["SigningKey"]) == 64
    assert [s["Endpoint"] for s in plan["Subscribers"]] == ["http://127.0.0.1:9/x"]
    messages = refusal(
        lambda: store.create(COMPANY, "Eventplan", {"Name": "X", "OperationFilter": "CRUD"}, caller)
    )
    assert messages[0]["PropertyName"] == "OperationFilter"


def test_removing_an_order_line_frees_its_work_item(caller, hours_world):
    first, second = (
        work_item(caller, hours_world),
        work_item(caller, hours_world, Date="2026-12-01"),
    )
    order = store.create(COMPANY, "CustomerOrder", order_body(hours_world, [first, second]), caller)
    # a PUT of the header only changes nothing for the hours
    store.update(COMPANY, "CustomerOrder", order["ID"], {"OurReference": "Astrid"}, caller)
    assert store.read(COMPANY, "WorkItem", first["ID"])["TransferedToOrder"] is True
    line = next(
        i["ID"] for i in order["Items"] if i["ItemSource"]["Details"][0]["SourceFK"] == first["ID"]
    )
    store.update(
        COMPANY, "CustomerOrder", order["ID"], {"Items": [{"ID": line, "Deleted": True}]}, caller
    )
    freed = store.read(COMPANY, "WorkItem", first["ID"])
    assert (freed["TransferedToOrder"], freed["CustomerOrderID"], freed["OrderItemId"]) == (
        False,
        None,
        None,
    )
    assert store.read(COMPANY, "WorkItem", second["ID"])["TransferedToOrder"] is True
    # freed hours can be changed and put on another order
    store.update(COMPANY, "WorkItem", first["ID"], {"Minutes": 60}, caller)
    store.create(
        COMPANY,
        "CustomerOrder",
        order_body(hours_world, [store.read(COMPANY, "WorkItem", first["ID"])]),
        caller,
    )


def test_an_order_body_sent_with_the_transition_is_saved_first(caller, hours_world):
    order = store.create(COMPANY, "CustomerOrder", order_body(hours_world, []), caller)
    status, _ = actions.run(
        COMPANY,
        entities.CustomerOrder,
        order["ID"],
        "register",
        {},
        {"ID": order["ID"], "OurReference": "Astrid"},
        caller,
    )
    assert status == 200
    saved = store.read(COMPANY, "CustomerOrder", order["ID"])
    assert (saved["OurReference"], saved["StatusCode"]) == ("Astrid", entities.ORDER_REGISTERED)


def test_a_transferred_work_item_cannot_be_deleted_and_a_deleted_order_frees_its_hours(
    caller, hours_world
):
    item = work_item(caller, hours_world)
    order = store.create(COMPANY, "CustomerOrder", order_body(hours_world, [item]), caller)
    messages = refusal(lambda: store.delete(COMPANY, "WorkItem", item["ID"], caller))
    assert "cannot be deleted" in messages[0]["Message"]
    store.delete(COMPANY, "CustomerOrder", order["ID"], caller)
    assert store.read(COMPANY, "WorkItem", item["ID"])["TransferedToOrder"] is False
    store.delete(COMPANY, "WorkItem", item["ID"], caller)
