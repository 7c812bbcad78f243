"""The sandbox administrator's levers on tokens (admin actions and tests call these)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import Client, RefreshToken


def access_tokens_expire_all(*, clients: list[Client] | None = None) -> int:
    """Stamps "tokens valid from now" on the clients (all when none are given): access tokens
    issued before are refused with 401 from now on. Returns how many clients were stamped."""
    rows = (
        Client.objects.all()
        if clients is None
        else Client.objects.filter(pk__in=[c.pk for c in clients])
    )
    with transaction.atomic():
        return rows.update(not_before=timezone.now())


def refresh_tokens_revoke_all(*, queryset=None) -> int:
    """Revokes the refresh tokens (all when no queryset is given); returns how many."""
    rows = RefreshToken.objects.all() if queryset is None else queryset
    with transaction.atomic():
        return rows.filter(revoked_at=None).update(
            revoked_at=timezone.now(), revoked_reason="revoked by admin"
        )
