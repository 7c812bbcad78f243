"""Collections: skippages/pagesize and the pagination block, filter grammar, sort."""

import datetime as dt

import pytest

from apps.sandbox.economic.models import Customer
from apps.sandbox.economic.schemas import check_response
from apps.sandbox.economic.seed import seed_demo_office

pytestmark = pytest.mark.django_db(transaction=True)


def _customers(agreement, n, **kw):
    base = dt.datetime(2026, 3, 1, 12, 0, 0, tzinfo=dt.UTC)
    Customer.objects.bulk_create(
        Customer(
            agreement=agreement,
            customer_number=i,
            name=f"Kunde {i:03d}",
            last_updated=base + dt.timedelta(seconds=i),
            **kw,
        )
        for i in range(1, n + 1)
    )


def test_default_page_is_20_with_absolute_page_links(econ, econ_world):
    _customers(econ_world, 45)
    body = econ.get("customers").json()
    check_response("customers.get", body)
    assert len(body["collection"]) == 20
    page = body["pagination"]
    assert page["maxPageSizeAllowed"] == 1000
    assert (page["skipPages"], page["pageSize"], page["results"]) == (0, 20, 45)
    assert page["resultsWithoutFilter"] == 45
    assert page["firstPage"] == f"{econ.base}/customers?pagesize=20&skippages=0"
    assert page["nextPage"] == f"{econ.base}/customers?pagesize=20&skippages=1"
    assert page["lastPage"] == f"{econ.base}/customers?pagesize=20&skippages=2"
    assert body["self"] == f"{econ.base}/customers"


def test_following_next_page_reads_every_customer_once(econ, econ_world):
    _customers(econ_world, 45)
    seen, url = [], "customers?pagesize=7&sort=-lastUpdated"
    while url:
        body = econ.get(url).json()
        seen += [c["customerNumber"] for c in body["collection"]]
        url = body["pagination"].get("nextPage")
    assert seen == list(range(45, 0, -1))


def test_last_page_has_no_next_and_beyond_the_end_is_empty(econ, econ_world):
    _customers(econ_world, 45)
    last = econ.get("customers?pagesize=20&skippages=2").json()
    assert len(last["collection"]) == 5 and "nextPage" not in last["pagination"]
    assert last["pagination"]["previousPage"].endswith("skippages=1")
    beyond = econ.get("customers?pagesize=20&skippages=9")
    assert beyond.status_code == 200
    assert beyond.json()["collection"] == [] and beyond.json()["pagination"]["results"] == 45


@pytest.mark.parametrize("size", ["1001", "0", "-1", "x"])
def test_page_size_out_of_range_is_E04810(econ, size):
    response = econ.get(f"customers?pagesize={size}")
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "E04810"
    assert body["errors"]["pagesize"]["errors"][0]["errorCode"] == "E04810"


def test_page_of_1000_is_allowed(econ, econ_world):
    _customers(econ_world, 3)
    assert econ.get("customers?pagesize=1000").status_code == 200


def test_filter_and_or_groups_and_case_insensitive_strings(econ, econ_office):
    seed_demo_office(agreement=econ_office)
    body = econ.get("customers?filter=currency$eq:nok").json()
    assert {c["name"] for c in body["collection"]} == {
        "Øresund Medico Norge AS",
        "Limfjord Fødevarer Norge AS",
        "Nordhavn Data AS",
    }
    assert body["pagination"]["results"] == 3 and body["pagination"]["resultsWithoutFilter"] == 12
    nested = econ.get(
        "customers?filter=currency$eq:NOK$and:(name$like:medico$or:name$like:nordhavn*)"
    ).json()
    assert {c["customerNumber"] for c in nested["collection"]} == {10, 12}
    ors = econ.get("customers?filter=customerNumber$lt:2$or:customerNumber$gt:11").json()
    assert [c["customerNumber"] for c in ors["collection"]] == [1, 12]


def test_filter_operators(econ, econ_office):
    def numbers(query):
        body = econ.get(f"customers?filter={query}").json()
        return [c["customerNumber"] for c in body["collection"]]

    assert numbers("customerNumber$in:[2,5,7]") == [2, 5, 7]
    assert numbers("customerNumber$nin:[1,2,3,4,5,6,7,8,9,10]") == [11, 12]
    assert numbers("customerNumber$gte:11") == [11, 12]
    assert numbers("customerNumber$lte:2") == [1, 2]
    assert numbers("customerNumber$ne:1$and:customerNumber$lt:4") == [2, 3]
    assert numbers("name$like:*AS") == [10, 11, 12]
    assert numbers("name$like:Kattegat*") == [1]
    assert numbers("city$like:*hus*") == [1]
    assert numbers("customerGroup.customerGroupNumber$eq:2") == [9]
    assert numbers("corporateIdentificationNumber$eq:$null:") == [9, 10, 11, 12]
    assert numbers("barred$eq:false$and:zip$eq:8000") == [1]


