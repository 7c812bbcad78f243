"""Pure pieces of the 24SO client: fault texts, the budget, value conversions, payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
import zeep
from lxml import etree
from pytest_django.fixtures import Settings

from apps.integrations.connectors.base import Entity, RateLimited, Rejected
from apps.integrations.connectors.twentyfourseven import CAPABILITIES, changed_after
from apps.integrations.connectors.twentyfourseven import client as c
from apps.integrations.connectors.twentyfourseven.errors import (
    FaultKind,
    classify_fault,
    quarantine_end,
)
from apps.integrations.connectors.twentyfourseven.types import (
    Company,
    Credentials,
    Hour,
    InvoiceOrder,
    InvoiceOrderLine,
    Project,
    SaveResult,
    Task,
)

NOW = datetime(2026, 11, 24, 1, 17, 30, tzinfo=UTC)


# FAULT TEXTS
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "Limit exceeded by 12. Request is blocked. Quarantine ends at 2026-11-24T02:00:00Z",
            FaultKind.QUARANTINE,
        ),
        ("Client is not authenticated on this identity", FaultKind.SESSION),
        (
            "Server was unable to process request. ---> You are not logged in. Please log in "
            "at https://api.24sevenoffice.com/authenticate/v001/authenticate.asmx",
            FaultKind.SESSION,
        ),
        ("Session has expired", FaultKind.SESSION),
        (
            "Provided IdentityId is blocked. Please use GetIdentitiesWithCredential to get a list "
            "of available Identities and reauthenticate with a valid IdentityId",
            FaultKind.IDENTITY,
        ),
        (
            "Server was unable to process request. ---> System.Data.SqlClient.SqlException: "
            "Timeout expired.",
            FaultKind.TRANSIENT,
        ),
        ("Server was unable to process request. ---> Project name is required", FaultKind.REJECTED),
        ("", FaultKind.REJECTED),
        (None, FaultKind.REJECTED),
    ],
)
def test_fault_texts_are_classified(text: str | None, kind: FaultKind) -> None:
    assert classify_fault(text) is kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("… Quarantine ends at 2026-11-24T02:00:00Z", datetime(2026, 11, 24, 2, tzinfo=UTC)),
        ("… Quarantine ends at 2026-11-24T03:00:00+01:00", datetime(2026, 11, 24, 2, tzinfo=UTC)),
        ("… Quarantine ends at 11/24/2026 2:30:00 AM", datetime(2026, 11, 24, 2, 30, tzinfo=UTC)),
        ("… Quarantine ends at 24.11.2026 02:45:00.", datetime(2026, 11, 24, 2, 45, tzinfo=UTC)),
        # Unreadable or missing: blocked until the next full hour.
        ("… Quarantine ends at soon", datetime(2026, 11, 24, 2, tzinfo=UTC)),
        ("Limit exceeded by 1. Request is blocked.", datetime(2026, 11, 24, 2, tzinfo=UTC)),
        # In the past (clock skew): not before now.
        ("… Quarantine ends at 2020-01-01T00:00:00Z", NOW),
    ],
)
def test_quarantine_end_is_read_from_the_fault(text: str | None, expected: Any) -> None:
    assert quarantine_end(text, now=NOW) == expected


# BUDGET
# ------------------------------------------------------------------------------
def test_budget_counts_a_sliding_hour_and_says_when_a_slot_frees() -> None:
    budget = c.InMemoryRequestBudget()
    window = timedelta(hours=1)

    for minute in range(3):
        assert (
            budget.try_acquire("k", limit=3, window=window, now=NOW + timedelta(minutes=minute))
            is None
        )
    wait = budget.try_acquire("k", limit=3, window=window, now=NOW + timedelta(minutes=10))

    assert wait == pytest.approx(50 * 60)
    assert budget.used("k", window=window, now=NOW + timedelta(minutes=10)) == 3
    # A refused request is not counted; the first slot frees an hour after the first request.
    assert budget.try_acquire("k", limit=3, window=window, now=NOW + timedelta(hours=1)) is None
    assert budget.try_acquire("other", limit=3, window=window, now=NOW) is None


def test_budget_block_refuses_until_the_quarantine_ends() -> None:
    budget = c.InMemoryRequestBudget()
    window = timedelta(hours=1)
    budget.block("k", until=NOW + timedelta(minutes=5))

    assert budget.try_acquire("k", limit=100, window=window, now=NOW) == pytest.approx(300)
    assert budget.try_acquire("k", limit=100, window=window, now=NOW + timedelta(minutes=5)) is None


def test_client_spends_below_the_limit_minus_the_reserve() -> None:
    budget = c.InMemoryRequestBudget()
    client = c.TwentyFourSevenClient(
        credentials=Credentials(username="u@example.no", password="p"),
        base_url="http://127.0.0.1:9",
        budget=budget,
        requests_per_hour=5,
        budget_reserve=2,
    )
    client._spend("A")
    client._spend("B")
    client._spend("C")

    with pytest.raises(RateLimited) as caught:
        client._spend("D")

    assert 3500 < caught.value.retry_after <= 3600
    assert caught.value.operation == "D"
    client.close()


def test_clients_of_one_application_share_the_default_budget_key() -> None:
    one = c.TwentyFourSevenClient(base_url="http://127.0.0.1:9")
    two = c.TwentyFourSevenClient(base_url="http://127.0.0.1:9", application_id=UUID(int=5))

    assert one.budget_key == "24so:5f1c2a8e-0000-4000-8000-000000000024"
    assert two.budget_key == f"24so:{UUID(int=5)}"


def test_application_id_is_required(settings: Settings) -> None:
    settings.TWENTYFOURSEVEN_APPLICATION_ID = ""

    with pytest.raises(ValueError, match="ApplicationId"):
        c.TwentyFourSevenClient(base_url="http://127.0.0.1:9")


# VALUES
# ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (datetime(1, 1, 1), None),  # .NET DateTime.MinValue = "no date"
        ("0001-01-01T00:00:00", None),
        (datetime(2026, 1, 2, 3, 4), datetime(2026, 1, 2, 3, 4, tzinfo=UTC)),
        (
            datetime(2026, 1, 2, 4, 4, tzinfo=timezone(timedelta(hours=1))),
            datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        ),
        ("2026-01-02T03:04:05.1234567Z", datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
        ("2026-01-02T03:04:05", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ],
)
def test_datetimes_come_back_utc_aware(value: Any, expected: Any) -> None:
    assert c._dt(value) == expected


def test_naive_datetimes_are_refused_on_the_way_out() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        c._out_dt(datetime(2026, 1, 1, 8))

    assert c._out_dt(datetime(2026, 1, 1, 9, 0, 0, 500, tzinfo=timezone(timedelta(hours=1)))) == (
        datetime(2026, 1, 1, 8, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("True", True),
        ("False", False),
        ("true", True),
        ("none", None),
        ("unknown", None),
        (None, None),
    ],
)
def test_tristate_in_any_casing(value: Any, expected: Any) -> None:
    assert c._tri(value) is expected


def test_tristate_out_uses_24sos_casing() -> None:
    assert (c._out_tri(True), c._out_tri(False), c._out_tri(None)) == ("True", "False", None)


def test_unset_ids_are_none_and_numbers_are_decimal() -> None:
    assert [c._id(v) for v in (None, 0, -2147483648, "0", 12, "13")] == [None] * 4 + [12, 13]
    assert c._dec(7.5) == Decimal("7.5")
    assert c._dec(0.1) == Decimal("0.1")
    assert c._dec("12.50") == Decimal("12.50")
    with pytest.raises(ArithmeticError):
        c._dec("NaN")
    with pytest.raises(TypeError):
        c._int(7.5)


def test_array_wrappers_and_empty_results_are_tuples() -> None:
    assert c._items(None, "int") == []
    assert c._items({"int": [1, 2]}, "int") == [1, 2]
    assert c._items({"int": None}, "int") == []
    assert c._int_tuple({"int": [3, 4]}) == (3, 4)
    assert c._int_tuple(None) == ()
    assert c._array_of_int([]) is None
    assert c._array_of_int((5,)) == {"int": [5]}


def test_fields_zeep_could_not_place_are_read_from_the_raw_elements() -> None:
    """A newer 24SO adds elements mid-sequence; lenient zeep pushes the rest to raw elements."""
    document = c._document("timeService.wsdl")
    hour_type = document.types.get_type(f"{{{c.NAMESPACE}}}Hour")
    element = etree.fromstring(
        f'<Hour xmlns="{c.NAMESPACE}"><Id>5</Id><InternalNote>note</InternalNote>'
        "<StartTime>2026-01-02T08:00:00Z</StartTime><TotalHours>1.5</TotalHours>"
        "<ContactId>7</ContactId><Locked>True</Locked><Price>10.50</Price></Hour>"
    )

    hour = c._hour(hour_type.parse_xmlelement(element, document.types))

    assert hour == Hour(
        id=5,
        internal_note="note",
        start_time=datetime(2026, 1, 2, 8, tzinfo=UTC),
        total_hours=Decimal("1.5"),
        contact_id=7,
        locked=True,
        price=Decimal("10.50"),
    )


def test_save_results_carry_api_exception_messages() -> None:
    items = [
        {"Id": 10001, "APIException": None},
        {"Id": None, "APIException": {"Type": "Exception", "Message": "Name is required"}},
    ]

    results = c._save_results(items, "Id", 2)

    assert results == (
        SaveResult(id=10001),
        SaveResult(id=None, messages=("Name is required",)),
    )
    assert [r.ok for r in results] == [True, False]
    with pytest.raises(ValueError):
        c._save_results(items, "Id", 3)


# PAYLOADS (checked against the real WSDLs by zeep, offline)
# ------------------------------------------------------------------------------
def _message(wsdl: str, binding: str, operation: str, **kwargs: object) -> str:
    client = zeep.Client(c._document(wsdl), settings=c.ZEEP_SETTINGS)
    service = client.create_service(f"{{{c.NAMESPACE}}}{binding}", "http://127.0.0.1:9/x")
    return etree.tostring(client.create_message(service, operation, **kwargs)).decode()


def test_project_payload_fills_the_required_but_meaningless_fields() -> None:
    payload = c._project_payload(Project(name="Website", customer_id=10001, participants=(7, 8)))

    xml = _message("projectService.wsdl", "ProjectServiceSoap", "SaveProject", project=payload)

    assert "<ns0:NameDisplay>Plain</ns0:NameDisplay>" in xml
    assert "<ns0:TimeReg>WorkType</ns0:TimeReg>" in xml
    assert "<ns0:Participants><ns0:int>7</ns0:int><ns0:int>8</ns0:int></ns0:Participants>" in xml
    assert "<ns0:Id>" not in xml


def test_task_payload_sends_status_nil_when_unknown() -> None:
    task = Task(
        project_id=1001,
        name="Design",
        date_start=datetime(2026, 1, 1, tzinfo=UTC),
        date_stop=datetime(2026, 2, 1, tzinfo=UTC),
    )

    xml = _message(
        "projectService.wsdl", "ProjectServiceSoap", "SaveProjectTask", task=c._task_payload(task)
    )

    assert 'Status xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"' in xml
    assert "<ns0:DateStart>2026-01-01T00:00:00Z</ns0:DateStart>" in xml


def test_hour_payload_uses_tristate_and_utc() -> None:
    hour = Hour(
        contact_id=7,
        project_id=1001,
        start_time=datetime(2026, 1, 1, 9, tzinfo=timezone(timedelta(hours=1))),
        total_hours=Decimal("1.25"),
        approved=False,
        description="Meeting",
    )

    xml = _message("timeService.wsdl", "TimeServiceSoap", "SaveHour", Hour=c._hour_payload(hour))

    assert "<ns0:StartTime>2026-01-01T08:00:00Z</ns0:StartTime>" in xml
    assert "<ns0:TotalHours>1.25</ns0:TotalHours>" in xml
    assert "<ns0:Approved>False</ns0:Approved>" in xml
    assert "Locked" not in xml


def test_company_payload_creates_businesses_and_updates_keep_the_type() -> None:
    new = c._company_payload(Company(name="Fjord AS", email="post@fjord.no"))
    update = c._company_payload(Company(id=10001, name="Fjord AS"))

    xml = _message(
        "companyService.wsdl",
        "CompanyServiceSoap",
        "SaveCompanies",
        companies={"Company": [new, update]},
    )

    assert new["Type"] == "Business" and "Type" not in update
    assert "<ns0:EmailAddresses><ns0:Primary><ns0:Value>post@fjord.no</ns0:Value>" in xml


def test_invoice_payload_leaves_include_vat_nil() -> None:
    order = InvoiceOrder(
        customer_id=10001,
        project_id=1001,
        lines=(
            InvoiceOrderLine(
                product_id=1, name="Hours", quantity=Decimal("2"), price=Decimal("950")
            ),
        ),
    )

    xml = _message(
        "invoiceService.wsdl",
        "InvoiceServiceSoap",
        "SaveInvoices",
        invoices={"InvoiceOrder": [c._invoice_payload(order)]},
    )

    assert "<ns0:OrderStatus>Draft</ns0:OrderStatus>" in xml
    assert 'IncludeVAT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"' in xml
    assert "<ns0:Quantity>2</ns0:Quantity>" in xml


def test_a_request_zeep_cannot_build_is_rejected_before_sending() -> None:
    client = c.TwentyFourSevenClient(
        base_url="http://127.0.0.1:9",
        session_store=c.MemorySessionStore("sid"),
        budget=c.InMemoryRequestBudget(),
    )

    with pytest.raises(Rejected, match="could not be built"):
        client._call("project", "SaveProject", {"project": {"Name": "X", "Nonsense": 1}})
    client.close()


# WSDLS AND CAPABILITIES
# ------------------------------------------------------------------------------
def test_wsdls_are_parsed_once_per_process() -> None:
    assert c._document("projectService.wsdl") is c._document("projectService.wsdl")


def test_service_addresses_keep_the_real_paths_on_the_configured_hosts() -> None:
    addresses = {
        name: c._service_address(c._document(wsdl), binding, api="A", web="W")
        for name, (wsdl, binding) in c._SERVICES.items()
    }

    assert addresses == {
        "auth": "A/authenticate/v001/authenticate.asmx",
        "client": "A/Client/V001/ClientService.asmx",
        "company": "A/CRM/Company/V001/CompanyService.asmx",
        "person": "W/CRM/Contact/PersonService.asmx",
        "project": "W/Project/V001/ProjectService.asmx",
        "time": "W/timesheet/v001/timeservice.asmx",
        "invoice": "A/Economy/InvoiceOrder/V001/InvoiceService.asmx",
    }


def test_production_hosts_are_the_defaults(settings: Settings) -> None:
    del settings.TWENTYFOURSEVEN_API_BASE
    del settings.TWENTYFOURSEVEN_WEBSERVICES_BASE
    client = c.TwentyFourSevenClient()

    assert client._config.api_base == "https://api.24sevenoffice.com"
    assert client._config.webservices_base == "https://webservices.24sevenoffice.com"
    assert client._config.timeout == (5.0, 60.0)
    client.close()


def test_capabilities_say_work_types_are_pull_only() -> None:
    assert CAPABILITIES.system == "24so"
    assert CAPABILITIES.can_pull(Entity.WORK_TYPE)
    assert not CAPABILITIES.can_push(Entity.WORK_TYPE)
    assert Entity.WORK_TYPE in CAPABILITIES.notes
    assert CAPABILITIES.can_push(Entity.HOUR) and CAPABILITIES.can_delete(Entity.HOUR)
    assert not CAPABILITIES.can_delete(Entity.PROJECT)
    assert CAPABILITIES.watermark_resolution == timedelta(minutes=1)


def test_changed_after_overlaps_the_watermark_on_a_whole_minute() -> None:
    watermark = datetime(2026, 11, 24, 2, 17, 45, 123, tzinfo=timezone(timedelta(hours=1)))

    assert changed_after(watermark) == datetime(2026, 11, 24, 1, 15, tzinfo=UTC)
    assert changed_after(watermark, overlap=timedelta(0)) == datetime(
        2026, 11, 24, 1, 17, tzinfo=UTC
    )
    with pytest.raises(ValueError):
        changed_after(datetime(2026, 11, 24, 2, 17))
