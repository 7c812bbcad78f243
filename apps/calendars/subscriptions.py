"""The change subscription of a person's calendar: made when missing, renewed a day before
it ends, made again after the calendar removed it (a lifecycle event). The calendar then
calls `calendars/notify/<system>/` on every change, and the round follows within seconds.

No subscription when TIDSBRO_BASE_URL is empty (the calendar could not reach Tidsbro): the
periodic round is then the only way changes arrive. The client state (the secret the
calendar sends back with each notification) is random, kept in the account's encrypted state.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.calendars.models import CalendarAccount
from apps.integrations.connectors.base import Rejected

if TYPE_CHECKING:
    from apps.calendars.providers import CalendarClient

logger = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(days=1)
DEFAULT_LIFETIME = timedelta(days=3)


def base_url() -> str:
    return (getattr(settings, "TIDSBRO_BASE_URL", "") or "").rstrip("/")


def urls_for(system: str) -> tuple[str, str]:
    """(notification URL, lifecycle URL) of this Tidsbro for a calendar system."""
    base = base_url()
    return (
        base + reverse("calendars_notify", args=[system]),
        base + reverse("calendars_lifecycle", args=[system]),
    )


def client_state_of(account: CalendarAccount) -> str:
    """The account's client state, made (and saved, under the row lock the token keeper
    also takes) on first use."""
    current = account.state_doc.get("client_state")
    if current:
        return current
    with transaction.atomic():
        locked = CalendarAccount.objects.select_for_update().get(pk=account.pk)
        doc = locked.state_doc
        if not doc.get("client_state"):
            doc["client_state"] = secrets.token_urlsafe(32)
            locked.state_doc = doc
            locked.save(update_fields=["state", "updated_at"])
    account.state = locked.state
    return doc["client_state"]


def _lifetime(account: CalendarAccount) -> timedelta:
    from apps.calendars.common import provider_of

    provider = provider_of(account.connection)
    return getattr(provider, "subscription_lifetime", None) or DEFAULT_LIFETIME


def _save(account: CalendarAccount, sub_id: str, expires: datetime | None) -> None:
    account.subscription_id, account.subscription_expires_at = sub_id, expires
    CalendarAccount.objects.filter(pk=account.pk).update(
        subscription_id=sub_id, subscription_expires_at=expires
    )


def upkeep(account: CalendarAccount, client: CalendarClient, *, now: datetime | None = None) -> int:
    """Makes or renews the account's subscription when due; returns the requests made.
    Connector errors are raised (the round records them)."""
    if not base_url():
        return 0
    now = now or timezone.now()
    expires = account.subscription_expires_at
    if account.subscription_id and expires is not None and expires - now > RENEW_BEFORE:
        return 0
    lifetime = _lifetime(account)
    requests = 0
    if account.subscription_id:
        try:
            requests += 1
            new = client.renew_subscription(account.subscription_id, now + lifetime)
            _save(account, account.subscription_id, new)
            return requests
        except Rejected:  # gone (removed, expired): a new one
            logger.info("calendar %s: subscription gone; making a new one", account.pk)
    notify_url, lifecycle_url = urls_for(account.connection.system)
    requests += 1
    sub_id, new = client.subscribe(
        notification_url=notify_url,
        lifecycle_url=lifecycle_url,
        client_state=client_state_of(account),
        expires_at=now + lifetime,
    )
    _save(account, sub_id, new)
    return requests
