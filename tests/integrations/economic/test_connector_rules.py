"""The e-conomic connector's own rules, pure: identity, numbers, keys, cursors and words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from apps.integrations.connectors.base import AuthFailed, RateLimited, Rejected, Unavailable
from apps.integrations.connectors.economic.connector import (
    idempotency_key,
    requested_number,
    same_customer,
)
from apps.integrations.connectors.economic.spec import SPEC, cursor_text

ACME = {"name": "Acme ApS", "organisation_number": "12345678", "email": "post@acme.dk"}


def test_an_edit_of_one_identifying_field_is_still_the_same_customer() -> None:
    assert same_customer(ACME, {**ACME, "name": "Acme Nordic ApS"})
    assert same_customer(ACME, {**ACME, "organisation_number": "87654321"})
    assert same_customer(ACME, {**ACME, "email": "", "city": "Aarhus"})


def test_a_reused_number_with_everything_else_different_is_another_customer() -> None:
    other = {"name": "Bygma A/S", "organisation_number": "11112222", "email": "info@bygma.dk"}

    assert not same_customer(ACME, other)


def test_a_rename_of_a_customer_with_nothing_else_to_tell_by_is_an_edit() -> None:
    assert same_customer({"name": "Kro"}, {"name": "Kildevæld Kro", "city": "Vejle"})
    assert same_customer({"name": "Kro"}, {"name": "Tømrer Hansen", "email": "th@t.dk"})


def test_a_deleted_customers_number_coming_back_must_be_the_very_same_customer() -> None:
    # e-conomic has no undelete: under a deleted number only the same name and CVR count.
    assert same_customer(ACME, dict(ACME), strict=True)
    assert not same_customer(ACME, {**ACME, "name": "Acme Nordic ApS"}, strict=True)


def test_a_binding_with_no_snapshot_yet_pairs() -> None:
    assert same_customer({}, ACME)


def test_the_typed_number_is_used_and_an_empty_one_means_next_free() -> None:
    assert requested_number({"number": " 1042 "}) == 1042
    assert requested_number({"number": ""}) is None
    assert requested_number({}) is None


@pytest.mark.parametrize("number", ["K-100", "0", "1000000000", "12.5"])
def test_a_number_e_conomic_cannot_hold_is_refused_with_the_reason(number: str) -> None:
    with pytest.raises(Rejected, match="whole numbers from 1 to 999999999"):
        requested_number({"number": number})


def test_the_create_key_is_stable_for_the_same_customer_and_differs_between_customers() -> None:
    class Conn:
        pk = 7

    first = idempotency_key(Conn(), {**ACME, "city": "Aarhus"})
    assert first == idempotency_key(Conn(), {**ACME, "city": "Odense", "name": " acme aps"})
    assert first != idempotency_key(Conn(), {**ACME, "name": "Bygma A/S"})
    assert first.startswith("tidsbro-customer-") and len(first) <= 80


def test_cursors_are_written_as_e_conomic_writes_last_updated() -> None:
    moment = datetime(2026, 12, 3, 18, 4, 5, 999_000, tzinfo=timezone(timedelta(hours=1)))

    assert cursor_text(moment) == "2026-12-03T17:04:05Z"
    assert SPEC.cursor_as_time("2026-12-03T17:04:05Z") == datetime(
        2026, 12, 3, 17, 4, 5, tzinfo=UTC
    )
    assert SPEC.cursor_as_time("") is None


def test_failures_are_explained_to_an_office_administrator() -> None:
    assert "Approve Tidsbro again" in SPEC.explain(AuthFailed("401 Unauthorized"))
    assert "about 30 seconds" in SPEC.explain(RateLimited("429", retry_after=30))
    taken = Rejected(
        "Validation error.", messages=("customerNumber: Customer number 7 is already in use.",)
    )
    assert "already has a customer with this customer number" in SPEC.explain(taken)
    field = Rejected("Validation error.", messages=("email: String exceeds maximum length",))
    assert "e-mail" in SPEC.explain(field)
    assert "tries again by itself" in SPEC.explain(Unavailable("timed out", ambiguous=True))
    assert SPEC.explain(Rejected("something else")) is None


class _Connection:
    spec = SPEC


@pytest.mark.parametrize(
    ("stored", "words"),
    [
        ("GET /customers: HTTP 401 from e-conomic: Unauthorized", "Approve Tidsbro again"),
        ("GET /customers: HTTP 403 from e-conomic: Forbidden", "Sales or Super user role"),
        ("POST /customers: e-conomic asks to slow down", "slow down"),
        (
            "POST /customers: HTTP 400 from e-conomic: customerNumber: Customer number 12 is "
            "already in use. (E06100)",
            "already has a customer with this customer number",
        ),
        (
            "PUT /customers/12: HTTP 400 from e-conomic: email: String 'x' exceeds maximum "
            "length of 255. (E04000)",
            "refused the customer's e-mail",
        ),
        ("GET /customers: HTTP 500 from e-conomic", "tries again by itself"),
        ("POST /customers: e-conomic did not answer in time", "tries again by itself"),
        ("GET /self: could not reach e-conomic", "tries again by itself"),
    ],
)
def test_stored_failures_read_back_in_the_offices_words(stored: str, words: str) -> None:
    from apps.integrations.explain import explain

    assert words in explain(stored, _Connection()).plain


@pytest.mark.django_db
def test_project_members_are_refused_with_what_e_conomic_can_keep_in_step() -> None:
    from apps.integrations.connectors.economic.connector import EconomicConnector
    from apps.integrations.models import Connection

    connection = Connection(system="economic", connected=["customer"])
    connection.credentials_doc = {"agreement_grant_token": "x"}
    connector = EconomicConnector(connection)
    with pytest.raises(Rejected) as caught:
        connector.fetch_ids("participant")
    message = str(caught.value)
    assert "customers, users, work types, projects and hours" in message
    assert "not project members" in message and "no project membership" in message
