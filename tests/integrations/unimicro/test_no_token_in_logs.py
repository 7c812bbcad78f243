"""No token reaches a log: a real login (authorization code exchanged for tokens) and a
refresh against the sandbox, with every logger of the process captured at DEBUG — Tidsbro's
client, requests, Django's server and the sandbox's authlib server (which logs the
tokens it issues at DEBUG unless LOGGING quiets it)."""

from __future__ import annotations

import logging

import pytest

from apps.integrations.connectors.unimicro import auth
from apps.integrations.models import Connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_login_and_a_refresh_with_debug_logging_leave_no_token_in_the_log(
    make_unimicro_connection, caplog
):
    caplog.set_level(logging.DEBUG)  # the root logger and everything that propagates to it

    connection = make_unimicro_connection()
    key = connection.settings["active_key"]
    first = dict(auth.key_tokens(connection, key))
    renewed = auth.refresh(connection, key, rejected=first["access_token"])

    stored = auth.key_tokens(Connection.objects.get(pk=connection.pk), key)
    assert stored["access_token"] == renewed["access_token"] != first["access_token"]
    assert stored["refresh_token"] != first["refresh_token"]  # rotated
    tokens = {
        first["access_token"],
        first["refresh_token"],
        renewed["access_token"],
        renewed["refresh_token"],
    }
    logged = caplog.text + "\n".join(str(r.args) for r in caplog.records)
    assert "renewed the access token" in logged  # the log was captured meanwhile
    assert [t for t in tokens if t in logged] == []
    assert "eyJ" not in logged  # no JWT of any kind (access, id token, client assertion)


def test_authlib_is_quiet_below_warning_whatever_the_root_level(caplog):
    caplog.set_level(logging.DEBUG)
    for name in (
        "authlib.oauth2.rfc6749.grants.authorization_code",
        "authlib.oauth2.rfc6749.grants.refresh_token",
        "authlib.oauth2.rfc6749.grants.client_credentials",
        "authlib.integrations.requests_client",
    ):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
