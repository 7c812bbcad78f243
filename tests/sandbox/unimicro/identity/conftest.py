"""The Unimicro sandbox's identity server over real HTTP (live_server + requests): a browser
stand-in that fills the login → organisation → consent pages by their field names, PKCE
helpers and a server client's certificate made with `cryptography`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from html import unescape
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from joserfc import jwt
from joserfc.jwk import RSAKey

USER = "regnskap@tidsbro.no"
READER = "les@tidsbro.no"
PASSWORD = "tidsbro-demo"
ORG_1 = "Tidsbro Rådgivning AS"
ORG_2 = "Tidsbro Holding AS"
COMPANY_1 = "4b3e9a10-0000-4000-8000-000000000001"
COMPANY_1_TEST = "4b3e9a10-0000-4000-8000-000000000002"
COMPANY_2 = "4b3e9a10-0000-4000-8000-000000000003"
CLIENT = "tidsbro-demo"
NO_OFFLINE = "tidsbro-demo-no-offline"
SERVER = "tidsbro-demo-server"
SECRET = "tidsbro-demo-secret"  # noqa: S105 - the sandbox's published demo secret
SCOPES = "AppFramework profile openid offline_access"
REDIRECT = "http://127.0.0.1:8123/integrations/oauth/unimicro/callback/"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    return verifier, challenge.decode()


@dataclass
class Page:
    response: requests.Response

    @property
    def text(self) -> str:
        return self.response.text

    @property
    def location(self) -> str:
        return self.response.headers.get("Location", "")

    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.location).query).items()}


class Browser:
    """A person at the sandbox's login pages (cookies kept; forms posted as a browser does)."""

    def __init__(self, issuer: str):
        self.issuer = issuer
        self.http = requests.Session()
        self.http.trust_env = False
        self.last: requests.Response | None = None

    def open(self, **params: str) -> Page:
        url = f"{self.issuer}/connect/authorize?{urlencode(params)}"
        self.last = self.http.get(url, allow_redirects=False, timeout=30)
        return Page(self.last)

    def submit(self, **fields: str) -> Page:
        assert self.last is not None
        html = self.last.text
        action = unescape(re.search(r'<form method="post" action="([^"]*)"', html).group(1))
        data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        data.update(fields)
        self.last = self.http.post(
            urljoin(self.last.url, action), data=data, allow_redirects=False, timeout=30
        )
        return Page(self.last)

    def sign_in(
        self,
        *,
        email: str = USER,
        password: str = PASSWORD,
        organisation: str | None = ORG_1,
        accept: bool = True,
        **params: str,
    ) -> Page:
        """The whole walk; returns the redirect back to the client."""
        page = self.open(**params)
        if 'name="password"' in page.text:
            page = self.submit(email=email, password=password, login="1")
        if 'name="organisation" value' in page.text and 'type="radio"' in page.text:
            guid = organisation_guid(page.text, organisation)
            page = self.submit(organisation=guid, next="1")
        if 'name="decision"' in page.text:
            page = self.submit(decision="accept" if accept else "cancel")
        return page


def organisation_guid(html: str, name: str | None) -> str:
    for guid, label in re.findall(r'name="organisation" value="([^"]+)"[^>]*>\s*([^<]+)<', html):
        if name and name in label:
            return guid
    raise AssertionError(f"no organisation {name!r} on the page")


@dataclass
class Sandbox:
    url: str
    issuer: str
    api_base: str

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/connect/token"

    def browser(self) -> Browser:
        return Browser(self.issuer)

    def authorize_params(
        self,
        *,
        client_id: str = CLIENT,
        scope: str = SCOPES,
        challenge: str,
        state: str = "st-1",
        **extra: str,
    ) -> dict[str, str]:
        return {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "nonce": secrets.token_urlsafe(8),
            **extra,
        }

    def token(self, **form: str) -> requests.Response:
        return requests.post(self.token_endpoint, data=form, timeout=30)

    def exchange(
        self, code: str, verifier: str | None, *, client_id: str = CLIENT
    ) -> requests.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "client_secret": SECRET,
        }
        if verifier is not None:
            form["code_verifier"] = verifier
        return self.token(**form)

    def refresh(self, refresh_token: str, *, client_id: str = CLIENT) -> requests.Response:
        return self.token(
            grant_type="refresh_token",
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=SECRET,
        )

    def login(
        self,
        *,
        client_id: str = CLIENT,
        scope: str = SCOPES,
        email: str = USER,
        organisation: str = ORG_1,
    ) -> dict:
        """A full login and code exchange; the token response."""
        verifier, challenge = pkce()
        page = self.browser().sign_in(
            email=email,
            organisation=organisation,
            **self.authorize_params(client_id=client_id, scope=scope, challenge=challenge),
        )
        assert "code" in page.query(), (page.response.status_code, page.location, page.text[-800:])
        code = page.query()["code"]
        response = self.exchange(code, verifier, client_id=client_id)
        assert response.status_code == 200, response.text
        return response.json()

    def companies(self, access_token: str) -> requests.Response:
        return requests.get(
            f"{self.api_base}/api/init/companies",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=30,
        )


@pytest.fixture
def sandbox(live_server) -> Sandbox:
    return Sandbox(
        url=live_server.url,
        issuer=f"{live_server.url}/sandbox/unimicro/identity",
        api_base=f"{live_server.url}/sandbox/unimicro",
    )


@dataclass
class ServerKey:
    key: RSAKey
    certificate_pem: str

    def assertion(
        self,
        *,
        aud: str,
        lifetime: int = 60,
        jti: str | None = None,
        client_id: str = SERVER,
        iat: int | None = None,
    ) -> str:
        now = int(time.time()) if iat is None else iat
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": jti or str(uuid.uuid4()),
        }
        return jwt.encode({"alg": "RS256"}, claims, self.key, algorithms=["RS256"])


@pytest.fixture
def server_key(db) -> ServerKey:
    """A key pair and self-signed certificate, registered on the server client (as an
    administrator pastes the PEM in the sandbox's admin)."""
    from apps.sandbox.unimicro.identity.models import Client
    from apps.sandbox.unimicro.identity.seed import ensure_seeded

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tidsbro-demo-server")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(private, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    ensure_seeded()
    Client.objects.filter(client_id=SERVER).update(certificate_pem=pem)
    key = RSAKey.import_key(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ServerKey(key=key, certificate_pem=pem)
