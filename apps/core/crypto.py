"""Secrets at rest: MultiFernet with its own key list, failing closed.

Keys come from `settings.TIDSBRO_ENCRYPTION_KEYS` (newest first), never from SECRET_KEY. A value
that no key can decrypt raises `DecryptionFailed`; the ciphertext is never handed back as if it
were the secret. Each value is bound to its purpose (model field) so a ciphertext copied into
another column does not decrypt there.
"""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TIDSBRO_ENCRYPTION_KEYS is empty: secrets cannot be stored.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "TIDSBRO_ENCRYPTION_KEYS holds a key that is not a Fernet key "
            "(generate one with `manage.py generate_encryption_key`)."
        ) from exc


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
