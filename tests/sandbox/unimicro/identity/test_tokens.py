"""Refresh tokens, server access by client assertion, revocation, expiry and the API gate."""

from __future__ import annotations

import time

import requests

from .conftest import COMPANY_1, COMPANY_2, NO_OFFLINE, ORG_2, SERVER


def test_refresh_tokens_only_with_offline_access_asked_and_allowed(sandbox):
    with_offline = sandbox.login()
    assert with_offline["refresh_token"]
    without_asking = sandbox.login(scope="AppFramework profile openid")
    assert "refresh_token" not in without_asking
    client_without = sandbox.login(client_id=NO_OFFLINE, scope="AppFramework profile openid")
    assert "refresh_token" not in client_without


def test_refresh_rotates_and_a_reused_token_revokes_the_family(sandbox):
    first = sandbox.login()["refresh_token"]
    rotated = sandbox.refresh(first)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()["refresh_token"]
    assert second != first
    assert sandbox.companies(rotated.json()["access_token"]).status_code == 200

    reused = sandbox.refresh(first)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # The copy was used again: the newest token of the family is gone too.
    after = sandbox.refresh(second)
    assert after.status_code == 400
    assert after.json()["error"] == "invalid_grant"


def test_a_refreshed_token_keeps_the_organisation(sandbox):
    first = sandbox.login(organisation=ORG_2)
    again = sandbox.refresh(first["refresh_token"]).json()
    assert [c["Key"] for c in sandbox.companies(again["access_token"]).json()] == [COMPANY_2]


def test_a_token_fault_never_consumes_the_refresh_token(sandbox, settings):
    refresh_token = sandbox.login()["refresh_token"]
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "FAULT_RATE": 1.0}
    failed = sandbox.refresh(refresh_token)
    assert failed.status_code == 503
    assert failed.headers["Retry-After"]
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "FAULT_RATE": 0.0}
    assert sandbox.refresh(refresh_token).status_code == 200


def _client_credentials(sandbox, assertion: str, scope: str = "AppFramework"):
    return sandbox.token(
        grant_type="client_credentials",
        scope=scope,
        client_id=SERVER,
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion,
    )


def test_server_client_gets_a_token_with_a_good_assertion(sandbox, server_key):
    response = _client_credentials(sandbox, server_key.assertion(aud=sandbox.token_endpoint))
    assert response.status_code == 200, response.text
    token = response.json()
    assert "refresh_token" not in token
    assert token["expires_in"] == 3600
    listed = sandbox.companies(token["access_token"]).json()
    assert {c["Key"] for c in listed} >= {COMPANY_1, COMPANY_2}
    api = requests.get(
        f"{sandbox.api_base}/api/biz/customers",
        headers={"Authorization": f"Bearer {token['access_token']}", "CompanyKey": COMPANY_2},
        timeout=30,
    )
    assert api.status_code == 200, api.text


def test_server_assertions_with_wrong_aud_long_exp_or_reused_jti_are_refused(sandbox, server_key):
    wrong_aud = _client_credentials(sandbox, server_key.assertion(aud=f"{sandbox.issuer}/other"))
    assert wrong_aud.status_code in (400, 401)
    assert wrong_aud.json()["error"] == "invalid_client"

    too_long = _client_credentials(
        sandbox, server_key.assertion(aud=sandbox.token_endpoint, lifetime=3600)
    )
    assert too_long.json()["error"] == "invalid_client"

    expired = _client_credentials(
        sandbox,
        server_key.assertion(aud=sandbox.token_endpoint, iat=int(time.time()) - 600, lifetime=60),
    )
    assert expired.json()["error"] == "invalid_client"

    assertion = server_key.assertion(aud=sandbox.token_endpoint, jti="once-only")
    assert _client_credentials(sandbox, assertion).status_code == 200
    replayed = _client_credentials(sandbox, assertion)
    assert replayed.status_code in (400, 401)
    assert replayed.json()["error"] == "invalid_client"


