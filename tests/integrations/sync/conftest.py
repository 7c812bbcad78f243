"""The engine under test with an in-process ERP: registry entries swapped for the test."""

import pytest
from django.db import connection as db
from django.db import connections

from apps.integrations import registry
from apps.integrations.models import Connection
from tests.integrations.factories import connection_24so
from tests.integrations.sync.fakes import CAPABILITIES, CustomerAdapter, FakeConnector, FakeERP


@pytest.fixture
def erp() -> FakeERP:
    return FakeERP()


@pytest.fixture
def connector(erp: FakeERP) -> FakeConnector:
    return FakeConnector(erp)


@pytest.fixture
def adapter() -> CustomerAdapter:
    return CustomerAdapter()


@pytest.fixture
def wired(monkeypatch, erp: FakeERP, adapter: CustomerAdapter) -> list[FakeConnector]:
    """Registers the test adapter and connector (24SO's slot); returns the connectors made."""
    made: list[FakeConnector] = []

    def factory(connection: Connection) -> FakeConnector:
        made.append(FakeConnector(erp))
        return made[-1]

    monkeypatch.setitem(registry._adapters, "customer", adapter)
    monkeypatch.setitem(registry._connectors, "24so", factory)
    monkeypatch.setitem(registry._capabilities, "24so", CAPABILITIES)
    return made


@pytest.fixture
def connection(db, wired) -> Connection:
    return connection_24so(
        username="sync@example.com",
        password="pw",
        connected=["customer"],
        masters={"customer": "both"},
    )


@pytest.fixture
def threads_database(transactional_db, tmp_path):
    """A database real threads can share the way worker processes do.

    PostgreSQL: the test database as it is. SQLite's in-memory test database is shared
    between threads through SQLite's shared cache, whose table locks fail at once ("database
    table is locked") instead of waiting like a file database does; so the test runs on a
    file copy of it with the production options (WAL, busy timeout, BEGIN IMMEDIATE).
    """
    original = connections["default"]
    if db.vendor != "sqlite" or not original.is_in_memory_db():
        yield lambda: None
        return
    path = tmp_path / "threads.sqlite3"
    with original.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(path)])
    settings_dict = {**original.settings_dict, "NAME": str(path)}

    def use() -> None:
        connections["default"] = type(original)(settings_dict, "default")

    use()
    try:
        yield use
    finally:
        connections["default"].close()
        connections["default"] = original
