"""The identity platform's codes and tokens: issue, redeem, refresh (rotating), revoke; its
AADSTS-style errors; the id_token and the JWKS.

Authlib does the protocol arithmetic that must be exact (the PKCE S256 challenge, token
generation) and joserfc signs the id_token. The grant handling itself is written out here:
the sandbox's point is the identity platform's own answers (AADSTS codes, `error_codes`,
trace and correlation ids), its rotation rule and its failure modes, which a generic
authorization server would word differently.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass

from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc import jwt
from joserfc.jwk import RSAKey

from .models import App, AuthCode, Mailbox, SigningKey, Token
from .runtime import knobs_get, tenant_id

GRAPH = "https://graph.microsoft.com/"
OIDC_SCOPES = ("openid", "profile", "email", "offline_access")
GRAPH_SCOPES = ("Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic", "User.Read")
READ_SCOPES = {"Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic"}
WRITE_SCOPES = {"Calendars.ReadWrite"}


class AADError(Exception):
    """An identity platform error: OAuth `error`, the AADSTS number and its text."""

    def __init__(self, error: str, number: int, text: str, status: int = 400) -> None:
        super().__init__(f"AADSTS{number}: {text}")
        self.error = error
        self.number = number
        self.text = text
        self.status = status

    @property
    def description(self) -> str:
        return f"AADSTS{self.number}: {self.text}"

    def body(self) -> dict:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": self.error,
            "error_description": (
                f"{self.description} Trace ID: {trace} Correlation ID: {correlation} "
                f"Timestamp: {stamp}"
            ),
            "error_codes": [self.number],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.number}",
        }


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Scopes ----------------------------------------------------------------------------------


def parse_scopes(text: str) -> list[str]:
    """Requested scopes, Graph's written short ("Calendars.Read"); AADError for a scope of
    another resource or one the sandbox does not know."""
    found: list[str] = []
    for raw in (text or "").split():
        name = raw[len(GRAPH) :] if raw.lower().startswith(GRAPH) else raw
        if name == ".default":
            names = ["Calendars.ReadWrite", "User.Read"]
        elif name in OIDC_SCOPES or name in GRAPH_SCOPES:
            names = [name]
        else:
            raise AADError(
                "invalid_scope",
                70011,
                f"The provided request must include a 'scope' input parameter. The provided "
                f"value for the input parameter 'scope' is not valid. The scope {raw} is not valid.",
            )
        found.extend(n for n in names if n not in found)
    if "User.Read" not in found:
        found.append("User.Read")  # signing in always grants reading the user's profile
    return found


def scope_string(scopes: list[str]) -> str:
    """The `scope` of a token answer: Graph's scopes in full, the OpenID ones short."""
    graph = [GRAPH + s for s in scopes if s in GRAPH_SCOPES]
    oidc = [s for s in scopes if s in OIDC_SCOPES and s != "offline_access"]
    return " ".join(graph + oidc)


# Codes and tokens ------------------------------------------------------------------------


def code_issue(
    *,
    app: App,
    mailbox: Mailbox,
    redirect_uri: str,
    scopes: list[str],
    code_challenge: str,
    nonce: str = "",
) -> str:
    """A new authorization code (only its hash is stored)."""
    code = "1.A" + generate_token(96)
    AuthCode.objects.create(
        code_hash=digest(code),
        app=app,
        mailbox=mailbox,
        redirect_uri=redirect_uri,
        scopes=scopes,
        code_challenge=code_challenge,
        nonce=nonce,
        expires_at=timezone.now() + dt.timedelta(seconds=knobs_get().code_seconds),
    )
    return code


