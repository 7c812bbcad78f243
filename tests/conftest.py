import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Tests read English messages unless they switch language themselves."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only after the test database exists.

    On SQLite the server thread shares the test's in-memory connection, which it can only do if
    that database is already set up when the server starts; a test that asked for the live server
    before the database (or a different order under xdist) got a server on another database.
    """
    return live_server
