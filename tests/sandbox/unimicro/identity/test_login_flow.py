"""Authorization code + PKCE through the sandbox's login pages, over real HTTP."""

from __future__ import annotations

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from .conftest import COMPANY_1, COMPANY_1_TEST, COMPANY_2, ORG_2, READER, SCOPES, pkce


def test_discovery_names_the_endpoints_and_its_jwks_verifies_an_access_token(sandbox):
    document = requests.get(f"{sandbox.issuer}/.well-known/openid-configuration", timeout=30).json()
    assert document["issuer"] == sandbox.issuer
    assert document["authorization_endpoint"] == f"{sandbox.issuer}/connect/authorize"
    assert document["token_endpoint"] == sandbox.token_endpoint
    assert document["jwks_uri"] == f"{sandbox.issuer}/.well-known/openid-configuration/jwks"
    assert document["revocation_endpoint"] == f"{sandbox.issuer}/connect/revocation"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]

    token = sandbox.login()
    keys = KeySet.import_key_set(requests.get(document["jwks_uri"], timeout=30).json())
    claims = jwt.decode(token["access_token"], keys, algorithms=["RS256"]).claims
    assert claims["iss"] == sandbox.issuer
    assert claims["aud"] == ["AppFramework", f"{sandbox.issuer}/resources"]
    assert claims["client_id"] == "tidsbro-demo"
    assert claims["scope"] == SCOPES
    assert claims["exp"] - claims["iat"] == 3600
    assert token["expires_in"] == 3600
    id_claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    assert id_claims["nonce"]
    assert id_claims["sub"] == claims["sub"]
    assert id_claims["email"] == "regnskap@tidsbro.no"


def test_the_login_page_comes_first_and_a_wrong_password_is_said_so(sandbox):
    _verifier, challenge = pkce()
    browser = sandbox.browser()
    page = browser.open(**sandbox.authorize_params(challenge=challenge, prompt="login"))
    assert page.response.status_code == 200
    assert 'name="email"' in page.text and 'name="password"' in page.text
    assert "Logg inn" in page.text
    page = browser.submit(email="regnskap@tidsbro.no", password="wrong", login="1")
    assert "Feil e-postadresse eller passord" in page.text
    # The sandbox's sign-in never signs the browser into Tidsbro itself.
    assert "sessionid" not in browser.http.cookies


def test_code_and_state_and_iss_come_back_and_pkce_is_checked(sandbox):
    verifier, challenge = pkce()
    page = sandbox.browser().sign_in(
        **sandbox.authorize_params(challenge=challenge, state="my-state")
    )
    assert page.response.status_code == 302
    assert page.location.startswith("http://127.0.0.1:8123/integrations/oauth/unimicro/callback/")
    back = page.query()
    assert back["state"] == "my-state"
    assert back["iss"] == sandbox.issuer
    code = back["code"]

    missing = sandbox.exchange(code, None)
    assert missing.status_code == 400
    wrong = sandbox.exchange(code, "x" * 50)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    good = sandbox.exchange(code, verifier)
    assert good.status_code == 200, good.text
    again = sandbox.exchange(code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_authorize_without_a_code_challenge_is_refused(sandbox):
    params = sandbox.authorize_params(challenge="")
    params.pop("code_challenge")
    params.pop("code_challenge_method")
    page = sandbox.browser().open(**params)
    assert page.response.status_code == 302
    assert page.query()["error"] == "invalid_request"
    assert page.query()["iss"] == sandbox.issuer


def test_a_redirect_uri_on_another_host_or_path_is_refused(sandbox):
    _verifier, challenge = pkce()
    for uri in (
        "http://evil.example/integrations/oauth/unimicro/callback/",
        "http://127.0.0.1:8123/elsewhere/",
    ):
        page = sandbox.browser().open(
            **sandbox.authorize_params(challenge=challenge, redirect_uri=uri)
        )
        assert page.response.status_code == 400
        assert "Location" not in page.response.headers


def test_cancel_on_the_consent_page_sends_access_denied_back(sandbox):
    _verifier, challenge = pkce()
    page = sandbox.browser().sign_in(accept=False, **sandbox.authorize_params(challenge=challenge))
    back = page.query()
    assert back["error"] == "access_denied"
    assert back["state"] == "st-1"
    assert back["iss"] == sandbox.issuer
    assert "code" not in back


def test_a_scope_the_client_lacks_is_invalid_scope(sandbox):
    _verifier, challenge = pkce()
    page = sandbox.browser().open(
        **sandbox.authorize_params(client_id="tidsbro-demo-no-offline", challenge=challenge)
    )
    assert page.response.status_code == 302
    assert page.query()["error"] == "invalid_scope"


def test_the_organisation_chosen_decides_the_companies(sandbox):
    first = sandbox.login()
    keys = [c["Key"] for c in sandbox.companies(first["access_token"]).json()]
    assert sorted(keys) == [COMPANY_1, COMPANY_1_TEST]

    second = sandbox.login(organisation=ORG_2)
    listed = sandbox.companies(second["access_token"])
    assert listed.status_code == 200
    companies = listed.json()
    assert [c["Key"] for c in companies] == [COMPANY_2]
    assert set(companies[0]) >= {
        "ID",
        "Key",
        "Name",
        "OrganizationNumber",
        "ClientNumber",
        "IsTest",
        "IsTemplate",
        "StatusCode",
        "LastActivity",
        "CreatedAt",
        "UpdatedAt",
    }
    assert companies[0]["OrganizationNumber"] == "998877665"


def test_a_user_in_one_organisation_skips_the_organisation_page(sandbox):
    verifier, challenge = pkce()
    browser = sandbox.browser()
    browser.open(**sandbox.authorize_params(challenge=challenge))
    page = browser.submit(email=READER, password="tidsbro-demo", login="1")
    assert 'name="decision"' in page.text
    assert "Godta" in page.text and "Avbryt" in page.text
    page = browser.submit(decision="accept")
    token = sandbox.exchange(page.query()["code"], verifier).json()
    assert [c["Key"] for c in sandbox.companies(token["access_token"]).json()] == [
        COMPANY_1,
        COMPANY_1_TEST,
    ]
