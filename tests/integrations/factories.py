"""Connections for tests, built from the keyword names people know (a 24SO login)."""

from typing import Any

from apps.integrations.models import Connection

# Today's 24SevenOffice keyword names and the connection document each lands in.
CREDENTIALS = ("username", "password", "api_username", "api_password")
STATE = ("session_id",)
SETTINGS = ("identity_id", "client_name", "client_id", "integration_user_external_id")


def connection_24so(**kwargs: Any) -> Connection:
    """A 24SevenOffice connection, written directly (no live check); accepts username,
    password, api_username, api_password, session_id, identity_id, client_name, client_id,
    integration_user_external_id and the connection's own fields (connected, masters,
    hour_transfer, sso_allowed, is_active …)."""
    kwargs.pop("system", None)
    credentials = {k: kwargs.pop(k) for k in CREDENTIALS if k in kwargs}
    state = {k: kwargs.pop(k) for k in STATE if k in kwargs}
    settings = {k: kwargs.pop(k) for k in SETTINGS if k in kwargs}
    connection = Connection(system="24so", **kwargs)
    connection.credentials_doc = {k: v for k, v in credentials.items() if v}
    connection.state_doc = {k: v for k, v in state.items() if v}
    connection.settings = {**settings, **(kwargs.get("settings") or {})}
    connection.save()
    return connection
