"""Tokens out of the Unimicro sandbox's request log.

The Authorization header is never stored (the CompanyKey header is: it names a company, it
grants nothing). A token can still turn up in a query string or in a body a client echoes:
every bearer token the request presented, and every query parameter or JSON property whose
name says token/secret/assertion/password, is masked before anything is stored.
"""

from __future__ import annotations

import re

MASK = "***"
_SECRET_NAME = r"[^=&\"\s]*(?:token|secret|assertion|password|signingkey)[^=&\"\s]*"  # noqa: S105 - a pattern of names, not a secret
_SECRET_PARAM = re.compile(rf"((?:^|[?&]){_SECRET_NAME}=)[^&#]*", re.IGNORECASE)
_SECRET_JSON = re.compile(rf"(\"{_SECRET_NAME}\"\s*:\s*\")[^\"]*(\")", re.IGNORECASE)


def bearer(authorization: str) -> str:
    """The token of an `Authorization: Bearer …` header ('' when none)."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret and every token-like parameter or property masked."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    text = _SECRET_PARAM.sub(lambda m: m.group(1) + MASK, text)
    return _SECRET_JSON.sub(lambda m: m.group(1) + MASK + m.group(2), text)


def redact_body(body: bytes, secrets: list[str], limit: int) -> str:
    """The first `limit` characters of a body, secrets masked."""
    margin = max((len(s) for s in secrets), default=0)
    text = body[: (limit + margin) * 4].decode("utf-8", "replace")[: limit + margin]
    return redact(text, secrets)[:limit]
