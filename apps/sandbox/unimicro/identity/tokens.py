"""The identity server's signing key (RSA, published as the JWKS) and its access tokens:
RS256 JWTs with iss, aud = ["AppFramework", iss + "/resources"], sub, client_id, scope, org."""

from __future__ import annotations

import secrets
import time
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from .models import SigningKey

AUDIENCE = "AppFramework"
_KEYS: dict[str, RSAKey] = {}


def access_token_seconds() -> int:
    return int((getattr(settings, "SANDBOX_UNIMICRO", {}) or {}).get("ACCESS_TOKEN_SECONDS", 3600))


def signing_key() -> tuple[str, RSAKey]:
    """(kid, private key) of the current signing key, made on first use."""
    row = SigningKey.objects.order_by("-created_at").first()
    if row is None:
        key = RSAKey.generate_key(2048, private=True)
        kid = secrets.token_hex(8)
        try:
            with transaction.atomic():
                row = SigningKey.objects.create(
                    kid=kid, private_pem=key.as_pem(private=True).decode()
                )
        except IntegrityError:  # pragma: no cover - another thread made one meanwhile
            row = SigningKey.objects.order_by("-created_at").first()
    if row.kid not in _KEYS:
        _KEYS[row.kid] = RSAKey.import_key(
            row.private_pem, {"kid": row.kid, "use": "sig", "alg": "RS256"}
        )
    return row.kid, _KEYS[row.kid]


def key_set() -> KeySet:
    """All signing keys (public parts are what the JWKS shows)."""
    signing_key()
    keys = []
    for row in SigningKey.objects.all():
        if row.kid not in _KEYS:
            _KEYS[row.kid] = RSAKey.import_key(
                row.private_pem, {"kid": row.kid, "use": "sig", "alg": "RS256"}
            )
        keys.append(_KEYS[row.kid])
    return KeySet(keys)


def jwks() -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False) for key in key_set().keys]}


def sign(claims: dict[str, Any]) -> str:
    kid, key = signing_key()
    return jwt.encode(
        {"alg": "RS256", "kid": kid, "typ": "at+jwt"}, claims, key, algorithms=["RS256"]
    )


def access_token(
    *,
    issuer: str,
    subject: str,
    client_id: str,
    scope: str,
    org: str = "",
    extra: dict | None = None,
) -> tuple[str, int]:
    """A new access token and its lifetime in seconds."""
    moment = time.time()
    now = int(moment)
    lifetime = access_token_seconds()
    claims = {
        "iss": issuer,
        "aud": [AUDIENCE, f"{issuer}/resources"],
        "sub": subject,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_hex(16),
        # The moment to the millisecond (iat has whole seconds): "expire all now" must refuse
        # the tokens minted before it and accept one renewed in the same second after it.
        "iat_ms": int(moment * 1000),
    }
    if org:
        claims["org"] = org
    claims.update(extra or {})
    return sign(claims), lifetime


def decode(token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired access token signed by this server, else None."""
    try:
        decoded = jwt.decode(token, key_set(), algorithms=["RS256"])
        jwt.JWTClaimsRegistry(
            exp={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "value": AUDIENCE},
        ).validate(decoded.claims)
    except Exception:  # joserfc raises many kinds; all mean "not a token we accept"
        return None
    return dict(decoded.claims)
