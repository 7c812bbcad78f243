"""Secrets at rest: MultiFernet with its own key list, failing closed.

Keys come from `settings.TIDSBRO_ENCRYPTION_KEYS` (newest first), never from SECRET_KEY. A value
that no key can decrypt raises `DecryptionFailed`; the ciphertext is never handed back as if it
were the secret. Each value is bound to its purpose (model field) so a ciphertext copied into
another column does not decrypt there.
"""

import base64
import binascii
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """A stored secret could not be decrypted with any configured key."""


_KEY_BYTES = 32  # a Fernet key: 32 random bytes (signing + encryption), URL-safe base64
_GENERATE = "generate one with `manage.py generate_encryption_key`"


def key_problems(keys: list[str] | tuple[str, ...]) -> list[str]:
    """What is wrong with a key list, one sentence per problem; [] when every key is usable.

    Names the position of a bad key, never the key itself (the message ends up in logs).
    """
    if not keys or not any(str(key).strip() for key in keys):
        return [f"TIDSBRO_ENCRYPTION_KEYS is empty: ERP secrets cannot be stored ({_GENERATE})."]
    problems = []
    count = len(keys)
    for position, key in enumerate(keys, start=1):
        where = f"TIDSBRO_ENCRYPTION_KEYS key {position} of {count}"
        text = str(key).strip()
        if not text:
            problems.append(f"{where} is empty (two commas in a row?).")
            continue
        try:
            raw = base64.b64decode(text.translate(str.maketrans("-_", "+/")), validate=True)
        except (binascii.Error, ValueError):
            problems.append(
                f"{where} is not base64: a Fernet key is 44 characters of URL-safe base64 "
                f"({_GENERATE})."
            )
            continue
        if len(raw) != _KEY_BYTES:
            problems.append(
                f"{where} has the wrong length: it decodes to {len(raw)} bytes, a Fernet key "
                f"to {_KEY_BYTES} ({_GENERATE})."
            )
    return problems


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    problems = key_problems(keys)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return MultiFernet([Fernet(key.strip().encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.TIDSBRO_ENCRYPTION_KEYS))


def encrypt(value: str, *, purpose: str) -> str:
    """Encrypts `value` for `purpose` with the newest key."""
    payload = json.dumps({"p": purpose, "v": value}, separators=(",", ":")).encode()
    return _current().encrypt(payload).decode()


def decrypt(token: str, *, purpose: str) -> str:
    """Decrypts a stored value; raises DecryptionFailed on a wrong key, tampering or misuse."""
    try:
        payload = json.loads(_current().decrypt(token.encode()))
    except (InvalidToken, ValueError, TypeError) as exc:
        raise DecryptionFailed(
            f"A stored secret ({purpose}) cannot be decrypted with the configured keys."
        ) from exc
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        raise DecryptionFailed(f"A stored secret was not written for {purpose}.")
    return str(payload["v"])


def rotate(token: str) -> str:
    """Re-encrypts a stored value with the newest key (after checking it decrypts)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionFailed("A stored secret cannot be decrypted for rotation.") from exc


def generate_key() -> str:
    return Fernet.generate_key().decode()
