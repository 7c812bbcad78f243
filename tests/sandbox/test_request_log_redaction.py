"""The sandbox's request log never keeps a password or session id, however the XML spells it."""

import pytest

from apps.sandbox.twentyfourseven.models import RequestLog
from apps.sandbox.twentyfourseven.redaction import redact
from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_PASSWORD, DEMO_USERNAME

from .conftest import NS, envelope, post

SECRET = "hunter2-Sekret"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _envelope(inner: str, *, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}'
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    ).encode()


VARIANTS = {
    "plain": f'<Login xmlns="{NS}"><credential><Password>{SECRET}</Password></credential></Login>',
    "space-before-gt": f'<Login xmlns="{NS}"><credential><Password >{SECRET}</Password ></credential></Login>',
    "newline-inside-tag": f'<Login xmlns="{NS}"><credential><Password\n>{SECRET}</Password\n\t></credential></Login>',
    "namespace-prefix": f'<t:Login xmlns:t="{NS}"><t:credential><t:Password>{SECRET}</t:Password></t:credential></t:Login>',
    "default-namespace-on-element": f'<Login><credential><Password xmlns="{NS}">{SECRET}</Password></credential></Login>',
    "cdata": f'<Login xmlns="{NS}"><credential><Password><![CDATA[{SECRET}]]></Password></credential></Login>',
    "cdata-split": f'<Login xmlns="{NS}"><credential><Password>hunter2-<![CDATA[Sekret]]></Password></credential></Login>',
    "comment-inside": f'<Login xmlns="{NS}"><credential><Password>hunter2-<!-- x -->Sekret</Password></credential></Login>',
    "attribute-on-element": f'<Login xmlns="{NS}"><credential><Password kind="plain">{SECRET}</Password></credential></Login>',
    "secret-as-attribute": f'<Login xmlns="{NS}"><credential Password="{SECRET}"/></Login>',
    "prefixed-secret-attribute": f'<Login xmlns="{NS}" xmlns:x="urn:x"><credential x:WebPassword="{SECRET}"/></Login>',
    "other-case": f'<Login xmlns="{NS}"><credential><PASSWORD>{SECRET}</PASSWORD></credential></Login>',
    "web-password": f'<SavePersons xmlns="{NS}"><WebPassword>{SECRET}</WebPassword></SavePersons>',
    "nested-in-secret": f'<Login xmlns="{NS}"><Password><Value>{SECRET}</Value></Password></Login>',
    "character-reference": f'<Login xmlns="{NS}"><Password>&#104;unter2-Sekret</Password></Login>',
    "session-id-in-passport": f'<R xmlns="{NS}"><Passport><SessionId>{SECRET}</SessionId></Passport></R>',
    "login-result": f'<LoginResponse xmlns="{NS}"><LoginResult>{SECRET}</LoginResult></LoginResponse>',
}


@pytest.mark.parametrize("inner", VARIANTS.values(), ids=VARIANTS.keys())
def test_a_secret_is_masked_however_the_xml_spells_it(inner):
    logged = redact(_envelope(inner))

    assert "hunter2" not in logged and "Sekret" not in logged
    assert "***" in logged


def test_what_is_not_secret_stays_readable():
    body = _envelope(
        f'<Login xmlns="{NS}"><credential><ApplicationId>{APPLICATION_ID}</ApplicationId>'
        f"<Password>{SECRET}</Password><Username>{DEMO_USERNAME}</Username>"
        "</credential></Login>"
    )

    logged = redact(body)

    assert f"<ApplicationId>{APPLICATION_ID}</ApplicationId>" in logged
    assert f"<Username>{DEMO_USERNAME}</Username>" in logged
    assert "<Password>***</Password>" in logged


def test_an_empty_password_element_is_logged_as_empty():
    logged = redact(_envelope(f'<Login xmlns="{NS}"><credential><Password/></credential></Login>'))

    assert "<Password/>" in logged  # nothing was sent, and the log says so


def test_a_body_without_secrets_is_logged_as_sent_even_if_not_xml():
    assert redact(b"500 - Internal server error.") == "500 - Internal server error."
    assert redact(b"") == ""


@pytest.mark.parametrize(
    "body",
    [
        f"<Login><Password>{SECRET}</Password>".encode(),  # cut off
        f"<Login><Password>{SECRET}</Pasword></Login>".encode(),  # mismatched tag
        f"<Password>{SECRET}</Password><Password>{SECRET}</Password>".encode(),  # two roots
        f"<Login><Password a='1' a='2'>{SECRET}</Password></Login>".encode(),
        f"Password={SECRET}".encode(),  # not XML at all
    ],
    ids=["truncated", "mismatched", "two-roots", "duplicate-attribute", "form-encoded"],
)
def test_an_unparseable_body_that_names_a_secret_is_not_logged(body):
    logged = redact(body)

    assert SECRET not in logged
    assert "not well-formed XML" in logged


def test_a_utf16_body_is_read_by_the_parser_not_skipped():
    body = (
        f'<?xml version="1.0" encoding="utf-16"?><Login xmlns="{NS}">'
        f"<Password >{SECRET}</Password></Login>"
    ).encode("utf-16")

    logged = redact(body)

    assert SECRET not in logged and "***" in logged


def test_entities_are_not_expanded_into_the_log():
    body = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY pw "hunter2-Sekret">]>'
        f'<Login xmlns="{NS}"><Password>&pw;</Password><Note>&pw;</Note></Login>'
    ).encode()

    assert SECRET not in redact(body)


def test_a_login_with_a_space_before_the_closing_bracket_is_redacted_in_the_log(sandbox):
    body = envelope(
        f'<Login xmlns="{NS}"><credential><ApplicationId>{APPLICATION_ID}</ApplicationId>'
        f"<Password >{DEMO_PASSWORD}</Password ><Username>{DEMO_USERNAME}</Username>"
        "</credential></Login>"
    )

    response = post(sandbox, "auth", body, "Login")

    assert response.status_code == 200
    session_id = sandbox.http.cookies["ASP.NET_SessionId"]
    entry = RequestLog.objects.get(operation="Login")
    assert DEMO_PASSWORD not in entry.request_body
    assert "<Password>***</Password>" in entry.request_body
    assert session_id not in entry.response_body
    assert "LoginResult>***</" in entry.response_body
