"""Fixtures: the seeded sandbox over real HTTP and plain zeep clients from the original WSDLs."""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest
import requests
import zeep
from django.conf import settings
from zeep.transports import Transport

from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_PASSWORD, DEMO_USERNAME, seed

WSDL_DIR = Path(settings.BASE_DIR) / "apps/integrations/connectors/twentyfourseven/wsdl"
NS = "http://24sevenOffice.com/webservices"
SERVICES = {
    "auth": ("authService.wsdl", "AuthenticateSoap", "authenticate/v001/authenticate.asmx"),
    "client": ("clientService.wsdl", "ClientServiceSoap", "Client/V001/ClientService.asmx"),
    "company": (
        "companyService.wsdl",
        "CompanyServiceSoap",
        "CRM/Company/V001/CompanyService.asmx",
    ),
    "person": ("personService.wsdl", "PersonServiceSoap", "CRM/Contact/PersonService.asmx"),
    "project": ("projectService.wsdl", "ProjectServiceSoap", "Project/V001/ProjectService.asmx"),
    "time": ("timeService.wsdl", "TimeServiceSoap", "timesheet/v001/timeservice.asmx"),
    "time2022": ("timeService-2022.wsdl", "TimeServiceSoap", "timesheet/v001/timeservice.asmx"),
    "invoice": (
        "invoiceService.wsdl",
        "InvoiceServiceSoap",
        "Economy/InvoiceOrder/V001/InvoiceService.asmx",
    ),
}


@functools.cache
def _client(key: str) -> zeep.Client:
    """One zeep.Client per original WSDL file for the whole run (loading them is slow)."""
    return zeep.Client(
        str(WSDL_DIR / SERVICES[key][0]), transport=Transport(session=requests.Session())
    )


class Sandbox:
    """Plain zeep services bound to the live sandbox, sharing one cookie jar like production."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()

    def url(self, key: str) -> str:
        return f"{self.base_url}/sandbox/24so/{SERVICES[key][2]}"

    def service(self, key: str, *, timeout: float = 10):
        # A shallow copy shares the parsed WSDL but gets this sandbox's own cookie jar.
        client = copy.copy(_client(key))
        client.transport = Transport(session=self.http, operation_timeout=timeout)
        return client.create_service(f"{{{NS}}}{SERVICES[key][1]}", self.url(key))

    def login(self, username=DEMO_USERNAME, password=DEMO_PASSWORD, app=APPLICATION_ID, **kw):
        return self.service("auth").Login(
            credential={
                "ApplicationId": str(app),
                "Username": username,
                "Password": password,
                **kw,
            }
        )

    def __getattr__(self, key: str):
        if key in SERVICES:
            return self.service(key)
        raise AttributeError(key)


@pytest.fixture
def world(transactional_db):
    return seed()


@pytest.fixture
def sandbox(live_server, world) -> Sandbox:
    return Sandbox(live_server.url)


@pytest.fixture
def logged_in(sandbox) -> Sandbox:
    assert sandbox.login()
    return sandbox


def envelope(body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
        f"<soap:Body>{body}</soap:Body></soap:Envelope>"
    ).encode()


def post(sandbox: Sandbox, key: str, data: bytes, action: str | None = None, **kw):
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = f'"{NS}/{action}"'
    return sandbox.http.post(sandbox.url(key), data=data, headers=headers, timeout=10, **kw)


def fault_text(response) -> str:
    from lxml import etree

    root = etree.fromstring(response.content)
    return root.findtext(".//faultstring")


@pytest.fixture
def knobs(world):
    from apps.sandbox.twentyfourseven.runtime import knobs_get

    return knobs_get()


@pytest.fixture
def demo_client(world):
    from apps.sandbox.twentyfourseven.models import Client

    return Client.objects.get(client_id=2400101)


@pytest.fixture
def other_client(world):
    from apps.sandbox.twentyfourseven.models import Client

    return Client.objects.get(client_id=2400102)
