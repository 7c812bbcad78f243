"""Signing in to Unimicro (OpenID Connect against its IdentityServer): the only module that
speaks the token protocol. Authlib's requests client does the OAuth; joserfc checks tokens.

- Interactive login (API-NOTES §3.1): authorization code with PKCE S256, `state`, `nonce`
  and `prompt=login`; the pending authorization waits in the administrator's session
  (code verifier, nonce, purpose, 10 minutes); the callback must carry that `state` and an
  `iss` equal to the issuer (RFC 9207); the discovery document must name the configured
  issuer; the id token is checked (signature by the JWKS, `aud`, `nonce`, expiry).
- Refresh: under `select_for_update` of the Connection row (and a process lock, for SQLite),
  re-reading the state first, so one refresh token is never redeemed twice; the rotated
  refresh token and the new access token are stored at once in the encrypted state.
  A refused refresh token (`invalid_grant`) is `AuthFailed("… invalid_grant …")`.
- Revocation (RFC 7009) when a key is revoked.
- Server access (API-NOTES §3.2): client credentials with a client assertion signed by the
  key in UNIMICRO_SERVER_CERTIFICATE (PKCS#12 or PEM), a new token when the last expires.

Tokens never reach a log line or an exception message.
"""

from __future__ import annotations

import base64
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from django.conf import settings as django_settings
from django.db import transaction
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import AuthFailed, Unavailable
from apps.integrations.connectors.unimicro import DEFAULT_API_BASE, DEFAULT_ISSUER, SCOPES

log = logging.getLogger(__name__)

PENDING_KEY = "integrations_oauth_pending"
PENDING_SECONDS = 10 * 60
DISCOVERY_SECONDS = 60 * 60
TIMEOUT = (5.0, 30.0)
# An access token this close to its end is renewed before use.
EXPIRY_MARGIN = 60
SERVER_KEY_ID = "server"
ASSERTION_SECONDS = 60
# How the interactive client proves itself at the token endpoint (a regular web app).
CLIENT_AUTH = "client_secret_post"  # noqa: S105 - a method name, not a secret


# SETTINGS
# ------------------------------------------------------------------------------
def _setting(name: str, default: str = "") -> str:
    value = getattr(django_settings, name, None)
    return default if value in (None, "") else str(value)


def configured_issuer() -> str:
    return _setting("UNIMICRO_ISSUER", DEFAULT_ISSUER).rstrip("/")


def configured_api_base() -> str:
    return _setting("UNIMICRO_API_BASE", DEFAULT_API_BASE).rstrip("/")


def client_id() -> str:
    return _setting("UNIMICRO_CLIENT_ID")


def client_secret() -> str:
    return _setting("UNIMICRO_CLIENT_SECRET")


def server_access_configured() -> bool:
    """Whether unattended server access (certificate) is configured by environment."""
    return bool(_setting("UNIMICRO_SERVER_CLIENT_ID") and _setting("UNIMICRO_SERVER_CERTIFICATE"))


def connection_issuer(connection: Any) -> str:
    return str((connection.settings or {}).get("issuer") or configured_issuer()).rstrip("/")


