import sys

import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read English messages unless they switch language themselves."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _same_made_up_data_every_run(request):
    """The factories' names, e-mails and sentences (Faker) are drawn from a generator seeded by
    the test's own id: a test sees the same people and companies on every run, on every
    machine and in any order. With a fresh seed each run, a check such as "the private
    meeting's subject is not on the page" failed in CI only on the run that named the person
    after that subject.
    """
    import factory.random

    factory.random.reseed_random(request.node.nodeid)


_DB_FIXTURES = frozenset({"db", "transactional_db", "live_server", "django_db_reset_sequences"})


@pytest.fixture(autouse=True)
def _caches_as_in_a_running_process(request):
    """Every test starts with the caches as a process that has served a page before has them,
    whatever ran earlier in this process:

    - the default cache emptied (a flag cached by an earlier test, e.g. "calendars are switched
      on", kept a minute, would outlive that test's rolled-back rows), then the calendars'
      flag read again for this test's database (the sidebar asks it on every page);
    - Django's content-type cache full (the admin log and generic relations look a model's
      type up there once per process). A flush runs post_migrate, which empties it, after
      every live-server test.
    - the Microsoft sign-in's kept discovery answers dropped (a test's first renewal asks
      for the tenant's configuration, as the first one after a start does).

    Without this, pinned query counts were one or two higher for a test that ran first in its
    process, right after a live-server test or over a minute after the last page, and lower
    elsewhere. When the caches are full this asks the database one query (the flag).
    """
    from django.core.cache import caches

    caches["default"].clear()
    graph_auth = sys.modules.get("apps.integrations.connectors.graph.auth")
    if graph_auth is not None:
        graph_auth.forget_discovery()
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        _DB_FIXTURES.intersection(request.fixturenames)
    )
    if not uses_db:
        return
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    request.getfixturevalue("django_db_setup")
    with request.getfixturevalue("django_db_blocker").unblock():
        ContentType.objects.get_for_models(*apps.get_models(), for_concrete_models=False)
        if apps.is_installed("apps.calendars"):
            from apps.calendars.selectors import calendars_switched_on

            calendars_switched_on()


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only after the test database exists.

    On SQLite the server thread shares the test's in-memory connection, which it can only do if
    that database is already set up when the server starts; a test that asked for the live server
    before the database (or a different order under xdist) got a server on another database.
    """
    return live_server


# QUICK FLUSH after transactional (live-server) tests
# ------------------------------------------------------------------------------
# Django empties every table after a TransactionTestCase and then sends post_migrate, as if the
# database had just been migrated. Both were most of the PostgreSQL suite's time: TRUNCATE of
# ~90 tables makes ~90 new files, and post_migrate runs ~330 queries. The quick flush ends in
# the same state:
# - PostgreSQL: DELETE FROM every table in one transaction (the same tables, the same empty
#   result, sequences untouched as in Django's flush), instead of TRUNCATE.
# - The post_migrate receivers that only derive rows from the models (content types,
#   permissions, the role groups) are replayed from the rows they wrote after this process's
#   first real flush; every other receiver (e.g. the sync schedules, which read the clock)
#   runs as usual. tests/test_quick_flush.py checks the result equals Django's own flush.
# Tests with available_apps, serialized_rollback or reset_sequences get Django's flush.


def _replayed_receivers() -> tuple:
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    from apps.accounts.roles import sync_roles_after_migrate

    return (create_contenttypes, create_permissions, sync_roles_after_migrate)


def _replayed_tables() -> list[str]:
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    return [
        ContentType._meta.db_table,
        Permission._meta.db_table,
        Group._meta.db_table,
        Group.permissions.through._meta.db_table,
    ]


# Per database alias: [(table, columns, rows)] written by the replayed receivers.
_replay_rows: dict[str, list[tuple[str, list[str], list[tuple]]]] = {}
# Per (alias, replayed table): its content's fingerprint right after post_migrate (PostgreSQL).
_replay_fingerprints: dict[tuple[str, str], str] = {}


def _pg_fingerprint_sql(qn, table: str) -> str:
    """A query for one value that changes with any row of `table` (its rows as text, sorted)."""
    return (
        f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
        f"FROM {qn(table)} t"
    )


def _pg_dirty_tables(cursor, qn, tables: list[str], replay) -> list[str]:
    """The tables a flush must empty: those with rows, but a replayed table only when its
    rows are not what post_migrate left (then it is emptied and refilled). One query."""
    if not tables:
        return []
    alias = cursor.db.alias
    known = {t for t, _c, _r in replay or []} if replay is not None else set()
    parts = []
    for i, table in enumerate(tables):
        if table in known:
            check = f"({_pg_fingerprint_sql(qn, table)}) IS DISTINCT FROM %s"
            params = [_replay_fingerprints.get((alias, table), "")]
        else:
            check = f"EXISTS (SELECT 1 FROM {qn(table)})"  # noqa: S608 - quoted table name
            params = []
        parts.append((f"SELECT {i} WHERE {check}", params))
    sql = " UNION ALL ".join(p for p, _ in parts)
    cursor.execute(sql, [v for _, params in parts for v in params])
    dirty = {row[0] for row in cursor.fetchall()}
    return [table for i, table in enumerate(tables) if i in dirty]


def quick_flush(alias: str = "default") -> None:
    """Empties every table of `alias` and leaves what post_migrate leaves, as Django's flush."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connections, transaction
    from django.db.models.signals import post_migrate

    connection = connections[alias]
    qn = connection.ops.quote_name
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    if not tables:
        return
    replay = _replay_rows.get(alias)
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys are DEFERRABLE INITIALLY DEFERRED: checked at commit, replayed rows back.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # One query says which tables hold rows and which replayed tables differ from
            # what they should hold; only those are emptied (and refilled).
            tables = _pg_dirty_tables(cursor, qn, tables, replay)
            for table in tables:
                cursor.execute(f"DELETE FROM {qn(table)}")  # noqa: S608 - quoted table names
        else:
            for sql in connection.ops.sql_flush(no_style(), tables):
                cursor.execute(sql)
        for table, columns, rows in replay or []:
            if rows and table in tables:
                names = ", ".join(qn(c) for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                insert = f"INSERT INTO {qn(table)} ({names}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(insert, rows)
    if replay is None:
        emit_post_migrate_signal(0, False, alias)
        rows = []
        with connection.cursor() as cursor:
            for table in _replayed_tables():
                cursor.execute(f"SELECT * FROM {qn(table)}")  # noqa: S608 - quoted table name
                rows.append((table, [c[0] for c in cursor.description], cursor.fetchall()))
                if connection.vendor == "postgresql":
                    cursor.execute(_pg_fingerprint_sql(qn, table))
                    _replay_fingerprints[(alias, table)] = cursor.fetchone()[0]
        _replay_rows[alias] = rows
        return
    ContentType.objects.clear_cache()  # as create_contenttypes does
    replayed = _replayed_receivers()
    for app_config in apps.get_app_configs():
        if app_config.models_module is None:
            continue
        receivers, async_receivers = post_migrate._live_receivers(app_config)
        assert not async_receivers, "quick_flush calls post_migrate's receivers synchronously"
        for receiver in receivers:
            if receiver not in replayed:
                receiver(
                    signal=post_migrate,
                    sender=app_config,
                    app_config=app_config,
                    verbosity=0,
                    interactive=False,
                    using=alias,
                )


@pytest.fixture(scope="session", autouse=True)
def _quick_flush_after_transactional_tests():
    from django.test import TransactionTestCase

    djangos = TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        if self.available_apps is not None or self.serialized_rollback or self.reset_sequences:
            _replay_rows.clear()  # sequences may have been reset: take the rows afresh
            return djangos(self)
        for alias in self._databases_names(include_mirrors=False):
            quick_flush(alias)

    TransactionTestCase._fixture_teardown = _fixture_teardown
    yield
    TransactionTestCase._fixture_teardown = djangos
