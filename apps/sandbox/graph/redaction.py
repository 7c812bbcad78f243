"""Secrets out of the sandbox's request log.

Headers are never logged. Tokens, codes, client secrets, code verifiers, passwords and client
states can still be in a form body, a JSON body or a query string: their values are masked by
name before anything is stored, and every bearer token the request presented is masked
wherever it turns up.
"""

from __future__ import annotations

import re

MASK = "***"
SECRET_NAMES = (
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "client_secret",
    "code_verifier",
    "client_assertion",
    "password",
    "clientState",
    "client_info",
)
_NAMES = "|".join(re.escape(n) for n in SECRET_NAMES)
# name=value in a form body or a query string
_FORM = re.compile(rf"((?:^|[?&])(?:{_NAMES})=)[^&#\s]*")
# "name": "value" in a JSON body
_JSON = re.compile(rf'("(?:{_NAMES})"\s*:\s*")((?:[^"\\]|\\.)*)(")')


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """`text` with every secret value masked."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, MASK)
    text = _FORM.sub(lambda m: m.group(1) + MASK, text)
    return _JSON.sub(lambda m: m.group(1) + MASK + m.group(3), text)


def redact_body(body: bytes, secrets: list[str] | tuple[str, ...], limit: int) -> str:
    """The first `limit` characters of a body, secrets masked."""
    return redact(body[: limit * 4].decode("utf-8", "replace"), secrets)[:limit]
