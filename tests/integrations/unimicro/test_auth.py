"""Logging in to Unimicro through the sandbox's identity server over real HTTP: PKCE, state,
nonce and the issuer checked; the code exchanged once; refresh tokens rotated, stored
encrypted, never redeemed twice; invalid_grant in words an administrator can act on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import AuthFailed
from apps.integrations.connectors.unimicro import auth
from apps.integrations.connectors.unimicro.client import UnimicroClient
from apps.integrations.models import Connection
from tests.integrations.unimicro.conftest import (
    COMPANY_1,
    COMPANY_1_TEST,
    ORG_1,
    callback_request,
    sandbox_authorize,
)

pytestmark = pytest.mark.django_db(transaction=True)


def with_query(url: str, **changes: str) -> str:
    split = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(split.query).items()}
    query.update(changes)
    return urlunsplit(split._replace(query=urlencode(query)))


def start(sandbox) -> tuple[str, dict]:
    session: dict = {}
    url = auth.login_start(
        SimpleNamespace(session=session), purpose="wizard", redirect_uri=sandbox.callback
    )
    return url, session


def token_endpoint(sandbox) -> str:
    return auth.provider(sandbox.issuer).token_endpoint


def redeem(sandbox, refresh_token: str) -> requests.Response:
    """The token endpoint asked directly (as Unimicro would be by anyone holding the token)."""
    return requests.post(
        token_endpoint(sandbox),
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "tidsbro-demo",
            "client_secret": "tidsbro-demo-secret",
        },
        timeout=30,
    )


def stored_column(connection: Connection) -> str:
    """The state column as the database holds it (the field decrypts on every ORM read)."""
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            f"SELECT state FROM {Connection._meta.db_table} WHERE id = %s",  # noqa: S608
            [connection.pk],
        )
        return str(cursor.fetchone()[0])


def expire_access(connection: Connection) -> None:
    state = connection.state_doc
    key = connection.settings["active_key"]
    state["tokens"][key]["access_expires_at"] = (
        datetime.now(UTC) - timedelta(minutes=1)
    ).isoformat()
    connection.state_doc = state
    Connection.objects.filter(pk=connection.pk).update(state=connection.state)


# --- the authorization request ----------------------------------------------------------------


def test_the_login_url_asks_for_a_code_with_pkce_s256_state_nonce_and_a_fresh_login(
    unimicro_sandbox,
):
    url, session = start(unimicro_sandbox)
    split = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(split.query).items()}
    assert url.startswith(f"{unimicro_sandbox.issuer}/connect/authorize?")
    assert query["response_type"] == "code" and query["client_id"] == "tidsbro-demo"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["prompt"] == "login" and query["nonce"] and query["state"]
    assert query["scope"].split() == ["AppFramework", "profile", "openid", "offline_access"]
    assert query["redirect_uri"] == unimicro_sandbox.callback
    pending = session[auth.PENDING_KEY][query["state"]]
    # The verifier stays in the session; only its S256 challenge travels.
    assert pending["purpose"] == "wizard" and pending["code_verifier"] not in url


def test_a_real_login_gives_tokens_for_the_chosen_organisations_companies(unimicro_login):
    result = unimicro_login(organisation=ORG_1)
    assert result.refresh_token and result.access_token
    assert result.user_name and result.subject
    with UnimicroClient(access_token=result.access_token) as client:
        keys = {c["Key"] for c in client.companies()}
    assert keys == {COMPANY_1, COMPANY_1_TEST}


# --- the callback's checks --------------------------------------------------------------------


def test_a_tampered_state_is_refused_and_nothing_is_exchanged(unimicro_sandbox):
    url, session = start(unimicro_sandbox)
    back = sandbox_authorize(url)
    with pytest.raises(ApplicationError, match="does not belong to a login started here"):
        auth.login_finish(callback_request(with_query(back, state="forged-state"), session))
    # The real answer still works once: the forged one used up nothing.
    assert auth.login_finish(callback_request(back, session)).access_token


def test_an_answer_from_another_issuer_is_refused(unimicro_sandbox):
    url, session = start(unimicro_sandbox)
    back = sandbox_authorize(url)
    with pytest.raises(ApplicationError, match="did not come from Unimicro's login service"):
        auth.login_finish(callback_request(with_query(back, iss="https://evil.example"), session))
    # The pending login is used up: the same answer cannot be replayed afterwards.
    with pytest.raises(ApplicationError, match="does not belong"):
        auth.login_finish(callback_request(back, session))


def test_an_answer_without_iss_is_refused(unimicro_sandbox):
    url, session = start(unimicro_sandbox)
    back = sandbox_authorize(url)
    split = urlsplit(back)
    query = {k: v[-1] for k, v in parse_qs(split.query).items() if k != "iss"}
    with pytest.raises(ApplicationError, match="did not come from"):
        auth.login_finish(
            callback_request(urlunsplit(split._replace(query=urlencode(query))), session)
        )


def test_the_same_answer_is_accepted_once(unimicro_sandbox):
    url, session = start(unimicro_sandbox)
    back = sandbox_authorize(url)
    assert auth.login_finish(callback_request(back, dict(session))).access_token
    # Another copy of the session (a second tab) holds the same pending login: the code is
    # redeemed already, Unimicro refuses it.
    with pytest.raises(ApplicationError, match="did not accept the login"):
        auth.login_finish(callback_request(back, session))


def test_declined_permissions_say_so(unimicro_sandbox):
    url, session = start(unimicro_sandbox)
    back = sandbox_authorize(url, deny=True)
    assert "error=access_denied" in back
    with pytest.raises(ApplicationError, match="permissions were not accepted"):
        auth.login_finish(callback_request(back, session))


def test_a_discovery_document_naming_another_issuer_is_not_trusted(unimicro_sandbox):
    """A login service on loopback whose discovery copies the sandbox's but names another
    issuer (a look-alike): nothing from it is used."""
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    document = requests.get(
        f"{unimicro_sandbox.issuer}/.well-known/openid-configuration", timeout=30
    ).json()
    document["issuer"] = "https://login.unimicro.no"

    class LookAlike(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), LookAlike)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        look_alike = f"http://127.0.0.1:{server.server_port}/identity"
        with pytest.raises(AuthFailed, match="names another issuer"):
            auth.provider(look_alike)
    finally:
        server.shutdown()
        server.server_close()


# --- refresh ----------------------------------------------------------------------------------


def test_refresh_rotates_the_token_stores_both_encrypted_and_the_old_one_is_refused(
    unimicro_sandbox, unimicro_connection
):
    connection = unimicro_connection
    key = connection.settings["active_key"]
    before = Connection.objects.get(pk=connection.pk)
    old = before.state_doc["tokens"][key]
    ciphertext = stored_column(connection)

    entry = auth.refresh(connection, key, rejected=old["access_token"])

    stored = Connection.objects.get(pk=connection.pk).state_doc["tokens"][key]
    assert stored["refresh_token"] == entry["refresh_token"] != old["refresh_token"]
    assert stored["access_token"] == entry["access_token"] != old["access_token"]
    # Encrypted at rest: neither token appears in the column; the ciphertext changed.
    raw = stored_column(connection)
    assert entry["refresh_token"] not in raw and entry["access_token"] not in raw
    assert old["refresh_token"] not in ciphertext and raw != ciphertext
    # Unimicro refuses the old refresh token from now on.
    refused = redeem(unimicro_sandbox, old["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_the_client_renews_an_expired_access_token_before_calling(unimicro_connection):
    connection = unimicro_connection
    key = connection.settings["active_key"]
    old = connection.state_doc["tokens"][key]
    expire_access(connection)
    connection.refresh_from_db()
    with UnimicroClient(connection) as client:
        assert client.companies()
    renewed = Connection.objects.get(pk=connection.pk).state_doc["tokens"][key]
    assert renewed["refresh_token"] != old["refresh_token"]


def test_two_workers_refreshing_at_once_redeem_the_refresh_token_once(
    unimicro_sandbox, unimicro_connection
):
    key = unimicro_connection.settings["active_key"]
    expire_access(unimicro_connection)
    workers = [Connection.objects.get(pk=unimicro_connection.pk) for _ in range(2)]
    tokens: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def work(connection: Connection) -> None:
        from django.db import connection as db

        try:
            barrier.wait()
            with UnimicroClient(connection) as client:
                client.companies()
                tokens.append(client._bearer)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    # One refresh: both use the same new access token, and the stored refresh token still
    # works (a second redemption would have revoked the whole family).
    assert len(set(tokens)) == 1
    stored = Connection.objects.get(pk=unimicro_connection.pk).state_doc["tokens"][key]
    assert stored["access_token"] == tokens[0]
    assert redeem(unimicro_sandbox, stored["refresh_token"]).status_code == 200


def test_a_refused_refresh_token_is_invalid_grant_and_says_log_in_again(
    unimicro_sandbox, unimicro_connection
):
    connection = unimicro_connection
    key = connection.settings["active_key"]
    stolen = connection.state_doc["tokens"][key]["refresh_token"]
    # Someone else redeemed it (rotation makes Tidsbro's copy worthless).
    assert redeem(unimicro_sandbox, stolen).status_code == 200
    expire_access(connection)
    connection.refresh_from_db()
    with pytest.raises(AuthFailed, match="invalid_grant") as caught:
        with UnimicroClient(connection) as client:
            client.companies()
    words = connection.spec.explain(caught.value)
    assert words.startswith(
        "Log in to Unimicro again: Connections → Unimicro → Keys → Re-authorise"
    )
    assert "Traceback" not in words and stolen not in str(caught.value)


def test_a_login_without_offline_access_gets_no_refresh_token(unimicro_login, settings):
    settings.UNIMICRO_CLIENT_ID = "tidsbro-demo-no-offline"
    with pytest.raises(ApplicationError):
        # The client may not ask for offline_access: Unimicro refuses the scope.
        unimicro_login()
