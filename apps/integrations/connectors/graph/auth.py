"""Signing in with Microsoft (MSAL) and keeping a person's access token fresh.

- `login_start` / `login_finish`: the authorization code flow with PKCE, state and nonce
  (`initiate_auth_code_flow` → `acquire_token_by_auth_code_flow`); MSAL's flow dict waits in
  the person's session between the two.
- `TokenKeeper`: the access token for Graph calls. It is used until shortly before it expires
  (an unchanged round costs no token request); a renewal runs under a row lock on the
  `CalendarAccount` (another worker may have renewed it a moment ago) and the new refresh
  token replaces the stored one at once (Microsoft rotates them).

The token document lives in `CalendarAccount.state` (encrypted): `refresh_token`,
`access_token`, `access_expires_at` (ISO, UTC); other keys (the subscription's
`client_state`) belong to the calendars engine and are kept. Tokens, the client secret and
the codes never reach a log line or an exception message.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import AuthFailed, ConnectorError, Unavailable
from apps.integrations.connectors.graph import READ_SCOPES, WRITE_SCOPES
from apps.integrations.connectors.graph.transport import GraphSession, browser_link, route

log = logging.getLogger(__name__)
# MSAL logs requests and answers at DEBUG/INFO; tokens and codes must not reach the logs
# whatever the project's logging says.
_msal_log = logging.getLogger("msal")
if _msal_log.level < logging.WARNING:
    _msal_log.setLevel(logging.WARNING)

LABEL = "Microsoft sign-in"
GRAPH_RESOURCE = "https://graph.microsoft.com/"
SESSION_KEY = "graph_calendar_flow"
# A stored access token is used while it lives at least this much longer.
MARGIN = timedelta(seconds=60)
# The identity platform's answers that mean: the person must sign in again.
RECONNECT_ERRORS = frozenset(
    {"invalid_grant", "interaction_required", "consent_required", "login_required"}
)
# Without row locks (SQLite): how long a refused refresh token waits for the other worker's
# new one to be saved.
RACE_PAUSES = (0.0, 0.3, 1.0)
UNAVAILABLE_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
_AADSTS = re.compile(r"AADSTS\d+")


def scopes(*, write: bool) -> list[str]:
    """Least privilege: read, or read and write (MSAL adds openid, profile, offline_access)."""
    return [GRAPH_RESOURCE + s for s in (WRITE_SCOPES if write else READ_SCOPES)]


def authority(tenant: str) -> str:
    return f"{settings.GRAPH_LOGIN_BASE.rstrip('/')}/{tenant or 'organizations'}"


# MSAL reads the tenant's OpenID configuration each time an app object is made (one per
# renewal): the document seldom changes, so a process keeps each answer for an hour. Only that
# GET is kept (MSAL's own http_cache would also hold back token POSTs it saw fail).
DISCOVERY_KEPT_SECONDS = 3600.0
_discovered: dict[str, tuple[float, Any]] = {}
_discovered_lock = threading.Lock()


class _KeepsDiscovery:
    """MSAL's http client: `session`, with the tenant's discovery answer kept a while (by
    the address it is fetched from, so a re-routed sandbox is asked again)."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def get(self, url: str, *args: Any, **kwargs: Any) -> Any:
        if (
            not str(url).endswith("/.well-known/openid-configuration")
            or args
            or kwargs.get("params")
        ):
            return self.session.get(url, *args, **kwargs)
        key = route(str(url))
        now = time.monotonic()
        with _discovered_lock:
            kept = _discovered.get(key)
        if kept is not None and now - kept[0] < DISCOVERY_KEPT_SECONDS:
            return kept[1]
        answer = self.session.get(url, **kwargs)
        if 200 <= answer.status_code < 300:
            answer.content  # noqa: B018 - read now: the answer is handed out again later
            with _discovered_lock:
                _discovered[key] = (now, answer)
        return answer

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return self.session.post(*args, **kwargs)

    def close(self) -> None:
        self.session.close()


