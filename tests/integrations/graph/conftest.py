"""Fixtures for the Microsoft 365 calendar (apps/calendars/README.md §2); helpers in world.py.

- `graph_sandbox`: the seeded sandbox at the live server under its https name (routing set).
- `graph_connection`: the office's active calendar connection (sandbox tenant, write allowed).
- `calendar_account`: `connect(user, email=…, password="tidsbro-demo", write=False)` runs the
  real sign-in and returns the saved CalendarAccount.
"""

from __future__ import annotations

import pytest

from tests.integrations.graph import world


@pytest.fixture
def graph_sandbox(live_server, settings, transactional_db):
    return world.sandbox_start(live_server.url, settings)


@pytest.fixture
def graph_connection(db):
    return world.connection_make()


@pytest.fixture
def calendar_account(graph_sandbox, graph_connection):
    def connect(user, email=None, password=world.PASSWORD, write=False, client=None):
        return world.connect(user, email=email, password=password, write=write, client=client)

    return connect
