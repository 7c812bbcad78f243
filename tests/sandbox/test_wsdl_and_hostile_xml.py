"""?wsdl serving, URL layout, and hostile or broken requests answered with SOAP faults."""

import pytest
import requests
import zeep
from zeep.transports import Transport

from .conftest import NS, SERVICES, WSDL_DIR, envelope, fault_text, post


@pytest.mark.parametrize(
    "key", ["auth", "client", "company", "person", "project", "time", "invoice"]
)
def test_wsdl_is_the_real_file_with_the_address_rewritten(sandbox, key):
    wsdl_file, _, path = SERVICES[key]
    response = sandbox.http.get(sandbox.url(key) + "?wsdl", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    original = (WSDL_DIR / wsdl_file).read_bytes()
    served = response.content
    location = f'location="{sandbox.base_url}/sandbox/24so/{path}"'.encode()
    assert served.count(location) == 2  # the SOAP 1.1 and the SOAP 1.2 port
    # Apart from the two addresses, the file is byte-identical.
    import re

    strip = re.compile(rb'(<soap(?:12)?:address location=")[^"]*(")')
    assert strip.sub(rb"\1\2", served) == strip.sub(rb"\1\2", original)


def test_zeep_can_load_the_served_wsdl_and_call_the_sandbox(sandbox):
    client = zeep.Client(sandbox.url("auth") + "?wsdl", transport=Transport(session=sandbox.http))
    assert client.service.HasSession() is False
    assert client.service._binding_options["address"] == sandbox.url("auth")


def test_time_service_wsdl_is_2018_by_default_and_2022_with_v(sandbox):
    default = sandbox.http.get(sandbox.url("time") + "?wsdl", timeout=10).content
    variant = sandbox.http.get(sandbox.url("time") + "?wsdl&v=2022", timeout=10).content
    assert b"InternalNote" not in default
    assert b"TIDSBRO VARIANT" in variant
    for field in (b"InternalNote", b"ChangedAfter", b"RegisteredAfter", b"HourIds"):
        assert field in variant


def test_paths_are_case_insensitive_like_iis(sandbox):
    upper = sandbox.base_url + "/sandbox/24so/Authenticate/V001/Authenticate.asmx?WSDL"
    assert sandbox.http.get(upper, timeout=10).status_code == 200


def test_get_without_wsdl_shows_a_help_page_with_the_operations(sandbox):
    response = sandbox.http.get(sandbox.url("time"), timeout=10)
    assert response.status_code == 200
    assert b"SaveHour" in response.content


def _assert_fault(response, code="soap:Client"):
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    assert fault_text(response)
    assert code.encode() in response.content


def test_dtd_is_refused_with_a_fault(sandbox):
    body = (
        b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + envelope("<HasSession xmlns='http://24sevenOffice.com/webservices'>&xxe;</HasSession>")[
            21:
        ]
    )
    response = post(sandbox, "auth", body, "HasSession")
    _assert_fault(response)
    assert "DTD is prohibited" in fault_text(response)
    assert b"root:" not in response.content


def test_billion_laughs_is_refused_quickly(sandbox):
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        "<HasSession xmlns='http://24sevenOffice.com/webservices'>&lol9;</HasSession>"
        "</soap:Body></soap:Envelope>"
    ).encode()
    response = post(sandbox, "auth", body, "HasSession")
    _assert_fault(response)
    from apps.sandbox.twentyfourseven.models import RequestLog

    # Measured inside the server, so a busy test machine does not make it flaky.
    assert RequestLog.objects.get().duration_ms < 500


def test_dtd_in_utf16_is_refused_too(sandbox):
    body = (
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        "<HasSession xmlns='http://24sevenOffice.com/webservices'/></soap:Body></soap:Envelope>"
    ).encode("utf-16")
    _assert_fault(post(sandbox, "auth", body, "HasSession"))


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>",
        b"<Envelope><Body><HasSession/></Body></Envelope>",
        envelope(""),
    ],
    ids=["empty", "not-xml", "truncated", "no-soap-namespace", "empty-body"],
)
def test_broken_envelopes_get_a_client_fault(sandbox, body):
    _assert_fault(post(sandbox, "auth", body, "HasSession"))


def test_soap12_envelope_gets_a_version_mismatch_fault(sandbox):
    body = (
        b'<soap12:Envelope xmlns:soap12="http://www.w3.org/2003/05/soap-envelope">'
        b"<soap12:Body><HasSession xmlns='http://24sevenOffice.com/webservices'/>"
        b"</soap12:Body></soap12:Envelope>"
    )
    _assert_fault(post(sandbox, "auth", body), "soap:VersionMismatch")


def test_wrong_types_get_a_fault_not_a_crash(logged_in):
    body = envelope(
        f'<GetSingleProject xmlns="{NS}"><projectId>not-a-number</projectId></GetSingleProject>'
    )
    response = post(logged_in, "project", body, "GetSingleProject")
    _assert_fault(response)
    assert "There is an error in XML document" in fault_text(response)


