"""Connecting 24SevenOffice: the live checks behind the wizard, the settings screen, the command
line and log in with 24SevenOffice.

Every check talks to 24SO with a throwaway client (its session in memory only, sharing the
login's request budget) and turns the connector's errors into messages an office can act on.
What a check accepts comes back as `ConnectionDocuments` for the generic services to store.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectionDocuments,
    ConnectorError,
    RateLimited,
    Unavailable,
)

# Hidden from error reports (the traceback e-mailed to ADMINS, the DEBUG page).
SECRET_VARIABLES = ("password", "api_password", "session_id", "store", "credentials", "state")


@dataclass(frozen=True)
class ClientChoice:
    """A client (identity) a login can reach, as the wizard lists it."""

    identity_id: str
    client_id: int
    client_name: str
    user_name: str
    contact_id: int | None
    is_default: bool
    is_disabled: bool


@sensitive_variables(*SECRET_VARIABLES)
def _client(
    *, username: str, password: str, identity_id: str | None = None, session_store: Any = None
) -> Any:
    from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient
    from apps.integrations.connectors.twentyfourseven.connector import budget_key
    from apps.integrations.connectors.twentyfourseven.types import Credentials
    from apps.integrations.sync.budget import DatabaseRequestBudget

    return TwentyFourSevenClient(
        credentials=Credentials(
            username=username,
            password=password,
            identity_id=UUID(identity_id) if identity_id else None,
        ),
        session_store=session_store,
        budget=DatabaseRequestBudget(),
        budget_key=budget_key(username),
    )


def _is_blocked(exc: ConnectorError) -> bool:
    from apps.integrations.connectors.twentyfourseven.errors import FaultKind, classify_fault

    return classify_fault(exc.message) is FaultKind.IDENTITY


def plain_error(exc: ConnectorError, *, who: str) -> ApplicationError:
    """The connector's error in words an office can act on (never with the secret)."""
    if isinstance(exc, AuthFailed):
        if _is_blocked(exc):
            return ApplicationError(
                _(
                    "24SevenOffice has blocked %(who)s in this client. Ask a 24SevenOffice "
                    "administrator to unblock it, or choose another client."
                )
                % {"who": who}
            )
        return ApplicationError(
            _("24SevenOffice did not accept the username or password of %(who)s.") % {"who": who}
        )
    if isinstance(exc, RateLimited):
        until = exc.until or (timezone.now() + timedelta(seconds=exc.retry_after))
        return ApplicationError(
            _(
                "24SevenOffice is refusing requests from %(who)s for now (request limit). "
                "Try again after %(time)s."
            )
            % {"who": who, "time": formats.time_format(timezone.localtime(until), "H:i")}
        )
    if isinstance(exc, Unavailable):
        return ApplicationError(
            _("24SevenOffice cannot be reached right now. Nothing was saved; try again later.")
        )
    return ApplicationError(
        _("24SevenOffice refused the request: %(reason)s") % {"reason": exc.message}
    )


def _login_words(username: str) -> str:
    return _("the login %(username)s") % {"username": username}


def _api_words(username: str) -> str:
    return _("the integration user %(username)s") % {"username": username}


@sensitive_variables(*SECRET_VARIABLES)
def identities(*, username: str, password: str) -> list[ClientChoice]:
    """Asks 24SO which clients the login reaches (one request, no session is kept)."""
    return _identities(username=username, password=password, who=_login_words(username))


@sensitive_variables(*SECRET_VARIABLES)
def _identities(*, username: str, password: str, who: str) -> list[ClientChoice]:
    if not username or not password:
        raise ApplicationError(_("Enter the 24SevenOffice username and password."))
    try:
        with closing(_client(username=username, password=password)) as client:
            found = client.get_identities_with_credential()
    except ConnectorError as exc:
        raise plain_error(exc, who=who) from None
    choices = [
        ClientChoice(
            identity_id=str(i.id),
            client_id=i.client_id,
            client_name=i.client_name,
            user_name=i.user_name,
            contact_id=i.contact_id,
            is_default=i.is_default,
            is_disabled=i.is_disabled,
        )
        for i in found
    ]
    if not any(not c.is_disabled for c in choices):
        raise ApplicationError(
            _(
                "%(who)s has no 24SevenOffice client it may use. Ask a "
                "24SevenOffice administrator to give it access to the company's client."
            )
            % {"who": who[:1].upper() + who[1:]}
        )
    return choices


