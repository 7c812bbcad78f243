"""Connections for tests, built from the keyword names people know (a 24SO login)."""

from typing import Any

from apps.integrations.models import Connection


def connection_24so(**kwargs: Any) -> Connection:
    """A 24SevenOffice connection; accepts username, password, api_username, api_password,
    session_id, identity_id, client_name, client_id, integration_user_external_id and the
    connection's own fields (connected, masters, hour_transfer, sso_allowed, is_active …)."""
    kwargs.pop("system", None)
    return Connection.objects.create(system="24so", **kwargs)
