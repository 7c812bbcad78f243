"""e-conomic customer documents ↔ canonical values: pure, no database, no network."""

from __future__ import annotations

import copy
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.integrations.connectors.base import Rejected
from apps.integrations.connectors.economic.mappers import (
    COUNTRY_NAMES,
    HELD_FIELDS,
    CustomerDefaults,
    address_lines,
    country_code,
    customer_changed_at,
    customer_external_id,
    customer_fingerprint,
    customer_from_remote,
    format_timestamp,
    parse_timestamp,
    to_remote,
)

DEFAULTS = CustomerDefaults(
    customer_group=1, payment_terms=2, vat_zone=1, currency="dkk", layout=19
)

# As the sandbox (and S7's capture of the demo agreement) renders a customer.
REMOTE = {
    "customerNumber": 1042,
    "currency": "DKK",
    "paymentTerms": {
        "paymentTermsNumber": 5,
        "self": "https://restapi.e-conomic.com/payment-terms/5",
    },
    "customerGroup": {
        "customerGroupNumber": 2,
        "self": "https://restapi.e-conomic.com/customer-groups/2",
    },
    "address": "Vestergade 12, 2. th.\nBaghuset\nGården",
    "balance": 1250.5,
    "dueAmount": 0.0,
    "corporateIdentificationNumber": "29403473",
    "city": "Aarhus C",
    "country": "Danmark",
    "email": "Bogholderi@Kunde.dk faktura@kunde.dk",
    "name": "Kunde A/S",
    "zip": "8000",
    "telephoneAndFaxNumber": "+45 86 12 34 56",
    "mobilePhone": "+45 20 30 40 50",
    "ean": "5790000123456",
    "creditLimit": 50000.0,
    "vatZone": {"vatZoneNumber": 1, "self": "https://restapi.e-conomic.com/vat-zones/1"},
    "layout": {"layoutNumber": 19, "self": "https://restapi.e-conomic.com/layouts/19"},
    "salesPerson": {"employeeNumber": 3, "self": "https://restapi.e-conomic.com/employees/3"},
    "lastUpdated": "2026-11-02T08:53:29Z",
    "contacts": "https://restapi.e-conomic.com/customers/1042/contacts",
    "templates": {"invoice": "https://restapi.e-conomic.com/customers/1042/templates/invoice"},
    "totals": {"self": "https://restapi.e-conomic.com/customers/1042/totals"},
    "deliveryLocations": "https://restapi.e-conomic.com/customers/1042/delivery-locations",
    "invoices": {"self": "https://restapi.e-conomic.com/customers/1042/invoices"},
    "metaData": {"replace": {"href": "…", "httpMethod": "put"}},
    "self": "https://restapi.e-conomic.com/customers/1042",
}


# INBOUND
# ------------------------------------------------------------------------------
def test_customer_document_maps_to_canonical_values():
    assert customer_from_remote(REMOTE) == {
        "name": "Kunde A/S",
        "number": "1042",
        "organisation_number": "29403473",
        "email": "bogholderi@kunde.dk",
        "phone": "+45 86 12 34 56",
        "address_line1": "Vestergade 12, 2. th.",
        "address_line2": "Baghuset, Gården",
        "postal_code": "8000",
        "city": "Aarhus C",
        "country": "DK",
        "is_active": True,
    }
    assert set(customer_from_remote(REMOTE)) == set(HELD_FIELDS)
    assert "visiting_address" not in HELD_FIELDS


def test_a_minimal_document_maps_to_empty_values():
    values = customer_from_remote({"customerNumber": 7, "name": " Solo "})
    assert values["name"] == "Solo" and values["number"] == "7"
    assert values["email"] == values["address_line1"] == values["country"] == ""
    assert values["is_active"] is True


def test_barred_customer_is_inactive_and_absent_barred_is_active():
    assert customer_from_remote({**REMOTE, "barred": True})["is_active"] is False
    assert customer_from_remote({**REMOTE, "barred": False})["is_active"] is True


def test_mobile_is_the_phone_when_there_is_no_other():
    doc = {**REMOTE, "telephoneAndFaxNumber": ""}
    assert customer_from_remote(doc)["phone"] == "+45 20 30 40 50"