def _choose(
    choices: list[ClientChoice], *, client_name: str | None, identity_id: str | None, who: str
) -> ClientChoice:
    if identity_id:
        chosen = next((c for c in choices if c.identity_id == str(identity_id)), None)
    elif client_name:
        wanted = client_name.strip().casefold()
        chosen = next((c for c in choices if c.client_name.casefold() == wanted), None)
        if chosen is None and wanted.isdigit():
            chosen = next((c for c in choices if str(c.client_id) == wanted), None)
    else:
        raise ApplicationError(_("Choose the 24SevenOffice client to connect."))
    if chosen is None:
        raise ApplicationError(
            _("%(who)s cannot reach the client %(client)s. It can reach: %(choices)s.")
            % {
                "who": who[:1].upper() + who[1:],
                "client": client_name or identity_id,
                "choices": ", ".join(c.client_name for c in choices) or "—",
            },
            field="client_name",
        )
    if chosen.is_disabled:
        raise ApplicationError(
            _(
                "24SevenOffice has blocked %(who)s in the client %(client)s. Ask a "
                "24SevenOffice administrator to unblock it."
            )
            % {"who": who, "client": chosen.client_name}
        )
    return chosen


@sensitive_variables(*SECRET_VARIABLES)
def _check_login(*, username: str, password: str, identity_id: str, who: str) -> str:
    """Logs in to the chosen client; returns the new session id (kept encrypted)."""
    from apps.integrations.connectors.twentyfourseven.client import MemorySessionStore

    store = MemorySessionStore()
    try:
        with closing(
            _client(
                username=username, password=password, identity_id=identity_id, session_store=store
            )
        ) as client:
            client.login()
    except ConnectorError as exc:
        raise plain_error(exc, who=who) from None
    return store.get() or ""


@sensitive_variables(*SECRET_VARIABLES)
def check_client(*, username: str, password: str, identity_id: str) -> ClientChoice:
    """Checks live that the login may work in the chosen client (identities, then Login)."""
    if not identity_id:
        raise ApplicationError(
            _("Choose the 24SevenOffice client to connect."), field="identity_id"
        )
    who = _login_words(username)
    chosen = _choose(
        identities(username=username, password=password),
        client_name=None,
        identity_id=identity_id,
        who=who,
    )
    _check_login(username=username, password=password, identity_id=chosen.identity_id, who=who)
    return chosen


@sensitive_variables(*SECRET_VARIABLES)
def check_integration_user(
    *, client: ClientChoice, api_username: str, api_password: str
) -> tuple[ClientChoice, str]:
    """Checks live that the integration user reaches the same client; returns its identity
    there and a new session id (nothing is stored)."""
    api_username = (api_username or "").strip()
    if not api_username:
        raise ApplicationError(
            _("Enter the username of the integration user."), field="api_username"
        )
    if not api_password:
        raise ApplicationError(
            _("Enter the password of the integration user."), field="api_password"
        )
    api_who = _api_words(api_username)
    api_choices = _identities(username=api_username, password=api_password, who=api_who)
    # Identities are per login: find the integration user's way into the same client.
    same_client = next((c for c in api_choices if c.client_id == client.client_id), None)
    sync_identity = _choose(
        api_choices,
        client_name=client.client_name,
        identity_id=same_client.identity_id if same_client else None,
        who=api_who,
    )
    session_id = _check_login(
        username=api_username,
        password=api_password,
        identity_id=sync_identity.identity_id,
        who=api_who,
    )
    return sync_identity, session_id


def _documents(
    *,
    username: str,
    password: str,
    api_username: str,
    api_password: str,
    session_id: str,
    client: ClientChoice,
    sync_identity: ClientChoice,
) -> ConnectionDocuments:
    credentials = {"username": username, "password": password}
    if api_username:
        credentials.update(api_username=api_username, api_password=api_password)
    return ConnectionDocuments(
        credentials=credentials,
        settings={
            "identity_id": sync_identity.identity_id,
            "client_name": client.client_name,
            "client_id": str(client.client_id),
            "integration_user_external_id": (
                str(sync_identity.contact_id) if sync_identity.contact_id is not None else ""
            ),
        },
        state={"session_id": session_id} if session_id else {},
    )


@sensitive_variables(*SECRET_VARIABLES)
def connect(
    *,
    username: str,
    password: str,
    client_name: str | None = None,
    identity_id: str | None = None,
    api_username: str | None = None,
    api_password: str | None = None,
) -> ConnectionDocuments:
    """Checks the login (and the integration user) live in the chosen client; returns the
    connection's documents. Nothing is stored."""
    username = (username or "").strip()
    api_username = (api_username or "").strip()
    if api_username and not api_password:
        raise ApplicationError(
            _("Enter the password of the integration user."), field="api_password"
        )
    if api_username.casefold() == username.casefold():
        api_username, api_password = "", ""
    who = _login_words(username)
    chosen = _choose(
        identities(username=username, password=password),
        client_name=client_name,
        identity_id=identity_id,
        who=who,
    )
    sync_identity = chosen
    if api_username:
        sync_identity, session_id = check_integration_user(
            client=chosen, api_username=api_username, api_password=api_password or ""
        )
        # The office's own login must reach the client too (the wizard logs in with it).
        _check_login(username=username, password=password, identity_id=chosen.identity_id, who=who)
    else:
        session_id = _check_login(
            username=username, password=password, identity_id=chosen.identity_id, who=who
        )
    return _documents(
        username=username,
        password=password,
        api_username=api_username,
        api_password=api_password or "",
        session_id=session_id,
        client=chosen,
        sync_identity=sync_identity,
    )


