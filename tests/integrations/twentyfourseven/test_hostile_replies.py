"""The client against a scripted SOAP peer that misbehaves: never a crash, never a hang.

Every reply here arrives over real HTTP on 127.0.0.1; what the sandbox cannot be asked to
do (broken XML, DTD bombs, drips, odd statuses) is played by the scripted peer.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

import pytest

from apps.integrations.connectors.base import AuthFailed, RateLimited, Rejected, Unavailable
from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient

from .conftest import (
    NS,
    PASSWORD,
    SESSION_ID,
    Reply,
    ScriptedPeer,
    drip,
    envelope,
    fault,
    hang,
    reset_after_headers,
    result,
)

USER = (
    "<User><ContactId>7</ContactId><Id>5f1c2a8e-0000-4000-8000-000000000001</Id>"
    "<Name>Kari Nordmann</Name><EmployeeId>3</EmployeeId></User>"
)


def test_well_formed_reply_is_mapped_and_session_cookie_is_sent(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(result("GetUsers", USER))
    client = make_client()

    users = client.get_users()

    assert [(u.contact_id, u.name, u.employee_id) for u in users] == [(7, "Kari Nordmann", 3)]
    assert peer.actions() == ["Login", "GetUsers"]
    assert peer.seen[0].cookie == ""
    assert peer.seen[1].cookie == f"ASP.NET_SessionId={SESSION_ID}"
    assert peer.seen[1].path == "/Client/V001/ClientService.asmx"


def test_services_on_both_hosts_get_their_real_paths(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    client = make_client(api_base=peer.url + "/api", webservices_base=peer.url + "/web")

    client.get_users()
    client.get_project_statuses()

    assert [s.path for s in peer.seen] == [
        "/api/authenticate/v001/authenticate.asmx",
        "/api/Client/V001/ClientService.asmx",
        "/web/Project/V001/ProjectService.asmx",
    ]
    assert all(s.cookie == f"ASP.NET_SessionId={SESSION_ID}" for s in peer.seen[1:])


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<soap:Envelope><soap:Body><GetUsersResp", id="truncated"),
        pytest.param(b"this is not xml at all", id="not-xml"),
        pytest.param(b"", id="empty"),
        pytest.param(
            b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<GetUsersResponse xmlns="http://24sevenOffice.com/webservices"><GetUsersResult>'
            b"<User><Name>&lol3;</Name></User></GetUsersResult></GetUsersResponse>"
            b"</soap:Body></soap:Envelope>",
            id="billion-laughs",
        ),
        pytest.param(
            b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<GetUsersResponse xmlns="http://24sevenOffice.com/webservices"><GetUsersResult>'
            b"<User><Name>&xxe;</Name></User></GetUsersResult></GetUsersResponse>"
            b"</soap:Body></soap:Envelope>",
            id="external-entity",
        ),
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE soap:Envelope SYSTEM "http://127.0.0.1:9/x.dtd">'
            + envelope(f'<GetUsersResponse xmlns="{NS}" />')[21:],
            id="external-dtd",
        ),
        pytest.param(b"<a>" * 5000 + b"</a>" * 5000, id="deeply-nested"),
    ],
)
def test_malformed_or_hostile_xml_is_unavailable(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient], body: bytes
) -> None:
    peer.replies["GetUsers"] = Reply(body)
    client = make_client()
    started = time.monotonic()

    with pytest.raises(Unavailable) as caught:
        client.get_users()

    assert time.monotonic() - started < 5
    assert caught.value.ambiguous is True
    assert "passwd" not in str(caught.value) and "root:" not in str(caught.value)


def test_values_of_the_wrong_type_are_unavailable_not_silently_dropped(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    bad = USER.replace("<ContactId>7</ContactId>", "<ContactId>seven</ContactId>")
    peer.replies["GetUsers"] = Reply(result("GetUsers", bad))

    with pytest.raises(Unavailable, match="wrong type"):
        make_client().get_users()


def test_identity_without_a_guid_is_unavailable(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetIdentities"] = Reply(
        result(
            "GetIdentities", "<Identity><Id>not-a-guid</Id><IsCurrent>true</IsCurrent></Identity>"
        )
    )

    with pytest.raises(Unavailable):
        make_client().get_identities()


def test_reply_larger_than_the_cap_is_cut_off(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(result("GetUsers", USER * 2000))

    with pytest.raises(Unavailable, match="larger than allowed"):
        make_client(max_response_bytes=20_000).get_users()


def test_a_reply_dripping_within_the_read_timeout_stops_at_the_deadline(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(writer=drip(interval=0.05, total=10_000))
    client = make_client(timeout=(1.0, 0.5), deadline=1.0)
    started = time.monotonic()

    with pytest.raises(Unavailable) as caught:
        client.get_users()

    assert 0.9 < time.monotonic() - started < 3
    assert caught.value.ambiguous is True


def test_silent_server_is_a_read_timeout(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(writer=hang(3))
    started = time.monotonic()

    with pytest.raises(Unavailable, match="did not answer in time") as caught:
        make_client(timeout=(1.0, 0.5)).get_users()

    assert time.monotonic() - started < 2
    assert caught.value.ambiguous is True


def test_connection_reset_mid_reply_is_unavailable(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["SaveHour"] = Reply(writer=reset_after_headers)
    from apps.integrations.connectors.twentyfourseven.types import Hour

    with pytest.raises(Unavailable) as caught:
        make_client().save_hour(Hour(contact_id=7, total_hours=None))

    assert caught.value.ambiguous is True


def test_closed_port_is_unavailable_and_not_ambiguous(
    make_client: Callable[..., TwentyFourSevenClient],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(base_url=f"http://127.0.0.1:{port}")

    with pytest.raises(Unavailable) as caught:
        client.login()

    assert caught.value.ambiguous is False


@pytest.mark.parametrize(
    ("status", "content_type", "body", "error"),
    [
        (503, "text/html", b"<html><body>Service Unavailable</body></html>", Unavailable),
        (502, "text/plain", b"", Unavailable),
        (500, "text/html", b"<html>Runtime Error</html>", Unavailable),
        (404, "text/html", b"<html>Not Found</html>", Unavailable),
        (401, "text/html", b"<html>Unauthorized</html>", AuthFailed),
        (400, "text/html", b"<html>Bad Request</html>", Rejected),
        (200, "text/html", b"<html><body>maintenance</body></html>", Unavailable),
    ],
)
def test_http_statuses_map_to_connector_errors(
    peer: ScriptedPeer,
    make_client: Callable[..., TwentyFourSevenClient],
    status: int,
    content_type: str,
    body: bytes,
    error: type[Exception],
) -> None:
    peer.replies["GetUsers"] = Reply(body, status=status, content_type=content_type)

    with pytest.raises(error):
        make_client().get_users()


def test_http_429_is_rate_limited_with_retry_after(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(
        b"slow down", status=429, content_type="text/plain", headers={"retry-after": "120"}
    )

    with pytest.raises(RateLimited) as caught:
        make_client().get_users()

    assert caught.value.retry_after == 120


def test_redirect_is_not_followed_so_the_session_cookie_stays_home(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(
        b"", status=302, content_type="text/html", headers={"Location": "http://127.0.0.1:9/x"}
    )

    with pytest.raises(Unavailable):
        make_client().get_users()

    assert peer.actions() == ["Login", "GetUsers"]


def test_server_cannot_replace_the_session_cookie(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["Login"] = Reply(
        result("Login", SESSION_ID),
        headers={"Set-Cookie": "ASP.NET_SessionId=planted; path=/"},
    )
    client = make_client()

    client.get_users()

    assert peer.seen[1].cookie == f"ASP.NET_SessionId={SESSION_ID}"


def test_soap_fault_is_rejected_with_its_text(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["SaveProject"] = Reply(
        fault("Server was unable to process request. ---> Project name is required"), status=500
    )
    from apps.integrations.connectors.twentyfourseven.types import Project

    with pytest.raises(Rejected) as caught:
        make_client().save_project(Project(name="X"))

    assert caught.value.messages == (
        "Server was unable to process request. ---> Project name is required",
    )


def test_quarantine_fault_in_dotnet_format_blocks_the_whole_budget(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(
        fault("Limit exceeded by 3. Request is blocked. Quarantine ends at 1/1/2099 3:00:00 PM"),
        status=500,
    )
    client = make_client()

    with pytest.raises(RateLimited) as first:
        client.get_users()
    with pytest.raises(RateLimited) as second:
        client.get_project_statuses()

    assert first.value.until is not None
    assert (first.value.until.year, first.value.until.hour) == (2099, 15)
    assert second.value.until is not None and second.value.until.year == 2099
    # The second call never left the process.
    assert peer.actions() == ["Login", "GetUsers"]


def test_nothing_secret_is_logged_even_with_zeep_at_debug(
    peer: ScriptedPeer,
    make_client: Callable[..., TwentyFourSevenClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="zeep")
    caplog.set_level(logging.DEBUG, logger="zeep.transports")
    peer.replies["GetUsers"] = Reply(result("GetUsers", USER))

    make_client().get_users()

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert PASSWORD not in logged
    assert SESSION_ID not in logged


def test_repr_and_errors_hide_the_password(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["Login"] = Reply(result("Login", ""))
    client = make_client()

    with pytest.raises(AuthFailed) as caught:
        client.login()

    assert PASSWORD not in repr(client)
    assert PASSWORD not in str(caught.value)
    assert PASSWORD not in repr(client._credentials)


def test_a_fault_echoing_the_password_or_session_is_redacted(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(
        fault(f"Bad request: Password={PASSWORD}; cookie ASP.NET_SessionId={SESSION_ID}"),
        status=500,
    )

    with pytest.raises(Rejected) as caught:
        make_client().get_users()

    assert PASSWORD not in str(caught.value) and SESSION_ID not in str(caught.value)
    assert "Password=***" in caught.value.messages[0]


def test_a_fault_sent_with_http_200_is_still_a_fault(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(fault("Client is not authenticated on this identity"))
    client = make_client()

    with pytest.raises(AuthFailed, match="does not accept the session"):
        client.get_users()

    # Logged in once, refused, and not logged in a second time within the same call.
    assert peer.actions() == ["Login", "GetUsers"]


def test_remaining_requests_header_in_any_casing_blocks_at_the_reserve(
    peer: ScriptedPeer, make_client: Callable[..., TwentyFourSevenClient]
) -> None:
    peer.replies["GetUsers"] = Reply(
        result("GetUsers", USER),
        headers={"apilimitremaining": "3", "apilimitreset": "2099-01-01T15:00:00Z"},
    )
    client = make_client(budget_reserve=5)
    client.get_users()

    with pytest.raises(RateLimited) as caught:
        client.get_project_statuses()

    assert caught.value.until is not None and caught.value.until.year == 2099
    assert peer.actions() == ["Login", "GetUsers"]
