"""The sandbox's fault knobs the chaos test relies on, each seen through the production client
over real HTTP: bare HTTP 500s, hanging answers, injected session expiry, a quarantine window."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.integrations.connectors.base import RateLimited, Unavailable
from apps.integrations.connectors.twentyfourseven.client import (
    InMemoryRequestBudget,
    MemorySessionStore,
    TwentyFourSevenClient,
)
from apps.integrations.connectors.twentyfourseven.types import Credentials, Hour
from apps.sandbox.twentyfourseven import models as so
from apps.sandbox.twentyfourseven.seed import APPLICATION_ID, DEMO_PASSWORD, DEMO_USERNAME, seed

from .conftest import knobs, settle_sandbox

ONLY = {"fault_error": False, "fault_drop": False, "fault_slow": False}


@pytest.fixture
def connect(live_server, transactional_db) -> Iterator[Callable[..., TwentyFourSevenClient]]:
    seed()
    clients: list[TwentyFourSevenClient] = []

    def make(**overrides: object) -> TwentyFourSevenClient:
        options: dict[str, object] = {
            "credentials": Credentials(username=DEMO_USERNAME, password=DEMO_PASSWORD),
            "session_store": MemorySessionStore(),
            "application_id": APPLICATION_ID,
            "base_url": f"{live_server.url}/sandbox/24so",
            "timeout": (2.0, 5.0),
            "budget": InMemoryRequestBudget(),
        }
        options.update(overrides)
        client = TwentyFourSevenClient(**options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_bare_http_500_is_unavailable_and_logged(connect) -> None:
    client = connect()
    client.login()
    knobs(fault_rate=1.0, fault_http500=True, **ONLY)

    with pytest.raises(Unavailable, match="HTTP 500") as caught:
        client.get_users()

    assert caught.value.ambiguous is True
    assert so.RequestLog.objects.filter(operation="GetUsers").get().fault.startswith("HTTP 500")


def test_a_hanging_answer_times_out_after_the_work_is_done(connect) -> None:
    client = connect(timeout=(2.0, 0.5))
    client.login()
    knobs(fault_rate=1.0, fault_hang=True, slow_seconds=1.5, **ONLY)
    started = time.monotonic()

    with pytest.raises(Unavailable, match="did not answer in time") as caught:
        client.save_hour(
            Hour(
                contact_id=2,
                project_id=1002,
                start_time=dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC),
                total_hours=Decimal("1.25"),
                description="Hanging [TB-hang]",
            )
        )

    assert time.monotonic() - started < 1.4
    assert caught.value.ambiguous is True
    # Created (and logged) before the answer was held back: the client cannot know.
    assert so.Hour.objects.filter(description="Hanging [TB-hang]").count() == 1
    assert so.RequestLog.objects.get(operation="SaveHour").fault == "answer held back (injected)"
    settle_sandbox(slow_seconds=1.2)


def test_injected_session_expiry_makes_the_client_log_in_again_once(connect) -> None:
    client = connect()
    client.login()
    knobs(fault_rate=1.0, fault_expire=True, **ONLY)

    # Every request's session is ended: the retry after the new Login fails the same way.
    with pytest.raises(Exception, match="does not accept the session"):
        client.get_users()
    assert list(so.RequestLog.objects.values_list("operation", flat=True).order_by("pk")) == [
        "Login",
        "GetUsers",
        "Login",
        "GetUsers",
    ]
    knobs(fault_rate=0.0)
    assert len(client.get_users()) == 21


def test_a_quarantine_window_blocks_until_its_end_then_lets_requests_through(connect) -> None:
    client = connect()
    client.login()
    until = (timezone.now() + dt.timedelta(seconds=2)).replace(microsecond=0)
    knobs(quarantine_until=until)

    with pytest.raises(RateLimited) as caught:
        client.get_users()

    assert caught.value.until == until
    fault = so.RequestLog.objects.get(operation="GetUsers").fault
    assert fault.startswith("Limit exceeded by 1. Request is blocked. Quarantine ends at")
    # The client remembers the quarantine: no request reaches 24SO before it ends.
    with pytest.raises(RateLimited):
        client.get_users()
    assert so.RequestLog.objects.filter(operation="GetUsers").count() == 1
    time.sleep(max(0.0, (until - timezone.now()).total_seconds()) + 0.1)
    knobs(quarantine_until=None)
    assert len(client.get_users()) == 21