def code_redeem(
    *, app: App, code: str, redirect_uri: str, code_verifier: str, client_info: bool, base: str
) -> dict:
    """The token answer for an authorization code: single use, PKCE S256 checked."""
    found = AuthCode.objects.filter(code_hash=digest(code or "")).select_related("mailbox").first()
    if found is None or found.app_id != app.pk:
        raise AADError(
            "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    now = timezone.now()
    if found.redeemed_at is not None:
        raise AADError(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token.",
        )
    if found.expires_at <= now:
        raise AADError(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource.",
        )
    if redirect_uri != found.redirect_uri:
        raise AADError(
            "invalid_grant",
            50011,
            "The redirect URI specified in the request does not match the redirect URI used "
            "to obtain the authorization code.",
        )
    if not code_verifier:
        raise AADError(
            "invalid_grant",
            501481,
            "The Code_Verifier is missing; this code was issued with a code_challenge.",
        )
    if not secrets.compare_digest(create_s256_code_challenge(code_verifier), found.code_challenge):
        raise AADError(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        )
    if not AuthCode.objects.filter(pk=found.pk, redeemed_at__isnull=True).update(redeemed_at=now):
        raise AADError(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code.",
        )
    return _answer(
        app, found.mailbox, found.scopes, nonce=found.nonce, client_info=client_info, base=base
    )


def refresh(*, app: App, refresh_token: str, scope: str, client_info: bool, base: str) -> dict:
    """A new access token and a new refresh token; the presented one stops working."""
    found = (
        Token.objects.filter(token_hash=digest(refresh_token or ""), kind=Token.Kind.REFRESH)
        .select_related("mailbox")
        .first()
    )
    if found is None or found.app_id != app.pk:
        raise AADError(
            "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid."
        )
    if found.revoked_at is not None:
        raise AADError(
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
            "The user might have changed or reset their password.",
        )
    if found.replaced_at is not None:
        raise AADError(
            "invalid_grant",
            70000,
            "The provided grant is invalid or malformed: this refresh token was already "
            "redeemed and replaced by a newer one.",
        )
    scopes = list(found.scopes)
    if scope:
        asked = parse_scopes(scope)
        beyond = [s for s in asked if s not in scopes and s not in OIDC_SCOPES]
        if beyond:
            raise AADError(
                "invalid_grant",
                65001,
                f"The user or administrator has not consented to use the application with "
                f"ID '{app.client_id}' for the scope(s) {' '.join(beyond)}.",
            )
        scopes = [s for s in scopes if s in asked or s in ("offline_access", "User.Read")]
    if not Token.objects.filter(
        pk=found.pk, replaced_at__isnull=True, revoked_at__isnull=True
    ).update(replaced_at=timezone.now()):
        raise AADError("invalid_grant", 70000, "The provided grant is invalid or malformed.")
    # The new refresh token keeps the whole grant; only the access token is narrowed.
    return _answer(
        app,
        found.mailbox,
        scopes,
        nonce="",
        client_info=client_info,
        base=base,
        grant=list(found.scopes),
    )


def _new_token(
    kind: str, app: App, mailbox: Mailbox, scopes: list[str], seconds: int | None
) -> str:
    value = ("EwB" if kind == Token.Kind.ACCESS else "1.AR") + generate_token(120)
    Token.objects.create(
        kind=kind,
        token_hash=digest(value),
        app=app,
        mailbox=mailbox,
        scopes=scopes,
        expires_at=timezone.now() + dt.timedelta(seconds=seconds) if seconds else None,
    )
    return value


def _answer(
    app: App,
    mailbox: Mailbox,
    scopes: list[str],
    *,
    nonce: str,
    client_info: bool,
    base: str,
    grant: list[str] | None = None,
) -> dict:
    seconds = knobs_get().access_token_seconds
    answer = {
        "token_type": "Bearer",
        "scope": scope_string(scopes),
        "expires_in": seconds,
        "ext_expires_in": seconds,
        "access_token": _new_token(Token.Kind.ACCESS, app, mailbox, scopes, seconds),
    }
    grant = grant or scopes
    if "offline_access" in grant:
        answer["refresh_token"] = _new_token(Token.Kind.REFRESH, app, mailbox, grant, None)
    if "openid" in scopes:
        answer["id_token"] = id_token(
            app=app, mailbox=mailbox, scopes=scopes, nonce=nonce, base=base
        )
    if client_info:
        info = {"uid": str(mailbox.object_id), "utid": tenant_id()}
        answer["client_info"] = (
            base64.urlsafe_b64encode(json.dumps(info).encode()).decode().rstrip("=")
        )
    return answer


def access_check(token: str) -> Token:
    """The access token a Bearer value is; AADError-free: raises LookupError("missing" |
    "invalid" | "expired")."""
    if not token:
        raise LookupError("missing")
    found = (
        Token.objects.filter(token_hash=digest(token), kind=Token.Kind.ACCESS)
        .select_related("mailbox", "app")
        .first()
    )
    if found is None or found.revoked_at is not None:
        raise LookupError("invalid")
    if found.expires_at is not None and found.expires_at <= timezone.now():
        raise LookupError("expired")
    return found


@transaction.atomic
def tokens_revoke(*, mailbox: Mailbox) -> int:
    """Revokes every refresh and access token of a mailbox (as a password reset or an
    administrator's "revoke sessions" does); returns how many."""
    return Token.objects.filter(mailbox=mailbox, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def access_tokens_expire(*, mailbox: Mailbox) -> int:
    """Makes every access token of a mailbox expired now (the next Graph call gets 401)."""
    return Token.objects.filter(
        mailbox=mailbox, kind=Token.Kind.ACCESS, expires_at__gt=timezone.now()
    ).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


# Signing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    kid: str
    key: RSAKey


def signer() -> Signer:
    """The id_token signing key (made and stored on first use)."""
    stored = SigningKey.objects.order_by("pk").first()
    if stored is None:
        key = RSAKey.generate_key(2048)
        try:
            with transaction.atomic():
                stored = SigningKey.objects.create(
                    kid=key.thumbprint()[:27], private_pem=key.as_pem(private=True).decode()
                )
        except IntegrityError:
            stored = SigningKey.objects.order_by("pk").first()
    return Signer(stored.kid, RSAKey.import_key(stored.private_pem))


def jwks(base: str) -> dict:
    sign = signer()
    public = sign.key.as_dict(private=False)
    return {
        "keys": [
            {
                "kty": "RSA",
                "use": "sig",
                "kid": sign.kid,
                "x5t": sign.kid,
                "n": public["n"],
                "e": public["e"],
                "issuer": issuer(base),
            }
        ]
    }


def issuer(base: str, tenant: str | None = None) -> str:
    """`<base>/login/<tenant id>/v2.0` (base: the sandbox's absolute URL)."""
    return f"{base}/login/{tenant or tenant_id()}/v2.0"


def id_token(*, app: App, mailbox: Mailbox, scopes: list[str], nonce: str, base: str) -> str:
    now = int(timezone.now().timestamp())
    claims = {
        "ver": "2.0",
        "iss": issuer(base),
        "sub": hashlib.sha256(f"{mailbox.object_id}:{app.client_id}".encode()).hexdigest()[:43],
        "aud": app.client_id,
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "tid": tenant_id(),
        "oid": str(mailbox.object_id),
        "preferred_username": mailbox.user_principal_name,
        "uti": generate_token(22),
    }
    if "profile" in scopes:
        claims["name"] = mailbox.display_name
    if "email" in scopes:
        claims["email"] = mailbox.user_principal_name
    if nonce:
        claims["nonce"] = nonce
    sign = signer()
    return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": sign.kid}, claims, sign.key)