def test_server_client_asking_for_a_scope_it_lacks_gets_invalid_scope(sandbox, server_key):
    response = _client_credentials(
        sandbox,
        server_key.assertion(aud=sandbox.token_endpoint),
        scope="AppFramework offline_access",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_a_client_secret_cannot_stand_in_for_the_assertion(sandbox, server_key):
    response = sandbox.token(
        grant_type="client_credentials", client_id=SERVER, client_secret="tidsbro-demo-secret"
    )
    assert response.json()["error"] == "invalid_client"


def test_revoking_a_refresh_token_ends_it_and_revoking_an_access_token_closes_the_api(sandbox):
    token = sandbox.login()
    revoked = requests.post(
        f"{sandbox.issuer}/connect/revocation",
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=("tidsbro-demo", "tidsbro-demo-secret"),
        timeout=30,
    )
    assert revoked.status_code == 200
    assert sandbox.refresh(token["refresh_token"]).json()["error"] == "invalid_grant"

    assert sandbox.companies(token["access_token"]).status_code == 200
    requests.post(
        f"{sandbox.issuer}/connect/revocation",
        data={
            "token": token["access_token"],
            "client_id": "tidsbro-demo",
            "client_secret": "tidsbro-demo-secret",
        },
        timeout=30,
    )
    refused = sandbox.companies(token["access_token"])
    assert refused.status_code == 401
    assert refused.json() == {"Message": "Authorization has been denied for this request"}


def test_access_tokens_expire_after_their_lifetime(sandbox, settings):
    settings.SANDBOX_UNIMICRO = {**settings.SANDBOX_UNIMICRO, "ACCESS_TOKEN_SECONDS": 1}
    token = sandbox.login(scope="AppFramework profile openid")
    assert token["expires_in"] == 1
    time.sleep(2.2)
    refused = sandbox.companies(token["access_token"])
    assert refused.status_code == 401
    assert refused.json()["Message"] == "Authorization has been denied for this request"


def test_expire_all_access_tokens_now_refuses_older_tokens(sandbox):
    from apps.sandbox.unimicro.identity.services import access_tokens_expire_all

    old = sandbox.login(scope="AppFramework profile openid")["access_token"]
    assert sandbox.companies(old).status_code == 200
    access_tokens_expire_all()
    assert sandbox.companies(old).status_code == 401
    time.sleep(1.1)  # tokens carry whole seconds: the next ones are minted after the stamp
    fresh = sandbox.login(scope="AppFramework profile openid")["access_token"]
    assert sandbox.companies(fresh).status_code == 200


def test_userinfo_names_the_user(sandbox):
    token = sandbox.login()
    info = requests.get(
        f"{sandbox.issuer}/connect/userinfo",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30,
    ).json()
    assert info["email"] == "regnskap@tidsbro.no"


def test_the_gate_wants_a_company_key_the_token_reaches(sandbox):
    token = sandbox.login()["access_token"]

    def call(**headers: str) -> requests.Response:
        return requests.get(
            f"{sandbox.api_base}/api/biz/customers",
            headers={"Authorization": f"Bearer {token}", **headers},
            timeout=30,
        )

    missing = call()
    assert missing.status_code == 400
    assert "CompanyKey" in missing.json()["Message"]
    unknown = call(CompanyKey="4b3e9a10-0000-4000-8000-0000000000ff")
    assert unknown.status_code == 401
    assert "Unknown CompanyKey" in unknown.json()["Message"]
    other_organisation = call(CompanyKey=COMPANY_2)
    assert other_organisation.status_code == 403
    assert call(CompanyKey=COMPANY_1).status_code == 200
    no_bearer = requests.get(
        f"{sandbox.api_base}/api/biz/customers", headers={"CompanyKey": COMPANY_1}, timeout=30
    )
    assert no_bearer.status_code == 401
    assert no_bearer.json() == {"Message": "Authorization has been denied for this request"}
    # /api/init/companies needs the bearer only.
    assert sandbox.companies(token).status_code == 200
    assert sandbox.companies("not-a-token").status_code == 401