def forget_discovery() -> None:
    """Drops the kept discovery answers (the next renewal asks the identity platform)."""
    with _discovered_lock:
        _discovered.clear()


def msal_app(tenant: str, session: Any | None = None) -> Any:
    """MSAL's confidential client for `tenant` on our session (discovery over the network
    unless kept from a recent one: a failure is Unavailable)."""
    import msal

    try:
        return msal.ConfidentialClientApplication(
            settings.GRAPH_CLIENT_ID,
            client_credential=settings.GRAPH_CLIENT_SECRET,
            authority=authority(tenant),
            http_client=_KeepsDiscovery(session or GraphSession()),
            instance_discovery=False,
        )
    except ConnectorError:
        raise
    except Exception as exc:  # discovery failed: network, 5xx, unreadable answer
        log.warning("Microsoft sign-in discovery failed: %s", type(exc).__name__)
        raise Unavailable(
            f"{LABEL} could not be reached ({type(exc).__name__})", operation="discovery"
        ) from None


def _code(answer: Mapping[str, Any]) -> str:
    codes = answer.get("error_codes") or []
    if codes and isinstance(codes, list):
        return f"AADSTS{codes[0]}"
    found = _AADSTS.search(str(answer.get("error_description") or ""))
    return found.group(0) if found else ""


def answer_error(answer: Mapping[str, Any], *, operation: str) -> ConnectorError:
    """The connector error for an identity platform error answer (no token text in it)."""
    error = str(answer.get("error") or "error")[:60]
    code = _code(answer)
    detail = f"{error} {code}".strip()
    if error in RECONNECT_ERRORS:
        return AuthFailed(
            f"Microsoft no longer accepts the stored sign-in ({detail}); "
            "connect the calendar again",
            operation=operation,
        )
    if error in UNAVAILABLE_ERRORS:
        return Unavailable(f"{LABEL} is unavailable ({detail})", operation=operation)
    if error in ("invalid_client", "unauthorized_client"):
        return AuthFailed(
            f"Microsoft refused Tidsbro's app registration ({detail})", operation=operation
        )
    return Unavailable(f"{LABEL} refused the request ({detail})", operation=operation)


def _call(operation: str, fn: Any, *args: Any, **kwargs: Any) -> dict:
    try:
        answer = fn(*args, **kwargs)
    except ConnectorError:
        raise
    except Exception as exc:  # timeouts, resets, 5xx without JSON, MSAL's own checks
        log.warning("Microsoft sign-in %s failed: %s", operation, type(exc).__name__)
        raise Unavailable(
            f"{LABEL} did not answer ({type(exc).__name__})", operation=operation
        ) from None
    if not isinstance(answer, dict):
        raise Unavailable(f"{LABEL} sent an unreadable answer", operation=operation)
    if "error" in answer:
        raise answer_error(answer, operation=operation)
    return answer


