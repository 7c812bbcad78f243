"""The production e-conomic client against the sandbox over real HTTP (live_server).

Same code path as production: real requests through the shared HTTP base; the sandbox
answers with its own state, paging, filters, idempotency replays, rate limit and faults.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from pytest_django.live_server_helper import LiveServer

from apps.integrations.connectors.base import AuthFailed, RateLimited, Rejected, Unavailable
from apps.integrations.connectors.economic.client import EconomicClient
from apps.integrations.connectors.economic.mappers import (
    CustomerDefaults,
    customer_from_remote,
    to_remote,
)
from apps.integrations.connectors.http import CallRecord, HttpLimits, TokenBuckets
from apps.sandbox.economic.models import Customer as SandboxCustomer
from apps.sandbox.economic.models import Knobs
from apps.sandbox.economic.runtime import knobs_get
from apps.sandbox.economic.seed import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, seed

DEFAULTS = CustomerDefaults(customer_group=1, payment_terms=5, vat_zone=1, currency="DKK")

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def agreement(transactional_db: None):
    return seed()


@pytest.fixture
def base_url(live_server: LiveServer, agreement) -> str:
    return f"{live_server.url}/sandbox/economic"


@pytest.fixture
def connect(base_url: str) -> Iterator[Callable[..., EconomicClient]]:
    """Builds clients for the demo grant; each test gets its own token-bucket state."""
    buckets = TokenBuckets()
    clients: list[EconomicClient] = []

    def make(**overrides: object) -> EconomicClient:
        options: dict[str, object] = {
            "agreement_grant_token": AGREEMENT_GRANT_TOKEN,
            "app_secret_token": APP_SECRET_TOKEN,
            "base_url": base_url,
            "limits": HttpLimits(connect_timeout=2, read_timeout=10, deadline=20),
            "buckets": buckets,
        }
        options.update(overrides)
        client = EconomicClient(**options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def eco(connect: Callable[..., EconomicClient]) -> EconomicClient:
    return connect()


def knobs(**changes: object) -> None:
    knobs_get()
    Knobs.objects.filter(pk=1).update(**changes)


def new_customer(eco: EconomicClient, name: str, **values: object) -> int:
    document = to_remote({"name": name, **values}, None, DEFAULTS)
    return eco.create_customer(document, idempotency_key=str(uuid.uuid4())).number


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert APP_SECRET_TOKEN not in text
        assert AGREEMENT_GRANT_TOKEN not in text


# AGREEMENT AND REFERENCE DATA
# ------------------------------------------------------------------------------
def test_self_names_the_agreement(eco, agreement):
    found = eco.get_self()
    assert found.agreement_number == agreement.agreement_number
    assert found.company_name == agreement.company_name
    assert found.base_currency == "DKK"


def test_reference_lists_for_new_customer_defaults(eco):
    assert [(g.number, g.name) for g in eco.customer_groups()][:1] == [(1, "Danske kunder")]
    terms = {t.number: t for t in eco.payment_terms()}
    assert terms[5].days_of_credit == 30 and terms[5].terms_type == "net"
    zones = eco.vat_zones()
    assert [z.number for z in zones] == [1, 2, 3, 4]
    assert all(z.enabled_for_customer for z in zones)
    assert {c.code for c in eco.currencies()} >= {"DKK", "EUR", "NOK", "SEK"}
    assert [(x.number, x.name) for x in eco.layouts()] == [(19, "Standardlayout")]
    products = {p.number: p for p in eco.products()}
    assert str(products["KURSUS-1"].sales_price) in ("7500", "7500.0", "7500.00")
    assert {e.name for e in eco.employees()} >= {"Mette Kjær", "Anders Holm"}


# CUSTOMERS: LISTING
# ------------------------------------------------------------------------------
def test_customer_list_follows_the_pages(connect):
    records: list[CallRecord] = []
    eco = connect(on_request=records.append)
    numbers = [new_customer(eco, f"Kunde {i}") for i in range(5)]
    records.clear()

    pages = list(eco.iter_customer_pages(page_size=2))

    assert [p.page for p in pages] == [0, 1, 2]
    assert [len(p.customers) for p in pages] == [2, 2, 1]
    assert [p.has_next for p in pages] == [True, True, False]
    assert pages[0].results == 5
    listed = [c.number for p in pages for c in p.customers]
    assert listed == sorted(numbers)
    assert [(r.method, r.path, r.status) for r in records] == [("GET", "/customers", 200)] * 3


def test_customer_list_pages_of_a_thousand(eco, agreement):
    SandboxCustomer.objects.bulk_create(
        SandboxCustomer(
            agreement=agreement,
            customer_number=n,
            name=f"Kunde {n}",
            last_updated=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )
        for n in range(1, 1003)
    )
    pages = list(eco.iter_customer_pages())
    assert [len(p.customers) for p in pages] == [1000, 2]
    assert eco.requests == 2


def test_incremental_list_returns_customers_changed_since(eco):
    old = new_customer(eco, "Gammel Kunde")
    boundary = new_customer(eco, "Grænse Kunde")
    fresh = new_customer(eco, "Ny Kunde")
    SandboxCustomer.objects.filter(customer_number=old).update(
        last_updated=dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    )
    SandboxCustomer.objects.filter(customer_number=boundary).update(
        last_updated=dt.datetime(2026, 2, 1, 12, 0, 0, tzinfo=dt.UTC)
    )

    since = dt.datetime(2026, 2, 1, 13, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    changed = eco.list_customers(changed_since=since)

    # $gte on whole seconds: the customer changed exactly at the watermark is included.
    assert [c.number for c in changed] == [boundary, fresh]
    assert changed[0].last_updated == dt.datetime(2026, 2, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert {c.number for c in eco.list_customers()} == {old, boundary, fresh}


# CUSTOMERS: WRITING
# ------------------------------------------------------------------------------
def test_create_with_the_same_idempotency_key_twice_makes_one_customer(eco):
    document = to_remote({"name": "Dobbelt ApS", "city": "Odense"}, None, DEFAULTS)
    key = str(uuid.uuid4())

    first = eco.create_customer(document, idempotency_key=key)
    again = eco.create_customer(document, idempotency_key=key)

    assert again.number == first.number
    assert SandboxCustomer.objects.filter(name="Dobbelt ApS").count() == 1
    assert customer_from_remote(first.document)["city"] == "Odense"


def test_create_with_a_number_and_read_it_back(eco):
    document = to_remote(
        {
            "name": "Fjordlys ApS",
            "number": "4711",
            "organisation_number": "29403473",
            "email": "post@fjordlys.dk",
            "address_line1": "Havnegade 3",
            "address_line2": "1. sal",
            "postal_code": "5000",
            "city": "Odense C",
            "country": "DK",
        },
        None,
        DEFAULTS,
    )
    created = eco.create_customer(document, idempotency_key=str(uuid.uuid4()))
    assert created.number == 4711 and created.external_id == "4711"

    found = eco.get_customer(4711)
    assert found is not None
    values = customer_from_remote(found.document)
    assert values["address_line2"] == "1. sal" and values["country"] == "DK"
    assert found.document["country"] == "Denmark"
    assert found.last_updated is not None


def test_find_customers_by_name_and_organisation_number(eco):
    tricky = "Smith & Co (Nord), *Fjord* $ [1]"
    wanted = new_customer(eco, tricky, organisation_number="29403473")
    new_customer(eco, "Smith & Co (Nord)", organisation_number="29403473")
    new_customer(eco, tricky, organisation_number="11111111")

    found = eco.find_customers(name=tricky.upper(), organisation_number="29403473")

    assert [c.number for c in found] == [wanted]
    assert len(eco.find_customers(name=tricky)) == 2
    assert len(eco.find_customers(organisation_number="29403473")) == 2
    with pytest.raises(ValueError):
        eco.find_customers(name="  ")


def test_missing_customer_is_none(eco):
    assert eco.get_customer(999_999) is None


def test_put_keeps_the_fields_tidsbro_does_not_hold(eco):
    document = {
        **to_remote({"name": "Bevar A/S", "city": "Vejle"}, None, DEFAULTS),
        "ean": "5790000123456",
        "mobilePhone": "+45 20 30 40 50",
        "creditLimit": 25000,
        "website": "https://bevar.dk",
        "salesPerson": {"employeeNumber": 2},
    }
    number = eco.create_customer(document, idempotency_key=str(uuid.uuid4())).number
    current = eco.get_customer(number)
    assert current is not None

    values = {**customer_from_remote(current.document), "city": "Fredericia"}
    updated = eco.update_customer(number, to_remote(values, current.document, DEFAULTS))

    after = eco.get_customer(number)
    assert after is not None and after.document == updated.document
    assert after.document["city"] == "Fredericia"
    for kept in ("ean", "mobilePhone", "creditLimit", "website"):
        assert after.document[kept] == current.document[kept]
    assert after.document["salesPerson"]["employeeNumber"] == 2


def test_barring_retires_a_customer_and_keeps_the_rest(eco):
    number = new_customer(eco, "Pause ApS", city="Aalborg")

    barred = eco.set_customer_barred(number)
    assert customer_from_remote(barred.document)["is_active"] is False
    assert barred.document["city"] == "Aalborg"

    back = eco.set_customer_barred(number, barred=False)
    assert customer_from_remote(back.document)["is_active"] is True
    assert SandboxCustomer.objects.get(customer_number=number).barred is False


def test_a_refused_customer_is_rejected_with_e_conomics_reasons(eco):
    document = to_remote({"name": "Ugyldig"}, None, DEFAULTS)
    document["vatZone"] = {"vatZoneNumber": 99}
    with pytest.raises(Rejected) as caught:
        eco.create_customer(document, idempotency_key=str(uuid.uuid4()))
    assert any(m.startswith("vatZone") for m in caught.value.messages), caught.value.messages
    assert "HTTP 400 from e-conomic" in str(caught.value)


def test_null_values_are_never_sent(eco):
    document = {**to_remote({"name": "Null"}, None, DEFAULTS), "email": None}
    with pytest.raises(Rejected, match="email"):
        eco.create_customer(document, idempotency_key=str(uuid.uuid4()))
    assert eco.requests == 0


# FAILURES
# ------------------------------------------------------------------------------
def test_wrong_token_is_auth_failed_without_the_tokens(connect, caplog):
    eco = connect(app_secret_token="wrong-app-secret-token")
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthFailed) as caught:
        eco.get_self()
    assert "HTTP 401 from e-conomic" in str(caught.value)
    assert_no_secret(str(caught.value), caplog.text, repr(eco))
    assert "wrong-app-secret-token" not in str(caught.value) + caplog.text


def test_revoked_grant_is_auth_failed(eco):
    knobs(grants_revoked=True)
    with pytest.raises(AuthFailed):
        eco.list_customers()


def test_sandbox_429_is_rate_limited_with_retry_after(connect, caplog):
    knobs(fault_rate=1.0, fault_http500=False, fault_429=True)
    eco = connect()
    with caplog.at_level(logging.DEBUG), pytest.raises(RateLimited) as caught:
        eco.list_customers()
    assert caught.value.retry_after == 1.0
    assert_no_secret(str(caught.value), caplog.text)
    # Every client of the same grant in this process waits out the Retry-After (a short
    # one: longer ones are refused at once) before it sends.
    knobs(fault_rate=0.0)
    other = connect()
    started = time.monotonic()
    assert other.get_self().agreement_number
    assert time.monotonic() - started >= 0.8


def test_the_token_bucket_refuses_before_e_conomic_would(connect):
    knobs(rate_limit=4, rate_window_seconds=3600)
    eco = connect()
    eco.get_self()
    eco.get_self()
    eco.get_self()
    with pytest.raises(RateLimited, match="nearly spent") as caught:
        eco.get_self()
    assert eco.requests == 3
    assert 3000 < caught.value.retry_after <= 3600


@pytest.mark.parametrize(("write", "ambiguous"), [(False, False), (True, True)])
def test_injected_500_is_unavailable_and_ambiguous_for_writes(connect, caplog, write, ambiguous):
    eco = connect()
    document = to_remote({"name": "Fejl ApS"}, None, DEFAULTS)
    knobs(fault_rate=1.0, fault_http500=True)
    with caplog.at_level(logging.DEBUG), pytest.raises(Unavailable) as caught:
        if write:
            eco.create_customer(document, idempotency_key=str(uuid.uuid4()))
        else:
            eco.list_customers()
    assert caught.value.ambiguous is ambiguous
    assert "HTTP 500 from e-conomic" in str(caught.value)
    assert_no_secret(str(caught.value), caplog.text)


@pytest.mark.parametrize(("write", "ambiguous"), [(False, False), (True, True)])
def test_a_dropped_connection_is_unavailable_and_ambiguous_for_writes(connect, write, ambiguous):
    eco = connect()
    document = to_remote({"name": "Afbrudt ApS"}, None, DEFAULTS)
    knobs(fault_rate=1.0, fault_http500=False, fault_drop=True)
    with pytest.raises(Unavailable) as caught:
        if write:
            eco.create_customer(document, idempotency_key=str(uuid.uuid4()))
        else:
            eco.get_self()
    assert caught.value.ambiguous is ambiguous


def test_an_answer_held_back_past_the_read_timeout_is_ambiguous_for_a_create(connect):
    eco = connect(limits=HttpLimits(connect_timeout=2, read_timeout=0.5, deadline=5))
    document = to_remote({"name": "Langsom ApS"}, None, DEFAULTS)
    key = str(uuid.uuid4())
    knobs(fault_rate=1.0, fault_http500=False, fault_hang=True, hang_seconds=1.5)
    with pytest.raises(Unavailable) as caught:
        eco.create_customer(document, idempotency_key=key)
    assert caught.value.ambiguous is True
    # The create was carried out: repeating it with the same key returns it, not a second.
    knobs(fault_rate=0.0)
    again = eco.create_customer(document, idempotency_key=key)
    assert SandboxCustomer.objects.filter(name="Langsom ApS").count() == 1
    assert again.document["name"] == "Langsom ApS"
