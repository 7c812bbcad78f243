"""System checks run by every management command (runserver, migrate, qcluster, check --deploy).

A bad TIDSBRO_ENCRYPTION_KEYS would otherwise pass start-up and fail at the first ERP login
or sync; an Error here stops the command before it serves or works anything.
"""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from apps.core.crypto import key_problems


@register()
def encryption_keys_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Errors (one per problem) when TIDSBRO_ENCRYPTION_KEYS is empty or holds an unusable key."""
    keys = getattr(settings, "TIDSBRO_ENCRYPTION_KEYS", None) or []
    if isinstance(keys, str):  # set as one string in a settings file instead of a list
        keys = keys.split(",")
    return [
        Error(
            problem,
            hint="Set TIDSBRO_ENCRYPTION_KEYS to comma-separated Fernet keys, newest first.",
            id="tidsbro.E001",
        )
        for problem in key_problems(list(keys))
    ]


def refuse_bad_encryption_keys() -> None:
    """Raises ImproperlyConfigured naming the problems; for entry points that run no checks."""
    from django.core.exceptions import ImproperlyConfigured

    errors = encryption_keys_check()
    if errors:
        raise ImproperlyConfigured(" ".join(error.msg for error in errors))
