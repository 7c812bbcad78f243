"""The Unimicro sandbox's business API over real HTTP (live_server + requests)."""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from apps.sandbox.unimicro.models import RequestLogEntry
from apps.sandbox.unimicro.runtime import fault_decision, knobs_get

from .conftest import COMPANY, FOREIGN_COMPANY, OTHER_COMPANY

pytestmark = pytest.mark.django_db(transaction=True)


def guid() -> str:
    return str(uuid.uuid4())


def customer(api, name: str, **extra) -> dict:
    body = {"_createguid": guid(), "Info": {"Name": name, "_createguid": guid()}, **extra}
    return api.ok(api.post("customers", body))


@pytest.fixture
def three(api) -> list[dict]:
    return [
        customer(api, "Fjordlys Rådgivning AS", OrgNumber="912345670"),
        customer(api, "Nordlys Energi AS", OrgNumber="998877665"),
        customer(api, "O'Brien Bygg AS"),
    ]


# -- lists, stamping, number series ----------------------------------------------------------
def test_lists_are_bare_json_arrays_and_records_are_stamped_by_the_server(api, subject):
    assert api.ok(api.get("customers")) == []
    made = api.ok(
        api.post(
            "customers",
            {
                "ID": 77,
                "CreatedAt": "2000-01-01T00:00:00Z",
                "CreatedBy": "someone else",
                "Info": {"Name": "Fjordlys Rådgivning AS"},
            },
        )
    )
    assert (
        made["ID"] == 1
        and made["CreatedAt"].startswith("20")
        and made["CreatedAt"] != ("2000-01-01T00:00:00Z")
    )
    assert made["CreatedBy"] == subject and made["UpdatedAt"] is None
    assert made["Deleted"] is False and made["StatusCode"] == 30001
    assert "CustomFields" in made and "_createguid" in made
    listed = api.ok(api.get("customers"))
    assert isinstance(listed, list) and [c["ID"] for c in listed] == [1]
    changed = api.ok(api.put("customers/1", {"OrgNumber": "912345670", "UpdatedBy": "x"}))
    assert changed["UpdatedAt"] and changed["UpdatedBy"] == subject
    assert changed["CreatedAt"] == made["CreatedAt"]


def test_customer_numbers_come_from_the_series_from_100000_and_ids_per_company(api_factory):
    first, other = api_factory(COMPANY), api_factory(OTHER_COMPANY)
    a = customer(first, "A AS")
    b = customer(first, "B AS")
    c = customer(other, "C AS")
    assert (a["CustomerNumber"], b["CustomerNumber"], c["CustomerNumber"]) == (
        100000,
        100001,
        100000,
    )
    assert (a["ID"], b["ID"], c["ID"]) == (1, 2, 1)
    assert [x["ID"] for x in first.ok(first.get("customers"))] == [1, 2]
    assert [x["Info"] for x in other.ok(other.get("customers"))] == [None]


def test_get_one_and_404_with_a_message(api):
    made = customer(api, "Fjordlys AS")
    assert api.ok(api.get(f"customers/{made['ID']}"))["CustomerNumber"] == 100000
    missing = api.get("customers/999")
    assert missing.status_code == 404 and "999" in missing.json()["Message"]
    assert api.get("nosuchthings").status_code == 404


def test_put_changes_only_the_fields_sent(api):
    made = customer(api, "Fjordlys AS", OrgNumber="912345670", WebUrl="https://a.no")
    changed = api.ok(api.put(f"customers/{made['ID']}", {"WebUrl": "https://b.no"}))
    assert (changed["WebUrl"], changed["OrgNumber"]) == ("https://b.no", "912345670")
    assert changed["CustomerNumber"] == made["CustomerNumber"]


