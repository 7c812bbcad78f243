"""The sign-in's admin: superusers see users, organisations, companies, clients and refresh
tokens (never a token, only a hash prefix) and can expire/revoke tokens; staff cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.sandbox.unimicro.identity.models import Client, RefreshToken, SandboxUser, token_hash
from apps.sandbox.unimicro.identity.seed import ensure_seeded
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["sandboxuser", "organisation", "company", "client", "refreshtoken"]


def _url(model: str, action: str = "changelist") -> str:
    return reverse(f"admin:sandbox_unimicro_identity_{model}_{action}")


@pytest.fixture
def superuser(client):
    user = UserFactory(is_superuser=True)
    client.force_login(user)
    return user


def _refresh_token() -> RefreshToken:
    ensure_seeded()
    user = SandboxUser.objects.get(email="regnskap@tidsbro.no")
    return RefreshToken.objects.create(
        token_hash=token_hash("the-secret-refresh-token"),
        client=Client.objects.get(client_id="tidsbro-demo"),
        user=user,
        organisation=user.organisations.first(),
        scope="AppFramework offline_access",
    )


def test_superuser_sees_every_list_and_a_hash_prefix_never_the_token(client, superuser):
    row = _refresh_token()
    for model in PAGES:
        response = client.get(_url(model))
        assert response.status_code == 200, model
    page = client.get(_url("refreshtoken")).content.decode()
    assert row.token_hash[:10] in page
    assert row.token_hash not in page
    assert "the-secret-refresh-token" not in page
    assert "regnskap@tidsbro.no" in client.get(_url("sandboxuser")).content.decode()


def test_staff_without_superuser_sees_nothing(client):
    client.force_login(UserFactory(is_superuser=False))
    for model in PAGES:
        assert client.get(_url(model)).status_code == 403, model


def test_client_actions_expire_access_tokens_and_revoke_refresh_tokens(client, superuser):
    row = _refresh_token()
    demo = Client.objects.get(client_id="tidsbro-demo")
    response = client.post(
        _url("client"),
        {"action": "expire_access_tokens", "_selected_action": [demo.pk]},
        follow=True,
    )
    assert response.status_code == 200
    demo.refresh_from_db()
    assert demo.not_before is not None
    client.post(_url("client"), {"action": "revoke_refresh_tokens", "_selected_action": [demo.pk]})
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_a_certificate_pasted_on_the_server_client_is_kept(client, superuser, server_key):
    server = Client.objects.get(client_id="tidsbro-demo-server")
    assert "BEGIN CERTIFICATE" in server.certificate_pem
    response = client.get(
        reverse("admin:sandbox_unimicro_identity_client_change", args=[server.pk])
    )
    assert response.status_code == 200
    assert "certificate_pem" in response.content.decode()
