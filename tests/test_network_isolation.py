"""Tests never leave the machine: loopback only, and no setting names a real ERP host."""

import socket
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from pytest_socket import SocketConnectBlockedError

# The systems' real host names (not their bare names: module paths such as
# "apps.sandbox.unimicro" and sandbox paths such as "/sandbox/unimicro" are local).
REAL_HOSTS = (
    "24sevenoffice.com",
    "e-conomic",
    "unimicro.no",  # login., app., test-login., test. …
    "unieconomy.no",  # Uni Economy, the same platform
    "softrig.com",  # SoftRig, the same platform's test hosts
    "dnbregnskap",  # DNB Regnskap, the same platform
    "microsoft.com",  # graph.microsoft.com, learn.microsoft.com …
    "microsoftonline.com",  # login.microsoftonline.com
)
# Every setting naming where Tidsbro reaches an outside system (an ERP's API or login).
ERP_BASE_URLS = (
    "TWENTYFOURSEVEN_API_BASE",
    "TWENTYFOURSEVEN_WEBSERVICES_BASE",
    "ECONOMIC_API_BASE",
    "ECONOMIC_GRANT_URL",
    "UNIMICRO_ISSUER",
    "UNIMICRO_API_BASE",
)


def _values(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _values(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _values(item)
    else:
        yield value


def test_no_test_setting_holds_a_real_erp_host():
    found = {
        name: value
        for name in dir(settings)
        if name.isupper()
        for value in _values(getattr(settings, name))
        if isinstance(value, str) and any(host in value.lower() for host in REAL_HOSTS)
    }

    assert found == {}


def test_every_erp_base_url_points_at_a_loopback_sandbox():
    for name in ("TWENTYFOURSEVEN_API_BASE", "TWENTYFOURSEVEN_WEBSERVICES_BASE"):
        assert getattr(settings, name).startswith("http://127.0.0.1:"), name
        assert getattr(settings, name).endswith("/sandbox/24so"), name
    assert settings.ECONOMIC_API_BASE.endswith("/sandbox/economic")
    assert settings.ECONOMIC_GRANT_URL.startswith(settings.ECONOMIC_API_BASE + "/")
    assert settings.UNIMICRO_API_BASE.endswith("/sandbox/unimicro")
    assert settings.UNIMICRO_ISSUER == settings.UNIMICRO_API_BASE + "/identity"
    for name in ERP_BASE_URLS:
        assert getattr(settings, name).startswith("http://127.0.0.1:"), name


@pytest.mark.parametrize("name", ERP_BASE_URLS)
def test_a_test_that_forgets_its_live_sandbox_is_refused_at_once(name):
    """Without a live_server the base URLs reach a loopback port nothing listens on."""
    address = urlsplit(getattr(settings, name))
    with pytest.raises(ConnectionRefusedError), socket.socket() as sock:
        sock.settimeout(2)
        sock.connect((address.hostname, address.port))


def test_the_sandboxes_links_stay_on_loopback():
    """Links the sandboxes write into their replies (Microsoft 365: event links and
    notification URLs) are served by the test's own server unless a loopback name is set."""
    base = settings.SANDBOX_GRAPH.get("BASE_URL") or ""
    assert base == "" or urlsplit(base).hostname in ("127.0.0.1", "localhost", "::1"), base


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::10"], ids=["ipv4", "ipv6"])
def test_a_connection_beyond_loopback_is_refused(address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with pytest.raises(SocketConnectBlockedError), socket.socket(family) as sock:
        sock.settimeout(0.5)
        sock.connect((address, 443))


def test_loopback_stays_open(live_server):
    assert requests.get(f"{live_server.url}/admin/login/", timeout=10).status_code == 200