def test_deleted_records_are_hidden_from_reads_and_lists(api):
    made = customer(api, "Borte AS")
    kept = customer(api, "Her AS")
    assert api.delete(f"customers/{made['ID']}").status_code == 204
    assert api.get(f"customers/{made['ID']}").status_code == 404
    assert [c["ID"] for c in api.ok(api.get("customers"))] == [kept["ID"]]
    assert api.delete(f"customers/{made['ID']}").status_code == 404


# -- filter ------------------------------------------------------------------------------------
def ids(api, path="customers", **params) -> list[int]:
    return [r["ID"] for r in api.ok(api.get(path, **params))]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("CustomerNumber eq 100001", [2]),
        ("CustomerNumber ne 100001", [1, 3]),
        ("CustomerNumber gt 100000", [2, 3]),
        ("CustomerNumber ge 100001", [2, 3]),
        ("CustomerNumber lt 100001", [1]),
        ("CustomerNumber le 100001", [1, 2]),
        ("OrgNumber eq '912345670'", [1]),
        ("OrgNumber eq null", [3]),
        ("OrgNumber ne null", [1, 2]),
        ("Info.Name like '%lys%'", [1, 2]),
        ("Info.Name notlike '%lys%'", [3]),
        ("Info.Name like 'nord%'", [2]),
        ("contains(Info.Name,'BRIEN')", [3]),
        ("startswith(Info.Name,'Fjord')", [1]),
        ("startsWith(Info.Name,'fjord')", [1]),
        ("endswith(Info.Name,'Energi AS')", [2]),
        ("Info.Name eq 'O''Brien Bygg AS'", [3]),
        ("info.name eq 'nordlys energi as'", [2]),
        ("CustomerNumber eq 100000 or CustomerNumber eq 100002", [1, 3]),
        ("(CustomerNumber eq 100000 or CustomerNumber eq 100002) and OrgNumber ne null", [1]),
        ("StatusCode eq 30001 and not (CustomerNumber eq 100000)", [2, 3]),
        ("IsPrivate eq false", [1, 2, 3]),
        ("IsPrivate eq 0", [1, 2, 3]),
        ("IsPrivate eq true", []),
        ("CustomerNumber eq '100002'", [3]),
    ],
)
def test_filter_operators(api, three, expression, expected):
    assert ids(api, filter=expression) == expected


def test_filter_compares_quoted_dates_as_dates(api, three):
    created = three[0]["CreatedAt"]
    assert ids(api, filter="CreatedAt gt '2000-01-01'") == [1, 2, 3]
    assert ids(api, filter=f"CreatedAt ge '{created}'") == [1, 2, 3]
    assert ids(api, filter="CreatedAt lt '2000-01-01T10:00:00'") == []
    api.ok(api.put("customers/2", {"WebUrl": "https://nordlys.no"}))
    assert ids(api, filter="UpdatedAt gt '2000-01-01' or CreatedAt gt '2999-01-01'") == [2]


