"""Fixtures: the seeded Microsoft 365 sandbox over real HTTP (live_server + requests), a
sign-in through its pages and a small Graph client."""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import requests

from apps.sandbox.graph.runtime import tenant_id
from apps.sandbox.graph.seed import CLIENT_ID, CLIENT_SECRET, PASSWORD, seed

READ = "offline_access openid profile email https://graph.microsoft.com/Calendars.Read"
WRITE = "offline_access openid profile email https://graph.microsoft.com/Calendars.ReadWrite"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


class Sandbox:
    """The sandbox at a live server: its login paths, Graph and a sign-in like a browser's."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.base = f"{url}/sandbox/graph"
        self.login = f"{self.base}/login/{tenant_id()}"
        self.graph = f"{self.base}/v1.0"
        self.redirect_uri = f"{url}/sandbox/graph/test-callback"

    def authorize(
        self, *, email="kari@tidsbro.no", scope=WRITE, browser=None, state="s-1", **extra
    ):
        """Walks the sign-in and consent pages; returns (browser session, final redirect
        location, verifier)."""
        browser = browser or requests.Session()
        verifier, challenge = pkce()
        params = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            **extra,
        }
        url = f"{self.login}/oauth2/v2.0/authorize"
        page = browser.get(url, params=params, allow_redirects=False)
        if page.status_code == 200 and 'name="step" value="signin"' in page.text:
            page = browser.post(
                page.url,
                data={"step": "signin", "login": email, "password": PASSWORD},
                allow_redirects=False,
            )
        if page.status_code == 200 and 'value="consent"' in page.text:
            page = browser.post(
                page.url, data={"step": "consent", "accept": "yes"}, allow_redirects=False
            )
        assert page.status_code == 302, page.text[:500]
        return browser, page.headers["Location"], verifier

    def code(self, **kw) -> tuple[str, str]:
        _browser, location, verifier = self.authorize(**kw)
        query = parse_qs(urlparse(location).query)
        return query["code"][0], verifier

    def token(self, **form) -> requests.Response:
        data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
        return requests.post(f"{self.login}/oauth2/v2.0/token", data=data, timeout=10)

    def sign_in(self, **kw) -> dict:
        code, verifier = self.code(**kw)
        answer = self.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=self.redirect_uri,
            code_verifier=verifier,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def client(self, access_token: str, prefer: str = "") -> requests.Session:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {access_token}"
        if prefer:
            http.headers["Prefer"] = prefer
        return http


@pytest.fixture
def sandbox(live_server, transactional_db):
    seed()
    return Sandbox(live_server.url)


@pytest.fixture
def kari(sandbox) -> requests.Session:
    """Kari's Graph client (Calendars.ReadWrite)."""
    return sandbox.client(sandbox.sign_in()["access_token"])


class Receiver:
    """A subscriber's endpoint on loopback: echoes validation tokens, keeps notifications."""

    def __init__(self, *, echo: bool = True, status: int = 202) -> None:
        self.received: list[dict] = []
        self.validations: list[str] = []
        self.echo = echo
        self.status = status
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                query = parse_qs(urlparse(self.path).query)
                if "validationToken" in query:
                    token = query["validationToken"][0]
                    outer.validations.append(token)
                    reply = (token if outer.echo else "nope").encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    return
                import json

                outer.received.append({"path": unquote(self.path), "body": json.loads(body)})
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()