# DISCOVERY
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provider:
    """The identity server's endpoints, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    revocation_endpoint: str = ""
    userinfo_endpoint: str = ""
    fetched_at: float = field(default=0.0, compare=False)


_providers: dict[str, Provider] = {}
_providers_lock = threading.Lock()


def _http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def provider(issuer: str | None = None, *, fresh: bool = False) -> Provider:
    """The discovery document of `issuer` (cached an hour per issuer); its `issuer` must be
    the configured one, else nothing from it is trusted."""
    issuer = (issuer or configured_issuer()).rstrip("/")
    with _providers_lock:
        cached = _providers.get(issuer)
    if cached is not None and not fresh and time.time() - cached.fetched_at < DISCOVERY_SECONDS:
        return cached
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        with _http() as http:
            response = http.get(url, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        raise Unavailable(_("Could not reach Unimicro's login service.")) from None
    if response.status_code != 200:
        raise Unavailable(
            _("Unimicro's login service answered HTTP %(status)s to its discovery request.")
            % {"status": response.status_code}
        )
    try:
        document = response.json()
    except ValueError:
        raise Unavailable(
            _("Unimicro's login service sent an unreadable discovery document.")
        ) from None
    if str(document.get("issuer") or "").rstrip("/") != issuer:
        raise AuthFailed(
            _(
                "The login service at %(issuer)s names another issuer; Tidsbro does not trust "
                "it (check UNIMICRO_ISSUER)."
            )
            % {"issuer": issuer}
        )
    try:
        found = Provider(
            issuer=issuer,
            authorization_endpoint=document["authorization_endpoint"],
            token_endpoint=document["token_endpoint"],
            jwks_uri=document["jwks_uri"],
            revocation_endpoint=document.get("revocation_endpoint") or "",
            userinfo_endpoint=document.get("userinfo_endpoint") or "",
            fetched_at=time.time(),
        )
    except KeyError:
        raise Unavailable(_("Unimicro's discovery document lacks an endpoint.")) from None
    with _providers_lock:
        _providers[issuer] = found
    return found


def forget_providers() -> None:
    """Drop cached discovery documents (tests that start another live server)."""
    with _providers_lock:
        _providers.clear()


def _jwks(found: Provider) -> KeySet:
    try:
        with _http() as http:
            response = http.get(found.jwks_uri, timeout=TIMEOUT, allow_redirects=False)
        response.raise_for_status()
        return KeySet.import_key_set(response.json())
    except (requests.RequestException, ValueError, JoseError):
        raise Unavailable(_("Could not read Unimicro's signing keys.")) from None


def _session(**kwargs: Any) -> OAuth2Session:
    session = OAuth2Session(default_timeout=TIMEOUT, **kwargs)
    session.trust_env = False
    return session


# TOKENS
# ------------------------------------------------------------------------------
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _now() -> datetime:
    return datetime.now(UTC)


def _token_entry(token: Any, *, previous: dict | None = None) -> dict[str, Any]:
    """The state's entry for one key from a token response (the rotated refresh token
    replaces the old one; a response without one keeps none)."""
    expires_in = int(token.get("expires_in") or 3600)
    entry = dict(previous or {})
    entry["access_token"] = token["access_token"]
    entry["access_expires_at"] = _iso(_now() + timedelta(seconds=expires_in))
    if token.get("refresh_token"):
        entry["refresh_token"] = token["refresh_token"]
    elif "refresh_token" in entry and previous is None:
        entry.pop("refresh_token")
    return entry


def expires_soon(entry: dict[str, Any], margin: int = EXPIRY_MARGIN) -> bool:
    value = entry.get("access_expires_at") or ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return True
    return moment - _now() <= timedelta(seconds=margin)


def _oauth_error(exc: Exception) -> str:
    return str(getattr(exc, "error", "") or "")


# INTERACTIVE LOGIN
# ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LoginResult:
    """A finished login: whom it signed in, and the tokens (kept secret by the caller)."""

    purpose: str
    subject: str
    user_name: str
    organisation_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: str
    scopes: tuple[str, ...] = ()

    def token_entry(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "access_expires_at": self.access_expires_at,
            "last_used_at": _iso(_now()),
        }


def login_start(request: Any, *, purpose: str, redirect_uri: str) -> str:
    """The URL of Unimicro's login for this administrator; remembers the pending
    authorization (state, PKCE verifier, nonce, purpose) in their session for 10 minutes."""
    found = provider()
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(64)
    with _session(
        client_id=client_id(),
        scope=" ".join(SCOPES),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    ) as session:
        url, _state = session.create_authorization_url(
            found.authorization_endpoint,
            state=state,
            code_verifier=verifier,
            nonce=nonce,
            prompt="login",
        )
    pending = {
        key: value
        for key, value in (request.session.get(PENDING_KEY) or {}).items()
        if time.time() - value.get("created_at", 0) < PENDING_SECONDS
    }
    pending[state] = {
        "purpose": purpose,
        "code_verifier": verifier,
        "nonce": nonce,
        "redirect_uri": redirect_uri,
        "issuer": found.issuer,
        "created_at": time.time(),
    }
    request.session[PENDING_KEY] = pending
    return url


def pending_purpose(request: Any) -> str | None:
    """The purpose of the pending authorization the callback's `state` names (None: none)."""
    state = request.GET.get("state") or ""
    entry = (request.session.get(PENDING_KEY) or {}).get(state)
    return entry.get("purpose") if entry else None


