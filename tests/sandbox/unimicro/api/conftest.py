"""Fixtures for the Unimicro sandbox's API: a live server, a bearer token and an `api` caller.

The token comes from the sandbox's identity server (helper A's gate); while that is not
installed, a stand-in gate with the contract's interface lets the API core be tested.
"""

from __future__ import annotations

import importlib
import sys
import types
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.http import JsonResponse

COMPANY = "4b3e9a10-0000-4000-8000-000000000001"
OTHER_COMPANY = "4b3e9a10-0000-4000-8000-000000000002"  # same organisation as COMPANY
FOREIGN_COMPANY = "4b3e9a10-0000-4000-8000-000000000003"  # the other organisation
SUBJECT = "6f1c2d3e-0000-4000-8000-00000000abcd"
STAND_IN_TOKEN = "stand-in-access-token-for-the-api-tests"  # noqa: S105 - not a secret


def _real_gate() -> Any:
    try:
        return importlib.import_module("apps.sandbox.unimicro.identity.gate")
    except ImportError:
        return None


@dataclass
class _Caller:
    subject: str
    client_id: str
    company_key: str | None
    company_name: str
    user_name: str
    scopes: frozenset


def _stand_in_authenticate(request, *, require_company: bool):
    header = request.headers.get("Authorization", "")
    if header != f"Bearer {STAND_IN_TOKEN}":
        return JsonResponse(
            {"Message": "Authorization has been denied for this request"}, status=401
        )
    key = request.headers.get("CompanyKey")
    if require_company and not key:
        return JsonResponse({"Message": "The CompanyKey header is required"}, status=400)
    if require_company and key == FOREIGN_COMPANY:
        return JsonResponse({"Message": "No access to the company"}, status=403)
    if require_company and key not in (COMPANY, OTHER_COMPANY):
        return JsonResponse({"Message": "Unknown company"}, status=401)
    return _Caller(SUBJECT, "tidsbro-demo", key, "Tidsbro", "regnskap@tidsbro.no", frozenset())


@pytest.fixture
def subject(token) -> str:
    """The token's subject (the user's GlobalIdentity), what CreatedBy/UpdatedBy say."""
    if _real_gate() is None or not hasattr(_real_gate(), "test_token"):
        return SUBJECT
    from apps.sandbox.unimicro.identity.models import SandboxUser

    return str(SandboxUser.objects.get(email="regnskap@tidsbro.no").guid)


@pytest.fixture
def token(monkeypatch) -> str:
    """A bearer token the API accepts for the sandbox user in COMPANY."""
    gate = _real_gate()
    if gate is not None and hasattr(gate, "test_token"):
        return gate.test_token(company_key=COMPANY)
    stand_in = types.ModuleType("apps.sandbox.unimicro.identity.gate")
    stand_in.authenticate = _stand_in_authenticate
    stand_in.Caller = _Caller
    monkeypatch.setitem(sys.modules, "apps.sandbox.unimicro.identity.gate", stand_in)
    import apps.sandbox.unimicro.identity as identity

    monkeypatch.setattr(identity, "gate", stand_in, raising=False)
    return STAND_IN_TOKEN


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
