"""Fixtures for the Unimicro sandbox's API: a live server, a bearer token and an `api` caller.

The token is minted by the sandbox's identity server (`gate.test_token`), as its own tests do.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from apps.sandbox.unimicro.identity import gate
from apps.sandbox.unimicro.identity.models import SandboxUser

COMPANY = "4b3e9a10-0000-4000-8000-000000000001"
OTHER_COMPANY = "4b3e9a10-0000-4000-8000-000000000002"  # same organisation as COMPANY
FOREIGN_COMPANY = "4b3e9a10-0000-4000-8000-000000000003"  # the other organisation


@pytest.fixture
def token() -> str:
    """An access token of the sandbox's identity server for the sandbox user, in the
    organisation of COMPANY (and OTHER_COMPANY)."""
    return gate.test_token(company_key=COMPANY)


@pytest.fixture
def subject(token) -> str:
    """The token's subject (the user's GlobalIdentity): what CreatedBy/UpdatedBy say."""
    return str(SandboxUser.objects.get(email="regnskap@tidsbro.no").guid)


class Api:
    """Requests to the sandbox's API as a client sends them (bearer + CompanyKey)."""

    def __init__(self, base: str, token: str, company_key: str | None):
        self.base = base
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        if company_key:
            self.session.headers["CompanyKey"] = company_key

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, f"{self.base}/api/biz/{path}", timeout=30, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.request("POST", path, json=body, params=params)

    def put(self, path: str, body: Any, **params: Any) -> requests.Response:
        return self.request("PUT", path, json=body, params=params)

    def delete(self, path: str) -> requests.Response:
        return self.request("DELETE", path)

    def ok(self, response: requests.Response) -> Any:
        assert response.status_code in (200, 201), (response.status_code, response.text)
        return response.json()


@pytest.fixture
def api(live_server, token) -> Api:
    return Api(f"{live_server.url}/sandbox/unimicro", token, COMPANY)


@pytest.fixture
def api_factory(live_server, token):
    def make(company_key: str | None = COMPANY, bearer: str | None = None) -> Api:
        return Api(f"{live_server.url}/sandbox/unimicro", bearer or token, company_key)

    return make