def login_finish(request: Any) -> LoginResult:
    """Checks the callback (state, iss, error), exchanges the code (PKCE) and verifies the id
    token; the pending authorization is used up whatever happens. Raises ApplicationError
    with a message for the administrator."""
    params = request.GET
    state = params.get("state") or ""
    pending = dict(request.session.get(PENDING_KEY) or {})
    entry = pending.pop(state, None) if state else None
    request.session[PENDING_KEY] = pending
    if entry is None:
        raise ApplicationError(
            _(
                "This answer from Unimicro does not belong to a login started here (or it was "
                "used already). Start the login again."
            )
        )
    if time.time() - entry.get("created_at", 0) > PENDING_SECONDS:
        raise ApplicationError(_("The login took longer than 10 minutes. Start it again."))
    issuer = entry["issuer"]
    if (params.get("iss") or "").rstrip("/") != issuer:
        raise ApplicationError(
            _("The answer did not come from Unimicro's login service (%(issuer)s); refused.")
            % {"issuer": issuer}
        )
    error = params.get("error") or ""
    if error == "access_denied":
        raise ApplicationError(
            _(
                "The permissions were not accepted in Unimicro, so Tidsbro has no access. Log "
                "in again and accept them to continue."
            )
        )
    if error:
        raise ApplicationError(
            _("Unimicro's login refused the request (%(error)s).") % {"error": error[:80]}
        )
    code = params.get("code") or ""
    if not code:
        raise ApplicationError(_("Unimicro's answer carries no authorization code."))
    try:
        found = provider(issuer)
        with _session(
            client_id=client_id(),
            client_secret=client_secret(),
            token_endpoint_auth_method=CLIENT_AUTH,
            redirect_uri=entry["redirect_uri"],
        ) as session:
            token = session.fetch_token(
                found.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=entry["code_verifier"],
            )
        claims = _verify_id_token(found, token.get("id_token") or "", nonce=entry["nonce"])
    except (Unavailable, AuthFailed) as exc:
        raise ApplicationError(exc.message) from None
    except Exception as exc:  # authlib's OAuthError and transport errors: never the body
        log.warning("unimicro: code exchange failed: %s", type(exc).__name__)
        raise ApplicationError(
            _("Unimicro did not accept the login (%(error)s). Start it again.")
            % {"error": _oauth_error(exc) or type(exc).__name__}
        ) from None
    access_claims = _unverified_claims(token["access_token"])
    entry_tokens = _token_entry(token)
    return LoginResult(
        purpose=entry["purpose"],
        subject=str(claims.get("sub") or ""),
        user_name=str(
            claims.get("name")
            or claims.get("email")
            or claims.get("preferred_username")
            or access_claims.get("name")
            or claims.get("sub")
            or ""
        ),
        organisation_id=str(access_claims.get("org") or ""),
        access_token=entry_tokens["access_token"],
        refresh_token=entry_tokens.get("refresh_token", ""),
        access_expires_at=entry_tokens["access_expires_at"],
        scopes=tuple(str(token.get("scope") or "").split()),
    )


def _verify_id_token(found: Provider, id_token: str, *, nonce: str) -> dict[str, Any]:
    if not id_token:
        raise AuthFailed(_("Unimicro sent no id token."))
    try:
        decoded = jwt.decode(id_token, _jwks(found))
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": found.issuer},
            aud={"essential": True, "value": client_id()},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
        )
        registry.validate(decoded.claims)
    except JoseError as exc:
        raise AuthFailed(
            _("Unimicro's id token did not pass the checks (%(error)s).")
            % {"error": getattr(exc, "error", type(exc).__name__)}
        ) from None
    return dict(decoded.claims)


def _unverified_claims(token: str) -> dict[str, Any]:
    """The claims of an access token for display (the API checks it; we only read names)."""
    import json

    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return dict(json.loads(base64.urlsafe_b64decode(payload)))
    except (IndexError, ValueError, TypeError):
        return {}