def token_doc(answer: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """The secret part of a token answer, as kept in the account's state."""
    now = now or datetime.now(UTC)
    try:
        lifetime = int(answer.get("expires_in") or 0)
    except (TypeError, ValueError):
        lifetime = 0
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise Unavailable(f"{LABEL} sent no access token", operation="token")
    doc: dict[str, Any] = {
        "access_token": access,
        "access_expires_at": (now + timedelta(seconds=max(lifetime, 0))).isoformat(),
    }
    refresh = answer.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        doc["refresh_token"] = refresh
    return doc


def granted_scopes(answer: Mapping[str, Any]) -> tuple[str, ...]:
    raw = answer.get("scope") or ()
    items = raw.split() if isinstance(raw, str) else [str(s) for s in raw]
    return tuple(dict.fromkeys(items))


def expires_at(doc: Mapping[str, Any]) -> datetime | None:
    try:
        value = datetime.fromisoformat(str(doc.get("access_expires_at") or ""))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def usable(doc: Mapping[str, Any], *, now: datetime | None = None) -> bool:
    """Whether the stored access token lives more than MARGIN longer."""
    when = expires_at(doc)
    now = now or datetime.now(UTC)
    return bool(doc.get("access_token")) and when is not None and when - now > MARGIN


# SIGN-IN
# ------------------------------------------------------------------------------
def login_start(request: Any, *, tenant: str, write: bool, redirect_uri: str) -> str:
    """The URL of Microsoft's sign-in for the person (the flow waits in their session)."""
    session = GraphSession()
    try:
        return _login_start(request, session, tenant=tenant, write=write, redirect_uri=redirect_uri)
    finally:
        session.close()


def _login_start(request: Any, session: Any, *, tenant: str, write: bool, redirect_uri: str) -> str:
    app = msal_app(tenant, session)
    try:
        with warnings.catch_warnings():
            # Tidsbro's callback is a GET (the answer in the query), as registered.
            warnings.simplefilter("ignore", UserWarning)
            flow = app.initiate_auth_code_flow(
                scopes(write=write), redirect_uri=redirect_uri, response_mode="query"
            )
    except Exception as exc:
        raise Unavailable(
            f"{LABEL} could not start ({type(exc).__name__})", operation="authorize"
        ) from None
    flow["tidsbro_tenant"] = tenant
    flow["tidsbro_write"] = bool(write)
    request.session[SESSION_KEY] = flow
    return browser_link(flow["auth_uri"])


def login_pending(request: Any) -> dict | None:
    flow = request.session.get(SESSION_KEY)
    return flow if isinstance(flow, dict) else None


def login_finish(request: Any) -> tuple[dict, dict]:
    """Finishes the flow with the callback's query: (token answer, flow). ApplicationError
    with a message for the person when the answer is refused, tampered or expired; the
    pending flow is used once."""
    flow = request.session.pop(SESSION_KEY, None)
    if not isinstance(flow, dict):
        raise ApplicationError(_("The sign-in has expired or was not started. Please try again."))
    query = {k: v for k, v in request.GET.items()}
    if query.get("error"):
        code = _code({"error_description": query.get("error_description", "")})
        if query["error"] == "access_denied":
            raise ApplicationError(
                _("The sign-in was cancelled or permission was not given. Nothing was saved.")
            )
        raise ApplicationError(
            _("Microsoft refused the sign-in (%(error)s). Nothing was saved.")
            % {"error": f"{query['error'][:60]} {code}".strip()}
        )
    if query.get("state") != flow.get("state"):
        raise ApplicationError(
            _("The answer from the sign-in did not match the one started here. Nothing was saved.")
        )
    tenant = flow.pop("tidsbro_tenant", "")
    flow.pop("tidsbro_write", None)
    session = GraphSession()
    try:
        app = msal_app(tenant, session)
        answer = app.acquire_token_by_auth_code_flow(flow, query)
    except ConnectorError:
        raise ApplicationError(
            _("Microsoft's sign-in could not be reached. Please try again.")
        ) from None
    except ValueError:
        raise ApplicationError(
            _("The answer from the sign-in did not match the one started here. Nothing was saved.")
        ) from None
    except Exception as exc:
        log.warning("Microsoft sign-in could not be finished: %s", type(exc).__name__)
        raise ApplicationError(
            _("Microsoft's sign-in could not be reached. Please try again.")
        ) from None
    finally:
        session.close()
    if not isinstance(answer, dict):
        raise ApplicationError(_("Microsoft's sign-in sent an unreadable answer."))
    if "error" in answer:
        detail = f"{str(answer.get('error'))[:60]} {_code(answer)}".strip()
        raise ApplicationError(
            _("Microsoft refused the sign-in (%(error)s). Nothing was saved.") % {"error": detail}
        )
    if not answer.get("refresh_token"):
        raise ApplicationError(
            _("Microsoft gave no lasting permission (offline access). Nothing was saved.")
        )
    return answer, flow


# RENEWAL
# ------------------------------------------------------------------------------
class TokenKeeper:
    """The access token of one account for one client (one thread at a time)."""

    def __init__(
        self, account: Any, *, session: Any, scope_names: Sequence[str] | None = None
    ) -> None:
        self.account_id = account.pk
        self.tenant = account.tenant_id or (account.connection.settings or {}).get("tenant", "")
        self.session = session
        self.scope_names = list(scope_names or _scopes_of(account))
        doc = account.state_doc
        self._token = str(doc.get("access_token") or "")
        self._expires = expires_at(doc) if self._token else None
        self.renewals = 0

    def secrets(self) -> list[str]:
        return [self._token] if self._token else []

    def token(self) -> str:
        """A usable access token (renewed only when the known one is near its end)."""
        if self._token and self._expires and self._expires - datetime.now(UTC) > MARGIN:
            return self._token
        return self.renew()

    def renew(self, *, rejected: str = "") -> str:
        """A fresh access token: another worker's if it renewed meanwhile (and it is not the
        one just `rejected`), else one from the stored refresh token (rotated: saved at once).

        Where the database has row locks (PostgreSQL) the renewal runs under a lock on the
        account's row, so two workers never spend the same refresh token. SQLite would lock
        the whole database for the token request (and the demo's sandbox, in the same
        database, could then not answer it): there the token request runs outside the
        transaction, and a refused refresh token that another worker has just replaced is
        recognised as that race (its new token is used) rather than as a lost sign-in."""
        from django.db import connection

        self.renewals += 1
        if connection.features.has_select_for_update:
            with transaction.atomic():
                return self._renew(rejected=rejected, lock=True)
        return self._renew(rejected=rejected, lock=False)

    def _stored(self, *, lock: bool) -> Any:
        from apps.calendars.models import CalendarAccount

        rows = CalendarAccount.objects.all()
        return (rows.select_for_update() if lock else rows).get(pk=self.account_id)

    def _take(self, doc: Mapping[str, Any], rejected: str) -> str | None:
        """The stored access token when another worker renewed it meanwhile."""
        current = str(doc.get("access_token") or "")
        if current and current != rejected and current != self._token and usable(doc):
            self._token, self._expires = current, expires_at(doc)
            return current
        return None

    def _renew(self, *, rejected: str, lock: bool) -> str:
        account = self._stored(lock=lock)
        doc = account.state_doc
        taken = self._take(doc, rejected)
        if taken:
            self.renewals -= 1
            return taken
        refresh = doc.get("refresh_token")
        if not refresh:
            raise AuthFailed("no stored sign-in; connect the calendar again", operation="token")
        app = msal_app(self.tenant, self.session)
        try:
            answer = _call("token", app.acquire_token_by_refresh_token, refresh, self.scope_names)
        except AuthFailed:
            if lock:
                raise
            # Lost a race with another worker (it spent the same refresh token first and is
            # about to save the new one)?
            for pause in RACE_PAUSES:
                time.sleep(pause)
                again = self._stored(lock=False).state_doc
                if again.get("refresh_token") != refresh:
                    taken = self._take(again, rejected)
                    if taken:
                        self.renewals -= 1
                        return taken
            raise
        new = token_doc(answer)
        if lock:
            account.state_doc = {**doc, **new}
            account.save(update_fields=["state", "updated_at"])
        else:
            with transaction.atomic():
                account = self._stored(lock=False)
                account.state_doc = {**account.state_doc, **new}
                account.save(update_fields=["state", "updated_at"])
        self._token, self._expires = new["access_token"], expires_at(new)
        return self._token


def _scopes_of(account: Any) -> list[str]:
    write = getattr(account, "can_write", False)
    return scopes(write=bool(write))