def test_filter_reaches_into_dimensions_of_work_items(api):
    project = api.ok(api.post("projects", {"Name": "Vindkraft"}))
    product = api.ok(api.post("products", {"Name": "Rådgivning", "PartName": "1010"}))
    work_type = api.ok(api.post("worktypes", {"Name": "Rådgivning", "ProductID": product["ID"]}))
    worker = api.ok(api.post("workers", {"Info": {"Name": "Kari"}}))
    relation = api.ok(api.post("workrelations", {"WorkerID": worker["ID"]}))
    common = {"WorkRelationID": relation["ID"], "WorkTypeID": work_type["ID"], "Minutes": 60}
    on_project = api.ok(
        api.post(
            "workitems",
            {
                **common,
                "Date": "2026-03-05",
                "Dimensions": {"ProjectID": project["ID"], "_createguid": guid()},
            },
        )
    )
    api.ok(api.post("workitems", {**common, "Date": "2026-04-01"}))
    assert ids(api, "workitems", filter=f"dimensions.projectid eq {project['ID']}") == [
        on_project["ID"]
    ]
    found = api.ok(
        api.get(
            "workitems",
            filter="date ge '2026-03-01' and date le '2026-03-31'",
            expand="Worktype,Dimensions,Dimensions.Project",
        )
    )
    assert [w["ID"] for w in found] == [on_project["ID"]]
    assert found[0]["Worktype"]["Name"] == "Rådgivning"
    assert found[0]["Dimensions"]["Project"]["Name"] == "Vindkraft"


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"filter": ""}, "empty"),
        ({"filter": "NoSuchField eq 1"}, "NoSuchField"),
        ({"filter": "Info.NoSuch eq 'x'"}, "NoSuch"),
        ({"filter": "CustomerNumber eq"}, "filter"),
        ({"filter": "CustomerNumber is 1"}, "operator"),
        ({"filter": "Name eq 'unterminated"}, "filter"),
        ({"expand": "NoSuchRelation"}, "NoSuchRelation"),
        ({"orderby": "Nonsense desc"}, "Nonsense"),
        ({"top": "many"}, "top"),
    ],
)
def test_bad_query_options_answer_400_with_a_message(api, three, params, says):
    response = api.get("customers", **params)
    assert response.status_code == 400
    assert says.lower() in response.json()["Message"].lower()


# -- select, expand, paging, order, hateoas ----------------------------------------------------
def test_select_keeps_only_the_fields_asked_for_in_any_case(api, three):
    listed = api.ok(api.get("customers", select="id,CustomerNumber,Info.Name", expand="Info"))
    assert listed[0] == {
        "ID": 1,
        "CustomerNumber": 100000,
        "Info": {"Name": "Fjordlys Rådgivning AS"},
    }
    assert api.ok(api.get("customers/2", select="OrgNumber")) == {"OrgNumber": "998877665"}


def test_expand_fills_navigation_properties_only_when_asked(api, three):
    plain = api.ok(api.get("customers/1"))
    assert plain["Info"] is None and plain["BusinessRelationID"]
    expanded = api.ok(api.get("customers/1", expand="Info,Info.InvoiceAddress"))
    assert expanded["Info"]["Name"] == "Fjordlys Rådgivning AS"
    assert expanded["Info"]["InvoiceAddress"] is None


def test_expand_many_children_of_an_order(api, three):
    product = api.ok(api.post("products", {"Name": "Rådgivning", "PartName": "1010"}))
    order = api.ok(
        api.post(
            "orders",
            {
                "CustomerID": 1,
                "_createguid": guid(),
                "Items": [
                    {
                        "ID": 0,
                        "_createguid": guid(),
                        "ProductID": product["ID"],
                        "NumberOfItems": 2,
                    },
                    {
                        "ID": 0,
                        "_createguid": guid(),
                        "ProductID": product["ID"],
                        "NumberOfItems": 3,
                    },
                ],
            },
        )
    )
    read = api.ok(api.get(f"orders/{order['ID']}", expand="Items,Items.Product,Customer.Info"))
    assert [i["NumberOfItems"] for i in read["Items"]] == [2, 3]
    assert read["Items"][0]["Product"]["PartName"] == "1010"
    assert read["Customer"]["Info"]["Name"] == "Fjordlys Rådgivning AS"
    assert api.ok(api.get(f"orders/{order['ID']}"))["Items"] is None


def test_top_skip_and_orderby(api, three):
    assert ids(api, orderby="CustomerNumber desc") == [3, 2, 1]
    assert ids(api, orderby="OrgNumber desc,ID") == [2, 1, 3]
    assert ids(api, orderby="Info.Name") == [1, 2, 3]
    assert ids(api, top=2) == [1, 2]
    assert ids(api, top=2, skip=2) == [3]
    assert ids(api, top=2, skip=3) == []
    assert ids(api, TOP=1, SKIP=1, OrderBy="id desc") == [2]


