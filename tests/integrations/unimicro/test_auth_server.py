"""Unattended server access: client credentials with a client assertion signed by the key of
a certificate configured by environment (PKCS#12 with a password, or PEM), no refresh token,
a new token when the last one expires."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from apps.integrations.connectors.base import AuthFailed
from apps.integrations.connectors.unimicro import auth
from apps.integrations.connectors.unimicro.client import UnimicroClient
from apps.integrations.models import Connection
from tests.integrations.unimicro.conftest import COMPANY_1

pytestmark = pytest.mark.django_db(transaction=True)
SERVER_CLIENT = "tidsbro-demo-server"


def certificate() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tidsbro test server")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert


def register(cert: x509.Certificate) -> None:
    """The certificate's public part on the sandbox's server client (as its admin does)."""
    from apps.sandbox.unimicro.identity import models as identity

    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    client = identity.Client.objects.get(client_id=SERVER_CLIENT)
    client.certificate_pem = pem
    client.save()


@pytest.fixture
def server_access(unimicro_sandbox, settings, tmp_path):
    key, cert = certificate()
    register(cert)
    path = tmp_path / "tidsbro.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"tidsbro",
            key,
            cert,
            None,
            serialization.BestAvailableEncryption(b"p12-password"),
        )
    )
    settings.UNIMICRO_SERVER_CLIENT_ID = SERVER_CLIENT
    settings.UNIMICRO_SERVER_CERTIFICATE = str(path)
    settings.UNIMICRO_SERVER_CERTIFICATE_PASSWORD = "p12-password"  # noqa: S105
    return key


def test_server_access_gets_a_token_without_a_refresh_token(server_access):
    token = auth.server_token()
    assert token["access_token"] and not token.get("refresh_token")
    with UnimicroClient(access_token=token["access_token"]) as client:
        assert COMPANY_1 in {c["Key"] for c in client.companies()}


def test_a_pem_private_key_works_too(server_access, settings):
    settings.UNIMICRO_SERVER_CERTIFICATE = server_access.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.UNIMICRO_SERVER_CERTIFICATE_PASSWORD = ""
    assert auth.server_token()["access_token"]


def test_a_key_the_sandbox_does_not_know_is_refused(server_access, settings, tmp_path):
    other, _cert = certificate()
    settings.UNIMICRO_SERVER_CERTIFICATE = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    settings.UNIMICRO_SERVER_CERTIFICATE_PASSWORD = ""
    with pytest.raises(AuthFailed, match="refused Tidsbro's server access"):
        auth.server_token()


def test_a_wrong_certificate_password_is_said_plainly(server_access, settings):
    settings.UNIMICRO_SERVER_CERTIFICATE_PASSWORD = "wrong"  # noqa: S105
    with pytest.raises(AuthFailed, match="password is not valid"):
        auth.server_token()


def test_a_server_connection_gets_a_new_token_when_the_last_expires(server_access, admin_client):
    from apps.integrations import services
    from apps.integrations.connectors.unimicro import onboarding
    from tests.integrations.unimicro.conftest import DictWizard

    entry = auth.server_token_entry()
    companies = onboarding.list_companies(entry["access_token"])
    company = next(c for c in companies if c["key"] == COMPANY_1)
    wizard = DictWizard(
        system="unimicro",
        mode="api",
        auth="server",
        login={"user_name": "Tidsbro server access"},
        access_expires_at=entry["access_expires_at"],
        companies=companies,
        company_key=company["key"],
        company_name=company["name"],
        organisation_name=company["organisation_name"],
        key_name="Server",
    )
    wizard.save_secret(access_token=entry["access_token"])
    documents = onboarding.wizard_documents(wizard)
    connection = services.connection_create(
        system="unimicro",
        credentials=documents.credentials,
        settings=documents.settings,
        state=documents.state,
        connected=["customer"],
    )
    assert connection.credentials_doc == {"server": True}
    state = connection.state_doc
    state["tokens"][auth.SERVER_KEY_ID]["access_expires_at"] = "2000-01-01T00:00:00+00:00"
    connection.state_doc = state
    Connection.objects.filter(pk=connection.pk).update(state=connection.state)
    connection.refresh_from_db()
    with UnimicroClient(connection) as client:
        assert list(client.list("customers", top=1)) is not None
    renewed = Connection.objects.get(pk=connection.pk).state_doc["tokens"][auth.SERVER_KEY_ID]
    assert renewed["access_token"] != entry["access_token"]
    assert "refresh_token" not in renewed


def test_the_wizard_offers_and_uses_tidsbros_server_access(server_access, client):
    from django.urls import reverse

    from tests.accounts.factories import admin_user

    def step(name: str) -> str:
        return reverse("admin:integrations_connection_connect_step", args=[name])

    client.force_login(admin_user())
    client.post(reverse("admin:integrations_connection_connect"), {"system": "unimicro"})
    client.post(step("mode"), {"mode": "api"})
    assert 'value="server"' in client.get(step("login")).content.decode()
    # No trip to Unimicro's login page: the certificate signs in.
    response = client.post(step("login"), {"auth": "server"})
    assert response.status_code == 302 and response.url == step("company")
    assert COMPANY_1 in client.get(step("company")).content.decode()
    client.post(step("company"), {"company_key": COMPANY_1})
    client.post(step("key"), {"name": "Server"})
    client.post(
        reverse("admin:integrations_connection_connect_objects"), {"connected": ["customer"]}
    )
    connection = Connection.objects.get(system="unimicro")
    assert connection.credentials_doc == {"server": True}
    assert connection.settings["auth"] == "server"
    assert connection.settings["active_key"] == auth.SERVER_KEY_ID
    assert "refresh_token" not in connection.state_doc["tokens"][auth.SERVER_KEY_ID]
