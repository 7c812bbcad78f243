"""Unimicro records ↔ canonical records (pure: no database, no requests)."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.integrations.connectors.unimicro import mappers, rules

CUSTOMER = {
    "ID": 12,
    "CustomerNumber": 100004,
    "OrgNumber": "912 345 670",
    "StatusCode": 30001,
    "CreatedAt": "2026-12-01T08:00:00Z",
    "UpdatedAt": "2026-12-03T09:30:00.120Z",
    "Info": {
        "ID": 40,
        "Name": "Fjordlys AS",
        "DefaultEmail": {"ID": 41, "EmailAddress": "Post@Fjordlys.no"},
        "DefaultPhone": {"ID": 42, "Number": "22 33 44 55"},
        "InvoiceAddress": {
            "ID": 43,
            "AddressLine1": "Strandgata 1",
            "AddressLine2": "",
            "PostalCode": "5013",
            "City": "Bergen",
            "CountryCode": "NO",
        },
    },
}


def test_a_customer_reads_name_and_addresses_from_its_info():
    assert mappers.customer_from_remote(CUSTOMER) == {
        "name": "Fjordlys AS",
        "number": "100004",
        "organisation_number": "912345670",
        "email": "post@fjordlys.no",
        "phone": "22 33 44 55",
        "address_line1": "Strandgata 1",
        "address_line2": "",
        "postal_code": "5013",
        "city": "Bergen",
        "country": "NO",
        "is_active": True,
    }
    assert mappers.customer_from_remote({**CUSTOMER, "StatusCode": 50001})["is_active"] is False
    assert mappers.changed_at(CUSTOMER) == datetime(2026, 12, 3, 9, 30, 0, 120000, tzinfo=UTC)


def test_a_new_customer_is_posted_with_its_number_and_new_children():
    values = {**mappers.customer_from_remote(CUSTOMER), "number": "1007"}
    body = mappers.customer_to_remote(values, None, seed="k1")
    assert body["CustomerNumber"] == 1007
    assert body["OrgNumber"] == "912345670"
    assert body["Info"]["Name"] == "Fjordlys AS"
    assert body["Info"]["DefaultEmail"]["EmailAddress"] == "post@fjordlys.no"
    assert body["Info"]["InvoiceAddress"]["City"] == "Bergen"
    assert body["StatusCode"] == rules.CUSTOMER_ACTIVE
    # The same create asked again carries the same guids (Unimicro refuses a second insert).
    again = mappers.customer_to_remote(values, None, seed="k1")
    assert body["_createguid"] == again["_createguid"]
    assert body["Info"]["_createguid"] == again["Info"]["_createguid"]


def test_an_edit_puts_only_what_changed_with_the_childrens_ids():
    values = {**mappers.customer_from_remote(CUSTOMER), "city": "Oslo", "name": "Fjordlys"}
    body = mappers.customer_to_remote(values, CUSTOMER, seed="x")
    assert body == {
        "ID": 12,
        "Info": {"ID": 40, "Name": "Fjordlys", "InvoiceAddress": {"ID": 43, "City": "Oslo"}},
    }


def test_an_email_the_customer_did_not_have_is_created_as_a_child():
    current = {**CUSTOMER, "Info": {**CUSTOMER["Info"], "DefaultEmail": None}}
    values = {**mappers.customer_from_remote(current), "email": "ny@fjordlys.no"}
    body = mappers.customer_to_remote(values, current, seed="x")
    email = body["Info"]["DefaultEmail"]
    assert email["ID"] == 0 and email["_createguid"] and email["EmailAddress"] == "ny@fjordlys.no"


def test_project_status_active_and_archived_both_ways():
    for code, status in (
        (42201, "active"),
        (42203, "active"),
        (42204, "archived"),
        (42205, "archived"),
    ):
        assert mappers.project_from_remote({"StatusCode": code})["status"] == status
    assert mappers.project_code("archived", 42203) == rules.PROJECT_ARCHIVED
    assert mappers.project_code("archived", 42204) == 42204  # Completed stays Completed
    assert mappers.project_code("active", 42205) == rules.PROJECT_ONGOING
    assert mappers.project_code("active", 42201) == 42201  # Registered is active already


def test_a_project_goes_with_number_customer_and_status():
    values = {
        "name": "Nettbutikk",
        "number": 7012,
        "customer": "12",
        "status": "active",
        "start_date": "2026-11-01",
        "end_date": None,
        "description": "",
    }
    body = mappers.project_to_remote(values, None, seed="p")
    assert body["ProjectNumber"] == "7012"
    assert body["ProjectCustomerID"] == 12
    assert body["StatusCode"] == rules.PROJECT_ONGOING
    current = {"ID": 3, **{k: v for k, v in body.items() if k != "_createguid"}}
    archived = mappers.project_to_remote({**values, "status": "archived"}, current)
    assert archived == {"ID": 3, "StatusCode": rules.PROJECT_ARCHIVED}


def test_a_work_type_names_its_product_by_number():
    document = {
        "ID": 2,
        "Name": "Rådgivning",
        "Description": "",
        "Price": 1250,
        "ProductID": 8,
        "Product": {"ID": 8, "PartName": "1001"},
    }
    assert mappers.work_type_from_remote(document) == {
        "name": "Rådgivning",
        "description": "",
        "price": "1250.00",
        "product_number": "1001",
    }
    body = mappers.work_type_to_remote(
        {"name": "Rådgivning", "price": "1300.00", "product_number": "1001"},
        document,
        product_id=8,
    )
    assert body == {"ID": 2, "Price": 1300.0}


def test_a_user_is_read_with_its_email_for_the_link():
    values = mappers.user_from_remote(
        {
            "ID": 5,
            "DisplayName": "Kari  Nordmann",
            "Email": "Kari@Tidsbro.no",
            "GlobalIdentity": "g",
        }
    )
    assert values["email"] == "kari@tidsbro.no"
    assert (values["first_name"], values["last_name"]) == ("Kari", "Nordmann")


def test_the_incremental_filter_reads_back_the_overlap_by_updated_or_created():
    since = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    assert rules.changed_since_filter(since) == (
        "UpdatedAt gt '2026-12-04T01:00:00' or CreatedAt gt '2026-12-04T01:00:00'"
    )
    assert rules.changed_since_filter(None) is None
    assert rules.parse_time(rules.cursor_text(since)) == since
    assert rules.parse_time("2026-12-04T03:00:00") == since  # no offset: UTC
    assert rules.quoted("O'Neil") == "'O''Neil'"
