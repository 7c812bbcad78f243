"""Tests never leave the machine: loopback only, and no setting names a real ERP host."""

import socket

import pytest
import requests
from django.conf import settings
from pytest_socket import SocketConnectBlockedError

REAL_HOSTS = ("24sevenoffice.com", "e-conomic", "unimicro", "graph.microsoft.com")


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


@pytest.mark.filterwarnings("ignore:A test tried to use socket")
@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::10"], ids=["ipv4", "ipv6"])
def test_a_connection_beyond_loopback_is_refused(address):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with pytest.raises(SocketConnectBlockedError), socket.socket(family) as sock:
        sock.settimeout(0.5)
        sock.connect((address, 443))


def test_loopback_stays_open(live_server):
    assert requests.get(f"{live_server.url}/admin/login/", timeout=10).status_code == 200