def test_filter_escapes(econ, econ_world):
    Customer.objects.create(
        agreement=econ_world,
        customer_number=1,
        name="Smith & Co (Holding) A/S $",
        last_updated=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    from urllib.parse import quote

    text = quote("name$eq:Smith & Co $(Holding$) A/S $$")
    body = econ.get(f"customers?filter={text}").json()
    assert [c["customerNumber"] for c in body["collection"]] == [1]


def test_last_updated_is_filterable_with_gte_to_the_second(econ, econ_world):
    _customers(econ_world, 10)  # 12:00:01 … 12:00:10
    body = econ.get("customers?filter=lastUpdated$gte:2026-03-01T12:00:08Z").json()
    assert [c["customerNumber"] for c in body["collection"]] == [8, 9, 10]
    assert body["collection"][0]["lastUpdated"] == "2026-03-01T12:00:08Z"
    day = econ.get("customers?filter=lastUpdated$gte:2026-03-02").json()
    assert day["collection"] == []


def test_unfilterable_property_lists_the_allowed_ones(econ):
    response = econ.get("customers?filter=balanceX$eq:1")
    assert response.status_code == 400
    body = response.json()
    assert "lastUpdated" in body["allowedFilteringFields"]
    assert "pNumber" in body["allowedFilteringFields"]
    assert econ.get("customers?filter=name$eq").status_code == 400
    assert econ.get("customers?filter=customerNumber$eq:abc").status_code == 400
    assert econ.get("customers?filter=name$in:[a,b]").status_code == 400
    too_many = ",".join(str(i) for i in range(201))
    assert econ.get(f"customers?filter=customerNumber$in:[{too_many}]").status_code == 400


def test_sort_descending_and_several_fields(econ, econ_world):
    Customer.objects.bulk_create(
        Customer(
            agreement=econ_world,
            customer_number=n,
            name=name,
            last_updated=dt.datetime(2026, 1, day, tzinfo=dt.UTC),
        )
        for n, name, day in [(1, "beta", 2), (2, "Alfa", 2), (3, "gamma", 1), (4, "alfa", 3)]
    )
    body = econ.get("customers?sort=-lastUpdated,name").json()
    assert [c["customerNumber"] for c in body["collection"]] == [4, 2, 1, 3]
    by_name = econ.get("customers?sort=name").json()
    assert [c["customerNumber"] for c in by_name["collection"]] == [2, 4, 1, 3]
    bad = econ.get("customers?sort=barred")
    assert bad.status_code == 400
    assert bad.json()["message"] == "Could not parse query string sort parameter."


def test_filter_and_sort_survive_in_the_page_links(econ, econ_world):
    _customers(econ_world, 5)
    body = econ.get("customers?pagesize=2&filter=customerNumber$gt:1&sort=-customerNumber").json()
    next_page = body["pagination"]["nextPage"]
    assert "filter=customerNumber$gt:1" in next_page and "sort=-customerNumber" in next_page
    following = econ.get(next_page).json()
    assert [c["customerNumber"] for c in following["collection"]] == [3, 2]


@pytest.mark.parametrize(
    "path, schema",
    [
        ("customer-groups", "customer-groups.get"),
        ("payment-terms", "payment-terms.get"),
        ("vat-zones", "vat-zones.get"),
        ("currencies", "currencies.get"),
        ("layouts", "layouts.get"),
        ("products", "products.get"),
        ("employees", "employees.get"),
    ],
)
def test_reference_lists_match_their_schemas(econ, path, schema):
    response = econ.get(path)
    assert response.status_code == 200
    body = response.json()
    check_response(schema, body)
    assert body["collection"]
    first = body["collection"][0]["self"]
    item = econ.get(first)
    assert item.status_code == 200 and item.json()["self"] == first
    assert econ.post(path, json={}).status_code == 405


def test_reference_data_is_seeded_like_the_demo_agreement(econ):
    zones = {z["vatZoneNumber"]: z["name"] for z in econ.get("vat-zones").json()["collection"]}
    assert zones == {1: "Domestic", 2: "EU", 3: "Abroad", 4: "Domestic exempt VAT"}
    codes = [c["code"] for c in econ.get("currencies").json()["collection"]]
    assert codes == ["DKK", "EUR", "NOK", "SEK"]
    product = econ.get("products/KURSUS-1").json()
    assert product["productNumber"] == "KURSUS-1"


@pytest.mark.parametrize(
    "query",
    [
        "customerNumber$eq:99999999999999999999999",
        "creditLimit$gt:NaN",
        "(" * 50 + "customerNumber$eq:1" + ")" * 50,
        "name$eq:" + "x" * 5000,
        "name$eq:a$b",
        "(name$eq:a",
    ],
)
def test_hostile_filters_are_400_not_500(econ, query):
    from urllib.parse import quote

    response = econ.get(f"customers?filter={quote(query)}")
    assert response.status_code == 400, response.text


def test_a_number_too_big_for_e_conomic_is_404(econ):
    assert econ.get("customers/99999999999999999999").status_code == 404
    assert econ.put("customers/1234567890", json={"name": "x"}).status_code == 404
