"""django-q2 entry points of the calendars: thin, ids only (never a secret), a summary back."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from apps.calendars.models import CalendarAccount, EntryEvent

logger = logging.getLogger(__name__)

# An account whose last round is older than this gets one from `round_all`.
ROUND_EVERY = timedelta(minutes=5)


def round_for(account_id: int) -> str:
    """One round of one person's calendar (asked for by `services.request_round`)."""
    from apps.calendars import sync

    return sync.run_round(account_id, reason="job").summary()


def catch_up_writes(account_id: int) -> str:
    """The office allows hours in calendars again: the person's entries in the window are
    queued (those that changed meanwhile) and written by a round."""
    from django.db import transaction

    from apps.calendars import common, push, sync

    with transaction.atomic():
        account = CalendarAccount.objects.select_related("connection").filter(pk=account_id).first()
        if account is None or not common.may_write(account):
            return "nothing to write"
        queued = push.queue_window(account)
    result = sync.run_round(account_id, reason="office allows writes")
    return f"{queued} queued; {result.summary()}"


def due_accounts(*, now=None):
    """Accounts due a round: last round older than ROUND_EVERY, a round or full round asked
    for, writes waiting, or the subscription ending within a day. Accounts that must sign in
    again wait for the person (a round at their login or on request)."""
    now = now or timezone.now()
    writes = EntryEvent.objects.filter(
        account_id=OuterRef("pk"), push_status=EntryEvent.Push.PENDING
    ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    return (
        CalendarAccount.objects.filter(connection__is_active=True)
        .exclude(health__in=[CalendarAccount.Health.DISCONNECTED, CalendarAccount.Health.RECONNECT])
        .exclude(state="")
        .filter(
            Q(last_synced_at__isnull=True)
            | Q(last_synced_at__lt=now - ROUND_EVERY)
            | Q(pull_requested_at__isnull=False)
            | Q(full_sync_requested_at__isnull=False)
            | Q(subscription_expires_at__lt=now + timedelta(days=1))
            | Exists(writes)
        )
        .order_by("last_synced_at", "pk")
    )


def round_all() -> str:
    """Every 5 minutes: a round of each account due one, one after another."""
    from apps.calendars import sync

    done = failed = busy = 0
    for account_id in list(due_accounts().values_list("pk", flat=True)):
        try:
            result = sync.run_round(account_id, reason="schedule")
        except Exception:  # one account must not stop the others
            logger.exception("calendar %s: round crashed", account_id)
            failed += 1
            continue
        if result.skipped == "busy":
            busy += 1
        elif result.error:
            failed += 1
        else:
            done += 1
    return f"{done} rounds, {failed} failed, {busy} busy"
