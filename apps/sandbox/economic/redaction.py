"""Tokens out of the sandbox's request log.

Headers are never logged. A token can still turn up in a path (``?token=`` on the grant page's
redirect) or in a body a client echoes; every value the request presented as a token, and every
query parameter whose name says token, is masked before anything is stored.
"""

from __future__ import annotations

import re

MASK = "***"
_TOKEN_PARAM = re.compile(r"((?:^|[?&])[^=&]*token[^=&]*=)[^&#]*", re.IGNORECASE)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return _TOKEN_PARAM.sub(lambda m: m.group(1) + MASK, text)


def redact_body(body: bytes, secrets: list[str], limit: int) -> str:
    """The first ``limit`` characters of a body, tokens masked (also one cut at the limit)."""
    margin = max((len(s) for s in secrets), default=0)
    text = body[: (limit + margin) * 4].decode("utf-8", "replace")[: limit + margin]
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return text[:limit]
