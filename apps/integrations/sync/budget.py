"""The ERP request budget in the database, so every worker process counts against one limit."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from apps.integrations.models import RequestBudgetKey, RequestCount

BUCKET = timedelta(minutes=1)
# Counts are kept this long: far longer than any budget window (a fixed hourly budget counts an
# hour), so pruning never forgets a request the ERP still counts.
REQUEST_COUNTS_KEPT = timedelta(days=1)


class DatabaseRequestBudget:
    """Sliding window of per-minute counts per key (implements the client's RequestBudget).

    Counts are kept per whole minute, so a bucket is counted for as long as any request in it
    may still be inside the window: the budget errs on the safe side (it may refuse a request
    up to a minute early, never let one through that the ERP would count over its limit).

    A busy client reserves requests in blocks that grow while it keeps using them up within
    the minute (1, 2, 4 … 16, smaller near the limit) and spends a reserved one without the
    database: a full pull's two thousand requests cost about one transaction a minute's block
    instead of one each. Reserved requests are counted as used at once (other workers see
    them), and what is left when the minute turns or the client closes is given back, so the
    count never falls below what was sent and exceeds it by at most one block. One instance
    belongs to one client (one thread).
    """

    MAX_BLOCK = 16

    def __init__(self) -> None:
        # key → (minute of the reserved block, requests reserved and not yet spent, block size)
        self._held: dict[str, tuple[datetime, int, int]] = {}

    def _key_row(self, key: str) -> RequestBudgetKey:
        # Locks the key's row on PostgreSQL so two workers cannot both take the last request;
        # one query once the key exists (every request but the first of a key).
        row = RequestBudgetKey.objects.select_for_update().filter(key=key).first()
        if row is None:
            row, _created = RequestBudgetKey.objects.get_or_create(key=key)
            row = RequestBudgetKey.objects.select_for_update().get(pk=row.pk)
        return row

    def try_acquire(
        self, key: str, *, limit: int, window: timedelta, now: datetime
    ) -> float | None:
        """Counts one request and returns None, or the seconds to wait."""
        minute = now.replace(second=0, microsecond=0)
        held_minute, left, size = self._held.get(key, (minute, 0, 0))
        if left and held_minute == minute:
            self._held[key] = (minute, left - 1, size)
            return None
        if left:  # the minute turned: its unspent requests go back
            self.release(key)
        # The last block was used up within this minute: the next one is twice as big.
        size = min(size * 2, self.MAX_BLOCK) if size and held_minute == minute else 1
        with transaction.atomic():
            row = self._key_row(key)
            if row.blocked_until and row.blocked_until > now:
                return (row.blocked_until - now).total_seconds()
            live = RequestCount.objects.filter(key=key, minute__gt=_oldest_live(now, window))
            used = live.aggregate(n=Sum("count"))["n"] or 0
            free = max(limit, 0) - used
            if free <= 0:
                oldest = live.order_by("minute").values_list("minute", flat=True).first()
                if oldest is None:
                    return window.total_seconds()
                # The oldest bucket leaves the window when its last possible request does.
                return max((oldest + BUCKET + window - now).total_seconds(), 1.0)
            # Near the limit the blocks shrink to one, so no worker holds what others need.
            take = max(1, min(size, free // 8))
            updated = RequestCount.objects.filter(key=key, minute=minute).update(
                count=F("count") + take
            )
            if not updated:
                RequestCount.objects.create(key=key, minute=minute, count=take)
        self._held[key] = (minute, take - 1, take)
        return None

    def release(self, key: str) -> None:
        """Gives back the requests reserved for `key` and not spent (the client closes)."""
        minute, left, _size = self._held.pop(key, (None, 0, 0))
        if left:
            RequestCount.objects.filter(key=key, minute=minute).update(count=F("count") - left)

    def block(self, key: str, *, until: datetime) -> None:
        """Refuses every request of `key` until `until` (writes the key row; never shortens)."""
        self.release(key)
        with transaction.atomic():
            row = self._key_row(key)
            if row.blocked_until is None or until > row.blocked_until:
                row.blocked_until = until
                row.save(update_fields=["blocked_until"])

    def used(self, key: str, *, window: timedelta, now: datetime) -> int:
        """Requests counted for `key` within the window ending at `now` (read only)."""
        return (
            RequestCount.objects.filter(key=key, minute__gt=_oldest_live(now, window)).aggregate(
                n=Sum("count")
            )["n"]
            or 0
        )

    def prune(self, *, before: datetime) -> int:
        """Deletes the counts of minutes before `before`; returns how many rows went."""
        deleted, _rows = RequestCount.objects.filter(minute__lt=before).delete()
        return deleted


def request_counts_prune(*, now: datetime | None = None) -> int:
    """Deletes the per-minute request counts older than REQUEST_COUNTS_KEPT; returns how many."""
    now = now or timezone.now()
    return DatabaseRequestBudget().prune(before=now - REQUEST_COUNTS_KEPT)


def _oldest_live(now: datetime, window: timedelta) -> datetime:
    # A bucket starting after this may hold a request made within the window.
    return now - window - BUCKET