def test_soap_action_must_match_the_body_element(sandbox):
    body = envelope(f'<HasSession xmlns="{NS}"/>')
    response = post(sandbox, "auth", body, "Login")
    _assert_fault(response)
    assert "SOAPAction" in fault_text(response)


def test_unknown_operation_gets_a_fault(sandbox):
    response = post(sandbox, "auth", envelope(f'<DropAllTables xmlns="{NS}"/>'), "DropAllTables")
    _assert_fault(response)


def test_oversized_request_is_refused(sandbox, settings):
    settings.SANDBOX_24SO = {**settings.SANDBOX_24SO, "MAX_REQUEST_BYTES": 10_000}
    body = envelope(f'<HasSession xmlns="{NS}"/>' + "<!-- " + "x" * 20_000 + " -->")
    response = post(sandbox, "auth", body, "HasSession")
    _assert_fault(response)
    assert "Maximum request length exceeded" in fault_text(response)


def test_operation_of_another_service_is_not_found(logged_in):
    response = post(logged_in, "auth", envelope(f'<GetUsers xmlns="{NS}"/>'), "GetUsers")
    _assert_fault(response)


def test_a_plain_request_without_soapaction_is_dispatched_by_body(sandbox):
    response = post(sandbox, "auth", envelope(f'<HasSession xmlns="{NS}"/>'))
    assert response.status_code == 200
    assert b"false" in response.content


def test_put_is_not_allowed(sandbox):
    assert requests.put(sandbox.url("auth"), timeout=10).status_code == 405


def test_deeply_nested_xml_is_refused(sandbox):
    depth = 5000
    inner = "<a>" * depth + "</a>" * depth
    body = envelope(f'<HasSession xmlns="{NS}">{inner}</HasSession>')
    _assert_fault(post(sandbox, "auth", body, "HasSession"))


def test_wrong_date_and_nested_number_get_a_fault(logged_in):
    bad_date = envelope(
        f'<SaveHour xmlns="{NS}"><Hour><StartTime>yesterday</StartTime></Hour></SaveHour>'
    )
    _assert_fault(post(logged_in, "time", bad_date, "SaveHour"))
    bad_hours = envelope(
        f'<SaveHour xmlns="{NS}"><Hour><TotalHours>lots</TotalHours></Hour></SaveHour>'
    )
    _assert_fault(post(logged_in, "time", bad_hours, "SaveHour"))


def test_xinclude_is_not_processed(sandbox):
    body = envelope(
        f'<HasSession xmlns="{NS}"><x:include xmlns:x="http://www.w3.org/2001/XInclude" '
        'href="file:///etc/passwd" parse="text"/></HasSession>'
    )
    response = post(sandbox, "auth", body, "HasSession")
    assert b"root:" not in response.content
    assert response.status_code == 200  # unknown elements are ignored, like .NET does
    assert b"false" in response.content


def test_a_zeep_client_from_the_served_2022_variant_reads_internal_notes(logged_in):
    from apps.sandbox.twentyfourseven.models import Hour

    Hour.objects.filter(hour_id=100001).update(internal_note="Bare for oss")
    client = zeep.Client(
        logged_in.url("time") + "?wsdl&v=2022", transport=Transport(session=logged_in.http)
    )
    hours = client.service.GetHours(
        hs={"ContactId": 0, "ProjectId": 0, "HourIds": {"int": [100001]}}
    )
    assert [h.InternalNote for h in hours] == ["Bare for oss"]


def test_production_settings_leave_the_sandbox_out():
    from django.conf import settings as django_settings

    production = (django_settings.BASE_DIR / "config/settings/production.py").read_text()
    base = (django_settings.BASE_DIR / "config/settings/base.py").read_text()
    assert "sandbox" not in production
    assert "apps.sandbox" not in base
    assert "EXTRA_URLCONFS" not in base


@pytest.mark.parametrize(
    "body, service, action",
    [
        (
            "<GetSingleProject xmlns='{ns}'><projectId>2147483648</projectId></GetSingleProject>",
            "project",
            "GetSingleProject",
        ),
        (
            "<SaveHour xmlns='{ns}'><Hour><Id>99999999999999999999</Id></Hour></SaveHour>",
            "time",
            "SaveHour",
        ),
        (
            "<GetCompanies xmlns='{ns}'><searchParams><CompanyIds><int>1</int>"
            "<int>-2147483649</int></CompanyIds></searchParams></GetCompanies>",
            "company",
            "GetCompanies",
        ),
    ],
    ids=["int", "long", "int-in-array"],
)
def test_numbers_outside_their_xsd_type_are_refused(logged_in, body, service, action):
    response = post(logged_in, service, envelope(body.format(ns=NS)), action)
    _assert_fault(response)
    assert "There is an error in XML document" in fault_text(response)


def test_numbers_at_the_edge_of_their_type_are_accepted(logged_in):
    body = f"<GetSingleProject xmlns='{NS}'><projectId>2147483647</projectId></GetSingleProject>"
    response = post(logged_in, "project", envelope(body), "GetSingleProject")
    assert "Project 2147483647 does not exist" in fault_text(response)