def _connected_client(connection: Any) -> ClientChoice:
    return ClientChoice(
        identity_id=connection.setting("identity_id"),
        client_id=int(connection.setting("client_id") or 0),
        client_name=connection.setting("client_name"),
        user_name="",
        contact_id=None,
        is_default=False,
        is_disabled=False,
    )


@sensitive_variables(*SECRET_VARIABLES)
def replace_credentials(
    *,
    connection: Any,
    password: str | None = None,
    api_password: str | None = None,
    api_username: str | None = None,
) -> ConnectionDocuments | None:
    """Checks new passwords (or a new integration user) live; returns the documents to store,
    or None when nothing changes.

    `api_username` switches the integration user ("" = sync with the office's own login);
    the new user must reach the connected client.
    """
    credentials = dict(connection.credentials_doc)
    username = credentials.get("username", "")
    current_api = credentials.get("api_username", "")
    if api_username is not None and api_username.strip().casefold() != current_api.casefold():
        return _switch_integration_user(
            connection=connection,
            api_username=api_username.strip(),
            api_password=api_password or "",
        )
    if not password and not api_password:
        return None
    if api_password and not current_api:
        raise ApplicationError(
            _("This connection has no separate integration user."), field="api_password"
        )
    state = dict(connection.state_doc)
    identity_id = connection.setting("identity_id")
    if password:
        if current_api:
            identities(username=username, password=password)
        else:
            state["session_id"] = _check_login(
                username=username,
                password=password,
                identity_id=identity_id,
                who=_login_words(username),
            )
        credentials["password"] = password
    if api_password:
        state["session_id"] = _check_login(
            username=current_api,
            password=api_password,
            identity_id=identity_id,
            who=_api_words(current_api),
        )
        credentials["api_password"] = api_password
    return ConnectionDocuments(credentials=credentials, settings=connection.settings, state=state)


@sensitive_variables(*SECRET_VARIABLES)
def _switch_integration_user(
    *, connection: Any, api_username: str, api_password: str
) -> ConnectionDocuments:
    credentials = connection.credentials_doc
    username, password = credentials.get("username", ""), credentials.get("password", "")
    client = _connected_client(connection)
    if not api_username or api_username.casefold() == username.casefold():
        # Back to the office's own login: its stored password must still reach the client.
        who = _login_words(username)
        choices = _identities(username=username, password=password, who=who)
        same_client = next((c for c in choices if c.client_id == client.client_id), None)
        identity = _choose(
            choices,
            client_name=client.client_name,
            identity_id=same_client.identity_id if same_client else None,
            who=who,
        )
        session_id = _check_login(
            username=username, password=password, identity_id=identity.identity_id, who=who
        )
        api_username, api_password = "", ""
    else:
        identity, session_id = check_integration_user(
            client=client, api_username=api_username, api_password=api_password
        )
    documents = _documents(
        username=username,
        password=password,
        api_username=api_username,
        api_password=api_password,
        session_id=session_id,
        client=client,
        sync_identity=identity,
    )
    # The client stays the one connected (its number and name as stored).
    return ConnectionDocuments(
        credentials=documents.credentials,
        settings={
            **connection.settings,
            **documents.settings,
            "client_id": connection.setting("client_id"),
        },
        state=documents.state,
    )


def sync_user(connection: Any) -> str:
    """Who the sync logs in as: the integration user, else the office's login."""
    credentials = connection.credentials_doc
    return credentials.get("api_username") or credentials.get("username", "")


@sensitive_variables(*SECRET_VARIABLES)
def sso_identity(*, connection: Any, username: str, password: str) -> ClientChoice:
    """Checks a person's own 24SO login live against the connection's client (log in with
    24SevenOffice); returns their identity there. Nothing is stored."""
    who = _login_words(username)
    choices = _identities(username=username.strip(), password=password, who=who)
    client_id = connection.setting("client_id")
    same_client = next((c for c in choices if str(c.client_id) == client_id), None)
    if same_client is None:
        raise ApplicationError(
            _("This 24SevenOffice login has no access to %(client)s.")
            % {"client": connection.setting("client_name") or client_id}
        )
    chosen = _choose(choices, client_name=None, identity_id=same_client.identity_id, who=who)
    _check_login(
        username=username.strip(), password=password, identity_id=chosen.identity_id, who=who
    )
    return chosen