def test_long_values_are_cut_to_the_local_columns():
    values = customer_from_remote({"name": "x" * 300, "corporateIdentificationNumber": "9" * 40})
    assert len(values["name"]) == 255 and len(values["organisation_number"]) == 20


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dk", "DK"),
        ("Danmark", "DK"),
        ("  NORGE ", "NO"),
        ("Sweden", "SE"),
        ("Atlantis", ""),
        ("", ""),
    ],
)
def test_country_code(value, expected):
    assert country_code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Vej 1", ("Vej 1", "")),
        ("Vej 1\r\nSal 2\r\n\r\nBygning 3", ("Vej 1", "Sal 2, Bygning 3")),
        ("\nKun linje to", ("", "Kun linje to")),
        (None, ("", "")),
    ],
)
def test_address_lines(value, expected):
    assert address_lines(value) == expected


def test_external_id_and_changed_at():
    assert customer_external_id(REMOTE) == "1042"
    assert customer_external_id({}) == ""
    assert customer_changed_at(REMOTE) == datetime(2026, 11, 2, 8, 53, 29, tzinfo=UTC)
    assert customer_changed_at({"lastUpdated": "not a date"}) is None


def test_timestamps_read_offsets_and_write_utc_with_z():
    assert parse_timestamp("2026-11-02T09:53:29+01:00") == datetime(
        2026, 11, 2, 8, 53, 29, tzinfo=UTC
    )
    oslo = timezone(timedelta(hours=1))
    assert (
        format_timestamp(datetime(2026, 11, 2, 9, 53, 29, 999, tzinfo=oslo))
        == "2026-11-02T08:53:29Z"
    )
    with pytest.raises(ValueError):
        format_timestamp(datetime(2026, 11, 2))


# OUTBOUND
# ------------------------------------------------------------------------------
def test_put_document_keeps_what_tidsbro_does_not_hold():
    values = {**customer_from_remote(REMOTE), "city": "Aarhus N", "postal_code": "8200"}
    document = to_remote(values, REMOTE, DEFAULTS)

    assert document["city"] == "Aarhus N" and document["zip"] == "8200"
    for kept in ("ean", "creditLimit", "salesPerson", "layout", "mobilePhone", "paymentTerms"):
        assert document[kept] == REMOTE[kept]
    # Unchanged values keep e-conomic's own spelling.
    assert document["country"] == "Danmark"
    assert document["email"] == "Bogholderi@Kunde.dk faktura@kunde.dk"
    assert document["address"] == REMOTE["address"]
    assert not {"self", "metaData", "balance", "lastUpdated", "contacts"} & set(document)


def test_put_does_not_change_the_input_document():
    before = copy.deepcopy(REMOTE)
    to_remote({"name": "Nytt navn", "is_active": False}, REMOTE, DEFAULTS)
    assert REMOTE == before


def test_cleared_values_are_left_out_never_null():
    values = {**customer_from_remote(REMOTE), "email": "", "phone": "", "country": ""}
    document = to_remote(values, REMOTE)
    assert not {"email", "telephoneAndFaxNumber", "mobilePhone", "country"} & set(document)
    assert None not in document.values()
    assert customer_from_remote(document)["phone"] == ""


def test_nulls_in_the_current_document_are_not_sent_back():
    document = to_remote(customer_from_remote(REMOTE), {**REMOTE, "website": None})
    assert "website" not in document


def test_inactive_sets_barred_and_active_leaves_it_out():
    barred = to_remote({"is_active": False}, REMOTE)
    assert barred["barred"] is True
    assert "barred" not in to_remote({"is_active": True}, {**REMOTE, "barred": True})


def test_changed_address_lines_are_joined_with_a_line_break():
    document = to_remote({"address_line1": "Ny vej 3", "address_line2": "Port B"}, REMOTE)
    assert document["address"] == "Ny vej 3\nPort B"
    assert to_remote({"address_line2": ""}, REMOTE)["address"] == "Vestergade 12, 2. th."