def test_hateoas_adds_links_only_when_asked(api, three):
    assert "_links" not in api.ok(api.get("customers/1"))
    assert all("_links" not in c for c in api.ok(api.get("customers", hateoas="false")))
    linked = api.ok(api.get("customers/1", hateoas="true"))
    assert "deactivate" in linked["_links"]["actions"]
    assert list(linked["_links"]["transitions"]) == ["deactivate"]
    assert "Info" in linked["_links"]["relations"]


# -- nested children and _createguid -----------------------------------------------------------
def test_nested_children_are_created_updated_and_deleted_in_the_parent(api):
    product = api.ok(api.post("products", {"Name": "Rådgivning", "PartName": "1010"}))
    made = customer(api, "Fjordlys AS")
    line = {"ProductID": product["ID"], "ItemText": "Første", "NumberOfItems": 1}
    order = api.ok(
        api.post(
            "orders",
            {"CustomerID": made["ID"], "Items": [{"ID": 0, "_createguid": guid(), **line}]},
        )
    )
    first = order["Items"][0]
    assert first["ID"] and first["CustomerOrderID"] == order["ID"]
    changed = api.ok(
        api.put(
            f"orders/{order['ID']}",
            {
                "Items": [
                    {"ID": first["ID"], "NumberOfItems": 5},
                    {"ID": 0, "_createguid": guid(), **line, "ItemText": "Andre"},
                ]
            },
        )
    )
    assert [(i["ItemText"], i["NumberOfItems"]) for i in changed["Items"]] == [
        ("Første", 5),
        ("Andre", 1),
    ]
    after = api.ok(
        api.put(f"orders/{order['ID']}", {"Items": [{"ID": first["ID"], "Deleted": True}]})
    )
    assert [i["ItemText"] for i in after["Items"]] == ["Andre"]
    assert [i["ItemText"] for i in api.ok(api.get("orderitems"))] == ["Andre"]


def test_a_create_guid_used_before_is_refused_for_children_and_top_level(api):
    line_guid, order_guid = guid(), guid()
    made = customer(api, "Fjordlys AS")
    body = {
        "CustomerID": made["ID"],
        "_createguid": order_guid,
        "Items": [{"ID": 0, "_createguid": line_guid, "ItemText": "Linje"}],
    }
    order = api.ok(api.post("orders", body))
    again = api.put(
        f"orders/{order['ID']}",
        {"Items": [{"ID": 0, "_createguid": line_guid, "ItemText": "Linje"}]},
    )
    assert again.status_code == 400
    results = again.json()["_validationResults"]
    assert results["CustomerOrderItem"][0]["PropertyName"] == "_createguid"
    assert len(api.ok(api.get("orderitems"))) == 1
    duplicate = api.post("orders", {**body, "Items": []})
    assert duplicate.status_code == 400
    assert "CustomerOrder" in duplicate.json()["_validationResults"]
    assert len(api.ok(api.get("orders"))) == 1


def test_a_refused_write_changes_nothing_and_keeps_its_guids_free(api):
    line_guid = guid()
    refused = api.post(
        "orders",
        {"CustomerID": 999, "Items": [{"ID": 0, "_createguid": line_guid, "ItemText": "x"}]},
    )
    assert refused.status_code == 400
    assert api.ok(api.get("orders")) == [] and api.ok(api.get("orderitems")) == []
    made = customer(api, "Fjordlys AS")
    ok = api.post(
        "orders",
        {"CustomerID": made["ID"], "Items": [{"ID": 0, "_createguid": line_guid, "ItemText": "x"}]},
    )
    assert ok.status_code == 201


