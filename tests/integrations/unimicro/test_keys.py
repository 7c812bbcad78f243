"""The Keys box of a Unimicro connection: each key with its company and last use; rename,
re-authorise (Unimicro's login again, new tokens) and revoke (Unimicro told, tokens
forgotten; the active key revoked → "Log in to Unimicro again"). Audit-logged, no tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.integrations.connectors.base import AuthFailed
from apps.integrations.connectors.unimicro import auth, keys
from apps.integrations.connectors.unimicro.client import UnimicroClient
from apps.integrations.models import Connection
from tests.accounts.factories import admin_user, support_user
from tests.integrations.unimicro.conftest import (
    COMPANY_2,
    ORG_2,
    READER,
    TIDSBRO_HOST,
    sandbox_authorize,
)

pytestmark = pytest.mark.django_db(transaction=True)


def settings_url(connection: Connection) -> str:
    return f"{reverse('admin:integrations_connection_settings')}?connection={connection.pk}"


def local(url: str) -> str:
    split = urlsplit(url)
    return f"{split.path}?{split.query}"


def redeem(sandbox, refresh_token: str) -> requests.Response:
    return requests.post(
        auth.provider(sandbox.issuer).token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": "tidsbro-demo",
            "client_secret": "tidsbro-demo-secret",
        },
        timeout=30,
    )


@pytest.fixture
def office(client):
    client.defaults["SERVER_NAME"] = TIDSBRO_HOST
    user = admin_user()
    client.force_login(user)
    client.user = user
    return client


def key_of(connection: Connection) -> dict:
    connection.refresh_from_db()
    return next(
        k for k in connection.settings["keys"] if k["id"] == connection.settings["active_key"]
    )


def audit_texts(connection: Connection) -> list[str]:
    return list(
        LogEntry.objects.filter(object_id=str(connection.pk)).values_list(
            "change_message", flat=True
        )
    )


def test_the_keys_box_lists_each_key_with_company_user_and_last_use(office, unimicro_connection):
    html = office.get(settings_url(unimicro_connection)).content.decode()
    table = html.split('id="unimicro-keys"')[1].split("</table>")[0]
    key = key_of(unimicro_connection)
    assert 'value="Tidsbro"' in table  # the name, editable
    assert "Tidsbro Rådgivning AS" in table and key["user_name"] in table
    assert "In use" in table and "Re-authorise" in table and "Revoke" in table
    assert "unimicro-key-active" in table and "unimicro-key-broken" not in table
    [row] = keys.key_list(connection=unimicro_connection)
    assert row.active and row.has_tokens and row.last_used_at is not None
    # No token anywhere on the page.
    tokens = unimicro_connection.state_doc["tokens"][key["id"]]
    assert tokens["refresh_token"] not in html and tokens["access_token"] not in html


def test_renaming_a_key_is_stored_and_audit_logged(office, unimicro_connection):
    key = key_of(unimicro_connection)
    response = office.post(
        settings_url(unimicro_connection),
        {"action": "keys", "key": key["id"], "do": "rename", "name": "Regnskap 2026"},
    )
    assert response.status_code == 302
    assert key_of(unimicro_connection)["name"] == "Regnskap 2026"
    assert any("“Tidsbro” to “Regnskap 2026”" in t for t in audit_texts(unimicro_connection))
    response = office.post(
        settings_url(unimicro_connection),
        {"action": "keys", "key": key["id"], "do": "rename", "name": "   "},
    )
    assert "Name the key." in response.content.decode()


def test_revoking_the_active_key_tells_unimicro_and_stops_the_sync(
    office, unimicro_sandbox, unimicro_connection
):
    connection = unimicro_connection
    key = key_of(connection)
    tokens = connection.state_doc["tokens"][key["id"]]
    response = office.post(
        settings_url(connection), {"action": "keys", "key": key["id"], "do": "revoke"}
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("revoked in Unimicro" in t for t in texts)
    assert any("until someone logs in to Unimicro again" in t for t in texts)

    connection.refresh_from_db()
    assert key_of(connection)["revoked_at"]
    assert key["id"] not in connection.state_doc["tokens"]
    # Unimicro refuses the revoked refresh token.
    assert redeem(unimicro_sandbox, tokens["refresh_token"]).status_code == 400
    with pytest.raises(AuthFailed, match="invalid_grant"):
        UnimicroClient(connection)
    html = office.get(settings_url(connection)).content.decode()
    assert "Log in to Unimicro again: Connections → Unimicro → Keys → Re-authorise." in html
    table = html.split('id="unimicro-keys"')[1].split("</table>")[0]
    assert "Revoked" in table
    # Marked as not working (the error colour), not as the key in use (green).
    assert "unimicro-key-broken" in table and "unimicro-key-active" not in table
    assert any("Revoked the Unimicro key “Tidsbro”" in t for t in audit_texts(connection))
    assert not any(tokens["refresh_token"] in t for t in audit_texts(connection))


def test_reauthorising_logs_in_again_and_replaces_the_keys_tokens(
    office, unimicro_sandbox, unimicro_connection
):
    connection = unimicro_connection
    key = key_of(connection)
    keys.key_revoke(connection=connection, key_id=key["id"], actor=office.user)
    html = office.get(settings_url(connection)).content.decode()
    assert f'value="reauthorise:{connection.pk}:{key["id"]}"' in html

    response = office.post(
        reverse("integrations_oauth_start", args=["unimicro"]),
        {"purpose": f"reauthorise:{connection.pk}:{key['id']}", "next": settings_url(connection)},
    )
    assert response.url.startswith(f"{unimicro_sandbox.issuer}/connect/authorize?")
    back = sandbox_authorize(response.url)
    response = office.get(local(back))
    assert response.status_code == 302 and response.url == settings_url(connection) + "#keys"
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("has a new login to Unimicro" in t for t in texts)

    connection.refresh_from_db()
    assert key_of(connection)["revoked_at"] is None
    with UnimicroClient(connection) as client:
        assert client.companies()
    assert any("Re-authorised the Unimicro key" in t for t in audit_texts(connection))


def test_reauthorising_with_a_login_that_cannot_reach_the_company_is_refused(
    office, unimicro_sandbox, make_unimicro_connection
):
    connection = make_unimicro_connection(organisation=ORG_2, company_key=COMPANY_2)
    key = key_of(connection)
    before = connection.state_doc["tokens"][key["id"]]
    response = office.post(
        reverse("integrations_oauth_start", args=["unimicro"]),
        {"purpose": f"reauthorise:{connection.pk}:{key['id']}"},
    )
    back = sandbox_authorize(response.url, username=READER)  # only in organisation 1
    response = office.get(local(back))
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("cannot reach Tidsbro Holding AS" in t for t in texts)
    connection.refresh_from_db()
    assert connection.state_doc["tokens"][key["id"]] == before


def test_only_administrators_change_keys(client, unimicro_connection):
    client.force_login(support_user())
    key = key_of(unimicro_connection)
    response = client.post(
        settings_url(unimicro_connection), {"action": "keys", "key": key["id"], "do": "revoke"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("integrations_oauth_start", args=["unimicro"]),
        {"purpose": f"reauthorise:{unimicro_connection.pk}:{key['id']}"},
    )
    assert response.status_code == 302 and "/sandbox/" not in response.url
    assert key_of(unimicro_connection)["revoked_at"] is None


def test_after_the_active_key_is_revoked_the_health_panel_says_log_in_again(
    office, unimicro_connection
):
    from apps.integrations import services
    from apps.integrations.models import SyncRun

    connection = unimicro_connection
    keys.key_revoke(connection=connection, key_id=key_of(connection)["id"], actor=office.user)
    services.connection_sync_now(connection=connection, full=True, actor=office.user)
    failed = SyncRun.objects.filter(connection=connection, status=SyncRun.Status.FAILED)
    assert failed.exists()
    assert all("Log in to Unimicro again" in run.error_text for run in failed)
    assert all("Traceback" not in run.error_text for run in failed)
    html = office.get(settings_url(connection)).content.decode()
    health = html.split('id="health"')[1].split("</section>")[0]
    assert "Log in to Unimicro again" in health