def test_new_customer_gets_the_required_fields_from_the_defaults():
    document = to_remote({"name": "Ny Kunde ApS", "number": "", "country": "NO"}, None, DEFAULTS)
    assert document == {
        "name": "Ny Kunde ApS",
        "country": "Norway",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 2},
        "vatZone": {"vatZoneNumber": 1},
        "layout": {"layoutNumber": 19},
        "currency": "DKK",
    }


def test_new_customer_with_a_number_sends_it():
    assert to_remote({"name": "N", "number": "77"}, None, DEFAULTS)["customerNumber"] == 77


def test_existing_references_win_over_the_defaults():
    document = to_remote(customer_from_remote(REMOTE), REMOTE, DEFAULTS)
    assert document["paymentTerms"] == REMOTE["paymentTerms"]
    assert document["customerGroup"] == REMOTE["customerGroup"]


def test_missing_required_fields_are_rejected_before_anything_is_sent():
    with pytest.raises(Rejected) as caught:
        to_remote({"name": "Ny Kunde"}, None, CustomerDefaults(customer_group=1))
    assert caught.value.messages == (
        "currency is required.",
        "paymentTerms is required.",
        "vatZone is required.",
    )
    with pytest.raises(Rejected, match="name"):
        to_remote({"name": ""}, REMOTE)


# ROUND TRIP (property)
# ------------------------------------------------------------------------------
LINE = string.ascii_letters + string.digits + " .,-/'&æøåÆØÅé"


def _line(max_size: int) -> st.SearchStrategy[str]:
    return st.text(LINE, max_size=max_size).map(lambda s: " ".join(s.split()))


canonical_customers = st.fixed_dictionaries(
    {
        "name": _line(255).filter(bool),
        "number": st.one_of(st.just(""), st.integers(1, 999_999_999).map(str)),
        "organisation_number": _line(20),
        "email": st.one_of(
            st.just(""),
            st.tuples(
                st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=20),
                st.sampled_from(["kunde.dk", "firma.no", "example.com"]),
            ).map(lambda p: f"{p[0]}@{p[1]}"),
        ),
        "phone": _line(40),
        "address_line1": _line(255),
        "address_line2": _line(254),
        "postal_code": _line(20),
        "city": _line(50),
        "country": st.sampled_from(["", "AX", *COUNTRY_NAMES]),
        "is_active": st.booleans(),
    }
)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(values=canonical_customers)
def test_new_customer_round_trips(values):
    document = to_remote(values, None, DEFAULTS)
    assert None not in document.values()
    assert customer_from_remote(document) == values


@settings(derandomize=True, max_examples=300, deadline=None)
@given(values=canonical_customers)
def test_changed_customer_round_trips_and_keeps_the_rest(values):
    values = {**values, "number": "1042"}
    document = to_remote(values, REMOTE, DEFAULTS)
    assert customer_from_remote(document) == values
    for kept in ("ean", "creditLimit", "salesPerson", "paymentTerms", "customerGroup", "vatZone"):
        assert document[kept] == REMOTE[kept]


@settings(derandomize=True, max_examples=100, deadline=None)
@given(values=canonical_customers)
def test_unchanged_customer_is_written_back_as_read(values):
    document = to_remote(values, None, DEFAULTS)
    assert to_remote(customer_from_remote(document), document, DEFAULTS) == document


# FINGERPRINT
# ------------------------------------------------------------------------------
def test_fingerprint_ignores_spelling_and_contact_details():
    base = customer_from_remote(REMOTE)
    same = {
        **base,
        "name": "  kunde   a/s ",
        "organisation_number": "29 40 34 73",
        "email": "ny@kunde.dk",
        "city": "Odense",
    }
    assert customer_fingerprint(same) == customer_fingerprint(base)
    assert len(customer_fingerprint(base)) == 32


def test_fingerprint_tells_a_reused_number_from_the_old_customer():
    old = customer_from_remote(REMOTE)
    reused = customer_from_remote(
        {**REMOTE, "name": "Helt Annen AS", "corporateIdentificationNumber": "912345678"}
    )
    assert reused["number"] == old["number"]
    assert customer_fingerprint(reused) != customer_fingerprint(old)
    assert customer_fingerprint({**old, "organisation_number": ""}) != customer_fingerprint(old)
    assert customer_fingerprint({}) == ""
