"""The identity platform: discovery, sign-in and consent pages, code + PKCE, rotating refresh
tokens, AADSTS errors (over real HTTP)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlparse

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from apps.sandbox.graph.models import Token
from apps.sandbox.graph.runtime import tenant_id
from apps.sandbox.graph.seed import CLIENT_ID, PUBLIC_CLIENT_ID

from .conftest import READ, WRITE, pkce


def test_openid_configuration_looks_like_microsofts_and_points_at_the_sandbox(sandbox):
    for tenant in (tenant_id(), "common", "organizations"):
        doc = requests.get(
            f"{sandbox.base}/login/{tenant}/v2.0/.well-known/openid-configuration", timeout=10
        ).json()
        assert (
            doc["authorization_endpoint"] == f"{sandbox.base}/login/{tenant}/oauth2/v2.0/authorize"
        )
        assert doc["token_endpoint"] == f"{sandbox.base}/login/{tenant}/oauth2/v2.0/token"
        assert doc["jwks_uri"] == f"{sandbox.base}/login/{tenant}/discovery/v2.0/keys"
        assert "client_secret_post" in doc["token_endpoint_auth_methods_supported"]
        assert doc["msgraph_host"] == "graph.microsoft.com"
    named = requests.get(f"{sandbox.login}/v2.0/.well-known/openid-configuration", timeout=10)
    assert named.json()["issuer"] == f"{sandbox.base}/login/{tenant_id()}/v2.0"
    common = requests.get(
        f"{sandbox.base}/login/common/v2.0/.well-known/openid-configuration", timeout=10
    )
    assert common.json()["issuer"] == f"{sandbox.base}/login/{{tenantid}}/v2.0"
    unknown = requests.get(
        f"{sandbox.base}/login/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration",
        timeout=10,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error_description"].startswith("AADSTS90002:")


def test_sign_in_and_consent_pages_name_the_permissions_in_words(sandbox):
    browser = requests.Session()
    verifier, challenge = pkce()
    params = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": sandbox.redirect_uri,
        "scope": READ,
        "state": "abc",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = browser.get(f"{sandbox.login}/oauth2/v2.0/authorize", params=params)
    assert page.status_code == 200 and "Sign in" in page.text
    wrong = browser.post(
        page.url, data={"step": "signin", "login": "kari@tidsbro.no", "password": "x"}
    )
    assert "Your account or password is incorrect." in wrong.text
    consent = browser.post(
        page.url, data={"step": "signin", "login": "kari@tidsbro.no", "password": "tidsbro-demo"}
    )
    assert "Permissions requested" in consent.text
    for words in (
        "Read your calendars",
        "Maintain access to data you have given it access to",
        "Sign you in",
        "View your basic profile",
        "View your email address",
    ):
        assert words in consent.text
    declined = browser.post(
        page.url, data={"step": "consent", "accept": "no"}, allow_redirects=False
    )
    query = parse_qs(urlparse(declined.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["abc"]
    assert query["error_description"][0].startswith("AADSTS65004:")
    accepted = browser.post(
        page.url, data={"step": "consent", "accept": "yes"}, allow_redirects=False
    )
    location = accepted.headers["Location"]
    assert location.startswith(sandbox.redirect_uri)
    query = parse_qs(urlparse(location).query)
    assert query["state"] == ["abc"] and query["code"]
    # Signed in and consented: the next authorize goes straight back with a code.
    again = browser.get(
        f"{sandbox.login}/oauth2/v2.0/authorize", params=params, allow_redirects=False
    )
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    # ReadWrite was not consented yet: the consent page comes back.
    more = browser.get(f"{sandbox.login}/oauth2/v2.0/authorize", params={**params, "scope": WRITE})
    assert "Have full access to your calendars" in more.text


def test_authorize_requires_pkce_s256_and_a_registered_redirect_uri(sandbox):
    verifier, challenge = pkce()
    base = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": sandbox.redirect_uri,
        "scope": READ,
        "state": "x",
    }
    url = f"{sandbox.login}/oauth2/v2.0/authorize"
    for extra in ({}, {"code_challenge": verifier, "code_challenge_method": "plain"}):
        answer = requests.get(url, params={**base, **extra}, allow_redirects=False, timeout=10)
        query = parse_qs(urlparse(answer.headers["Location"]).query)
        assert query["error"] == ["invalid_request"] and query["state"] == ["x"]
    elsewhere = requests.get(
        url,
        params={
            **base,
            "redirect_uri": "https://evil.example/cb",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert elsewhere.status_code == 400 and "AADSTS50011" in elsewhere.text
    bad_scope = requests.get(
        url,
        params={
            **base,
            "scope": "https://outlook.office.com/Mail.Read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert parse_qs(urlparse(bad_scope.headers["Location"]).query)["error"] == ["invalid_scope"]


def _aad(answer: requests.Response, error: str, number: int) -> dict:
    body = answer.json()
    assert answer.status_code in (400, 401), answer.text
    assert body["error"] == error
    assert body["error_description"].startswith(f"AADSTS{number}:")
    assert body["error_codes"] == [number]
    assert body["timestamp"] and body["trace_id"] and body["correlation_id"]
    return body


def test_code_redeems_once_with_its_verifier_into_tokens_and_an_id_token(sandbox):
    code, verifier = sandbox.code(scope=READ, nonce="n-1")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": sandbox.redirect_uri}
    _aad(sandbox.token(**form, code_verifier="wrong" * 10), "invalid_grant", 501481)
    answer = sandbox.token(**form, code_verifier=verifier, client_info="1")
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert "https://graph.microsoft.com/Calendars.Read" in tokens["scope"].split()
    assert tokens["refresh_token"] and tokens["access_token"]
    info = json.loads(base64.urlsafe_b64decode(tokens["client_info"] + "=="))
    assert info["utid"] == tenant_id()
    keys = KeySet.import_key_set(
        requests.get(f"{sandbox.login}/discovery/v2.0/keys", timeout=10).json()
    )
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["aud"] == CLIENT_ID and claims["nonce"] == "n-1"
    assert claims["preferred_username"] == "kari@tidsbro.no" and claims["tid"] == tenant_id()
    assert claims["iss"] == f"{sandbox.base}/login/{tenant_id()}/v2.0"
    # Used once: the second redemption is refused.
    _aad(sandbox.token(**form, code_verifier=verifier), "invalid_grant", 54005)


def test_refresh_tokens_only_with_offline_access_and_rotated_on_every_refresh(sandbox):
    without = sandbox.sign_in(scope="openid https://graph.microsoft.com/Calendars.Read")
    assert "refresh_token" not in without
    first = sandbox.sign_in(scope=READ)["refresh_token"]
    second = sandbox.token(grant_type="refresh_token", refresh_token=first)
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != first and second["access_token"]
    _aad(sandbox.token(grant_type="refresh_token", refresh_token=first), "invalid_grant", 70000)
    third = sandbox.token(grant_type="refresh_token", refresh_token=second["refresh_token"])
    assert third.status_code == 200
    Token.objects.filter(kind=Token.Kind.REFRESH).update(revoked_at="2026-01-01T00:00:00Z")
    _aad(
        sandbox.token(grant_type="refresh_token", refresh_token=third.json()["refresh_token"]),
        "invalid_grant",
        50173,
    )


def test_client_authentication_as_msal_sends_it(sandbox):
    code, verifier = sandbox.code()
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": sandbox.redirect_uri,
        "code_verifier": verifier,
    }
    _aad(sandbox.token(**form, client_secret="wrong"), "invalid_client", 7000215)
    no_secret = requests.post(
        f"{sandbox.login}/oauth2/v2.0/token", data={**form, "client_id": CLIENT_ID}, timeout=10
    )
    _aad(no_secret, "invalid_client", 7000218)
    basic = requests.post(
        f"{sandbox.login}/oauth2/v2.0/token",
        data=form,
        auth=(CLIENT_ID, "tidsbro-demo-graph-secret"),
        timeout=10,
    )
    assert basic.status_code == 200, basic.text
    _aad(sandbox.token(grant_type="password"), "unsupported_grant_type", 70003)


def test_a_public_client_redeems_with_pkce_alone(sandbox):
    browser = requests.Session()
    verifier, challenge = pkce()
    page = browser.get(
        f"{sandbox.login}/oauth2/v2.0/authorize",
        params={
            "client_id": PUBLIC_CLIENT_ID,
            "response_type": "code",
            "redirect_uri": sandbox.redirect_uri,
            "scope": READ,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    page = browser.post(
        page.url, data={"step": "signin", "login": "lars@tidsbro.no", "password": "tidsbro-demo"}
    )
    done = browser.post(page.url, data={"step": "consent", "accept": "yes"}, allow_redirects=False)
    code = parse_qs(urlparse(done.headers["Location"]).query)["code"][0]
    answer = requests.post(
        f"{sandbox.login}/oauth2/v2.0/token",
        data={
            "client_id": PUBLIC_CLIENT_ID,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": sandbox.redirect_uri,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def test_form_post_response_mode_posts_the_code_back(sandbox):
    browser = requests.Session()
    verifier, challenge = pkce()
    page = browser.get(
        f"{sandbox.login}/oauth2/v2.0/authorize",
        params={
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": sandbox.redirect_uri,
            "scope": READ,
            "state": "fp",
            "response_mode": "form_post",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    page = browser.post(
        page.url, data={"step": "signin", "login": "kari@tidsbro.no", "password": "tidsbro-demo"}
    )
    done = browser.post(page.url, data={"step": "consent", "accept": "yes"})
    assert f'action="{sandbox.redirect_uri}"' in done.text
    assert 'name="code"' in done.text and 'value="fp"' in done.text


def test_an_expired_code_is_refused_with_aadsts70008(sandbox):
    from apps.sandbox.graph.models import Knobs

    Knobs.objects.update(code_seconds=0)
    code, verifier = sandbox.code()
    answer = sandbox.token(
        grant_type="authorization_code",
        code=code,
        redirect_uri=sandbox.redirect_uri,
        code_verifier=verifier,
    )
    _aad(answer, "invalid_grant", 70008)


def test_the_common_tenant_serves_sign_in_and_tokens_too(sandbox):
    sandbox.login = f"{sandbox.base}/login/common"
    tokens = sandbox.sign_in(scope=READ)
    assert tokens["access_token"] and tokens["refresh_token"]


def test_links_use_the_configured_public_base(sandbox, settings):
    settings.SANDBOX_GRAPH = {
        **settings.SANDBOX_GRAPH,
        "BASE_URL": "https://m365.sandbox.test/sandbox/graph",
    }
    doc = requests.get(f"{sandbox.login}/v2.0/.well-known/openid-configuration", timeout=10).json()
    assert (
        doc["token_endpoint"]
        == f"https://m365.sandbox.test/sandbox/graph/login/{tenant_id()}/oauth2/v2.0/token"
    )
    assert doc["issuer"] == f"https://m365.sandbox.test/sandbox/graph/login/{tenant_id()}/v2.0"


def test_a_narrowed_refresh_narrows_the_access_token_not_the_grant(sandbox):
    tokens = sandbox.sign_in(scope=WRITE)
    narrow = sandbox.token(
        grant_type="refresh_token",
        refresh_token=tokens["refresh_token"],
        scope="offline_access https://graph.microsoft.com/User.Read",
    )
    assert narrow.status_code == 200, narrow.text
    assert "Calendars.ReadWrite" not in narrow.json()["scope"]
    wide = sandbox.token(
        grant_type="refresh_token",
        refresh_token=narrow.json()["refresh_token"],
        scope="offline_access https://graph.microsoft.com/Calendars.ReadWrite",
    )
    assert (
        wide.status_code == 200
        and "https://graph.microsoft.com/Calendars.ReadWrite" in wide.json()["scope"]
    )
    beyond = sandbox.token(
        grant_type="refresh_token",
        refresh_token=wide.json()["refresh_token"],
        scope="https://graph.microsoft.com/Calendars.Read",
    )
    _aad(beyond, "invalid_grant", 65001)
