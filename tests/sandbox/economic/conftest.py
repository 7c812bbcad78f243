"""Fixtures: the seeded e-conomic sandbox over real HTTP with plain ``requests``."""

from __future__ import annotations

import pytest
import requests

from apps.sandbox.economic.seed import AGREEMENT_GRANT_TOKEN, APP_SECRET_TOKEN, seed

TOKENS = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": AGREEMENT_GRANT_TOKEN}
DEMO = {"X-AppSecretToken": "demo", "X-AgreementGrantToken": "demo"}


class Api:
    """``requests`` against the live sandbox with the fixed tokens (or others given per call)."""

    def __init__(self, base_url: str) -> None:
        self.root = base_url
        self.base = f"{base_url}/sandbox/economic"
        self.http = requests.Session()

    def url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base}/{path.lstrip('/')}"

    def request(self, method: str, path: str, *, headers=None, **kw) -> requests.Response:
        sent = dict(TOKENS if headers is None else headers)
        if "json" in kw:
            sent.setdefault("Content-Type", "application/json")
        return self.http.request(method, self.url(path), headers=sent, timeout=10, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def econ_world(transactional_db):
    return seed()


@pytest.fixture
def econ_office(transactional_db):
    return seed(demo_office=True)


@pytest.fixture
def econ(live_server, econ_world) -> Api:
    return Api(live_server.url)


@pytest.fixture
def econ_knobs(econ_world):
    from apps.sandbox.economic.runtime import knobs_get

    return knobs_get()


def new_customer(**extra) -> dict:
    """The smallest valid POST body (the five required properties)."""
    return {
        "name": "Nyhavn Rådgivning ApS",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        **extra,
    }
