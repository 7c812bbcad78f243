"""Authenticate: Login, cookie, identities and session expiry, over HTTP with zeep."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from zeep.exceptions import Fault

from apps.sandbox.twentyfourseven.models import Application, Identity, Session
from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_PASSWORD, DEMO_USERNAME

from .conftest import envelope, post

NOT_AUTHENTICATED = "Client is not authenticated on this identity"


def test_login_returns_a_session_id_and_sets_the_aspnet_cookie(sandbox):
    body = envelope(
        '<Login xmlns="http://24sevenOffice.com/webservices"><credential>'
        f"<ApplicationId>{APPLICATION_ID}</ApplicationId>"
        f"<Password>{DEMO_PASSWORD}</Password><Username>{DEMO_USERNAME}</Username>"
        "</credential></Login>"
    )
    response = post(sandbox, "auth", body, "Login")
    assert response.status_code == 200
    session_id = response.cookies["ASP.NET_SessionId"]
    assert len(session_id) == 24
    assert f"<LoginResult>{session_id}</LoginResult>".encode() in response.content.replace(
        b"ns0:", b""
    )
    assert Session.objects.filter(key=session_id).exists()


def test_zeep_login_returns_session_id_string(sandbox):
    session_id = sandbox.login()
    assert isinstance(session_id, str) and len(session_id) == 24
    assert sandbox.http.cookies["ASP.NET_SessionId"] == session_id


@pytest.mark.parametrize(
    "kwargs",
    [
        {"password": "wrong"},
        {"username": "nobody@tidsbro.no"},
        {"app": uuid.UUID("5f1c2a8e-0000-4000-8000-000000000099")},
    ],
    ids=["wrong-password", "unknown-user", "unknown-application-id"],
)
def test_bad_credentials_give_an_empty_login_result_not_a_fault(sandbox, kwargs):
    result = sandbox.login(**kwargs)
    assert result in ("", None)  # zeep reads an empty <LoginResult/> as None or ""
    assert not Session.objects.exists()


def test_inactive_application_is_refused_like_a_wrong_password(sandbox):
    Application.objects.update(active=False)
    assert sandbox.login() in ("", None)


def test_has_session_is_true_with_the_cookie_and_false_without(sandbox):
    auth = sandbox.auth
    assert auth.HasSession() is False
    sandbox.login()
    assert auth.HasSession() is True
    sandbox.http.cookies.clear()
    assert auth.HasSession() is False


def test_cookie_is_honoured_on_every_service(logged_in):
    assert logged_in.client.GetUsers()
    assert logged_in.company.GetCompanySyncList(syncSearchParameters={"Page": 1})
    assert logged_in.person.GetPersons(personSearch={"IsEmployee": "True"})
    assert logged_in.project.GetProjectStatuses()
    assert logged_in.time.GetWorkTypeList(Wts={"Active": "none"})
    assert logged_in.invoice.GetInvoices(searchParams={}) is None


@pytest.mark.parametrize("service", ["client", "company", "project", "time"])
def test_calls_without_session_fault_with_not_authenticated(sandbox, service):
    calls = {
        "client": lambda s: s.GetUsers(),
        "company": lambda s: s.GetCompanySyncList(syncSearchParameters={"Page": 1}),
        "project": lambda s: s.GetProjectStatuses(),
        "time": lambda s: s.GetWorkTypeList(Wts={}),
    }
    with pytest.raises(Fault) as exc:
        calls[service](sandbox.service(service))
    assert exc.value.message == NOT_AUTHENTICATED


def test_get_identities_lists_both_clients_with_the_current_one_marked(logged_in):
    identities = logged_in.auth.GetIdentities()
    assert [i.Client.Name for i in identities] == ["Fjordlys Rådgivning AS", "Nordvik Bygg AS"]
    assert [i.IsCurrent for i in identities] == [True, False]
    assert [i.IsDefault for i in identities] == [True, False]
    assert identities[0].User.Name == "API Tidsbro"
    current = logged_in.auth.GetIdentity()
    assert current.Client.Id == 2400101


def test_set_identity_by_id_switches_the_client_of_the_session(logged_in):
    other = Identity.objects.get(client__client_id=2400102)
    assert logged_in.auth.SetIdentityById(identityId=str(other.identity_id)) is True
    assert logged_in.client.GetClientInformation().Name == "Nordvik Bygg AS"
    assert [i.IsCurrent for i in logged_in.auth.GetIdentities()] == [False, True]


def test_set_identity_by_unknown_id_returns_false(logged_in):
    assert logged_in.auth.SetIdentityById(identityId=str(uuid.uuid4())) is False
    assert logged_in.client.GetClientInformation().Name == "Fjordlys Rådgivning AS"


def test_get_identities_with_credential_needs_no_session(sandbox):
    identities = sandbox.auth.GetIdentitiesWithCredential(
        credential={
            "ApplicationId": str(APPLICATION_ID),
            "Username": DEMO_USERNAME,
            "Password": DEMO_PASSWORD,
        }
    )
    assert {i.Client.Id for i in identities} == {2400101, 2400102}
    assert not any(i.IsCurrent for i in identities)


def test_get_identities_with_wrong_credential_is_a_fault(sandbox):
    with pytest.raises(Fault):
        sandbox.auth.GetIdentitiesWithCredential(
            credential={
                "ApplicationId": str(APPLICATION_ID),
                "Username": DEMO_USERNAME,
                "Password": "nope",
            }
        )


def test_login_with_identity_id_picks_that_client(sandbox):
    other = Identity.objects.get(client__client_id=2400102)
    assert sandbox.login(IdentityId=str(other.identity_id))
    assert sandbox.client.GetClientInformation().Name == "Nordvik Bygg AS"


def test_login_with_all_zero_identity_id_picks_the_default(sandbox):
    assert sandbox.login(IdentityId="00000000-0000-0000-0000-000000000000")
    assert sandbox.client.GetClientInformation().Name == "Fjordlys Rådgivning AS"


def test_login_with_blocked_identity_faults_with_24so_text(sandbox):
    other = Identity.objects.get(client__client_id=2400102)
    Identity.objects.filter(pk=other.pk).update(is_blocked=True)
    with pytest.raises(Fault) as exc:
        sandbox.login(IdentityId=str(other.identity_id))
    assert exc.value.message.startswith("Provided IdentityId is blocked.")


def test_idle_session_expires_with_the_fault_real_clients_see(logged_in, knobs):
    knobs.session_idle_seconds = 60
    knobs.save()
    Session.objects.update(last_seen_at=timezone.now() - dt.timedelta(seconds=61))
    with pytest.raises(Fault) as exc:
        logged_in.client.GetUsers()
    assert exc.value.message == NOT_AUTHENTICATED
    assert logged_in.auth.HasSession() is False
    assert logged_in.login()
    assert logged_in.client.GetUsers()


def test_active_session_is_kept_alive_by_use(logged_in, knobs):
    knobs.session_idle_seconds = 60
    knobs.save()
    Session.objects.update(last_seen_at=timezone.now() - dt.timedelta(seconds=50))
    assert logged_in.client.GetUsers()
    assert Session.objects.get().last_seen_at > timezone.now() - dt.timedelta(seconds=5)