def test_validation_errors_have_the_validation_results_shape(api):
    refused = api.post("customers", {"OrgNumber": "912345670"})
    assert refused.status_code == 400
    body = refused.json()
    assert "Name is required" in body["Message"]
    [message] = body["_validationResults"]["Customer"]
    assert set(message) == {"ID", "EntityID", "EntityType", "PropertyName", "Message", "Level"}
    assert (message["EntityType"], message["PropertyName"], message["Level"]) == (
        "Customer",
        "Info.Name",
        30,
    )
    nested = api.post(
        "eventplans", {"Name": "Plan", "Subscribers": [{"ID": 0, "Name": "Ingen adresse"}]}
    )
    assert nested.status_code == 400
    assert nested.json()["_validationResults"]["EventSubscriber"][0]["PropertyName"] == "Endpoint"


# -- actions -----------------------------------------------------------------------------------
def test_actions_are_dispatched_on_put_post_and_get(api, subject):
    made = customer(api, "Fjordlys AS")
    answer = api.ok(api.put("customers", None, action="deactivate", ID=made["ID"]))
    assert answer["StatusCode"] == 50001
    answer = api.ok(api.post(f"customers/{made['ID']}", None, Action="activate"))
    assert answer["StatusCode"] == 30001
    session = api.ok(api.get("users", action="current-session"))
    assert session["GlobalIdentity"] == subject
    unknown = api.put(f"customers/{made['ID']}", None, action="explode")
    assert unknown.status_code == 400 and "explode" in unknown.json()["Message"]


def test_users_are_read_only(api):
    refused = api.post("users", {"DisplayName": "Ny"})
    assert refused.status_code == 400


# -- auth and company --------------------------------------------------------------------------
def test_company_key_is_required_and_401_says_authorization_denied(api_factory):
    without_company = api_factory(company_key=None).get("customers")
    assert without_company.status_code in (400, 401, 403)
    assert without_company.json()["Message"]
    unknown = api_factory(company_key=str(uuid.uuid4())).get("customers")
    assert unknown.status_code == 401 and unknown.json()["Message"]
    foreign = api_factory(company_key=FOREIGN_COMPANY).get("customers")
    assert foreign.status_code == 403 and foreign.json()["Message"]
    denied = api_factory(bearer="not-a-token").get("customers")
    assert denied.status_code == 401
    assert denied.json()["Message"] == "Authorization has been denied for this request"


def test_companies_do_not_see_each_others_records(api_factory):
    customer(api_factory(COMPANY), "Bare i firma 1 AS")
    assert api_factory(OTHER_COMPANY).ok(api_factory(OTHER_COMPANY).get("customers")) == []


# -- knobs and the request log -----------------------------------------------------------------
def test_the_fault_knob_answers_503_with_retry_after_as_the_seed_predicts(api):
    knobs = knobs_get()
    knobs.fault_rate, knobs.fault_http503, knobs.fault_seed = 0.5, True, 3
    knobs.retry_after_seconds = 2
    knobs.save()
    statuses = [api.get("customers").status_code for _ in range(12)]
    predicted = [
        503 if fault_decision(seed=3, sequence=n, rate=0.5, kinds=["http503"]) else 200
        for n in range(1, 13)
    ]
    assert statuses == predicted and 503 in statuses and 200 in statuses
    failed = next(r for r in (api.get("customers") for _ in range(20)) if r.status_code == 503)
    assert failed.headers["Retry-After"] == "2" and failed.json()["Message"]


def test_a_500_fault_changes_nothing(api):
    knobs = knobs_get()
    knobs.fault_rate, knobs.fault_http503, knobs.fault_http500 = 1.0, False, True
    knobs.save()
    assert api.post("customers", {"Info": {"Name": "X"}}).status_code == 500
    knobs.fault_rate = 0
    knobs.save()
    assert api.ok(api.get("customers")) == []


def test_the_request_log_never_keeps_the_token(api, token):
    customer(api, "Loggført AS")
    api.get("customers", filter="Info.Name eq 'Loggført AS'", access_token=token)
    entries = list(RequestLogEntry.objects.order_by("id"))
    assert [(e.method, e.status) for e in entries] == [("POST", 201), ("GET", 200)]
    assert entries[0].company_key == COMPANY and "Loggf" in entries[0].request_body
    for entry in entries:
        stored = " ".join([entry.path, entry.query, entry.request_body, entry.response_body])
        assert token not in stored
    assert "access_token=***" in entries[1].query


