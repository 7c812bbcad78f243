"""The request budget in the database: shared by every worker, sliding, honouring blocks."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.integrations.models import RequestCount
from apps.integrations.sync.budget import DatabaseRequestBudget

pytestmark = pytest.mark.django_db

KEY = "24so:sync@example.com"
HOUR = timedelta(hours=1)
T0 = datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC)


def test_counts_are_shared_by_every_instance():
    worker_a, worker_b = DatabaseRequestBudget(), DatabaseRequestBudget()
    for n in range(3):
        assert (
            worker_a.try_acquire(KEY, limit=5, window=HOUR, now=T0 + timedelta(seconds=n)) is None
        )
    assert worker_b.try_acquire(KEY, limit=5, window=HOUR, now=T0 + timedelta(seconds=5)) is None
    assert worker_b.used(KEY, window=HOUR, now=T0 + timedelta(seconds=6)) == 4
    assert worker_a.used(KEY, window=HOUR, now=T0 + timedelta(seconds=6)) == 4
    # Other keys (other ERP logins) have budgets of their own.
    assert worker_a.try_acquire("24so:other", limit=1, window=HOUR, now=T0) is None


def test_refuses_at_the_limit_with_the_wait_until_the_oldest_requests_leave():
    budget = DatabaseRequestBudget()
    for n in range(3):
        assert budget.try_acquire(KEY, limit=3, window=HOUR, now=T0 + timedelta(minutes=n)) is None
    now = T0 + timedelta(minutes=10)
    wait = budget.try_acquire(KEY, limit=3, window=HOUR, now=now)
    assert wait is not None
    # The first request (10:00:30) leaves the window at 11:00:30; counted per minute, its
    # bucket (10:00) is held until 11:01:00 at the latest: never too early.
    assert (T0 + HOUR - now).total_seconds() <= wait <= (T0 + HOUR - now).total_seconds() + 60
    assert budget.used(KEY, window=HOUR, now=now) == 3  # a refusal counts nothing


def test_window_slides():
    budget = DatabaseRequestBudget()
    assert budget.try_acquire(KEY, limit=2, window=HOUR, now=T0) is None
    assert budget.try_acquire(KEY, limit=2, window=HOUR, now=T0 + timedelta(minutes=30)) is None
    assert budget.try_acquire(KEY, limit=2, window=HOUR, now=T0 + timedelta(minutes=59)) is not None
    # An hour and a minute after the first request its bucket has left the window ...
    later = T0 + HOUR + timedelta(minutes=1)
    assert budget.try_acquire(KEY, limit=2, window=HOUR, now=later) is None
    # ... but the second is still inside it.
    assert (
        budget.try_acquire(KEY, limit=2, window=HOUR, now=later + timedelta(seconds=1)) is not None
    )
    assert budget.used(KEY, window=HOUR, now=later) == 2


def test_a_request_late_in_a_minute_is_not_forgotten_early():
    budget = DatabaseRequestBudget()
    late = T0.replace(second=59)
    assert budget.try_acquire(KEY, limit=1, window=HOUR, now=late) is None
    # 59 min 40 s later the request is still within the hour: refused.
    assert (
        budget.try_acquire(KEY, limit=1, window=HOUR, now=late + timedelta(minutes=59, seconds=40))
        is not None
    )
    assert (
        budget.try_acquire(KEY, limit=1, window=HOUR, now=late + HOUR + timedelta(seconds=1))
        is None
    )


def test_block_is_honoured_until_it_passes_and_never_shortened():
    budget = DatabaseRequestBudget()
    until = T0 + timedelta(minutes=10)
    budget.block(KEY, until=until)
    budget.block(KEY, until=T0 + timedelta(minutes=1))  # an earlier end does not shorten it
    assert DatabaseRequestBudget().try_acquire(KEY, limit=100, window=HOUR, now=T0) == 600
    wait = budget.try_acquire(KEY, limit=100, window=HOUR, now=until - timedelta(seconds=1))
    assert wait == 1
    assert budget.used(KEY, window=HOUR, now=until) == 0
    assert budget.try_acquire(KEY, limit=100, window=HOUR, now=until + timedelta(seconds=1)) is None


def test_zero_limit_refuses_everything():
    assert DatabaseRequestBudget().try_acquire(KEY, limit=0, window=HOUR, now=T0) == 3600


def test_prune_drops_old_minutes_only():
    budget = DatabaseRequestBudget()
    budget.try_acquire(KEY, limit=10, window=HOUR, now=T0)
    budget.try_acquire(KEY, limit=10, window=HOUR, now=T0 + timedelta(hours=2))
    assert budget.prune(before=T0 + timedelta(hours=1)) == 1
    assert RequestCount.objects.count() == 1


def test_a_busy_client_counts_in_growing_blocks_and_gives_back_what_it_did_not_send():
    budget = DatabaseRequestBudget()
    with CaptureQueriesContext(connection) as queries:
        for n in range(100):
            assert budget.try_acquire(KEY, limit=6840, window=HOUR, now=T0) is None, n
            # Never fewer counted than sent (other workers see them), at most a block more.
            assert n + 1 <= budget.used(KEY, window=HOUR, now=T0) <= n + 1 + budget.MAX_BLOCK
    # Blocks of 1, 2, 4, 8, 16, 16 …: ten reservations for a hundred requests, five
    # statements each inside the test's transaction (the first also creates the key row);
    # counting one by one took five a request here. The used() reads above are the test's
    # own: one statement each.
    assert len(queries) - 100 <= 10 * 5 + 6
    budget.release(KEY)
    assert budget.used(KEY, window=HOUR, now=T0) == 100


def test_blocks_never_let_two_workers_past_the_limit_and_shrink_near_it():
    worker_a, worker_b = DatabaseRequestBudget(), DatabaseRequestBudget()
    granted = {"a": 0, "b": 0}
    for _round in range(40):
        for name, worker in (("a", worker_a), ("b", worker_b)):
            if worker.try_acquire(KEY, limit=30, window=HOUR, now=T0) is None:
                granted[name] += 1
    assert granted["a"] + granted["b"] == 30  # exactly the limit, none wasted in a block
    assert min(granted.values()) >= 10  # near the limit neither hoards what the other needs
    assert worker_a.used(KEY, window=HOUR, now=T0) == 30


def test_unspent_requests_go_back_when_the_minute_turns_or_the_erp_blocks():
    budget = DatabaseRequestBudget()
    for _n in range(4):  # reserves 1, then 2, then 4: seven counted, four sent
        assert budget.try_acquire(KEY, limit=6840, window=HOUR, now=T0) is None
    assert budget.used(KEY, window=HOUR, now=T0) == 7
    next_minute = T0 + timedelta(minutes=1)
    assert budget.try_acquire(KEY, limit=6840, window=HOUR, now=next_minute) is None
    assert RequestCount.objects.get(key=KEY, minute=T0.replace(second=0)).count == 4
    assert budget.used(KEY, window=HOUR, now=next_minute) == 5
    for _n in range(2):
        budget.try_acquire(KEY, limit=6840, window=HOUR, now=next_minute)
    budget.block(KEY, until=next_minute + timedelta(minutes=5))  # 24SO said "quarantined"
    assert budget.used(KEY, window=HOUR, now=next_minute) == 7  # exactly what was sent


def test_closing_the_client_gives_back_its_reservation():
    from apps.integrations.connectors.twentyfourseven.client import TwentyFourSevenClient

    budget = DatabaseRequestBudget()
    client = TwentyFourSevenClient(base_url="http://127.0.0.1:1/", budget=budget, budget_key=KEY)
    for _n in range(4):
        budget.try_acquire(KEY, limit=6840, window=HOUR, now=T0)
    assert budget.used(KEY, window=HOUR, now=T0) == 7

    client.close()

    assert budget.used(KEY, window=HOUR, now=T0) == 4