# REFRESH (under the connection's row lock)
# ------------------------------------------------------------------------------
_process_locks: dict[int, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(pk: int) -> Any:
    """SQLite has no row locks (select_for_update is a no-op there): threads of one process
    take turns instead. Elsewhere the row lock alone decides (a process lock on top could
    deadlock with a row lock held by an outer transaction)."""
    from contextlib import nullcontext

    if not _sqlite():
        return nullcontext()
    with _process_locks_guard:
        return _process_locks.setdefault(pk, threading.Lock())


def _write_state(connection: Any, state: dict[str, Any]) -> None:
    connection.state_doc = state
    # The field encrypts on save (also in update()): the plain document goes in, once.
    type(connection).objects.filter(pk=connection.pk).update(state=connection.state)


def key_tokens(connection: Any, key_id: str) -> dict[str, Any]:
    return dict(((connection.state_doc or {}).get("tokens") or {}).get(key_id) or {})


def valid_access_token(
    connection: Any, key_id: str, *, rejected: str = "", margin: int = EXPIRY_MARGIN
) -> str:
    """An access token for `key_id` valid at least `margin` seconds, renewing it when needed
    (`rejected`: the token the API just refused, renewed even if it looks valid)."""
    entry = key_tokens(connection, key_id)
    token = entry.get("access_token") or ""
    if token and token != rejected and not expires_soon(entry, margin):
        return token
    return refresh(connection, key_id, rejected=rejected or token, margin=margin)["access_token"]


def refresh(
    connection: Any, key_id: str, *, rejected: str = "", margin: int = EXPIRY_MARGIN
) -> dict:
    """Renews the key's access token (rotating its refresh token, or a new client-credentials
    token for server access) and stores both at once; returns the key's token entry.

    Under the row lock the state is read again: if another process renewed the token since
    (the stored one differs from `rejected` and is valid), that one is used and nothing is
    redeemed — one refresh token is never sent twice. On SQLite (no row locks; a write
    transaction would lock the whole file while Unimicro — in the demo the sandbox in the
    same file — answers) the threads of the process take turns instead and the state is
    written in a short transaction after the answer."""
    model = type(connection)
    with _process_lock(connection.pk):
        if _sqlite():
            row = model.objects.only("id", "state", "settings").get(pk=connection.pk)
            entry = _renewed(row, key_id, rejected=rejected, margin=margin)
            if entry is None:
                connection.state = row.state
                return key_tokens(row, key_id)
            with transaction.atomic():
                row = model.objects.only("id", "state").get(pk=connection.pk)
                _store_entry(row, key_id, entry)
        else:
            with transaction.atomic():
                row = (
                    model.objects.select_for_update()
                    .only("id", "state", "settings")
                    .get(pk=connection.pk)
                )
                entry = _renewed(row, key_id, rejected=rejected, margin=margin)
                if entry is None:
                    connection.state = row.state
                    return key_tokens(row, key_id)
                _store_entry(row, key_id, entry)
        connection.state = row.state
    log.info("unimicro: renewed the access token of connection %s", connection.pk)
    return entry


def _sqlite() -> bool:
    from django.db import connection as db

    return db.vendor == "sqlite"


def _store_entry(row: Any, key_id: str, entry: dict[str, Any]) -> None:
    state = dict(row.state_doc)
    tokens = dict(state.get("tokens") or {})
    tokens[key_id] = entry
    state["tokens"] = tokens
    _write_state(row, state)


def _renewed(row: Any, key_id: str, *, rejected: str, margin: int) -> dict[str, Any] | None:
    """The key's new token entry from Unimicro, or None when the stored one is already
    another, valid one (renewed by someone else meanwhile)."""
    entry = key_tokens(row, key_id)
    current = entry.get("access_token") or ""
    if current and current != rejected and not expires_soon(entry, margin):
        return None
    issuer = connection_issuer(row)
    if key_id == SERVER_KEY_ID or (row.settings or {}).get("auth") == "server":
        entry = _token_entry(server_token(issuer), previous=entry)
    else:
        refresh_token = entry.get("refresh_token") or ""
        if not refresh_token:
            raise AuthFailed(
                _(
                    "Log in to Unimicro again: Unimicro gave this key no refresh token "
                    "(invalid_grant)."
                )
            )
        found = provider(issuer)
        try:
            with _session(
                client_id=client_id(),
                client_secret=client_secret(),
                token_endpoint_auth_method=CLIENT_AUTH,
            ) as session:
                token = session.refresh_token(found.token_endpoint, refresh_token=refresh_token)
        except requests.RequestException:
            raise Unavailable(_("Could not reach Unimicro's login service.")) from None
        except Exception as exc:  # authlib's OAuthError
            error = _oauth_error(exc)
            if error in ("invalid_grant", "invalid_client", "unauthorized_client"):
                raise AuthFailed(
                    _("Log in to Unimicro again: Unimicro refused the stored login (%(error)s).")
                    % {"error": error}
                ) from None
            raise Unavailable(
                _("Unimicro's login service failed to renew the access (%(error)s).")
                % {"error": error or type(exc).__name__}
            ) from None
        entry = _token_entry(token, previous=entry)
    entry["last_used_at"] = _iso(_now())
    return entry


def touch(connection: Any, key_id: str) -> None:
    """Notes that the key was used now (under the row lock: never over a rotation)."""
    model = type(connection)
    with _process_lock(connection.pk), transaction.atomic():
        row = model.objects.select_for_update().only("id", "state").get(pk=connection.pk)
        state = dict(row.state_doc)
        tokens = dict(state.get("tokens") or {})
        if key_id not in tokens:
            return
        tokens[key_id] = {**tokens[key_id], "last_used_at": _iso(_now())}
        state["tokens"] = tokens
        _write_state(row, state)
        connection.state = row.state


def revoke(issuer: str, entry: dict[str, Any]) -> bool:
    """Revokes a key's refresh token (and access token) at Unimicro (RFC 7009); False when
    the service could not be told (the tokens are forgotten by the caller anyway)."""
    try:
        found = provider(issuer)
    except (Unavailable, AuthFailed):
        return False
    if not found.revocation_endpoint:
        return False
    done = True
    for kind in ("refresh_token", "access_token"):
        token = entry.get(kind)
        if not token:
            continue
        try:
            with _session(
                client_id=client_id(),
                client_secret=client_secret(),
                revocation_endpoint_auth_method=CLIENT_AUTH,
            ) as session:
                response = session.revoke_token(
                    found.revocation_endpoint, token=token, token_type_hint=kind
                )
            done = done and response.status_code == 200
        except Exception:
            log.warning("unimicro: could not revoke a %s", kind.replace("_", " "))
            done = False
    return done


# SERVER ACCESS (client credentials, certificate-signed assertion)
# ------------------------------------------------------------------------------
class _ShortAssertion(PrivateKeyJWT):
    """Authlib's private_key_jwt with Unimicro's short lifetime (exp = now + 60 s) and a
    fresh `jti` per request."""

    def sign(self, auth: Any, token_endpoint: str) -> str:
        now = int(time.time())
        self.claims = {"nbf": now, "exp": now + ASSERTION_SECONDS, "jti": secrets.token_hex(16)}
        return super().sign(auth, token_endpoint)


def server_private_key_pem() -> bytes:
    """The private key of UNIMICRO_SERVER_CERTIFICATE (a PKCS#12 file with its password, a PEM
    file, or the PEM text itself) as PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    source = _setting("UNIMICRO_SERVER_CERTIFICATE")
    password = _setting("UNIMICRO_SERVER_CERTIFICATE_PASSWORD")
    if not source:
        raise AuthFailed(_("No server certificate is configured (UNIMICRO_SERVER_CERTIFICATE)."))
    if "-----BEGIN" in source:
        data = source.encode()
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError:
            raise AuthFailed(_("The server certificate file cannot be read.")) from None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(
                data, password=password.encode() if password else None
            )
        else:
            key, _cert, _more = pkcs12.load_key_and_certificates(
                data, password.encode() if password else None
            )
    except (ValueError, TypeError):
        raise AuthFailed(_("The server certificate or its password is not valid.")) from None
    if key is None:
        raise AuthFailed(_("The server certificate holds no private key."))
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def server_token(issuer: str | None = None) -> Any:
    """A new access token for Tidsbro's server client (no refresh token: a new assertion
    each time)."""
    found = provider(issuer)
    server_client = _setting("UNIMICRO_SERVER_CLIENT_ID")
    if not server_client:
        raise AuthFailed(_("No server client is configured (UNIMICRO_SERVER_CLIENT_ID)."))
    try:
        with _session(
            client_id=server_client,
            client_secret=server_private_key_pem().decode(),
            token_endpoint_auth_method=_ShortAssertion(found.token_endpoint),
            scope="AppFramework",
        ) as session:
            return session.fetch_token(found.token_endpoint, grant_type="client_credentials")
    except requests.RequestException:
        raise Unavailable(_("Could not reach Unimicro's login service.")) from None
    except AuthFailed:
        raise
    except Exception as exc:  # authlib's OAuthError
        raise AuthFailed(
            _("Unimicro refused Tidsbro's server access (%(error)s).")
            % {"error": _oauth_error(exc) or type(exc).__name__}
        ) from None


def server_token_entry(issuer: str | None = None) -> dict[str, Any]:
    entry = _token_entry(server_token(issuer))
    entry["last_used_at"] = _iso(_now())
    return entry
