"""Pure rules of the Unimicro sandbox's domain: eventplan matching, signatures, minutes."""

import hashlib
import hmac

from apps.sandbox.unimicro import deliveries, entities, events


def plan(**fields):
    return {
        "ID": 1,
        "Active": True,
        "PlanType": 0,
        "ModelFilter": "*",
        "OperationFilter": "CUD",
    } | fields


def test_model_filter_names_entities_in_any_case_or_star():
    assert events.plan_matches(plan(ModelFilter="customer, Project"), "Customer", "C", {}, [])
    assert events.plan_matches(plan(ModelFilter="*"), "WorkItem", "U", {}, [])
    assert not events.plan_matches(plan(ModelFilter="Project"), "Customer", "C", {}, [])


def test_operation_filter_holds_only_its_letters():
    assert events.plan_matches(plan(OperationFilter="UD"), "Customer", "D", {}, [])
    assert not events.plan_matches(plan(OperationFilter="UD"), "Customer", "C", {}, [])


def test_inactive_or_non_webhook_plans_deliver_nothing():
    assert not events.plan_matches(plan(Active=False), "Customer", "C", {}, [])
    assert not events.plan_matches(plan(PlanType=1), "Customer", "C", {}, [])


def test_expression_filters_for_the_entity_must_hold():
    filters = [{"EntityName": "Customer", "Expression": "StatusCode eq 30001"}]
    assert events.plan_matches(plan(), "Customer", "U", {"StatusCode": 30001}, filters)
    assert not events.plan_matches(plan(), "Customer", "U", {"StatusCode": 50001}, filters)
    # a filter for another entity does not stop this one
    assert events.plan_matches(plan(), "Project", "U", {"StatusCode": 1}, filters)
    assert events.expression_holds(
        "Name eq 'O''Brien AS' and CustomerNumber ge 100000",
        {"Name": "O'Brien AS", "CustomerNumber": 100004},
    )


def test_payload_names_entity_event_id_and_company():
    body = events.payload("k-1", "Customer", 7, "D", {})
    assert body == {
        "EntityName": "Customer",
        "EventType": "Delete",
        "EntityID": 7,
        "CompanyKey": "k-1",
        "Entity": None,
    }


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    header = deliveries.sign("secret", '{"a":1}', timestamp=1700000000)
    stamp, digest = (part.split("=", 1)[1] for part in header.split(","))
    expected = hmac.new(b"secret", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert stamp == "1700000000" and digest == expected


def test_minutes_are_the_span_less_lunch_and_wrap_past_midnight():
    item = {
        "StartTime": "2026-03-05T08:00:00+01:00",
        "EndTime": "2026-03-05T16:00:00+01:00",
        "LunchInMinutes": 30,
    }
    entities._fill_minutes(item)
    assert item["Minutes"] == 450
    night = {"StartTime": "22:00", "EndTime": "02:00"}
    entities._fill_minutes(night)
    assert night["Minutes"] == 240
    given = {"StartTime": "08:00", "EndTime": "09:00", "Minutes": 15}
    entities._fill_minutes(given)
    assert given["Minutes"] == 15


def test_catalogue_serves_the_plurals_of_the_notes():
    for plural, name in [
        ("customers", "Customer"),
        ("projects", "Project"),
        ("orders", "CustomerOrder"),
        ("invoices", "CustomerInvoice"),
        ("workitems", "WorkItem"),
        ("workrelations", "WorkRelation"),
        ("workers", "Worker"),
        ("worktypes", "WorkType"),
        ("products", "Product"),
        ("eventplans", "Eventplan"),
        ("workitemgroups", "WorkItemGroup"),
        ("users", "User"),
        ("Customers", "Customer"),
    ]:
        assert entities.by_plural(plural).name == name
    assert entities.by_plural("nothing") is None
    items, fk = entities.CustomerOrder.expandable["Items"]
    assert (items.name, fk, entities.CustomerOrder.expandable["Items"].many) == (
        "CustomerOrderItem",
        "CustomerOrderID",
        True,
    )
    assert set(entities.Customer.children) == {"Info", "Dimensions"}


def test_demo_customers_share_four_org_numbers_with_tidsbro_and_two_are_unimicro_only():
    from apps.demo.office import customer_specs
    from apps.sandbox.unimicro.seed import demo_customers

    tidsbro = customer_specs()
    ours = demo_customers()
    assert [c["number"] for c in ours] == list(range(100000, 100012))
    tidsbro_orgs = {c["organisation_number"] for c in tidsbro}
    tidsbro_names = {c["name"] for c in tidsbro}
    shared = [c for c in ours if c["org_number"] in tidsbro_orgs]
    assert len(shared) == 4
    only_here = [c for c in ours if c["name"] not in tidsbro_names]
    assert len(only_here) == 2 and all(c["org_number"] not in tidsbro_orgs for c in only_here)
    assert not {str(c["number"]) for c in ours} & {c["number"] for c in tidsbro}