def test_a_hanging_answer_times_the_client_out_after_the_write_was_done(api):
    knobs = knobs_get()
    knobs.fault_rate, knobs.fault_http503, knobs.fault_hang = 1.0, False, True
    knobs.hang_seconds = 1.5
    knobs.save()
    with pytest.raises(requests.Timeout):
        api.session.post(
            f"{api.base}/api/biz/customers", json={"Info": {"Name": "Treg AS"}}, timeout=0.5
        )
    knobs.fault_rate = 0
    knobs.save()
    assert [c["CustomerNumber"] for c in api.ok(api.get("customers"))] == [100000]


def test_a_reset_connection_does_nothing(api):
    knobs = knobs_get()
    knobs.fault_rate, knobs.fault_http503, knobs.fault_reset = 1.0, False, True
    knobs.save()
    with pytest.raises(requests.ConnectionError):
        api.post("customers", {"Info": {"Name": "Borte AS"}})
    knobs.fault_rate = 0
    knobs.save()
    assert api.ok(api.get("customers")) == []
    assert RequestLogEntry.objects.filter(fault="reset").exists()


def test_init_companies_is_served_under_the_api_base_with_the_bearer_only(api_factory):
    response = api_factory(company_key=None).session.get(
        f"{api_factory().base}/api/init/companies", timeout=30
    )
    assert response.status_code == 200
    assert COMPANY in {c.get("Key") for c in response.json()}
    assert RequestLogEntry.objects.filter(path__endswith="/api/init/companies").exists()


def test_a_list_with_expand_reads_each_navigation_property_once(
    api, three, django_assert_max_num_queries
):
    from django.test import RequestFactory

    from apps.sandbox.unimicro import api as views

    request = RequestFactory().get(
        "/sandbox/unimicro/api/biz/customers",
        {"expand": "Info,Info.InvoiceAddress,Info.DefaultEmail", "filter": "Info.Name ne ''"},
        HTTP_AUTHORIZATION=api.session.headers["Authorization"],
        HTTP_COMPANYKEY=COMPANY,
    )
    with django_assert_max_num_queries(14):
        response = views.biz(request, "customers")
    assert response.status_code == 200 and len(json.loads(response.content)) == 3


def test_a_field_the_notes_name_filters_before_any_record_has_it(api):
    assert api.ok(api.get("customers", filter="GLN eq '123'")) == []
    assert (
        api.ok(api.get("workitems", filter="transferedtoorder eq 0 and MinutesToOrder gt 0")) == []
    )
    assert api.get("customers", filter="Glnx eq '123'").status_code == 400


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("ID eq 2", [2]),
        ("customernumber eq 100001 or CustomerNumber eq 100002", [2, 3]),
        ("OrgNumber eq '912345670'", [1]),
        ("OrgNumber eq 912345670", [1]),
        ("StatusCode eq 30001 and CustomerNumber eq '100000'", [1]),
        ("CustomerNumber eq 100001 and Info.Name eq 'nordlys energi as'", [2]),
        ("not (CustomerNumber eq 100001)", [1, 3]),
    ],
)
def test_equality_read_in_the_database_gives_the_same_answers(api, three, expression, expected):
    assert ids(api, filter=expression) == expected


def test_a_lookup_by_number_reads_one_record_from_the_database(api, three):
    from django.db.models import Q

    from apps.sandbox.unimicro import api as views
    from apps.sandbox.unimicro import entities, query, store

    narrowed = query.prefilter(
        query.parse_filter("CustomerNumber eq 100001"), views._spelling(entities.Customer)
    )
    assert narrowed != Q()
    assert store.live(COMPANY, entities.Customer).filter(narrowed).count() == 1
